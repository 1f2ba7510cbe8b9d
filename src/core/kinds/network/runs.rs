//! How a network run's update is classified (moving, frozen, diverged), by the rule every kind
//! follows (`core::kinds::run`), for a run that steps through `Optimizer::update` with its own
//! objective (so normalized descent gets its loss) while that objective, not the check, holds
//! the network; and the seed of the curvature's start vector.
//! Mini-batches (`Batcher`, `batch_seed`) and parallel stepping (`step_runs`) are the shared
//! ones, so a mini-batch run here draws the same batches as a linear run with the same seed.

use crate::core::kinds::RunStatus;
use crate::core::optim::{Optimizer, Update};

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

/// The seed of the first Lanczos start vector, the same for every run: runs that share a start
/// then report the same bits for its sharpness (a stream apart from every run's batches).
pub(super) fn curvature_seed(seed: u64) -> u64 {
    seed ^ 0xC2B2_AE3D_27D4_EB4F
}
