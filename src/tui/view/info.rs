//! The `i` overlay: the preset's whole about text (the picker and status line only have room
//! for its title), and a legend of what each glyph, colour and digit on this experiment's
//! screen means, so a figure is never read by guesswork.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::app::App;
use super::super::theme::Theme;
use super::kind_view;
use super::text;

/// Draws the box over `area`: title, about text, legend, as much as fits (a cut says so).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = area.width.saturating_sub(4).clamp(20, 96);
    let text_width = usize::from(width.saturating_sub(4));
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(app.title.clone(), theme.strong()))];
    lines.extend(
        text::fit(&app.about, text_width, usize::MAX)
            .into_iter()
            .map(Line::from),
    );
    let changed = app.changed_keys();
    if !changed.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("changed from the file: {}", changed.join(" ")),
            theme.note(),
        ));
    }
    let legend = app
        .report
        .as_ref()
        .map_or(&[][..], |r| kind_view(&r.snapshot.body).legend());
    if !legend.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("legend", theme.strong())));
        for entry in legend {
            lines.extend(
                text::fit(entry, text_width, usize::MAX)
                    .into_iter()
                    .map(Line::from),
            );
        }
    }
    let room = usize::from(area.height.saturating_sub(2));
    if lines.len() > room && room >= 2 {
        let hidden = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push(Line::styled(
            format!("… {hidden} more lines: enlarge the terminal"),
            theme.note(),
        ));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let box_area = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, box_area);
    let block = Block::bordered()
        .title(" about this preset · i or Esc closes ")
        .border_style(theme.border(true));
    frame.render_widget(Paragraph::new(lines).block(block), box_area);
}
