//! Mirror descent with the potential ψ(w) = ‖w‖_p^p / p, elementwise:
//! θ = sign(w)|w|^{p−1}; θ ← θ − η ∇L(w); w = sign(θ)|θ|^{1/(p−1)}.
//! Its implicit bias is the ℓp max-margin direction (Sun et al. 2022); p = 2 is gradient descent.
//! The dual point θ is recomputed from w at every step, so the rule keeps no state.

use super::{Optimizer, Seen, Update, in_halves};

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

    /// One step through the dual space for every weight, saying what it saw.
    fn descend(&self, params: &mut [f64], grad: &[f64]) -> Update {
        let mut seen = Seen::NOTHING;
        for (w, &g) in params.iter_mut().zip(grad) {
            let dual = w.signum() * w.abs().powf(self.power) - self.lr * g;
            seen.assign(w, dual.signum() * dual.abs().powf(self.inverse_power), g);
        }
        seen.update()
    }
}

impl Optimizer for Mirror {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        self.descend(params, grad)
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let rule = self.clone();
        in_halves(params, grad, ((), ()), at, |w, g, ()| rule.descend(w, g))
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
