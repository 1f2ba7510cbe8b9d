//! `--set`, `sweep` and `merge` through the real binary: overrides equal edits of the file,
//! the low-rank bias shows up across a grid, and the CSV does not depend on `--jobs` or on
//! being split into shards and merged.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test, as cargo built it for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");
/// The 16×16 completion the sweep tests use.
const COMPLETION: &str = "tests/sweep/completion-16.toml";

/// Runs the binary from the checkout's root with stdin closed and stdout piped.
fn implicit_bias(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Stdout of a command that must succeed.
fn success(args: &[&str]) -> String {
    let output = implicit_bias(args);
    assert!(
        output.status.success(),
        "{args:?}: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A fresh temporary folder for this test process and `name`.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("implicit-bias-sweep-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The rows of a sweep CSV as maps from column name to cell.
fn rows(csv: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    lines
        .map(|line| {
            header
                .iter()
                .zip(line.split(','))
                .map(|(h, v)| ((*h).to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], column: &str) -> &'a str {
    &row.iter()
        .find(|(h, _)| h == column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .1
}

#[test]
fn a_set_gives_the_same_json_as_editing_the_file() {
    // Independent of the override code: the same change made with a text edit of a copy.
    let dir = temp_dir("edit");
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(COMPLETION)).unwrap();
    let edited = original
        .replace("init_scale = 1e-3", "init_scale = 0.25")
        .replace("seed = 7", "seed = 11");
    assert_ne!(edited, original);
    let copy = dir.join("edited.toml");
    std::fs::write(&copy, edited).unwrap();
    let via_file = success(&["run", copy.to_str().unwrap(), "--steps", "50"]);
    let via_set = success(&[
        "run",
        COMPLETION,
        "--steps",
        "50",
        "--set",
        "model.init_scale=0.25",
        "--set",
        "seed=11",
    ]);
    // The title comes from the file name only when absent; this preset has one, so the JSON
    // must match byte for byte.
    assert_eq!(via_set, via_file);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_set_value_gets_the_check_of_the_file_named_by_the_argument() {
    // The same bad value in the file and on the command line: the same problem and fix, one
    // located at the file's line, the other at the --set argument.
    let dir = temp_dir("bad");
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(COMPLETION)).unwrap();
    let copy = dir.join("bad.toml");
    std::fs::write(&copy, original.replace("lr = 0.05", "lr = -2")).unwrap();
    let from_file = implicit_bias(&["check", copy.to_str().unwrap()]);
    let from_set = implicit_bias(&["check", COMPLETION, "--set", "runs.1.lr=-2"]);
    let (file_err, set_err) = (
        String::from_utf8_lossy(&from_file.stderr),
        String::from_utf8_lossy(&from_set.stderr),
    );
    assert_eq!(from_file.status.code(), Some(1));
    assert_eq!(from_set.status.code(), Some(1));
    let problem = "runs[1].lr: -2 is out of range; use a number > 0";
    assert!(
        file_err.contains(&format!("bad.toml:21: {problem}")),
        "{file_err}"
    );
    assert!(
        set_err.contains(&format!(
            "completion-16.toml: --set runs.1.lr=-2: {problem}"
        )),
        "{set_err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn small_inits_complete_the_matrix_ten_times_better_than_init_one() {
    let csv = success(&[
        "sweep",
        COMPLETION,
        "--set",
        "model.init_scale=1e-3,1e-2,0.1,1",
        "--set",
        "runs.1.lr=0.02,0.05",
        "--seeds",
        "2",
    ]);
    let rows = rows(&csv);
    assert_eq!(
        rows.len(),
        16,
        "4 scales × 2 lr × 2 seeds, one run each:\n{csv}"
    );
    for (point, row) in rows.iter().enumerate() {
        assert_eq!(cell(row, "point"), point.to_string());
    }
    // Points are numbered with the first --set slowest and the seeds fastest.
    let seeds: Vec<&str> = rows.iter().map(|r| cell(r, "seed")).collect();
    assert_eq!(&seeds[..4], ["7", "8", "7", "8"]);
    assert_eq!(cell(&rows[4], "model.init_scale"), "1e-2");
    let test_error = |scale: &str, lr: &str, seed: &str| -> f64 {
        let row = rows
            .iter()
            .find(|r| {
                cell(r, "model.init_scale") == scale
                    && cell(r, "runs.1.lr") == lr
                    && cell(r, "seed") == seed
            })
            .expect("every combination is a row");
        assert_eq!(cell(row, "status"), "ok");
        cell(row, "test_error").parse().unwrap()
    };
    for lr in ["0.02", "0.05"] {
        for seed in ["7", "8"] {
            let large = test_error("1", lr, seed);
            for small in ["1e-3", "1e-2"] {
                let error = test_error(small, lr, seed);
                assert!(
                    error * 10.0 <= large,
                    "lr {lr} seed {seed}: init {small} test error {error} vs init 1 {large}"
                );
            }
        }
    }
}

#[test]
fn the_csv_is_the_same_whatever_the_jobs_and_after_shards_are_merged() {
    let grid = [
        "sweep",
        "max-margin",
        "--set",
        "runs.1.lr=0.1,1,10",
        "--set",
        "runs.2.init=[1.0,-2.0],[0.5,0.5]",
        "--seeds",
        "2",
        "--steps",
        "300",
    ];
    let one = success(&[&grid[..], &["--jobs", "1"]].concat());
    let two = success(&[&grid[..], &["--jobs", "2"]].concat());
    assert_eq!(one, two);
    assert_eq!(rows(&one).len(), 3 * 2 * 2 * 4, "points × runs");
    assert!(
        one.contains(",\"[1.0,-2.0]\","),
        "a value with commas is one quoted field"
    );
    let dir = temp_dir("shards");
    let mut files = vec![];
    // Written in reverse so merge has to sort.
    for k in (0..5).rev() {
        let shard = format!("{k}/5");
        let csv = success(&[&grid[..], &["--shard", &shard]].concat());
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with(&format!("# implicit-bias sweep shard {shard} of ")),
            "each shard says which it is"
        );
        assert_eq!(
            lines.next(),
            one.lines().next(),
            "each shard has the header"
        );
        let file = dir.join(format!("shard-{k}.csv"));
        std::fs::write(&file, csv).unwrap();
        files.push(file.to_string_lossy().into_owned());
    }
    let mut merge = vec!["merge"];
    merge.extend(files.iter().map(String::as_str));
    assert_eq!(success(&merge), one);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_csv_is_the_same_whatever_the_threads_each_point_gets() {
    // 100 × 100 at width 27: large enough for a point's products to share two threads, which
    // it does when the budget leaves it two (`--jobs 1 --threads 2`) and not otherwise.
    let dir = temp_dir("threads");
    let preset = dir.join("shared.toml");
    std::fs::write(
        &preset,
        "title = \"shared\"\nexperiment = \"matrix\"\nseed = 3\n\
         [data]\nsource = \"low-rank\"\nsize = 100\nrank = 2\nobserved = 0.6\n\
         [model]\nwidth = 27\ninit_scale = 0.05\n\
         [[runs]]\noptimizer = \"gd\"\nlr = 0.002\n[[runs]]\noptimizer = \"momentum\"\n\
         lr = 0.002\n[show]\nreferences = []\n",
    )
    .unwrap();
    let preset = preset.to_string_lossy().into_owned();
    let grid = [
        "sweep",
        preset.as_str(),
        "--set",
        "model.depth=2,3",
        "--seeds",
        "2",
        "--steps",
        "200",
    ];
    let alone = success(&[&grid[..], &["--jobs", "1", "--threads", "1"]].concat());
    assert_eq!(rows(&alone).len(), 2 * 2 * 2, "points × runs");
    for budget in [["1", "2"], ["2", "1"], ["3", "4"], ["2", "2"]] {
        let csv = success(&[&grid[..], &["--jobs", budget[0], "--threads", budget[1]]].concat());
        assert!(csv == alone, "--jobs {} --threads {}", budget[0], budget[1]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_diverged_run_is_a_row_not_an_abort() {
    let csv = success(&[
        "sweep",
        COMPLETION,
        "--set",
        "model.init_scale=1",
        "--set",
        "runs.1.lr=0.02,100",
        "--steps",
        "200",
    ]);
    let rows = rows(&csv);
    assert_eq!(rows.len(), 2);
    assert_eq!(cell(&rows[0], "status"), "ok");
    assert_eq!(cell(&rows[0], "status_step"), "");
    assert_eq!(cell(&rows[1], "status"), "diverged");
    assert!(cell(&rows[1], "status_step").parse::<u64>().unwrap() <= 200);
}

#[test]
fn depth_can_be_swept_and_each_row_is_the_run_at_that_depth() {
    // Independent of the sweep's plumbing: each row's numbers against `run --set
    // model.depth=L` of the same preset and steps (one engine, reached two ways), to the bit.
    let csv = success(&[
        "sweep",
        COMPLETION,
        "--set",
        "model.depth=2,3",
        "--steps",
        "400",
    ]);
    let rows = rows(&csv);
    assert_eq!(rows.len(), 2, "{csv}");
    for (row, depth) in rows.iter().zip(["2", "3"]) {
        assert_eq!(cell(row, "model.depth"), depth);
        let json = success(&[
            "run",
            COMPLETION,
            "--steps",
            "400",
            "--set",
            &format!("model.depth={depth}"),
        ]);
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let run = &report["runs"][0];
        assert_eq!(run["depth"].to_string(), depth);
        for column in ["train_loss", "test_error", "nuclear_norm", "effective_rank"] {
            let from_sweep: f64 = cell(row, column).parse().unwrap();
            let from_run = run[column].as_f64().unwrap();
            assert_eq!(
                from_sweep.to_bits(),
                from_run.to_bits(),
                "depth {depth} {column}"
            );
        }
    }
    assert_ne!(
        cell(&rows[0], "train_loss"),
        cell(&rows[1], "train_loss"),
        "depth changes the run"
    );
}

#[test]
fn a_diagonal_sweep_has_the_distance_columns() {
    // The diagonal kind's columns, and the init-scale effect they exist to show: the small
    // init ends nearer min-ℓ1 than min-ℓ2, the large one the other way round (the theory the
    // kernel-vs-rich preset illustrates; its own tests pin the distances).
    let csv = success(&[
        "sweep",
        "presets/kernel-vs-rich.toml",
        "--set",
        "runs.1.init_scale=0.01,1",
    ]);
    let header = csv.lines().next().unwrap();
    for column in [
        "train_loss",
        "l1_norm",
        "l2_norm",
        "distance_min-l1",
        "distance_min-l2",
        "distance_implicit",
    ] {
        assert!(header.split(',').any(|h| h == column), "{header}");
    }
    let rows = rows(&csv);
    let first_runs: Vec<_> = rows.iter().filter(|r| cell(r, "run") == "1").collect();
    assert_eq!(first_runs.len(), 2);
    let distance = |row: &[(String, String)], name: &str| -> f64 {
        cell(row, &format!("distance_{name}")).parse().unwrap()
    };
    assert!(distance(first_runs[0], "min-l1") < distance(first_runs[0], "min-l2"));
    assert!(distance(first_runs[1], "min-l2") < distance(first_runs[1], "min-l1"));
}

/// The column index of `name` in a CSV header line.
fn column(header: &str, name: &str) -> usize {
    header
        .split(',')
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {header}"))
}

/// A `[model]` key that every run of `large-init` sets for itself would change nothing: the
/// sweep is refused with the per-run fix, and the fix sweeps, with a varying `init_scale`
/// column that holds the values asked for.
#[test]
fn a_shadowed_model_key_is_refused_and_runs_star_sweeps_every_run() {
    let refused = implicit_bias(&[
        "sweep",
        "large-init",
        "--set",
        "model.init_scale=1e-3,1e-2",
        "--steps",
        "5",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("every run sets its own init_scale")
            && message.contains("runs.*.init_scale=1e-3"),
        "{message}"
    );
    assert!(refused.stdout.is_empty());
    let csv = success(&[
        "sweep",
        "large-init",
        "--set",
        "runs.*.init_scale=1e-3,1e-2",
        "--steps",
        "5",
    ]);
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let (scale, depth, loss) = (
        column(header, "init_scale"),
        column(header, "depth"),
        column(header, "train_loss"),
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let scales: Vec<f64> = rows.iter().map(|r| r[scale].parse().unwrap()).collect();
    assert_eq!(scales, [1e-3, 1e-3, 1e-2, 1e-2], "{csv}");
    assert!(rows.iter().all(|r| r[depth] == "2"));
    assert_ne!(
        rows[0][loss], rows[2][loss],
        "the override reached the runs"
    );
}

/// Every row carries its run's options, the same columns whatever the rule: Adam's betas and
/// eps where it has them, empty cells for GD.
#[test]
fn sweep_rows_carry_each_runs_options() {
    let csv = success(&["sweep", "sgd-vs-adam", "--steps", "3"]);
    let mut lines = csv.lines();
    let header = lines.next().unwrap().to_owned();
    let rows: Vec<String> = lines.map(str::to_owned).collect();
    let eps = column(&header, "eps");
    let optimizer = column(&header, "optimizer");
    for row in &rows {
        // betas is quoted ("[0.9,0.999]"), so split after unquoting it.
        let cells: Vec<String> = row
            .replace("\"[0.9,0.999]\"", "betas")
            .split(',')
            .map(str::to_owned)
            .collect();
        assert_eq!(cells.len(), header.split(',').count(), "{row}");
        match cells[optimizer].as_str() {
            "adam" => assert_eq!(cells[eps], "1e-8", "{row}"),
            _ => assert_eq!(cells[eps], "", "{row}"),
        }
    }
}

/// A set of shards with any one missing — the first, a middle or the last — is refused with the
/// missing shard named; the complete set merges to the unsharded sweep, byte for byte.
#[test]
fn merge_refuses_any_incomplete_set_of_shards() {
    let dir = temp_dir("merge-missing");
    let grid = [
        "sweep",
        "large-init",
        "--set",
        "runs.*.init_scale=1e-3,1e-2,0.1,1,2",
        "--steps",
        "3",
    ];
    let files: Vec<PathBuf> = (0..3)
        .map(|k| {
            let shard = format!("{k}/3");
            let mut args = grid.to_vec();
            args.extend(["--shard", &shard]);
            let path = dir.join(format!("shard-{k}.csv"));
            std::fs::write(&path, success(&args)).unwrap();
            path
        })
        .collect();
    let whole = success(&grid);
    let all: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let mut merge = vec!["merge"];
    merge.extend(&all);
    assert_eq!(success(&merge), whole);
    for missing in 0..3 {
        let mut args = vec!["merge"];
        args.extend(
            all.iter()
                .enumerate()
                .filter(|(k, _)| *k != missing)
                .map(|(_, f)| *f),
        );
        let output = implicit_bias(&args);
        assert_eq!(output.status.code(), Some(1), "shard {missing} missing");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            message.contains(&format!("shard {missing}/3 is missing")),
            "{message}"
        );
        assert!(output.stdout.is_empty());
    }
}

/// A network sweep names each run's network in `architecture`, right after `init_scale` (as
/// the `run` JSON does), so a run of its own widths, or a swept width, says what was run: here
/// run 2's widths swept over [10] and [3] beside runs 1 and 3 of the [model] shape.
#[test]
fn network_sweep_rows_name_each_runs_architecture() {
    let csv = success(&[
        "sweep",
        "tests/bad-presets/should-load/network-run-widths.toml",
        "--set",
        "runs.2.widths=[10],[3]",
        "--steps",
        "20",
    ]);
    let header = csv.lines().next().unwrap();
    assert_eq!(
        column(header, "architecture"),
        column(header, "init_scale") + 1,
        "{header}"
    );
    let architectures: Vec<(String, String, String)> = rows(&csv)
        .iter()
        .map(|row| {
            let cells = ["point", "run", "architecture"].map(|c| cell(row, c).to_owned());
            let [point, run, architecture] = cells;
            (point, run, architecture)
        })
        .collect();
    let expected = [
        ("0", "1", "1→8→6→1 tanh"),
        ("0", "2", "1→10→1 tanh"),
        ("0", "3", "1→8→6→1 tanh"),
        ("1", "1", "1→8→6→1 tanh"),
        ("1", "2", "1→3→1 tanh"),
        ("1", "3", "1→8→6→1 tanh"),
    ]
    .map(|(p, r, a)| (p.to_owned(), r.to_owned(), a.to_owned()));
    assert_eq!(architectures, expected, "{csv}");
}
