//! `implicit-bias snapshot`: the dashboard's screen after N steps as plain text, rendered
//! off-screen into ratatui's `TestBackend` (no terminal needed), for bug reports, docs and tests.
//! The run is stepped on the calling thread and shown paused with no rate, so the same preset,
//! steps and size always give the same text.

use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::core::experiment::{Experiment, ExperimentSpec};
use crate::core::par::Threads;
use crate::preset::Override;

use super::FilePresets;
use super::app::App;
use super::protocol::{Report, START_PACE, WorkerMessage};
use super::view;

/// The screen size when none is given: wide and tall enough for every pane.
pub const DEFAULT_SIZE: (u16, u16) = (120, 40);

/// The smallest and largest sizes accepted for `--size` (columns, rows).
pub const SIZE_LIMITS: ((u16, u16), (u16, u16)) = ((20, 8), (1000, 500));

/// The dashboard for `spec` (opened from `path` with `overrides`, already applied to `spec`)
/// after `steps` steps stepped on `threads` threads (the same bits on any number), drawn on a
/// `size` screen, as text: one line per row, trailing spaces removed.
///
/// # Errors
/// When the off-screen terminal cannot draw (never in practice: it is memory).
pub fn screen_text(
    spec: &ExperimentSpec,
    path: &Path,
    overrides: &[Override],
    presets_dir: PathBuf,
    (steps, threads): (u64, Threads),
    size: (u16, u16),
) -> Result<String, String> {
    let mut experiment = Experiment::new(spec.clone()).with_threads(threads);
    experiment.step(steps);
    let mut app = App::new(
        spec,
        path,
        overrides.to_vec(),
        presets_dir,
        Box::new(FilePresets),
    );
    app.color = false;
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot: experiment.snapshot(),
        running: false,
        pace: START_PACE,
        steps_per_second: 0.0,
        auto_pause: None,
    })));
    let mut terminal =
        Terminal::new(TestBackend::new(size.0, size.1)).map_err(|e| e.to_string())?;
    terminal
        .draw(|frame| view::draw(frame, &app))
        .map_err(|e| e.to_string())?;
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        text.push_str(row.trim_end());
        text.push('\n');
    }
    Ok(text)
}

/// Parses `--size WxH` (e.g. `120x40`) within [`SIZE_LIMITS`].
///
/// # Errors
/// A size that is not `WxH` with whole numbers, or outside the limits, worded with the fix.
pub fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let ((min_w, min_h), (max_w, max_h)) = SIZE_LIMITS;
    let fix = format!("write columns x rows, e.g. 120x40, from {min_w}x{min_h} to {max_w}x{max_h}");
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("not a size; {fix}"))?;
    let (Ok(w), Ok(h)) = (w.trim().parse::<u16>(), h.trim().parse::<u16>()) else {
        return Err(format!("not a size; {fix}"));
    };
    if (min_w..=max_w).contains(&w) && (min_h..=max_h).contains(&h) {
        Ok((w, h))
    } else {
        Err(format!("out of range; {fix}"))
    }
}
