//! What the run tables share: columns that drop out, least telling first, when the terminal is
//! narrow, and a window over the rows that says `runs 1–3 of 5` when not every run fits, so no
//! column is cut mid-number and no row goes missing unannounced.

use ratatui::layout::Constraint;
use ratatui::widgets::{Cell, Row};

use crate::core::kinds::RunStatus;
use crate::tui::theme::Theme;

/// One column: its header, width, and how early it is dropped when space runs out (higher
/// `drop_rank` goes first; 0 never goes).
pub struct Column<'a> {
    /// The header text.
    pub header: String,
    /// Columns it needs (the last column takes what is left, at least this).
    pub width: u16,
    /// Higher is dropped sooner; 0 is never dropped.
    pub drop_rank: u8,
    /// One cell per row.
    pub cells: Vec<Cell<'a>>,
}

/// Drops columns, highest `drop_rank` first, until they fit `available` columns with one
/// space between each two.
pub fn fit(columns: &mut Vec<Column<'_>>, available: u16) {
    let needed = |columns: &[Column]| -> u16 {
        columns.iter().map(|c| c.width).sum::<u16>() + columns.len().saturating_sub(1) as u16
    };
    while needed(columns) > available {
        let Some(worst) = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.drop_rank > 0)
            .max_by_key(|(_, c)| c.drop_rank)
            .map(|(i, _)| i)
        else {
            break;
        };
        columns.remove(worst);
    }
}

/// The header row, the widths (the last column taking what is left) and the rows of `columns`.
pub fn assemble(columns: Vec<Column<'_>>) -> (Row<'_>, Vec<Constraint>, Vec<Row<'_>>) {
    let header = Row::new(columns.iter().map(|c| Cell::from(c.header.clone())));
    let mut widths: Vec<Constraint> = columns
        .iter()
        .map(|c| Constraint::Length(c.width))
        .collect();
    if let (Some(last), Some(column)) = (widths.last_mut(), columns.last()) {
        *last = Constraint::Min(column.width);
    }
    let count = columns.first().map_or(0, |c| c.cells.len());
    let mut cells: Vec<std::vec::IntoIter<Cell>> =
        columns.into_iter().map(|c| c.cells.into_iter()).collect();
    let rows = (0..count)
        .map(|_| {
            Row::new(
                cells
                    .iter_mut()
                    .filter_map(Iterator::next)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    (header, widths, rows)
}

/// The first row to show of `total` rows in `visible` row slots so that the `chosen` one is
/// on screen, and the note to put on the border when some are hidden (` runs 1–3 of 5 `).
#[must_use]
pub fn window(total: usize, visible: usize, chosen: Option<usize>) -> (usize, Option<String>) {
    if total <= visible || visible == 0 {
        return (0, None);
    }
    let chosen = chosen.unwrap_or(0).min(total - 1);
    let offset = (chosen + 1).saturating_sub(visible);
    let note = format!(
        " runs {}–{} of {total}{} ",
        offset + 1,
        offset + visible,
        if chosen == 0 { " · Tab, ↓" } else { "" }
    );
    (offset, Some(note))
}

/// The status cell: `ok`, `frozen @ 1234`, `converged @ 800`, `diverged @ 56`, styled by
/// severity (a converged run is done, not in trouble).
#[must_use]
pub fn status_cell(status: RunStatus, theme: Theme) -> Cell<'static> {
    match status {
        RunStatus::Ok => Cell::from("ok"),
        RunStatus::Frozen { step } => Cell::from(format!("frozen @ {step}")).style(theme.note()),
        RunStatus::Converged { step } => Cell::from(format!("converged @ {step}")),
        RunStatus::Diverged { step } => Cell::from(format!("diverged @ {step}")).style(theme.bad()),
    }
}

/// The status column's width for `statuses`: the longest `frozen @ 1234` they print, and at
/// least `min` (the header, or room for one that may come).
pub fn status_width(statuses: impl Iterator<Item = RunStatus>, min: usize) -> u16 {
    statuses
        .map(|status| match status.step() {
            Some(step) => status.name().len() + 3 + step.to_string().len(),
            None => 2,
        })
        .max()
        .unwrap_or(2)
        .max(min) as u16
}

impl<'a> Column<'a> {
    /// A column `header` of `width`, dropped at `drop_rank` (see [`fit`]), with `cells`.
    #[must_use]
    pub fn new(header: &str, width: u16, drop_rank: u8, cells: Vec<Cell<'a>>) -> Self {
        Self {
            header: header.to_owned(),
            width,
            drop_rank,
            cells,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_keeps_the_chosen_row_on_screen_and_says_what_is_hidden() {
        assert_eq!(window(3, 5, None), (0, None));
        assert_eq!(
            window(5, 3, None).1.as_deref(),
            Some(" runs 1–3 of 5 · Tab, ↓ ")
        );
        let (offset, note) = window(5, 3, Some(4));
        assert_eq!(offset, 2);
        assert_eq!(note.as_deref(), Some(" runs 3–5 of 5 "));
    }

    #[test]
    fn columns_drop_least_telling_first_until_they_fit() {
        let column = |header: &str, width, drop_rank| Column {
            header: header.to_owned(),
            width,
            drop_rank,
            cells: vec![],
        };
        let mut columns = vec![column("run", 10, 0), column("a", 10, 2), column("b", 10, 1)];
        fit(&mut columns, 21);
        let kept: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(kept, ["run", "b"]);
    }
}
