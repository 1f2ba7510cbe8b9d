//! Colours from the 16-colour palette, or none at all under `NO_COLOR`.
//!
//! Only the basic ANSI colours are used so the dashboard reads the same in a 16-colour terminal,
//! over tmux, or with a user's own palette; and every colour has a textual twin on screen (run
//! numbers at the heads, reference labels, status words), so monochrome loses nothing.

use ratatui::style::{Color, Modifier, Style};

use crate::core::reference::MarginNorm;
pub use crate::palette::reference_label;
use crate::palette::{self, Hue};

/// The terminal colour of a palette hue.
fn color(hue: Hue) -> Color {
    match hue {
        Hue::Cyan => Color::Cyan,
        Hue::Yellow => Color::Yellow,
        Hue::Magenta => Color::Magenta,
        Hue::Green => Color::Green,
        Hue::LightBlue => Color::LightBlue,
        Hue::White => Color::White,
        Hue::Red => Color::Red,
        Hue::LightRed => Color::LightRed,
        Hue::LightMagenta => Color::LightMagenta,
        Hue::LightGreen => Color::LightGreen,
        Hue::LightYellow => Color::LightYellow,
    }
}

/// Styles for one frame, with or without colour.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// False under `NO_COLOR`.
    pub color: bool,
}

impl Theme {
    /// The colour of run `index` (`Reset` without colour).
    #[must_use]
    pub fn run_color(self, index: usize) -> Color {
        if self.color {
            color(palette::run_hue(index))
        } else {
            Color::Reset
        }
    }

    /// The style of run `index`'s label and trail.
    #[must_use]
    pub fn run(self, index: usize) -> Style {
        Style::new().fg(self.run_color(index))
    }

    /// The colour of a reference arrow.
    #[must_use]
    pub fn reference_color(self, norm: MarginNorm) -> Color {
        if self.color {
            color(palette::reference_hue(norm))
        } else {
            Color::Reset
        }
    }

    /// Scaffolding (the unit circle, axes): present but quiet.
    #[must_use]
    pub fn faint(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// The colour of scaffolding drawn on a canvas.
    #[must_use]
    pub fn faint_color(self) -> Color {
        if self.color {
            Color::DarkGray
        } else {
            Color::Reset
        }
    }

    /// Something that went wrong (diverged, a bad preset, a crash).
    #[must_use]
    pub fn bad(self) -> Style {
        let style = Style::new().add_modifier(Modifier::BOLD);
        if self.color {
            style.fg(Color::LightRed)
        } else {
            style
        }
    }

    /// Something to notice that is not an error (horizon reached, not converged).
    #[must_use]
    pub fn note(self) -> Style {
        if self.color {
            Style::new().fg(Color::Yellow)
        } else {
            Style::new()
        }
    }

    /// A pane border: highlighted when focused (bold without colour).
    #[must_use]
    pub fn border(self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new()
                .fg(Color::LightCyan)
                .add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.faint(),
        }
    }

    /// The chosen run's row in a focused table: reversed, which reads with or without colour.
    #[must_use]
    pub fn chosen(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Headings and the status line's key facts.
    #[must_use]
    pub fn strong(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}
