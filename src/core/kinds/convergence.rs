//! When a linear run has reached a finite minimiser, and what it asks its model for.
//!
//! A run is `converged` when its data are not separable (decided exactly, by the references'
//! certified LP: on separable data the infimum is never attained, so no run there is ever
//! converged) and its exact full gradient is zero to working precision: every coordinate within
//! [`ROUNDING_MULTIPLE`]·ε of the rounding-error bound of its own computation
//! ([`LinearModel::gradient_with_rounding`]), which scales with the terms summed, not with the
//! gradient. It must hold at two checks in a row, [`CHECK_EVERY`] steps apart (and "stays so"),
//! or when the update stopped moving the parameters at all. The check reads only, so runs that
//! never converge step exactly as before; it costs one gradient pass per `CHECK_EVERY` steps.

use crate::core::model::LinearModel;
use crate::core::optim::Objective;

/// Steps between two convergence checks of a moving run.
pub(super) const CHECK_EVERY: u64 = 100;
/// How many units of the rounding bound a gradient coordinate may reach and still count as 0.
pub(super) const ROUNDING_MULTIPLE: f64 = 4.0;

/// True when the full gradient of `model` at `theta` is zero to working precision.
pub(super) fn at_minimiser(model: &LinearModel, theta: &[f64]) -> bool {
    let mut grad = vec![0.0; theta.len()];
    let mut scale = vec![0.0; theta.len()];
    model.gradient_with_rounding(theta, &mut grad, &mut scale);
    grad.iter()
        .zip(&scale)
        .all(|(g, s)| g.abs() <= ROUNDING_MULTIPLE * f64::EPSILON * s)
}

/// The loss of a linear run as its optimizer sees it: the full batch or one mini-batch.
pub(super) struct LinearObjective<'a> {
    pub(super) model: &'a LinearModel,
    pub(super) batch: Option<&'a [usize]>,
}

impl Objective for LinearObjective<'_> {
    fn gradient(&mut self, params: &[f64], grad: &mut [f64]) {
        match self.batch {
            Some(batch) => self.model.batch_gradient(params, batch, grad),
            None => self.model.gradient(params, grad),
        }
    }

    fn scaled_gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.model.scaled_gradient(params, self.batch, grad)
    }
}
