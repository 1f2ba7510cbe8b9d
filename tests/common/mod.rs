//! Helpers shared by the dashboard's view tests: fixed references typed into a snapshot, so a
//! screen depends only on the run, not on the solvers.

use implicit_bias::core::experiment::{Snapshot, SnapshotBody, angle_degrees};
use implicit_bias::core::reference::{MarginNorm, MaxMarginReference};

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
