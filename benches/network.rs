//! Criterion benchmarks of the network kind at the edge-of-stability setting (issue 22): a
//! tanh 1 → 30 → 20 → 1 network with biases on Chebyshev T₆ at 20 points.
//!
//! - `network/gradient`: one loss and gradient;
//! - `network/hessian_vector`: one exact Hessian-vector product (the issue: ≤ 4× a gradient);
//! - `network/sharpness_cold`: λ_max to 1e-8 relative from a seeded random start;
//! - `network/sharpness_warm`: the same, warm-started from the previous estimate's eigenvector
//!   as a run does every `sharpness_every` steps;
//! - `network/gd_step`: one GD step of the engine (gradient, update, status), timed over
//!   batches of 100 steps as a run takes them;
//! - `network/eos_3x5000`: the `edge-of-stability` workload, three GD runs (η = 0.1, 0.2, 0.3)
//!   × 5,000 steps with the sharpness every 10 steps, on the machine's threads (the issue: < 1 s).
//!
//! Run with `cargo bench --bench network -- --warm-up-time 1 --measurement-time 3`.
//!
//! `benches/compare/network.py` times the same step whole-process, through `implicit-bias run`,
//! against numpy.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use implicit_bias::core::kinds::network::{
    Activation, Architecture, Network, NetworkExperiment, NetworkInit, NetworkLoss, NetworkProblem,
    NetworkRunSpec, chebyshev, sharpness,
};
use implicit_bias::core::lanczos::LanczosOptions;
use implicit_bias::core::optim::{OptimizerKind, OptimizerSpec};
use implicit_bias::core::par::Threads;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The network.
fn architecture() -> Architecture {
    Architecture::new(1, &[30, 20], true, Activation::Tanh, NetworkLoss::Squared)
}

/// The setting as a problem: GD runs at the learning rates `lrs`.
fn problem(lrs: &[f64], sharpness_every: u64) -> NetworkProblem {
    let runs = lrs
        .iter()
        .map(|&lr| NetworkRunSpec::new(OptimizerSpec::new(OptimizerKind::Gd, lr)))
        .collect();
    let mut problem = NetworkProblem::new(
        chebyshev(20, 6),
        architecture(),
        NetworkInit::LeCun { scale: 1.0 },
        runs,
    );
    problem.sharpness_every = sharpness_every;
    problem
}

/// The network and its parameters after 1,000 GD steps at η = 0.2 (at the edge).
fn setting() -> (Network, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(0);
    let mut params = architecture().lecun_normal(1.0, &mut rng);
    let mut network = Network::new(architecture(), chebyshev(20, 6));
    let mut grad = vec![0.0; params.len()];
    for _ in 0..1000 {
        network.gradient(&params, &mut grad);
        for (p, g) in params.iter_mut().zip(&grad) {
            *p -= 0.2 * g;
        }
    }
    (network, params)
}

fn model(c: &mut Criterion) {
    let (mut net, params) = setting();
    let count = params.len();
    let mut grad = vec![0.0; count];
    let mut hv = vec![0.0; count];
    let v: Vec<f64> = (0..count)
        .map(|i| ((i * 37 % 11) as f64 - 5.0) / 5.0)
        .collect();
    let mut group = c.benchmark_group("network");
    group.bench_function("gradient", |b| {
        b.iter(|| black_box(net.gradient(black_box(&params), &mut grad)));
    });
    group.bench_function("hessian_vector", |b| {
        b.iter(|| black_box(net.hessian_vector(black_box(&params), &v, &mut grad, &mut hv)));
    });
    group.bench_function("sharpness_cold", |b| {
        b.iter(|| black_box(sharpness(&mut net, &params, &v, LanczosOptions::default())));
    });
    let warm = sharpness(&mut net, &params, &v, LanczosOptions::default())
        .expect("finite")
        .vector;
    group.bench_function("sharpness_warm", |b| {
        b.iter(|| {
            black_box(sharpness(
                &mut net,
                &params,
                &warm,
                LanczosOptions::default(),
            ))
        });
    });
    group.finish();
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("network");
    let mut experiment = NetworkExperiment::new(&problem(&[0.2], 0), 0);
    let mut done = 0;
    group.bench_function("gd_step", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations.div_ceil(100) {
                let started = Instant::now();
                experiment.step(done, 100, Threads::ONE);
                total += started.elapsed();
                done += 100;
            }
            total.div_f64(iterations.div_ceil(100) as f64 * 100.0) * iterations as u32
        });
    });
    group.sample_size(10);
    let eos = problem(&[0.1, 0.2, 0.3], 10);
    group.bench_function("eos_3x5000", |b| {
        b.iter(|| {
            let mut experiment = NetworkExperiment::new(&eos, 0);
            experiment.step(0, 5000, Threads::default());
            black_box(experiment.snapshot().runs[0].sharpness)
        });
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    model(&mut criterion);
    engine(&mut criterion);
    criterion.final_summary();
}
