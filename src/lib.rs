//! implicit-bias: watch how an optimizer picks one solution out of infinitely many.
//!
//! The crate is split so that the numerical heart never sees a terminal:
//! - [`core`]: datasets, models, optimizers, exact reference solutions, experiments and bounded
//!   histories. Pure computation, deterministic for a given seed.
//! - [`preset`]: TOML presets turned into checked experiment specs, with errors that name the
//!   file, the line or key, and the fix.
//! - [`headless`]: the `run`, `check` and `presets` commands (JSON on stdout).
//! - [`figure`]: SVG figures of an experiment and of a sweep's CSV (`e`, `run --svg`, `plot`).
//! - `tui` (feature `tui`, on by default): the live dashboard.

use std::ops::RangeInclusive;

/// The frame rates the dashboard accepts: the command line's `--fps` range (here, outside the
/// `tui` feature, because the flag exists in every build). The dashboard clamps to it as well,
/// so a library caller asking for more (or 0) gets the nearest accepted rate.
pub const FPS_RANGE: RangeInclusive<u32> = 1..=120;

pub mod core;
pub mod export;
pub mod figure;
pub mod headless;
pub mod palette;
pub mod preset;
#[cfg(feature = "tui")]
pub mod tui;
