//! Mirror descent with the potential ψ(w) = ‖w‖_p^p / p, elementwise:
//! θ = sign(w)|w|^{p−1}; θ ← θ − η ∇L(w); w = sign(θ)|θ|^{1/(p−1)}.
//! Its implicit bias is the ℓp max-margin direction (Sun et al. 2022); p = 2 is gradient descent.
//! The dual point θ is recomputed from w at every step, so the rule keeps no state.

use super::{Optimizer, assign};

/// p-norm mirror descent with learning rate `lr`.
#[derive(Debug, Clone)]
pub struct Mirror {
    lr: f64,
    /// p − 1, the exponent of the mirror map.
    power: f64,
    /// 1/(p − 1), the exponent of its inverse.
    inverse_power: f64,
}

impl Mirror {
    /// Mirror descent for ψ = ‖w‖_p^p / p (p > 1) with learning rate `lr`.
    #[must_use]
    pub fn new(lr: f64, p: f64) -> Self {
        Self {
            lr,
            power: p - 1.0,
            inverse_power: 1.0 / (p - 1.0),
        }
    }
}

impl Optimizer for Mirror {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        let mut changed = 0;
        for (w, g) in params.iter_mut().zip(grad) {
            let dual = w.signum() * w.abs().powf(self.power) - self.lr * g;
            changed |= assign(w, dual.signum() * dual.abs().powf(self.inverse_power));
        }
        changed != 0
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
