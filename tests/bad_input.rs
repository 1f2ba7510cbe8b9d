//! Bad input gets a clear refusal: the corpus in tests/bad-presets/, run through the real binary.
//!
//! Each `NAME.toml` there must be refused by `check`, by `run --steps 1` and by the dashboard
//! with exit code 1, nothing on stdout, no panic, at most a few lines on stderr that name the file
//! and hold every line of `NAME.expected`. The files in presets/ and tests/bad-presets/should-load/
//! must load. A corpus (as bottom and trippy keep one) makes every message reviewable in one place
//! and keeps a wording change from silently dropping the key, the value or the fix.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test, as cargo built it for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");
/// Most stderr lines a refusal may take.
const MAX_STDERR_LINES: usize = 4;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary from the checkout's root with stdin closed and stdout piped (not a terminal).
fn implicit_bias(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// `*.toml` files directly in `dir`, sorted, as paths relative to the checkout's root.
fn presets_in(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .expect("the corpus folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files
}

/// Why `output` is not a clear refusal naming `file` with every line of `expected`, if it is not.
fn refusal_problem(output: &Output, file: &str, expected: &str) -> Option<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems = vec![];
    if output.status.code() != Some(1) {
        problems.push(format!("exit code {:?}, not 1", output.status.code()));
    }
    if !output.stdout.is_empty() {
        problems.push(format!(
            "stdout is not empty: {}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    if stderr.lines().count() > MAX_STDERR_LINES {
        problems.push(format!("more than {MAX_STDERR_LINES} lines on stderr"));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("a panic".to_string());
    }
    // A problem on one line of a CSV names the CSV (and the expected text holds its name).
    if !stderr.contains(file) && !expected.contains(".csv") {
        problems.push(format!("the file name {file} is missing"));
    }
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        if !stderr.contains(line.trim()) {
            problems.push(format!("expected text missing: {line}"));
        }
    }
    (!problems.is_empty()).then(|| format!("{}\n    stderr: {stderr}", problems.join("; ")))
}

#[test]
fn every_bad_preset_is_refused_with_its_expected_message() {
    let cases = presets_in("tests/bad-presets");
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = vec![];
    for case in &cases {
        let expected_path = root().join(case.replace(".toml", ".expected"));
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("{case}: no {}", expected_path.display()));
            continue;
        };
        assert!(!expected.trim().is_empty(), "{case}: empty .expected");
        let name = Path::new(case).file_name().unwrap().to_string_lossy();
        let mut invocations = vec![vec!["check", case], vec!["run", case, "--steps", "1"]];
        if cfg!(feature = "tui") {
            // The dashboard loads the preset before it asks for a terminal.
            invocations.push(vec![case]);
        }
        for args in invocations {
            if let Some(problem) = refusal_problem(&implicit_bias(&args), &name, &expected) {
                failures.push(format!("{}: {problem}", args.join(" ")));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_expected_file_has_its_preset() {
    for entry in std::fs::read_dir(root().join("tests/bad-presets")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "expected") {
            assert!(
                path.with_extension("toml").is_file(),
                "{} has no .toml",
                path.display()
            );
        }
    }
}

#[test]
fn a_binary_preset_is_refused() {
    let dir = std::env::temp_dir().join(format!("implicit-bias-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("binary.toml");
    // A PNG signature and invalid UTF-8: what a wrong file picked by tab completion looks like.
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe\xfd").unwrap();
    let path_text = path.to_string_lossy().into_owned();
    for args in [
        vec!["check", &path_text],
        vec!["run", &path_text, "--steps", "1"],
    ] {
        let output = implicit_bias(&args);
        if let Some(problem) = refusal_problem(&output, "binary.toml", "not a text file") {
            panic!("{}: {problem}", args.join(" "));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_folder_or_a_missing_file_is_refused() {
    let output = implicit_bias(&["check", "tests/bad-presets/data"]);
    assert!(refusal_problem(&output, "tests/bad-presets/data", "is a folder").is_none());
    let output = implicit_bias(&["check", "tests/bad-presets/no-such-file.toml"]);
    let problem = refusal_problem(&output, "no-such-file.toml", "no such file or preset");
    assert!(problem.is_none(), "{problem:?}");
}

#[test]
fn every_shipped_preset_checks_ok() {
    let presets = presets_in("presets");
    assert!(presets.len() >= 3);
    for preset in presets {
        let output = implicit_bias(&["check", &preset]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.starts_with("ok: ") && output.stderr.is_empty(),
            "{preset}: {:?}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// BOM and CRLF CSVs (what spreadsheet programs on Windows write), a BOM + CRLF preset and
/// integer learning rates are all fine and must load and run.
#[test]
fn unusual_but_valid_files_load_and_run() {
    for preset in presets_in("tests/bad-presets/should-load") {
        for args in [vec!["check", &preset], vec!["run", &preset, "--steps", "3"]] {
            let output = implicit_bias(&args);
            assert!(
                output.status.success() && !output.stdout.is_empty(),
                "{}: {:?}\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// A refusal of a whole command line: exit `code` (1 for bad input, 2 for bad flags), nothing on
/// stdout, no panic, a few lines on stderr holding every `expected` text.
fn assert_refused(args: &[&str], code: i32, expected: &[&str]) {
    let output = implicit_bias(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems = vec![];
    if output.status.code() != Some(code) {
        problems.push(format!("exit code {:?}, not {code}", output.status.code()));
    }
    if !output.stdout.is_empty() {
        problems.push("stdout is not empty".to_string());
    }
    if stderr.contains("panicked") || stderr.lines().count() > MAX_STDERR_LINES {
        problems.push("a panic or too many lines".to_string());
    }
    for text in expected {
        if !stderr.contains(text) {
            problems.push(format!("expected text missing: {text}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}: {}\n    stderr: {stderr}",
        args.join(" "),
        problems.join("; ")
    );
}

#[test]
fn bad_set_keys_and_values_name_the_argument_the_key_and_the_fix() {
    let cases: &[(&[&str], i32, &[&str])] = &[
        (
            &["check", "max-margin", "--set", "runs.1.lr=abc"],
            1,
            &[
                "--set runs.1.lr=abc",
                "runs[1].lr",
                "abc is text; use a number",
            ],
        ),
        (
            &["run", "max-margin", "--set", "runs.1.lrr=1", "--steps", "1"],
            1,
            &["--set runs.1.lrr=1", "runs[1].lrr", "did you mean `lr`?"],
        ),
        (
            &["check", "max-margin", "--set", "data.pth=x.csv"],
            1,
            &["--set data.pth=x.csv", "did you mean `path`?"],
        ),
        (
            &["check", "max-margin", "--set", "runs.9.lr=1"],
            1,
            &["--set runs.9.lr=1", "no runs.9", "from 1 to 4"],
        ),
        (
            &["check", "max-margin", "--set", "runs.0.lr=1"],
            1,
            &["no runs.0", "number them from 1"],
        ),
        (
            &["check", "max-margin", "--set", "runs.1.lr=nan"],
            1,
            &["runs[1].lr", "nan is not finite"],
        ),
        (
            &["check", "max-margin", "--set", "runs.1.init=[1.0,"],
            1,
            &["--set runs.1.init=[1.0,", "not a TOML value"],
        ),
        (
            &["check", "max-margin", "--set", "seed.x=1"],
            1,
            &["`seed` is a value, not a table", "--set seed=VALUE"],
        ),
        (
            &["check", "max-margin", "--set", "runs.1.lr"],
            2,
            &["--set", "is not KEY=VALUE"],
        ),
    ];
    for (args, code, expected) in cases {
        assert_refused(args, *code, expected);
    }
    if cfg!(feature = "tui") {
        // The dashboard loads the preset with its overrides before it asks for a terminal.
        assert_refused(
            &["max-margin", "--set", "runs.1.lr=abc"],
            1,
            &["--set runs.1.lr=abc", "runs[1].lr"],
        );
        assert_refused(
            &["max-margin", "--set", "runs.1.lr=0.5"],
            1,
            &["needs a terminal"],
        );
    }
}

#[test]
fn a_bad_point_anywhere_in_a_sweep_is_refused_before_anything_runs() {
    let cases: &[(&[&str], i32, &[&str])] = &[
        (
            &[
                "sweep",
                "max-margin",
                "--set",
                "runs.1.lr=0.1,oops",
                "--steps",
                "1",
            ],
            1,
            &[
                "point 1",
                "--set runs.1.lr=oops",
                "oops is text; use a number",
            ],
        ),
        (
            &["sweep", "max-margin", "--set", "runs.1.lr=0.1,,1"],
            2,
            &["empty value"],
        ),
        (
            &[
                "sweep",
                "max-margin",
                "--set",
                "seed=1",
                "--set",
                "seed=2,3",
            ],
            1,
            &["--set seed is given twice"],
        ),
        (
            &["sweep", "max-margin", "--set", "experiment=linear,matrix"],
            1,
            &["point 1"],
        ),
    ];
    for (args, code, expected) in cases {
        assert_refused(args, *code, expected);
    }
}

#[test]
fn bad_shard_and_sweep_flags_exit_2() {
    for (shard, text) in [
        ("3/2", "shard 3 does not exist"),
        ("a/b", "not two whole numbers"),
        ("0/0", "no shards"),
        ("2", "not K/N"),
    ] {
        assert_refused(
            &["sweep", "max-margin", "--shard", shard],
            2,
            &["--shard", text, "K/N"],
        );
    }
    assert_refused(&["sweep", "max-margin", "--jobs", "0"], 2, &["--jobs"]);
    assert_refused(&["sweep", "max-margin", "--seeds", "0"], 2, &["--seeds"]);
    // clap's own usage text for a missing argument runs over the line limit: code and text only.
    let output = implicit_bias(&["merge"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("<FILE>"));
}

#[test]
fn merges_of_mismatched_or_incomplete_shards_are_refused() {
    let dir = std::env::temp_dir().join(format!("implicit-bias-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shard = |name: &str, key: &str, k: u32| -> String {
        let path = dir.join(name);
        let output = implicit_bias(&[
            "sweep",
            "max-margin",
            "--set",
            &format!("{key}=0.1,0.2,0.3"),
            "--steps",
            "2",
            "--shard",
            &format!("{k}/3"),
        ]);
        assert!(output.status.success());
        std::fs::write(&path, output.stdout).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (s0, s1, s2) = (
        shard("s0.csv", "runs.1.lr", 0),
        shard("s1.csv", "runs.1.lr", 1),
        shard("s2.csv", "runs.1.lr", 2),
    );
    let other = shard("other.csv", "runs.2.lr", 1);
    assert_refused(
        &["merge", &s0, &s2],
        1,
        &["shard 1/3 is missing", "--shard 1/3"],
    );
    assert_refused(
        &["merge", &s0, &s1, &s2, &s1],
        1,
        &["shard 1/3 is given twice", "s1.csv"],
    );
    assert_refused(
        &["merge", &s0, &other, &s2],
        1,
        &["other.csv", "header differs", "s0.csv"],
    );
    assert_refused(
        &["merge", &s0, "presets/max-margin.toml"],
        1,
        &["max-margin.toml", "not a sweep CSV"],
    );
    assert_refused(
        &["merge", &s0, "no-such-shard.csv"],
        1,
        &["no-such-shard.csv", "cannot read"],
    );
    std::fs::remove_dir_all(&dir).ok();
}
