//! The exact finite-step target of depth-2 diagonal networks (Pesme et al. 2021, Even et al.
//! 2023): with w = u² − v², u₀ = v₀ = α, each GD step multiplies u by (1 − x) and v by (1 + x),
//! x = 2·lr·g, so the run's limit is w = 2α∞² sinh(δ + Xᵀν) with Xw = y, where
//! α∞² = α² ∏|1 − x²| and δ = Σ (ln|1 − x| − ln|1 + x| + 2x).
//!
//! Everything the lab reports is checked against a plain float64 loop written here from those
//! formulas, and the target against a Newton solve written here too:
//! - α∞ per coordinate equals √|u v| of the plain loop (relative 1e-12);
//! - the lab's effective target equals this file's own solve (relative 1e-9);
//! - a converged run ends on its effective target (relative 1e-10), while its gradient-flow
//!   target Q_α is measurably elsewhere at a large step;
//! - α∞ ≤ α when every |x| < 1, and the effective target tends to Q_α as lr → 0.

use implicit_bias::core::data::{RegressionData, sparse_regression};
use implicit_bias::core::experiment::{
    DiagonalProblem, DiagonalRunSnapshot, DiagonalRunSpec, Experiment, ExperimentSpec, Layout,
    Problem, SnapshotBody,
};
use implicit_bias::core::optim::{OptimizerKind, OptimizerSpec};
use nalgebra::{DMatrix, DVector};

fn spec(data: RegressionData, runs: Vec<DiagonalRunSpec>) -> ExperimentSpec {
    ExperimentSpec {
        title: "effective target".into(),
        about: String::new(),
        seed: 0,
        problem: Problem::Diagonal(DiagonalProblem { data, runs }),
        horizon: 100,
        layout: Layout::Overlay,
        references: vec![],
        nuclear_reference: false,
        svd_every: 100,
    }
}

fn run(kind: OptimizerKind, lr: f64, init_scale: f64, depth: u32) -> DiagonalRunSpec {
    DiagonalRunSpec {
        optimizer: OptimizerSpec::new(kind, lr),
        init_scale,
        depth,
    }
}

fn runs_after(
    data: &RegressionData,
    runs: Vec<DiagonalRunSpec>,
    steps: u64,
) -> Vec<DiagonalRunSnapshot> {
    let mut experiment = Experiment::final_state_only(spec(data.clone(), runs));
    experiment.step(steps);
    match experiment.snapshot().body {
        SnapshotBody::Diagonal(s) => s.runs,
        _ => panic!("a diagonal snapshot"),
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    let difference: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    difference / b.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// What the plain loop ends with: u, v, ln α∞² and δ per coordinate, and the largest |x| seen.
struct Plain {
    u: Vec<f64>,
    v: Vec<f64>,
    log_alpha_squared: Vec<f64>,
    delta: Vec<f64>,
    largest_x: f64,
}

/// GD on ½‖Xw − y‖² over (u, v), written from the formulas, accumulating α∞ and δ from each
/// step's x = 2·lr·g (logs of |1 ∓ x| taken directly, as the formulas read).
fn plain_gd(data: &RegressionData, lr: f64, alpha: f64, steps: u64) -> Plain {
    let (n, d) = (data.len(), data.dim);
    let mut plain = Plain {
        u: vec![alpha; d],
        v: vec![alpha; d],
        log_alpha_squared: vec![2.0 * alpha.ln(); d],
        delta: vec![0.0; d],
        largest_x: 0.0,
    };
    for _ in 0..steps {
        let w: Vec<f64> = (0..d)
            .map(|j| plain.u[j].powi(2) - plain.v[j].powi(2))
            .collect();
        let r: Vec<f64> = (0..n)
            .map(|i| {
                data.point(i)
                    .iter()
                    .zip(&w)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    - data.targets[i]
            })
            .collect();
        for j in 0..d {
            let g: f64 = (0..n).map(|i| data.point(i)[j] * r[i]).sum();
            let x = 2.0 * lr * g;
            plain.largest_x = plain.largest_x.max(x.abs());
            plain.u[j] *= 1.0 - x;
            plain.v[j] *= 1.0 + x;
            plain.log_alpha_squared[j] += (1.0 - x * x).abs().ln();
            plain.delta[j] += (1.0 - x).abs().ln() - (1.0 + x).abs().ln() + 2.0 * x;
        }
    }
    plain
}

/// This file's own solve of w = 2α∞² sinh(δ + Xᵀν), Xw = y: Newton on ν with the Jacobian
/// X diag(2α∞² cosh(δ + Xᵀν)) Xᵀ, halving the step until ‖Xw − y‖ decreases.
fn solve(data: &RegressionData, log_alpha_squared: &[f64], delta: &[f64]) -> Vec<f64> {
    let x = data.design();
    let y = DVector::from_column_slice(&data.targets);
    let weights = |nu: &DVector<f64>| -> (DVector<f64>, DVector<f64>) {
        let z = x.transpose() * nu;
        let w = DVector::from_fn(data.dim, |j, _| {
            2.0 * log_alpha_squared[j].exp() * (delta[j] + z[j]).sinh()
        });
        let slope = DVector::from_fn(data.dim, |j, _| {
            2.0 * log_alpha_squared[j].exp() * (delta[j] + z[j]).cosh()
        });
        (w, slope)
    };
    let mut nu = DVector::zeros(data.len());
    for _ in 0..200 {
        let (w, slope) = weights(&nu);
        let residual = &x * &w - &y;
        if residual.norm() <= 1e-14 * y.norm() {
            break;
        }
        let jacobian = &x * DMatrix::from_diagonal(&slope) * x.transpose();
        let step = jacobian.lu().solve(&residual).expect("a Newton step");
        let mut t = 1.0;
        loop {
            let trial = &nu - &step * t;
            let (w, _) = weights(&trial);
            if (&x * &w - &y).norm() < residual.norm() || t < 1e-12 {
                nu = trial;
                break;
            }
            t *= 0.5;
        }
    }
    weights(&nu).0.iter().copied().collect()
}

fn data() -> RegressionData {
    sparse_regression(12, 30, 3, 0.0, 5)
}

#[test]
fn gd_ends_on_its_effective_target_and_the_lab_reports_it_exactly() {
    let data = data();
    let (alpha, steps) = (0.3, 40_000);
    // A step near the stability edge, where finite steps move the answer most.
    let lr = 0.01;
    let plain = plain_gd(&data, lr, alpha, steps);
    assert!(plain.largest_x < 1.0, "every |x| < 1: {}", plain.largest_x);
    let lab = &runs_after(&data, vec![run(OptimizerKind::Gd, lr, alpha, 2)], steps)[0];
    let effective = lab
        .effective
        .as_ref()
        .expect("GD at depth 2 has an exact target");
    assert_eq!(effective.flipped, None);
    // α∞ = √|u v| of the plain loop, and ≤ α.
    for j in 0..data.dim {
        let expected = (plain.u[j] * plain.v[j]).abs().sqrt();
        let relative = (effective.alpha[j] - expected).abs() / expected;
        assert!(
            relative < 1e-12,
            "α∞[{j}] {} vs {expected}",
            effective.alpha[j]
        );
        assert!(effective.alpha[j] <= alpha * (1.0 + 1e-15));
    }
    // The lab's target is this file's solve from the plain loop's α∞ and δ.
    let target = effective.weights.as_ref().expect("a target");
    let own = solve(&data, &plain.log_alpha_squared, &plain.delta);
    assert!(distance(target, &own) < 1e-9, "{}", distance(target, &own));
    // The run has converged onto it; the gradient-flow target is measurably elsewhere.
    let w: Vec<f64> = (0..data.dim)
        .map(|j| plain.u[j].powi(2) - plain.v[j].powi(2))
        .collect();
    assert!(
        distance(&lab.w, &w) < 1e-10,
        "the lab's run is the plain loop's"
    );
    let on_target = distance(&w, target);
    assert!(
        on_target < 1e-10,
        "final w is {on_target} from its effective target"
    );
    let gradient_flow = lab.implicit.as_ref().expect("Q_α");
    let off = distance(gradient_flow, target);
    assert!(
        off > 1e-5,
        "at this step the finite-step target moved: {off}"
    );
    let reported = lab
        .distances
        .effective
        .expect("a distance to the effective target");
    assert!((reported - distance(&lab.w, target)).abs() <= 1e-12 * (1.0 + reported));
}

#[test]
fn as_the_step_shrinks_the_effective_target_tends_to_gradient_flows() {
    let data = data();
    let alpha = 0.3;
    let gaps: Vec<f64> = [0.01, 0.003, 0.001]
        .iter()
        .map(|&lr| {
            let steps = (400.0 / lr) as u64;
            let lab = &runs_after(&data, vec![run(OptimizerKind::Gd, lr, alpha, 2)], steps)[0];
            let effective = lab.effective.as_ref().unwrap().weights.as_ref().unwrap();
            distance(effective, lab.implicit.as_ref().unwrap())
        })
        .collect();
    assert!(gaps[0] > gaps[1] && gaps[1] > gaps[2], "{gaps:?}");
    // First order in lr: a third of the step, about a third of the gap (within a factor 2).
    let ratio = gaps[0] / gaps[1];
    assert!((1.5..6.0).contains(&ratio), "{gaps:?}");
}

#[test]
fn rules_whose_steps_do_not_multiply_the_factors_and_deeper_runs_have_none() {
    let data = data();
    let runs = vec![
        run(OptimizerKind::Adam, 0.01, 0.3, 2),
        run(OptimizerKind::Sign, 0.001, 0.3, 2),
        run(OptimizerKind::Gd, 0.001, 0.3, 3),
        run(OptimizerKind::Normalized, 0.001, 0.3, 2),
    ];
    let lab = runs_after(&data, runs, 100);
    assert!(lab[0].effective.is_none());
    assert!(lab[1].effective.is_none());
    assert!(lab[2].effective.is_none());
    assert!(
        lab[3].effective.is_some(),
        "normalized GD multiplies the factors too"
    );
}
