//! Sign descent: θ ← θ − η sign(∇L(θ)), with sign(0) = 0. It is steepest descent for the ℓ∞
//! norm, so its implicit bias is the ℓ∞ max-margin direction (Adam without its averaging).

use super::{Optimizer, Seen, Update, in_halves};
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

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        sign_step(self.lr, params, grad)
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let lr = self.lr;
        in_halves(params, grad, ((), ()), at, |p, g, ()| sign_step(lr, p, g))
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}

/// θ ← θ − lr sign(g) over `params` (a zero or NaN entry of g moves nothing), saying what it
/// saw.
fn sign_step(lr: f64, params: &mut [f64], grad: &[f64]) -> Update {
    widest(
        #[inline(always)]
        || {
            let mut seen = Seen::NOTHING;
            for (p, &g) in params.iter_mut().zip(grad) {
                let new = if g > 0.0 {
                    *p - lr
                } else if g < 0.0 {
                    *p + lr
                } else {
                    *p
                };
                seen.assign(p, new, g);
            }
            seen.update()
        },
    )
}
