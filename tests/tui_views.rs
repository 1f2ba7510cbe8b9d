//! The dashboard's views rendered into ratatui `TestBackend` buffers at fixed sizes.
//!
//! Assertions are about what a user reads: labels, braille cells on the circle, arrows, `step N`,
//! statuses and notes, for each layout at 80×24 and 200×60, and that no size (down to 1×1) and
//! no overlay panics. Snapshots come from real experiments with fixed seeds; the references are
//! injected by hand so these tests do not depend on the solver, and no clock text is shown.
#![cfg(feature = "tui")]

mod common;

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use implicit_bias::core::data::{gaussian_clusters, gaussian_matrix, low_rank};
use implicit_bias::core::experiment::{
    Experiment, ExperimentSpec, Layout, Problem, RunStatus, Snapshot, SnapshotBody, unit,
};
use implicit_bias::core::kinds::linear::{LinearProblem, LinearRunSpec};
use implicit_bias::core::kinds::matrix::{MatrixProblem, MatrixRunSpec, NuclearReferenceStatus};
use implicit_bias::core::model::Loss;
use implicit_bias::core::optim::{OptimizerKind, OptimizerSpec};
use implicit_bias::core::reference::{MarginNorm, NuclearReference, ReferenceError};
use implicit_bias::tui::app::{App, Overlay, PresetEntry, PresetSource};
use implicit_bias::tui::keymap::Action;
use implicit_bias::tui::view;
use implicit_bias::tui::worker::{AutoPause, Pace, Report, WorkerMessage};

/// A preset source with one good and one broken preset.
struct Fixtures;

impl PresetSource for Fixtures {
    fn load(
        &self,
        path: &Path,
        _overrides: &[implicit_bias::preset::Override],
    ) -> Result<ExperimentSpec, String> {
        if path.ends_with("broken.toml") {
            Err("broken.toml:3: lr: must be > 0, got -1".to_owned())
        } else {
            Ok(linear_spec(
                Layout::Overlay,
                &[[-2.0, 4.0]],
                OptimizerKind::Gd,
                0.01,
            ))
        }
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        ["broken", "max-margin"]
            .iter()
            .map(|name| PresetEntry {
                name: (*name).to_owned(),
                title: format!("title of {name}"),
                about: format!("about {name}: what to look for"),
                path: PathBuf::from(format!("presets/{name}.toml")),
            })
            .collect()
    }
}

fn linear_spec(layout: Layout, inits: &[[f64; 2]], kind: OptimizerKind, lr: f64) -> ExperimentSpec {
    ExperimentSpec {
        title: "Max margin: GD from four starts".to_owned(),
        about: "w/‖w‖ drifts to the ℓ2 max-margin direction.".to_owned(),
        seed: 42,
        problem: Problem::Linear(LinearProblem {
            data: gaussian_clusters(10, 0.5, &[1.5, 1.5], 42),
            loss: Loss::Exp,
            bias: false,
            runs: inits
                .iter()
                .map(|init| LinearRunSpec {
                    optimizer: OptimizerSpec::new(kind, lr),
                    init: init.to_vec(),
                })
                .collect(),
            references: vec![MarginNorm::L2, MarginNorm::Linf],
            layout,
        }),
        horizon: 50_000,
    }
}

/// Replaces the solver's references by fixed ones (and the run angles to match).
fn inject_references(snapshot: &mut Snapshot) {
    let refs = [
        (MarginNorm::L2, unit(&[1.0, 1.0])),
        (MarginNorm::Linf, unit(&[1.0, 0.6])),
    ];
    common::set_references(snapshot, &refs);
}

fn app_for(spec: &ExperimentSpec, steps: u64, edit: impl FnOnce(&mut Snapshot)) -> App {
    common::app_after(spec, "max-margin", Box::new(Fixtures), steps, 0.0, edit)
}

fn overlay_app() -> App {
    let inits = [[-2.0, 4.0], [4.0, -1.0], [-3.0, -3.0], [1.0, 5.0]];
    app_for(
        &linear_spec(Layout::Overlay, &inits, OptimizerKind::Gd, 0.01),
        3000,
        inject_references,
    )
}

fn side_by_side_app() -> App {
    let mut spec = linear_spec(Layout::SideBySide, &[[-2.0, -0.5]], OptimizerKind::Sgd, 0.1);
    let Problem::Linear(problem) = &mut spec.problem else {
        unreachable!()
    };
    problem.runs.push(LinearRunSpec {
        optimizer: OptimizerSpec::new(OptimizerKind::Adam, 0.1),
        init: vec![-2.0, -0.5],
    });
    app_for(&spec, 2000, inject_references)
}

fn matrix_spec() -> ExperimentSpec {
    let mut rng = StdRng::seed_from_u64(7);
    ExperimentSpec {
        title: "Low rank: GD on U Vᵀ".to_owned(),
        about: "One singular value wins.".to_owned(),
        seed: 7,
        problem: Problem::Matrix(MatrixProblem {
            data: low_rank(20, 1, 0.6, 7),
            width: 20,
            runs: vec![MatrixRunSpec {
                optimizer: OptimizerSpec::new(OptimizerKind::Gd, 0.01),
                init_scale: 1e-3,
                u0: gaussian_matrix(20, 20, 1e-3, &mut rng),
                v0: gaussian_matrix(20, 20, 1e-3, &mut rng),
                middle: vec![],
            }],
            nuclear_reference: true,
            svd_every: 100,
        }),
        horizon: 20_000,
    }
}

fn matrix_app(converged: bool) -> App {
    app_for(&matrix_spec(), 3000, |snapshot| {
        let SnapshotBody::Matrix(matrix) = &mut snapshot.body else {
            panic!("matrix expected")
        };
        let mut singular_values = vec![0.0; 20];
        singular_values[0] = matrix.runs[0].singular_values[0];
        matrix.reference = NuclearReferenceStatus::Solved(NuclearReference {
            completion: matrix.target.clone(),
            singular_values,
            test_error: 0.01,
            nuclear_norm: matrix.runs[0].singular_values[0],
            converged,
            iterations: 100,
            primal_residual: 1e-9,
            dual_residual: 1e-9,
        });
    })
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| view::draw(frame, app)).expect("draw");
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn is_braille(symbol: &str) -> bool {
    symbol
        .chars()
        .any(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
}

/// Braille cells in columns `x0..x1` (all rows).
fn braille_between(buffer: &Buffer, x0: u16, x1: u16) -> usize {
    let mut count = 0;
    for y in 0..buffer.area.height {
        for x in x0..x1.min(buffer.area.width) {
            count += usize::from(is_braille(buffer[(x, y)].symbol()));
        }
    }
    count
}

#[test]
fn overlay_layout_shows_circle_arrows_runs_and_counter() {
    let app = overlay_app();
    for (width, height) in [(80, 24), (200, 60)] {
        let buffer = render(&app, width, height);
        let screen = text(&buffer);
        assert!(
            screen.lines().next().unwrap().contains("step 3000"),
            "{screen}"
        );
        for label in [
            "directions w/‖w‖",
            "ℓ2",
            "ℓ∞",
            "gap to target",
            "loss",
            "‖w‖",
            "margin",
        ] {
            assert!(
                screen.contains(label),
                "{label} missing at {width}×{height}:\n{screen}"
            );
        }
        assert!(
            circle_pane(&buffer).is_some_and(|pane| pane_has(&buffer, pane, "○")),
            "no start marks:\n{screen}"
        );
        // The circle pane is on the left: its braille outline and trails.
        assert!(
            braille_between(&buffer, 0, width / 2) > 40,
            "no circle:\n{screen}"
        );
        // The gap chart on the right is braille too, with decade ticks.
        assert!(
            braille_between(&buffer, width / 2, width) > 10,
            "no chart:\n{screen}"
        );
        assert!(screen.contains("1e3"), "no log ticks:\n{screen}");
    }
}

/// The inner area (x, y, width, height) of the pane titled " directions w/‖w‖ ".
fn circle_pane(buffer: &Buffer) -> Option<(u16, u16, u16, u16)> {
    let screen = text(buffer);
    let row = screen
        .lines()
        .position(|l| l.contains("directions w/‖w‖"))? as u16;
    let left = (0..buffer.area.width).find(|&x| buffer[(x, row)].symbol() == "┌")?;
    let right = (left + 1..buffer.area.width).find(|&x| buffer[(x, row)].symbol() == "┐")?;
    let bottom = (row + 1..buffer.area.height).find(|&y| buffer[(left, y)].symbol() == "└")?;
    Some((left + 1, row + 1, right - left - 1, bottom - row - 1))
}

fn pane_has(buffer: &Buffer, (x0, y0, width, height): (u16, u16, u16, u16), symbol: &str) -> bool {
    (y0..y0 + height).any(|y| (x0..x0 + width).any(|x| buffer[(x, y)].symbol() == symbol))
}

/// Each run's head, the reversed run number in the run's colour, sits in the circle pane in the
/// direction the engine reports for that run.
///
/// Independent computation: the run's direction w/‖w‖ from the engine (stepped here to the same
/// step), turned into an angle with atan2; the head's angle is read from its cell relative to
/// the pane's centre, with a cell counted twice as tall as wide (the round-circle contract:
/// equal data spans need x_span/width = y_span/(2·height)). Tolerance 6° at 200×60: the label
/// sits in the cell the point falls in (±1 cell at a radius of about 20 rows and 40 columns,
/// about 3°), plus the off-by-one between `cols − 1` and `cols` in the canvas scale.
#[test]
fn run_heads_are_at_their_runs_directions() {
    let inits = [[-2.0, 4.0], [4.0, -1.0], [-3.0, -3.0], [1.0, 5.0]];
    let spec = linear_spec(Layout::Overlay, &inits, OptimizerKind::Gd, 0.01);
    let mut experiment = Experiment::new(spec);
    experiment.step(3000);
    let SnapshotBody::Linear(linear) = experiment.snapshot().body else {
        unreachable!()
    };
    let app = overlay_app();
    let buffer = render(&app, 200, 60);
    let screen = text(&buffer);
    let (x0, y0, width, height) = circle_pane(&buffer).expect("a circle pane");
    let centre_x = f64::from(x0) + f64::from(width - 1) / 2.0;
    let centre_y = f64::from(y0) + f64::from(height - 1) / 2.0;
    for (index, run) in linear.runs.iter().enumerate() {
        let label = (index + 1).to_string();
        let heads: Vec<(u16, u16)> = (y0..y0 + height)
            .flat_map(|y| (x0..x0 + width).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let cell = &buffer[(x, y)];
                cell.symbol() == label
                    && cell.modifier.contains(Modifier::REVERSED)
                    && cell.fg == app_theme_run_color(index)
            })
            .collect();
        assert_eq!(heads.len(), 1, "run {label}: heads {heads:?}\n{screen}");
        let (x, y) = heads[0];
        let across = f64::from(x) - centre_x;
        let up = 2.0 * (centre_y - f64::from(y));
        let seen = up.atan2(across).to_degrees();
        let expected = run.direction[1].atan2(run.direction[0]).to_degrees();
        let off = (seen - expected + 540.0).rem_euclid(360.0) - 180.0;
        assert!(
            off.abs() < 6.0,
            "run {label}: head at {seen:.1}°, direction {expected:.1}°\n{screen}"
        );
    }
}

/// The colour the theme gives run `index` with colour on.
fn app_theme_run_color(index: usize) -> Color {
    implicit_bias::tui::theme::Theme { color: true }.run_color(index)
}

// The heat maps' colours, glyphs and mask are read cell by cell in tests/tui_heatmap.rs.

#[test]
fn circle_is_drawn_where_the_unit_circle_is() {
    let app = overlay_app();
    let buffer = render(&app, 200, 60);
    // Find the circle pane by its title and check braille at its top (the circle's north pole):
    // the pane is square in dots, so the middle column at a couple of rows below the border.
    let screen = text(&buffer);
    let row = screen
        .lines()
        .position(|l| l.contains("directions w/‖w‖"))
        .unwrap() as u16;
    let right_border = (1..buffer.area.width)
        .find(|&x| buffer[(x, row)].symbol() == "┐")
        .unwrap();
    let middle = right_border / 2;
    let column_has_braille = |y0: u16, y1: u16| {
        (y0..y1).any(|y| (middle - 1..=middle + 1).any(|x| is_braille(buffer[(x, y)].symbol())))
    };
    assert!(
        column_has_braille(row + 1, row + 8),
        "no braille at the circle's top:\n{screen}"
    );
}

#[test]
fn side_by_side_gives_each_run_a_pane_with_the_references() {
    let app = side_by_side_app();
    for (width, height) in [(80, 24), (200, 60)] {
        let screen = text(&render(&app, width, height));
        assert!(screen.contains("run 1: sgd lr=0.1"), "{screen}");
        assert!(screen.contains("run 2: adam lr=0.1"), "{screen}");
        assert!(screen.matches("ℓ∞").count() >= 2, "{screen}");
        assert!(screen.contains("step 2000"), "{screen}");
    }
    // SGD at lr 0.1 freezes on its first steps: its own pane says so.
    let screen = text(&render(&app, 120, 40));
    let title = screen.lines().find(|l| l.contains("run 1: sgd")).unwrap();
    assert!(title.contains("frozen @ "), "{screen}");
}

#[test]
fn matrix_layout_shows_spectra_bars_metrics_and_heat_maps() {
    let app = matrix_app(true);
    for (width, height) in [(80, 24), (200, 60)] {
        let buffer = render(&app, width, height);
        let screen = text(&buffer);
        for label in [
            "σ1",
            "σ2",
            "singular values",
            "min-‖·‖* reference",
            "test error",
            "eff. rank",
        ] {
            assert!(
                screen.contains(label),
                "{label} missing at {width}×{height}:\n{screen}"
            );
        }
        assert!(screen.contains("step 3000"), "{screen}");
        // The heat maps: entries painted as coloured backgrounds, held-out ones dotted.
        let painted = buffer.content().iter().filter(|c| c.bg != Color::Reset);
        let held_out = painted.filter(|c| c.symbol() == "·").count();
        assert!(
            held_out >= 10,
            "no heat map with its mask at {width}×{height}:\n{screen}"
        );
        assert!(screen.contains('█'), "no bars:\n{screen}");
    }
    let big = text(&render(&app, 200, 60));
    for label in ["σ5", "M*", "M − M*", "converged"] {
        assert!(big.contains(label), "{label} missing:\n{big}");
    }
}

#[test]
fn unconverged_nuclear_reference_says_so() {
    let screen = text(&render(&matrix_app(false), 120, 40));
    assert!(screen.contains("not converged"), "{screen}");
}

#[test]
fn missing_references_show_a_note_while_runs_continue() {
    let inits = [[-2.0, 4.0]];
    let app = app_for(
        &linear_spec(Layout::Overlay, &inits, OptimizerKind::Gd, 0.01),
        100,
        |s| {
            let SnapshotBody::Linear(linear) = &mut s.body else {
                unreachable!()
            };
            linear.references = vec![(
                MarginNorm::L2,
                Err(ReferenceError::NotSeparable("classes overlap".to_owned())),
            )];
        },
    );
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("not separable"), "{screen}");
    assert!(screen.contains("gap cannot"), "{screen}");
    assert!(screen.contains("step 100"), "{screen}");
}

#[test]
fn stopped_runs_and_auto_pauses_are_reported() {
    let inits = [[-2.0, 4.0], [4.0, -1.0]];
    let spec = linear_spec(Layout::Overlay, &inits, OptimizerKind::Gd, 0.01);
    let mut app = app_for(&spec, 10, |s| {
        let SnapshotBody::Linear(linear) = &mut s.body else {
            unreachable!()
        };
        linear.runs[0].status = RunStatus::Frozen { step: 7 };
        linear.runs[1].status = RunStatus::Diverged { step: 9 };
    });
    let screen = text(&render(&app, 100, 30));
    assert!(
        screen.contains("frozen @ 7") && screen.contains("diverged @ 9"),
        "{screen}"
    );
    let mut experiment = Experiment::new(spec);
    experiment.step(500);
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot: experiment.snapshot(),
        running: false,
        pace: Pace::Warp,
        steps_per_second: 0.0,
        auto_pause: Some(AutoPause::Horizon(500)),
    })));
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("paused (horizon)"), "{screen}");
    assert!(screen.contains("horizon (step 500)"), "{screen}");
}

#[test]
fn bad_preset_message_and_crash_are_shown() {
    let mut app = overlay_app();
    app.update(Action::TogglePicker);
    app.update(Action::PickerMove(-1));
    let picker = text(&render(&app, 100, 30));
    assert!(
        picker.contains("title of max-margin") && picker.contains("about broken"),
        "{picker}"
    );
    let commands = app.update(Action::PickerConfirm);
    assert!(commands.is_empty());
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("lr: must be > 0"), "{screen}");
    assert!(
        screen.contains("step 3000"),
        "the old preset stays:\n{screen}"
    );
    app.apply(WorkerMessage::Crashed("index out of bounds".to_owned()));
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("crashed: index out of bounds"), "{screen}");
}

#[test]
fn help_overlay_lists_the_keys() {
    let mut app = overlay_app();
    app.update(Action::ToggleHelp);
    let screen = text(&render(&app, 80, 24));
    for key in [
        "space",
        "warp",
        "reset",
        "preset picker",
        "quit",
        "100 steps",
    ] {
        assert!(screen.contains(key), "{key} missing:\n{screen}");
    }
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = overlay_app();
    app.color = false;
    let buffer = render(&app, 120, 40);
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "coloured cell {cell:?}");
        assert_eq!(cell.bg, Color::Reset, "coloured cell {cell:?}");
    }
    let mut matrix = matrix_app(true);
    matrix.color = false;
    let buffer = render(&matrix, 120, 40);
    assert!(
        buffer
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset)
    );
}

#[test]
fn every_size_renders_without_panicking() {
    let mut apps = vec![overlay_app(), side_by_side_app(), matrix_app(false)];
    let mut with_picker = overlay_app();
    with_picker.update(Action::TogglePicker);
    apps.push(with_picker);
    let mut with_help = matrix_app(true);
    with_help.update(Action::ToggleHelp);
    apps.push(with_help);
    for app in &apps {
        for width in (1..=50).step_by(4).chain([79, 80, 81, 200]) {
            for height in (1..=16).step_by(2).chain([23, 24, 25, 60]) {
                let screen = text(&render(app, width, height));
                if width >= 20 {
                    assert!(screen.contains("step"), "{width}×{height}:\n{screen}");
                }
            }
        }
    }
    let screen = text(&render(&apps[0], 10, 3));
    assert!(screen.contains("step 3000"), "{screen}");
}

#[test]
fn before_the_first_report_the_title_shows() {
    let spec = linear_spec(Layout::Overlay, &[[1.0, 1.0]], OptimizerKind::Gd, 0.01);
    let app = App::new(
        &spec,
        Path::new("presets/x.toml"),
        Vec::new(),
        PathBuf::from("presets"),
        Box::new(Fixtures),
    );
    let screen = text(&render(&app, 80, 24));
    assert!(
        screen.contains("step 0") && screen.contains("starting the experiment"),
        "{screen}"
    );
}

#[test]
fn projection_is_labelled_for_more_than_two_dimensions() {
    let mut spec = linear_spec(Layout::Overlay, &[[1.0, 1.0]], OptimizerKind::Gd, 0.01);
    let Problem::Linear(problem) = &mut spec.problem else {
        unreachable!()
    };
    problem.runs[0].init = vec![1.0, 1.0, 0.5];
    problem.data = gaussian_clusters(10, 0.5, &[1.5, 1.5, 0.5], 3);
    let app = app_for(&spec, 200, |_| {});
    let screen = text(&render(&app, 120, 40));
    assert!(screen.contains("projection on w₁,w₂"), "{screen}");
}

#[test]
#[ignore = "prints the screens for a human to look at"]
fn show_screens() {
    for (app, w, h) in [
        (overlay_app(), 80, 24),
        (overlay_app(), 200, 60),
        (side_by_side_app(), 80, 24),
        (matrix_app(false), 80, 24),
        (matrix_app(true), 120, 40),
    ] {
        println!("{}", text(&render(&app, w, h)));
    }
}

/// Row `y` of `screen` (a `text` rendering), without the trailing newline.
fn row(screen: &str, y: usize) -> &str {
    screen.lines().nth(y).unwrap_or_default()
}

#[test]
fn the_picker_reflows_the_about_and_marks_a_cut() {
    let mut app = overlay_app();
    app.update(Action::TogglePicker);
    // As a TOML multi-line string gives it: hard breaks mid-sentence, a paragraph break.
    let about = "GD on the exponential loss\nfrom four starts: every\ndirection drifts to ℓ2.\n\n\
                 Watch the angle fall like 1/ln t.";
    let Overlay::Picker { entries, selected } = &mut app.overlay else {
        panic!("picker expected")
    };
    entries[*selected].about = about.to_owned();
    let screen = text(&render(&app, 100, 30));
    // Joined: the first line runs on past the TOML's break ("loss" and "from" on one row).
    assert!(
        screen.contains("exponential loss from four starts"),
        "{screen}"
    );
    assert!(screen.contains("Watch the angle fall"), "{screen}");
    // A narrow box cuts the text: the last row shown ends with an ellipsis.
    let long = "word ".repeat(200);
    let Overlay::Picker { entries, selected } = &mut app.overlay else {
        unreachable!()
    };
    entries[*selected].about = long;
    let screen = text(&render(&app, 40, 20));
    let last_about_row = (0..20)
        .rev()
        .map(|y| row(&screen, y))
        .find(|r| r.contains("word"))
        .expect("about rows");
    assert!(last_about_row.contains("…"), "{screen}");
}

#[test]
fn a_long_error_note_is_wrapped_not_cut() {
    let mut app = overlay_app();
    app.notice = Some(
        "presets/broken.toml:3: runs[1].lr: -1 is out of range; use a number > 0, such as \
         0.01 for gd (the fix is at the end of this line)"
            .to_owned(),
    );
    let screen = text(&render(&app, 60, 24));
    // Every word reaches the screen, the last ones on a row of their own.
    let flat: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("the fix is at the end of this line)"),
        "{screen}"
    );
    assert!(row(&screen, 23).contains("line)"), "{screen}");
}

#[test]
fn small_angles_keep_the_degree_sign() {
    let inits = [[-2.0, 4.0], [4.0, -1.0]];
    let app = app_for(
        &linear_spec(Layout::Overlay, &inits, OptimizerKind::Gd, 0.01),
        3000,
        |snapshot| {
            inject_references(snapshot);
            let SnapshotBody::Linear(linear) = &mut snapshot.body else {
                panic!("linear expected")
            };
            linear.runs[0].angles = vec![(MarginNorm::L2, 0.05), (MarginNorm::Linf, 0.0012)];
            linear.runs[1].angles = vec![(MarginNorm::L2, 3e-11), (MarginNorm::Linf, 0.1)];
        },
    );
    let screen = text(&render(&app, 80, 24));
    for shown in ["0.0500°", "1.2e-3°", "3e-11°", "0.1000°"] {
        assert!(screen.contains(shown), "{shown} missing:\n{screen}");
    }
}

/// `z` zooms the circle onto the arc around the references and the runs' heads: the range in
/// the bottom border holds every one of those angles (computed here with atan2 from the
/// injected references and the engine's directions) with a margin, and is narrower than the
/// half-turn the whole circle shows above the axis; the heads and labels are still drawn. A
/// second `z` gives the whole circle back.
#[test]
fn zoom_shows_the_arc_around_the_references_and_heads() {
    let mut app = overlay_app();
    app.update(Action::ToggleZoom);
    let screen = text(&render(&app, 200, 60));
    let range = screen
        .lines()
        .find_map(|l| l.split(" arc ").nth(1))
        .unwrap_or_else(|| panic!("no arc range:\n{screen}"));
    let numbers: Vec<f64> = range
        .split(['°', '…', ' '])
        .filter_map(|t| t.parse().ok())
        .take(2)
        .collect();
    let (from, to) = (numbers[0], numbers[1]);
    let SnapshotBody::Linear(linear) = &app.report.as_ref().unwrap().snapshot.body else {
        unreachable!()
    };
    let mut angles = vec![45.0, 0.6_f64.atan2(1.0).to_degrees()];
    angles.extend(
        linear
            .runs
            .iter()
            .map(|r| r.direction[1].atan2(r.direction[0]).to_degrees()),
    );
    for angle in &angles {
        assert!(
            from + 0.4 < *angle && *angle < to - 0.4,
            "{angle} not in {from} … {to}"
        );
    }
    assert!(to - from < 180.0, "{from} … {to}");
    for label in ["ℓ2", "ℓ∞", "1", "2", "3", "4"] {
        assert!(screen.contains(label), "{label} missing:\n{screen}");
    }
    app.update(Action::ToggleZoom);
    assert!(!text(&render(&app, 200, 60)).contains(" arc "));
}
