//! The colours runs and references wear, shared by the dashboard and the SVG figures, so a run
//! is the same colour on screen and on paper. Named after the 16 ANSI colours the dashboard
//! uses; each also has a print shade (readable on white) for figures.

use std::borrow::Cow;

use crate::core::reference::MarginNorm;

/// One of the ANSI colours the dashboard draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hue {
    /// ANSI cyan.
    Cyan,
    /// ANSI yellow.
    Yellow,
    /// ANSI magenta.
    Magenta,
    /// ANSI green.
    Green,
    /// ANSI bright blue.
    LightBlue,
    /// ANSI white (grey on paper).
    White,
    /// ANSI red.
    Red,
    /// ANSI bright red.
    LightRed,
    /// ANSI bright magenta.
    LightMagenta,
    /// ANSI bright green.
    LightGreen,
    /// ANSI bright yellow.
    LightYellow,
}

impl Hue {
    /// The shade used on a white page: the same hue, dark enough to read (yellow and white
    /// would vanish as they are).
    #[must_use]
    pub fn print_rgb(self) -> (u8, u8, u8) {
        match self {
            Hue::Cyan => (0, 139, 160),
            Hue::Yellow => (196, 140, 0),
            Hue::Magenta => (170, 0, 170),
            Hue::Green => (0, 135, 0),
            Hue::LightBlue => (60, 90, 230),
            Hue::White => (110, 110, 110),
            Hue::Red => (200, 0, 0),
            Hue::LightRed => (240, 90, 90),
            Hue::LightMagenta => (210, 90, 210),
            Hue::LightGreen => (60, 190, 60),
            Hue::LightYellow => (150, 120, 0),
        }
    }
}

/// Run colours, in run order (repeating).
pub const RUN_HUES: [Hue; 6] = [
    Hue::Cyan,
    Hue::Yellow,
    Hue::Magenta,
    Hue::Green,
    Hue::LightBlue,
    Hue::White,
];

/// The colour of run `index` (0-based).
#[must_use]
pub fn run_hue(index: usize) -> Hue {
    RUN_HUES[index % RUN_HUES.len()]
}

/// The colour of a max-margin reference's arrow.
#[must_use]
pub fn reference_hue(norm: MarginNorm) -> Hue {
    match norm {
        MarginNorm::L2 => Hue::Red,
        MarginNorm::L2Intercept => Hue::LightRed,
        MarginNorm::Linf => Hue::LightMagenta,
        MarginNorm::L1 => Hue::LightGreen,
        MarginNorm::Lp(_) => Hue::LightYellow,
    }
}

/// A reference's short name on screen and in figures: `ℓ2`, `ℓ2+b`, `ℓ∞`, `ℓ1`, `ℓ3`.
#[must_use]
pub fn reference_label(norm: MarginNorm) -> Cow<'static, str> {
    match norm {
        MarginNorm::L2 => Cow::Borrowed("ℓ2"),
        MarginNorm::L2Intercept => Cow::Borrowed("ℓ2+b"),
        MarginNorm::Linf => Cow::Borrowed("ℓ∞"),
        MarginNorm::L1 => Cow::Borrowed("ℓ1"),
        MarginNorm::Lp(p) => Cow::Owned(format!("ℓ{}", p.get())),
    }
}
