//! Traces and labels: run labels and every applicable hyper-parameter in the JSON, the trace
//! columns (raw w, b, the direction), empty margin and angles for w = 0, nulls for diverged runs,
//! the trace the dashboard exports from its histories, and an export into a folder that cannot
//! exist.

use std::path::PathBuf;

use implicit_bias::core::experiment::{Experiment, ExperimentSpec};
use implicit_bias::{export, headless, preset};
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ib-traces-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spec_from(dir: &std::path::Path, text: &str) -> ExperimentSpec {
    let path = dir.join("p.toml");
    std::fs::write(&path, text).unwrap();
    preset::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Offset clusters with a bias: run 1 starts at w = 0, runs 2 and 3 differ only in `batch`.
const LINEAR: &str = r#"
experiment = "linear"
[data]
source = "clusters"
per_class = 5
spread = 0.3
center = [2.0, 1.0]
[model]
bias = true
[[runs]]
optimizer = "gd"
lr = 0.05
[[runs]]
label = "sgd, batch 2"
optimizer = "sgd"
lr = 0.05
batch = 2
init = [1.0, -1.0]
[[runs]]
label = "sgd full"
optimizer = "sgd"
lr = 0.05
init = [1.0, -1.0]
[[runs]]
optimizer = "adam"
lr = 0.01
init = [-1.0, 1.0, 0.5]
"#;

#[test]
fn json_runs_carry_their_label_and_every_applicable_hyper_parameter() {
    let dir = temp_dir("json");
    let json = headless::run(spec_from(&dir, LINEAR), 20, None).expect("runs");
    let report: Value = serde_json::from_str(&json).unwrap();
    let runs = report["runs"].as_array().unwrap();
    // No label: the text the dashboard showed before labels existed.
    assert_eq!(runs[0]["label"], "gd lr=0.05");
    assert_eq!(runs[1]["label"], "sgd, batch 2");
    // gd has no options but lr; sgd has momentum and nesterov; batch only when mini-batched.
    let keys = |run: &Value| -> Vec<String> { run.as_object().unwrap().keys().cloned().collect() };
    assert!(
        !keys(&runs[0])
            .iter()
            .any(|k| ["momentum", "eps", "batch"].contains(&k.as_str()))
    );
    assert_eq!(runs[1]["batch"], 2);
    assert_eq!(runs[1]["momentum"], 0.0);
    assert_eq!(runs[1]["nesterov"], false);
    assert!(runs[2].get("batch").is_none(), "full batch: no batch key");
    assert_eq!(runs[3]["betas"], serde_json::json!([0.9, 0.999]));
    assert_eq!(runs[3]["eps"], 1e-8);
    assert!(runs[3].get("momentum").is_none());
    std::fs::remove_dir_all(&dir).ok();
}

/// The cells of a CSV line (quoted cells may hold commas).
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[test]
fn trace_rows_hold_raw_w_b_and_the_direction_and_nothing_for_w_zero() {
    let dir = temp_dir("columns");
    let trace = dir.join("t.csv");
    headless::run(spec_from(&dir, LINEAR), 200, Some(&trace)).expect("runs");
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines = text.lines();
    let header = cells(lines.next().unwrap());
    assert_eq!(
        header.join(","),
        "step,run,label,optimizer,loss,norm,margin,status,angle_l2,angle_l2-intercept,\
         angle_linf,angle_l1,w1,w2,b,d1,d2"
    );
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut rows = 0;
    for line in lines {
        let row = cells(line);
        assert_eq!(row.len(), header.len(), "{line}");
        let number = |name: &str| row[column(name)].parse::<f64>();
        let (w1, w2) = (number("w1").unwrap(), number("w2").unwrap());
        let norm = w1.hypot(w2);
        if row[column("step")] == "0" && row[column("run")] == "1" {
            // w = 0: no direction, so no margin and no angles.
            assert_eq!(norm, 0.0);
            assert_eq!(row[column("margin")], "");
            assert!(
                header
                    .iter()
                    .enumerate()
                    .all(|(i, h)| !h.starts_with("angle") || row[i].is_empty())
            );
            continue;
        }
        // The direction against w/‖w‖ computed here from the raw columns: within 1e-12.
        assert!((number("norm").unwrap() - norm).abs() <= 1e-12 * norm);
        assert!((number("d1").unwrap() - w1 / norm).abs() < 1e-12, "{line}");
        assert!((number("d2").unwrap() - w2 / norm).abs() < 1e-12, "{line}");
        assert!(number("b").is_ok() && number("angle_l2").is_ok(), "{line}");
        rows += 1;
    }
    assert!(rows > 20);
    assert!(
        text.contains(",\"sgd, batch 2\",sgd,"),
        "a label with a comma is quoted"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Completion with learning rates far too large: both runs diverge, one through an overflowing
/// loss (caught before its update, its factors still finite) and one inside the update.
const DIVERGING: &str = r#"
experiment = "matrix"
[data]
source = "low-rank"
size = 6
rank = 1
observed = 0.6
[model]
init_scale = 0.5
[[runs]]
optimizer = "gd"
lr = 3.0
[[runs]]
optimizer = "gd"
lr = 1e6
[show]
svd_every = 1
"#;

#[test]
fn a_diverged_run_reports_null_for_every_number() {
    let dir = temp_dir("diverged");
    let json = headless::run(spec_from(&dir, DIVERGING), 200, None).expect("runs");
    let report: Value = serde_json::from_str(&json).unwrap();
    for run in report["runs"].as_array().unwrap() {
        assert_eq!(run["status"], "diverged", "{run}");
        let sigmas = run["singular_values"].as_array().unwrap();
        assert_eq!(sigmas.len(), 6);
        assert!(sigmas.iter().all(Value::is_null), "{run}");
        for key in ["train_loss", "test_error", "nuclear_norm", "effective_rank"] {
            assert!(run[key].is_null(), "{key}: {run}");
        }
        assert!(run["lr"].as_f64().is_some(), "what the preset gave stays");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_exported_trace_has_the_run_trace_columns_and_rows_from_the_histories() {
    let dir = temp_dir("export");
    let spec = spec_from(&dir, LINEAR);
    let trace = dir.join("run.csv");
    headless::run(spec.clone(), 500, Some(&trace)).expect("runs");
    let run_header = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let mut experiment = Experiment::new(spec);
    experiment.step(500);
    let files =
        export::export(&dir, "offset", "Offset", &[], &experiment.snapshot()).expect("writes");
    assert_eq!(files.svg, dir.join("offset-step500.svg"));
    assert_eq!(files.csv, dir.join("offset-step500.csv"));
    let csv = std::fs::read_to_string(&files.csv).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), run_header);
    let steps: Vec<(u64, u64)> = lines
        .map(|l| {
            let row = cells(l);
            (row[0].parse().unwrap(), row[1].parse().unwrap())
        })
        .collect();
    assert!(steps.is_sorted(), "sorted by step, then run");
    assert_eq!(
        steps.iter().filter(|(step, _)| *step == 0).count(),
        4,
        "every run's start"
    );
    assert!(steps.iter().any(|(step, _)| *step > 400));
    assert_eq!(
        steps.iter().filter(|(step, _)| *step == 500).count(),
        4,
        "the trace runs to the step on screen, every run"
    );
    roxmltree::Document::parse(&std::fs::read_to_string(&files.svg).unwrap()).expect("XML");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_export_into_a_folder_under_a_file_says_so_and_how_to_choose_another() {
    let dir = temp_dir("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let spec = spec_from(&dir, LINEAR);
    let experiment = Experiment::new(spec);
    let error = export::export(
        &file.join("sub"),
        "offset",
        "Offset",
        &[],
        &experiment.snapshot(),
    )
    .expect_err("a folder under a file cannot exist");
    assert!(
        error.contains("cannot create the folder") && error.contains("a-file/sub"),
        "{error}"
    );
    assert!(error.contains("--export-dir"), "{error}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A small diagonal problem: run 1 converges slowly, run 2 (lr 10) diverges within a few steps.
const DIAGONAL: &str = r#"
experiment = "diagonal"
[data]
source = "sparse"
points = 10
features = 30
nonzeros = 2
[model]
init_scale = 0.5
[[runs]]
optimizer = "gd"
lr = 1e-3
[[runs]]
optimizer = "gd"
lr = 10.0
"#;

/// A CSV cell against the engine's number: empty for `None` or non-finite, else the same bits.
fn assert_cell_is(cell: &str, want: Option<f64>, what: &str) {
    match want.filter(|v| v.is_finite()) {
        None => assert_eq!(cell, "", "{what}"),
        Some(want) => assert_eq!(
            cell.parse::<f64>().unwrap().to_bits(),
            want.to_bits(),
            "{what}"
        ),
    }
}

#[test]
fn diagonal_traces_follow_the_null_rule_and_the_export_rebuilds_them_from_histories() {
    use implicit_bias::core::experiment::{RunStatus, SnapshotBody};
    let dir = temp_dir("diagonal");
    let spec = spec_from(&dir, DIAGONAL);
    let trace = dir.join("run.csv");
    let json = headless::run(spec.clone(), 300, Some(&trace)).expect("runs");
    let report: Value = serde_json::from_str(&json).unwrap();
    // The JSON of the diverged run: every computed number null, its distances `{}`; what the
    // preset gave stays.
    let diverged = &report["runs"][1];
    assert_eq!(diverged["status"], "diverged", "{diverged}");
    assert!(diverged["w"].as_array().unwrap().iter().all(Value::is_null));
    for key in ["train_loss", "l1_norm", "l2_norm"] {
        assert!(diverged[key].is_null(), "{key}: {diverged}");
    }
    assert_eq!(diverged["distances"], serde_json::json!({}));
    assert_eq!(diverged["init_scale"], 0.5);
    let written = std::fs::read_to_string(&trace).unwrap();
    let last = written.lines().last().unwrap();
    assert_eq!(
        cells(last)[4..],
        ["0.5", "2", "", "", "", "", "", "", "diverged"]
    );
    // The export from the histories: the run trace's header, and every row equal to the engine
    // replayed to that step (bits of each number; empty from the step a run diverged).
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(300);
    let exported = headless::trace_from_histories(&experiment.snapshot());
    // What the dashboard's `e` writes: this CSV and the diagonal figure (no longer refused).
    let files = export::export(&dir, "diag", "Diag", &[], &experiment.snapshot()).expect("writes");
    assert_eq!(std::fs::read_to_string(&files.csv).unwrap(), exported);
    roxmltree::Document::parse(&std::fs::read_to_string(&files.svg).unwrap()).expect("XML");
    let mut lines = exported.lines();
    assert_eq!(lines.next(), written.lines().next(), "the same header");
    let mut replay = Experiment::new(spec);
    let mut rows = 0;
    for line in lines {
        let row = cells(line);
        let step: u64 = row[0].parse().unwrap();
        replay.step(step - replay.steps_done());
        let SnapshotBody::Diagonal(s) = replay.snapshot().body else {
            panic!("a diagonal snapshot")
        };
        let run = &s.runs[row[1].parse::<usize>().unwrap() - 1];
        let what = format!("step {step} run {}", row[1]);
        assert_eq!(row[12], run.status.name(), "{what}");
        let diverged = matches!(run.status, RunStatus::Diverged { .. });
        let shown = |v: Option<f64>| v.filter(|_| !diverged);
        let d = run.distances;
        let numbers = [
            Some(run.train_loss),
            Some(run.l1_norm),
            Some(run.l2_norm),
            d.min_l1,
            d.min_l2,
            d.implicit,
        ];
        for (k, want) in numbers.into_iter().enumerate() {
            assert_cell_is(
                &row[6 + k],
                shown(want),
                &format!("{what} column {}", 7 + k),
            );
        }
        rows += 1;
    }
    assert!(rows > 20, "a log-spaced history has many rows, got {rows}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `e` into a folder that does not exist yet makes it; the trace ends at the step on screen and
/// says `converged` for a run that converged (kernel-vs-rich's α = 1 run converges at step 500),
/// and the figure's caption records what the experiment changed from its file.
#[test]
fn an_export_makes_its_folder_runs_to_the_step_on_screen_and_says_converged() {
    let dir = temp_dir("fresh-export").join("not/yet/there");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/kernel-vs-rich.toml");
    let spec = implicit_bias::preset::load(&path).expect("kernel-vs-rich loads");
    let mut experiment = Experiment::new(spec);
    experiment.step(1234);
    let snapshot = experiment.snapshot();
    let implicit_bias::core::experiment::SnapshotBody::Diagonal(state) = &snapshot.body else {
        panic!("diagonal")
    };
    assert!(matches!(
        state.runs[2].status,
        implicit_bias::core::experiment::RunStatus::Converged { .. }
    ));
    let set = vec!["runs.1.lr=0.0004".to_owned()];
    let files = export::export(&dir, "kvr", "Kernel vs rich", &set, &snapshot).expect("writes");
    let csv = std::fs::read_to_string(&files.csv).unwrap();
    let last: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(cells)
        .filter(|row| row[0] == "1234")
        .collect();
    assert_eq!(
        last.len(),
        3,
        "one row per run at the step on screen:\n{csv}"
    );
    assert_eq!(last[2][12], "converged");
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    assert!(
        svg.contains("set runs.1.lr=0.0004"),
        "the caption records the override"
    );
    std::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap().parent().unwrap()).ok();
}
