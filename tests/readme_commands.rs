//! Every shell command in README.md runs as written: each ```sh block is read line by line and
//! each `$B …` line is run by `sh` with `B` set to the binary under test, in order, in one fresh
//! folder holding a copy of presets/ (so `sweep … > grid.csv` then `plot grid.csv …` chain as a
//! reader's would), and must exit 0. A line that is not `$B …` must be on [`SKIPPED`] with its
//! reason, so a new kind of command cannot slip past this test unrun.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");

/// Lines of README's ```sh blocks this test does not run (matched at the start), and why.
const SKIPPED: [(&str, &str); 4] = [
    (
        "cargo run",
        "opens the dashboard, which needs a terminal (tests/e2e_pty.rs drives it)",
    ),
    ("cargo test", "runs this very suite"),
    ("cargo build", "cargo built the binary this test runs as $B"),
    (
        "B=target/release/implicit-bias",
        "this test sets B to that binary",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of README's ```sh blocks, without comments, with their README line numbers.
fn shell_lines(readme: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open_at = None;
    for (index, line) in readme.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (open_at, fence) {
            (None, true) if line.trim() == "```sh" => open_at = Some(index + 1),
            (Some(_), true) => open_at = None,
            (Some(_), false) => {
                let command = without_comment(line).trim().to_owned();
                if !command.is_empty() {
                    out.push((index + 1, command));
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        open_at, None,
        "README.md: the ```sh block at line {open_at:?} is never closed"
    );
    out
}

/// `line` up to a `#` that starts a comment (after a space, outside quotes).
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return &line[..i],
            _ => {}
        }
        previous = c;
    }
    line
}

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn every_readme_shell_command_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let dir = std::env::temp_dir().join(format!("ib-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("presets"), &dir.join("presets"));
    let mut ran = 0;
    for (line, command) in shell_lines(&readme) {
        if SKIPPED.iter().any(|(start, _)| command.starts_with(start)) {
            continue;
        }
        assert!(
            command.starts_with("$B "),
            "README.md:{line}: `{command}` is neither a `$B …` command nor on SKIPPED; run it \
             here or add it to SKIPPED with its reason"
        );
        let output = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .env("B", BIN)
            .env("NO_COLOR", "1")
            .current_dir(&dir)
            .output()
            .expect("sh runs");
        assert!(
            output.status.success(),
            "README.md:{line}: `{command}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        ran += 1;
    }
    // The headless block alone has a dozen commands: fewer means the blocks were not found.
    assert!(ran >= 10, "only {ran} README commands ran");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn comments_are_cut_outside_quotes_only() {
    assert_eq!(without_comment("$B run x   # note"), "$B run x   ");
    assert_eq!(without_comment("$B run 'a # b' # c"), "$B run 'a # b' ");
    assert_eq!(without_comment("$B run a#b"), "$B run a#b");
    let lines = shell_lines("text\n```sh\n$B presets  # all\n\n```\n```text\n$B no\n```\n");
    assert_eq!(lines, [(3, "$B presets".to_owned())]);
}
