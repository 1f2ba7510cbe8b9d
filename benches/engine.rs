//! Criterion benchmarks for the engine's hot loops, with the figures issue 2 asks for:
//! a GD step on 20 points in 2-D (goal ≤ 100 ns per run), a GD step of the 20×20 factorised
//! matrix model with an SVD every 100 steps (goal ≤ 4 µs), the same step at N = k = 20, 50, 100
//! and 200 on random low-rank data (issue 11: compare with `benches/compare/compare.sh`, which
//! times numpy's loop), and loading + building every shipped preset with its references (the
//! in-process part of `run --steps 0`, goal ≤ 150 ms).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use implicit_bias::core::experiment::{Experiment, ExperimentSpec};
use implicit_bias::core::lanes::{LANES, exp_lanes};
use implicit_bias::preset;

fn spec(name: &str) -> ExperimentSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("presets")
        .join(format!("{name}.toml"));
    preset::load(&path).expect("shipped presets load")
}

/// One GD run on the article's 20 points: the cost per step per run.
fn linear_gd_step(c: &mut Criterion) {
    for (preset, name) in [
        ("logistic", "linear_gd_step_20pts_2d"),
        ("max-margin", "linear_gd_step_20pts_2d_exp_loss"),
    ] {
        let mut spec = spec(preset);
        if let implicit_bias::core::experiment::Problem::Linear(p) = &mut spec.problem {
            p.runs.truncate(1);
            p.references.clear();
        }
        let mut experiment = Experiment::new(spec);
        c.bench_function(name, |b| b.iter(|| experiment.step(black_box(1))));
    }
}

/// The whole max-margin preset (4 runs, three of them moving after step 2) for 10,000 steps on
/// the rayon pool: ×10⁵ is the in-process part of `run max-margin --steps 1000000000` (issue
/// 11: under 2 minutes). Then the exp of 20 margins, as the gradient takes it (`exp_lanes`,
/// four at a time) and as `f64::exp` one by one.
fn linear_max_margin_batch(c: &mut Criterion) {
    let mut experiment = Experiment::new(spec("max-margin"));
    experiment.step(2);
    c.bench_function("linear_max_margin_10k_steps_4_runs", |b| {
        b.iter(|| experiment.step(black_box(10_000)));
    });
    let margins: Vec<f64> = (0..20).map(|i| 0.5 + 0.37 * f64::from(i)).collect();
    c.bench_function("exp_20_values_exp_lanes", |b| {
        b.iter(|| {
            let mut sum = [0.0; LANES];
            for block in black_box(&margins).chunks_exact(LANES) {
                let values = exp_lanes(std::array::from_fn(|l| -block[l]));
                for (s, v) in sum.iter_mut().zip(values) {
                    *s += v;
                }
            }
            sum
        });
    });
    c.bench_function("exp_20_values_f64_exp", |b| {
        b.iter(|| black_box(&margins).iter().map(|m| (-m).exp()).sum::<f64>());
    });
}

/// One GD step of U Vᵀ at N = k = 20, amortising the SVD taken every 100 steps.
fn matrix_gd_step(c: &mut Criterion) {
    let mut spec = spec("low-rank");
    spec.problem.skip_unreported();
    let mut experiment = Experiment::new(spec);
    c.bench_function("matrix_gd_100_steps_n20_k20_with_svd", |b| {
        b.iter(|| experiment.step(black_box(100)));
    });
}

/// 100 GD steps of U Vᵀ at N = k, one SVD included, on a random rank-2 target with 60 %
/// observed; lr 0.5/N keeps every size stable. A run that has frozen (converged to the last
/// bit) would make the timing a no-op, so the experiment restarts when it stops.
fn matrix_gd_step_by_size(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("implicit-bias-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let mut group = c.benchmark_group("matrix_gd_100_steps_with_svd");
    for n in [20, 50, 100, 200] {
        let path = dir.join(format!("matrix-{n}.toml"));
        let lr = (0.5 / f64::from(n)).min(0.01);
        std::fs::write(
            &path,
            format!(
                "title = \"bench\"\nexperiment = \"matrix\"\nseed = 1\n\
                 [data]\nsource = \"low-rank\"\nsize = {n}\nrank = 2\nobserved = 0.6\n\
                 [model]\ninit_scale = 1e-3\n[[runs]]\noptimizer = \"gd\"\nlr = {lr}\n\
                 [show]\nsvd_every = 100\nreferences = []\n"
            ),
        )
        .expect("temp dir is writable");
        let spec = preset::load(&path).expect("the bench preset loads");
        let mut experiment = Experiment::new(spec.clone());
        group.bench_function(format!("n{n}_k{n}"), |b| {
            b.iter(|| {
                if experiment.all_stopped() {
                    experiment = Experiment::new(spec.clone());
                }
                experiment.step(black_box(100));
            });
        });
    }
    group.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// Loading every shipped preset and computing its references: what `run --steps 0` does.
fn preset_start(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut group = c.benchmark_group("run_steps_0");
    group.sample_size(10);
    for info in preset::list(&dir) {
        group.bench_function(info.name.clone(), |b| {
            b.iter(|| {
                let spec = preset::load(&info.path).expect("shipped presets load");
                black_box(implicit_bias::headless::report_json(&Experiment::new(spec)))
            });
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    linear_gd_step,
    linear_max_margin_batch,
    matrix_gd_step,
    matrix_gd_step_by_size,
    preset_start
);
criterion_main!(benches);
