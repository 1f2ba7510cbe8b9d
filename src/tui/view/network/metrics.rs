//! The run table of a network experiment: η, loss, sharpness, the threshold 2/η (or Adam's
//! (2 + 2β₁)/((1 − β₁)η)), their ratio and the status. A ratio near 1 while the loss keeps
//! falling is the edge of stability; classical step-size theory says the run should diverge.
//! A run of its own widths is named by them (its label); the title names the `[model]` shape.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Table, TableState};

use crate::core::kinds::network::{NetworkRunSnapshot, NetworkSnapshot};
use crate::tui::theme::Theme;
use crate::tui::view::number;
use crate::tui::view::table::{self, Column, status_cell};

/// Draws the table; the `chosen` run's row (the one the fit pane shows, while a pane that
/// chooses runs has the focus) is highlighted.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    s: &NetworkSnapshot,
    chosen: Option<usize>,
    focused: bool,
    theme: Theme,
) {
    let runs = &s.runs;
    let name_width = runs
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0) as u16
        + 3;
    let status_width = table::status_width(runs.iter().map(|r| r.status), 6);
    let column = Column::new;
    let text = |value: &dyn Fn(&NetworkRunSnapshot) -> String| -> Vec<Cell<'static>> {
        runs.iter().map(|r| Cell::from(value(r))).collect()
    };
    let mut columns = vec![
        column(
            "run",
            name_width.max(5),
            0,
            runs.iter()
                .enumerate()
                .map(|(i, r)| {
                    Cell::from(Line::from(vec![
                        Span::styled(format!("■{} ", i + 1), theme.run(i)),
                        Span::raw(r.label.clone()),
                    ]))
                })
                .collect(),
        ),
        // Dropped first on a narrow screen: η (in the label too), the threshold (in the ratio),
        // then the ratio itself (a run of its own widths has a longer name; the sharpness
        // stays, as it is what the kind is about).
        column("η", 7, 3, text(&|r| number(r.lr))),
        column("loss", 8, 0, text(&|r| number(r.train_loss))),
        column("sharp", 7, 0, text(&|r| number(r.curvature()))),
        column(
            "thr",
            7,
            2,
            text(&|r| r.threshold.map_or_else(|| "–".to_owned(), number)),
        ),
        column(
            "S/thr",
            5,
            1,
            text(&|r| match r.threshold {
                Some(t) if t > 0.0 && r.curvature().is_finite() => {
                    format!("{:.2}", r.curvature() / t)
                }
                _ => "–".to_owned(),
            }),
        ),
        column(
            "status",
            status_width,
            0,
            runs.iter().map(|r| status_cell(r.status, theme)).collect(),
        ),
    ];
    table::fit(&mut columns, area.width.saturating_sub(2));
    let (header, widths, rows) = table::assemble(columns);
    let mut block = Block::bordered()
        .title(format!(
            " runs · {} · {} point{} ",
            s.architecture.summary(),
            s.data.len(),
            if s.data.len() == 1 { "" } else { "s" }
        ))
        .border_style(theme.border(focused));
    let visible = usize::from(area.height.saturating_sub(3));
    let (offset, hidden) = table::window(rows.len(), visible, chosen);
    if let Some(note) = hidden {
        block = block.title(Line::styled(note, theme.note()).right_aligned());
    }
    let table = Table::new(rows, widths)
        .header(header.style(theme.strong()))
        .column_spacing(1)
        .block(block)
        .row_highlight_style(theme.chosen());
    let mut state = TableState::new().with_offset(offset).with_selected(chosen);
    frame.render_stateful_widget(table, area, &mut state);
}
