//! The linear experiment kind: a classifier f(x) = ⟨w, x⟩ + b on labelled points, its runs, the
//! max-margin references and the snapshot the front ends draw (the article's experiments 1 and 3).

use crate::core::data::LinearData;
use crate::core::history::{History, Spacing};
use crate::core::linalg::{angle_degrees, dot, norm2, unit};
use crate::core::model::{LinearModel, Loss};
use crate::core::optim::OptimizerSpec;
use crate::core::reference::{MarginNorm, MaxMarginReference, ReferenceError, max_margin};

use super::run::{Batcher, RunState, RunStatus, ZeroGradientCheck};
use super::{Engine, ExperimentSpec};

/// Most points a trail keeps per run (log-spaced, thinned when full).
pub const TRAIL_CAPACITY: usize = 600;

/// The trail's spacing: every decade of steps gets the same number of points.
const TRAIL_SPACING: Spacing = Spacing::Log { per_decade: 60.0 };

/// How the dashboard arranges the runs of a linear experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// All runs on one circle (the article's experiment 1).
    Overlay,
    /// One pane per run, with the same references (the article's experiment 3).
    SideBySide,
}

/// Linear classification: the data, the loss and the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearProblem {
    /// Labelled points.
    pub data: LinearData,
    /// Exponential or logistic.
    pub loss: Loss,
    /// Whether f(x) = ⟨w, x⟩ + b has an intercept.
    pub bias: bool,
    /// The runs: optimizer and start θ₀ (length `dim + bias`).
    pub runs: Vec<LinearRunSpec>,
}

/// One linear run.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearRunSpec {
    /// The optimizer.
    pub optimizer: OptimizerSpec,
    /// The start θ₀ = (w₀, b₀).
    pub init: Vec<f64>,
}

/// A selected max-margin reference, or why it does not exist.
pub type LinearReference = (MarginNorm, Result<MaxMarginReference, ReferenceError>);

/// One run: its spec, its state, its mini-batches (when smaller than the data) and its trail.
struct LinearRun {
    spec: LinearRunSpec,
    state: RunState,
    batcher: Option<Batcher>,
    /// Per record: the unit weight direction w/‖w‖ (dim values).
    trail: History,
    /// Per record, at the trail's steps: θ = (w, b) as is, then the loss and the margin (what
    /// an exported trace needs beyond the direction).
    trace: History,
}

/// The running linear experiment: model, runs and the references computed once at the start.
pub(super) struct LinearExperiment {
    data: LinearData,
    model: LinearModel,
    runs: Vec<LinearRun>,
    references: Vec<LinearReference>,
}

impl LinearExperiment {
    /// Builds the runs and computes the references `spec` selects.
    pub(super) fn new(problem: &LinearProblem, spec: &ExperimentSpec) -> Self {
        let model = LinearModel::new(&problem.data, problem.loss, problem.bias);
        let references = spec
            .references
            .iter()
            .map(|&norm| (norm, max_margin(&problem.data, norm, problem.bias)))
            .collect();
        let points = problem.data.len();
        let runs = problem
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| LinearRun {
                state: RunState::new(&run.optimizer, run.init.clone()),
                batcher: run.optimizer.batch.filter(|&b| b < points).map(|size| {
                    let seed = spec.seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(i as u64 + 1);
                    Batcher::new(points, size, seed)
                }),
                trail: History::new(problem.data.dim, TRAIL_CAPACITY, TRAIL_SPACING),
                trace: History::new(run.init.len() + 2, TRAIL_CAPACITY, TRAIL_SPACING),
                spec: run.clone(),
            })
            .collect();
        Self {
            data: problem.data.clone(),
            model,
            runs,
            references,
        }
    }

    /// An owned picture of every run and the references.
    pub(super) fn snapshot(&self) -> LinearSnapshot {
        LinearSnapshot {
            dim: self.data.dim,
            loss: self.model.loss_kind(),
            bias: self.model.has_bias(),
            references: self.references.clone(),
            runs: self.runs.iter().map(|run| self.run_snapshot(run)).collect(),
        }
    }

    fn run_snapshot(&self, run: &LinearRun) -> LinearRunSnapshot {
        let dim = self.data.dim;
        let theta = &run.state.params;
        let weights = &theta[..dim];
        let norm = norm2(weights);
        let direction = unit(weights);
        let bias = if self.model.has_bias() {
            theta[dim]
        } else {
            0.0
        };
        // w = 0 (or a diverged w) has no direction: no margin, no angles.
        let has_direction = norm > 0.0 && norm.is_finite();
        let margin = margin(&self.data, weights, bias);
        let angles = self
            .references
            .iter()
            .filter(|_| has_direction)
            .filter_map(|(norm, r)| {
                r.as_ref()
                    .ok()
                    .map(|r| (*norm, angle_degrees(&direction, &r.direction)))
            })
            .collect();
        LinearRunSnapshot {
            optimizer: run.spec.optimizer.clone(),
            init: run.spec.init.clone(),
            weights: weights.to_vec(),
            direction,
            norm,
            bias: self.model.has_bias().then_some(bias),
            loss: self.model.loss(theta),
            margin,
            angles,
            status: run.state.status,
            trail: run.trail.clone(),
            trace: run.trace.clone(),
        }
    }
}

/// minᵢ yᵢ(⟨w/‖w‖, xᵢ⟩ + b/‖w‖), the geometric margin; NaN when w = 0 or w is not finite.
fn margin(data: &LinearData, weights: &[f64], bias: f64) -> f64 {
    let norm = norm2(weights);
    if !(norm > 0.0 && norm.is_finite()) {
        return f64::NAN;
    }
    let direction = unit(weights);
    (0..data.len())
        .map(|i| data.labels[i] * (dot(&direction, data.point(i)) + bias / norm))
        .fold(f64::INFINITY, f64::min)
}

/// Records θ, the loss and the margin on `run`'s trace at `step` (when its spacing wants it).
fn record_trace(run: &mut LinearRun, model: &LinearModel, data: &LinearData, step: u64) {
    if !run.trace.wants(step) {
        return;
    }
    let theta = &run.state.params;
    let bias = if model.has_bias() {
        theta[data.dim]
    } else {
        0.0
    };
    let mut record = theta.clone();
    record.push(model.loss(theta));
    record.push(margin(data, &theta[..data.dim], bias));
    run.trace.offer(step, &record);
}

impl Engine for LinearExperiment {
    fn step(&mut self, start: u64, n: u64) {
        let dim = self.data.dim;
        for run in &mut self.runs {
            let mut step = start;
            while step < start.saturating_add(n) && run.state.status.is_ok() {
                step += 1;
                match &mut run.batcher {
                    Some(batcher) => {
                        let batch = batcher.next();
                        self.model
                            .batch_gradient(&run.state.params, batch, &mut run.state.grad);
                    }
                    None => self.model.gradient(&run.state.params, &mut run.state.grad),
                }
                let model = &self.model;
                let full_gradient_is_zero = |params: &[f64]| {
                    let mut grad = vec![0.0; params.len()];
                    model.gradient(params, &mut grad);
                    grad.iter().all(|&g| g == 0.0)
                };
                let check: Option<ZeroGradientCheck<'_>> =
                    run.batcher.is_some().then_some(&full_gradient_is_zero);
                run.state.apply(step, check);
                // A diverged step has no direction worth drawing; a frozen one still has one.
                let diverged = matches!(run.state.status, RunStatus::Diverged { .. });
                if !diverged && run.trail.wants(step) {
                    run.trail.offer(step, &unit(&run.state.params[..dim]));
                    record_trace(run, &self.model, &self.data, step);
                }
            }
        }
    }

    fn record_all(&mut self, step: u64) {
        let dim = self.data.dim;
        for run in &mut self.runs {
            run.trail.offer(step, &unit(&run.state.params[..dim]));
            record_trace(run, &self.model, &self.data, step);
        }
    }

    fn all_stopped(&self) -> bool {
        self.runs.iter().all(|r| !r.state.status.is_ok())
    }
}

/// A linear experiment's state.
#[derive(Debug, Clone)]
pub struct LinearSnapshot {
    /// Feature dimension d.
    pub dim: usize,
    /// The loss.
    pub loss: Loss,
    /// Whether the model has an intercept.
    pub bias: bool,
    /// Each selected reference, or why it does not exist.
    pub references: Vec<LinearReference>,
    /// One entry per run, in preset order.
    pub runs: Vec<LinearRunSnapshot>,
}

/// One linear run's state.
#[derive(Debug, Clone)]
pub struct LinearRunSnapshot {
    /// Its optimizer.
    pub optimizer: OptimizerSpec,
    /// Its start θ₀.
    pub init: Vec<f64>,
    /// w as is (weights only, without the intercept).
    pub weights: Vec<f64>,
    /// w/‖w‖ (weights only, without the intercept).
    pub direction: Vec<f64>,
    /// ‖w‖₂.
    pub norm: f64,
    /// The intercept b, when the model has one.
    pub bias: Option<f64>,
    /// Σᵢ ℓ(yᵢ f(xᵢ)).
    pub loss: f64,
    /// minᵢ yᵢ(⟨w/‖w‖, xᵢ⟩ + b/‖w‖): the geometric margin of the current classifier (NaN when
    /// w = 0 or diverged).
    pub margin: f64,
    /// Angle in degrees from `direction` to each reference that exists (none when w = 0).
    pub angles: Vec<(MarginNorm, f64)>,
    /// Moving, frozen or diverged.
    pub status: RunStatus,
    /// Log-spaced history of the direction w/‖w‖ (dim values per record).
    pub trail: History,
    /// At the trail's steps: θ = (w, b) as is (dim, plus 1 with a bias), the loss, the margin
    /// (NaN for w = 0) — the rows of an exported trace.
    pub trace: History,
}
