//! An experiment: data, a model, several runs (optimizer + start) and exact references.
//!
//! Both the headless commands and the dashboard's worker drive the same [`Experiment`]: `step(n)`
//! advances every run by n steps and `snapshot()` returns an owned summary (metrics, statuses,
//! bounded trails) that can be printed as JSON or drawn. Runs that froze (an update left the
//! parameters bit-identical and nothing can move them again) or diverged (a non-finite value)
//! stop with the step it happened, so such runs are shown honestly and cost nothing afterwards.
//!
//! The kinds themselves (each a folder: spec, engine, references, snapshot, reports) and the
//! table that lists them are in `core::kinds`; this file holds what every kind shares.

pub use crate::core::kinds::{Problem, RunStatus, SnapshotBody};
pub use crate::core::linalg::{angle_degrees, effective_rank, norm2, singular_values, unit};

use crate::core::kinds::{Body, Trails};
use crate::core::par::Threads;

/// Most runs one experiment may hold (each gets its own colour and pane).
pub const MAX_RUNS: usize = 12;
/// Largest horizon: beyond this even 10⁹ steps/s would not finish.
pub const MAX_STEPS: u64 = 1_000_000_000_000_000;

/// A checked, ready-to-run experiment description (what a preset becomes).
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentSpec {
    /// One-line title shown in the status line.
    pub title: String,
    /// A paragraph on what to look for.
    pub about: String,
    /// The seed everything random derives from.
    pub seed: u64,
    /// The data, model and runs.
    pub problem: Problem,
    /// Default number of steps (`[show] steps`).
    pub horizon: u64,
}

/// How the dashboard arranges the runs (linear experiments; the other kinds have one layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// All runs on one circle (the article's experiment 1).
    Overlay,
    /// One pane per run, with the same references (the article's experiment 3).
    SideBySide,
}

/// A running experiment: every run advances in lock-step, one global step counter.
pub struct Experiment {
    spec: ExperimentSpec,
    step: u64,
    body: Body,
    /// The threads its steps may keep busy: its runs in parallel, a large model's products in
    /// halves. Never changes a result's bits.
    threads: Threads,
}

impl Experiment {
    /// Builds the experiment and computes its exact references; its runs record their trails
    /// (directions, spectra, distances over time) for the dashboard and figures.
    #[must_use]
    pub fn new(spec: ExperimentSpec) -> Self {
        Self::build(spec, Trails::Record)
    }

    /// Builds the experiment for a report of its current state only (`run` without a figure,
    /// `sweep`): matrix runs then skip their spectra over time, whose SVD at every log-spaced
    /// step is most of a short run at N ≥ 100 and which no such report reads. The other kinds'
    /// trails cost a few vector operations per record and are kept. Every run's numbers are
    /// the same bits as with [`Experiment::new`].
    #[must_use]
    pub fn final_state_only(spec: ExperimentSpec) -> Self {
        Self::build(spec, Trails::Skip)
    }

    fn build(spec: ExperimentSpec, trails: Trails) -> Self {
        let mut body = spec.problem.build(&spec, trails);
        body.record_all(0);
        Self {
            spec,
            step: 0,
            body,
            threads: Threads::default(),
        }
    }

    /// The same experiment stepping within `threads` (the default is every available core):
    /// what the caller that decides the budget (`main`, a sweep's share) passes down.
    #[must_use]
    pub fn with_threads(mut self, threads: Threads) -> Self {
        self.threads = threads;
        self
    }

    /// The threads its steps may keep busy.
    #[must_use]
    pub fn threads(&self) -> Threads {
        self.threads
    }

    /// The spec this experiment was built from.
    #[must_use]
    pub fn spec(&self) -> &ExperimentSpec {
        &self.spec
    }

    /// Steps taken so far.
    #[must_use]
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// True when every run has stopped (frozen, converged or diverged), so stepping changes nothing.
    #[must_use]
    pub fn all_stopped(&self) -> bool {
        self.body.all_stopped()
    }

    /// Advances every run by `n` steps (stopped runs stay where they stopped).
    pub fn step(&mut self, n: u64) {
        let start = self.step;
        self.body.step(start, n, self.threads);
        self.step = start.saturating_add(n);
    }

    /// An owned summary of the current state: metrics, statuses, references and trails.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            step: self.step,
            body: self.body.snapshot(),
        }
    }
}

/// An owned picture of an experiment at one step.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Steps taken.
    pub step: u64,
    /// The kind's details.
    pub body: SnapshotBody,
}
