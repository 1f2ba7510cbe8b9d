//! The command line as scripts see it: bad flags exit 2 with clap's message, bad paths exit 1
//! before any work, results are deterministic, and nothing but results ever reaches stdout.
//!
//! These run the real binary, because exit codes, stdout/stderr separation and flag parsing are
//! exactly what unit tests of the library cannot see.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test, as cargo built it for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");

/// Runs the binary from the checkout's root with stdin closed and stdout piped (not a terminal).
fn implicit_bias(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A fresh temporary folder for this test process and `name`.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("implicit-bias-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a small linear preset `name.toml` into `dir` (broken when `lr` is not positive).
fn write_preset(dir: &std::path::Path, name: &str, title: &str, lr: f64) {
    let text = format!(
        "experiment = \"linear\"\ntitle = \"{title}\"\n[data]\nsource = \"clusters\"\n\
         [[runs]]\noptimizer = \"gd\"\nlr = {lr:?}\n"
    );
    std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
}

/// A flag error: exit 2, nothing on stdout, clap's message naming the flag and the value.
fn assert_flag_error(args: &[&str], flag: &str, value: &str, hint: &str) {
    let output = implicit_bias(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        output.stdout.is_empty(),
        "{args:?}: stdout {}",
        stdout(&output)
    );
    assert!(!err.contains("panicked"), "{err}");
    for text in [flag, value, hint] {
        assert!(err.contains(text), "{args:?}: {text:?} missing from {err}");
    }
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    assert_flag_error(
        &["run", "max-margin", "--steps", "-5"],
        "--steps",
        "'-5'",
        "use a whole number of steps from 0 to",
    );
    assert_flag_error(
        &["run", "max-margin", "--steps", "many"],
        "--steps",
        "'many'",
        "not a whole number",
    );
    assert_flag_error(
        &["run", "max-margin", "--steps", "1.5"],
        "--steps",
        "'1.5'",
        "not a whole number",
    );
    assert_flag_error(&["--fps", "0"], "--fps", "'0'", "1..=120");
    for (threads, problem) in [
        ("0", "zero"),
        ("x", "not a whole number"),
        ("5000", "too many"),
    ] {
        assert_flag_error(
            &["run", "max-margin", "--threads", threads],
            "--threads",
            &format!("'{threads}'"),
            &format!("{problem}; use a whole number from 1 to 4096"),
        );
    }
    assert_flag_error(
        &["run", "max-margin", "--bogus"],
        "--bogus",
        "--bogus",
        "Usage",
    );
}

#[test]
fn an_unwritable_trace_is_refused_before_any_work() {
    let started = Instant::now();
    // 10¹² steps would take hours: returning at once shows the path is checked before stepping.
    let output = implicit_bias(&[
        "run",
        "sgd-vs-adam",
        "--steps",
        "1000000000000",
        "--trace",
        "/nonexistent-dir/x.csv",
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(output.stdout.is_empty());
    assert!(err.contains("/nonexistent-dir/x.csv"), "{err}");
    assert!(err.lines().count() <= 2, "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn run_is_deterministic() {
    let first = implicit_bias(&["run", "sgd-vs-adam", "--steps", "500"]);
    let second = implicit_bias(&["run", "sgd-vs-adam", "--steps", "500"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!first.stdout.is_empty());
    assert_eq!(first.stdout, second.stdout, "two runs of one preset differ");
}

/// A 100 × 100 completion at width 27, just large enough for its products to share two
/// threads, with two runs so that they can also step side by side.
const SHARED_MATRIX: &str = "title = \"shared\"\nexperiment = \"matrix\"\nseed = 3\n\
    [data]\nsource = \"low-rank\"\nsize = 100\nrank = 2\nobserved = 0.6\n\
    [model]\nwidth = 27\ninit_scale = 0.05\ndepth = 3\n\
    [[runs]]\noptimizer = \"gd\"\nlr = 0.002\n[[runs]]\noptimizer = \"adam\"\nlr = 1e-3\n\
    [show]\nreferences = []\n";

#[test]
fn the_json_is_the_same_bytes_whatever_the_thread_budget() {
    let dir = temp_dir("threads");
    let preset = dir.join("shared.toml");
    std::fs::write(&preset, SHARED_MATRIX).unwrap();
    let preset = preset.to_string_lossy().into_owned();
    let run = |threads: Option<&str>, env: Option<&str>| {
        let mut args = vec!["run", preset.as_str(), "--steps", "400"];
        if let Some(threads) = threads {
            args.extend(["--threads", threads]);
        }
        let mut command = Command::new(BIN);
        command.args(&args).stdin(Stdio::null());
        match env {
            Some(value) => command.env("RAYON_NUM_THREADS", value),
            None => command.env_remove("RAYON_NUM_THREADS"),
        };
        let output = command.output().expect("the binary runs");
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output.stdout
    };
    let alone = run(Some("1"), None);
    assert!(!alone.is_empty());
    for (threads, env) in [
        (Some("2"), None),
        (Some("3"), Some("1")),
        (None, Some("1")),
        (None, Some("2")),
        (None, None),
    ] {
        assert!(
            run(threads, env) == alone,
            "--threads {threads:?} with RAYON_NUM_THREADS={env:?} changed the JSON"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn zero_steps_is_a_valid_run() {
    let output = implicit_bias(&["run", "max-margin", "--steps", "0"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["steps"], 0);
}

#[test]
fn presets_lists_names_with_titles() {
    let output = implicit_bias(&["presets"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listing = stdout(&output);
    for (name, title) in [
        ("max-margin", "Max margin"),
        ("low-rank", "Low rank"),
        ("sgd-vs-adam", "SGD vs Adam"),
    ] {
        let line = listing
            .lines()
            .find(|l| l.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from {listing}"));
        assert!(line.contains(title), "{line}");
    }
}

#[test]
fn a_preset_name_resolves_and_an_unknown_one_lists_the_names() {
    let output = implicit_bias(&["run", "sgd-vs-adam", "--steps", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = implicit_bias(&["run", "max-margn", "--steps", "1"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    for name in ["max-margn", "max-margin", "low-rank", "sgd-vs-adam"] {
        assert!(err.contains(name), "{name} missing from {err}");
    }
}

#[test]
fn a_trace_has_a_header_and_bounded_rows() {
    let dir = temp_dir("trace");
    let path = dir.join("trace.csv");
    let path_text = path.to_string_lossy().into_owned();
    let output = implicit_bias(&[
        "run",
        "sgd-vs-adam",
        "--steps",
        "1000000",
        "--trace",
        &path_text,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let trace = std::fs::read_to_string(&path).unwrap();
    let mut lines = trace.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("step,run,label,optimizer,"), "{header}");
    let columns = header.split(',').count();
    let rows: Vec<&str> = lines.collect();
    // Log-spaced rows: 50 per decade × 6 decades × 2 runs is about 600, far from 2 million.
    assert!(rows.len() > 10 && rows.len() <= 3000, "{} rows", rows.len());
    assert!(rows.iter().all(|r| r.split(',').count() == columns));
    assert!(rows.last().unwrap().starts_with("1000000,"));
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "tui")]
#[test]
fn the_dashboard_without_a_terminal_points_to_run() {
    let output = implicit_bias(&["max-margin"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(output.stdout.is_empty());
    assert!(err.contains("implicit-bias run max-margin"), "{err}");
    assert!(err.lines().count() <= 2, "{err}");
}

/// Runs the binary with stdout a pipe whose reader is already closed (as `| true` or `| head`
/// leave it), so every write to stdout fails with a broken pipe.
#[cfg(unix)]
fn with_stdout_closed(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_every_output_quietly() {
    let cases: [&[&str]; 5] = [
        &["run", "max-margin", "--steps", "10"],
        &["check", "max-margin"],
        &["presets"],
        &["--help"],
        // The trace written to stdout itself: its broken pipe is no error either.
        &[
            "run",
            "max-margin",
            "--steps",
            "100",
            "--trace",
            "/dev/stdout",
        ],
    ];
    for args in cases {
        let output = with_stdout_closed(args);
        let err = stderr(&output);
        // 0, or 141 (128 + SIGPIPE) as a shell reports a process killed by the signal.
        assert!(
            matches!(output.status.code(), Some(0 | 141)),
            "{args:?}: {:?} {err}",
            output.status
        );
        assert!(err.is_empty(), "{args:?}: stderr {err}");
    }
}

#[test]
fn near_misses_of_a_subcommand_suggest_it() {
    for (typed, meant) in [
        (&["chek", "max-margin"][..], "'check'"),
        (&["runn", "max-margin", "--steps", "5"], "'run'"),
        (&["Run", "max-margin"], "'run'"),
        (&["preset"], "'presets'"),
        (&["--fps", "30", "chekc", "max-margin"], "'check'"),
    ] {
        let output = implicit_bias(typed);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{typed:?}: {err}");
        assert!(output.stdout.is_empty(), "{typed:?}");
        assert!(
            err.contains(&format!(
                "unrecognized subcommand '{}'",
                typed
                    .iter()
                    .find(|w| !w.starts_with('-') && w.parse::<u32>().is_err())
                    .unwrap()
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!("a similar subcommand exists: {meant}")),
            "{typed:?}: {err}"
        );
    }
    // A preset name far from every subcommand still gets the list of presets.
    let output = implicit_bias(&["rank"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("one of: ") && err.contains("max-margin") && err.contains("low-rank"),
        "{err}"
    );
}

#[cfg(feature = "tui")]
#[test]
fn a_preset_named_like_a_subcommand_is_a_preset() {
    let dir = temp_dir("chek");
    write_preset(&dir, "chek", "A preset that looks like a typo", 0.1);
    let dir_text = dir.to_string_lossy().into_owned();
    let output = implicit_bias(&["--presets", &dir_text, "chek"]);
    let err = stderr(&output);
    // It opens the dashboard, which without a terminal points to `run` (exit 1, not 2).
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("implicit-bias run chek"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn steps_in_scientific_notation_are_exact_whole_numbers() {
    for (written, steps) in [
        ("2.5e2", 250),
        ("1E2", 100),
        ("3e0", 3),
        ("0e5", 0),
        ("12", 12),
    ] {
        let output = implicit_bias(&["run", "max-margin", "--steps", written]);
        assert!(output.status.success(), "{written}: {}", stderr(&output));
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("JSON report");
        assert_eq!(report["steps"], steps, "{written}");
    }
    for not_whole in [
        "1e-3",
        "2.5e0",
        "1.0000000000000001e15",
        "1e",
        "e5",
        "1e2.5",
    ] {
        assert_flag_error(
            &["run", "max-margin", "--steps", not_whole],
            "--steps",
            &format!("'{not_whole}'"),
            "not a whole number",
        );
    }
    assert_flag_error(
        &["run", "max-margin", "--steps", "-1e3"],
        "--steps",
        "'-1e3'",
        "a negative count",
    );
    assert_flag_error(
        &["run", "max-margin", "--steps", "1e16"],
        "--steps",
        "'1e16'",
        "out of range",
    );
}

#[cfg(feature = "tui")]
#[test]
fn a_presets_folder_without_max_margin_says_how_to_name_one() {
    let dir = temp_dir("no-default");
    for name in ["first", "second"] {
        write_preset(&dir, name, name, 0.1);
    }
    let dir_text = dir.to_string_lossy().into_owned();
    let output = implicit_bias(&["--presets", &dir_text]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    for text in [
        "no preset named max-margin",
        &format!("implicit-bias --presets {dir_text} NAME"),
        "first, second",
    ] {
        assert!(err.contains(text), "{text:?} missing from {err}");
    }
    let empty = temp_dir("empty-folder");
    let output = implicit_bias(&["--presets", &empty.to_string_lossy()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("no presets (*.toml) found"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn help_names_the_real_default_presets_folder() {
    // From the checkout the folder is ./presets; from elsewhere, the one next to the sources
    // (what `preset::default_dir` returns in each place).
    let output = implicit_bias(&["--help"]);
    assert!(
        stdout(&output).contains("(default: presets)"),
        "{}",
        stdout(&output)
    );
    let elsewhere = temp_dir("help");
    let output = Command::new(BIN)
        .arg("--help")
        .current_dir(&elsewhere)
        .output()
        .expect("the binary runs");
    let fallback = format!("(default: {}/presets)", env!("CARGO_MANIFEST_DIR"));
    assert!(stdout(&output).contains(&fallback), "{}", stdout(&output));
    std::fs::remove_dir_all(&elsewhere).ok();
}

#[test]
fn presets_marks_a_broken_preset_as_broken() {
    let dir = temp_dir("broken");
    write_preset(&dir, "good", "Good one", 0.1);
    write_preset(&dir, "bad", "Looks fine", -1.0);
    let output = implicit_bias(&["presets", "--presets", &dir.to_string_lossy()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listing = stdout(&output);
    let line = |name: &str| {
        listing
            .lines()
            .find(|l| l.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from {listing}"))
            .to_owned()
    };
    assert_eq!(line("good"), "good\tGood one");
    let bad = line("bad");
    assert!(bad.starts_with("bad\tbroken: "), "{bad}");
    assert!(
        bad.contains("bad.toml:7: runs[1].lr") && !bad.contains("Looks fine"),
        "{bad}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Braille cells, as the dashboard's canvases draw them.
#[cfg(feature = "tui")]
fn has_braille(text: &str) -> bool {
    text.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
}

#[cfg(feature = "tui")]
#[test]
fn snapshot_prints_the_dashboard_with_its_circle_and_step() {
    let output = implicit_bias(&["snapshot", "max-margin", "--steps", "3000"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(has_braille(&text), "{text}");
    assert!(text.contains("step 3000"), "{text}");
    assert!(text.contains("directions w/‖w‖"), "{text}");
    assert_eq!(text.lines().count(), 40, "the default size is 120x40");
    assert!(text.lines().all(|l| l.chars().count() <= 120));

    let output = implicit_bias(&["snapshot", "low-rank", "--steps", "200", "--size", "80x24"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("step 200") && text.lines().count() <= 24,
        "{text}"
    );

    let output = implicit_bias(&["snapshot", "max-margin", "--size", "120"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--size 120: not a size; write columns x rows, e.g. 120x40"));
}

#[test]
fn run_writes_the_figure_it_is_asked_for_and_refuses_an_unwritable_one_at_once() {
    let dir = temp_dir("svg");
    let path = dir.join("mm.svg");
    let path_text = path.to_string_lossy().into_owned();
    let output = implicit_bias(&["run", "max-margin", "--steps", "500", "--svg", &path_text]);
    assert!(output.status.success(), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("step 500"));
    let under_file = path.join("x.svg").to_string_lossy().into_owned();
    let output = implicit_bias(&["run", "max-margin", "--steps", "5", "--svg", &under_file]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output).contains("cannot write the figure"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--help` ends with every row of the keymap's help table (the `?` overlay's list), so a key
/// added to the dashboard cannot be missing from `--help`. Independent of the printing code:
/// the table is read through the library and each description searched for in the output.
#[cfg(feature = "tui")]
#[test]
fn help_lists_every_dashboard_key() {
    let output = implicit_bias(&["--help"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8 help");
    for (keys, what) in implicit_bias::tui::keymap::help_rows() {
        assert!(text.contains(what), "--help lacks {keys:?}: {what}");
    }
}

/// `presets NAME` prints the preset's whole about text, which the picker cuts; an unknown name
/// gets a did-you-mean.
#[test]
fn presets_name_prints_the_whole_about_text() {
    let output = implicit_bias(&["presets", "depth"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let about = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/depth.toml"),
    )
    .unwrap();
    // Every word of the file's about text is printed, in order.
    let start = about.find("about = \"\"\"").unwrap() + 11;
    let end = start + about[start..].find("\"\"\"").unwrap();
    let words: Vec<&str> = about[start..end].split_whitespace().collect();
    let printed: Vec<&str> = text.split_whitespace().collect();
    assert!(
        printed.windows(words.len()).any(|w| w == words.as_slice()),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let wrong = implicit_bias(&["presets", "dept"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("did you mean `depth`"));
}
