//! Criterion benchmark of the diagonal kind's step: one GD run of w = u^D − v^D on the
//! kernel-vs-rich data (40 points, 100 features), for D = 2 and 3. A step is two passes over X
//! (Xw and Xᵀr), O(n·d), and allocates nothing.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use implicit_bias::core::experiment::{Experiment, Problem};
use implicit_bias::preset;

fn diagonal_gd_step(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/kernel-vs-rich.toml");
    for depth in [2, 3] {
        let mut spec = preset::load(&path).expect("shipped presets load");
        if let Problem::Diagonal(p) = &mut spec.problem {
            p.runs.truncate(1);
            p.runs[0].depth = depth;
        }
        let mut experiment = Experiment::new(spec);
        c.bench_function(&format!("diagonal_gd_step_40x100_depth{depth}"), |b| {
            b.iter(|| experiment.step(black_box(1)));
        });
    }
}

criterion_group!(benches, diagonal_gd_step);
criterion_main!(benches);
