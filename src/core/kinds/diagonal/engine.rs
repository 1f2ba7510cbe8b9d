//! The diagonal kind: regression y ≈ Xw with more features than points, where the weights are
//! a diagonal linear network w = u^D − v^D (elementwise) started at u₀ = v₀ = α·1 (Woodworth et
//! al. 2020). The init scale α moves the fit the optimizer ends at from the least-ℓ2 interpolant
//! (large α, the kernel regime) to the least-ℓ1 one (small α, the rich regime); each run is
//! measured against both and against its own exact target argmin Q_α(w) s.t. Xw = y.
//!
//! Loss L = ½ Σᵢ (⟨w, xᵢ⟩ − yᵢ)², g = Xᵀ(Xw − y), ∇ᵤ = D u^{D−1} ⊙ g, ∇ᵥ = −D v^{D−1} ⊙ g; every
//! optimizer updates the flat parameter vector (u, v) from the same iterate.
//!
//! A run is `converged` when g itself (not ∇ᵤ, ∇ᵥ, which vanish also where u^{D−1} underflowed)
//! is zero to working precision: every |gⱼ| within [`ROUNDING_MULTIPLE`]·ε of the rounding-error
//! bound of its own computation ([`DiagonalModel::correlation_with_rounding`]), at two checks
//! [`CHECK_EVERY`] steps apart or at once when an update stopped moving the run. Least squares
//! always has a minimiser, so, unlike the linear kind, no data rule it out.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use crate::core::data::RegressionData;
use crate::core::history::{History, Spacing};
use crate::core::linalg::norm2;
use crate::core::optim::OptimizerSpec;
use crate::core::reference::{
    InterpolationError, effective_target, implicit_target, min_l1_interpolant, min_l2_interpolant,
};

use crate::core::experiment::ExperimentSpec;
use crate::core::kinds::convergence::{CHECK_EVERY, ROUNDING_MULTIPLE};
use crate::core::kinds::{Engine, Trails};
use crate::core::par::Threads;

use crate::core::kinds::run::{
    Batcher, RunState, RunStatus, ZeroGradientCheck, batch_seed, noise_seed, step_runs,
};

/// Most points a diagonal run's history keeps (log-spaced, thinned when full).
pub const DIAGONAL_HISTORY_CAPACITY: usize = 600;
/// The values of one history record, in order: ‖w‖₁, the relative distances to the implicit
/// target, to min-ℓ1 and to min-ℓ2 (NaN where the reference is missing), ½‖Xw − y‖², ‖w‖₂, then
/// the distance to the effective target and α∞'s minimum, geometric mean and maximum over the
/// coordinates (NaN where no effective target is known), so the dashboard's exported trace has
/// every column of `run --trace` and the α∞ pane its curves.
pub const DIAGONAL_HISTORY_FIELDS: [&str; 10] = [
    "l1_norm",
    "implicit",
    "min-l1",
    "min-l2",
    "train_loss",
    "l2_norm",
    "effective",
    "effective_alpha_min",
    "effective_alpha_gmean",
    "effective_alpha_max",
];

/// Diagonal-network regression: the data and the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalProblem {
    /// X (n × d) and y.
    pub data: RegressionData,
    /// The runs: optimizer, init scale and depth.
    pub runs: Vec<DiagonalRunSpec>,
}

/// One diagonal run.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalRunSpec {
    /// The optimizer.
    pub optimizer: OptimizerSpec,
    /// α > 0: u₀ = v₀ = α·1.
    pub init_scale: f64,
    /// D ≥ 2: w = u^D − v^D.
    pub depth: u32,
    /// Noise on the labels each step uses, if any.
    pub label_noise: Option<LabelNoise>,
}

/// Label noise (HaoChen et al. 2021; Pillaud-Vivien et al. 2022): step t adds σₜ·N(0, 1) to
/// each label it uses, one draw per used point in the order the step uses them, from the run's
/// own seeded generator (so a replay is exact). Noise drives a diagonal network towards sparse
/// fits; a decay lets the run settle on one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelNoise {
    /// σ > 0.
    pub sigma: f64,
    /// τ > 0: σₜ = σ / (1 + t/τ) at step t (counted from 1); σ at every step when `None`.
    pub decay: Option<f64>,
}

impl LabelNoise {
    /// σₜ, the noise level of step `step`.
    #[must_use]
    pub fn level(&self, step: u64) -> f64 {
        match self.decay {
            Some(tau) => self.sigma / (1.0 + step as f64 / tau),
            None => self.sigma,
        }
    }
}

/// What one step's gradient is taken over: a mini-batch (all points when `None`) and shifted
/// labels (the labels as given when `None`; else indexed by point).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample<'a> {
    /// The points used.
    pub batch: Option<&'a [usize]>,
    /// ξᵢ added to label i.
    pub label_shifts: Option<&'a [f64]>,
}

/// The loss and gradient of w = u^D − v^D, with buffers allocated once so a step allocates
/// nothing and costs O(n·d). Models can share their data ([`DiagonalModel::sharing`]) and keep
/// their own buffers: each run steps its own model, so runs can step on different cores.
pub struct DiagonalModel {
    data: Arc<RegressionData>,
    weights: Vec<f64>,
    residual: Vec<f64>,
    correlation: Vec<f64>,
}

impl DiagonalModel {
    /// A model over `data`.
    #[must_use]
    pub fn new(data: &RegressionData) -> Self {
        Self::sharing(Arc::new(data.clone()))
    }

    /// A model over `data`, which other models may share, with buffers of its own.
    #[must_use]
    pub fn sharing(data: Arc<RegressionData>) -> Self {
        Self {
            weights: vec![0.0; data.dim],
            residual: vec![0.0; data.len()],
            correlation: vec![0.0; data.dim],
            data,
        }
    }

    /// The start (u₀, v₀) = (α·1, α·1) as one flat vector of 2d values.
    #[must_use]
    pub fn start(&self, init_scale: f64) -> Vec<f64> {
        vec![init_scale; 2 * self.data.dim]
    }

    /// w = u^D − v^D into `out` (d values) from the flat (u, v).
    pub fn weights_into(&self, depth: u32, params: &[f64], out: &mut [f64]) {
        let (u, v) = params.split_at(self.data.dim);
        let power = depth as i32;
        for ((w, a), b) in out.iter_mut().zip(u).zip(v) {
            *w = a.powi(power) - b.powi(power);
        }
    }

    /// w = u^D − v^D as a new vector.
    #[must_use]
    pub fn weights(&self, depth: u32, params: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.data.dim];
        self.weights_into(depth, params, &mut out);
        out
    }

    /// ½ ‖Xw − y‖².
    #[must_use]
    pub fn loss_of_weights(&self, weights: &[f64]) -> f64 {
        (0..self.data.len())
            .map(|i| {
                let fit: f64 = self
                    .data
                    .point(i)
                    .iter()
                    .zip(weights)
                    .map(|(x, w)| x * w)
                    .sum();
                0.5 * (fit - self.data.targets[i]).powi(2)
            })
            .sum()
    }

    /// Writes ∇L at (u, v) into `grad` and returns L, both from the same iterate.
    pub fn gradient(&mut self, depth: u32, params: &[f64], grad: &mut [f64]) -> f64 {
        self.sampled_gradient(depth, params, Sample::default(), grad)
    }

    /// The loss a stochastic step sees, ½ Σ_{i∈S} (⟨w, xᵢ⟩ − yᵢ − ξᵢ)² over the points S of
    /// `sample.batch` (every point when `None`) with each label shifted by ξᵢ =
    /// `sample.label_shifts[i]` (no shift when `None`): writes its gradient into `grad` and
    /// returns it. The gradient in w is still Xᵀ(·), so every such step multiplies u and v by
    /// (1 ∓ x) and the run keeps an exact effective target.
    pub fn sampled_gradient(
        &mut self,
        depth: u32,
        params: &[f64],
        sample: Sample<'_>,
        grad: &mut [f64],
    ) -> f64 {
        let dim = self.data.dim;
        let mut weights = std::mem::take(&mut self.weights);
        self.weights_into(depth, params, &mut weights);
        let residual_of = |i: usize| -> f64 {
            let fit: f64 = self
                .data
                .point(i)
                .iter()
                .zip(&weights)
                .map(|(x, w)| x * w)
                .sum();
            match sample.label_shifts {
                Some(shifts) => fit - (self.data.targets[i] + shifts[i]),
                None => fit - self.data.targets[i],
            }
        };
        let mut loss = 0.0;
        self.correlation.fill(0.0);
        match sample.batch {
            None => {
                for i in 0..self.data.len() {
                    let r = residual_of(i);
                    self.residual[i] = r;
                    loss += 0.5 * r * r;
                }
                for (i, &r) in self.residual.iter().enumerate() {
                    for (g, x) in self.correlation.iter_mut().zip(self.data.point(i)) {
                        *g += x * r;
                    }
                }
            }
            Some(batch) => {
                for &i in batch {
                    let r = residual_of(i);
                    loss += 0.5 * r * r;
                    for (g, x) in self.correlation.iter_mut().zip(self.data.point(i)) {
                        *g += x * r;
                    }
                }
            }
        }
        self.weights = weights;
        let (u, v) = params.split_at(dim);
        let (grad_u, grad_v) = grad.split_at_mut(dim);
        let scale = f64::from(depth);
        let power = depth as i32 - 1;
        for j in 0..dim {
            let g = self.correlation[j];
            grad_u[j] = scale * u[j].powi(power) * g;
            grad_v[j] = -scale * v[j].powi(power) * g;
        }
        loss
    }

    /// Writes g = Xᵀ(Xw − y) at (u, v) into `correlation` and, into `bound`, a bound (over ε)
    /// on the rounding error of computing it, so that |gⱼ| ≤ c·ε·`bound`ⱼ means "gⱼ = 0 to
    /// working precision" whatever the size of X, w and y.
    ///
    /// A floating-point sum of m terms is off by at most γₘ·Σ|terms|, γₘ ≈ m·ε (Higham, Accuracy
    /// and Stability, §3.1). Each wₖ = uₖ^D − vₖ^D carries D − 1 roundings per power and one for
    /// the difference: (D + 1)·ε·(|uₖ|^D + |vₖ|^D), which is what cancellation leaves when u ≈ v.
    /// rᵢ = Σₖ Xᵢₖwₖ − yᵢ sums d + 1 terms (each product rounded once more), and gⱼ = Σᵢ Xᵢⱼrᵢ
    /// n terms. So |δgⱼ| ≤ (n + d + D + 2)·ε·Σᵢ|Xᵢⱼ|·(|rᵢ| + Σₖ|Xᵢₖ|(|uₖ|^D + |vₖ|^D) + |yᵢ|),
    /// one dimension factor for every term (a slight over-count that keeps the bound simple).
    pub fn correlation_with_rounding(
        &self,
        depth: u32,
        params: &[f64],
        correlation: &mut [f64],
        bound: &mut [f64],
    ) {
        let dim = self.data.dim;
        let (u, v) = params.split_at(dim);
        let power = depth as i32;
        let spread: Vec<f64> = u
            .iter()
            .zip(v)
            .map(|(a, b)| a.abs().powi(power) + b.abs().powi(power))
            .collect();
        let weights = self.weights(depth, params);
        let terms = (self.data.len() + dim) as f64 + f64::from(depth) + 2.0;
        correlation.fill(0.0);
        bound.fill(0.0);
        for (i, &target) in self.data.targets.iter().enumerate() {
            let point = self.data.point(i);
            let fit: f64 = point.iter().zip(&weights).map(|(x, w)| x * w).sum();
            let residual = fit - target;
            let size: f64 = point.iter().zip(&spread).map(|(x, s)| (x * s).abs()).sum();
            let scale = terms * (residual.abs() + size + target.abs());
            for ((g, b), x) in correlation.iter_mut().zip(bound.iter_mut()).zip(point) {
                *g += x * residual;
                *b += x.abs() * scale;
            }
        }
    }

    /// True when g = Xᵀ(Xw − y) at (u, v) is exactly zero: a mini-batch run at rest there has
    /// reached a fixed point of every batch.
    #[must_use]
    pub fn correlation_is_zero(&self, depth: u32, params: &[f64]) -> bool {
        let mut correlation = vec![0.0; self.data.dim];
        let mut bound = vec![0.0; self.data.dim];
        self.correlation_with_rounding(depth, params, &mut correlation, &mut bound);
        correlation.iter().all(|&g| g == 0.0)
    }

    /// True when g = Xᵀ(Xw − y) at (u, v) is zero to working precision: w is a least-squares
    /// minimiser as far as floating point can tell.
    #[must_use]
    pub fn at_minimiser(&self, depth: u32, params: &[f64]) -> bool {
        let mut correlation = vec![0.0; self.data.dim];
        let mut bound = vec![0.0; self.data.dim];
        self.correlation_with_rounding(depth, params, &mut correlation, &mut bound);
        correlation
            .iter()
            .zip(&bound)
            .all(|(g, b)| g.abs() <= ROUNDING_MULTIPLE * f64::EPSILON * b)
    }
}

/// The two references every run is measured against, or why they are missing.
#[derive(Debug, Clone)]
pub struct DiagonalReferences {
    /// argmin ‖w‖₁ s.t. Xw = y.
    pub min_l1: Result<Vec<f64>, InterpolationError>,
    /// The least-ℓ2 interpolant X⁺y.
    pub min_l2: Result<Vec<f64>, InterpolationError>,
}

/// What a depth-2 run's own finite steps have done to its start, per coordinate: each step of a
/// rule that [multiplies the factors](OptimizerSpec::multiplies_diagonal_factors) takes u to
/// u(1 − x) and v to v(1 + x), so w = 2α∞² sinh(δ − 2Σx) with
/// ln α∞² = ln α² + Σ ln|1 − x²| and δ = Σ (ln|1 − x| − ln|1 + x| + 2x): an init that shrinks
/// with large steps and noise, and a linear tilt. x is read off the step itself (1 − u'/u), so
/// whatever gradient the step used (a batch, noisy labels) is accounted for.
#[derive(Debug, Clone)]
struct StepFactors {
    /// ln α, the init every coordinate started from.
    log_init: f64,
    /// Σ ln|1 − x²| per coordinate: ln(α∞ⱼ²/α²), summed apart from ln α² so the small terms
    /// keep their digits.
    log_shrink: Vec<f64>,
    /// δⱼ.
    delta: Vec<f64>,
    /// (u, v) before the step being taken.
    before: Vec<f64>,
    /// The first step with some |x| ≥ 1 (a factor flipped sign or was zeroed).
    flipped: Option<u64>,
    /// Steps taken in: what the cached effective target was solved for.
    steps: u64,
}

impl StepFactors {
    fn new(init_scale: f64, dim: usize) -> Self {
        Self {
            log_init: init_scale.ln(),
            log_shrink: vec![0.0; dim],
            delta: vec![0.0; dim],
            before: vec![0.0; 2 * dim],
            flipped: None,
            steps: 0,
        }
    }

    /// Takes in step `step`, which moved `before` to `after` (both the flat (u, v)).
    fn take(&mut self, step: u64, after: &[f64]) {
        let dim = self.delta.len();
        for j in 0..dim {
            let (u, v) = (self.before[j], self.before[dim + j]);
            // From u, unless a step zeroed it; v then still carries x.
            let x = if u == 0.0 {
                after[dim + j] / v - 1.0
            } else {
                1.0 - after[j] / u
            };
            if x.abs() >= 1.0 && self.flipped.is_none() {
                self.flipped = Some(step);
            }
            self.log_shrink[j] += log_abs_one_minus_square(x);
            self.delta[j] += tilt(x);
        }
        self.steps += 1;
    }

    /// α∞ per coordinate: α·exp(½ Σ ln|1 − x²|), exactly α before any step.
    fn alpha(&self) -> Vec<f64> {
        let init = self.log_init.exp();
        self.log_shrink
            .iter()
            .map(|l| init * (0.5 * l).exp())
            .collect()
    }

    /// ln α∞ⱼ² per coordinate, what the target's potential takes.
    fn log_alpha_squared(&self) -> Vec<f64> {
        self.log_shrink
            .iter()
            .map(|l| 2.0 * self.log_init + l)
            .collect()
    }

    /// The effective target now, solved from the dual `cache` keeps (a warm start: α∞ and δ
    /// move little between two solves); a solve at the cached steps reuses it. Only the
    /// history's records (`remember`), taken at the same steps whatever else happens, write
    /// the cache, so every solve starts from the same dual however often snapshots are taken:
    /// `run` prints the same bits with or without `--trace`, and the dashboard's numbers are
    /// the headless ones.
    fn target(
        &self,
        data: &RegressionData,
        cache: &Mutex<Option<SolvedTarget>>,
        remember: bool,
    ) -> Result<Vec<f64>, InterpolationError> {
        let mut cache = cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(solved) = cache.as_ref().filter(|c| c.steps == self.steps) {
            return solved.weights.clone();
        }
        let start = cache
            .as_ref()
            .and_then(|c| c.weights.as_ref().ok().map(|_| c.dual.as_slice()));
        let result = effective_target(data, &self.log_alpha_squared(), &self.delta, start);
        let dual = match &result {
            Ok(target) => target.dual.clone(),
            Err(_) => cache.as_ref().map(|c| c.dual.clone()).unwrap_or_default(),
        };
        let weights = result.map(|t| t.weights);
        if remember {
            *cache = Some(SolvedTarget {
                steps: self.steps,
                dual,
                weights: weights.clone(),
            });
        }
        weights
    }
}

/// (minimum, geometric mean, maximum) of α∞ over the coordinates: how far large steps and
/// noise have shrunk the effective init, in three numbers for the pane and the CSV.
#[must_use]
pub fn alpha_range(alpha: &[f64]) -> [f64; 3] {
    let mean_log = alpha.iter().map(|a| a.ln()).sum::<f64>() / alpha.len() as f64;
    [
        alpha.iter().copied().fold(f64::INFINITY, f64::min),
        mean_log.exp(),
        alpha.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    ]
}

/// The last effective target solved for a run, kept for the next solve's warm start.
#[derive(Debug, Clone)]
struct SolvedTarget {
    /// [`StepFactors::steps`] it was solved at.
    steps: u64,
    /// Its dual ν (the warm start); empty before a solve succeeded.
    dual: Vec<f64>,
    /// Its weights, or why it is missing.
    weights: Result<Vec<f64>, InterpolationError>,
}

/// ln|1 − x²|, accurate for small x.
fn log_abs_one_minus_square(x: f64) -> f64 {
    let square = x * x;
    if square < 1.0 {
        (-square).ln_1p()
    } else {
        (square - 1.0).ln()
    }
}

/// ln|1 − x| − ln|1 + x| + 2x = −2(atanh x − x) for |x| < 1, accurate for small x (a series
/// where the difference would cancel).
fn tilt(x: f64) -> f64 {
    if x.abs() < 0.25 {
        // atanh x − x = Σ_{k≥1} x^{2k+1}/(2k+1); terms shrink by x² ≤ 1/16.
        let square = x * x;
        let mut power = x * square;
        let mut sum = 0.0_f64;
        let mut k = 3.0;
        while power.abs() > f64::EPSILON * 1e-3 * sum.abs().max(f64::MIN_POSITIVE) {
            sum += power / k;
            power *= square;
            k += 2.0;
            if k > 60.0 {
                break;
            }
        }
        -2.0 * sum
    } else {
        (1.0 - x).abs().ln() - (1.0 + x).abs().ln() + 2.0 * x
    }
}

/// One run: its spec, its own model buffers, its state, its exact target and its history.
struct DiagonalRun {
    spec: DiagonalRunSpec,
    model: DiagonalModel,
    /// Scratch for w when recording a history point.
    weights: Vec<f64>,
    state: RunState,
    implicit: Result<Vec<f64>, InterpolationError>,
    /// Per record: the [`DIAGONAL_HISTORY_FIELDS`].
    history: History,
    /// Whether the last convergence check found the run at a minimiser.
    was_at_minimiser: bool,
    /// Depth-2 runs whose steps multiply the factors: what those steps did (see
    /// [`StepFactors`]); `None` where no exact finite-step target is known.
    factors: Option<StepFactors>,
    /// The effective target last solved (see [`StepFactors::target`]).
    solved: Mutex<Option<SolvedTarget>>,
    /// Its mini-batches, when `batch` is below the number of points.
    batcher: Option<Batcher>,
    /// Its label noise: the level, the generator and the current shifts ξ (one per point).
    noise: Option<(LabelNoise, StdRng, Vec<f64>)>,
}

/// The running diagonal experiment: the data (shared by the runs' models), the runs and the
/// references computed once.
pub(crate) struct DiagonalExperiment {
    data: Arc<RegressionData>,
    runs: Vec<DiagonalRun>,
    references: DiagonalReferences,
}

impl DiagonalExperiment {
    /// Builds the runs and computes the references (one implicit target per distinct (α, D));
    /// mini-batches and label noise draw from generators seeded by `seed` and the run's place.
    pub(super) fn new(problem: &DiagonalProblem, spec: &ExperimentSpec, _trails: Trails) -> Self {
        let seed = spec.seed;
        let data = Arc::new(problem.data.clone());
        let references = DiagonalReferences {
            min_l1: min_l1_interpolant(&problem.data).map(|r| r.weights),
            min_l2: min_l2_interpolant(&problem.data),
        };
        let mut targets: HashMap<(u64, u32), Result<Vec<f64>, InterpolationError>> = HashMap::new();
        let points = problem.data.len();
        let runs = problem
            .runs
            .iter()
            .enumerate()
            .map(|(index, run)| {
                let implicit = targets
                    .entry((run.init_scale.to_bits(), run.depth))
                    .or_insert_with(|| {
                        implicit_target(&problem.data, run.init_scale, run.depth).map(|t| t.weights)
                    })
                    .clone();
                let model = DiagonalModel::sharing(Arc::clone(&data));
                DiagonalRun {
                    state: RunState::new(&run.optimizer, model.start(run.init_scale)),
                    model,
                    weights: vec![0.0; problem.data.dim],
                    implicit,
                    history: History::new(
                        DIAGONAL_HISTORY_FIELDS.len(),
                        DIAGONAL_HISTORY_CAPACITY,
                        Spacing::Log { per_decade: 60.0 },
                    ),
                    factors: (run.depth == 2 && run.optimizer.multiplies_diagonal_factors())
                        .then(|| StepFactors::new(run.init_scale, problem.data.dim)),
                    solved: Mutex::new(None),
                    batcher: run
                        .optimizer
                        .batch
                        .filter(|&b| b < points)
                        .map(|size| Batcher::new(points, size, batch_seed(seed, index))),
                    noise: run.label_noise.map(|noise| {
                        let generator = StdRng::seed_from_u64(noise_seed(seed, index));
                        (noise, generator, vec![0.0; points])
                    }),
                    spec: run.clone(),
                    was_at_minimiser: false,
                }
            })
            .collect();
        Self {
            data,
            runs,
            references,
        }
    }

    /// An owned picture of every run and the references.
    fn snapshot_now(&self) -> DiagonalSnapshot {
        let runs = self
            .runs
            .iter()
            .map(|run| {
                let w = run.model.weights(run.spec.depth, &run.state.params);
                let diverged = matches!(run.state.status, RunStatus::Diverged { .. });
                let effective = run.factors.as_ref().map(|factors| EffectiveTarget {
                    alpha: factors.alpha(),
                    delta: factors.delta.clone(),
                    weights: if diverged {
                        Err(InterpolationError::SolverFailed(
                            "the run diverged, so its steps define no target".to_owned(),
                        ))
                    } else {
                        factors.target(&self.data, &run.solved, false)
                    },
                    flipped: factors.flipped,
                });
                let distances = DiagonalDistances {
                    min_l1: relative_distance_to(&w, &self.references.min_l1),
                    min_l2: relative_distance_to(&w, &self.references.min_l2),
                    implicit: relative_distance_to(&w, &run.implicit),
                    effective: effective
                        .as_ref()
                        .and_then(|e| relative_distance_to(&w, &e.weights)),
                };
                DiagonalRunSnapshot {
                    optimizer: run.spec.optimizer.clone(),
                    init_scale: run.spec.init_scale,
                    depth: run.spec.depth,
                    train_loss: run.model.loss_of_weights(&w),
                    l1_norm: w.iter().map(|v| v.abs()).sum(),
                    l2_norm: norm2(&w),
                    implicit: run.implicit.clone(),
                    label_noise: run.spec.label_noise,
                    effective,
                    distances,
                    status: run.state.status,
                    history: run.history.clone(),
                    w,
                }
            })
            .collect();
        DiagonalSnapshot {
            dim: self.data.dim,
            points: self.data.len(),
            references: self.references.clone(),
            planted: self.data.planted.clone(),
            runs,
        }
    }
}

/// Records run `run`'s history point at `step` (w computed into its scratch).
fn record(
    data: &RegressionData,
    references: &DiagonalReferences,
    run: &mut DiagonalRun,
    step: u64,
) {
    let weights = &mut run.weights;
    run.model
        .weights_into(run.spec.depth, &run.state.params, weights);
    let distance = |r: &Result<Vec<f64>, InterpolationError>| {
        relative_distance_to(weights, r).unwrap_or(f64::NAN)
    };
    let values = [
        weights.iter().map(|v| v.abs()).sum(),
        distance(&run.implicit),
        distance(&references.min_l1),
        distance(&references.min_l2),
        run.model.loss_of_weights(weights),
        norm2(weights),
    ];
    let [effective, alpha_min, alpha_gmean, alpha_max] = match &run.factors {
        Some(factors) => {
            let [low, mean, high] = alpha_range(&factors.alpha());
            [
                distance(&factors.target(data, &run.solved, true)),
                low,
                mean,
                high,
            ]
        }
        None => [f64::NAN; 4],
    };
    let mut record = [0.0; DIAGONAL_HISTORY_FIELDS.len()];
    record[..values.len()].copy_from_slice(&values);
    record[values.len()..].copy_from_slice(&[effective, alpha_min, alpha_gmean, alpha_max]);
    run.history.offer(step, &record);
}

/// Takes `run` through steps `start + 1 ..= start + n` (fewer if it stops), on any thread: the
/// run owns its model's buffers and its optimizer state, so the result is the same bits.
fn step_run(
    data: &RegressionData,
    references: &DiagonalReferences,
    run: &mut DiagonalRun,
    start: u64,
    n: u64,
) {
    let mut step = start;
    while step < start.saturating_add(n) && run.state.status.is_ok() {
        step += 1;
        let batch = run.batcher.as_mut().map(Batcher::next);
        let shifts = run.noise.as_mut().map(|(noise, generator, shifts)| {
            let level = noise.level(step);
            let points = shifts.len();
            let mut draw = |i: usize| {
                let z: f64 = StandardNormal.sample(generator);
                shifts[i] = level * z;
            };
            match batch {
                Some(batch) => batch.iter().for_each(|&i| draw(i)),
                None => (0..points).for_each(draw),
            }
            &shifts[..]
        });
        let sample = Sample {
            batch,
            label_shifts: shifts,
        };
        let stochastic = sample.batch.is_some() || sample.label_shifts.is_some();
        let loss = run.model.sampled_gradient(
            run.spec.depth,
            &run.state.params,
            sample,
            &mut run.state.grad,
        );
        if !loss.is_finite() {
            run.state.status = RunStatus::Diverged { step };
            break;
        }
        if let Some(factors) = &mut run.factors {
            factors.before.copy_from_slice(&run.state.params);
        }
        // A stochastic step that moved nothing proves nothing about the next one: only a
        // zero full-batch gradient at rest freezes it (noise never does, it moves it again).
        let model = &run.model;
        let depth = run.spec.depth;
        let noisy = run.noise.is_some();
        let mut full_gradient_is_zero =
            |params: &[f64]| !noisy && model.correlation_is_zero(depth, params);
        let check: Option<ZeroGradientCheck<'_>> = stochastic.then_some(&mut full_gradient_is_zero);
        run.state.apply(step, check);
        if let Some(factors) = &mut run.factors {
            factors.take(step, &run.state.params);
        }
        check_convergence(run, step);
        let diverged = matches!(run.state.status, RunStatus::Diverged { .. });
        if !diverged && run.history.wants(step) {
            record(data, references, run, step);
        }
    }
}

impl Engine for DiagonalExperiment {
    type Snapshot = DiagonalSnapshot;

    fn snapshot(&self) -> DiagonalSnapshot {
        self.snapshot_now()
    }

    fn step(&mut self, start: u64, n: u64, threads: Threads) {
        // A step is a pass over X for the residual and one for the correlation.
        let work = n.saturating_mul(2 * (self.data.len() * self.data.dim) as u64);
        let references = &self.references;
        let data = &self.data;
        step_runs(
            &mut self.runs,
            n,
            work,
            threads,
            |run| run.state.status.is_ok(),
            |run, offset, count, _| step_run(data, references, run, start + offset, count),
        );
    }

    fn record_all(&mut self, step: u64) {
        for run in &mut self.runs {
            record(&self.data, &self.references, run, step);
        }
    }

    fn all_stopped(&self) -> bool {
        self.runs.iter().all(|r| !r.state.status.is_ok())
    }
}

/// Marks `run` converged after `step` when g is zero to working precision at two checks in a
/// row, or at once when the update stopped moving it (it would otherwise be frozen): the rule
/// of the linear kind, on the regression gradient.
fn check_convergence(run: &mut DiagonalRun, step: u64) {
    let frozen = matches!(run.state.status, RunStatus::Frozen { .. });
    if !frozen && (!run.state.status.is_ok() || !step.is_multiple_of(CHECK_EVERY)) {
        return;
    }
    let at_minimiser = run.model.at_minimiser(run.spec.depth, &run.state.params);
    if at_minimiser && (frozen || run.was_at_minimiser) {
        run.state.status = RunStatus::Converged { step };
    }
    run.was_at_minimiser = at_minimiser;
}

/// ‖w − r‖₂ / ‖r‖₂, the unit-free distance the JSON reports (‖w‖₂ when r = 0).
#[must_use]
pub fn relative_distance(w: &[f64], reference: &[f64]) -> f64 {
    let difference: Vec<f64> = w.iter().zip(reference).map(|(a, b)| a - b).collect();
    let size = norm2(reference);
    if size == 0.0 {
        norm2(&difference)
    } else {
        norm2(&difference) / size
    }
}

/// [`relative_distance`] to a reference, or `None` when it is missing.
fn relative_distance_to(
    w: &[f64],
    reference: &Result<Vec<f64>, InterpolationError>,
) -> Option<f64> {
    reference.as_ref().ok().map(|r| relative_distance(w, r))
}

/// A diagonal experiment's state.
#[derive(Debug, Clone)]
pub struct DiagonalSnapshot {
    /// Features d.
    pub dim: usize,
    /// Points n.
    pub points: usize,
    /// min-ℓ1 and min-ℓ2, or why they are missing.
    pub references: DiagonalReferences,
    /// The planted w* of generated data (for the view's markers).
    pub planted: Option<Vec<f64>>,
    /// One entry per run, in preset order.
    pub runs: Vec<DiagonalRunSnapshot>,
}

impl DiagonalSnapshot {
    /// The order coordinates are shown in (dashboard and figure alike): by |min-ℓ1| descending,
    /// ties (its zeros) by |min-ℓ2| descending, then by the first run's |wⱼ|, so the sparse
    /// solution's support comes first and the dense one's largest values next.
    #[must_use]
    pub fn coordinate_order(&self) -> Vec<usize> {
        let magnitude = |r: &Result<Vec<f64>, _>, j: usize| r.as_ref().map_or(0.0, |w| w[j].abs());
        let first_run = |j: usize| self.runs.first().map_or(0.0, |r| r.w[j].abs());
        let mut order: Vec<usize> = (0..self.dim).collect();
        order.sort_by(|&a, &b| {
            magnitude(&self.references.min_l1, b)
                .total_cmp(&magnitude(&self.references.min_l1, a))
                .then(
                    magnitude(&self.references.min_l2, b)
                        .total_cmp(&magnitude(&self.references.min_l2, a)),
                )
                .then(first_run(b).total_cmp(&first_run(a)))
                .then(a.cmp(&b))
        });
        order
    }
}

impl DiagonalRunSnapshot {
    /// The run's name (see [`run_label`]).
    #[must_use]
    pub fn label(&self) -> String {
        run_label(&self.optimizer, self.label_noise)
    }
}

/// ‖w − ref‖₂ / ‖ref‖₂ to each reference that exists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiagonalDistances {
    /// To the least-ℓ1 interpolant.
    pub min_l1: Option<f64>,
    /// To the least-ℓ2 interpolant.
    pub min_l2: Option<f64>,
    /// To this run's implicit target.
    pub implicit: Option<f64>,
    /// To this run's effective (finite-step) target, where one is known.
    pub effective: Option<f64>,
}

/// A depth-2 run's exact finite-step target: where its own steps, not gradient flow, take it.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveTarget {
    /// α∞ per coordinate: the init the run has effectively started from (|u v|^½ now).
    pub alpha: Vec<f64>,
    /// δ per coordinate: the linear tilt its steps added (w = 2α∞² sinh(δ + Xᵀν) at the target).
    pub delta: Vec<f64>,
    /// argmin Σⱼ α∞ⱼ² q(wⱼ/α∞ⱼ²) − δⱼwⱼ s.t. Xw = y, or why it is missing.
    pub weights: Result<Vec<f64>, InterpolationError>,
    /// The first step that flipped or zeroed a factor (some |x| ≥ 1), if any.
    pub flipped: Option<u64>,
}

/// A diagonal run's name: its optimizer's label, and its label noise when it has one
/// (`sgd lr=0.01 batch=1 noise=0.3/2000`: σ, and τ when it decays, shortest form), so two runs that differ
/// only in their noise are told apart everywhere a run is named.
#[must_use]
pub fn run_label(optimizer: &OptimizerSpec, noise: Option<LabelNoise>) -> String {
    let mut label = optimizer.label();
    if optimizer.label.is_none()
        && let Some(noise) = noise
    {
        write!(label, " noise={}", noise.sigma).ok();
        if let Some(tau) = noise.decay {
            write!(label, "/{tau}").ok();
        }
    }
    label
}

/// One diagonal run's state.
#[derive(Debug, Clone)]
pub struct DiagonalRunSnapshot {
    /// Its optimizer.
    pub optimizer: OptimizerSpec,
    /// α.
    pub init_scale: f64,
    /// D.
    pub depth: u32,
    /// w = u^D − v^D.
    pub w: Vec<f64>,
    /// ½‖Xw − y‖².
    pub train_loss: f64,
    /// ‖w‖₁.
    pub l1_norm: f64,
    /// ‖w‖₂.
    pub l2_norm: f64,
    /// This run's exact target argmin Q_α(w) s.t. Xw = y, or why it is missing.
    pub implicit: Result<Vec<f64>, InterpolationError>,
    /// Its label noise, if any.
    pub label_noise: Option<LabelNoise>,
    /// Its exact finite-step target, for depth-2 runs whose steps multiply the factors;
    /// `None` where no exact target is known (deeper runs, momentum, adaptive, sign…).
    pub effective: Option<EffectiveTarget>,
    /// Relative distances to the references.
    pub distances: DiagonalDistances,
    /// Moving, frozen, converged or diverged.
    pub status: RunStatus,
    /// Log-spaced history of the [`DIAGONAL_HISTORY_FIELDS`].
    pub history: History,
}
