//! Snapshots of what a user reads: the dashboard rendered into a `TestBackend` and kept as plain
//! text in `tests/snapshots/`, one file per screen. Reviewing a `.snap` diff is reviewing the UI.
//!
//! Everything on screen is fixed: the shipped presets' data and starts, a fixed number of steps,
//! a fixed steps/s in the report (never measured), and reference directions injected by hand (the
//! values the exact solvers give on these data, to 4 digits) so no solver runs here. New or
//! changed snapshots are written with `INSTA_UPDATE=always cargo test --test tui_snapshots`; under
//! `CI=true` insta refuses to write, so every snapshot must be committed.
#![cfg(feature = "tui")]

mod common;

use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use implicit_bias::core::experiment::{ExperimentSpec, Problem, Snapshot, SnapshotBody, unit};
use implicit_bias::core::kinds::matrix::{NUCLEAR_REFERENCE_MAX_SIDE, NuclearReferenceStatus};
use implicit_bias::core::reference::{MarginNorm, NuclearReference};
use implicit_bias::preset;
use implicit_bias::tui::app::{App, PresetEntry, PresetSource};
use implicit_bias::tui::keymap::Action;
use implicit_bias::tui::protocol::Pace;
use implicit_bias::tui::view;

/// A fixed list of presets for the picker (the real folder grows; snapshots must not).
struct Fixtures;

impl PresetSource for Fixtures {
    fn load(
        &self,
        path: &Path,
        _overrides: &[implicit_bias::preset::Override],
    ) -> Result<ExperimentSpec, String> {
        Err(format!("{}: not loaded in snapshot tests", path.display()))
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        [
            ("geometry", "Geometry: GD → ℓ2, sign → ℓ∞, coordinate → ℓ1"),
            ("low-rank", "Low rank: GD on U Vᵀ from a tiny init"),
            (
                "max-margin",
                "Max margin: GD on exponential loss from four starts",
            ),
            ("sgd-vs-adam", "Geometry: SGD vs Adam from one start"),
        ]
        .iter()
        .map(|(name, title)| PresetEntry {
            name: (*name).to_owned(),
            title: (*title).to_owned(),
            about: format!("What to look for in {name}: the direction each optimizer picks."),
            path: PathBuf::from(format!("presets/{name}.toml")),
        })
        .collect()
    }
}

/// A shipped preset with its solvers switched off (references are injected instead).
fn shipped(name: &str) -> ExperimentSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("presets/{name}.toml"));
    let mut spec = preset::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Problem::Linear(linear) = &mut spec.problem {
        linear.references.clear();
    }
    spec.problem.skip_unreported();
    spec
}

/// The max-margin directions on the presets' data, as the exact solver gives them.
fn reference_direction(norm: MarginNorm, preset: &str) -> Vec<f64> {
    match (preset, norm) {
        ("geometry", MarginNorm::L2) => unit(&[0.9244, 0.3814]),
        (_, MarginNorm::L2) => unit(&[0.7210, 0.6929]),
        (_, MarginNorm::L2Intercept) => unit(&[0.7089, 0.7053]),
        (_, MarginNorm::Linf) => unit(&[1.0, 1.0]),
        (_, MarginNorm::L1) => vec![1.0, 0.0],
        (_, MarginNorm::Lp(p)) => panic!("no ℓ{} direction is pinned for the snapshots", p.get()),
    }
}

/// Puts the references (and each run's angles to them) into a linear snapshot.
fn inject(snapshot: &mut Snapshot, preset: &str, norms: &[MarginNorm]) {
    let refs: Vec<(MarginNorm, Vec<f64>)> = norms
        .iter()
        .map(|&n| (n, reference_direction(n, preset)))
        .collect();
    common::set_references(snapshot, &refs);
}

/// An app showing `spec` after `steps` steps, running at a fixed 1.23M steps/s.
fn app_for(spec: &ExperimentSpec, name: &str, steps: u64, edit: impl FnOnce(&mut Snapshot)) -> App {
    common::app_after(spec, name, Box::new(Fixtures), steps, 1_234_567.0, edit)
}

fn max_margin() -> App {
    let norms = [MarginNorm::L2, MarginNorm::L2Intercept];
    app_for(&shipped("max-margin"), "max-margin", 20_000, |s| {
        inject(s, "max-margin", &norms);
    })
}

fn sgd_vs_adam() -> App {
    let norms = [MarginNorm::L2, MarginNorm::Linf];
    app_for(&shipped("sgd-vs-adam"), "sgd-vs-adam", 2000, |s| {
        inject(s, "sgd-vs-adam", &norms);
    })
}

fn geometry() -> App {
    let norms = [MarginNorm::L2, MarginNorm::Linf, MarginNorm::L1];
    app_for(&shipped("geometry"), "geometry", 20_000, |s| {
        inject(s, "geometry", &norms);
    })
}

/// The low-rank preset with a reference shaped like the solver's (σ1 of the truth, the rest 0).
fn low_rank(steps: u64) -> App {
    app_for(&shipped("low-rank"), "low-rank", steps, |snapshot| {
        let SnapshotBody::Matrix(matrix) = &mut snapshot.body else {
            panic!("matrix expected")
        };
        let mut singular_values = vec![0.0; 20];
        singular_values[0] = 18.65;
        matrix.reference = NuclearReferenceStatus::Solved(NuclearReference {
            completion: matrix.target.clone(),
            singular_values,
            test_error: 6.1e-10,
            nuclear_norm: 18.65,
            converged: true,
            iterations: 12,
            primal_residual: 1e-9,
            dual_residual: 1e-9,
        });
    })
}

/// The low-rank preset as if the matrix were too large for the exact solver.
fn low_rank_skipped() -> App {
    app_for(&shipped("low-rank"), "low-rank", 3000, |snapshot| {
        let SnapshotBody::Matrix(matrix) = &mut snapshot.body else {
            panic!("matrix expected")
        };
        matrix.reference = NuclearReferenceStatus::Skipped {
            rows: 300,
            cols: 300,
            max_side: NUCLEAR_REFERENCE_MAX_SIDE,
        };
    })
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
fn max_margin_overlay() {
    let app = max_margin();
    insta::assert_snapshot!("max_margin_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("max_margin_200x60", screen(&app, 200, 60));
}

#[test]
fn sgd_vs_adam_side_by_side() {
    let app = sgd_vs_adam();
    insta::assert_snapshot!("sgd_vs_adam_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("sgd_vs_adam_200x60", screen(&app, 200, 60));
}

#[test]
fn geometry_side_by_side() {
    let app = geometry();
    insta::assert_snapshot!("geometry_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("geometry_120x40", screen(&app, 120, 40));
}

#[test]
fn low_rank_matrix() {
    let app = low_rank(3000);
    insta::assert_snapshot!("low_rank_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("low_rank_200x60", screen(&app, 200, 60));
    insta::assert_snapshot!(
        "low_rank_skipped_80x24",
        screen(&low_rank_skipped(), 80, 24)
    );
}

#[test]
fn help_overlay() {
    let mut app = max_margin();
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("help_200x60", screen(&app, 200, 60));
}

#[test]
fn preset_picker() {
    let mut app = max_margin();
    app.update(Action::TogglePicker);
    app.update(Action::PickerMove(1));
    insta::assert_snapshot!("picker_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("picker_200x60", screen(&app, 200, 60));
}

#[test]
fn tiny_terminal() {
    insta::assert_snapshot!("tiny_10x3", screen(&max_margin(), 10, 3));
}

/// The σ pane's time axis is log t in whole decades up to the current step: 10⁴ at step 3000
/// (log₁₀ 3000 ≈ 3.5), 10² at step 50 (≈ 1.7), and no further.
#[test]
fn spectrum_pane_has_a_log_axis_to_the_current_decade() {
    // The time axis's labels: the row under the chart's axis line (`└───`) in the σ pane
    // (the σ axis has its own 1e… labels, on other rows).
    let pane = |text: &str| -> String {
        let rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.contains("of M vs log t"))
            .take_while(|l| !l.contains("M*  ·  M"))
            .collect();
        let axis = rows
            .iter()
            .position(|l| l.chars().skip(1).take(8).any(|c| c == '└'))
            .expect("an axis line");
        rows[axis + 1].to_owned()
    };
    let late = pane(&screen(&low_rank(3000), 120, 40));
    assert!(
        late.contains(" 10 ") && late.contains("1e3") && late.contains("1e4"),
        "{late}"
    );
    assert!(!late.contains("1e5"), "{late}");
    let early = pane(&screen(&low_rank(50), 120, 40));
    assert!(early.contains("1e2") && !early.contains("1e3"), "{early}");
}

#[test]
fn near_references_both_stay_readable() {
    // ℓ2 and ℓ2+b are about 1° apart on the article's data; both labels show on the circle
    // (the row also holds the gap chart, whose title names no reference).
    for (width, height) in [(80, 24), (120, 40), (200, 60)] {
        let text = screen(&max_margin(), width, height);
        let circle: String = text
            .lines()
            .skip(1)
            .take_while(|l| !l.contains("runs ·"))
            .collect();
        let plus_b = circle.matches("ℓ2+b").count();
        let plain = circle.matches("ℓ2").count() - plus_b;
        assert!(plus_b >= 1 && plain >= 1, "{width}×{height}:\n{text}");
    }
}

#[test]
fn zoomed_circle() {
    // ℓ2 and ℓ2+b about 1° apart, the runs' heads between and beside them: the arc tells
    // them apart where the whole circle cannot.
    let mut app = max_margin();
    app.update(Action::ToggleZoom);
    insta::assert_snapshot!("max_margin_zoomed_80x24", screen(&app, 80, 24));
    insta::assert_snapshot!("max_margin_zoomed_120x40", screen(&app, 120, 40));
    let mut app = geometry();
    app.update(Action::ToggleZoom);
    insta::assert_snapshot!("geometry_zoomed_120x40", screen(&app, 120, 40));
}

#[test]
fn slow_motion_speed_label() {
    // `-` from warp halves the measured pace down to one step per frame, then goes on to 1/2,
    // 1/4, 1/8 of a step per frame: at the app's 30 frames per second, 3.75 steps/s.
    let mut app = max_margin();
    for _ in 0..40 {
        if app.pace == Pace::Slow(8) {
            break;
        }
        app.update(Action::Slower);
    }
    assert_eq!(app.pace, Pace::Slow(8));
    insta::assert_snapshot!("max_margin_slow_80x24", screen(&app, 80, 24));
}

#[test]
fn focused_heat_map_of_the_chosen_run() {
    // Tab from the σ pane to the bars, then to the heat map (its border is highlighted; the
    // text shows the run in the title and the legend at the bottom).
    let mut app = low_rank(3000);
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    insta::assert_snapshot!("low_rank_heat_focused_120x40", screen(&app, 120, 40));
}

#[test]
fn depth_race_labels_each_run_with_its_depth() {
    // Deeper runs carry ` depth L` in the metrics table and the spectra; depth 2 is unlabelled.
    let app = app_for(&shipped("depth"), "depth", 2000, |_| {});
    insta::assert_snapshot!("depth_120x40", screen(&app, 120, 40));
}
