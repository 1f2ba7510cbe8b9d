//! Every shipped preset on the dashboard at 80×24 and 120×40, as a user first sees it: a
//! snapshot of each screen, and two promises checked on the buffer itself.
//!
//! - Labels tell the truth: on every circle, each reference is named exactly once, its label is
//!   drawn whole (nothing overwrites it), and it stands beside its own arrow's tip — within two
//!   cells of it and nearer to it than to any other reference's tip. The tip is found here from
//!   the reference's direction with the canvas's mapping written out again, not read from the
//!   view's placement.
//! - Nothing is cut silently: every run has its row in the run table, or the table says
//!   `runs k–m of n`; a heat map that shows fewer matrix rows than M* has says `of N`.
#![cfg(feature = "tui")]

use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

use implicit_bias::core::experiment::{Experiment, ExperimentSpec, Layout, SnapshotBody};
use implicit_bias::core::kinds::linear::LinearSnapshot;
use implicit_bias::preset::{self, Override};
use implicit_bias::tui::app::{App, CircleView, PresetEntry, PresetSource};
use implicit_bias::tui::view;
use implicit_bias::tui::worker::{Pace, Report, WorkerMessage};

/// Steps before the picture: past every preset's first interesting phase, cheap to run.
const STEPS: u64 = 3000;

/// The dashboard's two reference sizes.
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

struct NoPresets;

impl PresetSource for NoPresets {
    fn load(&self, path: &Path, _overrides: &[Override]) -> Result<ExperimentSpec, String> {
        Err(format!("{}: not loaded here", path.display()))
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        Vec::new()
    }
}

/// Every shipped preset: (name, spec).
fn presets() -> Vec<(String, ExperimentSpec)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("presets");
    let presets: Vec<(String, ExperimentSpec)> = preset::list(&dir)
        .into_iter()
        .map(|info| {
            let spec = preset::load(&info.path).expect("a shipped preset loads");
            (info.name, spec)
        })
        .collect();
    assert!(presets.len() >= 13, "the presets folder was read");
    presets
}

/// The dashboard on `spec` after [`STEPS`] steps (or its horizon), shown paused, in monochrome.
fn app(name: &str, spec: &ExperimentSpec) -> App {
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(STEPS.min(spec.horizon));
    let mut app = App::new(
        spec,
        Path::new(&format!("presets/{name}.toml")),
        Vec::new(),
        PathBuf::from("presets"),
        Box::new(NoPresets),
    );
    app.color = false;
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot: experiment.snapshot(),
        running: false,
        pace: Pace::Warp,
        steps_per_second: 0.0,
        auto_pause: None,
    })));
    app
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| view::draw(frame, app)).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| {
            let row: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            row.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The bordered boxes on screen whose top border holds `wanted(title)`: followed from each
/// `┌` right to its `┐` and down to its `┘`.
fn boxes(buffer: &Buffer, wanted: impl Fn(&str) -> bool) -> Vec<Rect> {
    let area = buffer.area;
    let symbol = |x: u16, y: u16| buffer[(x, y)].symbol().to_owned();
    let mut found = vec![];
    for y in 0..area.height {
        for x in 0..area.width {
            if symbol(x, y) != "┌" {
                continue;
            }
            let Some(right) = (x + 1..area.width).find(|&r| symbol(r, y) == "┐") else {
                continue;
            };
            let Some(bottom) = (y + 1..area.height).find(|&b| symbol(x, b) == "└") else {
                continue;
            };
            let title: String = (x + 1..right).map(|c| symbol(c, y)).collect();
            if wanted(&title) {
                found.push(Rect::new(x, y, right - x + 1, bottom - y + 1));
            }
        }
    }
    found
}

/// The circle panes, left to right, with the runs each one draws.
fn circles(buffer: &Buffer, linear: &LinearSnapshot, layout: Layout) -> Vec<(Rect, Vec<usize>)> {
    let panes = boxes(buffer, |title| {
        !title.contains("gap") && !title.contains("runs") && !title.contains("keys")
    });
    match layout {
        Layout::Overlay => panes
            .into_iter()
            .take(1)
            .map(|rect| (rect, (0..linear.runs.len()).collect()))
            .collect(),
        Layout::SideBySide => panes
            .into_iter()
            .enumerate()
            .map(|(index, rect)| (rect, vec![index]))
            .collect(),
    }
}

/// The cell (col, row) inside a circle's canvas of `cols` × `rows` where the canvas puts the
/// point (x, y) of the whole-circle view: data bounds ±1.3 on the shorter side, widened so the
/// circle is round (braille cells are about twice as tall as wide).
fn tip_cell(x: f64, y: f64, cols: u16, rows: u16) -> (i32, i32) {
    let (cols, rows) = (f64::from(cols), f64::from(rows));
    let (mut x_half, mut y_half) = (1.3, 1.3);
    let x_needed = 2.0 * y_half * cols / (2.0 * rows);
    if x_needed >= 2.0 * x_half {
        x_half = x_needed / 2.0;
    } else {
        y_half = 2.0 * x_half * 2.0 * rows / cols / 2.0;
    }
    let col = ((x + x_half) * (cols - 1.0) / (2.0 * x_half)).floor();
    let row = ((y_half - y) * (rows - 1.0) / (2.0 * y_half)).floor();
    (col as i32, row as i32)
}

/// King-move distance from a label of `width` at (col, row) to the cell `tip`.
fn reach(col: i32, row: i32, width: i32, tip: (i32, i32)) -> i32 {
    let across = if tip.0 < col {
        col - tip.0
    } else if tip.0 >= col + width {
        tip.0 - (col + width - 1)
    } else {
        0
    };
    across.max((tip.1 - row).abs())
}

fn check_circle_labels(name: &str, size: (u16, u16), app: &App, buffer: &Buffer) {
    let Some(SnapshotBody::Linear(linear)) = app.report.as_ref().map(|r| &r.snapshot.body) else {
        return;
    };
    let panes = circles(buffer, linear, app.layout);
    assert!(!panes.is_empty(), "{name} {size:?}: no circle found");
    for (rect, runs) in panes {
        let inner = Rect::new(rect.x + 1, rect.y + 1, rect.width - 2, rect.height - 2);
        let labels = view::reference_labels(rect, linear, &runs, CircleView::Whole);
        let tips: Vec<_> = linear
            .references
            .iter()
            .filter_map(|(norm, result)| {
                let direction = &result.as_ref().ok()?.direction;
                let (x, y) = (direction[0], direction.get(1).copied().unwrap_or(0.0));
                Some((*norm, tip_cell(x, y, inner.width, inner.height)))
            })
            .collect();
        let mut named: Vec<_> = labels.iter().flat_map(|l| l.norms.clone()).collect();
        named.sort_by_key(|n| format!("{n:?}"));
        let mut expected: Vec<_> = tips.iter().map(|t| t.0).collect();
        expected.sort_by_key(|n| format!("{n:?}"));
        assert_eq!(
            named, expected,
            "{name} {size:?}: each reference named once"
        );
        for label in &labels {
            let width = label.text.chars().count() as i32;
            let drawn: String = (0..width)
                .map(|i| {
                    buffer[(inner.x + (label.col + i) as u16, inner.y + label.row as u16)]
                        .symbol()
                        .to_owned()
                })
                .collect();
            assert_eq!(
                drawn,
                label.text,
                "{name} {size:?}: label overwritten\n{}",
                text(buffer)
            );
            let own = tips
                .iter()
                .find(|t| t.0 == label.norms[0])
                .expect("the label's reference has a tip")
                .1;
            let mine = reach(label.col, label.row, width, own);
            assert!(
                mine <= 2,
                "{name} {size:?}: {} is {mine} cells from its tip\n{}",
                label.text,
                text(buffer)
            );
            for (norm, tip) in &tips {
                if !label.norms.contains(norm) {
                    assert!(
                        reach(label.col, label.row, width, *tip) > mine,
                        "{name} {size:?}: {} stands as near {norm:?}'s tip as its own\n{}",
                        label.text,
                        text(buffer)
                    );
                }
            }
        }
    }
}

fn check_no_silent_cut(name: &str, size: (u16, u16), app: &App, buffer: &Buffer) {
    let screen = text(buffer);
    let body = app.report.as_ref().map(|r| &r.snapshot.body);
    let runs = app.run_count();
    let all_rows_shown = match body {
        Some(SnapshotBody::Diagonal(_)) => (1..=runs).all(|i| {
            let digit = char::from_digit(i as u32 % 36, 36).unwrap_or('?');
            screen.lines().any(|l| l.starts_with(&format!("│{digit} ")))
        }),
        _ => (1..=runs).all(|i| screen.contains(&format!("■{i} "))),
    };
    assert!(
        all_rows_shown || screen.contains(&format!(" of {runs}")),
        "{name} {size:?}: a run's row is missing without a note\n{screen}"
    );
    if let Some(SnapshotBody::Matrix(matrix)) = body {
        let heat = boxes(buffer, |title| title.contains("M*"));
        let rect = heat.first().expect("a heat map");
        let shown = usize::from(rect.height.saturating_sub(3));
        let rows = matrix.target.nrows();
        assert!(
            shown >= rows || screen.contains(&format!(" of {rows}")),
            "{name} {size:?}: heat map rows cut silently\n{screen}"
        );
    }
}

#[test]
fn every_preset_at_80x24_and_120x40_labels_truthfully_and_cuts_nothing_silently() {
    for (name, spec) in presets() {
        let app = app(&name, &spec);
        for (width, height) in SIZES {
            let buffer = render(&app, width, height);
            check_circle_labels(&name, (width, height), &app, &buffer);
            check_no_silent_cut(&name, (width, height), &app, &buffer);
            insta::assert_snapshot!(format!("{name}_{width}x{height}"), text(&buffer));
        }
    }
}

/// Runs of their own widths (tests/bad-presets/should-load/network-run-widths.toml) at 80×24:
/// the run table's title still names the `[model]` shape whole, every run keeps its row, and a
/// run of other widths is named by them, so the longer label costs no row and no title.
#[test]
fn a_network_with_runs_of_their_own_widths_fits_80x24_and_names_their_shape() {
    let name = "network-run-widths";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/bad-presets/should-load/{name}.toml"));
    let spec = preset::load(&path).expect("the mixed-widths preset loads");
    let app = app(name, &spec);
    let buffer = render(&app, 80, 24);
    check_no_silent_cut(name, (80, 24), &app, &buffer);
    let screen = text(&buffer);
    assert!(
        screen.contains(" runs · 1→8→6→1 tanh · 12 points "),
        "the table's title is cut\n{screen}"
    );
    assert!(
        screen.contains("widths=[10]"),
        "run 2's widths are not named\n{screen}"
    );
    assert_eq!(
        screen.matches("widths=").count(),
        1,
        "only the run of other widths is named by them\n{screen}"
    );
}

/// The bit of each braille dot in its character (U+2800 + bits), by (column, row) in the cell.
const BRAILLE_BITS: [[u32; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];

/// scalar-net at 80×24 and 120×40, in colour: the (a, b) plane replaces the fit, its title
/// names the minima ab = 1, each run's number is drawn, and every dot of a faint braille cell
/// (the curve's colour; a later layer's cell replaces it whole) lies on ab = 1. A dot is placed
/// with the canvas's mapping written out here (dot k of 2·columns at low + k·span/(2·columns −
/// 1), rows from the top likewise) over the ranges the pane's bottom border prints, so it may
/// miss the curve by a dot (rounding to the grid, Bresenham) and the border's rounding.
#[test]
fn scalar_net_draws_its_minima_curve_in_the_ab_plane() {
    let name = "scalar-net";
    let spec = presets()
        .into_iter()
        .find(|(preset, _)| preset == name)
        .expect("the scalar-net preset")
        .1;
    let mut app = app(name, &spec);
    app.color = true;
    for (width, height) in SIZES {
        let buffer = render(&app, width, height);
        let screen = text(&buffer);
        assert!(
            !screen.contains("fit:"),
            "the fit pane is replaced\n{screen}"
        );
        let panes = boxes(&buffer, |title| title.contains("minima ab = 1"));
        let [pane] = panes[..] else {
            panic!("{width}x{height}: one plane pane, found {panes:?}\n{screen}");
        };
        let inner = Rect::new(pane.x + 1, pane.y + 1, pane.width - 2, pane.height - 2);
        let bottom: String = (pane.x + 1..pane.right() - 1)
            .map(|x| buffer[(x, pane.bottom() - 1)].symbol().to_owned())
            .collect();
        // (low, high, half a unit of the last printed digit) of ` a low…high · b low…high `.
        let range = |axis: &str| -> (f64, f64, f64) {
            let text = bottom
                .split(&format!("{axis} "))
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("no {axis} range in {bottom:?}"));
            let (low, high) = text.split_once('…').expect("low…high");
            let decimals = high.split_once('.').map_or(0, |(_, d)| d.len());
            let rounding = 0.5 * 10_f64.powi(-(decimals as i32));
            (low.parse().unwrap(), high.parse().unwrap(), rounding)
        };
        let ((left, right, a_rounding), (low, high, b_rounding)) = (range("a"), range("b"));
        let dots_across = 2.0 * f64::from(inner.width) - 1.0;
        let dots_down = 4.0 * f64::from(inner.height) - 1.0;
        let (dot_a, dot_b) = ((right - left) / dots_across, (high - low) / dots_down);
        let (reach_a, reach_b) = (dot_a + a_rounding, dot_b + b_rounding);
        let on_curve = |a: f64, b: f64| {
            // Some point of ab = 1 within reach: b = 1/a over a's reach, both branches.
            (0..=100).any(|i| {
                let x = a - reach_a + 2.0 * reach_a * f64::from(i) / 100.0;
                x != 0.0 && (1.0 / x - b).abs() <= reach_b
            })
        };
        let mut columns = std::collections::BTreeSet::new();
        for row in 0..inner.height {
            for col in 0..inner.width {
                let cell = &buffer[(inner.x + col, inner.y + row)];
                let Some(pattern) = cell.symbol().chars().next().map(|c| c as u32) else {
                    continue;
                };
                if !(0x2801..=0x28FF).contains(&pattern) || cell.fg != Color::DarkGray {
                    continue;
                }
                for (dx, column_bits) in BRAILLE_BITS.iter().enumerate() {
                    for (dy, bit) in column_bits.iter().enumerate() {
                        if (pattern - 0x2800) & bit == 0 {
                            continue;
                        }
                        let a = left + (2.0 * f64::from(col) + dx as f64) * dot_a;
                        let b = high - (4.0 * f64::from(row) + dy as f64) * dot_b;
                        assert!(
                            on_curve(a, b),
                            "{width}x{height}: a faint dot in cell ({col}, {row}) at a = {a:.3}, \
                             b = {b:.3} is off ab = 1\n{screen}"
                        );
                    }
                }
                columns.insert(col);
            }
        }
        assert!(
            3 * columns.len() >= usize::from(inner.width),
            "{width}x{height}: the curve crosses {} of {} columns\n{screen}",
            columns.len(),
            inner.width
        );
        for run in ["1", "2"] {
            let drawn = (inner.y..inner.bottom())
                .flat_map(|y| (inner.x..inner.right()).map(move |x| (x, y)))
                .any(|xy| buffer[xy].symbol() == run);
            assert!(drawn, "{width}x{height}: run {run}'s number\n{screen}");
        }
    }
}
