//! The `?` overlay: every key and what it does, centred over the dashboard.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::keymap::help_rows;
use super::super::theme::Theme;

/// Draws the help box over `area`.
pub fn render(frame: &mut Frame, area: Rect, theme: Theme) {
    let lines: Vec<Line> = help_rows()
        .into_iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!(" {key:<10}"), theme.strong()),
                Span::raw(what),
            ])
        })
        .collect();
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 3;
    let height = lines.len() as u16 + 2;
    let box_area = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, box_area);
    let block = Block::bordered()
        .title(" keys · ? or Esc closes ")
        .border_style(theme.border(true));
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
