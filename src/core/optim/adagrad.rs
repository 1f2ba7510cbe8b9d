//! Adagrad as torch.optim.Adagrad (no learning-rate decay):
//! s ← s + g²; θ ← θ − η g / (√s + ε).

use super::{Optimizer, assign};
use crate::core::simd::widest;

/// torch.optim.Adagrad state.
#[derive(Debug, Clone)]
pub struct Adagrad {
    lr: f64,
    eps: f64,
    sum_squares: Vec<f64>,
}

impl Adagrad {
    /// Adagrad with learning rate `lr` and `eps`.
    #[must_use]
    pub fn new(lr: f64, eps: f64, parameters: usize) -> Self {
        Self {
            lr,
            eps,
            sum_squares: vec![0.0; parameters],
        }
    }
}

impl Optimizer for Adagrad {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        widest(
            #[inline(always)]
            || {
                let mut changed = 0;
                for ((p, &g), s) in params.iter_mut().zip(grad).zip(&mut self.sum_squares) {
                    *s += g * g;
                    changed |= assign(p, *p - self.lr * (g / (s.sqrt() + self.eps)));
                }
                changed != 0
            },
        )
    }
}
