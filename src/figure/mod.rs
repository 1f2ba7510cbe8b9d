//! SVG figures: the experiment on screen (dashboard key `e`, `run --svg`) and a sweep's CSV
//! (`plot`).
//!
//! Drawn with plotters' SVG backend and no font files: text is written as `<text>` elements and
//! the viewer's sans-serif font renders it, so a headless build needs no system library. Each
//! kind draws its own figure (`figure.rs` in its folder under `core/kinds/`); this module holds
//! the sweep plots, which read any kind's CSV.

pub mod sweep;

use crate::core::experiment::Snapshot;
use crate::core::kinds::{Caption, FigureError};

/// The SVG figure of an experiment's snapshot, as its kind draws it: e.g. the unit circle with
/// every trajectory and the reference arrows (linear), σᵢ over log t with the reference spectrum
/// (matrix), the coordinates of w against min-ℓ1 and min-ℓ2 (diagonal).
///
/// # Errors
/// Only if plotters fails to lay out the figure (worded for the user).
pub fn experiment_svg(snapshot: &Snapshot, title: &str) -> Result<String, FigureError> {
    let caption = Caption {
        title,
        step: snapshot.step,
    };
    snapshot.body.kind().svg(caption)
}
