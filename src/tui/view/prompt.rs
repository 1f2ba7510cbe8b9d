//! The `:` prompt at the foot of the screen: the `--set` line being typed, and, when Enter was
//! refused, why (the preset's own message with its did-you-mean), so a typo costs nothing.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::super::app::Prompt;
use super::super::theme::Theme;
use super::text;

/// The prompt's lines for the banner row(s) under the panes: the input with a cursor and the
/// keys, then the refusal, wrapped in at most a quarter of the screen.
pub fn lines(prompt: &Prompt, area: Rect, theme: Theme) -> Vec<Line<'static>> {
    let width = usize::from(area.width);
    let hint = " Enter applies · ↑↓ recall · Esc cancels";
    let typed = format!(":{}█", prompt.text);
    let mut first = vec![Span::styled(typed.clone(), theme.strong())];
    if typed.chars().count() + hint.chars().count() <= width {
        first.push(Span::styled(hint, theme.faint()));
    }
    let mut lines = vec![Line::from(first)];
    if let Some(error) = &prompt.error {
        let room = usize::from(area.height / 4).max(1);
        lines.extend(
            text::fit(error, width, room)
                .into_iter()
                .map(|l| Line::styled(l, theme.bad())),
        );
    }
    lines
}
