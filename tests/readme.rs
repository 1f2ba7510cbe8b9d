//! README shows the dashboard as it is: its picture is today's screen (not one from an older
//! layout), and its key list has every row of the key table, so neither can go stale unnoticed.
//! After a deliberate UI change, `sh docs/make-figures.sh` (or the `snapshot` command in README)
//! gives the new picture.
#![cfg(feature = "tui")]

use std::path::PathBuf;

use implicit_bias::core::par::Threads;
use implicit_bias::preset;
use implicit_bias::tui::keymap::help_rows;
use implicit_bias::tui::snapshot::screen_text;

fn readme() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// The ```text block that follows the line starting with `after`.
fn block_after(text: &str, after: &str) -> String {
    let start = text.find(after).expect("the section");
    let open = start + text[start..].find("```text\n").expect("a text block") + "```text\n".len();
    let close = open + text[open..].find("\n```").expect("its end");
    text[open..close].to_owned()
}

#[test]
fn the_readme_dashboard_is_the_current_screen() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("presets");
    let path = dir.join("max-margin.toml");
    let spec = preset::load(&path).expect("max-margin loads");
    let screen = screen_text(
        &spec,
        &path,
        &[],
        dir,
        (3000, Threads::default()),
        (100, 30),
    )
    .expect("drawn");
    let shown = block_after(&readme(), "## The dashboard");
    assert_eq!(
        shown.trim_end(),
        screen.trim_end(),
        "README's dashboard is stale: run `sh docs/make-figures.sh` and paste docs/dashboard.txt"
    );
}

#[test]
fn the_readme_lists_every_key() {
    let text = readme();
    for (keys, what) in help_rows() {
        assert!(text.contains(what), "README lacks the key {keys:?}: {what}");
    }
}
