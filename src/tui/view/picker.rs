//! The `p` overlay: the presets found in the presets folder, with titles and the selected
//! preset's `about`, so a researcher can choose an experiment without leaving the dashboard.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph};

use super::super::app::PresetEntry;
use super::super::theme::Theme;
use super::text::fit;

/// Draws the picker over `area`.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    entries: &[PresetEntry],
    selected: usize,
    theme: Theme,
) {
    let width = area.width.saturating_sub(4).min(90);
    let height = area.height.saturating_sub(2).min(entries.len() as u16 + 9);
    let box_area = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, box_area);
    let block = Block::bordered()
        .title(" presets · ↑↓ choose · Enter loads · Esc closes ")
        .border_style(theme.border(true));
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    if entries.is_empty() {
        frame.render_widget(
            Paragraph::new("no presets found (see --presets DIR)").style(theme.note()),
            inner,
        );
        return;
    }
    // The about gets what the list leaves (4 to 8 rows), when the box is tall enough at all.
    let about_room = inner.height.saturating_sub(entries.len() as u16 + 1);
    let about_height = if inner.height >= 8 {
        about_room.clamp(4, 8)
    } else {
        0
    };
    let [list_area, about_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(about_height)]).areas(inner);
    let items: Vec<ListItem> = entries
        .iter()
        .map(|entry| {
            ListItem::new(Line::from(vec![
                Span::styled(format!("{:<16}", entry.name), theme.strong()),
                Span::raw(entry.title.as_str()),
            ]))
        })
        .collect();
    let list = List::new(items)
        .highlight_style(theme.strong().add_modifier(Modifier::REVERSED))
        .highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(selected.min(entries.len() - 1)));
    frame.render_stateful_widget(list, list_area, &mut state);
    if about_height > 0 {
        // Reflowed: the TOML's hard line breaks are not where the box's edge is.
        let about = entries.get(selected).map_or("", |e| e.about.as_str());
        let lines = fit(about, about_area.width.into(), about_area.height.into());
        let text = Text::from(lines.into_iter().map(Line::from).collect::<Vec<_>>());
        frame.render_widget(Paragraph::new(text).style(theme.faint()), about_area);
    }
}
