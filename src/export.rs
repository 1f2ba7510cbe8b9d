//! Writing what is on screen to files: the experiment's SVG figure and its runs' trace as CSV
//! (rebuilt from the snapshot's bounded histories, with the columns of `run --trace`). The
//! dashboard's `e` key calls [`export`] on a short-lived thread, so writing never blocks the UI.

use std::path::{Path, PathBuf};

use crate::core::experiment::Snapshot;

/// The two files one export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The SVG figure.
    pub svg: PathBuf,
    /// The trace CSV.
    pub csv: PathBuf,
}

/// The file stem of an export: the preset's name and the step, e.g. `max-margin-step3000`.
#[must_use]
pub fn file_stem(preset: &str, step: u64) -> String {
    let name: String = preset
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}-step{step}")
}

/// Writes `DIR/PRESET-stepN.svg` and `DIR/PRESET-stepN.csv` for `snapshot`, creating `DIR`
/// when it does not exist. `overrides` (`KEY=VALUE`, what the running experiment changed from
/// its preset file) are written into the figure's caption, so it never passes for the file's.
///
/// # Errors
/// A folder that cannot be made, a figure that cannot be drawn or a file that cannot be
/// written, worded with the path and how to choose another folder.
pub fn export(
    dir: &Path,
    preset: &str,
    title: &str,
    overrides: &[String],
    snapshot: &Snapshot,
) -> Result<Exported, String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create the folder {}: {e}; choose a writable folder with --export-dir DIR",
            dir.display()
        )
    })?;
    let stem = file_stem(preset, snapshot.step);
    let svg = dir.join(format!("{stem}.svg"));
    let csv = dir.join(format!("{stem}.csv"));
    let caption = if overrides.is_empty() {
        title.to_owned()
    } else {
        format!("{title} · set {}", overrides.join(" "))
    };
    let figure = crate::figure::experiment_svg(snapshot, &caption)?;
    let trace = crate::headless::trace_from_histories(snapshot);
    for (path, text) in [(&svg, figure), (&csv, trace)] {
        std::fs::write(path, text).map_err(|e| {
            format!(
                "cannot write {}: {e}; choose a writable folder with --export-dir DIR",
                path.display()
            )
        })?;
    }
    Ok(Exported { svg, csv })
}
