//! Normalized gradient descent: θ ← θ − η ∇L/‖∇L‖₂. The norm is taken after scaling by the
//! largest |gᵢ|, so gradients of 1e200 or 1e-300 neither overflow nor underflow to a wrong step.
//! A gradient of exactly zero gives no step.

use super::Optimizer;

/// Normalized gradient descent with step length `lr`.
#[derive(Debug, Clone)]
pub struct Normalized {
    lr: f64,
}

impl Normalized {
    /// Normalized GD with step length `lr`.
    #[must_use]
    pub fn new(lr: f64) -> Self {
        Self { lr }
    }
}

impl Optimizer for Normalized {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        let scale = grad.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
        // No step without a direction. A non-finite gradient needs no case of its own here: the
        // experiment checks every gradient and reports the run diverged.
        if scale == 0.0 || !scale.is_finite() {
            return;
        }
        let norm = grad.iter().map(|g| (g / scale).powi(2)).sum::<f64>().sqrt();
        for (p, g) in params.iter_mut().zip(grad) {
            *p -= self.lr * ((g / scale) / norm);
        }
    }

    fn is_memoryless(&self) -> bool {
        true
    }
}
