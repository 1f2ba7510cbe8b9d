//! The linear experiment kind: a classifier f(x) = ⟨w, x⟩ + b on labelled points, its runs, the
//! max-margin references and the snapshot the front ends draw (the article's experiments 1 and 3).

use crate::core::data::LinearData;
use crate::core::history::{History, Spacing};
use crate::core::linalg::{angle_degrees, dot, norm2, unit};
use crate::core::model::{LinearModel, Loss};
use crate::core::optim::OptimizerSpec;
use crate::core::reference::{
    MarginNorm, MaxMarginReference, ReferenceError, max_margin, separable,
};

use crate::core::kinds::convergence::{CHECK_EVERY, LinearObjective, at_minimiser};
use crate::core::par::Threads;

use crate::core::experiment::{ExperimentSpec, Layout};
use crate::core::kinds::run::{
    Batcher, RunState, RunStatus, ZeroGradientCheck, batch_seed, step_runs,
};
use crate::core::kinds::{Engine, KindChoices, Trails};

/// Most points a trail keeps per run (log-spaced, thinned when full).
pub const TRAIL_CAPACITY: usize = 600;

/// What one exp costs, in multiply-adds (for the estimate that decides parallel stepping).
const EXP_COST: usize = 16;

/// The trail's spacing: every decade of steps gets the same number of points.
const TRAIL_SPACING: Spacing = Spacing::Log { per_decade: 60.0 };

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
    /// The max-margin references to compute (`[show] references`; each run's predicted one
    /// is added).
    pub references: Vec<MarginNorm>,
    /// How the dashboard arranges the runs (`[show] layout`).
    pub layout: Layout,
}

impl KindChoices for LinearProblem {
    fn layout(&self) -> Layout {
        self.layout
    }

    /// The reports have a column per reference.
    fn same_columns(&self, other: &Self) -> bool {
        self.references == other.references
    }
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
    /// Per record: the unit weight direction w/‖w‖ (dim values), then its geometric margin.
    trail: History,
    /// Whether the last convergence check found the run at a minimiser.
    was_at_minimiser: bool,
    /// Per record, at the trail's steps: θ = (w, b) as is, then the loss and the margin (what
    /// an exported trace needs beyond the direction).
    trace: History,
}

/// The running linear experiment: model, runs and the references computed once at the start.
pub(crate) struct LinearExperiment {
    data: LinearData,
    model: LinearModel,
    runs: Vec<LinearRun>,
    references: Vec<LinearReference>,
    /// Whether some θ separates the data (exactly, by the references' LP). Runs on such data
    /// are never converged; a solver failure counts as separable, which only disables that.
    separable: bool,
}

impl LinearExperiment {
    /// Builds the runs and computes the references `spec` selects, then each run's predicted
    /// one that the preset does not list (so every run's angle to its theory's target is known).
    pub(super) fn new(problem: &LinearProblem, spec: &ExperimentSpec, _trails: Trails) -> Self {
        let model = LinearModel::new(&problem.data, problem.loss, problem.bias);
        let mut norms = problem.references.clone();
        for predicted in problem.runs.iter().filter_map(|r| r.optimizer.predicted()) {
            if !norms.contains(&predicted) {
                norms.push(predicted);
            }
        }
        let references: Vec<LinearReference> = norms
            .into_iter()
            .map(|norm| (norm, max_margin(&problem.data, norm, problem.bias)))
            .collect();
        let points = problem.data.len();
        let runs = problem
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| LinearRun {
                state: RunState::new(&run.optimizer, run.init.clone()),
                batcher: run
                    .optimizer
                    .batch
                    .filter(|&b| b < points)
                    .map(|size| Batcher::new(points, size, batch_seed(spec.seed, i))),
                trail: History::new(problem.data.dim + 1, TRAIL_CAPACITY, TRAIL_SPACING),
                trace: History::new(run.init.len() + 2, TRAIL_CAPACITY, TRAIL_SPACING),
                spec: run.clone(),
                was_at_minimiser: false,
            })
            .collect();
        Self {
            separable: separability_of(&references)
                .unwrap_or_else(|| separable(&problem.data, problem.bias).unwrap_or(true)),
            data: problem.data.clone(),
            model,
            runs,
            references,
        }
    }

    /// An owned picture of every run and the references.
    fn snapshot_now(&self) -> LinearSnapshot {
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
        let margin = geometric_margin(&self.data, &direction, bias / norm);
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
            predicted: run.spec.optimizer.predicted(),
            status: run.state.status,
            trail: run.trail.clone(),
            trace: run.trace.clone(),
        }
    }
}

/// Whether the data are separable, as the references already decided it: a reference that
/// exists proves it, one refused as not separable disproves it (the intercept reference is
/// left out: it answers for another model when the runs have no bias). `None` when no
/// reference decided, and the separation LP must be solved on its own.
fn separability_of(references: &[LinearReference]) -> Option<bool> {
    references
        .iter()
        .filter(|(norm, _)| *norm != MarginNorm::L2Intercept)
        .find_map(|(_, reference)| match reference {
            Ok(_) => Some(true),
            Err(ReferenceError::NotSeparable(_)) => Some(false),
            Err(_) => None,
        })
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
    let weights = &theta[..data.dim];
    let mut record = theta.clone();
    record.push(model.loss(theta));
    record.push(geometric_margin(
        data,
        &unit(weights),
        bias / norm2(weights),
    ));
    run.trace.offer(step, &record);
}

impl Engine for LinearExperiment {
    type Snapshot = LinearSnapshot;

    fn snapshot(&self) -> LinearSnapshot {
        self.snapshot_now()
    }

    fn step(&mut self, start: u64, n: u64, threads: Threads) {
        let (model, data, separable) = (&self.model, &self.data, self.separable);
        // One step costs a multiply-add per (point, coordinate) and an exp per point.
        let work = n.saturating_mul((data.len() * (data.dim + 1 + EXP_COST)) as u64);
        step_runs(
            &mut self.runs,
            n,
            work,
            threads,
            |run| run.state.status.is_ok(),
            |run, offset, count, _| {
                step_run(run, model, data, separable, start + offset, count);
            },
        );
    }

    fn record_all(&mut self, step: u64) {
        for run in &mut self.runs {
            let record = trail_record(&self.data, self.model.has_bias(), &run.state.params);
            run.trail.offer(step, &record);
            record_trace(run, &self.model, &self.data, step);
        }
    }

    fn all_stopped(&self) -> bool {
        self.runs.iter().all(|r| !r.state.status.is_ok())
    }
}

/// Takes `run` through steps `start + 1 ..= start + n` (fewer if it stops): each run owns its
/// optimizer state and batcher, so runs step independently (and bit-identically) on any thread.
fn step_run(
    run: &mut LinearRun,
    model: &LinearModel,
    data: &LinearData,
    separable: bool,
    start: u64,
    n: u64,
) {
    let mut step = start;
    while step < start.saturating_add(n) && run.state.status.is_ok() {
        step += 1;
        let mut full_gradient_is_zero = |params: &[f64]| {
            let mut grad = vec![0.0; params.len()];
            model.gradient(params, &mut grad);
            grad.iter().all(|&g| g == 0.0)
        };
        let check: Option<ZeroGradientCheck<'_>> =
            run.batcher.is_some().then_some(&mut full_gradient_is_zero);
        let mut objective = LinearObjective {
            model,
            batch: run.batcher.as_mut().map(Batcher::next),
        };
        run.state.advance(step, &mut objective, check);
        if !separable {
            check_convergence(model, run, step);
        }
        // A diverged step has no direction worth drawing; a frozen one still has one.
        let diverged = matches!(run.state.status, RunStatus::Diverged { .. });
        if !diverged && run.trail.wants(step) {
            let record = trail_record(data, model.has_bias(), &run.state.params);
            run.trail.offer(step, &record);
            record_trace(run, model, data, step);
        }
    }
}

/// minᵢ yᵢ(⟨`direction`, xᵢ⟩ + `offset`): the geometric margin of a unit direction with the
/// intercept b/‖w‖ (NaN when there is no direction).
fn geometric_margin(data: &LinearData, direction: &[f64], offset: f64) -> f64 {
    if direction.iter().all(|&v| v == 0.0) || !offset.is_finite() {
        return f64::NAN;
    }
    (0..data.len())
        .map(|i| data.labels[i] * (dot(direction, data.point(i)) + offset))
        .fold(f64::INFINITY, f64::min)
}

/// A trail record of `theta`: the unit direction w/‖w‖, then its geometric margin.
fn trail_record(data: &LinearData, bias: bool, theta: &[f64]) -> Vec<f64> {
    let weights = &theta[..data.dim];
    let mut record = unit(weights);
    let offset = if bias {
        theta[data.dim] / norm2(weights)
    } else {
        0.0
    };
    let margin = geometric_margin(data, &record, offset);
    record.push(margin);
    record
}

/// Marks `run` converged after `step` when its full gradient is zero to working precision at
/// two checks in a row, or at once when the update stopped moving it (it would be frozen).
/// Only called on data that are not separable.
fn check_convergence(model: &LinearModel, run: &mut LinearRun, step: u64) {
    let frozen = matches!(run.state.status, RunStatus::Frozen { .. });
    if !frozen && (!run.state.status.is_ok() || !step.is_multiple_of(CHECK_EVERY)) {
        return;
    }
    let at_minimiser = at_minimiser(model, &run.state.params);
    if at_minimiser && (frozen || run.was_at_minimiser) {
        run.state.status = RunStatus::Converged { step };
    }
    run.was_at_minimiser = at_minimiser;
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
    /// The max-margin problem the theory says this run tends to, if any (its reference is
    /// always computed, listed in the preset or not).
    pub predicted: Option<MarginNorm>,
    /// Moving, frozen, converged or diverged.
    pub status: RunStatus,
    /// Log-spaced history of the direction w/‖w‖ (dim values per record) and its geometric
    /// margin (one more value, NaN while w = 0), for the gap chart's margin gap.
    pub trail: History,
    /// At the trail's steps: θ = (w, b) as is (dim, plus 1 with a bias), the loss, the margin
    /// (NaN for w = 0) — the rows of an exported trace.
    pub trace: History,
}
