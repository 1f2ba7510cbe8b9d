//! The run machinery the network kind shares in meaning with the other kinds: how an update is
//! classified (moving, frozen, diverged), shuffled mini-batches, and runs stepped in parallel
//! pieces within a thread budget.
//!
//! These are the rules of `core::experiment::run` (its `RunState::classify`, `Batcher`,
//! `batch_seed` and `step_runs`), restated here because that module is private to
//! `core::experiment` and this kind lives outside it until the kind trait gives both one home.
//! They must stay the same rules: a mini-batch run here draws the same batches as a linear run
//! with the same seed and index, and the tests replay them from this description.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::core::experiment::RunStatus;
use crate::core::optim::{Optimizer, Update};
use crate::core::par::Threads;

/// The status after an update that saw `update` (its `finite` also false when the loss was
/// not finite), or `None` when the run keeps moving. A non-finite value is divergence; an update
/// that moved nothing freezes the run when nothing can move it again: a memoryless rule on the
/// full batch, or any rule at rest with a zero full gradient (`full_gradient_is_zero`, asked
/// only in that rare case, and only for mini-batch runs: a full-batch run's `grad` is it).
pub(super) fn classify(
    step: u64,
    update: Update,
    optimizer: &dyn Optimizer,
    grad: &[f64],
    full_gradient_is_zero: Option<&mut dyn FnMut() -> bool>,
) -> Option<RunStatus> {
    if !update.finite {
        return Some(RunStatus::Diverged { step });
    }
    if update.moved {
        return None;
    }
    let frozen = match full_gradient_is_zero {
        None => {
            optimizer.is_memoryless() || (optimizer.at_rest() && grad.iter().all(|&g| g == 0.0))
        }
        Some(is_zero) => optimizer.at_rest() && is_zero(),
    };
    frozen.then_some(RunStatus::Frozen { step })
}

/// The seed of run `index`'s mini-batches (0-based): one stream per run, the linear kind's.
pub(super) fn batch_seed(seed: u64, index: usize) -> u64 {
    seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(index as u64 + 1)
}

/// The seed of the first Lanczos start vector, the same for every run: runs that share a start
/// then report the same bits for its sharpness (a stream apart from every run's batches).
pub(super) fn curvature_seed(seed: u64) -> u64 {
    seed ^ 0xC2B2_AE3D_27D4_EB4F
}

/// Shuffled mini-batches, reshuffled every epoch, as a torch DataLoader with `shuffle=True` and
/// `drop_last=False`: the indices 0..n shuffled (rand's `shuffle`, a generator seeded with
/// [`batch_seed`]) at the first batch and whenever an epoch is used up, then cut in order into
/// batches of `size`, the last one short when `size` does not divide n.
#[derive(Debug)]
pub(super) struct Batcher {
    order: Vec<usize>,
    position: usize,
    size: usize,
    rng: StdRng,
}

impl Batcher {
    /// Batches of `size` out of `points` indices, shuffled by a generator seeded with `seed`.
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

/// Work (multiply-adds) below which a batch of steps runs its runs on this thread: handing runs
/// to rayon costs some µs, which a single step would feel (the registry's `PARALLEL_WORK`).
const PARALLEL_WORK: u64 = 50_000;

/// Into how many pieces each run's steps are cut when runs share threads: three runs on two
/// threads then end within a piece of each other.
const PIECES_PER_RUN: u64 = 16;

/// Takes `runs` through `n` steps within `threads`: `advance(run, offset, count)` takes one run
/// through steps `offset + 1 ..= offset + count` of the batch. On up to `threads` threads, in
/// pieces, when the budget has two, the batch is worth it (`work` multiply-adds) and more than
/// one run is `moving`; else one run after another here. A run's pieces run in order, each on
/// whichever thread took it, so the results are the same bits on any budget.
pub(super) fn step_runs<R: Send>(
    runs: &mut [R],
    n: u64,
    work: u64,
    threads: Threads,
    moving: impl Fn(&R) -> bool,
    advance: impl Fn(&mut R, u64, u64) + Sync,
) {
    let moving_runs = runs.iter().filter(|run| moving(run)).count();
    if !(threads.has_two() && work >= PARALLEL_WORK && moving_runs > 1) {
        for run in runs {
            advance(run, 0, n);
        }
        return;
    }
    let piece = n.div_ceil(PIECES_PER_RUN).max(1);
    let slots: Vec<Mutex<&mut R>> = runs
        .iter_mut()
        .filter(|run| moving(run))
        .map(Mutex::new)
        .collect();
    let left: Vec<AtomicU64> = slots.iter().map(|_| AtomicU64::new(n)).collect();
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

    #[test]
    fn every_run_gets_its_steps_in_order_on_any_budget() {
        for threads in [Threads::ONE, Threads::available()] {
            let mut logs: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 3];
            step_runs(
                &mut logs,
                1_000,
                u64::MAX,
                threads,
                |_| true,
                |log, offset, count| log.push((offset, count)),
            );
            for log in &logs {
                let mut next = 0;
                for &(offset, count) in log {
                    assert_eq!(offset, next, "{log:?}");
                    next += count;
                }
                assert_eq!(next, 1_000);
            }
        }
    }

    #[test]
    fn an_epoch_serves_every_point_once_with_a_short_last_batch() {
        let mut batcher = Batcher::new(10, 4, 1);
        let mut seen: Vec<usize> = Vec::new();
        let sizes: Vec<usize> = (0..3)
            .map(|_| {
                let batch = batcher.next();
                seen.extend_from_slice(batch);
                batch.len()
            })
            .collect();
        assert_eq!(sizes, [4, 4, 2]);
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}
