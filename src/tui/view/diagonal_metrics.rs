//! The run table of a diagonal experiment: α, D, loss, ‖w‖₁ and the relative distances to
//! min-ℓ1, min-ℓ2 and the run's own target, then the status.
//!
//! The numbers behind the coordinates pane: a small-α run's →ℓ1 goes to a few percent or less
//! while its →ℓ2 stays near the two solutions' distance, and a large-α run the other way round;
//! →target is small for every run that has converged, which is the theorem. A missing reference
//! shows `–` and the bottom line says why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::super::theme::Theme;
use super::diagonal::run_digit;
use super::number;
use super::runs::status_cell;
use crate::core::experiment::DiagonalSnapshot;

/// A relative distance as a percentage, or `–` when the reference is missing.
#[must_use]
pub fn percent(distance: Option<f64>) -> String {
    match distance {
        Some(d) if d.is_finite() && d < 0.001 => format!("{:.1e}%", d * 100.0),
        Some(d) if d.is_finite() => format!("{:.2}%", d * 100.0),
        Some(_) => "nan".to_owned(),
        None => "–".to_owned(),
    }
}

/// The first reason a reference is missing, for the table's bottom line.
fn missing_reason(diagonal: &DiagonalSnapshot) -> Option<String> {
    let references = &diagonal.references;
    references
        .min_l1
        .as_ref()
        .err()
        .map(|e| format!("min-ℓ1: {e}"))
        .or_else(|| {
            references
                .min_l2
                .as_ref()
                .err()
                .map(|e| format!("min-ℓ2: {e}"))
        })
        .or_else(|| {
            diagonal.runs.iter().enumerate().find_map(|(i, r)| {
                r.implicit
                    .as_ref()
                    .err()
                    .map(|e| format!("run {} target: {e}", i + 1))
            })
        })
}

/// Draws the table.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    diagonal: &DiagonalSnapshot,
    focused: bool,
    theme: Theme,
) {
    let names: Vec<String> = diagonal.runs.iter().map(|r| r.optimizer.label()).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u16 + 3;
    let rows: Vec<Row> = diagonal
        .runs
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(index, (run, name))| {
            Row::new(vec![
                Cell::from(Line::from(vec![
                    Span::styled(format!("{} ", run_digit(index)), theme.run(index)),
                    Span::raw(name.clone()),
                ])),
                Cell::from(number(run.init_scale)),
                Cell::from(run.depth.to_string()),
                Cell::from(number(run.train_loss)),
                Cell::from(number(run.l1_norm)),
                Cell::from(percent(run.distances.min_l1)),
                Cell::from(percent(run.distances.min_l2)),
                Cell::from(percent(run.distances.implicit)),
                status_cell(run.status, theme),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(name_width.max(5)),
        Constraint::Length(6),
        Constraint::Length(2),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Min(6),
    ];
    let header = Row::new(vec![
        "run",
        "α",
        "D",
        "loss",
        "‖w‖₁",
        "→ℓ1",
        "→ℓ2",
        "→own",
        "status",
    ])
    .style(theme.strong());
    let mut block = Block::bordered()
        .title(format!(
            " runs · {} points, {} features ",
            diagonal.points, diagonal.dim
        ))
        .border_style(theme.border(focused));
    if let Some(reason) = missing_reason(diagonal) {
        block = block.title_bottom(Line::styled(format!(" {reason} "), theme.note()));
    }
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_keep_small_distances_readable() {
        assert_eq!(percent(Some(0.0123)), "1.23%");
        assert_eq!(percent(Some(0.00002)), "2.0e-3%");
        assert_eq!(percent(None), "–");
    }
}
