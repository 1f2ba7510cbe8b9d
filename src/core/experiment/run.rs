//! What every run of every kind shares: its parameters and optimizer state, how one update is
//! classified (moving, frozen, diverged), and shuffled mini-batches.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::core::optim::{Objective, Optimizer, OptimizerSpec};
use crate::core::simd::widest;

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
    /// The run reached a finite minimiser (the data are not separable): its exact full gradient
    /// is zero to working precision, so it stops there.
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
        let moved = self
            .optimizer
            .update(&mut self.params, &mut self.grad, objective);
        self.classify(step, moved, full_gradient_is_zero);
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
        let moved = self.optimizer.step(&mut self.params, &self.grad);
        self.classify(step, moved, full_gradient_is_zero);
    }

    /// Sets the status after an update to `self.params` with `self.grad`; `moved` is the
    /// optimizer's word on whether any parameter's bits changed.
    fn classify(
        &mut self,
        step: u64,
        moved: bool,
        full_gradient_is_zero: Option<ZeroGradientCheck<'_>>,
    ) {
        // A NaN or infinite gradient is divergence even when the rule ignores it (sign(NaN)
        // moves nothing): the run must not pass for frozen.
        if !all_finite(&self.params, &self.grad) {
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

/// True when every entry of `a` and `b` is finite. |x| < ∞ is false exactly for NaN and ±∞ and,
/// folded without short-circuit, compiles to packed float compares on any x86-64 (`is_finite`
/// tests the exponent bits with 64-bit integer compares, which plain x86-64 cannot pack).
fn all_finite(a: &[f64], b: &[f64]) -> bool {
    widest(
        #[inline(always)]
        || {
            a.iter().zip(b).fold(true, |all, (x, y)| {
                all & (x.abs() < f64::INFINITY) & (y.abs() < f64::INFINITY)
            })
        },
    )
}

/// Computes whether the full-batch gradient at some parameters is exactly zero.
pub(super) type ZeroGradientCheck<'a> = &'a dyn Fn(&[f64]) -> bool;

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

#[cfg(test)]
mod tests {
    use super::*;

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
