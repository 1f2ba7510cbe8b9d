//! The heat maps read back cell by cell from a `TestBackend` buffer: colours (orientation, sign,
//! the shared scale), the observation mask's dots, the monochrome glyphs, the legend, and the
//! chosen run (Tab to the heat map, then arrows or a number key).
//!
//! Independent computation throughout: the matrices are written out by hand, divided by
//! max |M*| by hand (1), and run through the documented ramp written out again here; a mistake
//! in orientation (a transpose), sign (M* − M for M − M*) or scale (max |M| for max |M*|)
//! changes cells. Every entry is at least 0.06 from a threshold, so matches are exact.
#![cfg(feature = "tui")]

use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use implicit_bias::core::data::{gaussian_matrix, low_rank};
use implicit_bias::core::experiment::{Experiment, ExperimentSpec, Problem, SnapshotBody};
use implicit_bias::core::kinds::matrix::{MatrixProblem, MatrixRunSpec};
use implicit_bias::core::optim::{OptimizerKind, OptimizerSpec};
use implicit_bias::tui::app::{App, Pane, PresetEntry, PresetSource};
use implicit_bias::tui::keymap::{Action, KeyMode};
use implicit_bias::tui::view;
use implicit_bias::tui::worker::{Pace, Report, WorkerMessage};

struct NoPresets;

impl PresetSource for NoPresets {
    fn load(
        &self,
        path: &Path,
        _overrides: &[implicit_bias::preset::Override],
    ) -> Result<ExperimentSpec, String> {
        Err(format!("{}: not loaded here", path.display()))
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        Vec::new()
    }
}

/// A 20×20 matrix experiment with two runs (the picture is replaced below).
fn two_run_spec() -> ExperimentSpec {
    let mut rng = StdRng::seed_from_u64(7);
    let run = |lr, rng: &mut StdRng| MatrixRunSpec {
        optimizer: OptimizerSpec::new(OptimizerKind::Gd, lr),
        init_scale: 1e-3,
        u0: gaussian_matrix(20, 20, 1e-3, rng),
        v0: gaussian_matrix(20, 20, 1e-3, rng),
        middle: vec![],
    };
    ExperimentSpec {
        title: "two runs".to_owned(),
        about: String::new(),
        seed: 7,
        problem: Problem::Matrix(MatrixProblem {
            data: low_rank(20, 1, 0.6, 7),
            width: 20,
            runs: vec![run(0.01, &mut rng), run(0.02, &mut rng)],
            nuclear_reference: false,
            svd_every: 100,
        }),
        horizon: 1000,
    }
}

/// M* (4×6: not square, so a transpose changes the picture), entries from {±1, ±0.3, 0}
/// placed with no symmetry.
fn target() -> DMatrix<f64> {
    DMatrix::from_row_slice(
        4,
        6,
        &[
            1.0, 0.3, 0.0, -0.3, -1.0, 0.0, //
            0.0, -1.0, 1.0, 0.0, 0.3, -0.3, //
            -0.3, 0.0, -1.0, 1.0, 0.0, 0.3, //
            0.3, 1.0, 0.0, -1.0, -0.3, 1.0,
        ],
    )
}

/// The mask: 1 observed, 0 held out, again with no symmetry.
fn mask() -> DMatrix<f64> {
    DMatrix::from_row_slice(
        4,
        6,
        &[
            1.0, 0.0, 1.0, 1.0, 0.0, 1.0, //
            1.0, 1.0, 0.0, 1.0, 1.0, 0.0, //
            0.0, 1.0, 1.0, 0.0, 1.0, 1.0, //
            1.0, 0.0, 1.0, 1.0, 1.0, 0.0,
        ],
    )
}

/// Run 1's M = 0.3·M*, run 2's M = −0.6·M*.
const RUN_FACTORS: [f64; 2] = [0.3, -0.6];

/// The app showing the two-run experiment with [`target`], [`mask`] and the runs' M put in.
fn heat_app(color: bool) -> App {
    let spec = two_run_spec();
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(10);
    let mut snapshot = experiment.snapshot();
    let SnapshotBody::Matrix(matrix) = &mut snapshot.body else {
        panic!("matrix expected")
    };
    matrix.target = target();
    matrix.mask = mask();
    for (run, factor) in matrix.runs.iter_mut().zip(RUN_FACTORS) {
        run.product = target() * factor;
    }
    let mut app = App::new(
        &spec,
        Path::new("presets/heat.toml"),
        Vec::new(),
        PathBuf::from("presets"),
        Box::new(NoPresets),
    );
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot,
        running: false,
        pace: Pace::Warp,
        steps_per_second: 0.0,
        auto_pause: None,
    })));
    app.color = color;
    app
}

fn render(app: &App) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    terminal.draw(|frame| view::draw(frame, app)).expect("draw");
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The left x of the three maps (M*, M, M − M*) and the row of their first entries, found by
/// the labels on the row below the pane's title (which names the run shown).
fn origins(buffer: &Buffer, run: usize) -> ([u16; 3], u16) {
    let screen = text(buffer);
    let title = format!("M*  ·  M (run {run})");
    let title_row = screen
        .lines()
        .position(|l| l.contains(&title))
        .unwrap_or_else(|| panic!("no {title}:\n{screen}")) as u16;
    let label_row = title_row + 1;
    let starts: Vec<u16> = (0..buffer.area.width)
        .filter(|&x| buffer[(x, label_row)].symbol() == "M")
        .collect();
    // "M*" "M" "M − M*": the fourth M is the M* inside the third label.
    assert_eq!(starts.len(), 4, "labels:\n{screen}");
    ([starts[0], starts[1], starts[2]], label_row + 1)
}

/// The documented ramp on v / max|M*|: |v| ≤ 0.15 neutral (black), ≤ 0.5 light, else full;
/// blue below zero, red above.
fn expected_color(v: f64) -> Color {
    match v {
        v if v < -0.5 => Color::Blue,
        v if v < -0.15 => Color::LightBlue,
        v if v <= 0.15 => Color::Black,
        v if v <= 0.5 => Color::LightRed,
        _ => Color::Red,
    }
}

/// M*, the run's M and M − M*, each on the shared scale max |M*| = 1.
fn expected_maps(factor: f64) -> [DMatrix<f64>; 3] {
    let product = target() * factor;
    let difference = &product - target();
    [target(), product, difference]
}

/// Each entry is two cells wide (the maps have room at 200×60), its value the background of
/// both; a held-out entry has a dot in its first cell, an observed one is blank; nothing is
/// painted past the 6 columns and 4 rows.
fn assert_colour_maps(buffer: &Buffer, run: usize) {
    let screen = text(buffer);
    let (xs, top) = origins(buffer, run);
    for (map, (values, x0)) in expected_maps(RUN_FACTORS[run - 1])
        .iter()
        .zip(xs)
        .enumerate()
    {
        for row in 0..4 {
            for column in 0..6 {
                let value = values[(row, column)];
                let held_out = mask()[(row, column)] == 0.0;
                for part in 0..2 {
                    let x = x0 + 2 * column as u16 + part;
                    let cell = &buffer[(x, top + row as u16)];
                    assert_eq!(
                        cell.bg,
                        expected_color(value),
                        "map {map} entry ({row}, {column}) = {value}, cell {part}\n{screen}"
                    );
                    let dot = if held_out && part == 0 { "·" } else { " " };
                    assert_eq!(cell.symbol(), dot, "map {map} ({row}, {column})\n{screen}");
                }
            }
            assert_eq!(
                buffer[(x0 + 12, top + row as u16)].bg,
                Color::Reset,
                "map {map}"
            );
        }
        assert_eq!(
            buffer[(x0, top + 4)].bg,
            Color::Reset,
            "map {map}: taller than 4"
        );
    }
}

#[test]
fn colours_have_the_orientation_sign_and_scale_and_the_mask_is_dotted() {
    let buffer = render(&heat_app(true));
    assert_colour_maps(&buffer, 1);
    // The legend gives the scale's ends and the ramp in order, blue to red.
    let screen = text(&buffer);
    let legend_row = screen
        .lines()
        .position(|l| l.contains("· held out"))
        .expect("a legend") as u16;
    let swatches: Vec<Color> = (0..buffer.area.width)
        .map(|x| buffer[(x, legend_row)].bg)
        .filter(|&c| c != Color::Reset)
        .collect();
    assert_eq!(
        swatches,
        [
            Color::Blue,
            Color::LightBlue,
            Color::Black,
            Color::LightRed,
            Color::Red
        ]
    );
    let legend = screen.lines().nth(legend_row.into()).unwrap();
    assert!(
        legend.contains("−1.000") && legend.contains("+1.000"),
        "{legend}"
    );
}

#[test]
fn the_focused_heat_map_shows_the_run_chosen_with_arrows_or_numbers() {
    let mut app = heat_app(true);
    while app.focused() != Some(view::matrix::HEAT) {
        app.update(Action::FocusNext);
    }
    assert_eq!(app.key_mode(), KeyMode::ChooseRun);
    app.update(Action::MoveRun(1));
    assert_colour_maps(&render(&app), 2);
    // Clamped at the last run; a number beyond the runs is ignored; `1` goes back.
    app.update(Action::MoveRun(1));
    app.update(Action::ChooseRun(5));
    assert_eq!(app.chosen_run(), 1);
    app.update(Action::ChooseRun(0));
    assert_colour_maps(&render(&app), 1);
}

/// Under NO_COLOR: observed entries as shades by |v| (< 0.1 blank, < 0.3 ░, < 0.6 ▒, < 0.9 ▓,
/// else █, in both cells), held-out ones as dots by |v| (< 0.3 ·, < 0.6 •, else ●, first cell).
#[test]
fn monochrome_maps_shade_observed_entries_and_dot_held_out_ones() {
    let buffer = render(&heat_app(false));
    let screen = text(&buffer);
    let (xs, top) = origins(&buffer, 1);
    let shade = |m: f64| match m {
        m if m < 0.1 => " ",
        m if m < 0.3 => "░",
        m if m < 0.6 => "▒",
        m if m < 0.9 => "▓",
        _ => "█",
    };
    let dot = |m: f64| match m {
        m if m < 0.3 => "·",
        m if m < 0.6 => "•",
        _ => "●",
    };
    for (map, (values, x0)) in expected_maps(RUN_FACTORS[0]).iter().zip(xs).enumerate() {
        for row in 0..4 {
            let shown: String = (0..12)
                .map(|x| buffer[(x0 + x, top + row)].symbol().to_owned())
                .collect();
            let expected: String = (0..6)
                .map(|column| {
                    let m = values[(row as usize, column)].abs();
                    if mask()[(row as usize, column)] == 0.0 {
                        format!("{} ", dot(m))
                    } else {
                        shade(m).repeat(2)
                    }
                })
                .collect();
            assert_eq!(shown, expected, "map {map} row {row}\n{screen}");
        }
    }
    assert!(
        screen.contains("░▒▓█") && screen.contains("· • ● held out"),
        "{screen}"
    );
}

/// The focused pane's border is highlighted (bold light cyan, the theme's focus style) and the
/// others are not; a focused run table shows the chosen run's row reversed, and only that row.
#[test]
fn focus_is_shown_on_the_border_and_the_chosen_row() {
    let corner_of = |buffer: &Buffer, title: &str| {
        let screen = text(buffer);
        let row = screen.lines().position(|l| l.contains(title)).unwrap() as u16;
        let x = (0..buffer.area.width)
            .find(|&x| {
                buffer[(x, row)].symbol() == "┌" && text_from(buffer, x, row).contains(title)
            })
            .unwrap();
        buffer[(x, row)].clone()
    };
    let mut app = heat_app(true);
    while app.focused() != Some(view::matrix::HEAT) {
        app.update(Action::FocusNext);
    }
    let buffer = render(&app);
    assert_eq!(corner_of(&buffer, "M*  ·  M (run 1)").fg, Color::LightCyan);
    assert_ne!(corner_of(&buffer, "matrix completion").fg, Color::LightCyan);
    app.update(Action::FocusNext);
    assert_eq!(app.focused(), Some(Pane::METRICS));
    app.update(Action::MoveRun(1));
    let buffer = render(&app);
    assert_eq!(corner_of(&buffer, "matrix completion").fg, Color::LightCyan);
    let screen = text(&buffer);
    let row_of = |marker: &str| screen.lines().position(|l| l.contains(marker)).unwrap() as u16;
    let reversed = |row: u16| {
        (1..buffer.area.width - 1)
            .filter(|&x| buffer[(x, row)].modifier.contains(Modifier::REVERSED))
            .count()
    };
    assert!(reversed(row_of("■2 gd")) > 20, "{screen}");
    assert_eq!(reversed(row_of("■1 gd")), 0, "{screen}");
}

/// The text of row `y` from column `x` on.
fn text_from(buffer: &Buffer, x: u16, y: u16) -> String {
    (x..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}
