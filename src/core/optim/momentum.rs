//! Heavy-ball momentum as torch.optim.SGD computes it: b ← μ b + g (b = g at the first step);
//! θ ← θ − η b, or with Nesterov θ ← θ − η (g + μ b).

use super::{Optimizer, Seen, Update, in_halves};
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

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        let rule = (self.lr, self.mu, self.nesterov);
        heavy_ball(rule, params, grad, &mut self.buffer)
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let rule = (self.lr, self.mu, self.nesterov);
        let buffers = self.buffer.split_at_mut(at);
        in_halves(params, grad, buffers, at, |p, g, b| {
            heavy_ball(rule, p, g, b)
        })
    }

    fn at_rest(&self) -> bool {
        // μ·b stops decaying at the smallest subnormal (0.9 · 5e-324 rounds back up), so a
        // subnormal buffer counts as spent: η·b cannot move a parameter of normal size.
        self.buffer.iter().all(|b| b.abs() < f64::MIN_POSITIVE)
    }
}

/// One momentum update of `params` with buffer `buffer`, `(lr, μ, nesterov)` = `rule`, saying
/// what it saw.
fn heavy_ball(
    (lr, mu, nesterov): (f64, f64, bool),
    params: &mut [f64],
    grad: &[f64],
    buffer: &mut [f64],
) -> Update {
    widest(
        #[inline(always)]
        || {
            let mut seen = Seen::NOTHING;
            for ((p, &g), b) in params.iter_mut().zip(grad).zip(buffer) {
                // With b = 0 initially, μ·0 + g is torch's "first step: b = g" exactly.
                *b = mu * *b + g;
                let direction = if nesterov { g + mu * *b } else { *b };
                seen.assign(p, *p - lr * direction, g);
            }
            seen.update()
        },
    )
}
