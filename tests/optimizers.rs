//! Each optimizer's first two steps against values worked out by hand from the PyTorch
//! documentation's update rules (see the numbers' derivations in the comments), not against the
//! crate's own code. Start θ₀ = (1, −2), gradients g₁ = (0.5, −1) then g₂ = (1, 1), lr = 0.1.

use implicit_bias::core::optim::{Heavy, OptimizerKind, OptimizerSpec, Rule};

const START: [f64; 2] = [1.0, -2.0];
const G1: [f64; 2] = [0.5, -1.0];
const G2: [f64; 2] = [1.0, 1.0];

/// Two steps of `spec` from `START`, returning θ₁ and θ₂.
fn two_steps(spec: &OptimizerSpec) -> ([f64; 2], [f64; 2]) {
    let mut optimizer = spec.build(2);
    let mut theta = START;
    optimizer.step(&mut theta, &G1);
    let first = theta;
    optimizer.step(&mut theta, &G2);
    (first, theta)
}

fn assert_close(got: [f64; 2], want: [f64; 2], tol: f64) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol, "got {got:?}, want {want:?}");
    }
}

#[test]
fn gradient_descent() {
    // θ₁ = θ₀ − 0.1 g₁ = (0.95, −1.9); θ₂ = θ₁ − 0.1 g₂ = (0.85, −2.0).
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Gd, 0.1));
    assert_close(first, [0.95, -1.9], 1e-15);
    assert_close(second, [0.85, -2.0], 1e-15);
}

#[test]
fn sgd_full_batch_is_gradient_descent() {
    let (_, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Sgd, 0.1));
    assert_close(second, [0.85, -2.0], 1e-15);
}

#[test]
fn heavy_ball_momentum() {
    // b₁ = g₁ → θ₁ = (0.95, −1.9); b₂ = 0.9 b₁ + g₂ = (1.45, 0.1) → θ₂ = (0.805, −1.91).
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Momentum, 0.1));
    assert_close(first, [0.95, -1.9], 1e-15);
    assert_close(second, [0.805, -1.91], 1e-15);
}

#[test]
fn nesterov_momentum() {
    // b₁ = g₁, step g₁ + 0.9 b₁ = 1.9 g₁ → θ₁ = (0.905, −1.81);
    // b₂ = (1.45, 0.1), step g₂ + 0.9 b₂ = (2.305, 1.09) → θ₂ = (0.6745, −1.919).
    let spec = OptimizerSpec::with_rule(
        Rule::Momentum(Heavy {
            momentum: 0.9,
            nesterov: true,
        }),
        0.1,
    );
    let (first, second) = two_steps(&spec);
    assert_close(first, [0.905, -1.81], 1e-15);
    assert_close(second, [0.6745, -1.919], 1e-15);
}

#[test]
fn adam_matches_the_textbook_bias_corrected_rule() {
    // m̂₁ = g₁, v̂₁ = g₁² → step lr·g/(|g| + ε); second step by the same rule, worked out in
    // float64 from m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), θ −= lr·m̂/(√v̂ + ε).
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Adam, 0.1));
    assert_close(first, [0.900_000_002, -1.900_000_001], 1e-12);
    assert_close(
        second,
        [0.803_481_800_638_509_4, -1.905_263_158_842_105_2],
        1e-12,
    );
}

#[test]
fn rmsprop() {
    // v₁ = 0.01 g₁² → step 0.1·g/(0.1|g| + ε) ≈ sign(g): θ₁ ≈ (2e-7, −1.0000001).
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::RmsProp, 0.1));
    assert_close(
        first,
        [1.999_999_604_818_114_6e-7, -1.000_000_099_999_990_5],
        1e-12,
    );
    assert_close(
        second,
        [-0.895_322_681_911_416_2, -1.708_881_254_757_073_5],
        1e-12,
    );
}

#[test]
fn adagrad() {
    // s₁ = g₁² → θ₁ = θ₀ − 0.1·sign(g₁); s₂ = g₁² + g₂² → steps 0.1/√1.25 and 0.1/√2.
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Adagrad, 0.1));
    assert_close(first, [0.900_000_000_02, -1.900_000_000_01], 1e-12);
    assert_close(
        second,
        [0.9 - 0.1 / 1.25f64.sqrt(), -1.9 - 0.1 / 2f64.sqrt()],
        1e-10,
    );
}

#[test]
fn sign_descent_moves_each_coordinate_by_lr_and_ignores_zeros() {
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Sign, 0.1));
    assert_close(first, [0.9, -1.9], 1e-15);
    assert_close(second, [0.8, -2.0], 1e-15);
    let mut optimizer = OptimizerSpec::new(OptimizerKind::Sign, 0.1).build(2);
    let mut theta = START;
    optimizer.step(&mut theta, &[0.0, -0.0]);
    assert_eq!(theta, START);
}

#[test]
fn coordinate_descent_moves_only_the_steepest_coordinate() {
    // g₁: |−1| > |0.5| → only θ₂ moves: (1, −1.9). g₂ ties → the first coordinate: (0.9, −1.9).
    let (first, second) = two_steps(&OptimizerSpec::new(OptimizerKind::Coordinate, 0.1));
    assert_close(first, [1.0, -1.9], 1e-15);
    assert_close(second, [0.9, -1.9], 1e-15);
}

#[test]
fn normalized_steps_have_length_lr_at_any_gradient_scale() {
    for scale in [1e-300, 1e-150, 1.0, 1e150, 1e300] {
        let mut optimizer = OptimizerSpec::new(OptimizerKind::Normalized, 0.1).build(2);
        let mut theta = [0.0, 0.0];
        optimizer.step(&mut theta, &[3.0 * scale, -4.0 * scale]);
        // −0.1·(3, −4)/5 whatever the scale: no overflow to inf, no underflow to 0.
        assert_close(theta, [-0.06, 0.08], 1e-16);
    }
    let mut optimizer = OptimizerSpec::new(OptimizerKind::Normalized, 0.1).build(2);
    let mut theta = START;
    optimizer.step(&mut theta, &[0.0, 0.0]);
    assert_eq!(theta, START);
}

/// Every rule's "moved" answer against copying θ before the step and comparing bit by bit (what
/// the experiment did before the rules reported it), over gradients that move everything, one
/// coordinate, nothing (zero), and nothing by underflow (1e-300 against θ ≈ 1e10), with and
/// without a decaying schedule. Exact: a bool against a bool.
#[test]
fn each_rule_reports_moved_exactly_when_a_parameter_changed_its_bits() {
    use implicit_bias::core::optim::Schedule;
    let gradients: [[f64; 2]; 6] = [
        [0.5, -1.0],
        [0.0, 0.0],
        [1e-300, -1e-300],
        [0.0, 2.0],
        [0.0, 0.0],
        [-0.0, 0.0],
    ];
    for kind in OptimizerKind::ALL {
        for schedule in [Schedule::Constant, Schedule::InvSqrt] {
            for start in [[1.0, -2.0], [1e10, -1e10]] {
                let mut spec = OptimizerSpec::new(kind, 0.1);
                spec.schedule = schedule;
                let mut optimizer = spec.build(2);
                let mut theta = start;
                for grad in gradients {
                    let before = theta;
                    let moved = optimizer.step(&mut theta, &grad);
                    let changed = theta
                        .iter()
                        .zip(before)
                        .any(|(new, old)| new.to_bits() != old.to_bits());
                    assert_eq!(
                        moved, changed,
                        "{kind:?} {schedule:?} from {start:?} at {grad:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_rule_updated_in_halves_has_the_bits_of_one_update() {
    use implicit_bias::core::optim::Schedule;
    // 2,001 parameters split unevenly; gradients with zeros, tiny and huge values.
    let size = 2001;
    let gradient = |t: usize| -> Vec<f64> {
        (0..size)
            .map(|i| match (i + t) % 5 {
                0 => 0.0,
                1 => 1e-300,
                2 => -3e5,
                _ => ((i * 7 + t) as f64 * 0.61).sin(),
            })
            .collect()
    };
    for kind in OptimizerKind::ALL {
        for (schedule, nesterov) in [(Schedule::Constant, false), (Schedule::InvSqrt, true)] {
            let mut spec = OptimizerSpec::new(kind, 0.05);
            spec.schedule = schedule;
            if kind == OptimizerKind::Sgd {
                spec.rule = Rule::Sgd(Heavy {
                    momentum: 0.9,
                    nesterov,
                });
            }
            let (mut whole, mut halves) = (spec.build(size), spec.build(size));
            let start: Vec<f64> = (0..size).map(|i| (i as f64 * 0.3).cos()).collect();
            let (mut a, mut b) = (start.clone(), start);
            for t in 0..5 {
                let grad = gradient(t);
                let moved_whole = whole.step(&mut a, &grad);
                let seen = halves.step_in_halves(&mut b, &grad, 777);
                assert_eq!(moved_whole, seen.moved, "{kind:?} {schedule:?} step {t}");
                assert!(seen.finite, "{kind:?} {schedule:?} step {t}");
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(x.to_bits(), y.to_bits(), "{kind:?} {schedule:?} step {t}");
                }
            }
        }
    }
}

#[test]
fn an_update_reports_nan_and_infinity_in_either_half_alone_or_shared() {
    // Each case: a parameter or gradient entry that is not finite, in the first half (index 5)
    // or the second (index 1500) of 2,001 parameters cut at 777, updated in halves and whole.
    let size = 2001;
    for kind in OptimizerKind::ALL {
        for at in [5, 1500] {
            for (bad_param, bad_grad) in [
                (f64::INFINITY, 1.0),
                (1.0, f64::NAN),
                (1.0, f64::NEG_INFINITY),
            ] {
                let mut optimizer = OptimizerSpec::new(kind, 0.05).build(size);
                let mut params: Vec<f64> = (0..size).map(|i| (i as f64 * 0.3).cos()).collect();
                let mut grad: Vec<f64> = (0..size).map(|i| (i as f64 * 0.7).sin()).collect();
                params[at] = bad_param;
                grad[at] = bad_grad;
                let mut alone = OptimizerSpec::new(kind, 0.05).build(size);
                let mut params_alone = params.clone();
                let seen = optimizer.step_in_halves(&mut params, &grad, 777);
                assert!(!seen.finite, "{kind:?}: {bad_param} / {bad_grad} at {at}");
                let seen = alone.step_checked(&mut params_alone, &grad);
                assert!(
                    !seen.finite,
                    "{kind:?} alone: {bad_param} / {bad_grad} at {at}"
                );
            }
        }
        // And all finite is reported as such.
        let mut optimizer = OptimizerSpec::new(kind, 0.05).build(size);
        let mut params = vec![0.5; size];
        assert!(
            optimizer
                .step_in_halves(&mut params, &vec![0.25; size], 777)
                .finite
        );
        assert!(
            optimizer
                .step_checked(&mut params, &vec![0.25; size])
                .finite
        );
    }
}
