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
//! - α∞ ≤ α when every |x| < 1, and the effective target tends to Q_α as lr → 0;
//! - the same for mini-batch SGD and label noise, the plain loop drawing the batches and the
//!   noise from the streams the lab documents.

use implicit_bias::core::data::{RegressionData, sparse_regression};
use implicit_bias::core::experiment::{Experiment, ExperimentSpec, Problem, SnapshotBody};
use implicit_bias::core::kinds::diagonal::{
    DiagonalProblem, DiagonalRunSnapshot, DiagonalRunSpec, LabelNoise,
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
    }
}

fn run(kind: OptimizerKind, lr: f64, init_scale: f64, depth: u32) -> DiagonalRunSpec {
    DiagonalRunSpec {
        optimizer: OptimizerSpec::new(kind, lr),
        init_scale,
        depth,
        label_noise: None,
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
    plain_stochastic(
        data,
        lr,
        alpha,
        steps,
        Stream::new(data.len(), 0, 0, None, None),
    )
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

/// The stochastic steps of one run as the lab documents them (docs/presets.md): mini-batches
/// shuffled each epoch by a generator seeded `seed ^ 0x9E3779B97F4A7C15·(run + 1)` and served
/// in order (the last one short), and label noise σₜ·N(0, 1) per used point, in the order the
/// step uses them, from a generator seeded `seed ^ 0xD1B54A32D192ED03·(run + 1)`, with
/// σₜ = σ/(1 + t/τ) at step t from 1.
struct Stream {
    batch: Option<usize>,
    order: Vec<usize>,
    position: usize,
    shuffle: rand::rngs::StdRng,
    noise: Option<(f64, Option<f64>, rand::rngs::StdRng)>,
}

impl Stream {
    fn new(
        points: usize,
        seed: u64,
        run: u64,
        batch: Option<usize>,
        noise: Option<(f64, Option<f64>)>,
    ) -> Self {
        use rand::SeedableRng;
        Self {
            batch,
            order: (0..points).collect(),
            position: usize::MAX,
            shuffle: rand::rngs::StdRng::seed_from_u64(
                seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(run + 1),
            ),
            noise: noise.map(|(sigma, tau)| {
                (
                    sigma,
                    tau,
                    rand::rngs::StdRng::seed_from_u64(
                        seed ^ 0xD1B5_4A32_D192_ED03_u64.wrapping_mul(run + 1),
                    ),
                )
            }),
        }
    }

    /// The points step `step` uses, and the shift of each point's label (0 without noise).
    fn next(&mut self, step: u64, targets: usize) -> (Vec<usize>, Vec<f64>) {
        use rand::seq::SliceRandom;
        use rand_distr::{Distribution, StandardNormal};
        let used: Vec<usize> = match self.batch {
            None => (0..targets).collect(),
            Some(size) => {
                if self.position >= self.order.len() {
                    self.order.shuffle(&mut self.shuffle);
                    self.position = 0;
                }
                let end = (self.position + size).min(self.order.len());
                let batch = self.order[self.position..end].to_vec();
                self.position = end;
                batch
            }
        };
        let mut shifts = vec![0.0; targets];
        if let Some((sigma, tau, generator)) = &mut self.noise {
            let level = tau.map_or(*sigma, |tau| *sigma / (1.0 + step as f64 / tau));
            for &i in &used {
                let z: f64 = StandardNormal.sample(generator);
                shifts[i] = level * z;
            }
        }
        (used, shifts)
    }
}

/// [`plain_gd`] with the steps of a [`Stream`]: each step's gradient sums over its points,
/// against labels shifted by its noise. Still x = 2·lr·g, g = Xᵀ(·), so the same α∞ and δ.
fn plain_stochastic(
    data: &RegressionData,
    lr: f64,
    alpha: f64,
    steps: u64,
    mut stream: Stream,
) -> Plain {
    let (n, d) = (data.len(), data.dim);
    let mut plain = Plain {
        u: vec![alpha; d],
        v: vec![alpha; d],
        log_alpha_squared: vec![2.0 * alpha.ln(); d],
        delta: vec![0.0; d],
        largest_x: 0.0,
    };
    for step in 1..=steps {
        let (used, shifts) = stream.next(step, n);
        let w: Vec<f64> = (0..d)
            .map(|j| plain.u[j].powi(2) - plain.v[j].powi(2))
            .collect();
        let mut g = vec![0.0; d];
        for &i in &used {
            let r = data
                .point(i)
                .iter()
                .zip(&w)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                - (data.targets[i] + shifts[i]);
            for (gj, xij) in g.iter_mut().zip(data.point(i)) {
                *gj += xij * r;
            }
        }
        for (j, gj) in g.iter().enumerate() {
            let x = 2.0 * lr * gj;
            plain.largest_x = plain.largest_x.max(x.abs());
            plain.u[j] *= 1.0 - x;
            plain.v[j] *= 1.0 + x;
            plain.log_alpha_squared[j] += (1.0 - x * x).abs().ln();
            plain.delta[j] += (1.0 - x).abs().ln() - (1.0 + x).abs().ln() + 2.0 * x;
        }
    }
    plain
}

/// The lab's run against the plain loop: w, α∞ (1e-9), and the target against this file's
/// own solve from the loop's α∞ and δ (1e-9). Returns (final w's distance to the target,
/// the largest α∞/α).
fn compare_with_plain(
    lab: &DiagonalRunSnapshot,
    plain: &Plain,
    data: &RegressionData,
    alpha: f64,
) -> (f64, f64) {
    let w: Vec<f64> = (0..data.dim)
        .map(|j| plain.u[j].powi(2) - plain.v[j].powi(2))
        .collect();
    assert!(
        distance(&lab.w, &w) < 1e-9,
        "the lab's run is the plain loop's: {}",
        distance(&lab.w, &w)
    );
    let effective = lab.effective.as_ref().expect("an exact target");
    let mut largest = 0.0_f64;
    for j in 0..data.dim {
        let expected = (plain.u[j] * plain.v[j]).abs().sqrt();
        let from_sums = (0.5 * plain.log_alpha_squared[j]).exp();
        assert!(
            (expected - from_sums).abs() <= 1e-9 * expected,
            "√|uv| is α∞"
        );
        assert!(
            (effective.alpha[j] - expected).abs() <= 1e-9 * expected,
            "α∞[{j}] {} vs {expected}",
            effective.alpha[j]
        );
        largest = largest.max(effective.alpha[j] / alpha);
    }
    let target = effective.weights.as_ref().expect("a target");
    let own = solve(data, &plain.log_alpha_squared, &plain.delta);
    assert!(
        distance(target, &own) < 1e-9,
        "target vs own solve {}",
        distance(target, &own)
    );
    (distance(&w, target), largest)
}

fn stochastic_run(
    lr: f64,
    alpha: f64,
    batch: Option<usize>,
    noise: Option<(f64, Option<f64>)>,
) -> DiagonalRunSpec {
    let mut optimizer = OptimizerSpec::new(OptimizerKind::Sgd, lr);
    optimizer.batch = batch;
    DiagonalRunSpec {
        optimizer,
        init_scale: alpha,
        depth: 2,
        label_noise: noise.map(|(sigma, decay)| LabelNoise { sigma, decay }),
    }
}

#[test]
fn sgd_mini_batches_end_on_their_effective_target() {
    let data = data();
    let (alpha, lr, steps) = (0.3, 0.02, 60_000);
    let stream = Stream::new(data.len(), 0, 0, Some(4), None);
    let plain = plain_stochastic(&data, lr, alpha, steps, stream);
    assert!(plain.largest_x < 1.0, "every |x| < 1: {}", plain.largest_x);
    let lab = &runs_after(&data, vec![stochastic_run(lr, alpha, Some(4), None)], steps)[0];
    let (on_target, largest) = compare_with_plain(lab, &plain, &data, alpha);
    assert!(
        on_target < 1e-10,
        "final w is {on_target} from its effective target"
    );
    assert!(largest <= 1.0, "α∞ ≤ α while every |x| < 1: {largest}");
    let gradient_flow = lab.implicit.as_ref().expect("Q_α");
    assert!(
        distance(
            gradient_flow,
            lab.effective.as_ref().unwrap().weights.as_ref().unwrap()
        ) > 1e-5
    );
}

#[test]
fn label_noise_shrinks_alpha_and_the_run_tracks_its_effective_target() {
    let data = data();
    let (alpha, lr, steps) = (0.3, 0.005, 60_000);
    let noise = Some((0.5, Some(2000.0)));
    // The second run of the experiment, so its streams are run 1's.
    let stream = Stream::new(data.len(), 0, 1, Some(3), noise);
    let plain = plain_stochastic(&data, lr, alpha, steps, stream);
    let runs = vec![
        run(OptimizerKind::Gd, lr, alpha, 2),
        stochastic_run(lr, alpha, Some(3), noise),
    ];
    let lab = &runs_after(&data, runs, steps);
    let (on_target, largest) = compare_with_plain(&lab[1], &plain, &data, alpha);
    // Measured 2.2e-3: the noise is still σ/31 at the end, so the run jitters around it.
    assert!(
        on_target < 1e-2,
        "a decaying noise leaves the run near its target: {on_target}"
    );
    let gd_largest = lab[0]
        .effective
        .as_ref()
        .unwrap()
        .alpha
        .iter()
        .fold(0.0_f64, |m, a| m.max(*a))
        / alpha;
    assert!(
        largest < gd_largest,
        "noise shrinks α∞ below GD's: {largest} vs {gd_largest}"
    );
    // Full-batch label noise too (no batch: every point's label is shifted each step).
    let stream = Stream::new(data.len(), 0, 0, None, noise);
    let plain = plain_stochastic(&data, lr, alpha, 20_000, stream);
    let lab = &runs_after(&data, vec![stochastic_run(lr, alpha, None, noise)], 20_000)[0];
    compare_with_plain(lab, &plain, &data, alpha);
}
