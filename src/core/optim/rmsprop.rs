//! RMSprop as torch.optim.RMSprop (no momentum, not centred):
//! v ← α v + (1−α) g²; θ ← θ − η g / (√v + ε).

use super::{Optimizer, assign};
use crate::core::simd::widest;

/// torch.optim.RMSprop state.
#[derive(Debug, Clone)]
pub struct RmsProp {
    lr: f64,
    alpha: f64,
    eps: f64,
    square_avg: Vec<f64>,
}

impl RmsProp {
    /// RMSprop with learning rate `lr`, smoothing `alpha` and `eps`.
    #[must_use]
    pub fn new(lr: f64, alpha: f64, eps: f64, parameters: usize) -> Self {
        Self {
            lr,
            alpha,
            eps,
            square_avg: vec![0.0; parameters],
        }
    }
}

impl Optimizer for RmsProp {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        widest(
            #[inline(always)]
            || {
                let mut changed = 0;
                for ((p, &g), v) in params.iter_mut().zip(grad).zip(&mut self.square_avg) {
                    *v = *v * self.alpha + (1.0 - self.alpha) * g * g;
                    changed |= assign(p, *p - self.lr * (g / (v.sqrt() + self.eps)));
                }
                changed != 0
            },
        )
    }
}
