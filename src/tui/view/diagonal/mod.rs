//! Diagonal-network experiments: where each run's w sits among the references, coordinate by
//! coordinate, and how it got there over log t.
//!
//! ```text
//! ┌ coordinates wⱼ: 15 of 100, largest |min-ℓ1| first · ±2, √ scale ───────────────┐
//! │⡇ 1 3 ⡇ 1                                                                       │
//! │⡇⠂ 23 ⡇⠂ 23   3   3                                                             │
//! │⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠂⠉12⠉⠉⠂123⠉⠂123⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉│
//! └ digits: runs · │ min-ℓ1 · ⠂ min-ℓ2 ─────────────────────────────────────────────┘
//! ┌ ‖w‖₁ vs log t ┈ min-ℓ1 ──────────┐┌ distance to own target vs log t ────────────┐
//! └──────────────────────────────────┘└─────────────────────────────────────────────┘
//! ┌ runs ──────────────────────────────────────────────────────────────────────────┐
//! │ run          α     D   loss     ‖w‖₁   →ℓ1    →ℓ2    →target  status           │
//! └────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Sparse against dense is the point, so the coordinates are drawn in the order of the least-ℓ1
//! interpolant's magnitudes: its few nonzeros come first as stems, the least-ℓ2 interpolant's
//! small spread-out values as dots, and each run as its number. A small-α run sits on the stems
//! and on zero elsewhere; a large-α run sits on the dots. Runs are digits, not colours, so
//! NO_COLOR loses nothing.

mod history;
mod metrics;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine, Points};
use ratatui::widgets::{Block, Paragraph, Wrap};

use self::history::Series;
use crate::core::kinds::diagonal::{DiagonalRunSnapshot, DiagonalSnapshot};
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;
use crate::tui::view::KindView;
use crate::tui::view::axis::nice_ceil;
use crate::tui::view::number;

/// A diagonal experiment's coordinates against the references.
pub const COORDINATES: Pane = Pane::new("coordinates", false);
/// ‖w‖₁ against log t.
pub const NORM_HISTORY: Pane = Pane::new("norm-history", false);
/// The distance to each run's target against log t.
pub const DISTANCE: Pane = Pane::new("distance", false);
/// α∞/α against log t, for runs with an exact finite-step target.
pub const EFFECTIVE_ALPHA: Pane = Pane::new("effective-alpha", false);

/// What the diagonal experiments' glyphs mean.
const DIAGONAL_LEGEND: &[&str] = &[
    "coordinates: │ stems the least-ℓ1 interpolant, ⠂ dots the least-ℓ2 one",
    "digits: where run N's coordinate sits now (largest |min-ℓ1| first)",
    "⠂ in run N's column: its own target, hidden under the digit once reached",
    "own target: the exact finite-step one (α∞) for depth-2 GD/SGD steps, else Q_α",
    "‖w‖₁, the distance to each run's own target, and α∞/α vs log t",
    "α∞/α: line the geometric mean over coordinates, dots the min and max",
    "table: α init, D depth, relative distances →ℓ1 →ℓ2 →Qα (flow) →α∞ (steps)",
];

impl KindView for DiagonalSnapshot {
    fn panes(&self, _app: &App) -> Vec<Pane> {
        let mut panes = vec![COORDINATES, NORM_HISTORY, DISTANCE];
        if self.runs.iter().any(|r| r.effective.is_some()) {
            panes.push(EFFECTIVE_ALPHA);
        }
        panes.push(Pane::METRICS);
        panes
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
        render(frame, area, self, app.focused(), theme);
    }

    fn legend(&self) -> &'static [&'static str] {
        DIAGONAL_LEGEND
    }
}

/// The colour of the least-ℓ1 stems.
const L1_COLOR: Color = Color::LightGreen;
/// The colour of the least-ℓ2 dots.
const L2_COLOR: Color = Color::LightRed;

/// Draws the coordinates on top, the two histories in the middle and the table below.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    diagonal: &DiagonalSnapshot,
    focused: Option<Pane>,
    theme: Theme,
) {
    let table_height = (diagonal.runs.len() as u16 + 3).min(area.height / 3).max(3);
    // An odd number of plot rows puts zero in the middle of one row, not on a row boundary.
    let half = (area.height.saturating_sub(table_height) / 2).max(3);
    let coordinates_height = if half.is_multiple_of(2) {
        half + 1
    } else {
        half
    };
    let [top, middle, table] = Layout::vertical([
        Constraint::Length(coordinates_height),
        Constraint::Fill(1),
        Constraint::Length(table_height),
    ])
    .areas(area);
    render_coordinates(frame, top, diagonal, focused == Some(COORDINATES), theme);
    let finite_steps = diagonal.runs.iter().any(|r| r.effective.is_some());
    let panes = if finite_steps { 3 } else { 2 };
    let areas = Layout::horizontal(vec![Constraint::Fill(1); panes]).split(middle);
    let (norm_area, distance_area) = (areas[0], areas[1]);
    history::render(
        frame,
        norm_area,
        diagonal,
        Series::L1Norm,
        focused == Some(NORM_HISTORY),
        theme,
    );
    history::render(
        frame,
        distance_area,
        diagonal,
        Series::DistanceToTarget,
        focused == Some(DISTANCE),
        theme,
    );
    if finite_steps {
        history::render(
            frame,
            areas[2],
            diagonal,
            Series::EffectiveAlpha,
            focused == Some(EFFECTIVE_ALPHA),
            theme,
        );
    }
    metrics::render(
        frame,
        table,
        diagonal,
        focused == Some(Pane::METRICS),
        theme,
    );
}

/// The coordinates pane: one group of cells per coordinate, holding the min-ℓ1 stem, the min-ℓ2
/// dot, then each run's digit in its own cell, so no run hides another or a reference.
fn render_coordinates(
    frame: &mut Frame,
    area: Rect,
    diagonal: &DiagonalSnapshot,
    focused: bool,
    theme: Theme,
) {
    let group = diagonal.runs.len() + 2;
    let inner_width = area.width.saturating_sub(2) as usize;
    let shown = (inner_width / group).clamp(1, diagonal.dim.max(1));
    let order: Vec<usize> = diagonal
        .coordinate_order()
        .into_iter()
        .take(shown)
        .collect();
    let l1 = diagonal.references.min_l1.as_ref().ok();
    let l2 = diagonal.references.min_l2.as_ref().ok();
    let largest = order
        .iter()
        .flat_map(|&j| {
            l1.map(|w| w[j])
                .into_iter()
                .chain(l2.map(|w| w[j]))
                .chain(diagonal.runs.iter().map(move |r| r.w[j]))
        })
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let top = nice_ceil(largest.max(1e-12) * 1.05);
    let title = format!(
        " coordinates wⱼ: {shown} of {}, largest |min-ℓ1| first · ±{}, √ scale ",
        diagonal.dim,
        number(top)
    );
    // A signed square-root scale: small dense values (0.2) and zeros get different rows even at
    // 80×24, where a linear scale would put both on the zero line.
    let scaled = |v: f64| v.signum() * v.abs().sqrt();
    let top = scaled(top);
    let legend = if l1.is_none() && l2.is_none() {
        " digits: runs · references missing (see the table) "
    } else {
        " digits: runs · │ min-ℓ1 · ⠂ min-ℓ2 · ⠂ under a digit: its own target "
    };
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::styled(legend, theme.faint()))
        .border_style(theme.border(focused));
    if diagonal.dim == 0 || area.height < 3 {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    }
    let color = |c: Color| if theme.color { c } else { Color::Reset };
    let grid = CellGrid {
        columns: inner_width.max(2),
        rows: usize::from(area.height.saturating_sub(2)).max(2),
        top,
    };
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([0.0, (grid.columns - 1) as f64])
        .y_bounds([-top, top])
        .paint(|ctx| {
            let right = (shown * group) as f64;
            ctx.draw(&CanvasLine::new(0.0, 0.0, right, 0.0, theme.faint_color()));
            ctx.layer();
            for (k, &j) in order.iter().enumerate() {
                let x = (k * group) as f64;
                if let Some(w) = l1.filter(|w| w[j] != 0.0) {
                    ctx.draw(&CanvasLine::new(x, 0.0, x, scaled(w[j]), color(L1_COLOR)));
                }
                if let Some(w) = l2 {
                    ctx.draw(&Points {
                        coords: &[(x + 1.0, scaled(w[j]))],
                        color: color(L2_COLOR),
                    });
                }
                for (index, run) in diagonal.runs.iter().enumerate() {
                    // The run's own target as a dot in its column, under its digit once the
                    // run is there: exact finite-step where known, else Q_α.
                    if let Some(target) = own_target(run).filter(|t| t[j].is_finite()) {
                        ctx.draw(&Points {
                            coords: &[(x + 2.0 + index as f64, scaled(target[j]))],
                            color: color(theme.run(index).fg.unwrap_or(Color::Reset)),
                        });
                    }
                    if run.w[j].is_finite() {
                        let span = Span::styled(run_digit(index), theme.run(index));
                        let y = grid.label_y(scaled(run.w[j]));
                        ctx.print(x + 2.0 + index as f64, y, span);
                    }
                }
            }
        });
    frame.render_widget(canvas, area);
}

/// The target a run is measured against: its exact finite-step one where known, else Q_α.
fn own_target(run: &DiagonalRunSnapshot) -> Option<&[f64]> {
    match &run.effective {
        Some(effective) => effective.weights.as_deref().ok(),
        None => run.implicit.as_deref().ok(),
    }
}

/// The canvas's cells, to put a printed digit in the row where a braille dot at the same value
/// would be: ratatui rounds labels and dots differently (a label at y = 0.001 lands a row above
/// the zero line otherwise).
struct CellGrid {
    columns: usize,
    rows: usize,
    top: f64,
}

impl CellGrid {
    /// The y at which ratatui prints a label in the braille row of `value` (clamped to ±top).
    fn label_y(&self, value: f64) -> f64 {
        let (rows, top) = (self.rows as f64, self.top);
        let value = value.clamp(-top, top);
        // Braille: 4 dots per row over the span 2·top, rounded; labels: rows − 1 steps, floored.
        let dot = ((top - value) * (4.0 * rows - 1.0) / (2.0 * top)).round();
        let row = (dot / 4.0).floor().min(rows - 1.0);
        let centred = (row + 0.5).min(rows - 1.0);
        top - centred * 2.0 * top / (rows - 1.0)
    }
}

/// The one character a run is drawn as: 1–9, then a, b, c.
#[must_use]
pub fn run_digit(index: usize) -> String {
    char::from_digit((index + 1) as u32 % 36, 36).map_or_else(|| "?".to_owned(), String::from)
}

/// A note in place of a pane that has nothing to draw.
pub(super) fn note(frame: &mut Frame, area: Rect, block: Block, text: &str, theme: Theme) {
    frame.render_widget(
        Paragraph::new(text.to_owned())
            .wrap(Wrap { trim: true })
            .style(theme.note())
            .block(block),
        area,
    );
}
