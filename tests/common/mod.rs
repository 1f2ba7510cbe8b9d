//! Helpers shared by the dashboard's view tests: an app showing a run after a fixed number of
//! steps, and fixed references typed into a snapshot, so a screen depends only on the run, not on
//! the solvers or the clock.

use std::path::{Path, PathBuf};

use implicit_bias::core::experiment::{
    Experiment, ExperimentSpec, Snapshot, SnapshotBody, angle_degrees,
};
use implicit_bias::core::reference::{MarginNorm, MaxMarginReference};
use implicit_bias::tui::app::{App, PresetSource};
use implicit_bias::tui::worker::{Pace, Report, WorkerMessage};

/// A running report of `snapshot` with a fixed steps/s, as the worker would send it.
pub fn report(snapshot: Snapshot, generation: u64, steps_per_second: f64) -> WorkerMessage {
    WorkerMessage::Report(Box::new(Report {
        generation,
        snapshot,
        running: true,
        pace: Pace::Warp,
        steps_per_second,
        auto_pause: None,
    }))
}

/// An app for `spec` (opened from `preset`) showing it after `steps` steps, the snapshot first
/// passed through `edit`.
pub fn app_after(
    spec: &ExperimentSpec,
    preset: &str,
    source: Box<dyn PresetSource>,
    steps: u64,
    steps_per_second: f64,
    edit: impl FnOnce(&mut Snapshot),
) -> App {
    let mut experiment = Experiment::new(spec.clone());
    experiment.step(steps);
    let mut snapshot = experiment.snapshot();
    edit(&mut snapshot);
    let mut app = App::new(
        spec,
        Path::new(&format!("presets/{preset}.toml")),
        Vec::new(),
        PathBuf::from("presets"),
        source,
    );
    app.apply(report(snapshot, 0, steps_per_second));
    app
}

/// Replaces a linear snapshot's references by `refs` and sets each run's angles to them.
///
/// # Panics
/// When the snapshot is not of a linear experiment.
pub fn set_references(snapshot: &mut Snapshot, refs: &[(MarginNorm, Vec<f64>)]) {
    let SnapshotBody::Linear(linear) = &mut snapshot.body else {
        panic!("linear expected")
    };
    linear.references = refs
        .iter()
        .map(|(norm, direction)| {
            let reference = MaxMarginReference {
                norm: *norm,
                direction: direction.clone(),
                solution: direction.clone(),
                margin: 1.0,
            };
            (*norm, Ok(reference))
        })
        .collect();
    for run in &mut linear.runs {
        run.angles = refs
            .iter()
            .map(|(norm, d)| (*norm, angle_degrees(&run.direction, d)))
            .collect();
    }
}
