//! Nonlinear networks and the edge of stability: a fully connected network with exact
//! gradients and Hessian-vector products, its sharpness by Lanczos, the data it is shown on,
//! and the engine that trains runs of it side by side while measuring their curvature.
//!
//! Full-batch GD with step η raises the sharpness (the top Hessian eigenvalue) until it reaches
//! 2/η and then hovers there while the loss keeps falling (Cohen et al. 2021). Seeing that needs
//! the sharpness to be exact and cheap: one estimate is a few dozen Hessian-vector products by
//! the R-operator ([`Network::hessian_vector`]), each about two gradients.
//!
//! The kind, whole: its preset section (`preset.rs`: Chebyshev points, moons or a CSV; widths,
//! activation, loss, init), its problem and engine, its reports ([`report`]: `run` JSON, trace
//! CSV, sweep rows) and its figure, the exact minima of the scalar network f = a·b·x
//! ([`ScalarNet`]), plugged into the table of kinds by `kind_impls!` and the engine impl below.

mod data;
mod engine;
mod figure;
mod kernel;
mod lines;
mod model;
mod preset;
mod problem;
pub mod report;
mod runs;
mod scalar;
mod sharpness;

pub use data::{chebyshev, load_network_csv, moons};
pub use engine::{
    CurvatureEstimate, FunctionGrid, LINE_GRID, NETWORK_HISTORY_CAPACITY, NETWORK_HISTORY_FIELDS,
    NetworkExperiment, NetworkHistory, NetworkRecord, NetworkRunSnapshot, NetworkSnapshot,
    PLANE_GRID, threshold,
};
pub use model::{Activation, Architecture, LayerShape, Network, NetworkLoss};
pub use problem::{Inconsistent, NetworkInit, NetworkProblem, NetworkRunSpec, load_init};
pub use scalar::ScalarNet;
pub use sharpness::{Sharpness, preconditioned_sharpness, sharpness};

use super::{Engine, Trails};
use crate::core::experiment::ExperimentSpec;
use crate::core::par::Threads;

impl NetworkExperiment {
    /// The engine for a preset's spec (its seed draws the starts and the batches); the same
    /// trails are kept either way.
    fn for_spec(problem: &NetworkProblem, spec: &ExperimentSpec, _trails: Trails) -> Self {
        Self::new(problem, spec.seed)
    }
}

super::kind_impls!(
    "network",
    NetworkProblem,
    NetworkExperiment::for_spec,
    NetworkSnapshot
);

impl Engine for NetworkExperiment {
    type Snapshot = NetworkSnapshot;

    fn step(&mut self, start: u64, n: u64, threads: Threads) {
        NetworkExperiment::step(self, start, n, threads);
    }

    fn record_all(&mut self, step: u64) {
        NetworkExperiment::record_all(self, step);
    }

    fn all_stopped(&self) -> bool {
        NetworkExperiment::all_stopped(self)
    }

    fn snapshot(&self) -> NetworkSnapshot {
        NetworkExperiment::snapshot(self)
    }
}

/// No `[show]` choices beyond the shared ones.
impl super::KindChoices for NetworkProblem {}
