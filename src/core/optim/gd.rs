//! Gradient descent: θ ← θ − η ∇L(θ). The article's optimizer, and the one whose implicit bias
//! (the ℓ2 max-margin direction) the theory pins down.

use super::{Optimizer, Seen, Update, in_halves};
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

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        descend(self.lr, params, grad)
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let lr = self.lr;
        in_halves(params, grad, ((), ()), at, |p, g, ()| descend(lr, p, g))
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}

/// θ ← θ − lr g over `params`, saying what it saw.
fn descend(lr: f64, params: &mut [f64], grad: &[f64]) -> Update {
    widest(
        #[inline(always)]
        || {
            let mut seen = Seen::NOTHING;
            for (p, &g) in params.iter_mut().zip(grad) {
                seen.assign(p, *p - lr * g, g);
            }
            seen.update()
        },
    )
}
