//! What every run of every kind shares: its parameters and optimizer state, how one update is
//! classified (moving, frozen, diverged), and shuffled mini-batches.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::core::optim::{Objective, Optimizer, OptimizerSpec, Update};
use crate::core::par::Threads;

/// Work (in multiply-adds, estimated by each kind) below which a batch steps its runs on this
/// thread: handing runs to rayon costs some µs, which a small batch (the dashboard's first
/// slices, a single step) would feel; above it the runs step in parallel.
const PARALLEL_WORK: u64 = 50_000;

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
    /// The run reached a finite minimiser: its exact full gradient is zero (to working
    /// precision in the linear kinds on data that are not separable; exactly, under the squared
    /// loss and with no negative curvature, in the network kind), so it stops there.
    Converged {
        /// The step at which that was established.
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
    /// `ok`, `frozen`, `converged` or `diverged`, as in the JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Frozen { .. } => "frozen",
            RunStatus::Converged { .. } => "converged",
            RunStatus::Diverged { .. } => "diverged",
        }
    }

    /// The step the run stopped at, if it stopped.
    #[must_use]
    pub fn step(self) -> Option<u64> {
        match self {
            RunStatus::Ok => None,
            RunStatus::Frozen { step }
            | RunStatus::Converged { step }
            | RunStatus::Diverged { step } => Some(step),
        }
    }

    /// True while the run still moves.
    #[must_use]
    pub fn is_ok(self) -> bool {
        self == RunStatus::Ok
    }
}

/// The parameters, optimizer state and bookkeeping every run has.
pub(super) struct RunState {
    pub(super) params: Vec<f64>,
    pub(super) grad: Vec<f64>,
    optimizer: Box<dyn Optimizer>,
    pub(super) status: RunStatus,
}

impl RunState {
    pub(super) fn new(spec: &OptimizerSpec, params: Vec<f64>) -> Self {
        let n = params.len();
        Self {
            optimizer: spec.build(n),
            grad: vec![0.0; n],
            params,
            status: RunStatus::Ok,
        }
    }

    /// Lets the optimizer update the parameters, asking `objective` for the gradient (or what
    /// else it needs), and classifies the outcome as [`RunState::apply`] does.
    pub(super) fn advance(
        &mut self,
        step: u64,
        objective: &mut dyn Objective,
        full_gradient_is_zero: Option<ZeroGradientCheck<'_>>,
    ) {
        let update = self.update(objective);
        self.classify(step, update, full_gradient_is_zero);
    }

    /// [`RunState::advance`]'s update alone, for a run that must look at its objective before
    /// the outcome is classified (the network's loss, whose objective also holds the network
    /// the check needs): it then calls [`RunState::classify`] itself.
    pub(super) fn update(&mut self, objective: &mut dyn Objective) -> Update {
        self.optimizer
            .update(&mut self.params, &mut self.grad, objective)
    }

    /// The rule, for the network kind to measure its preconditioner.
    pub(super) fn optimizer(&self) -> &dyn Optimizer {
        self.optimizer.as_ref()
    }

    /// Applies the optimizer to the gradient in `self.grad` and classifies the outcome.
    ///
    /// A run is frozen when the update left the parameters bit-identical and nothing can change
    /// that: a memoryless rule on the full batch will compute the same gradient and the same
    /// no-op for ever; any other rule must also be at rest with a zero full gradient. For
    /// mini-batches `full_gradient_is_zero` computes that full gradient (only in this rare case).
    pub(super) fn apply(
        &mut self,
        step: u64,
        full_gradient_is_zero: Option<ZeroGradientCheck<'_>>,
    ) {
        let update = self.optimizer.step_checked(&mut self.params, &self.grad);
        self.classify(step, update, full_gradient_is_zero);
    }

    /// [`RunState::apply`] for a full-batch gradient just computed on two cores: the update and
    /// the finite check of `params[..at]` on this core and of the rest on the other, so neither
    /// waits through them (the bits are those of `apply`).
    pub(super) fn apply_in_halves(&mut self, step: u64, at: usize) {
        let update = self
            .optimizer
            .step_in_halves(&mut self.params, &self.grad, at);
        self.classify(step, update, None);
    }

    /// Sets the status after an update to `self.params` with `self.grad`: `update.moved` is the
    /// optimizer's word on whether any parameter's bits changed, `update.finite` whether every
    /// parameter and gradient entry (and whatever else the caller checked) is finite. Frozen
    /// as [`RunState::apply`] says; a kind that knows its minima turns a frozen run at one
    /// into [`RunStatus::Converged`].
    pub(super) fn classify(
        &mut self,
        step: u64,
        Update { moved, finite }: Update,
        full_gradient_is_zero: Option<ZeroGradientCheck<'_>>,
    ) {
        // A NaN or infinite gradient is divergence even when the rule ignores it (sign(NaN)
        // moves nothing): the run must not pass for frozen.
        if !finite {
            self.status = RunStatus::Diverged { step };
        } else if !moved {
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

/// Computes whether the full-batch gradient at some parameters is exactly zero (mutably: the
/// network kind's model keeps its buffers).
pub(super) type ZeroGradientCheck<'a> = &'a mut dyn FnMut(&[f64]) -> bool;

/// The seed of run `index`'s mini-batches (0-based index): one stream per run, so runs shuffle
/// independently and a replay of one run alone draws the same batches.
pub(super) fn batch_seed(seed: u64, index: usize) -> u64 {
    seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(index as u64 + 1)
}

/// The seed of run `index`'s label noise: a stream apart from its batches'.
pub(super) fn noise_seed(seed: u64, index: usize) -> u64 {
    seed ^ 0xD1B5_4A32_D192_ED03_u64.wrapping_mul(index as u64 + 1)
}

/// Shuffled mini-batches, reshuffled every epoch, as a torch DataLoader with `shuffle=True` and
/// `drop_last=False`: an epoch's last batch is short when the batch size does not divide n.
pub(super) struct Batcher {
    order: Vec<usize>,
    position: usize,
    size: usize,
    rng: StdRng,
}

impl Batcher {
    /// Batches of `size` out of `points` indices, shuffled by a generator seeded with `seed`;
    /// the first call to [`Batcher::next`] shuffles.
    pub(super) fn new(points: usize, size: usize, seed: u64) -> Self {
        Self {
            order: (0..points).collect(),
            position: usize::MAX,
            size,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The indices of the next mini-batch.
    pub(super) fn next(&mut self) -> &[usize] {
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

/// Into how many pieces [`step_in_pieces`] cuts each run's steps: enough that three runs on two
/// threads end within a piece of each other (16 pieces: ≥ 95 % of both cores), few enough that
/// taking a piece (a lock) costs nothing next to its steps.
const PIECES_PER_RUN: u64 = 16;

/// Takes `runs` through `n` steps within `threads`, `advance(run, offset, count, budget)` taking
/// one run through steps `offset + 1 ..= offset + count` of the batch with `budget` threads of
/// its own: on up to `threads` threads, in pieces ([`step_in_pieces`]), when the budget has two,
/// the batch is worth it (`work` multiply-adds, from [`PARALLEL_WORK`] on) and more than one
/// run is `moving`, each run then with an even share of the budget; else one run after another
/// on this thread, each with the whole budget for its own halves. Stopped runs cost nothing and
/// never hold a thread's share.
pub(crate) fn step_runs<R: Send>(
    runs: &mut [R],
    n: u64,
    work: u64,
    threads: Threads,
    moving: impl Fn(&R) -> bool,
    advance: impl Fn(&mut R, u64, u64, Threads) + Sync,
) {
    let moving_runs = runs.iter().filter(|run| moving(run)).count();
    if threads.has_two() && work >= PARALLEL_WORK && moving_runs > 1 {
        let mut moving: Vec<&mut R> = runs.iter_mut().filter(|run| moving(run)).collect();
        let share = threads.share(moving_runs);
        step_in_pieces(&mut moving, n, threads, |run, offset, count| {
            advance(run, offset, count, share);
        });
    } else {
        for run in runs {
            advance(run, 0, n, threads);
        }
    }
}

/// Advances every run in `runs` by `n` steps on up to `threads` threads of the rayon pool,
/// `advance(run, offset, count)` taking a run from its `offset`-th step of this batch through
/// `count` more.
///
/// Handing each run to a thread as a whole (`par_iter`) leaves a core idle whenever the runs do
/// not divide evenly over the threads: three moving runs on two cores keep them 75 % busy. Here
/// each run's steps are cut into pieces taken in order, and a free thread always takes the next
/// piece of the unclaimed run with the most steps left, so a run migrates between threads and
/// all of them finish together. A run's pieces still run one after another, each on whichever
/// thread took it: the results do not depend on the schedule, bit for bit.
fn step_in_pieces<R: Send>(
    runs: &mut [R],
    n: u64,
    threads: Threads,
    advance: impl Fn(&mut R, u64, u64) + Sync,
) {
    let piece = n.div_ceil(PIECES_PER_RUN).max(1);
    let left: Vec<AtomicU64> = runs.iter().map(|_| AtomicU64::new(n)).collect();
    let slots: Vec<Mutex<&mut R>> = runs.iter_mut().map(Mutex::new).collect();
    let work = || {
        let mut order: Vec<usize> = (0..slots.len()).collect();
        loop {
            // Most steps left first; a run another thread holds is skipped, not waited for.
            order.sort_by_key(|&i| std::cmp::Reverse(left[i].load(Ordering::Relaxed)));
            let taken = order.iter().find_map(|&i| {
                let guard = slots[i].try_lock().ok()?;
                (left[i].load(Ordering::Relaxed) > 0).then_some((i, guard))
            });
            let Some((i, mut run)) = taken else {
                // Every run with steps left is being stepped by another thread: only that
                // thread can finish it, so this one is done.
                return;
            };
            let remaining = left[i].load(Ordering::Relaxed);
            let count = remaining.min(piece);
            advance(&mut run, n - remaining, count);
            left[i].store(remaining - count, Ordering::Relaxed);
        }
    };
    rayon::scope(|scope| {
        for _ in 1..threads.get().min(slots.len()) {
            scope.spawn(|_| work());
        }
        work();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every run gets exactly its n steps, in order and without overlap, whatever thread took
    /// each piece: checked against the plain count of steps each run was asked for.
    #[test]
    fn pieces_cover_every_run_in_order() {
        for (runs, n) in [(3, 1_000), (4, 17), (1, 5), (5, 1)] {
            let mut logs: Vec<Vec<(u64, u64)>> = vec![Vec::new(); runs];
            step_in_pieces(&mut logs, n, Threads::default(), |log, offset, count| {
                log.push((offset, count));
            });
            for log in &logs {
                let mut expected_offset = 0;
                for &(offset, count) in log {
                    assert_eq!(offset, expected_offset, "{log:?}");
                    assert!(count > 0);
                    expected_offset += count;
                }
                assert_eq!(expected_offset, n, "{log:?}");
            }
        }
    }

    #[test]
    fn an_epoch_serves_every_point_once_with_a_short_last_batch() {
        let mut batcher = Batcher::new(10, 3, 1);
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
}
