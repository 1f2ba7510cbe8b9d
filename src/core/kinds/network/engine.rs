//! The network kind's running state: every run steps its own copy of the network in lock-step,
//! and every `sharpness_every` steps measures the sharpness where it stands.
//!
//! Each step asks the run's optimizer for one update (full batch, or one shuffled mini-batch),
//! classifies it by the rule every kind follows (frozen and diverged runs stop with the step; a
//! run frozen at a minimum, its exact gradient zero, is `converged`: see `runs.rs`), and at
//! steps that are multiples
//! of `sharpness_every` (and at step 0) measures λ_max(∇²L) over the full data by Lanczos on
//! exact Hessian-vector products, warm-started from the previous eigenvector (deterministic: the
//! first start is drawn from the seed). For Adam and RMSprop it also measures λ_max(P⁻¹∇²L) with
//! the preconditioner P of their last update, the quantity that meets their threshold.
//!
//! The thresholds (where a quadratic with that curvature stops being stable for the rule, at
//! the learning rate η of the next update, so schedules move them):
//!
//! | rule | threshold | of |
//! |---|---|---|
//! | GD, SGD, momentum 0, mirror p = 2 | 2/η | λ_max(H) |
//! | heavy-ball momentum β (torch's SGD) | (2 + 2β)/η | λ_max(H) |
//! | Nesterov momentum β | (2 + 2β)/((1 + 2β)η) | λ_max(H) |
//! | RMSprop | 2/η | λ_max(P⁻¹H), P = √v + ε |
//! | Adam | (2 + 2β₁)/((1 − β₁)η) | λ_max(P⁻¹H), P = √v̂ + ε |
//!
//! Heavy ball b ← βb + g, θ ← θ − ηb on curvature λ has the characteristic polynomial
//! z² − (1 + β − ηλ)z + β, which has a root at −1 exactly when ηλ = 2 + 2β; Nesterov's
//! θ ← θ − η(g + βb) has z² − (1 + β − ηλ(1 + β))z + β(1 − ηλ), a root at −1 when
//! ηλ(1 + 2β) = 2 + 2β. Adam's threshold is Cohen et al. 2022's (its momentum is an average,
//! so it is heavy ball at rate η(1 − β₁)). The other rules (Adagrad, sign, normalized,
//! coordinate, mirror p ≠ 2) have no such fixed threshold: none is reported.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::problem::{NetworkProblem, NetworkRunSpec};
use super::runs::{at_minimum, curvature_seed};
use super::scalar::ScalarNet;
use super::sharpness::preconditioned_sharpness;
use super::{Architecture, Network};
use crate::core::data::RegressionData;
use crate::core::experiment::RunStatus;
use crate::core::history::{History, Spacing};
use crate::core::kinds::run::{Batcher, RunState, ZeroGradientCheck, batch_seed, step_runs};
use crate::core::lanczos::LanczosOptions;
use crate::core::optim::{Objective, Optimizer, OptimizerSpec, Rule};
use crate::core::par::Threads;

/// Most records each of a run's two histories keeps (then every other one is dropped and the
/// spacing doubles): 5,000 steps at `sharpness_every` = 10 fit without thinning.
pub const NETWORK_HISTORY_CAPACITY: usize = 1000;
/// The values of one history record, in order; NaN where a value is not known at that step
/// (the sharpness between measurements, a threshold the rule has not, the preconditioned
/// sharpness of a rule without a preconditioner, the factors of a network that is not the
/// scalar one).
pub const NETWORK_HISTORY_FIELDS: [&str; 6] = [
    "train_loss",
    "sharpness",
    "threshold",
    "preconditioned_sharpness",
    "a",
    "b",
];
/// One history record with its [`NETWORK_HISTORY_FIELDS`] by name (NaN where not known).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkRecord {
    /// The step it was taken at.
    pub step: u64,
    /// The training loss.
    pub train_loss: f64,
    /// λmax(H), at the steps it was measured.
    pub sharpness: f64,
    /// The rule's threshold at that step.
    pub threshold: f64,
    /// λmax(P⁻¹H) for Adam and RMSprop, at the steps it was measured.
    pub preconditioned: f64,
    /// The scalar network's output weight a ([`ScalarNet::factors`]), for the path its run
    /// draws in the (a, b) plane.
    pub a: f64,
    /// Its input weight b.
    pub b: f64,
}

impl NetworkRecord {
    /// The curvature the threshold is about: the preconditioned sharpness where the rule has
    /// one, else the sharpness.
    #[must_use]
    pub fn curvature(&self) -> f64 {
        if self.preconditioned.is_finite() {
            self.preconditioned
        } else {
            self.sharpness
        }
    }
}

/// Points of the fitted function drawn for 1-D inputs.
pub const LINE_GRID: usize = 101;
/// Points per side of the decision-value grid for 2-D inputs.
pub const PLANE_GRID: usize = 25;

/// The threshold of `optimizer` at `step` (the learning rate of update `step + 1`): see the
/// module table. `None` for rules without one.
#[must_use]
pub fn threshold(optimizer: &OptimizerSpec, step: u64) -> Option<f64> {
    let lr = optimizer.schedule.rate(optimizer.lr, step + 1);
    match optimizer.rule {
        Rule::Gd | Rule::RmsProp { .. } | Rule::Mirror { p: 2.0 } => Some(2.0 / lr),
        Rule::Sgd(heavy) | Rule::Momentum(heavy) => {
            let momentum = heavy.momentum;
            Some(if momentum == 0.0 {
                2.0 / lr
            } else if heavy.nesterov {
                (2.0 + 2.0 * momentum) / ((1.0 + 2.0 * momentum) * lr)
            } else {
                (2.0 + 2.0 * momentum) / lr
            })
        }
        Rule::Adam { beta1, .. } => Some((2.0 + 2.0 * beta1) / ((1.0 - beta1) * lr)),
        _ => None,
    }
}

/// One curvature measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvatureEstimate {
    /// The step whose parameters it was measured at.
    pub step: u64,
    /// The `top_k` largest Hessian eigenvalues, largest first (NaN when Lanczos failed: a
    /// Hessian product was not finite).
    pub eigenvalues: Vec<f64>,
    /// λ_max(P⁻¹H) for Adam and RMSprop (NaN before their first update); `None` otherwise.
    pub preconditioned: Option<f64>,
    /// Hessian-vector products the measurement took.
    pub products: usize,
}

impl CurvatureEstimate {
    /// The sharpness λ_max(H).
    #[must_use]
    pub fn sharpness(&self) -> f64 {
        self.eigenvalues.first().copied().unwrap_or(f64::NAN)
    }
}

/// A run's curvature measurements: their settings, warm starts and the latest result.
#[derive(Debug, Clone)]
struct Curvature {
    options: LanczosOptions,
    /// The start of the next estimate of H (the seeded vector, then the last eigenvector) and
    /// of P^{−½}HP^{−½}.
    start: Vec<f64>,
    start_preconditioned: Vec<f64>,
    /// The seeded vector itself, for the test of negative curvature where a run stops (the
    /// top eigenvector may be orthogonal to the bottom one).
    seeded: Vec<f64>,
    latest: Option<CurvatureEstimate>,
}

impl Curvature {
    fn new(parameters: usize, top_k: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let start: Vec<f64> = (0..parameters)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        Self {
            options: LanczosOptions {
                count: top_k,
                ..LanczosOptions::default()
            },
            start_preconditioned: start.clone(),
            seeded: start.clone(),
            start,
            latest: None,
        }
    }

    /// Measures at `params` (step `step`) and keeps the eigenvectors as the next starts.
    fn measure(
        &mut self,
        network: &mut Network,
        params: &[f64],
        adaptive: Option<&dyn Optimizer>,
        step: u64,
    ) {
        let (eigenvalues, products) =
            match preconditioned_sharpness(network, params, None, &self.start, self.options) {
                Ok(found) => {
                    self.start = found.vector;
                    (found.values, found.products)
                }
                Err(_) => (vec![f64::NAN; self.options.count], 0),
            };
        let preconditioned = adaptive.map(|optimizer| {
            // Not defined before the first update, nor where an entry is not a positive
            // number (ε = 0 with a coordinate that never moved).
            let diagonal = optimizer.preconditioner();
            let Some(diagonal) = diagonal.filter(|p| p.iter().all(|x| x.is_finite() && *x > 0.0))
            else {
                return f64::NAN;
            };
            let options = LanczosOptions {
                count: 1,
                ..self.options
            };
            let start = &self.start_preconditioned;
            match preconditioned_sharpness(network, params, Some(&diagonal), start, options) {
                Ok(found) => {
                    self.start_preconditioned = found.vector;
                    found.values[0]
                }
                Err(_) => f64::NAN,
            }
        });
        self.latest = Some(CurvatureEstimate {
            step,
            eigenvalues,
            preconditioned,
            products,
        });
    }
}

/// A run's bounded histories: a log-spaced one (dense early, for log-t views and the trace),
/// and one at every sharpness measurement (every `sharpness_every` steps until it fills, then
/// every other one), each record the [`NETWORK_HISTORY_FIELDS`].
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkHistory {
    /// Log-spaced records.
    pub log: History,
    /// Records at the sharpness measurements; `None` when the sharpness is off.
    pub sharpness: Option<History>,
}

impl NetworkHistory {
    fn new(sharpness_every: u64) -> Self {
        let fields = NETWORK_HISTORY_FIELDS.len();
        Self {
            log: History::new(
                fields,
                NETWORK_HISTORY_CAPACITY,
                Spacing::Log { per_decade: 60.0 },
            ),
            sharpness: (sharpness_every > 0).then(|| {
                History::new(
                    fields,
                    NETWORK_HISTORY_CAPACITY,
                    Spacing::Linear {
                        stride: sharpness_every,
                    },
                )
            }),
        }
    }

    /// Whether either history wants `step`.
    fn wants(&self, step: u64) -> bool {
        self.log.wants(step) || self.sharpness.as_ref().is_some_and(|h| h.wants(step))
    }

    fn offer(&mut self, step: u64, record: &[f64]) {
        self.log.offer(step, record);
        if let Some(history) = &mut self.sharpness {
            history.offer(step, record);
        }
    }

    /// Every record of both histories by step, one per step (the two hold the same values at
    /// a step both kept), its fields named: read each frame by the charts, so no record is
    /// copied into a vector of its own.
    #[must_use]
    pub fn named(&self) -> Vec<NetworkRecord> {
        let mut records: Vec<NetworkRecord> = self
            .log
            .iter()
            .chain(self.sharpness.iter().flat_map(History::iter))
            .map(|(step, r)| NetworkRecord {
                step,
                train_loss: r[0],
                sharpness: r[1],
                threshold: r[2],
                preconditioned: r[3],
                a: r[4],
                b: r[5],
            })
            .collect();
        records.sort_by_key(|r| r.step);
        records.dedup_by_key(|r| r.step);
        records
    }

    /// (step, `value` of the record) for every record where it is finite: a line to draw.
    #[must_use]
    pub fn points(&self, value: impl Fn(&NetworkRecord) -> f64) -> Vec<(f64, f64)> {
        self.named()
            .iter()
            .map(|r| (r.step as f64, value(r)))
            .filter(|(_, v)| v.is_finite())
            .collect()
    }

    /// [`Self::named`] as plain rows of the [`NETWORK_HISTORY_FIELDS`].
    #[must_use]
    pub fn records(&self) -> Vec<(u64, Vec<f64>)> {
        self.named()
            .into_iter()
            .map(|r| {
                let row = vec![
                    r.train_loss,
                    r.sharpness,
                    r.threshold,
                    r.preconditioned,
                    r.a,
                    r.b,
                ];
                (r.step, row)
            })
            .collect()
    }
}

/// The loss a run's optimizer minimises at one step: the full batch or one mini-batch. The
/// scaled gradient of normalized descent is the gradient itself (c = 1: a network's loss does
/// not underflow the way a separable linear model's does).
struct NetworkObjective<'a> {
    network: &'a mut Network,
    batch: Option<&'a [usize]>,
    /// The loss at the parameters the gradient was last taken at.
    loss: f64,
}

impl Objective for NetworkObjective<'_> {
    fn gradient(&mut self, params: &[f64], grad: &mut [f64]) {
        self.loss = match self.batch {
            Some(batch) => self.network.batch_gradient(params, batch, grad),
            None => self.network.gradient(params, grad),
        };
    }

    fn scaled_gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.gradient(params, grad);
        self.loss
    }
}

/// One run: its spec, network buffers (of its own architecture), parameters, optimizer state
/// and measurements.
struct NetworkRun {
    spec: NetworkRunSpec,
    /// Its name ([`NetworkProblem::label`]), fixed when it is built: it needs the `[model]`
    /// shape, which the run alone does not know.
    label: String,
    /// Whether its architecture differs from the `[model]` one, for the reports.
    own_architecture: bool,
    init_scale: f64,
    network: Network,
    /// Its parameters, gradient, optimizer and status, as every kind's run has them.
    state: RunState,
    batcher: Option<Batcher>,
    /// Whether its rule divides by a preconditioner (Adam, RMSprop), whose λmax(P⁻¹H) is then
    /// measured beside λmax(H).
    adaptive: bool,
    curvature: Curvature,
    /// L at the current parameters over every point (NaN once diverged).
    train_loss: f64,
    history: NetworkHistory,
    /// Whether it trains the scalar network f(x) = a·b·x, whose records then hold (a, b).
    scalar: bool,
}

/// What every run reads while stepping: the measurement schedule.
#[derive(Debug, Clone, Copy)]
struct CurvatureSchedule {
    sharpness_every: u64,
}

impl CurvatureSchedule {
    fn measures(self, step: u64) -> bool {
        self.sharpness_every > 0 && step.is_multiple_of(self.sharpness_every)
    }
}

impl NetworkRun {
    /// Takes the run through steps `start + 1 ..= start + n` (fewer if it stops), on any
    /// thread: it owns its buffers and state, so the result is the same bits.
    fn advance(&mut self, schedule: CurvatureSchedule, start: u64, n: u64) {
        let mut step = start;
        while step < start.saturating_add(n) && self.state.status.is_ok() {
            step += 1;
            let batch = self.batcher.as_mut().map(Batcher::next);
            let mut objective = NetworkObjective {
                network: &mut self.network,
                batch,
                loss: f64::NAN,
            };
            let mut update = self.state.update(&mut objective);
            update.finite &= objective.loss.is_finite();
            let network = &mut self.network;
            let mut full_gradient_is_zero = |params: &[f64]| {
                let mut full = vec![0.0; params.len()];
                network.gradient(params, &mut full);
                full.iter().all(|&g| g == 0.0)
            };
            let check: Option<ZeroGradientCheck<'_>> =
                self.batcher.is_some().then_some(&mut full_gradient_is_zero);
            self.state.classify(step, update, check);
            match self.state.status {
                RunStatus::Diverged { .. } => break,
                RunStatus::Frozen { step }
                    if at_minimum(
                        &mut self.network,
                        &self.state.params,
                        &self.curvature.seeded,
                    ) =>
                {
                    self.state.status = RunStatus::Converged { step };
                }
                _ => {}
            }
            self.observe(schedule, step, false);
        }
        self.train_loss = if matches!(self.state.status, RunStatus::Diverged { .. }) {
            f64::NAN
        } else {
            self.network.loss(&self.state.params)
        };
    }

    /// At `step`: measures the curvature when the schedule says so (and it was not measured
    /// there yet), and records the histories when they want the step (or always, with `all`).
    fn observe(&mut self, schedule: CurvatureSchedule, step: u64, all: bool) {
        let measured = self.curvature.latest.as_ref().map(|e| e.step);
        if schedule.measures(step) && measured != Some(step) {
            let adaptive = self.adaptive.then_some(self.state.optimizer());
            self.curvature
                .measure(&mut self.network, &self.state.params, adaptive, step);
        }
        if all || self.history.wants(step) {
            let loss = self.network.loss(&self.state.params);
            let record = self.record(loss, step);
            self.history.offer(step, &record);
        }
    }

    /// The history record at `step` with loss `loss`.
    fn record(&self, loss: f64, step: u64) -> [f64; NETWORK_HISTORY_FIELDS.len()] {
        let here = self.curvature.latest.as_ref().filter(|e| e.step == step);
        let (a, b) = if self.scalar {
            ScalarNet::factors(&self.state.params)
        } else {
            (f64::NAN, f64::NAN)
        };
        [
            loss,
            here.map_or(f64::NAN, CurvatureEstimate::sharpness),
            threshold(&self.spec.optimizer, step).unwrap_or(f64::NAN),
            here.and_then(|e| e.preconditioned).unwrap_or(f64::NAN),
            a,
            b,
        ]
    }
}

/// A network experiment: the shared data and every run.
pub struct NetworkExperiment {
    data: Arc<RegressionData>,
    architecture: Architecture,
    schedule: CurvatureSchedule,
    top_k: usize,
    runs: Vec<NetworkRun>,
    /// The last step any method was told of: the thresholds' step.
    step: u64,
}

/// The points of a view's grid: per input, its range, and the points row-major.
#[derive(Debug, Clone)]
struct GridPoints {
    axes: Vec<(f64, f64)>,
    resolution: usize,
    points: Vec<f64>,
}

impl GridPoints {
    /// A grid over the data's range, widened by a tenth on each side: a line of [`LINE_GRID`]
    /// points for 1-D data, [`PLANE_GRID`]² points for 2-D data (x₁ fastest), none otherwise.
    fn of(data: &RegressionData) -> Option<Self> {
        let resolution = match data.dim {
            1 => LINE_GRID,
            2 => PLANE_GRID,
            _ => return None,
        };
        let axes: Vec<(f64, f64)> = (0..data.dim)
            .map(|j| {
                let values = data.points.iter().skip(j).step_by(data.dim);
                let low = values.clone().fold(f64::INFINITY, |a, &b| a.min(b));
                let high = values.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                let margin = if high > low { 0.1 * (high - low) } else { 1.0 };
                (low - margin, high + margin)
            })
            .collect();
        let at = |(low, high): (f64, f64), i: usize| {
            low + (high - low) * i as f64 / (resolution - 1) as f64
        };
        let points = if data.dim == 1 {
            (0..resolution).map(|i| at(axes[0], i)).collect()
        } else {
            (0..resolution * resolution)
                .flat_map(|k| [at(axes[0], k % resolution), at(axes[1], k / resolution)])
                .collect()
        };
        Some(Self {
            axes,
            resolution,
            points,
        })
    }
}

impl NetworkExperiment {
    /// Builds every run at its start (see [`NetworkProblem::start`]) and measures it there:
    /// the loss, and the sharpness when it is on (step 0 is a multiple of every schedule). The
    /// registry's own `record_all(0)` after this changes nothing.
    ///
    /// # Panics
    /// When the problem does not pass [`NetworkProblem::check`] (a caller's bug: presets are
    /// checked before they get here).
    #[must_use]
    pub fn new(problem: &NetworkProblem, seed: u64) -> Self {
        if let Err(problem) = problem.check() {
            panic!("an unchecked network problem: {problem}");
        }
        let data = Arc::new(problem.data.clone());
        let points = data.len();
        let runs = problem
            .runs
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let architecture = problem.architecture_of(index);
                let parameters = architecture.parameter_count();
                let scalar = ScalarNet::is_scalar(&architecture);
                NetworkRun {
                    label: problem.label(index),
                    own_architecture: problem.has_own_architecture(index),
                    init_scale: problem.init_scale(index),
                    network: Network::sharing(architecture, Arc::clone(&data)),
                    state: RunState::new(&spec.optimizer, problem.start(index, seed)),
                    batcher: spec
                        .optimizer
                        .batch
                        .filter(|&size| size < points)
                        .map(|size| Batcher::new(points, size, batch_seed(seed, index))),
                    adaptive: matches!(
                        spec.optimizer.rule,
                        Rule::Adam { .. } | Rule::RmsProp { .. }
                    ),
                    curvature: Curvature::new(parameters, problem.top_k, curvature_seed(seed)),
                    train_loss: f64::NAN,
                    history: NetworkHistory::new(problem.sharpness_every),
                    scalar,
                    spec: spec.clone(),
                }
            })
            .collect();
        let mut experiment = Self {
            data,
            architecture: problem.architecture.clone(),
            schedule: CurvatureSchedule {
                sharpness_every: problem.sharpness_every,
            },
            top_k: problem.top_k,
            runs,
            step: 0,
        };
        experiment.record_all(0);
        experiment
    }

    /// Advances every run from step `start` by `n` steps (stopped runs stay where they are),
    /// keeping at most `threads` threads busy; the results do not depend on `threads`.
    pub fn step(&mut self, start: u64, n: u64, threads: Threads) {
        // The largest run's work decides whether runs share the threads; when every run has
        // the [model] shape this is that network's count, as it always was.
        let parameters = self
            .runs
            .iter()
            .map(|run| run.state.params.len())
            .max()
            .unwrap_or(0);
        let per_step = 3 * self.data.len() * parameters;
        let work = n.saturating_mul(per_step as u64);
        let schedule = self.schedule;
        step_runs(
            &mut self.runs,
            n,
            work,
            threads,
            |run| run.state.status.is_ok(),
            |run, offset, count, _budget| run.advance(schedule, start + offset, count),
        );
        self.step = start.saturating_add(n);
    }

    /// Records every run at `step` whether or not its histories' spacing wants it (the
    /// start), measuring the curvature first when `step` is on the schedule.
    pub fn record_all(&mut self, step: u64) {
        self.step = step;
        for run in &mut self.runs {
            if matches!(run.state.status, RunStatus::Diverged { .. }) {
                continue;
            }
            run.train_loss = run.network.loss(&run.state.params);
            run.observe(self.schedule, step, true);
        }
    }

    /// True when every run has stopped (frozen, converged or diverged).
    #[must_use]
    pub fn all_stopped(&self) -> bool {
        self.runs.iter().all(|run| !run.state.status.is_ok())
    }

    /// An owned picture of every run, for reports and views.
    #[must_use]
    pub fn snapshot(&self) -> NetworkSnapshot {
        let runs = self
            .runs
            .iter()
            .map(|run| {
                let latest = run.curvature.latest.as_ref();
                let step = run.state.status.step().unwrap_or(self.step);
                NetworkRunSnapshot {
                    label: run.label.clone(),
                    architecture: run.network.architecture().clone(),
                    own_architecture: run.own_architecture,
                    optimizer: run.spec.optimizer.clone(),
                    lr: run.spec.optimizer.lr,
                    init_scale: run.init_scale,
                    train_loss: run.train_loss,
                    sharpness: latest.map_or(f64::NAN, CurvatureEstimate::sharpness),
                    curvature: latest.cloned(),
                    threshold: threshold(&run.spec.optimizer, step),
                    preconditioned_sharpness: run
                        .adaptive
                        .then(|| latest.and_then(|e| e.preconditioned).unwrap_or(f64::NAN)),
                    status: run.state.status,
                    history: run.history.clone(),
                    params: run.state.params.clone(),
                }
            })
            .collect();
        NetworkSnapshot {
            architecture: self.architecture.clone(),
            data: Arc::clone(&self.data),
            parameters: self.architecture.parameter_count(),
            sharpness_every: self.schedule.sharpness_every,
            top_k: self.top_k,
            runs,
        }
    }
}

/// A network experiment's state.
#[derive(Debug, Clone)]
pub struct NetworkSnapshot {
    /// The `[model]` network's shape, which every run trains unless it has its own widths.
    pub architecture: Architecture,
    /// The data the runs train on (shared, not copied).
    pub data: Arc<RegressionData>,
    /// Parameters of the `[model]` network (a run of its own widths has its own count,
    /// [`NetworkRunSnapshot::architecture`]).
    pub parameters: usize,
    /// Steps between sharpness measurements (0: none).
    pub sharpness_every: u64,
    /// Eigenvalues per measurement.
    pub top_k: usize,
    /// One entry per run, in preset order.
    pub runs: Vec<NetworkRunSnapshot>,
}

/// The network's output over a grid of inputs: the fitted function for 1-D data, the decision
/// values (their sign is the predicted class) for 2-D data.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionGrid {
    /// Per input, the (low, high) ends of the grid: the data's range widened by a tenth.
    pub axes: Vec<(f64, f64)>,
    /// Points per axis, both ends included.
    pub resolution: usize,
    /// f at the grid points; for 2-D, row-major with x₁ fastest: f(x₁ = i, x₂ = j) at
    /// `j·resolution + i`.
    pub values: Vec<f64>,
}

/// One network run's state.
#[derive(Debug, Clone)]
pub struct NetworkRunSnapshot {
    /// Its name ([`NetworkProblem::label`]: with its widths where they differ).
    pub label: String,
    /// The network it trains: the `[model]` one, or the same with its own hidden widths.
    pub architecture: Architecture,
    /// Whether that differs from the `[model]` shape (what the reports name).
    pub own_architecture: bool,
    /// Its optimizer.
    pub optimizer: OptimizerSpec,
    /// Its base learning rate η.
    pub lr: f64,
    /// The scale it started at (1 for an explicit init as written).
    pub init_scale: f64,
    /// L at the current parameters, over every point (NaN once diverged).
    pub train_loss: f64,
    /// The latest sharpness λ_max(H) (NaN before the first measurement or with it off).
    pub sharpness: f64,
    /// The latest measurement: its step, the top-k eigenvalues, its preconditioned sharpness.
    pub curvature: Option<CurvatureEstimate>,
    /// Where the measured quantity stops being stable for this rule at the current step (see
    /// the module table); `None` for rules without one.
    pub threshold: Option<f64>,
    /// The latest λ_max(P⁻¹H) for Adam and RMSprop (NaN until known); `None` for other rules.
    pub preconditioned_sharpness: Option<f64>,
    /// Moving, frozen, converged or diverged.
    pub status: RunStatus,
    /// Loss, sharpness and thresholds over time.
    pub history: NetworkHistory,
    /// The current parameters, flat (layer after layer, weights row-major then biases).
    pub params: Vec<f64>,
}

impl NetworkSnapshot {
    /// The exact minima when the `[model]` network is the scalar one with the squared loss
    /// ([`ScalarNet::of`]): what the views draw in the (a, b) plane instead of the fit.
    #[must_use]
    pub fn scalar(&self) -> Option<ScalarNet> {
        ScalarNet::of(&self.architecture, &self.data)
    }

    /// Run `run`'s function on a grid over the data, for the views: the fitted curve over
    /// [`LINE_GRID`] points for 1-D inputs, the decision values over [`PLANE_GRID`]² points for
    /// 2-D inputs; `None` for other inputs and for a diverged run. Computed on demand (a
    /// forward pass per grid point) rather than in every snapshot, which reports and traces
    /// take far more often than a view draws this.
    ///
    /// # Panics
    /// When `run` is not a run of the snapshot.
    #[must_use]
    pub fn fitted(&self, run: usize) -> Option<FunctionGrid> {
        let run = &self.runs[run];
        if matches!(run.status, RunStatus::Diverged { .. }) {
            return None;
        }
        let grid = GridPoints::of(&self.data)?;
        Some(FunctionGrid {
            values: run.architecture.outputs(&run.params, &grid.points),
            axes: grid.axes,
            resolution: grid.resolution,
        })
    }
}

impl NetworkRunSnapshot {
    /// Its current (a, b) when it trains the scalar network f(x) = a·b·x
    /// ([`ScalarNet::factors`]), else `None`.
    #[must_use]
    pub fn factors(&self) -> Option<(f64, f64)> {
        ScalarNet::is_scalar(&self.architecture).then(|| ScalarNet::factors(&self.params))
    }

    /// The latest curvature the threshold is about: λmax(P⁻¹H) for Adam and RMSprop, else
    /// λmax(H) (as [`NetworkRecord::curvature`]).
    #[must_use]
    pub fn curvature(&self) -> f64 {
        self.preconditioned_sharpness.unwrap_or(self.sharpness)
    }

    /// The step of the latest sharpness measurement, if any.
    #[must_use]
    pub fn sharpness_step(&self) -> Option<u64> {
        self.curvature.as_ref().map(|e| e.step)
    }
}
