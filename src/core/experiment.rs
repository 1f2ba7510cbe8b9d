//! An experiment: data, a model, several runs (optimizer + start) and exact references.
//!
//! Both the headless commands and the dashboard's worker drive the same [`Experiment`]: `step(n)`
//! advances every run by n steps and `snapshot()` returns an owned summary (metrics, statuses,
//! bounded trails) that can be printed as JSON or drawn. Runs that froze (an update left the
//! parameters bit-identical and nothing can move them again) or diverged (a non-finite value)
//! stop with the step it happened, so such runs are shown honestly and cost nothing afterwards.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::data::{LinearData, MatrixData};
use super::history::{History, Spacing};
use super::model::{LinearModel, Loss, MatrixModel, dot};
use super::optim::{Optimizer, OptimizerSpec};
use super::reference::{
    MarginNorm, MaxMarginReference, NuclearReference, ReferenceError, max_margin, min_nuclear_norm,
};

/// Most points a trail keeps per run (log-spaced, thinned when full).
pub const TRAIL_CAPACITY: usize = 600;
/// Largest matrix side for which the min-nuclear-norm reference is computed: its solver takes
/// about a second at 200×200 and grows with the cube of the side.
pub const NUCLEAR_REFERENCE_MAX_SIDE: usize = 200;
/// Most spectra a matrix run keeps (every `svd_every` steps, halved when full).
pub const SPECTRUM_CAPACITY: usize = 400;

/// How the dashboard arranges the runs of a linear experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// All runs on one circle (the article's experiment 1).
    Overlay,
    /// One pane per run, with the same references (the article's experiment 3).
    SideBySide,
}

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
    /// Dashboard arrangement of the runs.
    pub layout: Layout,
    /// Which max-margin references to compute (linear experiments).
    pub references: Vec<MarginNorm>,
    /// Whether to compute the min-nuclear-norm reference (matrix experiments).
    pub nuclear_reference: bool,
    /// Record singular values every this many steps (matrix experiments).
    pub svd_every: u64,
}

/// The two kinds of experiment.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A linear classifier on labelled points.
    Linear(LinearProblem),
    /// Matrix completion with M = U Vᵀ.
    Matrix(MatrixProblem),
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

/// Matrix completion: the data, the factor width and the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixProblem {
    /// M* and the mask.
    pub data: MatrixData,
    /// Inner width k of U (m×k) and V (n×k).
    pub width: usize,
    /// The runs: optimizer and start (U₀, V₀).
    pub runs: Vec<MatrixRunSpec>,
}

/// One matrix run.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRunSpec {
    /// The optimizer.
    pub optimizer: OptimizerSpec,
    /// The scale the start was drawn at (for labels; the start itself is below).
    pub init_scale: f64,
    /// U₀ (m×k).
    pub u0: DMatrix<f64>,
    /// V₀ (n×k).
    pub v0: DMatrix<f64>,
}

/// Whether a run is still moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Moving normally.
    Ok,
    /// The update at this step left the parameters bit-identical and nothing can change that:
    /// the gradient underflowed (or is too small to register), so the run stands still for ever.
    Frozen {
        /// The step whose update changed nothing.
        step: u64,
    },
    /// Computing this step met a NaN or infinite value: in the gradient or loss at the step's
    /// starting point, or in the parameters it produced. The run stops there.
    Diverged {
        /// The step whose computation met the non-finite value.
        step: u64,
    },
}

impl RunStatus {
    /// `ok`, `frozen` or `diverged`, as in the JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Frozen { .. } => "frozen",
            RunStatus::Diverged { .. } => "diverged",
        }
    }

    /// The step the run stopped at, if it stopped.
    #[must_use]
    pub fn step(self) -> Option<u64> {
        match self {
            RunStatus::Ok => None,
            RunStatus::Frozen { step } | RunStatus::Diverged { step } => Some(step),
        }
    }

    /// True while the run still moves.
    #[must_use]
    pub fn is_ok(self) -> bool {
        self == RunStatus::Ok
    }
}

/// The parameters, optimizer state and bookkeeping every run has.
struct RunState {
    params: Vec<f64>,
    before: Vec<f64>,
    grad: Vec<f64>,
    optimizer: Box<dyn Optimizer>,
    status: RunStatus,
}

impl RunState {
    fn new(spec: &OptimizerSpec, params: Vec<f64>) -> Self {
        let n = params.len();
        Self {
            optimizer: spec.build(n),
            before: params.clone(),
            grad: vec![0.0; n],
            params,
            status: RunStatus::Ok,
        }
    }

    /// Applies the optimizer to the gradient in `self.grad` and classifies the outcome.
    ///
    /// A run is frozen when the update left the parameters bit-identical and nothing can change
    /// that: a memoryless rule on the full batch will compute the same gradient and the same
    /// no-op for ever; any other rule must also be at rest with a zero full gradient. For
    /// mini-batches `full_gradient_is_zero` computes that full gradient (only in this rare case).
    fn apply(&mut self, step: u64, full_gradient_is_zero: Option<ZeroGradientCheck<'_>>) {
        self.before.copy_from_slice(&self.params);
        self.optimizer.step(&mut self.params, &self.grad);
        // Almost every step moves the first parameter, so this usually stops at once.
        let unchanged = self
            .params
            .iter()
            .zip(&self.before)
            .all(|(new, old)| new.to_bits() == old.to_bits());
        // A NaN or infinite gradient is divergence even when the rule ignores it (sign(NaN)
        // moves nothing): the run must not pass for frozen. Folded without short-circuit so
        // the loop vectorises.
        let finite = self
            .params
            .iter()
            .zip(&self.grad)
            .fold(true, |all, (p, g)| all & p.is_finite() & g.is_finite());
        if !finite {
            self.status = RunStatus::Diverged { step };
        } else if unchanged {
            let frozen = match full_gradient_is_zero {
                None => {
                    self.optimizer.is_memoryless()
                        || (self.optimizer.at_rest() && self.grad.iter().all(|&g| g == 0.0))
                }
                Some(is_zero) => self.optimizer.at_rest() && is_zero(&self.params),
            };
            if frozen {
                self.status = RunStatus::Frozen { step };
            }
        }
    }
}

/// Computes whether the full-batch gradient at some parameters is exactly zero.
type ZeroGradientCheck<'a> = &'a dyn Fn(&[f64]) -> bool;

/// Shuffled mini-batches, reshuffled every epoch, as a torch DataLoader with `shuffle=True` and
/// `drop_last=False`: an epoch's last batch is short when the batch size does not divide n.
struct Batcher {
    order: Vec<usize>,
    position: usize,
    size: usize,
    rng: StdRng,
}

impl Batcher {
    fn next(&mut self) -> &[usize] {
        if self.position >= self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.position = 0;
        }
        let end = (self.position + self.size).min(self.order.len());
        let batch = &self.order[self.position..end];
        self.position = end;
        batch
    }
}

struct LinearRun {
    spec: LinearRunSpec,
    state: RunState,
    batcher: Option<Batcher>,
    /// Per record: the unit weight direction w/‖w‖ (dim values).
    trail: History,
}

struct LinearExperiment {
    data: LinearData,
    model: LinearModel,
    runs: Vec<LinearRun>,
    references: Vec<LinearReference>,
}

/// A selected max-margin reference, or why it does not exist.
pub type LinearReference = (MarginNorm, Result<MaxMarginReference, ReferenceError>);

struct MatrixRun {
    spec: MatrixRunSpec,
    state: RunState,
    /// Per record: the top singular values (min(m, n, k) of them, descending).
    spectra: History,
}

struct MatrixExperiment {
    model: MatrixModel,
    data: MatrixData,
    runs: Vec<MatrixRun>,
    reference: Option<NuclearReference>,
    reference_note: Option<String>,
    svd_every: u64,
}

enum Body {
    Linear(LinearExperiment),
    Matrix(Box<MatrixExperiment>),
}

/// A running experiment: every run advances in lock-step, one global step counter.
pub struct Experiment {
    spec: ExperimentSpec,
    step: u64,
    body: Body,
}

impl Experiment {
    /// Builds the experiment and computes its exact references.
    #[must_use]
    pub fn new(spec: ExperimentSpec) -> Self {
        let body = match &spec.problem {
            Problem::Linear(problem) => Body::Linear(LinearExperiment::new(problem, &spec)),
            Problem::Matrix(problem) => {
                Body::Matrix(Box::new(MatrixExperiment::new(problem, &spec)))
            }
        };
        let mut experiment = Self {
            spec,
            step: 0,
            body,
        };
        experiment.record();
        experiment
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

    /// True when every run has frozen or diverged, so stepping changes nothing.
    #[must_use]
    pub fn all_stopped(&self) -> bool {
        match &self.body {
            Body::Linear(e) => e.runs.iter().all(|r| !r.state.status.is_ok()),
            Body::Matrix(e) => e.runs.iter().all(|r| !r.state.status.is_ok()),
        }
    }

    /// Advances every run by `n` steps (stopped runs stay where they stopped).
    pub fn step(&mut self, n: u64) {
        let start = self.step;
        match &mut self.body {
            Body::Linear(e) => e.step(start, n),
            Body::Matrix(e) => e.step(start, n),
        }
        self.step = start.saturating_add(n);
    }

    fn record(&mut self) {
        let step = self.step;
        match &mut self.body {
            Body::Linear(e) => e.record_all(step),
            Body::Matrix(e) => e.record_all(step),
        }
    }

    /// An owned summary of the current state: metrics, statuses, references and trails.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let body = match &self.body {
            Body::Linear(e) => SnapshotBody::Linear(e.snapshot()),
            Body::Matrix(e) => SnapshotBody::Matrix(e.snapshot()),
        };
        Snapshot {
            step: self.step,
            body,
        }
    }
}

impl LinearExperiment {
    fn new(problem: &LinearProblem, spec: &ExperimentSpec) -> Self {
        let model = LinearModel::new(&problem.data, problem.loss, problem.bias);
        let references = spec
            .references
            .iter()
            .map(|&norm| (norm, max_margin(&problem.data, norm, problem.bias)))
            .collect();
        let runs = problem
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| LinearRun {
                state: RunState::new(&run.optimizer, run.init.clone()),
                batcher: run
                    .optimizer
                    .batch
                    .filter(|&b| b < problem.data.len())
                    .map(|size| Batcher {
                        order: (0..problem.data.len()).collect(),
                        position: usize::MAX,
                        size,
                        rng: StdRng::seed_from_u64(
                            spec.seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(i as u64 + 1),
                        ),
                    }),
                trail: History::new(
                    problem.data.dim,
                    TRAIL_CAPACITY,
                    Spacing::Log { per_decade: 60.0 },
                ),
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
                }
            }
        }
    }

    fn record_all(&mut self, step: u64) {
        let dim = self.data.dim;
        for run in &mut self.runs {
            run.trail.offer(step, &unit(&run.state.params[..dim]));
        }
    }

    fn snapshot(&self) -> LinearSnapshot {
        let dim = self.data.dim;
        let runs = self
            .runs
            .iter()
            .map(|run| {
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
                let margin = if has_direction {
                    (0..self.data.len())
                        .map(|i| {
                            self.data.labels[i]
                                * (dot(&direction, self.data.point(i)) + bias / norm)
                        })
                        .fold(f64::INFINITY, f64::min)
                } else {
                    f64::NAN
                };
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
                    direction,
                    norm,
                    bias: self.model.has_bias().then_some(bias),
                    loss: self.model.loss(theta),
                    margin,
                    angles,
                    status: run.state.status,
                    trail: run.trail.clone(),
                }
            })
            .collect();
        LinearSnapshot {
            dim,
            loss: self.model.loss_kind(),
            bias: self.model.has_bias(),
            references: self.references.clone(),
            runs,
        }
    }
}

/// ‖v‖₂ without overflow or underflow for extreme magnitudes.
#[must_use]
pub fn norm2(v: &[f64]) -> f64 {
    if v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let scale = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|x| (x / scale).powi(2)).sum::<f64>().sqrt()
}

/// v/‖v‖₂; the zero vector stays zero and a non-finite one gives NaNs (no direction to show).
#[must_use]
pub fn unit(v: &[f64]) -> Vec<f64> {
    let norm = norm2(v);
    if norm == 0.0 {
        return vec![0.0; v.len()];
    }
    if !norm.is_finite() {
        return vec![f64::NAN; v.len()];
    }
    v.iter().map(|x| x / norm).collect()
}

/// The angle between two unit vectors in degrees, accurate near 0° and 180° (unlike acos):
/// 2·atan2(‖a − b‖, ‖a + b‖).
#[must_use]
pub fn angle_degrees(a: &[f64], b: &[f64]) -> f64 {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let sum: Vec<f64> = a.iter().zip(b).map(|(x, y)| x + y).collect();
    2.0 * norm2(&diff).atan2(norm2(&sum)).to_degrees()
}

impl MatrixExperiment {
    fn new(problem: &MatrixProblem, spec: &ExperimentSpec) -> Self {
        let model = MatrixModel::new(&problem.data, problem.width);
        let (m, n) = problem.data.target.shape();
        let kept = m.min(n).min(problem.width);
        let runs = problem
            .runs
            .iter()
            .map(|run| {
                let mut params = Vec::with_capacity(model.parameter_count());
                params.extend_from_slice(run.u0.as_slice());
                params.extend_from_slice(run.v0.as_slice());
                MatrixRun {
                    state: RunState::new(&run.optimizer, params),
                    spectra: History::new(
                        kept,
                        SPECTRUM_CAPACITY,
                        Spacing::Linear {
                            stride: spec.svd_every.max(1),
                        },
                    ),
                    spec: run.clone(),
                }
            })
            .collect();
        let too_large = m.max(n) > NUCLEAR_REFERENCE_MAX_SIDE;
        let reference =
            (spec.nuclear_reference && !too_large).then(|| min_nuclear_norm(&problem.data));
        let reference_note = (spec.nuclear_reference && too_large).then(|| {
            format!(
                "min-nuclear-norm: skipped, the matrix is {m}×{n} and the exact solver is only \
                 run up to {NUCLEAR_REFERENCE_MAX_SIDE} per side (it would take minutes); set \
                 [show] references = [] to silence this"
            )
        });
        Self {
            model,
            data: problem.data.clone(),
            runs,
            reference,
            reference_note,
            svd_every: spec.svd_every.max(1),
        }
    }

    fn step(&mut self, start: u64, n: u64) {
        for run in &mut self.runs {
            let mut step = start;
            while step < start.saturating_add(n) && run.state.status.is_ok() {
                step += 1;
                let loss = self.model.gradient(&run.state.params, &mut run.state.grad);
                if !loss.is_finite() {
                    run.state.status = RunStatus::Diverged { step };
                    break;
                }
                run.state.apply(step, None);
                if step.is_multiple_of(self.svd_every) && run.spectra.wants(step) {
                    let spectrum = spectrum(&self.model, &run.state.params, run.spectra.width());
                    run.spectra.offer(step, &spectrum);
                }
            }
        }
    }

    fn record_all(&mut self, step: u64) {
        for run in &mut self.runs {
            let spectrum = spectrum(&self.model, &run.state.params, run.spectra.width());
            run.spectra.offer(step, &spectrum);
        }
    }

    fn snapshot(&self) -> MatrixSnapshot {
        let runs = self
            .runs
            .iter()
            .map(|run| {
                let product = self.model.product(&run.state.params);
                let singular_values = singular_values(&product);
                MatrixRunSnapshot {
                    optimizer: run.spec.optimizer.clone(),
                    init_scale: run.spec.init_scale,
                    train_loss: self.model.train_loss(&product),
                    test_error: self.model.test_error(&product),
                    nuclear_norm: singular_values.iter().sum(),
                    effective_rank: effective_rank(&singular_values),
                    singular_values,
                    status: run.state.status,
                    spectra: run.spectra.clone(),
                    product,
                }
            })
            .collect();
        MatrixSnapshot {
            target: self.data.target.clone(),
            mask: self.data.mask.clone(),
            reference: self.reference.clone(),
            reference_note: self.reference_note.clone(),
            runs,
        }
    }
}

/// The top `count` singular values of U Vᵀ, descending.
fn spectrum(model: &MatrixModel, params: &[f64], count: usize) -> Vec<f64> {
    let mut values = singular_values(&model.product(params));
    values.truncate(count);
    values
}

/// All singular values of `m`, descending (NaN-free input assumed; NaNs sort last).
#[must_use]
pub fn singular_values(m: &DMatrix<f64>) -> Vec<f64> {
    if m.iter().any(|v| !v.is_finite()) {
        return vec![f64::NAN; m.nrows().min(m.ncols())];
    }
    let mut values: Vec<f64> = m.singular_values().iter().copied().collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// Roy and Vetterli's effective rank exp(H(p)), pᵢ = σᵢ/Σσ: 1 for a rank-1 matrix, r for r
/// equal singular values, and continuous in between (0 for the zero matrix, NaN for a diverged
/// one).
#[must_use]
pub fn effective_rank(singular_values: &[f64]) -> f64 {
    let total: f64 = singular_values.iter().sum();
    if !total.is_finite() {
        return f64::NAN;
    }
    if total <= 0.0 {
        return 0.0;
    }
    let entropy: f64 = singular_values
        .iter()
        .map(|s| s / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    entropy.exp()
}

/// An owned picture of an experiment at one step.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Steps taken.
    pub step: u64,
    /// Linear or matrix details.
    pub body: SnapshotBody,
}

/// The per-kind part of a [`Snapshot`].
#[derive(Debug, Clone)]
pub enum SnapshotBody {
    /// A linear experiment.
    Linear(LinearSnapshot),
    /// A matrix experiment.
    Matrix(MatrixSnapshot),
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
}

/// A matrix experiment's state.
#[derive(Debug, Clone)]
pub struct MatrixSnapshot {
    /// M*.
    pub target: DMatrix<f64>,
    /// The observation mask.
    pub mask: DMatrix<f64>,
    /// The min-nuclear-norm completion, when asked for.
    pub reference: Option<NuclearReference>,
    /// Why an asked-for reference is missing (a matrix too large to solve exactly).
    pub reference_note: Option<String>,
    /// One entry per run.
    pub runs: Vec<MatrixRunSnapshot>,
}

/// One matrix run's state.
#[derive(Debug, Clone)]
pub struct MatrixRunSnapshot {
    /// Its optimizer.
    pub optimizer: OptimizerSpec,
    /// The scale of its start.
    pub init_scale: f64,
    /// All singular values of M = U Vᵀ, descending.
    pub singular_values: Vec<f64>,
    /// ½‖(M − M*) ⊙ mask‖².
    pub train_loss: f64,
    /// Relative error on the held-out entries.
    pub test_error: f64,
    /// Σσᵢ.
    pub nuclear_norm: f64,
    /// Roy–Vetterli effective rank.
    pub effective_rank: f64,
    /// Moving, frozen or diverged.
    pub status: RunStatus,
    /// Top singular values every `svd_every` steps (bounded).
    pub spectra: History,
    /// The current M.
    pub product: DMatrix<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_serves_every_point_once_with_a_short_last_batch() {
        let mut batcher = Batcher {
            order: (0..10).collect(),
            position: usize::MAX,
            size: 3,
            rng: StdRng::seed_from_u64(1),
        };
        for _ in 0..3 {
            let mut seen: Vec<usize> = Vec::new();
            let sizes: Vec<usize> = (0..4)
                .map(|_| {
                    let batch = batcher.next();
                    seen.extend_from_slice(batch);
                    batch.len()
                })
                .collect();
            assert_eq!(sizes, [3, 3, 3, 1]);
            seen.sort_unstable();
            assert_eq!(seen, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn norms_and_ranks_of_diverged_values_are_nan() {
        assert!(norm2(&[1.0, f64::NAN]).is_nan());
        assert!(effective_rank(&[1.0, f64::NAN]).is_nan());
        assert_eq!(effective_rank(&[0.0, 0.0]), 0.0);
        assert!((effective_rank(&[2.0, 2.0]) - 2.0).abs() < 1e-15);
        assert!(unit(&[f64::INFINITY, 1.0]).iter().all(|v| v.is_nan()));
    }
}
