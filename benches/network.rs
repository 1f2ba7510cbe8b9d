//! Criterion benchmarks of the network model at the edge-of-stability setting (issue 22): a
//! tanh 1 → 30 → 20 → 1 network with biases on Chebyshev T₆ at 20 points.
//!
//! - `network/gradient`: one loss and gradient (what a GD step costs beside its update);
//! - `network/hessian_vector`: one exact Hessian-vector product (the issue: ≤ 4× a gradient);
//! - `network/sharpness_cold`: λ_max to 1e-8 relative from a seeded random start;
//! - `network/sharpness_warm`: the same, warm-started from the previous estimate's eigenvector
//!   as a run does every `sharpness_every` steps.
//!
//! Run with `cargo bench --bench network -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use implicit_bias::core::kinds::network::{
    Activation, Architecture, Network, NetworkLoss, chebyshev, sharpness,
};
use implicit_bias::core::lanczos::LanczosOptions;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The network and data, its parameters after 1,000 GD steps at η = 0.2 (at the edge).
fn setting() -> (Network, Vec<f64>) {
    let architecture =
        Architecture::new(1, &[30, 20], true, Activation::Tanh, NetworkLoss::Squared);
    let mut rng = StdRng::seed_from_u64(0);
    let mut params = architecture.lecun_normal(1.0, &mut rng);
    let mut network = Network::new(architecture, chebyshev(20, 6));
    let mut grad = vec![0.0; params.len()];
    for _ in 0..1000 {
        network.gradient(&params, &mut grad);
        for (p, g) in params.iter_mut().zip(&grad) {
            *p -= 0.2 * g;
        }
    }
    (network, params)
}

fn network(c: &mut Criterion) {
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

criterion_group!(benches, network);
criterion_main!(benches);
