//! The network kind's engine against independent computations: full-batch and mini-batch runs
//! replayed by a plain float64 loop written here from the issue's formulas (backpropagation by
//! hand over nested vectors, libm's tanh, the documented batch shuffle), sharpness records
//! against the eigenvalues of a Hessian written out by hand, the scalar-net and
//! edge-of-stability claims, results that do not depend on threads or batching, and the
//! reports' keys, columns and null rule.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, StandardNormal};

use implicit_bias::core::data::RegressionData;
use implicit_bias::core::experiment::RunStatus;
use implicit_bias::core::kinds::network::report;
use implicit_bias::core::kinds::network::{
    Activation, Architecture, Network, NetworkExperiment, NetworkInit, NetworkLoss, NetworkProblem,
    NetworkRunSpec, NetworkSnapshot, chebyshev, load_init, load_network_csv, moons,
};
use implicit_bias::core::optim::{OptimizerKind, OptimizerSpec};
use implicit_bias::core::par::Threads;

// ---------------------------------------------------------------------------------------------
// A plain loop: the network as nested vectors, written from the formulas.

/// Per layer, its weights as a list of rows.
type Weights = Vec<Vec<Vec<f64>>>;
/// Per layer, its biases.
type Biases = Vec<Vec<f64>>;

/// f(x) = W_L σ(… σ(W₁x + b₁) …) + b_L as lists of rows and biases.
#[derive(Debug, Clone)]
struct Plain {
    weights: Weights,
    biases: Biases,
    activation: Activation,
    loss: NetworkLoss,
}

fn sigma(activation: Activation, z: f64) -> (f64, f64) {
    match activation {
        Activation::Tanh => {
            let t = z.tanh();
            (t, 1.0 - t * t)
        }
        Activation::Relu => {
            if z > 0.0 {
                (z, 1.0)
            } else {
                (0.0, 0.0)
            }
        }
        Activation::Linear => (z, 1.0),
        Activation::Gelu => unreachable!("not replayed here"),
    }
}

/// ℓ and ℓ' of one point: ½(f − y)², or log(1 + e^{−yf}).
fn point_loss(loss: NetworkLoss, f: f64, y: f64) -> (f64, f64) {
    match loss {
        NetworkLoss::Squared => (0.5 * (f - y) * (f - y), f - y),
        NetworkLoss::Logistic => {
            let m = y * f;
            ((-m).exp().ln_1p(), -y / (1.0 + m.exp()))
        }
    }
}

impl Plain {
    /// The mean loss over `points` (indices into xs, ys) and its gradient, same layout.
    fn loss_and_gradient(
        &self,
        xs: &[Vec<f64>],
        ys: &[f64],
        points: &[usize],
    ) -> (f64, Weights, Biases) {
        let layers = self.weights.len();
        let mut gw: Weights = self
            .weights
            .iter()
            .map(|w| w.iter().map(|row| vec![0.0; row.len()]).collect())
            .collect();
        let mut gb: Biases = self.biases.iter().map(|b| vec![0.0; b.len()]).collect();
        let n = points.len() as f64;
        let mut total = 0.0;
        for &i in points {
            // Forward, keeping every layer's input and σ'.
            let mut inputs = vec![xs[i].clone()];
            let mut slopes = vec![];
            for l in 0..layers {
                let a = &inputs[l];
                let z: Vec<f64> = self.weights[l]
                    .iter()
                    .zip(&self.biases[l])
                    .map(|(row, b)| row.iter().zip(a).map(|(w, x)| w * x).sum::<f64>() + b)
                    .collect();
                if l + 1 < layers {
                    let (values, derivs): (Vec<f64>, Vec<f64>) =
                        z.iter().map(|&z| sigma(self.activation, z)).unzip();
                    inputs.push(values);
                    slopes.push(derivs);
                } else {
                    inputs.push(z);
                }
            }
            let f = inputs[layers][0];
            let (value, first) = point_loss(self.loss, f, ys[i]);
            total += value / n;
            // Backward.
            let mut delta = vec![first / n];
            for l in (0..layers).rev() {
                for (o, d) in delta.iter().enumerate() {
                    gb[l][o] += d;
                    for (k, a) in inputs[l].iter().enumerate() {
                        gw[l][o][k] += d * a;
                    }
                }
                if l > 0 {
                    delta = (0..inputs[l].len())
                        .map(|k| {
                            let back: f64 = delta
                                .iter()
                                .enumerate()
                                .map(|(o, d)| d * self.weights[l][o][k])
                                .sum();
                            back * slopes[l - 1][k]
                        })
                        .collect();
                }
            }
        }
        (total, gw, gb)
    }

    fn gd_step(&mut self, lr: f64, gw: &[Vec<Vec<f64>>], gb: &[Vec<f64>]) {
        for (w, g) in self
            .weights
            .iter_mut()
            .flatten()
            .flatten()
            .zip(gw.iter().flatten().flatten())
        {
            *w -= lr * g;
        }
        for (b, g) in self.biases.iter_mut().flatten().zip(gb.iter().flatten()) {
            *b -= lr * g;
        }
    }

    /// The flat layout of the engine: per layer the weights row-major, then the biases.
    fn flat(&self) -> Vec<f64> {
        let mut flat = vec![];
        for (w, b) in self.weights.iter().zip(&self.biases) {
            flat.extend(w.iter().flatten());
            flat.extend(b);
        }
        flat
    }
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn max_relative(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// A scratch folder of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("network-engine-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Writes the plain network's layers as init CSV files (fan_out rows × fan_in + 1, bias last).
fn write_init(plain: &Plain, dir: &std::path::Path, bias: bool) -> Vec<PathBuf> {
    plain
        .weights
        .iter()
        .zip(&plain.biases)
        .enumerate()
        .map(|(l, (w, b))| {
            let text: String = w
                .iter()
                .zip(b)
                .map(|(row, bias_value)| {
                    let mut cells: Vec<String> = row.iter().map(|x| format!("{x:?}")).collect();
                    if bias {
                        cells.push(format!("{bias_value:?}"));
                    }
                    cells.join(",") + "\n"
                })
                .collect();
            let path = dir.join(format!("w{}.csv", l + 1));
            std::fs::write(&path, text).expect("a writable scratch file");
            path
        })
        .collect()
}

fn data(xs: &[Vec<f64>], ys: &[f64]) -> RegressionData {
    RegressionData {
        dim: xs[0].len(),
        points: xs.iter().flatten().copied().collect(),
        targets: ys.to_vec(),
        planted: None,
    }
}

fn gd(lr: f64) -> OptimizerSpec {
    OptimizerSpec::new(OptimizerKind::Gd, lr)
}

fn two() -> Threads {
    Threads::new(NonZeroUsize::new(2).expect("2 > 0"))
}

/// A 2 → 3 → 2 → 1 network with irregular weights and biases.
fn tiny(activation: Activation, loss: NetworkLoss) -> Plain {
    Plain {
        weights: vec![
            vec![vec![0.5, -0.3], vec![-0.8, 0.2], vec![0.1, 0.9]],
            vec![vec![0.7, -0.4, 0.3], vec![-0.2, 0.6, 0.5]],
            vec![vec![0.9, -0.7]],
        ],
        biases: vec![vec![0.1, -0.2, 0.05], vec![0.0, 0.3], vec![-0.1]],
        activation,
        loss,
    }
}

// ---------------------------------------------------------------------------------------------
// Replays.

#[test]
fn full_batch_gd_from_init_files_replays_a_plain_loop_for_100_steps() {
    let xs: Vec<Vec<f64>> = vec![
        vec![-1.0, 0.5],
        vec![-0.3, -0.8],
        vec![0.2, 0.1],
        vec![0.7, -0.4],
        vec![1.1, 0.9],
    ];
    for (activation, loss, ys, lr) in [
        (
            Activation::Tanh,
            NetworkLoss::Squared,
            vec![0.3, -0.2, 0.8, 0.1, -0.5],
            0.3,
        ),
        (
            Activation::Relu,
            NetworkLoss::Logistic,
            vec![1.0, -1.0, 1.0, -1.0, 1.0],
            0.5,
        ),
        (
            Activation::Linear,
            NetworkLoss::Squared,
            vec![0.3, -0.2, 0.8, 0.1, -0.5],
            0.1,
        ),
    ] {
        let mut plain = tiny(activation, loss);
        let dir = scratch(&format!("replay-{}", activation.name()));
        let files = write_init(&plain, &dir, true);
        let architecture = Architecture::new(2, &[3, 2], true, activation, loss);
        let init = load_init(&files, &architecture).expect("the init files load");
        assert_eq!(init, plain.flat(), "the files hold the plain network");
        let mut problem = NetworkProblem::new(
            data(&xs, &ys),
            architecture,
            NetworkInit::Explicit(init),
            vec![NetworkRunSpec::new(gd(lr))],
        );
        problem.sharpness_every = 0;
        let mut engine = NetworkExperiment::new(&problem, 1);
        let all: Vec<usize> = (0..xs.len()).collect();
        for step in 0..100 {
            let (loss_here, gw, gb) = plain.loss_and_gradient(&xs, &ys, &all);
            let snapshot = engine.snapshot();
            let got = snapshot.runs[0].train_loss;
            assert!(
                relative(got, loss_here) < 1e-12,
                "{} step {step}: loss {got} vs plain {loss_here}",
                activation.name()
            );
            plain.gd_step(lr, &gw, &gb);
            engine.step(step, 1, Threads::ONE);
        }
        let gap = max_relative(&engine.snapshot().runs[0].params, &plain.flat());
        assert!(
            gap < 1e-12,
            "{}: parameters off by {gap:e}",
            activation.name()
        );
        std::fs::remove_dir_all(dir).ok();
    }
}

/// The documented LeCun start of a network with `sizes` (input, hidden…, 1), written out here:
/// a fresh generator seeded with `seed`, one standard normal per weight, layer after layer,
/// row-major, times `scale`/√fan_in; biases 0.
fn lecun_plain(sizes: &[usize], scale: f64, seed: u64, loss: NetworkLoss) -> Plain {
    let mut rng = StdRng::seed_from_u64(seed);
    let weights: Weights = sizes
        .windows(2)
        .map(|pair| {
            let sd = scale / (pair[0] as f64).sqrt();
            (0..pair[1])
                .map(|_| {
                    (0..pair[0])
                        .map(|_| {
                            let z: f64 = StandardNormal.sample(&mut rng);
                            sd * z
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let biases: Biases = sizes[1..].iter().map(|&n| vec![0.0; n]).collect();
    Plain {
        weights,
        biases,
        activation: Activation::Tanh,
        loss,
    }
}

#[test]
fn a_run_of_its_own_widths_replays_a_plain_loop_from_its_own_lecun_draw_for_100_steps() {
    // [model] 2 → 3 → 2 → 1; run 2 is 2 → 4 → 1 at its own init_scale, run 3 a deeper
    // 2 → 5 → 3 → 2 → 1. Each starts from the seed's draw for its own shape, written out above.
    let xs: Vec<Vec<f64>> = (0..6)
        .map(|i| vec![f64::from(i) * 0.35 - 0.9, (f64::from(i) * 1.3).cos()])
        .collect();
    let ys: Vec<f64> = (0..6).map(|i| (f64::from(i) * 0.7).sin()).collect();
    let seed = 11;
    let architecture = Architecture::new(2, &[3, 2], true, Activation::Tanh, NetworkLoss::Squared);
    let mut shallow = NetworkRunSpec::new(gd(0.3));
    shallow.widths = Some(vec![4]);
    shallow.init_scale = Some(0.8);
    let mut deeper = NetworkRunSpec::new(gd(0.2));
    deeper.widths = Some(vec![5, 3, 2]);
    let runs = vec![NetworkRunSpec::new(gd(0.3)), shallow, deeper];
    let mut problem = NetworkProblem::new(
        data(&xs, &ys),
        architecture.clone(),
        NetworkInit::LeCun { scale: 1.0 },
        runs,
    );
    problem.sharpness_every = 0;
    let mut engine = NetworkExperiment::new(&problem, seed);
    let mut plains = [
        (
            lecun_plain(&[2, 4, 1], 0.8, seed, NetworkLoss::Squared),
            0.3,
            1,
        ),
        (
            lecun_plain(&[2, 5, 3, 2, 1], 1.0, seed, NetworkLoss::Squared),
            0.2,
            2,
        ),
    ];
    let all: Vec<usize> = (0..xs.len()).collect();
    for step in 0..100 {
        let snapshot = engine.snapshot();
        for (plain, lr, run) in &mut plains {
            let (loss_here, gw, gb) = plain.loss_and_gradient(&xs, &ys, &all);
            let got = snapshot.runs[*run].train_loss;
            assert!(
                relative(got, loss_here) < 1e-12,
                "run {} step {step}: loss {got} vs plain {loss_here}",
                *run + 1
            );
            plain.gd_step(*lr, &gw, &gb);
        }
        engine.step(step, 1, Threads::ONE);
    }
    let snapshot = engine.snapshot();
    for (plain, _, run) in &plains {
        let gap = max_relative(&snapshot.runs[*run].params, &plain.flat());
        assert!(gap < 1e-12, "run {}: parameters off by {gap:e}", run + 1);
    }
    // The run of the [model] shape keeps its bits: the same as in a problem without the others.
    let mut alone = NetworkProblem::new(
        data(&xs, &ys),
        architecture,
        NetworkInit::LeCun { scale: 1.0 },
        vec![NetworkRunSpec::new(gd(0.3))],
    );
    alone.sharpness_every = 0;
    let mut alone = NetworkExperiment::new(&alone, seed);
    alone.step(0, 100, Threads::ONE);
    assert_eq!(snapshot.runs[0].params, alone.snapshot().runs[0].params);
    // Names and shapes: only the runs of other widths are named by them.
    let labels: Vec<&str> = snapshot.runs.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "gd lr=0.3",
            "gd lr=0.3 init=0.8 widths=[4]",
            "gd lr=0.2 widths=[5,3,2]"
        ]
    );
    let json = serde_json::to_value(report::report("t", 100, &snapshot)).expect("serialisable");
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(json["parameters"], 2 * 3 + 3 + 3 * 2 + 2 + 2 + 1);
    assert_eq!(runs[0]["architecture"], "2→3→2→1 tanh");
    assert!(runs[0].get("parameters").is_none(), "{}", runs[0]);
    assert_eq!(runs[1]["architecture"], "2→4→1 tanh");
    assert_eq!(runs[1]["parameters"], 4 * 2 + 4 + 4 + 1);
    assert_eq!(
        runs[2]["parameters"],
        5 * 2 + 5 + 3 * 5 + 3 + 2 * 3 + 2 + 2 + 1
    );
}

#[test]
fn init_files_refuse_a_run_of_other_widths_and_accept_one_of_the_same() {
    let plain = tiny(Activation::Tanh, NetworkLoss::Squared);
    let architecture = Architecture::new(2, &[3, 2], true, Activation::Tanh, NetworkLoss::Squared);
    let xs = vec![vec![0.1, 0.2], vec![-0.4, 0.3]];
    let problem = |widths: Vec<usize>| {
        let mut run = NetworkRunSpec::new(gd(0.1));
        run.widths = Some(widths);
        NetworkProblem::new(
            data(&xs, &[0.5, -0.5]),
            architecture.clone(),
            NetworkInit::Explicit(plain.flat()),
            vec![NetworkRunSpec::new(gd(0.1)), run],
        )
    };
    let refused = problem(vec![4])
        .check()
        .expect_err("the files hold 2 → 3 → 2 → 1")
        .to_string();
    assert!(
        refused.contains("run 2") && refused.contains("init files"),
        "{refused}"
    );
    let same = problem(vec![3, 2]);
    assert_eq!(same.check(), Ok(()));
    assert_eq!(same.label(1), "gd lr=0.1", "the [model] shape is not named");
}

#[test]
fn a_preset_of_mixed_widths_runs_through_the_binary_and_names_each_runs_network() {
    let bin = env!("CARGO_BIN_EXE_implicit-bias");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| {
        let output = std::process::Command::new(bin)
            .args(args)
            .current_dir(&root)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), output.stdout, stderr)
    };
    let preset = "tests/bad-presets/should-load/network-run-widths.toml";
    let (code, stdout, stderr) = run(&["run", preset, "--steps", "20"]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&stdout).expect("JSON");
    let runs = json["runs"].as_array().expect("runs");
    let shapes: Vec<&str> = runs
        .iter()
        .map(|r| r["architecture"].as_str().expect("a string"))
        .collect();
    assert_eq!(shapes, ["1→8→6→1 tanh", "1→10→1 tanh", "1→8→6→1 tanh"]);
    assert_eq!(runs[1]["label"], "gd lr=0.2 widths=[10]");
    assert_eq!(runs[1]["parameters"], 31);
    assert!(
        runs[2].get("parameters").is_none(),
        "[model]'s widths again"
    );
    assert_eq!(json["parameters"], 8 + 8 + 6 * 8 + 6 + 6 + 1, "1→8→6→1");
    // The same through --set, on a shipped preset: it passes the file's checks...
    let shipped = "presets/edge-of-stability.toml";
    let (code, stdout, stderr) = run(&[
        "run",
        shipped,
        "--steps",
        "1",
        "--set",
        "runs.2.widths=[10]",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&stdout).expect("JSON");
    assert_eq!(json["runs"][1]["architecture"], "1→10→1 tanh");
    assert_eq!(json["runs"][0]["architecture"], "1→30→20→1 tanh");
    // ... and is refused as the file's value would be, named by its argument.
    let (code, _, stderr) = run(&["check", shipped, "--set", "runs.2.widths=[0]"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--set runs.2.widths=[0]: runs[2].widths: 0 is out of range"),
        "{stderr}"
    );
}

#[test]
fn mini_batch_sgd_replays_a_plain_loop_with_the_documented_shuffles() {
    // 7 points, batches of 3: every epoch reshuffles 0..7 with the run's generator, seeded
    // seed ^ 0x9E3779B97F4A7C15·(index + 1), then cuts it into 3, 3 and 1.
    let xs: Vec<Vec<f64>> = (0..7)
        .map(|i| vec![f64::from(i) * 0.3 - 1.0, (f64::from(i) * 1.7).sin()])
        .collect();
    let ys: Vec<f64> = (0..7).map(|i| (f64::from(i) * 0.9).cos()).collect();
    let mut plain = tiny(Activation::Tanh, NetworkLoss::Squared);
    let architecture = Architecture::new(2, &[3, 2], true, Activation::Tanh, NetworkLoss::Squared);
    let mut optimizer = OptimizerSpec::new(OptimizerKind::Sgd, 0.2);
    optimizer.batch = Some(3);
    let seed = 42;
    let runs = vec![NetworkRunSpec::new(gd(0.2)), NetworkRunSpec::new(optimizer)];
    let mut problem = NetworkProblem::new(
        data(&xs, &ys),
        architecture,
        NetworkInit::Explicit(plain.flat()),
        runs,
    );
    problem.sharpness_every = 0;
    let mut engine = NetworkExperiment::new(&problem, seed);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(2));
    let mut order: Vec<usize> = (0..7).collect();
    let mut position = 7;
    let all: Vec<usize> = (0..7).collect();
    for step in 0..40 {
        if position >= 7 {
            order.shuffle(&mut rng);
            position = 0;
        }
        let batch = order[position..(position + 3).min(7)].to_vec();
        position += batch.len();
        let (_, gw, gb) = plain.loss_and_gradient(&xs, &ys, &batch);
        plain.gd_step(0.2, &gw, &gb);
        engine.step(step, 1, Threads::ONE);
        let full = plain.loss_and_gradient(&xs, &ys, &all).0;
        let got = engine.snapshot().runs[1].train_loss;
        assert!(
            relative(got, full) < 1e-12,
            "step {}: loss {got} vs plain {full}",
            step + 1
        );
    }
    let gap = max_relative(&engine.snapshot().runs[1].params, &plain.flat());
    assert!(gap < 1e-12, "parameters off by {gap:e}");
}

// ---------------------------------------------------------------------------------------------
// Curvature against a Hessian written out by hand.

/// f(x) = Σₖ cₖ tanh(aₖx + bₖ) + d, the engine's layout [a, b, c, d]: the dense Hessian of
/// L = 1/(2n) Σ (f − y)², H = 1/n Σᵢ (∇f ∇fᵀ + rᵢ ∇²f).
fn one_layer_hessian(params: &[f64], xs: &[f64], ys: &[f64]) -> DMatrix<f64> {
    let width = (params.len() - 1) / 3;
    let (a, rest) = params.split_at(width);
    let (b, rest) = rest.split_at(width);
    let (c, d) = rest.split_at(width);
    let p = params.len();
    let mut h = DMatrix::zeros(p, p);
    let n = xs.len() as f64;
    for (&x, &y) in xs.iter().zip(ys) {
        let t: Vec<f64> = (0..width).map(|k| (a[k] * x + b[k]).tanh()).collect();
        let s: Vec<f64> = t.iter().map(|t| 1.0 - t * t).collect();
        let f: f64 = (0..width).map(|k| c[k] * t[k]).sum::<f64>() + d[0];
        let r = f - y;
        let mut grad = vec![0.0; p];
        for k in 0..width {
            grad[k] = c[k] * s[k] * x;
            grad[width + k] = c[k] * s[k];
            grad[2 * width + k] = t[k];
        }
        grad[3 * width] = 1.0;
        for i in 0..p {
            for j in 0..p {
                h[(i, j)] += grad[i] * grad[j] / n;
            }
        }
        for k in 0..width {
            let curve = -2.0 * t[k] * s[k];
            let (ia, ib, ic) = (k, width + k, 2 * width + k);
            let entries = [
                (ia, ia, c[k] * curve * x * x),
                (ia, ib, c[k] * curve * x),
                (ib, ib, c[k] * curve),
                (ia, ic, s[k] * x),
                (ib, ic, s[k]),
            ];
            for (i, j, value) in entries {
                h[(i, j)] += r * value / n;
                if i != j {
                    h[(j, i)] += r * value / n;
                }
            }
        }
    }
    h
}

fn eigenvalues_descending(m: DMatrix<f64>) -> Vec<f64> {
    let mut values: Vec<f64> = SymmetricEigen::new(m).eigenvalues.iter().copied().collect();
    values.sort_by(|x, y| y.total_cmp(x));
    values
}

fn one_layer_problem(
    optimizer: OptimizerSpec,
    every: u64,
    top_k: usize,
) -> (NetworkProblem, Vec<f64>, Vec<f64>) {
    let xs = vec![-0.9, -0.5, -0.1, 0.2, 0.6, 1.0];
    let ys = vec![0.4, -0.6, 0.9, 0.2, -0.8, 0.5];
    let start = vec![
        1.5, -2.0, 0.8, 2.5, // a
        0.3, -0.2, 0.1, -0.4, // b
        1.2, 0.9, -1.4, 0.7,  // c
        0.05, // d
    ];
    let architecture = Architecture::new(1, &[4], true, Activation::Tanh, NetworkLoss::Squared);
    let data = RegressionData {
        dim: 1,
        points: xs.clone(),
        targets: ys.clone(),
        planted: None,
    };
    let mut problem = NetworkProblem::new(
        data,
        architecture,
        NetworkInit::Explicit(start),
        vec![NetworkRunSpec::new(optimizer)],
    );
    problem.sharpness_every = every;
    problem.top_k = top_k;
    (problem, xs, ys)
}

#[test]
fn sharpness_records_are_the_top_eigenvalues_of_the_dense_hessian_at_their_steps() {
    let lr = 0.5;
    let (problem, xs, ys) = one_layer_problem(gd(lr), 5, 2);
    let mut engine = NetworkExperiment::new(&problem, 3);
    // The plain loop's parameters at every step, by GD on the hand-written gradient (the
    // Hessian's first-derivative part, summed the same way).
    let mut params = match &problem.init {
        NetworkInit::Explicit(p) => p.clone(),
        NetworkInit::LeCun { .. } => unreachable!(),
    };
    let mut at_steps = vec![(0, params.clone())];
    let plain = |params: &[f64]| -> Plain {
        Plain {
            weights: vec![
                params[0..4].iter().map(|&a| vec![a]).collect(),
                vec![params[8..12].to_vec()],
            ],
            biases: vec![params[4..8].to_vec(), vec![params[12]]],
            activation: Activation::Tanh,
            loss: NetworkLoss::Squared,
        }
    };
    let points: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
    for step in 1..=40 {
        let mut net = plain(&params);
        let (_, gw, gb) = net.loss_and_gradient(&points, &ys, &[0, 1, 2, 3, 4, 5]);
        net.gd_step(lr, &gw, &gb);
        params = net.flat();
        if step % 5 == 0 {
            at_steps.push((step, params.clone()));
        }
    }
    engine.step(0, 40, Threads::ONE);
    let snapshot = engine.snapshot();
    let run = &snapshot.runs[0];
    let records = run.history.sharpness.as_ref().expect("the sharpness is on");
    let recorded: Vec<(u64, f64)> = records.iter().map(|(s, r)| (s, r[1])).collect();
    assert_eq!(
        recorded.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        at_steps.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    );
    for ((step, got), (_, params)) in recorded.iter().zip(&at_steps) {
        let want = eigenvalues_descending(one_layer_hessian(params, &xs, &ys));
        assert!(
            relative(*got, want[0]) < 1e-9,
            "step {step}: sharpness {got} vs dense {}",
            want[0]
        );
    }
    let want = eigenvalues_descending(one_layer_hessian(&at_steps[8].1, &xs, &ys));
    let estimate = run.curvature.as_ref().expect("measured at step 40");
    assert_eq!(estimate.step, 40);
    for (got, want) in estimate.eigenvalues.iter().zip(&want) {
        assert!(relative(*got, *want) < 1e-9, "top-2: {got} vs {want}");
    }
    assert_eq!(run.threshold, Some(2.0 / lr));
    assert!(
        run.preconditioned_sharpness.is_none(),
        "GD has no preconditioner"
    );
}

#[test]
fn adam_reports_the_preconditioned_sharpness_of_its_last_update() {
    let (lr, beta1, beta2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let (problem, xs, ys) = one_layer_problem(OptimizerSpec::new(OptimizerKind::Adam, lr), 10, 1);
    let mut engine = NetworkExperiment::new(&problem, 5);
    assert!(
        engine.snapshot().runs[0]
            .preconditioned_sharpness
            .is_some_and(f64::is_nan),
        "before any update P is not defined"
    );
    // A plain Adam loop (torch's formulas) on the hand-written gradient.
    let mut params = match &problem.init {
        NetworkInit::Explicit(p) => p.clone(),
        NetworkInit::LeCun { .. } => unreachable!(),
    };
    let (mut m, mut v) = (vec![0.0; 13], vec![0.0; 13]);
    let points: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
    for t in 1..=20 {
        let net = Plain {
            weights: vec![
                params[0..4].iter().map(|&a| vec![a]).collect(),
                vec![params[8..12].to_vec()],
            ],
            biases: vec![params[4..8].to_vec(), vec![params[12]]],
            activation: Activation::Tanh,
            loss: NetworkLoss::Squared,
        };
        let (_, gw, gb) = net.loss_and_gradient(&points, &ys, &[0, 1, 2, 3, 4, 5]);
        let grad = Plain {
            weights: gw,
            biases: gb,
            ..net
        }
        .flat();
        for j in 0..13 {
            m[j] += (1.0 - beta1) * (grad[j] - m[j]);
            v[j] = v[j] * beta2 + (1.0 - beta2) * grad[j] * grad[j];
            let denom = (v[j] / (1.0 - f64::powi(beta2, t))).sqrt() + eps;
            params[j] -= lr / (1.0 - f64::powi(beta1, t)) * m[j] / denom;
        }
    }
    engine.step(0, 20, Threads::ONE);
    let run = &engine.snapshot().runs[0];
    let p: Vec<f64> = v
        .iter()
        .map(|v| (v / (1.0 - f64::powi(beta2, 20))).sqrt() + eps)
        .collect();
    let h = one_layer_hessian(&params, &xs, &ys);
    let scaled = DMatrix::from_fn(13, 13, |i, j| h[(i, j)] / (p[i] * p[j]).sqrt());
    let want = eigenvalues_descending(scaled)[0];
    let got = run.preconditioned_sharpness.expect("Adam has one");
    assert!(
        relative(got, want) < 1e-7,
        "λ_max(P⁻¹H) {got} vs dense {want}"
    );
    let threshold = run.threshold.expect("Adam has a threshold");
    assert!(relative(threshold, (2.0 + 2.0 * beta1) / ((1.0 - beta1) * lr)) < 1e-15);
}

// ---------------------------------------------------------------------------------------------
// The issue's claims.

#[test]
fn gd_on_the_scalar_net_ends_at_a_minimum_flatter_than_two_over_eta() {
    // f = a·b·x on x = 1, y = 1, no biases, linear, from a₀ = 3, b₀ = 0.3 (first layer b):
    // GD with η = 0.4 must end on ab = 1 with sharpness a² + b² ≤ 2/η = 5.
    let architecture = Architecture::new(1, &[1], false, Activation::Linear, NetworkLoss::Squared);
    let data = RegressionData {
        dim: 1,
        points: vec![1.0],
        targets: vec![1.0],
        planted: None,
    };
    let problem = NetworkProblem::new(
        data,
        architecture,
        NetworkInit::Explicit(vec![0.3, 3.0]),
        vec![NetworkRunSpec::new(gd(0.4))],
    );
    let mut engine = NetworkExperiment::new(&problem, 0);
    let start = engine.snapshot().runs[0].sharpness;
    assert!(start > 5.0, "it starts sharper than 2/η: {start}");
    engine.step(0, 2000, Threads::ONE);
    let run = &engine.snapshot().runs[0];
    let (b, a) = (run.params[0], run.params[1]);
    assert!(
        (a * b - 1.0).abs() < 1e-9,
        "not at a minimum: ab = {}",
        a * b
    );
    let closed_form = a * a + b * b;
    assert!(closed_form <= 5.0, "a² + b² = {closed_form} above 2/η");
    assert!(
        relative(run.sharpness, closed_form) < 1e-8,
        "{} vs {closed_form}",
        run.sharpness
    );
    assert_eq!(run.threshold, Some(5.0));
}

// ---------------------------------------------------------------------------------------------
// Converged or frozen: the status rule every kind shares.

/// The scalar net f = a·b·x (params [b, a]) with `loss` on the points (x, y), each run from
/// (a, b) = `start` with its own rule, stepped `steps` times; the statuses.
fn scalar_statuses(
    loss: NetworkLoss,
    points: &[(f64, f64)],
    start: (f64, f64),
    rules: Vec<OptimizerSpec>,
    steps: u64,
) -> Vec<RunStatus> {
    let architecture = Architecture::new(1, &[1], false, Activation::Linear, loss);
    let data = RegressionData {
        dim: 1,
        points: points.iter().map(|p| p.0).collect(),
        targets: points.iter().map(|p| p.1).collect(),
        planted: None,
    };
    let (a, b) = start;
    let runs = rules.into_iter().map(NetworkRunSpec::new).collect();
    let problem = NetworkProblem::new(data, architecture, NetworkInit::Explicit(vec![b, a]), runs);
    let mut engine = NetworkExperiment::new(&problem, 0);
    engine.step(0, steps, Threads::ONE);
    engine.snapshot().runs.iter().map(|r| r.status).collect()
}

/// Started exactly on ab = 1 (a = 2, b = 0.5: every product exact, so the gradient is exactly
/// 0), every rule stops at step 1 and says `converged`, as the linear kinds say of a run at
/// their minimiser: GD, whose update moved nothing; Adam, at rest with a zero gradient; SGD on
/// batches of one point, whose full gradient is checked.
#[test]
fn a_scalar_net_started_on_its_minima_converges_at_once() {
    let mut sgd = OptimizerSpec::new(OptimizerKind::Sgd, 0.1);
    sgd.batch = Some(1);
    let rules = vec![gd(0.4), OptimizerSpec::new(OptimizerKind::Adam, 0.01), sgd];
    let statuses = scalar_statuses(
        NetworkLoss::Squared,
        &[(1.0, 1.0), (2.0, 2.0)],
        (2.0, 0.5),
        rules,
        10,
    );
    assert_eq!(statuses, vec![RunStatus::Converged { step: 1 }; 3]);
}

/// A run that stops anywhere else is not converged: a step too small to move (3, 0.3) at all
/// freezes it at once; a small one keeps it moving; the saddle a = b = 0 (zero gradient,
/// Hessian [[0, −1], [−1, 0]]) freezes; under the logistic loss a margin of 900 underflows
/// e^{−900} to a zero gradient, which is no minimum either.
#[test]
fn a_scalar_net_stopped_anywhere_else_is_not_converged() {
    let one = [(1.0, 1.0)];
    let statuses = scalar_statuses(
        NetworkLoss::Squared,
        &one,
        (3.0, 0.3),
        vec![gd(1e-30), gd(1e-6)],
        100,
    );
    assert_eq!(statuses, [RunStatus::Frozen { step: 1 }, RunStatus::Ok]);
    let statuses = scalar_statuses(NetworkLoss::Squared, &one, (0.0, 0.0), vec![gd(0.1)], 10);
    assert_eq!(statuses, [RunStatus::Frozen { step: 1 }], "the saddle");
    let statuses = scalar_statuses(NetworkLoss::Logistic, &one, (30.0, 30.0), vec![gd(0.1)], 10);
    assert_eq!(statuses, [RunStatus::Frozen { step: 1 }], "an underflow");
}

#[test]
fn chebyshev_gd_hovers_at_two_over_eta_for_eta_0_2_and_0_3() {
    // The issue's edge-of-stability setting: T₆ on 20 points, tanh 1 → 30 → 20 → 1 with
    // biases, LeCun init, 5,000 steps, the sharpness every 10: over the last 1,000 steps its
    // median is within 10 % of 2/η.
    let architecture =
        Architecture::new(1, &[30, 20], true, Activation::Tanh, NetworkLoss::Squared);
    let runs = [0.2, 0.3].map(|lr| NetworkRunSpec::new(gd(lr))).to_vec();
    let problem = NetworkProblem::new(
        chebyshev(20, 6),
        architecture,
        NetworkInit::LeCun { scale: 1.0 },
        runs,
    );
    let mut engine = NetworkExperiment::new(&problem, 0);
    engine.step(0, 5000, Threads::default());
    let snapshot = engine.snapshot();
    for run in &snapshot.runs {
        let records = run.history.sharpness.as_ref().expect("the sharpness is on");
        let mut late: Vec<f64> = records
            .iter()
            .filter(|(step, _)| *step > 4000)
            .map(|(_, r)| r[1])
            .collect();
        assert!(late.len() >= 90, "{} records after step 4,000", late.len());
        late.sort_by(f64::total_cmp);
        let median = late[late.len() / 2];
        let edge = 2.0 / run.lr;
        assert!(
            (median - edge).abs() <= 0.1 * edge,
            "{}: median sharpness {median} vs 2/η = {edge}",
            run.label
        );
        let first = records.iter().next().expect("step 0").1[0];
        assert!(
            run.train_loss < first / 10.0,
            "{}: the loss fell to {}",
            run.label,
            run.train_loss
        );
        assert_eq!(run.status, RunStatus::Ok);
    }
}

// ---------------------------------------------------------------------------------------------
// Determinism.

fn summary(s: &NetworkSnapshot) -> Vec<Vec<u64>> {
    s.runs
        .iter()
        .map(|r| {
            let mut bits: Vec<u64> = r.params.iter().map(|x| x.to_bits()).collect();
            bits.push(r.train_loss.to_bits());
            bits.push(r.sharpness.to_bits());
            bits.extend(r.history.records().iter().flat_map(|(step, record)| {
                std::iter::once(*step).chain(record.iter().map(|x| x.to_bits()))
            }));
            bits
        })
        .collect()
}

#[test]
fn results_do_not_depend_on_threads_or_how_the_steps_are_batched() {
    let architecture = Architecture::new(2, &[8, 6], true, Activation::Gelu, NetworkLoss::Logistic);
    let mut sgd = OptimizerSpec::new(OptimizerKind::Sgd, 0.3);
    sgd.batch = Some(7);
    let runs = vec![
        NetworkRunSpec::new(gd(0.5)),
        NetworkRunSpec::new(OptimizerSpec::new(OptimizerKind::Adam, 0.01)),
        NetworkRunSpec::new(sgd),
    ];
    let mut problem = NetworkProblem::new(
        moons(40, 0.1, 7),
        architecture,
        NetworkInit::LeCun { scale: 1.0 },
        runs,
    );
    problem.sharpness_every = 7;
    let mut once = NetworkExperiment::new(&problem, 11);
    once.step(0, 300, Threads::ONE);
    let mut pieces = NetworkExperiment::new(&problem, 11);
    for start in (0..300).step_by(60) {
        pieces.step(start, 60, two());
    }
    assert_eq!(summary(&once.snapshot()), summary(&pieces.snapshot()));
    let grid = once
        .snapshot()
        .fitted(0)
        .expect("2-D data have decision values");
    assert_eq!(
        (grid.resolution, grid.values.len(), grid.axes.len()),
        (25, 625, 2)
    );
}

// ---------------------------------------------------------------------------------------------
// Reports.

fn report_problem() -> NetworkProblem {
    let architecture = Architecture::new(1, &[5], true, Activation::Tanh, NetworkLoss::Squared);
    let runs = vec![
        NetworkRunSpec::new(gd(0.1)),
        NetworkRunSpec::new(OptimizerSpec::new(OptimizerKind::Adam, 0.01)),
        NetworkRunSpec::new(gd(1e300)),
    ];
    let mut problem = NetworkProblem::new(
        chebyshev(9, 3),
        architecture,
        NetworkInit::LeCun { scale: 1.0 },
        runs,
    );
    problem.sharpness_every = 4;
    problem
}

#[test]
fn the_json_report_has_the_keys_the_issue_lists_and_nulls_a_diverged_run() {
    let mut engine = NetworkExperiment::new(&report_problem(), 2);
    engine.step(0, 30, Threads::ONE);
    let snapshot = engine.snapshot();
    let json = serde_json::to_value(report::report("t", 30, &snapshot)).expect("serialisable");
    assert_eq!(json["experiment"], "network");
    assert_eq!(json["architecture"], "1→5→1 tanh");
    let runs = json["runs"].as_array().expect("runs");
    let gd_run = &runs[0];
    for key in [
        "optimizer",
        "lr",
        "label",
        "train_loss",
        "sharpness",
        "threshold",
        "status",
    ] {
        assert!(gd_run.get(key).is_some(), "no {key} in {gd_run}");
    }
    assert!(
        gd_run.get("preconditioned_sharpness").is_none(),
        "GD has none"
    );
    assert!(runs[1]["preconditioned_sharpness"].is_f64(), "{}", runs[1]);
    assert_eq!(gd_run["threshold"], 20.0);
    assert_eq!(gd_run["sharpness_step"], 28);
    let diverged = &runs[2];
    assert_eq!(diverged["status"], "diverged");
    assert!(diverged["train_loss"].is_null() && diverged["sharpness"].is_null());
    assert_eq!(diverged["lr"], 1e300, "what the preset gave stays");
    let warnings = json["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("run 3")),
        "{warnings:?}"
    );
    // The fitted curve: 101 points over [−1.2, 1.2] (the data's range widened by a tenth),
    // the middle one at x = 0, a data point; none for the diverged run.
    let fitted = snapshot.fitted(0).expect("1-D data have a curve");
    assert_eq!((fitted.resolution, fitted.values.len()), (101, 101));
    assert!((fitted.axes[0].0 + 1.2).abs() < 1e-15 && (fitted.axes[0].1 - 1.2).abs() < 1e-15);
    let mut network = Network::new(snapshot.architecture.clone(), chebyshev(9, 3));
    let at_zero = network.outputs(&snapshot.runs[0].params)[4];
    assert!(
        relative(fitted.values[50], at_zero) < 1e-14,
        "{} vs {at_zero}",
        fitted.values[50]
    );
    assert!(snapshot.fitted(2).is_none());
}

#[test]
fn trace_rows_carry_the_sharpness_only_at_multiples_of_sharpness_every() {
    let mut engine = NetworkExperiment::new(&report_problem(), 2);
    let mut header = String::from("step,run,label,optimizer");
    report::trace_header(&mut header, &engine.snapshot());
    assert_eq!(
        header,
        "step,run,label,optimizer,lr,train_loss,sharpness,threshold,status,\
         preconditioned_sharpness"
    );
    let columns = header.split(',').count();
    let mut csv = Vec::new();
    for (start, n) in [(0, 3), (3, 1), (4, 2)] {
        engine.step(start, n, Threads::ONE);
        report::trace_rows(&mut csv, start + n, &engine.snapshot()).expect("written");
    }
    let text = String::from_utf8(csv).expect("UTF-8");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == columns), "{text}");
    for row in &rows {
        let (step, run) = (row[0], row[1]);
        let sharpness = row[6];
        let measured = step == "4" && run != "3";
        assert_eq!(
            !sharpness.is_empty(),
            measured,
            "step {step} run {run}: {text}"
        );
        let preconditioned = row[9];
        assert_eq!(!preconditioned.is_empty(), measured && run == "2", "{text}");
    }
    let history = report::history_rows(&engine.snapshot());
    assert!(history.iter().any(|(step, run, row)| *step == 4
        && *run == 0
        && !row.split(',').nth(6).unwrap().is_empty()));
    let rows = report::sweep_rows(&engine.snapshot());
    assert_eq!(rows.len(), 3);
    let line = report::describe(&report_problem());
    assert!(
        line.starts_with("network, 9 points in 1 feature(s), 1→5→1 tanh with biases"),
        "{line}"
    );
}

// ---------------------------------------------------------------------------------------------
// Data and init files.

#[test]
fn bad_data_and_init_files_name_the_file_the_line_and_the_shape() {
    let dir = scratch("bad-files");
    let csv = dir.join("labels.csv");
    std::fs::write(&csv, "x1,x2,y\n0.1,0.2,1\n\n0.3,0.4,0.5\n").expect("writable");
    let error = load_network_csv(&csv, NetworkLoss::Logistic).expect_err("0.5 is no label");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{}:4: column 3", csv.display())),
        "{message}"
    );
    let data = load_network_csv(&csv, NetworkLoss::Squared).expect("regression accepts 0.5");
    assert_eq!((data.dim, data.len()), (2, 2));

    let architecture = Architecture::new(2, &[3], true, Activation::Tanh, NetworkLoss::Squared);
    let first = dir.join("w1.csv");
    let second = dir.join("w2.csv");
    std::fs::write(&first, "1,2,3\n4,5,6\n7,8,9\n").expect("writable");
    std::fs::write(&second, "1,2,3\n").expect("writable");
    let error = load_init(&[first.clone(), second.clone()], &architecture)
        .expect_err("w2 lacks its bias column");
    let message = error.to_string();
    assert!(
        message.starts_with(&second.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("layer 2 (3 → 1) needs 1 rows × 3 + 1"),
        "{message}"
    );
    assert!(message.contains("1×4; the file has 1×3"), "{message}");
    let error = load_init(&[first], &architecture).expect_err("one file for two layers");
    assert!(
        error
            .to_string()
            .contains("1 file(s) but the network has 2 layers")
    );
    std::fs::remove_dir_all(dir).ok();
}
