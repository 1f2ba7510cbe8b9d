//! Criterion benchmarks of deep matrix factorisations at N = k = 100 (issue 11: "one step of a
//! depth-3 factorisation at N = 100 within 1.2× of three products' cost").
//!
//! - `deep_gd_step/n100_depthL`: one whole GD step of the engine (gradient, update, the
//!   frozen/diverged checks; no SVD) at depth L = 2, 3, 4, on both cores, taken in batches of
//!   [`BATCH`] steps as the engine takes them (the other core stands by through a batch);
//! - `deep_gradient/n100_depthL`: the model's gradient alone, on both cores;
//! - `bare_products/n100_xP`: P products of 100×100 matrices on one core, through the kernel
//!   the engine uses (`core::gemm`), into preallocated outputs, P = 3, 6, 9.
//!
//! A depth-L step needs 3(L − 1) products of this size (L − 1 forward, 2(L − 1) backward);
//! on two cores the engine runs them in pairs or halves, so a depth-3 step (six products) is
//! compared with three products on one core.
//! Run with `cargo bench --bench deep -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use implicit_bias::core::experiment::Experiment;
use implicit_bias::core::gemm;
use implicit_bias::core::model::MatrixModel;
use implicit_bias::core::par::Threads;
use implicit_bias::preset;

/// The side N = k of every benchmark here.
const SIDE: usize = 100;

/// Steps per call to the engine: a headless run asks for thousands at a time.
const BATCH: u64 = 100;

/// A rank-2 100×100 completion with 60 % observed, full width, one GD run at `depth`; lr and
/// scale keep every depth moving (neither frozen nor diverged) for thousands of steps.
fn preset_text(depth: usize) -> String {
    format!(
        "title = \"bench\"\nexperiment = \"matrix\"\nseed = 1\n\
         [data]\nsource = \"low-rank\"\nsize = {SIDE}\nrank = 2\nobserved = 0.6\n\
         [model]\ninit_scale = 0.05\ndepth = {depth}\n[[runs]]\noptimizer = \"gd\"\nlr = 1e-4\n\
         [show]\nsvd_every = 1000000000\nreferences = []\n"
    )
}

/// The time of `iterations` calls of `op`, on a thread of rayon's pool, where the engine's
/// steps run (the model hands half of each product to the pool's other thread, which is cheap
/// only from inside the pool).
fn timed_in_pool(iterations: u64, mut op: impl FnMut() + Send) -> Duration {
    rayon::scope(|_| {
        let start = Instant::now();
        for _ in 0..iterations {
            op();
        }
        start.elapsed()
    })
}

fn deep_steps(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("implicit-bias-deep-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let mut steps = c.benchmark_group("deep_gd_step");
    let mut specs = vec![];
    for depth in [2, 3, 4] {
        let path = dir.join(format!("depth-{depth}.toml"));
        std::fs::write(&path, preset_text(depth)).expect("temp dir is writable");
        let spec = preset::load(&path).expect("the bench preset loads");
        let mut experiment = Experiment::final_state_only(spec.clone());
        steps.bench_function(format!("n{SIDE}_depth{depth}"), |b| {
            b.iter_custom(|iterations| {
                let batches = iterations.div_ceil(BATCH);
                let elapsed = timed_in_pool(batches, || {
                    if experiment.all_stopped() {
                        experiment = Experiment::final_state_only(spec.clone());
                    }
                    experiment.step(black_box(BATCH));
                });
                // Per step, scaled back to the iterations criterion asked for.
                elapsed.mul_f64(iterations as f64 / (batches * BATCH) as f64)
            });
        });
        specs.push(spec);
    }
    steps.finish();
    let mut gradients = c.benchmark_group("deep_gradient");
    for (depth, spec) in [2, 3, 4].into_iter().zip(&specs) {
        let implicit_bias::core::experiment::Problem::Matrix(problem) = &spec.problem else {
            unreachable!("the bench preset is a matrix experiment")
        };
        let mut model = MatrixModel::new(&problem.data, problem.width, depth);
        let params: Vec<f64> = (0..model.parameter_count())
            .map(|i| 0.05 * (i as f64 * 0.37).sin())
            .collect();
        let mut grad = vec![0.0; params.len()];
        gradients.bench_function(format!("n{SIDE}_depth{depth}"), |b| {
            b.iter_custom(|iterations| {
                timed_in_pool(iterations, || {
                    black_box(model.gradient(black_box(&params), &mut grad, Threads::default()));
                })
            });
        });
    }
    gradients.finish();
    std::fs::remove_dir_all(&dir).ok();
}

fn bare_products(c: &mut Criterion) {
    let a: Vec<f64> = (0..SIDE * SIDE).map(|i| ((i * 7) as f64).sin()).collect();
    let b: Vec<f64> = (0..SIDE * SIDE).map(|i| ((i * 5) as f64).cos()).collect();
    let mut out = vec![0.0; SIDE * SIDE];
    let mut group = c.benchmark_group("bare_products");
    for count in [3, 6, 9] {
        group.bench_function(format!("n{SIDE}_x{count}"), |bench| {
            bench.iter(|| {
                for _ in 0..count {
                    gemm::multiply_here(
                        gemm::view_mut(&mut out, SIDE, SIDE),
                        gemm::view(black_box(&a), SIDE, SIDE),
                        gemm::view(black_box(&b), SIDE, SIDE),
                    );
                }
                black_box(&out);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, deep_steps, bare_products);
criterion_main!(benches);
