//! Gradient descent: θ ← θ − η ∇L(θ). The article's optimizer, and the one whose implicit bias
//! (the ℓ2 max-margin direction) the theory pins down.

use super::{Optimizer, assign};
use crate::core::simd::widest;

/// Plain gradient descent with a constant step size.
#[derive(Debug, Clone)]
pub struct GradientDescent {
    lr: f64,
}

impl GradientDescent {
    /// Gradient descent with learning rate `lr`.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Optimizer for GradientDescent {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        widest(
            #[inline(always)]
            || {
                let mut changed = 0;
                for (p, g) in params.iter_mut().zip(grad) {
                    changed |= assign(p, *p - self.lr * g);
                }
                changed != 0
            },
        )
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
