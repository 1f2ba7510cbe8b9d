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

use plotters::style::RGBColor;

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

/// A plotters error, worded for the user.
fn drawing_error(e: impl std::fmt::Display) -> String {
    format!("drawing the figure failed: {e}")
}

/// Font size of captions, in pixels.
const CAPTION_SIZE: u32 = 22;
/// Font size of axis descriptions, legends and labels, in pixels.
const LABEL_SIZE: u32 = 16;
