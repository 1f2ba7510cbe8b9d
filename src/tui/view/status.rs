//! The status line: preset title, `step N`, the speed in steps/s, running or paused, what the
//! keys do now (`1-9 choose run · Esc leaves` while a pane chooses runs), whether the running
//! experiment differs from its preset file (`set runs.2.lr=0.01`), `? help`.
//!
//! It is always drawn, at every width: pieces are kept by importance (`step N` and the run state
//! first, the title shortened last) so the counter a researcher watches never disappears.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::App;
use super::super::keymap::KeyMode;
use super::super::protocol::AutoPause;
use super::super::theme::Theme;

const SEPARATOR: &str = " │ ";

/// Draws the status line into `area` (one row).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let state = if app.crashed.is_some() {
        "crashed"
    } else if !app.paused {
        "running"
    } else {
        match app.auto_pause() {
            Some(AutoPause::Horizon(_)) => "paused (horizon)",
            Some(AutoPause::AllStopped) => "stopped",
            None => "paused",
        }
    };
    let state_style = if app.paused {
        theme.note().patch(theme.strong())
    } else {
        theme.strong()
    };
    // (display order, priority: lower is kept first, text, style)
    let width = area.width as usize;
    // Never cut the counter: below "step N" it is the bare number.
    let step_text = if width >= app.step().to_string().len() + "step ".len() {
        format!("step {}", app.step())
    } else {
        app.step().to_string()
    };
    let mut pieces: Vec<(usize, usize, String, Style)> = vec![
        (1, 0, step_text, theme.strong()),
        (3, 1, state.to_owned(), state_style),
        (2, 3, app.speed_label(), Style::new()),
        (6, 6, "? help".to_owned(), theme.faint()),
    ];
    if app.key_mode() == KeyMode::ChooseRun {
        pieces.push((4, 2, "1-9 choose run · Esc leaves".to_owned(), theme.note()));
    }
    let changed = app.changed_keys();
    if !changed.is_empty() {
        pieces.push((5, 4, format!("set {}", changed.join(" ")), theme.note()));
    }
    // Everything but the title, as long as it all fits with a few characters of title left.
    let fixed: usize = pieces.iter().map(|p| p.2.chars().count() + 3).sum();
    // The title gets what is left (at least a few characters), else it is dropped.
    let room = width.saturating_sub(fixed + 1);
    let title = format!("{}: {}", app.preset_name, app.title);
    if room >= 8 {
        pieces.push((0, 2, shorten(&title, room), theme.strong()));
    } else {
        pieces.push((0, 2, shorten(&app.preset_name, room.max(6)), theme.strong()));
    }
    pieces.sort_by_key(|p| p.1);
    let mut kept = Vec::new();
    let mut used = 1;
    for piece in pieces {
        let cost = piece.2.chars().count() + if kept.is_empty() { 0 } else { 3 };
        if used + cost <= width || kept.is_empty() {
            used += cost;
            kept.push(piece);
        }
    }
    kept.sort_by_key(|p| p.0);
    // A tiny terminal loses the margin before the counter loses a digit.
    let step_fits_with_margin =
        kept.iter().map(|p| p.2.chars().count() + 3).sum::<usize>() - 2 <= width;
    let mut spans = vec![Span::raw(if step_fits_with_margin { " " } else { "" })];
    for (i, (_, _, text, style)) in kept.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(SEPARATOR, theme.faint()));
        }
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// `text` cut to `width` characters with an ellipsis when it had to be cut.
fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
