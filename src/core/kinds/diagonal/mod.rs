//! The diagonal kind, whole: its engine (`engine.rs`), its preset section (`preset.rs`), its
//! reports (`report.rs`: `run` JSON, trace CSV, sweep rows) and its SVG figure (`figure.rs`),
//! plugged into the table of kinds by `kind_impls!`.

mod engine;
mod figure;
mod preset;
mod report;

pub use self::engine::*;

super::kind_impls!(
    "diagonal",
    DiagonalProblem,
    DiagonalExperiment::new,
    DiagonalSnapshot
);

/// No `[show]` choices beyond the shared ones.
impl super::KindChoices for DiagonalProblem {}
