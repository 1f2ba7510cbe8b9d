//! The `i` overlay: the preset's whole about text (the picker and status line only have room
//! for its title), and a legend of what each glyph, colour and digit on this experiment's
//! screen means, so a figure is never read by guesswork.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::app::App;
use super::super::theme::Theme;
use super::text;
use crate::core::experiment::SnapshotBody;

/// What the linear experiments' glyphs mean.
const LINEAR_LEGEND: &[&str] = &[
    "circle: each run's direction w/‖w‖ (first two coordinates when d > 2)",
    "○ a run's start · a reversed digit: run N's direction now (● for one run)",
    "arrows: the exact max-margin directions (ℓ2, ℓ2+b, ℓ∞, ℓ1, ℓp), labelled",
    "table: ■N run N's colour · ∠ref the angle to that reference in degrees",
    "→theory: the reference its theorem predicts · gap·ln t: flat means 1/ln t",
    "gap chart: angle to the target vs t, log-log; ┈ the 1/ln t law",
];

/// What the matrix experiments' glyphs mean.
const MATRIX_LEGEND: &[&str] = &[
    "σ chart: the chosen run's top singular values vs log t (l: log/linear σ)",
    "┈ faint dots: the min-nuclear-norm completion's singular values",
    "bars: each run's spectrum now beside the reference's",
    "heat maps: M*, M, M − M*; blue < 0 < red; a dot marks a held-out entry",
    "Tab to a table, heat map or σ pane, then 1-9 or ↑↓ choose the run shown",
];

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

/// Draws the box over `area`: title, about text, legend, as much as fits (a cut says so).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = area.width.saturating_sub(4).clamp(20, 96);
    let text_width = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(app.title.clone(), theme.strong()))];
    lines.extend(
        text::fit(&app.about, text_width, usize::MAX)
            .into_iter()
            .map(Line::from),
    );
    let changed = app.changed_keys();
    if !changed.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("changed from the file: {}", changed.join(" ")),
            theme.note(),
        ));
    }
    let legend = match app.report.as_ref().map(|r| &r.snapshot.body) {
        Some(SnapshotBody::Linear(_)) => LINEAR_LEGEND,
        Some(SnapshotBody::Matrix(_)) => MATRIX_LEGEND,
        Some(SnapshotBody::Diagonal(_)) => DIAGONAL_LEGEND,
        None => &[],
    };
    if !legend.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("legend", theme.strong())));
        for entry in legend {
            lines.extend(
                text::fit(entry, text_width, usize::MAX)
                    .into_iter()
                    .map(Line::from),
            );
        }
    }
    let room = usize::from(area.height.saturating_sub(2));
    if lines.len() > room && room >= 2 {
        let hidden = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push(Line::styled(
            format!("… {hidden} more lines: enlarge the terminal"),
            theme.note(),
        ));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let box_area = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, box_area);
    let block = Block::bordered()
        .title(" about this preset · i or Esc closes ")
        .border_style(theme.border(true));
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
