//! What every kind's SVG figure shares: its caption, the palette's print colours, one legend
//! style and the font sizes (the sweep plots in `figure::sweep` use them too).

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::{DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};
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

impl Caption<'_> {
    /// The caption as every figure writes it: `title — step N`.
    #[must_use]
    pub(crate) fn text(&self) -> String {
        format!("{} — step {}", self.title, self.step)
    }
}

/// One panel of a figure.
pub(crate) type Panel<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A figure of `size` pixels with two panels side by side under the caption, the left one
/// `left_width` pixels wide, drawn by `left` and `right`: the SVG text.
pub(crate) fn two_panels(
    size: (u32, u32),
    left_width: u32,
    caption: Caption<'_>,
    left: impl FnOnce(&Panel<'_>) -> Result<(), FigureError>,
    right: impl FnOnce(&Panel<'_>) -> Result<(), FigureError>,
) -> Result<String, FigureError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let root = root
            .titled(&caption.text(), ("sans-serif", CAPTION_SIZE))
            .map_err(drawing_error)?;
        let (left_area, right_area) = root.split_horizontally(left_width);
        left(&left_area)?;
        right(&right_area)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
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
