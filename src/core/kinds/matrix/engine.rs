//! The matrix experiment kind: completion of a partly observed M* with M = U Vᵀ (the article's
//! experiment 2) or a deeper product U C₁ ⋯ C_{L−2} Vᵀ, its runs, the min-nuclear-norm
//! reference and the snapshot the front ends draw.

use nalgebra::DMatrix;

use crate::core::cores::with_partner_standing_by;
use crate::core::data::MatrixData;
use crate::core::history::{History, Spacing};
use crate::core::linalg::{effective_rank, singular_values};
use crate::core::model::MatrixModel;
use crate::core::optim::OptimizerSpec;
use crate::core::par::Threads;
use crate::core::reference::{NuclearReference, min_nuclear_norm};

use crate::core::experiment::ExperimentSpec;
use crate::core::kinds::run::{RunState, RunStatus, step_runs};
use crate::core::kinds::{Engine, KindChoices, Trails};

/// Largest matrix side for which the min-nuclear-norm reference is computed: its solver takes
/// about a second at 200×200 and grows with the cube of the side.
pub const NUCLEAR_REFERENCE_MAX_SIDE: usize = 200;
/// Most spectra a matrix run keeps (log-spaced, thinned when full).
pub const SPECTRUM_CAPACITY: usize = 400;
/// Spectra recorded per decade of steps: every step for the first 35, then geometric, so the
/// early winner-take-all phase (on the low-rank preset σ1 climbs from 10% to 90% between steps
/// 61 and 89) gets a dozen points. [`SPECTRUM_CAPACITY`] holds five decades at this density;
/// longer runs halve it, as every bounded history does.
pub const SPECTRUM_PER_DECADE: f64 = 80.0;

/// Matrix completion: the data, the factor width and the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixProblem {
    /// M* and the mask.
    pub data: MatrixData,
    /// Inner width k of U (m×k), the middle factors (k×k) and V (n×k).
    pub width: usize,
    /// The runs: optimizer, depth and start (U₀, C₁…, V₀).
    pub runs: Vec<MatrixRunSpec>,
    /// Whether to compute the min-nuclear-norm completion (`[show] references`).
    pub nuclear_reference: bool,
    /// Trace rows of singular values every this many steps (`[show] svd_every`, for
    /// `--trace`; the dashboard's series is log-spaced instead, see [`SPECTRUM_PER_DECADE`]).
    pub svd_every: u64,
}

impl KindChoices for MatrixProblem {
    /// No sweep column shows the min-nuclear-norm completion.
    fn skip_unreported(&mut self) {
        self.nuclear_reference = false;
    }
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
    /// The middle factors' starts C₁, …, C_{L−2} (k×k each): empty for the article's U Vᵀ,
    /// so the depth L is their count + 2 and cannot disagree with them.
    pub middle: Vec<DMatrix<f64>>,
}

impl MatrixRunSpec {
    /// The number of factors L (2 for U Vᵀ).
    #[must_use]
    pub fn depth(&self) -> usize {
        self.middle.len() + 2
    }
}

/// The min-nuclear-norm reference of a matrix experiment, or why there is none. A value, not a
/// sentence: each front end words it (the JSON's warning, the dashboard's short note).
#[derive(Debug, Clone)]
pub enum NuclearReferenceStatus {
    /// The preset did not ask for it (`[show] references = []`).
    NotAsked,
    /// Asked for, but the matrix is larger than the exact solver is run for.
    Skipped {
        /// Rows of M*.
        rows: usize,
        /// Columns of M*.
        cols: usize,
        /// The largest side solved ([`NUCLEAR_REFERENCE_MAX_SIDE`]).
        max_side: usize,
    },
    /// Computed.
    Solved(NuclearReference),
}

impl NuclearReferenceStatus {
    /// The reference, when it was computed.
    #[must_use]
    pub fn solved(&self) -> Option<&NuclearReference> {
        match self {
            NuclearReferenceStatus::Solved(reference) => Some(reference),
            _ => None,
        }
    }

    /// True when the reference was asked for but not computed.
    #[must_use]
    pub fn is_skipped(&self) -> bool {
        matches!(self, NuclearReferenceStatus::Skipped { .. })
    }
}

/// One run: its spec, its state and its history of spectra.
struct MatrixRun {
    spec: MatrixRunSpec,
    /// The run's own model: its workspaces are written every step, so each run owns one and
    /// the runs can step in parallel.
    model: MatrixModel,
    state: RunState,
    /// Per record: the top singular values (min(m, n, k) of them, descending), on a log grid.
    spectra: History,
    /// Per record, at the spectra's steps: train loss, test error, nuclear norm, effective rank
    /// (what an exported trace needs beyond the singular values).
    trace: History,
}

/// The running matrix experiment: runs and the reference computed once at the start.
pub(crate) struct MatrixExperiment {
    data: MatrixData,
    runs: Vec<MatrixRun>,
    reference: NuclearReferenceStatus,
    /// False when nobody will read the spectra over time (see `Experiment::final_state_only`):
    /// only the start is recorded then.
    record_spectra: bool,
}

impl MatrixExperiment {
    /// Builds the runs and, when asked and small enough, solves the nuclear-norm reference;
    /// `trails` says whether the runs record their spectra as they step.
    pub(super) fn new(problem: &MatrixProblem, _spec: &ExperimentSpec, trails: Trails) -> Self {
        let record_spectra = trails == Trails::Record;
        let (rows, cols) = problem.data.target.shape();
        let kept = rows.min(cols).min(problem.width);
        let spacing = Spacing::Log {
            per_decade: SPECTRUM_PER_DECADE,
        };
        let runs = problem
            .runs
            .iter()
            .map(|run| {
                let model = MatrixModel::new(&problem.data, problem.width, run.depth());
                let mut params = Vec::with_capacity(model.parameter_count());
                params.extend_from_slice(run.u0.as_slice());
                for factor in &run.middle {
                    params.extend_from_slice(factor.as_slice());
                }
                params.extend_from_slice(run.v0.as_slice());
                MatrixRun {
                    model,
                    state: RunState::new(&run.optimizer, params),
                    spectra: History::new(kept, SPECTRUM_CAPACITY, spacing),
                    trace: History::new(4, SPECTRUM_CAPACITY, spacing),
                    spec: run.clone(),
                }
            })
            .collect();
        let reference = if !problem.nuclear_reference {
            NuclearReferenceStatus::NotAsked
        } else if rows.max(cols) > NUCLEAR_REFERENCE_MAX_SIDE {
            NuclearReferenceStatus::Skipped {
                rows,
                cols,
                max_side: NUCLEAR_REFERENCE_MAX_SIDE,
            }
        } else {
            NuclearReferenceStatus::Solved(min_nuclear_norm(&problem.data))
        };
        Self {
            data: problem.data.clone(),
            runs,
            reference,
            record_spectra,
        }
    }

    /// An owned picture of every run and the reference.
    fn snapshot_now(&self) -> MatrixSnapshot {
        let runs = self
            .runs
            .iter()
            .map(|run| {
                let model = &run.model;
                let product = model.product(&run.state.params);
                let singular_values = singular_values(&product);
                MatrixRunSnapshot {
                    optimizer: run.spec.optimizer.clone(),
                    init_scale: run.spec.init_scale,
                    depth: run.spec.depth(),
                    train_loss: model.train_loss(&product),
                    test_error: model.test_error(&product),
                    nuclear_norm: singular_values.iter().sum(),
                    effective_rank: effective_rank(&singular_values),
                    singular_values,
                    status: run.state.status,
                    spectra: run.spectra.clone(),
                    trace: run.trace.clone(),
                    product,
                }
            })
            .collect();
        MatrixSnapshot {
            target: self.data.target.clone(),
            mask: self.data.mask.clone(),
            reference: self.reference.clone(),
            runs,
        }
    }
}

impl Engine for MatrixExperiment {
    type Snapshot = MatrixSnapshot;

    fn snapshot(&self) -> MatrixSnapshot {
        self.snapshot_now()
    }

    fn step(&mut self, start: u64, n: u64, threads: Threads) {
        // A step costs a few products of the factors by a (rows × cols) matrix: about
        // max(rows, cols) multiply-adds per parameter.
        let side = self.data.target.nrows().max(self.data.target.ncols());
        let work = self
            .runs
            .iter()
            .map(|run| run.state.params.len() * side)
            .max();
        let work = n.saturating_mul(work.unwrap_or(0) as u64);
        let (runs, record) = (&mut self.runs, self.record_spectra);
        let step_all = |runs: &mut [MatrixRun]| {
            step_runs(
                runs,
                n,
                work,
                threads,
                |run| run.state.status.is_ok(),
                |run, offset, count, budget| {
                    step_run(run, start + offset, count, record, budget);
                },
            );
        };
        // A model that shares its products hands half of each to the pool's other thread
        // (`join`), which is cheap only from inside the pool: from any other thread, every join
        // would be a round trip through it (at N = 100, 96 µs a step against 51 µs). Entering
        // the pool is itself such a round trip (tens of µs, a thread woken and this one put to
        // sleep), which smaller models, and a budget of one thread, skip: `run --trace` on the
        // article's 20×20 preset asks for ~300 short batches.
        if threads.has_two() && runs.iter().any(|run| run.model.shares_cores()) {
            rayon::scope(|_| step_all(runs));
        } else {
            step_all(runs);
        }
    }

    fn record_all(&mut self, step: u64) {
        for run in &mut self.runs {
            record(run, step);
        }
    }

    fn all_stopped(&self) -> bool {
        self.runs.iter().all(|r| !r.state.status.is_ok())
    }
}

/// Takes `run` through steps `start + 1 ..= start + n` (fewer if it stops), on any thread: the
/// run owns its model's workspaces and its optimizer state, so the result is the same bits.
/// Records its spectra where their spacing wants them when `record`.
///
/// A run whose products are worth two cores, given a budget of two threads or more, shares
/// its products and its update with a second thread, and keeps that thread standing by through
/// the batch so each hand-over is quick.
fn step_run(run: &mut MatrixRun, start: u64, n: u64, record_spectra: bool, threads: Threads) {
    let threads = if run.model.shares_cores() {
        threads
    } else {
        Threads::ONE
    };
    if threads.has_two() && n > 1 {
        with_partner_standing_by(|| step_run_here(run, start, n, record_spectra, threads));
    } else {
        step_run_here(run, start, n, record_spectra, threads);
    }
}

/// Takes `run` through steps `start + 1 ..= start + n` (fewer if it stops) within `threads`:
/// with two, its update is shared by two cores like its products.
fn step_run_here(run: &mut MatrixRun, start: u64, n: u64, record_spectra: bool, threads: Threads) {
    let mut step = start;
    while step < start.saturating_add(n) && run.state.status.is_ok() {
        step += 1;
        let loss = run
            .model
            .gradient(&run.state.params, &mut run.state.grad, threads);
        if !loss.is_finite() {
            run.state.status = RunStatus::Diverged { step };
            break;
        }
        if threads.has_two() {
            run.state.apply_in_halves(step, run.state.params.len() / 2);
        } else {
            run.state.apply(step, None);
        }
        if record_spectra && run.spectra.wants(step) {
            record(run, step);
        }
    }
}

/// Records the top singular values of U Vᵀ (descending) and the trace's metrics at `step`.
fn record(run: &mut MatrixRun, step: u64) {
    let model = &run.model;
    let product = model.product(&run.state.params);
    let mut values = singular_values(&product);
    run.trace.offer(
        step,
        &[
            model.train_loss(&product),
            model.test_error(&product),
            values.iter().sum(),
            effective_rank(&values),
        ],
    );
    values.truncate(run.spectra.width());
    run.spectra.offer(step, &values);
}

/// A matrix experiment's state.
#[derive(Debug, Clone)]
pub struct MatrixSnapshot {
    /// M*.
    pub target: DMatrix<f64>,
    /// The observation mask.
    pub mask: DMatrix<f64>,
    /// The min-nuclear-norm completion, or why there is none.
    pub reference: NuclearReferenceStatus,
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
    /// Its number of factors L (2 for U Vᵀ).
    pub depth: usize,
    /// All singular values of M, descending.
    pub singular_values: Vec<f64>,
    /// ½‖(M − M*) ⊙ mask‖².
    pub train_loss: f64,
    /// Relative error on the held-out entries.
    pub test_error: f64,
    /// Σσᵢ.
    pub nuclear_norm: f64,
    /// Roy–Vetterli effective rank.
    pub effective_rank: f64,
    /// Moving, frozen, converged or diverged.
    pub status: RunStatus,
    /// Top singular values over time, log-spaced in steps (bounded).
    pub spectra: History,
    /// At the spectra's steps: train loss, test error, nuclear norm, effective rank.
    pub trace: History,
    /// The current M.
    pub product: DMatrix<f64>,
}
