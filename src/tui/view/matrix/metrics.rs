//! The metrics of a matrix experiment: train loss, test error, nuclear norm, effective rank.
//!
//! Each run's row sits above the min-nuclear-norm reference row, so "GD found the low-rank
//! completion" is read off directly: same nuclear norm, same test error, effective rank near the
//! true rank. A reference that did not converge is labelled so rather than trusted silently, and
//! one skipped because the matrix is too large keeps its row, marked `skipped`, with the reason
//! (shortened) in the bottom border.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use crate::core::kinds::matrix::{MatrixRunSnapshot, MatrixSnapshot, NuclearReferenceStatus};
use crate::core::linalg::effective_rank;
use crate::tui::theme::Theme;
use crate::tui::view::number;
use crate::tui::view::table::status_cell;
use crate::tui::view::table::{self, Column};

/// Each run's name for the table, and what all runs share. A name is the optimizer's label,
/// `init` and `depth`; with several runs, the parts every run shares move to the table's title
/// (`all: gd lr=0.01 · init 0.01`), so what sets the runs apart (the depths of the `depth`
/// preset) is what a narrow table shows, not three identical prefixes.
fn run_names(matrix: &MatrixSnapshot) -> (Vec<String>, Option<String>) {
    let parts: Vec<[String; 3]> = matrix
        .runs
        .iter()
        .map(|run| {
            [
                run.optimizer.label(),
                format!("init {}", short_scale(run.init_scale)),
                format!("depth {}", run.depth),
            ]
        })
        .collect();
    let shared = |i: usize| parts.iter().all(|p| p[i] == parts[0][i]);
    if parts.len() < 2 || (0..3).all(shared) {
        // One run (or runs alike in all three): the full name, depth only when deep.
        let names = matrix
            .runs
            .iter()
            .zip(&parts)
            .map(|(run, p)| format!("{} {}{}", p[0], p[1], depth_suffix(run.depth)))
            .collect();
        return (names, None);
    }
    let names = parts
        .iter()
        .map(|p| {
            (0..3)
                .filter(|&i| !shared(i))
                .map(|i| p[i].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let common: Vec<&str> = (0..3)
        .filter(|&i| shared(i) && !(i == 2 && parts[0][2] == "depth 2"))
        .map(|i| parts[0][i].as_str())
        .collect();
    (names, (!common.is_empty()).then(|| common.join(" · ")))
}

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
    let (names, common) = run_names(matrix);
    let reference = reference_row(&matrix.reference, theme);
    let mut columns = all_columns(matrix, &names, reference.is_some(), theme);
    table::fit(&mut columns, area.width.saturating_sub(2));
    let kept: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let (header, widths, mut rows) = table::assemble(columns);
    if let Some(cells) = reference {
        // The reference row keeps the cells of the columns still shown.
        let all = [
            "run",
            "train loss",
            "test error",
            "‖M‖*",
            "eff. rank",
            "status",
        ];
        let kept_cells: Vec<Cell> = all
            .iter()
            .zip(cells)
            .filter(|(name, _)| kept.iter().any(|k| k == *name))
            .map(|(_, cell)| cell)
            .collect();
        rows.push(Row::new(kept_cells));
    }
    let (m, n) = matrix.target.shape();
    let observed = matrix.mask.iter().filter(|&&v| v != 0.0).count();
    // The longest title that fits: what the runs share is never cut.
    let shared = common.map_or_else(String::new, |c| format!("· all: {c} "));
    let title = [
        format!(" matrix completion · {m}×{n} · {observed} observed entries {shared}"),
        format!(" {m}×{n} · {observed} observed {shared}"),
        format!(" {} ", shared.trim_start_matches("· ").trim_end()),
    ]
    .into_iter()
    .find(|t| t.chars().count() + 2 <= usize::from(area.width))
    .unwrap_or_default();
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let visible = usize::from(area.height.saturating_sub(3));
    let (offset, hidden) = table::window(rows.len(), visible, chosen);
    if let Some(note) = hidden {
        block = block.title(Line::styled(note, theme.note()).right_aligned());
    }
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
        .header(header.style(theme.strong()))
        .column_spacing(1)
        .block(block)
        .row_highlight_style(theme.chosen());
    let mut state = TableState::new().with_offset(offset).with_selected(chosen);
    frame.render_stateful_widget(table, area, &mut state);
}

/// Every column the table could show, before any is dropped for width: the run names, the
/// numbers (least telling dropped first: ‖M‖*, train loss, effective rank), the status.
fn all_columns<'a>(
    matrix: &'a MatrixSnapshot,
    names: &[String],
    with_reference: bool,
    theme: Theme,
) -> Vec<Column<'a>> {
    let runs = &matrix.runs;
    let name_width = names
        .iter()
        .map(|n| n.chars().count() + 3)
        .chain(with_reference.then(|| "min-‖·‖* reference".chars().count()))
        .max()
        .unwrap_or(3);
    let status_width = table::status_width(runs.iter().map(|r| r.status), 13);
    let numbers =
        |header: &str, width: u16, drop_rank: u8, value: fn(&MatrixRunSnapshot) -> f64| Column {
            header: header.to_owned(),
            width,
            drop_rank,
            cells: runs.iter().map(|r| Cell::from(number(value(r)))).collect(),
        };
    vec![
        Column {
            header: "run".to_owned(),
            width: name_width as u16,
            drop_rank: 0,
            cells: runs
                .iter()
                .zip(names)
                .enumerate()
                .map(|(index, (_, name))| {
                    Cell::from(Line::from(vec![
                        Span::styled(format!("■{} ", index + 1), theme.run(index)),
                        Span::raw(name.clone()),
                    ]))
                })
                .collect(),
        },
        numbers("train loss", 10, 2, |r| r.train_loss),
        numbers("test error", 10, 0, |r| r.test_error),
        numbers("‖M‖*", 8, 3, |r| r.nuclear_norm),
        numbers("eff. rank", 9, 1, |r| r.effective_rank),
        Column {
            header: "status".to_owned(),
            width: status_width,
            drop_rank: 0,
            cells: runs.iter().map(|r| status_cell(r.status, theme)).collect(),
        },
    ]
}

/// The min-nuclear-norm reference's cells, one per column, when there is a row to show.
fn reference_row(reference: &NuclearReferenceStatus, theme: Theme) -> Option<Vec<Cell<'static>>> {
    if let Some(reference) = reference.solved() {
        let status = if reference.converged {
            Cell::from("converged")
        } else {
            Cell::from("not converged").style(theme.note())
        };
        Some(vec![
            Cell::from("min-‖·‖* reference"),
            Cell::from("0 (exact)"),
            Cell::from(number(reference.test_error)),
            Cell::from(number(reference.nuclear_norm)),
            Cell::from(number(effective_rank(&reference.singular_values))),
            status,
        ])
    } else if reference.is_skipped() {
        Some(vec![
            Cell::from("min-‖·‖* reference"),
            Cell::from("–"),
            Cell::from("–"),
            Cell::from("–"),
            Cell::from("–"),
            Cell::from("skipped").style(theme.note()),
        ])
    } else {
        None
    }
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
