//! The metrics of a matrix experiment: train loss, test error, nuclear norm, effective rank.
//!
//! Each run's row sits above the min-nuclear-norm reference row, so "GD found the low-rank
//! completion" is read off directly: same nuclear norm, same test error, effective rank near the
//! true rank. A reference that did not converge is labelled so rather than trusted silently, and
//! one skipped because the matrix is too large keeps its row, marked `skipped`, with the reason
//! (shortened) in the bottom border.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::super::theme::Theme;
use super::number;
use super::runs::status_cell;
use crate::core::experiment::{MatrixSnapshot, NuclearReferenceStatus, effective_rank};

/// Draws the table; the `chosen` run's row is highlighted (given while a pane that shows one
/// run has the focus, so the row says which run the heat map and the σ chart show).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    matrix: &MatrixSnapshot,
    chosen: Option<usize>,
    focused: bool,
    theme: Theme,
) {
    let header = Row::new([
        "run",
        "train loss",
        "test error",
        "‖M‖*",
        "eff. rank",
        "status",
    ])
    .style(theme.strong());
    let mut rows: Vec<Row> = matrix
        .runs
        .iter()
        .enumerate()
        .map(|(index, run)| {
            let name = Line::from(vec![
                Span::styled(format!("■{} ", index + 1), theme.run(index)),
                Span::raw(format!(
                    "{} init {}{}",
                    run.optimizer.label(),
                    short_scale(run.init_scale),
                    depth_suffix(run.depth)
                )),
            ]);
            Row::new([
                Cell::from(name),
                Cell::from(number(run.train_loss)),
                Cell::from(number(run.test_error)),
                Cell::from(number(run.nuclear_norm)),
                Cell::from(number(run.effective_rank)),
                status_cell(run.status, theme),
            ])
        })
        .collect();
    if let Some(reference) = matrix.reference.solved() {
        let status = if reference.converged {
            Cell::from("converged")
        } else {
            Cell::from("not converged").style(theme.note())
        };
        rows.push(Row::new([
            Cell::from("min-‖·‖* reference"),
            Cell::from("0 (exact)"),
            Cell::from(number(reference.test_error)),
            Cell::from(number(reference.nuclear_norm)),
            Cell::from(number(effective_rank(&reference.singular_values))),
            status,
        ]));
    } else if matrix.reference.is_skipped() {
        rows.push(Row::new([
            Cell::from("min-‖·‖* reference"),
            Cell::from("–"),
            Cell::from("–"),
            Cell::from("–"),
            Cell::from("–"),
            Cell::from("skipped").style(theme.note()),
        ]));
    }
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(13),
    ];
    let (m, n) = matrix.target.shape();
    let observed = matrix.mask.iter().filter(|&&v| v != 0.0).count();
    let title = format!(" matrix completion · {m}×{n} · {observed} observed entries ");
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    if let Some(note) = skipped_note(&matrix.reference) {
        block = block.title_bottom(Line::styled(
            format!(
                " {} ",
                shorten(&note, usize::from(area.width.saturating_sub(6)))
            ),
            theme.note(),
        ));
    }
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme.chosen());
    frame.render_stateful_widget(table, area, &mut TableState::new().with_selected(chosen));
}

/// Why the reference row is empty, for the bottom border: the reason only (the advice to
/// silence it is in the JSON warning).
fn skipped_note(reference: &NuclearReferenceStatus) -> Option<String> {
    let NuclearReferenceStatus::Skipped {
        rows,
        cols,
        max_side,
    } = reference
    else {
        return None;
    };
    Some(format!(
        "min-nuclear-norm: skipped, the matrix is {rows}×{cols} and the exact solver is only run \
         up to {max_side} per side"
    ))
}

/// ` depth L` for a deep factorisation, nothing for the article's U Vᵀ (depth 2), whose labels
/// stay as they were.
pub fn depth_suffix(depth: usize) -> String {
    if depth == 2 {
        String::new()
    } else {
        format!(" depth {depth}")
    }
}

/// An init scale to one significant digit, as presets write it: `1e-3` (also for a measured
/// 9.99e-4), `0.5`, `2`. It is a label; the exact start is in the preset.
fn short_scale(x: f64) -> String {
    if x != 0.0 && (x.abs() < 0.01 || x.abs() >= 1e4) {
        format!("{x:.0e}")
    } else {
        let text = format!("{x:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// `note` cut to `width` characters, with an ellipsis when cut.
fn shorten(note: &str, width: usize) -> String {
    if note.chars().count() <= width {
        return note.to_owned();
    }
    let mut cut: String = note.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::{NuclearReferenceStatus, short_scale, shorten, skipped_note};

    #[test]
    fn scales_and_notes_are_short() {
        assert_eq!(short_scale(1e-3), "1e-3");
        assert_eq!(short_scale(9.99e-4), "1e-3");
        assert_eq!(short_scale(0.5), "0.5");
        let note = skipped_note(&NuclearReferenceStatus::Skipped {
            rows: 300,
            cols: 200,
            max_side: 100,
        })
        .expect("a skipped reference has a note");
        assert_eq!(
            note,
            "min-nuclear-norm: skipped, the matrix is 300×200 and the exact solver is only run up \
             to 100 per side"
        );
        assert_eq!(shorten(&note, 200), note);
        assert_eq!(shorten(&note, 10), "min-nucle…");
        assert_eq!(skipped_note(&NuclearReferenceStatus::NotAsked), None);
    }
}
