//! The article's claims, and the ways its runs fail, as tests on the shipped presets, checked
//! against numbers computed independently with the article's own numpy loops (float64) where a
//! value is pinned, and against the theory's predictions where a trend is.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use implicit_bias::core::experiment::{Experiment, ExperimentSpec, RunStatus, SnapshotBody};
use implicit_bias::core::kinds::linear::{LinearSnapshot, TRAIL_CAPACITY};
use implicit_bias::core::kinds::matrix::{MatrixSnapshot, SPECTRUM_PER_DECADE};
use implicit_bias::core::par::Threads;
use implicit_bias::core::reference::MarginNorm;
use implicit_bias::headless;
use implicit_bias::preset;

fn shipped(name: &str) -> ExperimentSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("presets")
        .join(format!("{name}.toml"));
    preset::load(&path).expect("shipped presets load")
}

/// Writes `toml` (and the given data files) to a fresh folder and loads it.
fn from_toml(name: &str, toml: &str, files: &[(&str, &str)]) -> ExperimentSpec {
    let dir = std::env::temp_dir().join(format!("ib-experiments-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let path: PathBuf = dir.join("preset.toml");
    std::fs::write(&path, toml).unwrap();
    preset::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn linear(experiment: &Experiment) -> LinearSnapshot {
    match experiment.snapshot().body {
        SnapshotBody::Linear(s) => s,
        _ => panic!("expected a linear experiment"),
    }
}

fn matrix(experiment: &Experiment) -> MatrixSnapshot {
    match experiment.snapshot().body {
        SnapshotBody::Matrix(s) => s,
        _ => panic!("expected a matrix experiment"),
    }
}

fn angle_to(snapshot: &LinearSnapshot, run: usize, norm: MarginNorm) -> f64 {
    snapshot.runs[run]
        .angles
        .iter()
        .find(|(n, _)| *n == norm)
        .expect("reference exists")
        .1
}

#[test]
fn article_experiment_1_replays_numpy_and_freezes_the_minus_three_run() {
    let mut experiment = Experiment::new(shipped("max-margin"));
    experiment.step(50_000);
    let s = linear(&experiment);
    // Final w/‖w‖ and ‖w‖ from the article's numpy loop (float64, 50,000 steps, lr 0.01).
    let numpy = [
        (
            [0.434_429_020_058_624_5, 0.900_706_071_108_052],
            6.871_962_996_434_017,
        ),
        (
            [0.915_325_146_171_068_3, 0.402_715_627_691_442_4],
            6.838_021_982_825_735,
        ),
        (
            [0.680_886_284_932_247_6, 0.732_389_149_968_213_5],
            23_765.115_401_121_882,
        ),
        (
            [0.452_915_452_352_198_9, 0.891_553_471_767_455_5],
            6.779_926_438_874_398,
        ),
    ];
    for (run, (direction, norm)) in s.runs.iter().zip(numpy) {
        for (got, want) in run.direction.iter().zip(direction) {
            assert!(
                (got - want).abs() < 1e-12,
                "{:?} vs {direction:?}",
                run.direction
            );
        }
        assert!((run.norm - norm).abs() < 1e-9 * norm);
    }
    assert_eq!(s.runs[2].status, RunStatus::Frozen { step: 2 });
    assert!(
        s.runs
            .iter()
            .enumerate()
            .all(|(i, r)| i == 2 || r.status == RunStatus::Ok)
    );
}

#[test]
fn gd_angle_to_l2_shrinks_with_time_but_slowly() {
    let mut experiment = Experiment::new(shipped("max-margin"));
    let mut previous = vec![f64::INFINITY; 4];
    for horizon in [100, 1_000, 10_000, 50_000] {
        experiment.step(horizon - experiment.steps_done());
        let s = linear(&experiment);
        for run in [0, 1, 3] {
            let angle = angle_to(&s, run, MarginNorm::L2);
            assert!(
                angle < previous[run],
                "run {run} at t={horizon}: {angle} ≥ {}",
                previous[run]
            );
            previous[run] = angle;
        }
    }
    // O(1/log t): after 50,000 steps the runs are still far from their limit.
    assert!(previous[0] > 5.0 && previous[1] > 5.0, "{previous:?}");
}

#[test]
fn article_experiment_3_sgd_freezes_after_its_first_step_and_adam_is_not_there() {
    let mut experiment = Experiment::new(shipped("sgd-vs-adam"));
    experiment.step(2000);
    let s = linear(&experiment);
    assert_eq!(s.runs[0].status, RunStatus::Frozen { step: 2 });
    assert_eq!(s.runs[1].status, RunStatus::Ok);
    assert!(angle_to(&s, 1, MarginNorm::L2) > 10.0);
    assert!(angle_to(&s, 1, MarginNorm::Linf) > 10.0);
}

#[test]
fn article_experiment_2_replays_numpy_and_small_init_is_low_rank() {
    let mut small = Experiment::new(shipped("low-rank"));
    small.step(20_000);
    let s = matrix(&small);
    // σ₁, σ₂ and the held-out error of the article's numpy loop on the same data and init.
    let sigma = &s.runs[0].singular_values;
    assert!((sigma[0] - 18.620_133_100_361_96).abs() < 1e-9, "{sigma:?}");
    assert!(
        (sigma[1] - 0.033_580_155_323_244_54).abs() < 1e-9,
        "{sigma:?}"
    );
    assert!((s.runs[0].test_error - 0.004_867_821_317_798_698).abs() < 1e-9);

    let mut both = Experiment::new(shipped("large-init"));
    both.step(20_000);
    let s = matrix(&both);
    let (tiny, large) = (&s.runs[0], &s.runs[1]);
    assert!(tiny.singular_values[1] < 0.01 * tiny.singular_values[0]);
    assert!(tiny.effective_rank < 1.1, "{}", tiny.effective_rank);
    assert!(large.singular_values[1] > 0.2 * large.singular_values[0]);
    assert!(
        large.test_error > 50.0 * tiny.test_error,
        "{} vs {}",
        large.test_error,
        tiny.test_error
    );
    // Both fit the observed entries: the difference is only in what they chose elsewhere.
    assert!(tiny.train_loss < 1e-4 && large.train_loss < 1e-4);
}

#[test]
fn a_diverging_run_is_flagged_and_the_others_go_on() {
    let spec = from_toml(
        "diverge",
        r#"
experiment = "linear"
[data]
source = "clusters"
per_class = 10
center = [1.0, 1.0]
[[runs]]
optimizer = "gd"
lr = 0.01
init = [-1.0, -1.0]
[[runs]]
optimizer = "gd"
lr = 1.0
init = [-300.0, -300.0]
"#,
        &[],
    );
    let mut experiment = Experiment::new(spec);
    experiment.step(1000);
    let s = linear(&experiment);
    assert_eq!(s.runs[0].status, RunStatus::Ok);
    // exp(−margin) = exp(≈900) overflows on the first step.
    assert_eq!(s.runs[1].status, RunStatus::Diverged { step: 1 });
    assert!(s.runs[0].loss.is_finite() && s.runs[0].norm > 1.0);
}

#[test]
fn non_separable_data_has_no_references_but_runs_continue() {
    let xor = "x1,x2,label\n1,1,1\n-1,-1,1\n1,-1,-1\n-1,1,-1\n";
    let spec = from_toml(
        "xor",
        r#"
experiment = "linear"
[data]
source = "csv"
path = "xor.csv"
[model]
loss = "logistic"
[[runs]]
optimizer = "gd"
lr = 0.1
init = [0.3, 0.1]
"#,
        &[("xor.csv", xor)],
    );
    let mut experiment = Experiment::new(spec);
    // GD contracts towards the minimiser w = 0; by step ~340 it reaches a floating-point fixed
    // point and is (rightly) reported frozen, so look before that.
    experiment.step(100);
    let s = linear(&experiment);
    assert!(s.references.iter().all(|(_, r)| r.is_err()));
    assert_eq!(s.runs[0].status, RunStatus::Ok);
    assert!(s.runs[0].loss.is_finite());
    let json = headless::report_json(&experiment);
    assert!(json.contains("\"references\": {}"), "{json}");
    assert!(json.contains("separ"), "a warning names the reason: {json}");
}

#[test]
fn logistic_gd_also_heads_for_l2_and_never_freezes() {
    let mut experiment = Experiment::new(shipped("logistic"));
    experiment.step(1_000);
    let early = linear(&experiment);
    experiment.step(99_000);
    let late = linear(&experiment);
    for run in 0..4 {
        assert_eq!(late.runs[run].status, RunStatus::Ok);
        assert!(angle_to(&late, run, MarginNorm::L2) < angle_to(&early, run, MarginNorm::L2));
    }
}

#[test]
fn trails_stay_bounded_over_a_million_steps() {
    let mut experiment = Experiment::new(shipped("logistic"));
    experiment.step(1_000_000);
    let s = linear(&experiment);
    for run in &s.runs {
        assert!(run.trail.len() <= TRAIL_CAPACITY + 1);
        assert_eq!(run.trail.step(0), 0);
        let last = run.trail.step(run.trail.len() - 1);
        assert!(last > 500_000, "the newest point is recent: {last}");
    }
}

#[test]
fn same_preset_gives_byte_identical_reports() {
    for name in ["sgd-vs-adam", "large-init"] {
        let run = || headless::run(shipped(name), 300, None).expect("runs");
        assert_eq!(run(), run());
    }
}

#[test]
fn mini_batches_are_seeded_and_a_full_batch_is_gd() {
    let toml = |batch: usize| {
        format!(
            r#"
experiment = "linear"
seed = 3
[data]
source = "clusters"
per_class = 10
[[runs]]
optimizer = "sgd"
lr = 0.05
batch = {batch}
init = [1.0, -1.0]
[[runs]]
optimizer = "gd"
lr = 0.05
init = [1.0, -1.0]
"#
        )
    };
    let direction = |batch: usize| {
        let mut experiment =
            Experiment::new(from_toml(&format!("batch{batch}"), &toml(batch), &[]));
        experiment.step(200);
        let s = linear(&experiment);
        (s.runs[0].direction.clone(), s.runs[1].direction.clone())
    };
    let (full, gd) = direction(20);
    assert_eq!(full, gd);
    let (mini, gd) = direction(5);
    assert_ne!(mini, gd);
    assert_eq!(direction(5).0, mini);
}

#[test]
fn article_references_match_cvxpy_and_sklearn() {
    let experiment = Experiment::new(shipped("max-margin"));
    let s = linear(&experiment);
    // cvxpy (Clarabel, tolerances 1e-12) on the article's data: the homogeneous SVM, and the SVM
    // with intercept (sklearn's SVC with C = 1e10 agrees with the latter to 1e-8).
    let expected = [
        (
            MarginNorm::L2,
            [0.721_015_052_714_938_6, 0.692_919_399_178_919_3],
        ),
        (
            MarginNorm::L2Intercept,
            [0.708_929_428_644_399, 0.705_279_423_492_509_2],
        ),
    ];
    for (norm, want) in expected {
        let got = &s.references.iter().find(|(n, _)| *n == norm).unwrap().1;
        let got = &got
            .as_ref()
            .expect("the article's data are separable")
            .direction;
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{norm:?}: {got:?} vs {want:?}");
        }
    }
}

#[test]
fn a_non_finite_gradient_is_divergence_for_every_rule() {
    // From θ₀ = (−300, −300) every exp(−margin) overflows: the gradient is infinite at step 1.
    // Sign and coordinate descent would take a finite step anyway; the run must still be
    // reported diverged, not carry on or pass for frozen. Normalized descent is the exception:
    // it asks for the shifted exponentials, which stay finite there, so it moves on (`ok`).
    for optimizer in ["gd", "sign", "normalized", "coordinate", "adam"] {
        let spec = from_toml(
            &format!("inf-{optimizer}"),
            &format!(
                r#"
experiment = "linear"
[data]
source = "clusters"
center = [1.0, 1.0]
[[runs]]
optimizer = "{optimizer}"
lr = 0.1
init = [-300.0, -300.0]
"#
            ),
            &[],
        );
        let mut experiment = Experiment::new(spec);
        experiment.step(10);
        let s = linear(&experiment);
        let expected = if optimizer == "normalized" {
            RunStatus::Ok
        } else {
            RunStatus::Diverged { step: 1 }
        };
        assert_eq!(s.runs[0].status, expected, "{optimizer}");
    }
}

#[test]
fn momentum_with_an_underflowed_gradient_is_frozen_once_its_buffer_is_spent() {
    // The article's experiment 3 start with heavy-ball momentum: the first step overshoots,
    // every exp(−margin) underflows, and the buffer decays geometrically until it can no longer
    // move anything (it sticks at the smallest subnormal, never exactly 0).
    let spec = from_toml(
        "momentum-freeze",
        r#"
experiment = "linear"
[data]
source = "csv"
path = "points.csv"
[[runs]]
optimizer = "momentum"
lr = 0.1
init = [-2.0, -0.5]
"#,
        &[(
            "points.csv",
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/data/article-clusters.csv"),
            )
            .unwrap(),
        )],
    );
    let mut experiment = Experiment::new(spec);
    experiment.step(20_000);
    let s = linear(&experiment);
    assert!(
        matches!(s.runs[0].status, RunStatus::Frozen { step } if step > 2),
        "{:?}",
        s.runs[0].status
    );
}

#[test]
fn a_zero_weight_vector_has_no_margin_and_no_angles() {
    let spec = from_toml(
        "zero",
        r#"
experiment = "linear"
[data]
source = "clusters"
[[runs]]
optimizer = "gd"
lr = 0.1
"#,
        &[],
    );
    let s = linear(&Experiment::new(spec));
    assert!(s.runs[0].margin.is_nan());
    assert!(s.runs[0].angles.is_empty());
    assert_eq!(s.runs[0].direction, vec![0.0, 0.0]);
}

#[test]
fn every_mini_batch_run_gets_its_own_stream_and_traces_end_once() {
    let spec = from_toml(
        "batches",
        r#"
experiment = "linear"
seed = 9
[data]
source = "clusters"
per_class = 5
[[runs]]
optimizer = "sgd"
lr = 0.05
batch = 3
init = [1.0, -1.0]
[[runs]]
optimizer = "sgd"
lr = 0.05
batch = 3
init = [1.0, -1.0]
"#,
        &[],
    );
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(50);
    let s = linear(&experiment);
    assert_ne!(
        s.runs[0].direction, s.runs[1].direction,
        "runs draw different batches"
    );

    let trace = std::env::temp_dir().join(format!("ib-trace-{}.csv", std::process::id()));
    headless::run(spec, 10, Some(&trace)).expect("runs");
    let text = std::fs::read_to_string(&trace).unwrap();
    let steps: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    // Steps 0..=10 are all on the log grid: each appears once per run, the last one too.
    assert_eq!(steps.len(), 2 * 11, "{text}");
    assert_eq!(steps.iter().filter(|&&s| s == "10").count(), 2);
}

/// The dashboard's singular-value series is log-spaced: every step at first, then about
/// `SPECTRUM_PER_DECADE` points per decade (counted, not computed with the grid code), so σ1's
/// climb on the low-rank preset, over within a few dozen steps, has at least ten points (a
/// linear `svd_every = 100` series had none inside it). Each record is the spectrum of M at that step, as a fresh engine stepped there
/// gives it (relative 1e-12: the same arithmetic in another run).
#[test]
fn singular_values_are_recorded_log_spaced_so_the_early_climb_has_points() {
    let mut spec = shipped("low-rank");
    spec.problem.skip_unreported();
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(3000);
    let spectra = &matrix(&experiment).runs[0].spectra;
    let steps: Vec<u64> = spectra.iter().map(|(s, _)| s).collect();
    assert_eq!(
        &steps[..30],
        &(0..30).collect::<Vec<u64>>()[..],
        "{steps:?}"
    );
    let in_decade = steps.iter().filter(|&&s| (100..1000).contains(&s)).count();
    // Rounding steps up to whole numbers only widens gaps: at most one extra point, and at
    // most 10% fewer where steps are still small.
    let per_decade = SPECTRUM_PER_DECADE;
    assert!(
        (0.9 * per_decade..=per_decade + 1.0).contains(&(in_decade as f64)),
        "{in_decade} points in [100, 1000): {steps:?}"
    );
    // σ1's climb from 10% to 90% of its value at step 3000.
    let final_sigma = matrix(&experiment).runs[0].singular_values[0];
    let first_above = |fraction: f64| {
        spectra
            .iter()
            .find(|(_, record)| record[0] > fraction * final_sigma)
            .map(|(s, _)| s)
            .expect("σ1 climbs")
    };
    let (start, end) = (first_above(0.1), first_above(0.9));
    let during = steps
        .iter()
        .filter(|&&s| (start..=end).contains(&s))
        .count();
    assert!(during >= 10, "{during} points in the climb {start} → {end}");
    for (step, record) in spectra.iter().filter(|(s, _)| [7, start, end].contains(s)) {
        let mut fresh = Experiment::new(spec.clone());
        fresh.step(step);
        let expected = &matrix(&fresh).runs[0].singular_values[..record.len()];
        for (got, want) in record.iter().zip(expected) {
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{step}: {got} {want}"
            );
        }
    }
}

#[test]
fn a_final_state_only_matrix_run_has_the_same_bits_and_records_no_spectra() {
    let mut spec = shipped("depth");
    spec.problem.skip_unreported();
    let mut traced = Experiment::new(spec.clone());
    let mut bare = Experiment::final_state_only(spec);
    traced.step(300);
    bare.step(300);
    let (traced, bare) = (matrix(&traced), matrix(&bare));
    for (t, b) in traced.runs.iter().zip(&bare.runs) {
        assert_eq!(
            t.product, b.product,
            "M must not depend on what is recorded"
        );
        assert_eq!(t.singular_values, b.singular_values);
        assert_eq!(t.status, b.status);
        assert!(
            t.spectra.len() > 50,
            "the dashboard's run records spectra: {}",
            t.spectra.len()
        );
        let steps: Vec<u64> = b.spectra.iter().map(|(s, _)| s).collect();
        assert_eq!(steps, [0], "only the start is recorded");
    }
}

#[test]
fn a_run_sharing_two_cores_has_the_same_bits_in_one_batch_as_step_by_step_on_one() {
    // 100 × 100 at width 27 is just large enough for the products to share two cores. In one
    // batch on a budget of two threads the run keeps a second thread standing by and hands it
    // half of each product and update; one step at a time on one thread it does neither.
    let toml = "title = \"shared\"\nexperiment = \"matrix\"\nseed = 3\n\
        [data]\nsource = \"low-rank\"\nsize = 100\nrank = 2\nobserved = 0.6\n\
        [model]\nwidth = 27\ninit_scale = 0.05\ndepth = 3\n\
        [[runs]]\noptimizer = \"gd\"\nlr = 0.002\n[show]\nreferences = []\n";
    let spec = from_toml("shared-cores", toml, &[]);
    let two = Threads::new(NonZeroUsize::new(2).expect("two is positive"));
    let mut batched = Experiment::final_state_only(spec.clone()).with_threads(two);
    let mut stepwise = Experiment::final_state_only(spec).with_threads(Threads::ONE);
    batched.step(700);
    batched.step(600);
    for _ in 0..1300 {
        stepwise.step(1);
    }
    assert_eq!(batched.snapshot().step, 1300);
    assert_eq!(stepwise.snapshot().step, 1300);
    let (batched, stepwise) = (matrix(&batched), matrix(&stepwise));
    let (a, b) = (&batched.runs[0], &stepwise.runs[0]);
    assert_eq!(a.status, b.status);
    assert!(a.status.is_ok(), "the run must still move: {:?}", a.status);
    assert_eq!(a.product, b.product);
    assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
}
