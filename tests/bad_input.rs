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
