//! Normalized gradient descent, two ways:
//! by the gradient, θ ← θ − η ∇L/‖∇L‖₂ (steps of fixed length), or
//! by the loss, θ ← θ − η ∇L/L (Ji & Telgarsky 2021: the margin gap falls as O(1/t)).
//!
//! Both updates are unchanged when ∇L and L are multiplied by one constant, so the rule asks its
//! [`Objective`] for the *scaled* gradient and loss: on separable data every exp(−margin)
//! underflows long before the direction stops being well defined, and the shifted exponentials
//! keep it computable, so such a run never freezes. The norm is taken after scaling by the
//! largest |gᵢ|, so no norm overflows or underflows either. A gradient of exactly zero gives no
//! step.

use super::{Objective, Optimizer, Seen, Update, all_finite};
use crate::core::simd::widest;

/// What the gradient is divided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NormalizeBy {
    /// ‖∇L‖₂: steps of length η.
    #[default]
    Gradient,
    /// The loss L.
    Loss,
}

impl NormalizeBy {
    /// Every mode, in the order shown to users.
    pub const ALL: [NormalizeBy; 2] = [NormalizeBy::Gradient, NormalizeBy::Loss];

    /// The name used in presets.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            NormalizeBy::Gradient => "gradient",
            NormalizeBy::Loss => "loss",
        }
    }

    /// Parses a preset name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Normalized gradient descent with step size `lr`.
#[derive(Debug, Clone)]
pub struct Normalized {
    lr: f64,
    by: NormalizeBy,
    /// L/c from the last [`Objective::scaled_gradient`], for normalizing by the loss.
    scaled_loss: f64,
}

impl Normalized {
    /// Normalized GD with step size `lr`, dividing by the gradient's norm or by the loss.
    #[must_use]
    pub fn new(lr: f64, by: NormalizeBy) -> Self {
        Self {
            lr,
            by,
            scaled_loss: f64::NAN,
        }
    }
}

impl Optimizer for Normalized {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// The update from a gradient alone; normalizing by the loss needs [`Optimizer::update`],
    /// which knows the loss (here it would divide by NaN and the run would be diverged).
    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        let scale = grad.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        // No step without a direction; the check still sees a NaN or infinite gradient (which
        // `max` may have passed over), so the run is reported diverged.
        if scale == 0.0 || !scale.is_finite() {
            return Update {
                moved: false,
                finite: all_finite(params, grad),
            };
        }
        let divisor = match self.by {
            NormalizeBy::Gradient => grad.iter().map(|g| (g / scale).powi(2)).sum::<f64>().sqrt(),
            NormalizeBy::Loss => self.scaled_loss / scale,
        };
        widest(
            #[inline(always)]
            || {
                let mut seen = Seen::NOTHING;
                for (p, &g) in params.iter_mut().zip(grad) {
                    seen.assign(p, *p - self.lr * ((g / scale) / divisor), g);
                }
                seen.update()
            },
        )
    }

    fn update(
        &mut self,
        params: &mut [f64],
        grad: &mut [f64],
        objective: &mut dyn Objective,
    ) -> Update {
        self.scaled_loss = objective.scaled_gradient(params, grad);
        self.step_checked(params, grad)
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
