//! Issue 8's update rules and claims. Each rule is checked against a plain loop written here from
//! its formula (not from the crate's code), Adam with ε = 0 against its first steps worked out by
//! hand, and each implicit-bias claim against the exact references on data where they are far
//! apart. Every test names its independent computation and its tolerance.

use std::path::Path;

use implicit_bias::core::data::LinearData;
use implicit_bias::core::experiment::{
    Experiment, ExperimentSpec, Layout, Problem, RunStatus, SnapshotBody,
};
use implicit_bias::core::kinds::linear::{LinearProblem, LinearRunSpec, LinearSnapshot};
use implicit_bias::core::model::{LinearModel, Loss};
use implicit_bias::core::optim::{
    NormalizeBy, Objective, OptimizerKind, OptimizerSpec, Rule, Schedule,
};
use implicit_bias::core::reference::MarginNorm;
use implicit_bias::headless;
use implicit_bias::preset;

/// The geometry clusters: the ℓ1, ℓ2 and ℓ∞ max-margin directions are 22° and 23° apart.
fn geometry_data() -> LinearData {
    let spec = shipped("geometry");
    let Problem::Linear(problem) = spec.problem else {
        panic!("geometry is linear")
    };
    problem.data
}

fn shipped(name: &str) -> ExperimentSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("presets")
        .join(format!("{name}.toml"));
    preset::load(&path).expect("shipped presets load")
}

/// An experiment on `data` with one run per (optimizer, start), references `references`.
fn spec(
    data: LinearData,
    loss: Loss,
    runs: Vec<(OptimizerSpec, Vec<f64>)>,
    references: Vec<MarginNorm>,
) -> ExperimentSpec {
    ExperimentSpec {
        title: "test".to_owned(),
        about: String::new(),
        seed: 1,
        problem: Problem::Linear(LinearProblem {
            data,
            loss,
            bias: false,
            runs: runs
                .into_iter()
                .map(|(optimizer, init)| LinearRunSpec { optimizer, init })
                .collect(),
            references,
            layout: Layout::Overlay,
        }),
        horizon: 1000,
    }
}

fn linear(experiment: &Experiment) -> LinearSnapshot {
    match experiment.snapshot().body {
        SnapshotBody::Linear(s) => s,
        _ => panic!("expected a linear experiment"),
    }
}

fn angle(snapshot: &LinearSnapshot, run: usize, norm: MarginNorm) -> f64 {
    snapshot.runs[run]
        .angles
        .iter()
        .find(|(n, _)| *n == norm)
        .map(|(_, a)| *a)
        .expect("the reference exists")
}

/// The full-batch loss of `model` as the optimizers see it.
struct FullBatch<'a>(&'a LinearModel);

impl Objective for FullBatch<'_> {
    fn gradient(&mut self, params: &[f64], grad: &mut [f64]) {
        self.0.gradient(params, grad);
    }

    fn scaled_gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.0.scaled_gradient(params, None, grad)
    }
}

/// `steps` updates of `spec` from `start` on the exp loss of the geometry data.
fn crate_run(spec: &OptimizerSpec, start: [f64; 2], steps: usize) -> [f64; 2] {
    let model = LinearModel::new(&geometry_data(), Loss::Exp, false);
    let mut optimizer = spec.build(2);
    let mut theta = start;
    let mut grad = [0.0; 2];
    for _ in 0..steps {
        optimizer.update(&mut theta, &mut grad, &mut FullBatch(&model));
    }
    theta
}

/// The signed rows zᵢ = yᵢxᵢ of the geometry data, for the plain loops.
fn rows() -> Vec<[f64; 2]> {
    let data = geometry_data();
    (0..data.len())
        .map(|i| {
            let x = data.point(i);
            [data.labels[i] * x[0], data.labels[i] * x[1]]
        })
        .collect()
}

/// ∇L = −Σ e^{−⟨w, zᵢ⟩} zᵢ for the exp loss, written from the formula.
fn plain_gradient(w: [f64; 2]) -> [f64; 2] {
    let mut g = [0.0; 2];
    for z in rows() {
        let weight = (-(w[0] * z[0] + w[1] * z[1])).exp();
        g[0] -= weight * z[0];
        g[1] -= weight * z[1];
    }
    g
}

fn assert_close(got: [f64; 2], want: [f64; 2], tol: f64, what: &str) {
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}: got {got:?}, want {want:?}"
        );
    }
}

const STEPS: usize = 3000;

#[test]
fn decaying_schedules_match_plain_loops() {
    // GD with lr/√t and sign descent with lr/t, each against its formula: 1e-12 relative over
    // 3000 steps (the engine sums the gradient four lanes at a time with its own exp, within an
    // ulp of this loop's; a wrong schedule would be off in the first digits).
    let mut gd = OptimizerSpec::new(OptimizerKind::Gd, 0.1);
    gd.schedule = Schedule::InvSqrt;
    let mut w = [-0.5, 1.0];
    for t in 1..=STEPS {
        let g = plain_gradient(w);
        let lr = 0.1 / (t as f64).sqrt();
        w = [w[0] - lr * g[0], w[1] - lr * g[1]];
    }
    assert_close(crate_run(&gd, [-0.5, 1.0], STEPS), w, 1e-12, "gd inv-sqrt");

    let mut sign = OptimizerSpec::new(OptimizerKind::Sign, 0.1);
    sign.schedule = Schedule::Inverse;
    let mut w = [-0.5, 1.0];
    for t in 1..=STEPS {
        let g = plain_gradient(w);
        let lr = 0.1 / t as f64;
        for j in 0..2 {
            if g[j] != 0.0 {
                w[j] -= lr * g[j].signum();
            }
        }
    }
    assert_close(
        crate_run(&sign, [-0.5, 1.0], STEPS),
        w,
        1e-12,
        "sign inverse",
    );
}

#[test]
fn normalized_both_ways_match_shifted_exponential_loops() {
    // Plain loops of w ← w + lr·d/‖d‖ and w ← w + lr·d/s, d = Σ e^{−(mᵢ−m)} zᵢ, s = Σ e^{−(mᵢ−m)},
    // m the least margin: the same updates with exp(m) cancelled. Tolerance 1e-12 relative,
    // over 3000 steps.
    for by in [NormalizeBy::Gradient, NormalizeBy::Loss] {
        let mut normalized = OptimizerSpec::new(OptimizerKind::Normalized, 0.1);
        normalized.rule = Rule::Normalized { by };
        let mut w = [-0.5, 1.0];
        for _ in 0..STEPS {
            let margins: Vec<f64> = rows().iter().map(|z| w[0] * z[0] + w[1] * z[1]).collect();
            let least = margins.iter().copied().fold(f64::INFINITY, f64::min);
            let (mut d, mut s) = ([0.0; 2], 0.0);
            for (z, m) in rows().iter().zip(&margins) {
                let weight = (least - m).exp();
                d[0] += weight * z[0];
                d[1] += weight * z[1];
                s += weight;
            }
            let divisor = match by {
                NormalizeBy::Gradient => d[0].hypot(d[1]),
                NormalizeBy::Loss => s,
            };
            w = [w[0] + 0.1 * d[0] / divisor, w[1] + 0.1 * d[1] / divisor];
        }
        let got = crate_run(&normalized, [-0.5, 1.0], STEPS);
        assert_close(got, w, 1e-12, by.name());
    }
}

#[test]
fn adam_with_zero_epsilon_and_inv_sqrt_matches_the_torch_formula() {
    // torch's Adam with lr_t = lr/√t and ε = 0, written out; a coordinate with v = 0 stays.
    // Tolerance 1e-12 relative over 3000 steps.
    let mut adam = OptimizerSpec::new(OptimizerKind::Adam, 0.01);
    adam.rule = Rule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 0.0,
    };
    adam.schedule = Schedule::InvSqrt;
    let (b1, b2) = (0.9_f64, 0.999_f64);
    let (mut w, mut m, mut v) = ([-0.5, 1.0], [0.0; 2], [0.0; 2]);
    for t in 1..=STEPS {
        let g = plain_gradient(w);
        let lr = 0.01 / (t as f64).sqrt();
        for j in 0..2 {
            m[j] = b1 * m[j] + (1.0 - b1) * g[j];
            v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
            let m_hat = m[j] / (1.0 - b1.powi(t as i32));
            let v_hat = v[j] / (1.0 - b2.powi(t as i32));
            if v_hat > 0.0 {
                w[j] -= lr * m_hat / v_hat.sqrt();
            }
        }
    }
    assert_close(crate_run(&adam, [-0.5, 1.0], STEPS), w, 1e-12, "adam eps=0");
}

#[test]
fn adam_with_zero_epsilon_first_steps_by_hand() {
    // θ₀ = (1, −2), g₁ = (0.5, 0), g₂ = (1, 1), lr 0.1, torch betas.
    // Step 1: m̂ = g₁, v̂ = g₁² → θ₁ = (1 − 0.1·0.5/0.5, −2) = (0.9, −2); the second coordinate
    // has v = 0 and does not move (no 0/0).
    // Step 2: m = (0.145, 0.1), v = (0.00124975, 0.001), bias corrections 0.19 and 0.001999:
    // θ₂ = θ₁ − 0.1·m̂/√v̂ = (0.80348179741782…, −2.07441368235669…), evaluated in float64 by hand.
    let mut adam = OptimizerSpec::new(OptimizerKind::Adam, 0.1);
    adam.rule = Rule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 0.0,
    };
    let mut optimizer = adam.build(2);
    let mut theta = [1.0, -2.0];
    optimizer.step(&mut theta, &[0.5, 0.0]);
    assert_close(theta, [0.9, -2.0], 1e-15, "first step");
    optimizer.step(&mut theta, &[1.0, 1.0]);
    assert_close(
        theta,
        [0.803_481_797_417_823_2, -2.074_413_682_356_698],
        1e-12,
        "second step",
    );
}

#[test]
fn mirror_descent_matches_its_formula_and_is_gradient_descent_at_p_2() {
    // θ = sign(w)|w|^{p−1}, θ ← θ − lr·∇L(w), w = sign(θ)|θ|^{1/(p−1)}: 1e-12 relative over
    // 3000 steps; p = 2 against plain GD bit-for-bit.
    for p in [1.5, 3.0] {
        let mut mirror = OptimizerSpec::new(OptimizerKind::Mirror, 0.1);
        mirror.rule = Rule::Mirror { p };
        let mut w = [-0.5, 1.0];
        for _ in 0..STEPS {
            let g = plain_gradient(w);
            for j in 0..2 {
                let dual = w[j].signum() * w[j].abs().powf(p - 1.0) - 0.1 * g[j];
                w[j] = dual.signum() * dual.abs().powf(1.0 / (p - 1.0));
            }
        }
        assert_close(crate_run(&mirror, [-0.5, 1.0], STEPS), w, 1e-12, "mirror");
    }
    let mut mirror = OptimizerSpec::new(OptimizerKind::Mirror, 0.1);
    mirror.rule = Rule::Mirror { p: 2.0 };
    let gd = OptimizerSpec::new(OptimizerKind::Gd, 0.1);
    assert_eq!(
        crate_run(&mirror, [-0.5, 1.0], STEPS),
        crate_run(&gd, [-0.5, 1.0], STEPS)
    );
}

/// Max margin 2.2 along e₁: the support points (±2.2, 0); (±3, ±1) have margin 3 > 2.2 there,
/// and any tilt lowers 2.2·cos.
fn margin_2_2_data() -> LinearData {
    LinearData {
        dim: 2,
        points: vec![2.2, 0.0, -2.2, 0.0, 3.0, 1.0, -3.0, -1.0],
        labels: vec![1.0, -1.0, 1.0, -1.0],
    }
}

#[test]
fn normalized_descent_never_freezes_where_every_exponential_underflows() {
    // The case: max margin 2.2, lr 0.1 from [2, −1]. By step ~3,400 every exp(−margin)
    // underflows (the plain gradient is exactly 0, checked below), which froze the old rule; the
    // shifted exponentials keep both normalizations moving for 10⁶ steps, ‖w‖ growing by lr
    // per step (gradient) and the direction on e₁ to 1e-6 (the exact max-margin direction).
    let runs = [NormalizeBy::Gradient, NormalizeBy::Loss]
        .into_iter()
        .map(|by| {
            let mut spec = OptimizerSpec::new(OptimizerKind::Normalized, 0.1);
            spec.rule = Rule::Normalized { by };
            (spec, vec![2.0, -1.0])
        })
        .collect();
    let mut experiment = Experiment::new(spec(
        margin_2_2_data(),
        Loss::Exp,
        runs,
        vec![MarginNorm::L2],
    ));
    experiment.step(1_000_000);
    let snapshot = linear(&experiment);
    let model = LinearModel::new(&margin_2_2_data(), Loss::Exp, false);
    for run in &snapshot.runs {
        assert_eq!(run.status, RunStatus::Ok, "{}", run.optimizer.label());
        let w: Vec<f64> = run.direction.iter().map(|d| d * run.norm).collect();
        let mut plain = vec![0.0; 2];
        model.gradient(&w, &mut plain);
        assert_eq!(plain, [0.0, 0.0], "the plain gradient has underflowed");
        assert!((run.direction[0] - 1.0).abs() < 1e-6, "{:?}", run.direction);
    }
    assert!((snapshot.runs[0].norm - 100_000.0).abs() < 10.0);
}

#[test]
fn adam_with_zero_epsilon_and_decaying_rate_ends_nearer_linf_than_l2() {
    // Exact references on the geometry clusters (ℓ2 and ℓ∞ 23° apart); 10⁵ steps of the
    // adam-epsilon preset's ε = 0, lr/√t run. Claim (Zhang, Zou, Cao 2024): nearer ℓ∞.
    let spec = shipped("adam-epsilon");
    let mut experiment = Experiment::new(spec);
    experiment.step(100_000);
    let s = linear(&experiment);
    let (to_l2, to_linf) = (angle(&s, 1, MarginNorm::L2), angle(&s, 1, MarginNorm::Linf));
    assert!(to_linf < 5.0 && to_l2 > 20.0, "∠ℓ2 {to_l2}, ∠ℓ∞ {to_linf}");
    assert_eq!(s.runs[1].predicted, Some(MarginNorm::Linf));
    assert_eq!(s.runs[0].predicted, Some(MarginNorm::L2));
}

#[test]
fn mirror_descent_with_p_3_moves_towards_l3() {
    // From [1, −1] on the geometry clusters, against the exact ℓ1.5, ℓ2, ℓ3 references: the
    // angle to ℓ3 falls decade by decade and ends smaller than to any other.
    let mut mirror = OptimizerSpec::new(OptimizerKind::Mirror, 0.1);
    mirror.rule = Rule::Mirror { p: 3.0 };
    let l3 = MarginNorm::lp(3.0).unwrap();
    let l15 = MarginNorm::lp(1.5).unwrap();
    let mut experiment = Experiment::new(spec(
        geometry_data(),
        Loss::Exp,
        vec![(mirror, vec![1.0, -1.0])],
        vec![l15, MarginNorm::L2, l3],
    ));
    let mut angles = vec![];
    for steps in [1_000, 9_000, 90_000] {
        experiment.step(steps);
        angles.push(angle(&linear(&experiment), 0, l3));
    }
    assert!(angles.windows(2).all(|w| w[1] < w[0]), "{angles:?}");
    let s = linear(&experiment);
    assert!(angles[2] < angle(&s, 0, MarginNorm::L2) && angles[2] < angle(&s, 0, l15));
    assert_eq!(s.runs[0].predicted, Some(l3));
}

/// The margin gap (exact ℓ2 max margin − the run's margin) of each run of `spec` at `steps`.
fn margin_gaps(spec: &ExperimentSpec, checkpoints: &[u64]) -> Vec<Vec<f64>> {
    let mut experiment = Experiment::new(spec.clone());
    checkpoints
        .iter()
        .map(|&t| {
            experiment.step(t - experiment.steps_done());
            let s = linear(&experiment);
            let best = s
                .references
                .iter()
                .find(|(n, _)| *n == MarginNorm::L2)
                .and_then(|(_, r)| r.as_ref().ok())
                .expect("ℓ2 reference")
                .margin;
            s.runs.iter().map(|r| best - r.margin).collect()
        })
        .collect()
}

#[test]
fn normalized_by_loss_margin_gap_falls_tenfold_per_decade() {
    // Ji & Telgarsky 2021: O(1/t). Measured on the rates preset against the exact ℓ2 margin:
    // the gap shrinks 7–14× from 10³ to 10⁴ and from 10⁴ to 10⁵, while GD's shrinks < 2×.
    let gaps = margin_gaps(&shipped("rates"), &[1_000, 10_000, 100_000]);
    for decade in gaps.windows(2) {
        let loss_ratio = decade[0][2] / decade[1][2];
        assert!((7.0..14.0).contains(&loss_ratio), "by loss: {loss_ratio}");
        let gd_ratio = decade[0][0] / decade[1][0];
        assert!(gd_ratio < 2.0, "gd: {gd_ratio}");
    }
}

#[test]
fn logistic_gd_with_one_flipped_label_converges() {
    // Flipping one label of the geometry clusters leaves no separating hyperplane (the exact LP
    // says so), so logistic loss has a finite minimiser; GD reaches it to working precision and
    // stops `converged`. Independent check: the gradient there, summed here, is below 1e-12.
    let mut data = geometry_data();
    data.labels[0] = -data.labels[0];
    let gd = OptimizerSpec::new(OptimizerKind::Gd, 0.1);
    let spec = spec(
        data.clone(),
        Loss::Logistic,
        vec![(gd, vec![0.0, 0.0])],
        vec![MarginNorm::L2],
    );
    let mut experiment = Experiment::new(spec);
    experiment.step(100_000);
    let s = linear(&experiment);
    let run = &s.runs[0];
    assert!(
        matches!(run.status, RunStatus::Converged { .. }),
        "{:?}",
        run.status
    );
    assert!(experiment.all_stopped());
    let w: Vec<f64> = run.direction.iter().map(|d| d * run.norm).collect();
    let mut g = [0.0; 2];
    for i in 0..data.len() {
        let x = data.point(i);
        let margin = data.labels[i] * (w[0] * x[0] + w[1] * x[1]);
        let weight = 1.0 / (1.0 + margin.exp());
        g[0] -= weight * data.labels[i] * x[0];
        g[1] -= weight * data.labels[i] * x[1];
    }
    assert!(g[0].hypot(g[1]) < 1e-12, "{g:?}");
    let json = headless::report_json(&experiment);
    assert!(json.contains("\"status\": \"converged\""));
    assert!(
        json.contains("cannot help"),
        "no `bias = true` hint: {json}"
    );
}

#[test]
fn exp_loss_gd_on_separable_data_is_never_converged() {
    // Separable data have no finite minimiser. 10⁸ steps in an optimized build (a few seconds),
    // 10⁶ in a debug one; the run must still be moving: neither converged nor frozen.
    let steps = if cfg!(debug_assertions) {
        1_000_000
    } else {
        100_000_000
    };
    let gd = OptimizerSpec::new(OptimizerKind::Gd, 0.1);
    let mut experiment = Experiment::new(spec(
        margin_2_2_data(),
        Loss::Exp,
        vec![(gd, vec![2.0, -1.0])],
        vec![MarginNorm::L2],
    ));
    experiment.step(steps);
    assert_eq!(linear(&experiment).runs[0].status, RunStatus::Ok);
}

#[test]
fn json_reports_each_runs_prediction() {
    // The theory's table: adam ε > 0 → l2, ε = 0 with inv-sqrt → linf; mirror p → lp; null for
    // adagrad, whose reference is then not added.
    let mut experiment = Experiment::new(shipped("adam-epsilon"));
    experiment.step(1);
    let json: serde_json::Value =
        serde_json::from_str(&headless::report_json(&experiment)).unwrap();
    let predicted: Vec<&str> = json["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["predicted"].as_str().unwrap())
        .collect();
    assert_eq!(predicted, ["l2", "linf"]);
    let mut mirror = OptimizerSpec::new(OptimizerKind::Mirror, 0.1);
    mirror.rule = Rule::Mirror { p: 3.0 };
    let adagrad = OptimizerSpec::new(OptimizerKind::Adagrad, 0.1);
    let experiment = Experiment::new(spec(
        geometry_data(),
        Loss::Exp,
        vec![(mirror, vec![0.0, 0.0]), (adagrad, vec![0.0, 0.0])],
        vec![MarginNorm::L2],
    ));
    let json: serde_json::Value =
        serde_json::from_str(&headless::report_json(&experiment)).unwrap();
    assert_eq!(json["runs"][0]["predicted"], "l3");
    assert!(json["runs"][1]["predicted"].is_null());
    let references: Vec<&String> = json["references"].as_object().unwrap().keys().collect();
    assert_eq!(
        references,
        ["l2", "l3"],
        "the predicted ℓ3 is added after the listed ones"
    );
}
