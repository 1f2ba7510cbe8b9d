//! Heavy-ball momentum as torch.optim.SGD computes it: b ← μ b + g (b = g at the first step);
//! θ ← θ − η b, or with Nesterov θ ← θ − η (g + μ b).

use super::{Optimizer, assign};
use crate::core::simd::widest;

/// SGD with momentum μ, optionally Nesterov.
#[derive(Debug, Clone)]
pub struct Momentum {
    lr: f64,
    mu: f64,
    nesterov: bool,
    buffer: Vec<f64>,
}

impl Momentum {
    /// Momentum state for `parameters` parameters.
    #[must_use]
    pub fn new(lr: f64, momentum: f64, nesterov: bool, parameters: usize) -> Self {
        Self {
            lr,
            mu: momentum,
            nesterov,
            buffer: vec![0.0; parameters],
        }
    }
}

impl Optimizer for Momentum {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        widest(
            #[inline(always)]
            || {
                let mut changed = 0;
                for ((p, &g), b) in params.iter_mut().zip(grad).zip(&mut self.buffer) {
                    // With b = 0 initially, μ·0 + g is torch's "first step: b = g" exactly.
                    *b = self.mu * *b + g;
                    let direction = if self.nesterov { g + self.mu * *b } else { *b };
                    changed |= assign(p, *p - self.lr * direction);
                }
                changed != 0
            },
        )
    }

    fn at_rest(&self) -> bool {
        // μ·b stops decaying at the smallest subnormal (0.9 · 5e-324 rounds back up), so a
        // subnormal buffer counts as spent: η·b cannot move a parameter of normal size.
        self.buffer.iter().all(|b| b.abs() < f64::MIN_POSITIVE)
    }
}
