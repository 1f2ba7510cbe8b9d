//! SVG figures: the experiment on screen (dashboard key `e`, `run --svg`) and a sweep's CSV
//! (`plot`).
//!
//! Drawn with plotters' SVG backend and no font files: text is written as `<text>` elements and
//! the viewer's sans-serif font renders it, so a headless build needs no system library. One
//! module per experiment kind, chosen by [`experiment_svg`]; a new kind adds its module and one
//! match arm there.

mod diagonal;
mod linear;
mod matrix;
pub mod sweep;

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::prelude::DrawingBackend;
use plotters::style::{Color, RGBColor, WHITE};

use crate::core::experiment::{Snapshot, SnapshotBody};
use crate::palette::Hue;

/// What a figure is about, for its caption.
#[derive(Debug, Clone, Copy)]
pub struct Caption<'a> {
    /// The preset's title.
    pub title: &'a str,
    /// The step the snapshot was taken at.
    pub step: u64,
}

/// The SVG figure of an experiment's snapshot: the unit circle with every trajectory, start
/// points and reference arrows (linear); σᵢ over log t with the reference spectrum (matrix);
/// the coordinates of w against min-ℓ1 and min-ℓ2, and ‖w‖₁ over log t (diagonal).
///
/// # Errors
/// Only if plotters fails to lay out the figure (worded for the user).
pub fn experiment_svg(snapshot: &Snapshot, title: &str) -> Result<String, String> {
    let caption = Caption {
        title,
        step: snapshot.step,
    };
    match &snapshot.body {
        SnapshotBody::Linear(s) => linear::svg(s, caption),
        SnapshotBody::Matrix(s) => matrix::svg(s, caption),
        SnapshotBody::Diagonal(s) => diagonal::svg(s, caption),
    }
}

/// A palette hue as plotters' colour, in its print shade.
fn rgb(hue: Hue) -> RGBColor {
    let (r, g, b) = hue.print_rgb();
    RGBColor(r, g, b)
}

/// Draws `chart`'s legend at `position` in the one style every figure's legend shares.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", LABEL_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(150, 150, 150))
        .draw()
        .map_err(drawing_error)
}

/// A plotters error, worded for the user.
fn drawing_error(e: impl std::fmt::Display) -> String {
    format!("drawing the figure failed: {e}")
}

/// Font size of captions, in pixels.
const CAPTION_SIZE: u32 = 22;
/// Font size of axis descriptions, legends and labels, in pixels.
const LABEL_SIZE: u32 = 16;
