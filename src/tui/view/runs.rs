//! The run table of a linear experiment: loss, ‖w‖, margin, angle to each reference, status.
//!
//! The numbers behind the picture: ‖w‖ growing like log t while the loss falls and the angle to
//! ℓ2 shrinks is the theorem in one row. A frozen or diverged run says so with its step.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::super::theme::{Theme, reference_label};
use super::number;
use crate::core::experiment::{LinearSnapshot, RunStatus};

/// The status cell: `ok`, `frozen @ 1234`, `diverged @ 56`, styled by severity.
#[must_use]
pub fn status_cell(status: RunStatus, theme: Theme) -> Cell<'static> {
    match status {
        RunStatus::Ok => Cell::from("ok"),
        RunStatus::Frozen { step } => Cell::from(format!("frozen @ {step}")).style(theme.note()),
        RunStatus::Diverged { step } => Cell::from(format!("diverged @ {step}")).style(theme.bad()),
    }
}

/// Draws the table.
pub fn render(frame: &mut Frame, area: Rect, linear: &LinearSnapshot, focused: bool, theme: Theme) {
    let references: Vec<_> = linear
        .references
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(norm, _)| *norm)
        .collect();
    let mut header = vec![
        Cell::from("run"),
        Cell::from("loss"),
        Cell::from("‖w‖"),
        Cell::from("margin"),
    ];
    header.extend(
        references
            .iter()
            .map(|norm| Cell::from(format!("∠{}", reference_label(*norm)))),
    );
    header.push(Cell::from("status"));
    let rows: Vec<Row> = linear
        .runs
        .iter()
        .enumerate()
        .map(|(index, run)| {
            let name = Line::from(vec![
                Span::styled(format!("■{} ", index + 1), theme.run(index)),
                Span::raw(run.optimizer.label()),
            ]);
            let mut cells = vec![
                Cell::from(name),
                Cell::from(number(run.loss)),
                Cell::from(number(run.norm)),
                Cell::from(number(run.margin)),
            ];
            cells.extend(references.iter().map(|norm| {
                let angle = run
                    .angles
                    .iter()
                    .find(|(n, _)| n == norm)
                    .map_or(f64::NAN, |a| a.1);
                Cell::from(format!("{}°", number(angle)))
            }));
            cells.push(status_cell(run.status, theme));
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![
        Constraint::Min(14),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    widths.extend(references.iter().map(|_| Constraint::Length(8)));
    widths.push(Constraint::Min(8));
    let title = format!(
        " runs · {} loss{} ",
        linear.loss.name(),
        if linear.bias {
            " · with intercept"
        } else {
            ""
        }
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.strong()))
        .column_spacing(1)
        .block(
            Block::bordered()
                .title(title)
                .border_style(theme.border(focused)),
        )
        .style(Style::new());
    frame.render_widget(table, area);
}
