//! Criterion benchmarks for the engine's hot loops, with the figures issue 2 asks for:
//! a GD step on 20 points in 2-D (goal ≤ 100 ns per run), a GD step of the 20×20 factorised
//! matrix model with an SVD every 100 steps (goal ≤ 4 µs), and loading + building every shipped
//! preset with its references (the in-process part of `run --steps 0`, goal ≤ 150 ms).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use implicit_bias::core::experiment::{Experiment, ExperimentSpec};
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
        }
        spec.references.clear();
        let mut experiment = Experiment::new(spec);
        c.bench_function(name, |b| b.iter(|| experiment.step(black_box(1))));
    }
}

/// One GD step of U Vᵀ at N = k = 20, amortising the SVD taken every 100 steps.
fn matrix_gd_step(c: &mut Criterion) {
    let mut spec = spec("low-rank");
    spec.nuclear_reference = false;
    let mut experiment = Experiment::new(spec);
    c.bench_function("matrix_gd_100_steps_n20_k20_with_svd", |b| {
        b.iter(|| experiment.step(black_box(100)));
    });
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

criterion_group!(benches, linear_gd_step, matrix_gd_step, preset_start);
criterion_main!(benches);
