//! Ctrl-C and SIGTERM in the headless verbs keep the work done: `run` prints the JSON of the
//! state reached with `"interrupted": true`, `sweep` writes every finished point's rows, both
//! say so in one stderr line and exit 128 + the signal.
//!
//! The signal is sent once the process is visibly at work (its trace has rows, or it has spent
//! CPU time), never after a fixed sleep, and nothing here asserts on durations.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");

/// The shipped presets folder.
fn presets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("presets")
}

/// Waits (a 60 s guard against a hang, not a timing assertion) until `ready` holds.
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited 60 s for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// CPU seconds the process has used, from /proc/PID/stat (utime + stime, in clock ticks).
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
    // Linux's USER_HZ is 100 on every architecture it reports through /proc.
    ticks / 100.0
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} failed");
}

/// The child's exit code, stdout and stderr after it ends (a 60 s guard kills a hung one).
fn finish(mut child: Child) -> (Option<i32>, String, String) {
    wait_until("the process to exit", || {
        child.try_wait().expect("try_wait").is_some()
    });
    let output = child.wait_with_output().expect("output");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8 stdout"),
        String::from_utf8(output.stderr).expect("utf-8 stderr"),
    )
}

#[test]
fn ctrl_c_in_run_prints_the_state_reached_marked_interrupted_and_exits_130() {
    let dir = tempfile_dir("run");
    let trace = dir.join("trace.csv");
    let asked: u64 = 100_000_000_000;
    let child = Command::new(BIN)
        .args(["run", "low-rank", "--presets"])
        .arg(presets())
        .args(["--steps", &asked.to_string(), "--trace"])
        .arg(&trace)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    wait_until("the trace to have rows", || {
        std::fs::read_to_string(&trace).is_ok_and(|t| t.lines().count() > 3)
    });
    send(&child, "-INT");
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, Some(130), "stderr: {stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is the JSON");
    assert_eq!(json["interrupted"], serde_json::json!(true));
    let reached = json["steps"].as_u64().expect("steps is a number");
    assert!(reached > 0 && reached < asked, "steps {reached}");
    assert!(json["runs"][0]["train_loss"].is_number(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    assert!(
        stderr.contains(&format!("interrupted at step {reached} of {asked}")),
        "{stderr}"
    );
    // The trace runs to the step the JSON reports.
    let text = std::fs::read_to_string(&trace).expect("trace");
    let last = text.lines().last().expect("rows");
    assert!(last.starts_with(&format!("{reached},")), "last row {last}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_finished_run_has_no_interrupted_key() {
    let output = Command::new(BIN)
        .args(["run", "low-rank", "--presets"])
        .arg(presets())
        .args(["--steps", "50"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(json.get("interrupted").is_none(), "{json}");
    assert_eq!(json["steps"], serde_json::json!(50));
}

#[test]
fn sigterm_in_sweep_writes_the_finished_points_and_exits_143() {
    // Point 0 takes 100 steps, point 1 as good as for ever: once the process has computed for
    // a while, point 0 is done and point 1 is under way.
    let child = Command::new(BIN)
        .args(["sweep", "max-margin", "--presets"])
        .arg(presets())
        .args(["--set", "show.steps=100,100000000000", "--jobs", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let pid = child.id();
    wait_until("the sweep to compute", || cpu_seconds(pid) >= 0.3);
    send(&child, "-TERM");
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, Some(143), "stderr: {stderr}");
    let mut lines = stdout.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("point,show.steps,"))
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "point 0's four runs: {stdout}");
    assert!(rows.iter().all(|r| r.starts_with("0,100,")), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("the rows of 1 of 2 points"), "{stderr}");
}

/// A fresh folder under the system's temp folder for one test.
fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "implicit-bias-interrupt-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
