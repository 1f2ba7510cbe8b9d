//! The run table of a diagonal experiment: α, D, loss, ‖w‖₁ and the relative distances to
//! min-ℓ1, min-ℓ2, the run's gradient-flow target Q_α and, for depth-2 runs whose steps
//! multiply the factors, its exact finite-step target (α∞), then the status.
//!
//! The numbers behind the coordinates pane: a small-α run's →ℓ1 goes to a few percent or less
//! while its →ℓ2 stays near the two solutions' distance, and a large-α run the other way round;
//! →α∞ is small for every such run that has converged, which is the theorem, while →Qα shows
//! how far finite steps and noise moved it from gradient flow's answer. A missing reference
//! shows `–` and the bottom line says why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Table, TableState};

use super::run_digit;
use crate::core::kinds::diagonal::{DiagonalRunSnapshot, DiagonalSnapshot};
use crate::tui::theme::Theme;
use crate::tui::view::number;
use crate::tui::view::table::status_cell;
use crate::tui::view::table::{self, Column};

/// A relative distance as a percentage, or `–` when the reference is missing.
#[must_use]
pub fn percent(distance: Option<f64>) -> String {
    match distance {
        // One digit below 0.1 %, so even 1e-12% fits the column's seven cells.
        Some(d) if d.is_finite() && d < 0.001 => format!("{:.0e}%", d * 100.0),
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

/// Draws the table: columns drop, least telling first (‖w‖₁, then the loss), so the
/// distances and a whole `converged @ N` fit at 80 columns; a window over the runs says which
/// are shown when not all fit.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    diagonal: &DiagonalSnapshot,
    focused: bool,
    theme: Theme,
) {
    let runs = &diagonal.runs;
    let names: Vec<String> = runs.iter().map(DiagonalRunSnapshot::label).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u16 + 3;
    let status_width = table::status_width(runs.iter().map(|r| r.status), 6);
    let column = Column::new;
    let text = |value: fn(&DiagonalRunSnapshot) -> String| -> Vec<Cell<'static>> {
        runs.iter().map(|r| Cell::from(value(r))).collect()
    };
    let mut columns = vec![
        column(
            "run",
            name_width.max(5),
            0,
            runs.iter()
                .zip(&names)
                .enumerate()
                .map(|(index, (_, name))| {
                    Cell::from(Line::from(vec![
                        Span::styled(format!("{} ", run_digit(index)), theme.run(index)),
                        Span::raw(name.clone()),
                    ]))
                })
                .collect(),
        ),
        column("α", 6, 0, text(|r| number(r.init_scale))),
        column("D", 2, 0, text(|r| r.depth.to_string())),
        column("loss", 8, 2, text(|r| number(r.train_loss))),
        column("‖w‖₁", 6, 3, text(|r| number(r.l1_norm))),
        column("→ℓ1", 7, 0, text(|r| percent(r.distances.min_l1))),
        column("→ℓ2", 7, 0, text(|r| percent(r.distances.min_l2))),
        column("→Qα", 7, 1, text(|r| percent(r.distances.implicit))),
        column(
            "status",
            status_width,
            0,
            runs.iter().map(|r| status_cell(r.status, theme)).collect(),
        ),
    ];
    // The exact finite-step target's column, where some run has one: it outranks Q_α's, as
    // that is the target such a run ends on.
    if runs.iter().any(|r| r.effective.is_some()) {
        let status = columns.pop().expect("the status column is last");
        columns.push(column(
            "→α∞",
            7,
            0,
            text(|r| percent(r.distances.effective)),
        ));
        columns.push(status);
    }
    table::fit(&mut columns, area.width.saturating_sub(2));
    let (header, widths, rows) = table::assemble(columns);
    let mut block = Block::bordered()
        .title(format!(
            " runs · {} points, {} features ",
            diagonal.points, diagonal.dim
        ))
        .border_style(theme.border(focused));
    let visible = usize::from(area.height.saturating_sub(3));
    let (offset, hidden) = table::window(rows.len(), visible, None);
    if let Some(note) = hidden {
        block = block.title(Line::styled(note, theme.note()).right_aligned());
    }
    let note = missing_reason(diagonal)
        .or_else(|| flipped_note(diagonal))
        .or_else(|| no_exact_target_note(diagonal));
    if let Some(reason) = note {
        block = block.title_bottom(Line::styled(format!(" {reason} "), theme.note()));
    }
    let table = Table::new(rows, widths)
        .header(header.style(theme.strong()))
        .column_spacing(1)
        .block(block);
    frame.render_stateful_widget(table, area, &mut TableState::new().with_offset(offset));
}

/// The first run one of whose steps flipped or zeroed a factor (|x| ≥ 1): its α∞ bookkeeping
/// then holds for the flipped factors, not the started ones, so the table says so.
fn flipped_note(diagonal: &DiagonalSnapshot) -> Option<String> {
    diagonal.runs.iter().enumerate().find_map(|(i, r)| {
        let step = r.effective.as_ref()?.flipped?;
        Some(format!(
            "run {}: step {step} flipped a factor's sign (|x| ≥ 1)",
            i + 1
        ))
    })
}

/// Which runs have no exact finite-step target, and why: it is known for depth 2 with steps
/// that multiply the factors (GD, SGD without momentum, normalized GD) only.
fn no_exact_target_note(diagonal: &DiagonalSnapshot) -> Option<String> {
    let without: Vec<String> = diagonal
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effective.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    match without.len() {
        0 => None,
        n if n == diagonal.runs.len() => Some(
            "no exact finite-step target: known for depth 2 with GD/SGD steps only; →Qα is \
             gradient flow's"
                .to_owned(),
        ),
        1 => Some(format!(
            "run {}: no exact finite-step target (depth 2 GD/SGD steps only)",
            without[0]
        )),
        _ => Some(format!(
            "runs {}: no exact finite-step target (depth 2 GD/SGD steps only)",
            without.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_keep_small_distances_readable() {
        assert_eq!(percent(Some(0.0123)), "1.23%");
        assert_eq!(percent(Some(0.00002)), "2e-3%");
        assert_eq!(percent(Some(2.3e-14)), "2e-12%");
        assert_eq!(percent(None), "–");
    }
}
