//! Snapshots of the diagonal-network dashboard at 80×24 and 120×40 (see tui_snapshots.rs for how
//! snapshots are kept). Unlike the linear screens, the references here are the solvers' own: they
//! are deterministic for the preset's seed and fast (an LP and three Newton solves on 40×100).
#![cfg(feature = "tui")]

use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use implicit_bias::core::experiment::{Experiment, ExperimentSpec};
use implicit_bias::preset;
use implicit_bias::tui::app::{App, Pane, PresetEntry, PresetSource};
use implicit_bias::tui::keymap::Action;
use implicit_bias::tui::view;
use implicit_bias::tui::worker::{Pace, Report, WorkerMessage};

/// No preset switching in these tests.
struct NoPresets;

impl PresetSource for NoPresets {
    fn load(
        &self,
        path: &Path,
        _overrides: &[implicit_bias::preset::Override],
    ) -> Result<ExperimentSpec, String> {
        Err(format!("{}: not loaded in snapshot tests", path.display()))
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        vec![]
    }
}

/// The shipped `name` preset after `steps` steps at a fixed 1.23M steps/s.
fn app(name: &str, steps: u64) -> App {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("presets/{name}.toml"));
    let spec = preset::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(steps);
    let mut app = App::new(
        &spec,
        Path::new(&format!("presets/{name}.toml")),
        Vec::new(),
        PathBuf::from("presets"),
        Box::new(NoPresets),
    );
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot: experiment.snapshot(),
        running: true,
        pace: Pace::Warp,
        steps_per_second: 1_234_567.0,
        auto_pause: None,
    })));
    app
}

/// The screen as text: one line per row, trailing blanks trimmed.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| view::draw(frame, app)).expect("draw");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn kernel_vs_rich() {
    let app = app("kernel-vs-rich", 20_000);
    insta::assert_snapshot!("kernel_vs_rich_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("kernel_vs_rich_120x40", screen(&app, 120, 40));
}

#[test]
fn depth_3() {
    let app = app("diagonal-depth3", 20_000);
    insta::assert_snapshot!("diagonal_depth3_80x24", screen(&app, 80, 24));
}

#[test]
fn monochrome_keeps_every_run_and_reference_readable() {
    // Under NO_COLOR the runs are told apart by their digits and the references by their glyphs.
    let mut app = app("kernel-vs-rich", 20_000);
    app.color = false;
    let text = screen(&app, 80, 24);
    let coordinates: String = text.lines().skip(1).take(10).collect();
    for digit in ["1", "2", "3"] {
        assert!(coordinates.contains(digit), "{text}");
    }
    assert!(
        text.contains("│ min-ℓ1") && text.contains("⠂ min-ℓ2"),
        "{text}"
    );
}

#[test]
fn tab_cycles_the_diagonal_panes() {
    let mut app = app("kernel-vs-rich", 10);
    let mut seen = vec![];
    for _ in 0..6 {
        app.update(Action::FocusNext);
        seen.push(app.focused());
    }
    assert_eq!(
        seen,
        [
            Some(view::diagonal::COORDINATES),
            Some(view::diagonal::NORM_HISTORY),
            Some(view::diagonal::DISTANCE),
            Some(view::diagonal::EFFECTIVE_ALPHA),
            Some(Pane::METRICS),
            None
        ]
    );
}
