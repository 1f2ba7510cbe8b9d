//! When a network run that stopped moving is `converged` rather than `frozen`, and the seed of
//! the curvature's start vector. The update itself is classified by the rule every kind follows
//! (`RunState::classify` in `core::kinds::run`); mini-batches (`Batcher`, `batch_seed`) and
//! parallel stepping (`step_runs`) are the shared ones, so a mini-batch run here draws the same
//! batches as a linear run with the same seed.
//!
//! A frozen run (its update moved nothing, and nothing will) has converged when it stands at a
//! minimum, as the linear kinds say of a run at their minimiser: here when its exact full
//! gradient is zero, the loss is the squared one, and the Hessian has no negative eigenvalue.
//! Under the logistic loss a zero gradient is e^{−margin} underflowing (the infimum, 0, is not
//! attained), and a zero gradient with negative curvature is a saddle (the scalar net's
//! a = b = 0): both stay frozen. A Hessian that is 0 as well (a deep net's all-zero start) cannot
//! be told from a flat minimum by its first two derivatives, and reads converged.

use super::model::{Network, NetworkLoss};
use super::sharpness::has_negative_curvature;

/// Whether `network` at `params` is at a minimum a run can converge to (see the module doc);
/// `start` is a random vector for the curvature test.
pub(super) fn at_minimum(network: &mut Network, params: &[f64], start: &[f64]) -> bool {
    if network.architecture().loss != NetworkLoss::Squared {
        return false;
    }
    let mut gradient = vec![0.0; params.len()];
    network.gradient(params, &mut gradient);
    gradient.iter().all(|&g| g == 0.0)
        && has_negative_curvature(network, params, start).is_ok_and(|negative| !negative)
}

/// The seed of the first Lanczos start vector, the same for every run: runs that share a start
/// then report the same bits for its sharpness (a stream apart from every run's batches).
pub(super) fn curvature_seed(seed: u64) -> u64 {
    seed ^ 0xC2B2_AE3D_27D4_EB4F
}
