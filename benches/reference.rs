//! Benchmarks of the exact references. The dashboard recomputes them whenever the data changes,
//! so they must feel instant: the nuclear-norm completion at N = 20 within 50 ms.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use implicit_bias::core::data::{gaussian_clusters, low_rank};
use implicit_bias::core::reference::{MarginNorm, max_margin, min_nuclear_norm};

fn references(c: &mut Criterion) {
    // 20 points in 2-D, separable through the origin.
    let points = gaussian_clusters(10, 0.3, &[1.0, 0.5], 1);
    c.bench_function("max_margin_l2_20pts", |b| {
        b.iter(|| max_margin(black_box(&points), MarginNorm::L2, false));
    });
    c.bench_function("max_margin_linf_20pts", |b| {
        b.iter(|| max_margin(black_box(&points), MarginNorm::Linf, false));
    });
    // 20×20, rank 2, 60% observed: recoverable, settled by ADMM alone.
    let matrix = low_rank(20, 2, 0.6, 1);
    c.bench_function("min_nuclear_norm_20", |b| {
        b.iter(|| min_nuclear_norm(black_box(&matrix)));
    });
    // 20×20, rank 3, 60% observed: not recoverable, the optimum has rank 13 with singular values
    // down to 2e-6 of the largest; this takes the interior-point path.
    let hard = low_rank(20, 3, 0.6, 0);
    c.bench_function("min_nuclear_norm_20_hard", |b| {
        b.iter(|| min_nuclear_norm(black_box(&hard)));
    });
}

criterion_group!(benches, references);
criterion_main!(benches);
