//! The metrics of a matrix experiment: train loss, test error, nuclear norm, effective rank.
//!
//! Each run's row sits above the min-nuclear-norm reference row, so "GD found the low-rank
//! completion" is read off directly: same nuclear norm, same test error, effective rank near the
//! true rank. A reference that did not converge is labelled so rather than trusted silently.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use super::super::theme::Theme;
use super::number;
use super::runs::status_cell;
use crate::core::experiment::{MatrixSnapshot, effective_rank};

/// Draws the table.
pub fn render(frame: &mut Frame, area: Rect, matrix: &MatrixSnapshot, focused: bool, theme: Theme) {
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
                    "{} init {}",
                    run.optimizer.label(),
                    number(run.init_scale)
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
    if let Some(reference) = &matrix.reference {
        let status = if reference.converged {
            Cell::from("converged")
        } else {
            Cell::from("not converged").style(theme.note())
        };
        rows.push(Row::new([
            Cell::from("min-‖·‖* reference"),
            Cell::from("0 (exact fit)"),
            Cell::from(number(reference.test_error)),
            Cell::from(number(reference.nuclear_norm)),
            Cell::from(number(effective_rank(&reference.singular_values))),
            status,
        ]));
    }
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(13),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(13),
    ];
    let (m, n) = matrix.target.shape();
    let observed = matrix.mask.iter().filter(|&&v| v != 0.0).count();
    let title = format!(" matrix completion · {m}×{n} · {observed} observed entries ");
    let table = Table::new(rows, widths).header(header).block(
        Block::bordered()
            .title(title)
            .border_style(theme.border(focused)),
    );
    frame.render_widget(table, area);
}
