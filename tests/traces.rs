//! Traces and labels: run labels and every applicable hyper-parameter in the JSON, the trace
//! columns (raw w, b, the direction), empty margin and angles for w = 0, nulls for diverged runs,
//! the trace the dashboard exports from its histories, and an export into a folder that cannot
//! exist. The values `run --trace` writes are checked against plain float64 loops written here
//! (GD on a linear exp loss, and on a depth-3 diagonal network), step by logged step.

use std::fmt::Write as _;
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
        [
            "0.5", "2", "", "", "", "", "", "", "", "", "", "", "diverged"
        ]
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
        assert_eq!(row[16], run.status.name(), "{what}");
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
            d.effective,
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
    assert_eq!(last[2][16], "converged");
    let svg = std::fs::read_to_string(&files.svg).unwrap();
    assert!(
        svg.contains("set runs.1.lr=0.0004"),
        "the caption records the override"
    );
    std::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap().parent().unwrap()).ok();
}

/// The rows of a trace CSV as maps from column name to cell.
fn trace_rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("the trace");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| ((*h).to_owned(), c.to_owned()))
                .collect()
        })
        .collect()
}

/// Runs the real binary's `run PRESET --trace FILE` and returns the trace's rows.
fn traced_run(
    dir: &std::path::Path,
    preset: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    let preset_path = dir.join("p.toml");
    std::fs::write(&preset_path, preset).unwrap();
    let trace = dir.join("trace.csv");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_implicit-bias"))
        .arg("run")
        .arg(&preset_path)
        .arg("--trace")
        .arg(&trace)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    trace_rows(&trace)
}

fn cell(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    row.get(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .parse()
        .unwrap_or_else(|e| panic!("{column}: {e}"))
}

/// |got − want| ≤ tol·|want| (relative), with the column and step in the message.
fn relative(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs(),
        "{what}: traced {got:e}, plain loop {want:e}"
    );
}

/// The tiny linear data set of [`linear_trace_values_match_a_plain_float64_loop`]: signed rows
/// zᵢ = yᵢxᵢ.
const TINY_POINTS: [([f64; 2], f64); 5] = [
    ([1.0, 0.5], 1.0),
    ([2.0, -0.2], 1.0),
    ([0.7, 1.5], 1.0),
    ([-1.0, -1.0], -1.0),
    ([-0.5, -2.0], -1.0),
];

/// The ℓ2 max-margin direction of [`TINY_POINTS`] in closed form: by hard-margin SVM duality it
/// is the point of the convex hull of the signed rows zᵢ = yᵢxᵢ nearest the origin, normalised.
/// In 2-d that point lies on a segment [zᵢ, zⱼ] (an edge, or a vertex when i = j), so the least
/// of each segment's nearest point a + t(b − a), t = clamp(−a·(b − a)/‖b − a‖², 0, 1), is it.
fn tiny_l2_direction() -> [f64; 2] {
    let rows: Vec<[f64; 2]> = TINY_POINTS
        .iter()
        .map(|(x, y)| [y * x[0], y * x[1]])
        .collect();
    let mut nearest = rows[0];
    for a in &rows {
        for b in &rows {
            let edge = [b[0] - a[0], b[1] - a[1]];
            let length = edge[0] * edge[0] + edge[1] * edge[1];
            let t = if length == 0.0 {
                0.0
            } else {
                (-(a[0] * edge[0] + a[1] * edge[1]) / length).clamp(0.0, 1.0)
            };
            let point = [a[0] + t * edge[0], a[1] + t * edge[1]];
            if point[0].hypot(point[1]) < nearest[0].hypot(nearest[1]) {
                nearest = point;
            }
        }
    }
    let norm = nearest[0].hypot(nearest[1]);
    [nearest[0] / norm, nearest[1] / norm]
}

#[test]
fn linear_trace_values_match_a_plain_float64_loop() {
    // `run --trace` of a one-run GD preset on five points (exp loss, lr 0.1, 1,000 steps from
    // [0.5, −1]) against GD written here: L = Σ e^{−yᵢ⟨w, xᵢ⟩}, w ← w − lr ∇L. At every traced
    // step: loss, ‖w‖, margin minᵢ yᵢ⟨w/‖w‖, xᵢ⟩, w and w/‖w‖ within 1e-9 relative (the
    // binary and the loop sum in different orders: measured below 1e-13); angle_l2 within
    // 1e-9° of the angle to the max-margin direction found here in closed form (measured below
    // 1e-11°). The
    // traced steps start 0, 1, 2, 3, rise strictly and end at the horizon.
    let dir = temp_dir("plain-linear");
    let mut csv = String::from("x1,x2,label\n");
    for (x, y) in TINY_POINTS {
        writeln!(csv, "{},{},{}", x[0], x[1], y).unwrap();
    }
    std::fs::write(dir.join("d.csv"), csv).unwrap();
    let rows = traced_run(
        &dir,
        "experiment = \"linear\"\n[data]\nsource = \"csv\"\npath = \"d.csv\"\n[model]\n\
         loss = \"exp\"\n[[runs]]\noptimizer = \"gd\"\nlr = 0.1\ninit = [0.5, -1.0]\n\
         [show]\nsteps = 1000\nreferences = [\"l2\"]\n",
    );
    let steps: Vec<u64> = rows.iter().map(|r| cell(r, "step") as u64).collect();
    assert_eq!(steps[..4], [0, 1, 2, 3]);
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    assert_eq!(steps.last(), Some(&1000));
    let l2 = tiny_l2_direction();

    let (lr, mut w, mut done) = (0.1, [0.5_f64, -1.0], 0);
    for row in &rows {
        let step = cell(row, "step") as u64;
        while done < step {
            let mut g = [0.0; 2];
            for (x, y) in TINY_POINTS {
                let weight = (-y * (w[0] * x[0] + w[1] * x[1])).exp();
                g[0] -= weight * y * x[0];
                g[1] -= weight * y * x[1];
            }
            w = [w[0] - lr * g[0], w[1] - lr * g[1]];
            done += 1;
        }
        let at = |what: &str| format!("{what} at step {step}");
        let loss: f64 = TINY_POINTS
            .iter()
            .map(|(x, y)| (-y * (w[0] * x[0] + w[1] * x[1])).exp())
            .sum();
        let norm = w[0].hypot(w[1]);
        let direction = [w[0] / norm, w[1] / norm];
        let margin = TINY_POINTS
            .iter()
            .map(|(x, y)| y * (direction[0] * x[0] + direction[1] * x[1]))
            .fold(f64::INFINITY, f64::min);
        relative(cell(row, "loss"), loss, 1e-9, &at("loss"));
        relative(cell(row, "norm"), norm, 1e-9, &at("norm"));
        relative(cell(row, "margin"), margin, 1e-9, &at("margin"));
        for k in 0..2 {
            let (wk, dk) = (format!("w{}", k + 1), format!("d{}", k + 1));
            assert!((cell(row, &wk) - w[k]).abs() <= 1e-9 * norm, "{}", at(&wk));
            assert!((cell(row, &dk) - direction[k]).abs() <= 1e-9, "{}", at(&dk));
        }
        let angle = (direction[0] * l2[0] + direction[1] * l2[1])
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees();
        let traced = cell(row, "angle_l2");
        assert!(
            (traced - angle).abs() <= 1e-9,
            "{}: {traced} vs {angle}",
            at("angle_l2")
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn diagonal_trace_values_match_a_plain_float64_loop() {
    // `run --trace` of a depth-3 diagonal network (3 points, 6 features from a CSV, α = 0.5,
    // GD lr 0.01, 2,000 steps) against the loop written here: w = u³ − v³, r = Xw − y,
    // g = Xᵀr, u ← u − lr·3u²g, v ← v + lr·3v²g. At every traced step: l1_norm and l2_norm
    // within 1e-9 relative (measured below 1e-12); train_loss = ½‖r‖² within 1e-9 relative
    // plus 1e-14·‖r‖, the rounding of r's entries (about 1e-15 each, summed in another order)
    // times ‖r‖, which dominates once the run interpolates and L falls to 1e-14; distance_min-l2,
    // ‖w − w₂‖/‖w₂‖ with w₂ = Xᵀ(XXᵀ)⁻¹y by Cholesky here, within 1e-9 absolute.
    let x = [
        [1.0, 0.5, -0.3, 0.0, 2.0, -1.0],
        [0.2, -1.0, 0.8, 1.5, 0.0, 0.4],
        [-0.7, 0.3, 1.1, -0.6, 0.9, 0.0],
    ];
    let y = [1.0, -0.5, 0.8];
    let dir = temp_dir("plain-diagonal");
    let mut csv = String::from("x1,x2,x3,x4,x5,x6,y\n");
    for (row, target) in x.iter().zip(y) {
        let cells: Vec<String> = row.iter().map(f64::to_string).collect();
        writeln!(csv, "{},{target}", cells.join(",")).unwrap();
    }
    std::fs::write(dir.join("d.csv"), csv).unwrap();
    let rows = traced_run(
        &dir,
        "experiment = \"diagonal\"\n[data]\nsource = \"csv\"\npath = \"d.csv\"\n[model]\n\
         depth = 3\n[[runs]]\noptimizer = \"gd\"\nlr = 0.01\ninit_scale = 0.5\n\
         [show]\nsteps = 2000\n",
    );
    assert_eq!(rows.last().map(|r| cell(r, "step")), Some(2000.0));

    let design = nalgebra::DMatrix::from_fn(3, 6, |i, j| x[i][j]);
    let gram = &design * design.transpose();
    let coefficients = gram
        .cholesky()
        .expect("X has full row rank")
        .solve(&nalgebra::DVector::from_column_slice(&y));
    let min_l2 = design.transpose() * coefficients;
    let residual = |w: &[f64; 6]| -> [f64; 3] {
        std::array::from_fn(|i| (0..6).map(|j| x[i][j] * w[j]).sum::<f64>() - y[i])
    };
    let (lr, mut u, mut v, mut done) = (0.01, [0.5_f64; 6], [0.5_f64; 6], 0);
    let weights = |u: &[f64; 6], v: &[f64; 6]| -> [f64; 6] {
        std::array::from_fn(|j| u[j].powi(3) - v[j].powi(3))
    };
    for row in &rows {
        let step = cell(row, "step") as u64;
        while done < step {
            let r = residual(&weights(&u, &v));
            for j in 0..6 {
                let g: f64 = (0..3).map(|i| x[i][j] * r[i]).sum();
                u[j] -= lr * 3.0 * u[j] * u[j] * g;
                v[j] += lr * 3.0 * v[j] * v[j] * g;
            }
            done += 1;
        }
        let at = |what: &str| format!("{what} at step {step}");
        let w = weights(&u, &v);
        let loss = 0.5 * residual(&w).iter().map(|r| r * r).sum::<f64>();
        let l1: f64 = w.iter().map(|c| c.abs()).sum();
        let l2 = w.iter().map(|c| c * c).sum::<f64>().sqrt();
        let gap = (0..6)
            .map(|j| (w[j] - min_l2[j]).powi(2))
            .sum::<f64>()
            .sqrt()
            / min_l2.norm();
        let traced_loss = cell(row, "train_loss");
        assert!(
            (traced_loss - loss).abs() <= 1e-9 * loss + 1e-14 * (2.0 * loss).sqrt(),
            "{}: traced {traced_loss:e}, plain loop {loss:e}",
            at("train_loss")
        );
        relative(cell(row, "l1_norm"), l1, 1e-9, &at("l1_norm"));
        relative(cell(row, "l2_norm"), l2, 1e-9, &at("l2_norm"));
        let traced = cell(row, "distance_min-l2");
        assert!(
            (traced - gap).abs() <= 1e-9,
            "{}: {traced} vs {gap}",
            at("distance_min-l2")
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A matrix trace has a row at every multiple of `[show] svd_every` (beside its log grid), as
/// docs/lab.md promises for the singular values over time; the log grid alone would skip most.
#[test]
fn matrix_traces_have_a_row_every_svd_every_steps() {
    let dir = temp_dir("svd-every");
    let preset = DIVERGING
        .replace("lr = 3.0", "lr = 0.01")
        .replace("lr = 1e6", "lr = 0.02")
        .replace("svd_every = 1", "svd_every = 70");
    let trace = dir.join("matrix.csv");
    headless::run(spec_from(&dir, &preset), 1000, Some(&trace)).expect("runs");
    let steps: std::collections::BTreeSet<u64> = trace_rows(&trace)
        .iter()
        .map(|row| row["step"].parse().expect("a step"))
        .collect();
    for multiple in (70..=1000).step_by(70) {
        assert!(
            steps.contains(&multiple),
            "no row at step {multiple}: {steps:?}"
        );
    }
    assert!(steps.contains(&1000), "the last step");
    std::fs::remove_dir_all(&dir).ok();
}
