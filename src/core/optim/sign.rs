//! Sign descent: θ ← θ − η sign(∇L(θ)), with sign(0) = 0. It is steepest descent for the ℓ∞
//! norm, so its implicit bias is the ℓ∞ max-margin direction (Adam without its averaging).

use super::{Optimizer, assign};
use crate::core::simd::widest;

/// Sign descent with a constant step.
#[derive(Debug, Clone)]
pub struct SignDescent {
    lr: f64,
}

impl SignDescent {
    /// Sign descent with step `lr`.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Optimizer for SignDescent {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        widest(
            #[inline(always)]
            || {
                let mut changed = 0;
                for (p, &g) in params.iter_mut().zip(grad) {
                    if g > 0.0 {
                        changed |= assign(p, *p - self.lr);
                    } else if g < 0.0 {
                        changed |= assign(p, *p + self.lr);
                    }
                }
                changed != 0
            },
        )
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
