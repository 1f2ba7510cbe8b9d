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
//! CSV, sweep rows) and its figure, plugged into the table of kinds by the trait impls below.

mod data;
mod engine;
mod figure;
mod kernel;
mod model;
mod preset;
mod problem;
pub mod report;
mod runs;
mod sharpness;

use std::io::{self, Write};

pub use data::{chebyshev, load_network_csv, moons};
pub use engine::{
    CurvatureEstimate, FunctionGrid, LINE_GRID, NETWORK_HISTORY_CAPACITY, NETWORK_HISTORY_FIELDS,
    NetworkExperiment, NetworkHistory, NetworkRunSnapshot, NetworkSnapshot, PLANE_GRID, threshold,
};
pub use model::{Activation, Architecture, LayerShape, Network, NetworkLoss};
pub use problem::{NetworkInit, NetworkProblem, NetworkRunSpec, load_init};
pub use sharpness::{Sharpness, preconditioned_sharpness, sharpness};

use super::figure::FigureError;
use super::{Caption, Engine, KindProblem, KindSnapshot, RunRow, Trails};
use crate::core::config::{Checker, KindSpec, PresetError, Tables};
use crate::core::experiment::ExperimentSpec;
use crate::core::par::Threads;

impl KindProblem for NetworkProblem {
    const NAME: &'static str = "network";
    type Engine = NetworkExperiment;
    type Snapshot = NetworkSnapshot;
    type Data = preset::Data;
    type Model = preset::Model;
    type Run = preset::Run;
    type Show = preset::Show;

    fn check(
        c: &Checker<'_>,
        tables: &Tables<'_, preset::Data, preset::Model, preset::Run, preset::Show>,
    ) -> Result<KindSpec, PresetError> {
        preset::check(c, tables)
    }

    fn key_hint(table: &str, key: &str) -> Option<&'static str> {
        preset::key_hint(table, key)
    }

    fn build(&self, spec: &ExperimentSpec, _trails: Trails) -> NetworkExperiment {
        NetworkExperiment::new(self, spec.seed)
    }

    fn describe(&self) -> String {
        report::describe(self)
    }
}

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

impl KindSnapshot for NetworkSnapshot {
    fn run_count(&self) -> usize {
        self.runs.len()
    }

    fn report_json(&self, title: &str, step: u64, interrupted: bool) -> serde_json::Result<String> {
        super::report::pretty(report::report(title, step, self), interrupted)
    }

    fn trace_header(&self, header: &mut String) {
        report::trace_header(header, self);
    }

    fn trace_rows(&self, mut out: &mut dyn Write, step: u64) -> io::Result<()> {
        report::trace_rows(&mut out, step, self)
    }

    fn history_rows(&self) -> Vec<(u64, usize, String)> {
        report::history_rows(self)
    }

    fn sweep_rows(&self) -> Vec<RunRow> {
        report::sweep_rows(self)
    }

    fn svg(&self, caption: Caption<'_>) -> Result<String, FigureError> {
        figure::svg(self, caption)
    }
}
