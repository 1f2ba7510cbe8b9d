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
    assert!(header.starts_with("step,run,optimizer,"), "{header}");
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
