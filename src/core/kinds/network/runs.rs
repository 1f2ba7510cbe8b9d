//! When a network run that stopped moving is `converged` rather than `frozen`, and the seed of
//! the curvature's start vector. The update itself is classified by the rule every kind follows
//! (`RunState::classify` in `core::kinds::run`); mini-batches (`Batcher`, `batch_seed`) and
//! parallel stepping (`step_runs`) are the shared ones, so a mini-batch run here draws the same
//! batches as a linear run with the same seed.
//!
//! A frozen run (its update moved nothing, and nothing will) has converged when it stands at a
//! minimum, as the linear kinds say of a run at their minimiser, under the squared loss: when
//! it fits every target to working precision (each residual within [`FIT_ULPS`] roundings of
//! its target: the global minimum 0 up to rounding, where the gradient is a rounding error too
//! small to move the parameters), or when its exact full gradient is zero and the Hessian has no
//! negative eigenvalue.
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
    if fits_to_working_precision(network, params) {
        return true;
    }
    let mut gradient = vec![0.0; params.len()];
    network.gradient(params, &mut gradient);
    gradient.iter().all(|&g| g == 0.0)
        && has_negative_curvature(network, params, start).is_ok_and(|negative| !negative)
}

/// How many roundings of a target a residual may be and still count as a fit: the output is a
/// sum through every layer, each product and sum rounding once, so a few ulps of the largest
/// term is as close as float64 can fit.
pub(super) const FIT_ULPS: f64 = 8.0;

/// True when every output is within [`FIT_ULPS`] · ε · max(1, |target|) of its target.
fn fits_to_working_precision(network: &mut Network, params: &[f64]) -> bool {
    let outputs = network.outputs(params);
    outputs
        .iter()
        .zip(&network.data().targets)
        .all(|(&f, &y)| (f - y).abs() <= FIT_ULPS * f64::EPSILON * y.abs().max(1.0))
}

/// The seed of the first Lanczos start vector, the same for every run: runs that share a start
/// then report the same bits for its sharpness (a stream apart from every run's batches).
pub(super) fn curvature_seed(seed: u64) -> u64 {
    seed ^ 0xC2B2_AE3D_27D4_EB4F
}
