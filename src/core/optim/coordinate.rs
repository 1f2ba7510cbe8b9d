//! Greedy coordinate descent: move only the coordinate with the largest |∂L/∂θⱼ|,
//! θⱼ ← θⱼ − η ∂L/∂θⱼ (the first such coordinate on ties). This is steepest descent for the ℓ1
//! norm, so its implicit bias is the ℓ1 max-margin direction (sparse weights), the counterpart
//! of sign descent's ℓ∞.

use super::{Optimizer, Update, all_finite, assign};

/// Greedy (Gauss–Southwell) coordinate descent with step size `lr`.
#[derive(Debug, Clone)]
pub struct CoordinateDescent {
    lr: f64,
}

impl CoordinateDescent {
    /// Coordinate descent with learning rate `lr`.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Optimizer for CoordinateDescent {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        let mut best: Option<(usize, f64)> = None;
        for (j, &g) in grad.iter().enumerate() {
            if best.is_none_or(|(_, b)| g.abs() > b.abs()) {
                best = Some((j, g));
            }
        }
        let moved = best.is_some_and(|(j, g)| {
            let new = params[j] - self.lr * g;
            assign(&mut params[j], new) != 0
        });
        Update {
            moved,
            finite: all_finite(params, grad),
        }
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
