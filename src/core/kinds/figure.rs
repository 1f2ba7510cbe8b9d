//! What every kind's SVG figure shares: its caption, the palette's print colours, one legend
//! style and the font sizes (the sweep plots in `figure::sweep` use them too).

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBColor, WHITE};

use crate::palette::Hue;

/// What a figure is about, for its caption.
#[derive(Debug, Clone, Copy)]
pub struct Caption<'a> {
    /// The preset's title.
    pub title: &'a str,
    /// The step the snapshot was taken at.
    pub step: u64,
}

/// A palette hue as plotters' colour, in its print shade.
pub(crate) fn rgb(hue: Hue) -> RGBColor {
    let (r, g, b) = hue.print_rgb();
    RGBColor(r, g, b)
}

/// Draws `chart`'s legend at `position` in the one style every figure's legend shares.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), FigureError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", LABEL_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(150, 150, 150))
        .draw()
        .map_err(drawing_error)
}

/// A figure plotters could not lay out, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("drawing the figure failed: {0}")]
pub struct FigureError(String);

/// The figures of sweeps (`plot`) report every refusal as text; a drawing failure is one.
impl From<FigureError> for String {
    fn from(e: FigureError) -> Self {
        e.to_string()
    }
}

/// A plotters error as a [`FigureError`].
pub(crate) fn drawing_error(e: impl std::fmt::Display) -> FigureError {
    FigureError(e.to_string())
}

/// Font size of captions, in pixels.
pub(crate) const CAPTION_SIZE: u32 = 22;
/// Font size of axis descriptions, legends and labels, in pixels.
pub(crate) const LABEL_SIZE: u32 = 16;
