//! Adam exactly as torch.optim.Adam (no weight decay, no amsgrad):
//! m ← m + (1−β₁)(g − m); v ← β₂ v + (1−β₂) g²;
//! θ ← θ − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
//! Its per-coordinate scaling makes it sign-like, which biases it towards the ℓ∞ max margin.
//! With ε = 0 a coordinate whose second moment is 0 (every gradient so far was 0, or its square
//! underflowed) does not move, rather than moving by 0/0 = NaN.

use super::{Optimizer, assign};
use crate::core::simd::widest;

/// torch.optim.Adam state.
#[derive(Debug, Clone)]
pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    step: i32,
    first_moment: Vec<f64>,
    second_moment: Vec<f64>,
}

impl Adam {
    /// Adam with learning rate `lr`, `betas` = (β₁, β₂) and `eps`.
    #[must_use]
    pub fn new(lr: f64, betas: (f64, f64), eps: f64, parameters: usize) -> Self {
        Self {
            lr,
            beta1: betas.0,
            beta2: betas.1,
            eps,
            step: 0,
            first_moment: vec![0.0; parameters],
            second_moment: vec![0.0; parameters],
        }
    }
}

impl Optimizer for Adam {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        widest(
            #[inline(always)]
            || {
                let mut changed = 0;
                self.step = self.step.saturating_add(1);
                let bias_correction1 = 1.0 - self.beta1.powi(self.step);
                let bias_correction2_sqrt = (1.0 - self.beta2.powi(self.step)).sqrt();
                let step_size = self.lr / bias_correction1;
                for (((p, &g), m), v) in params
                    .iter_mut()
                    .zip(grad)
                    .zip(&mut self.first_moment)
                    .zip(&mut self.second_moment)
                {
                    // torch: exp_avg.lerp_(grad, 1 − β₁), i.e. m + (1 − β₁)(g − m).
                    *m += (1.0 - self.beta1) * (g - *m);
                    *v = *v * self.beta2 + (1.0 - self.beta2) * g * g;
                    let denom = v.sqrt() / bias_correction2_sqrt + self.eps;
                    // Only ε = 0 can make the denominator 0; with ε > 0 this is the torch update.
                    if denom > 0.0 {
                        changed |= assign(p, *p - step_size * (*m / denom));
                    }
                }
                changed != 0
            },
        )
    }

    fn at_rest(&self) -> bool {
        // As for momentum: a subnormal first moment is spent, it never decays to exactly 0.
        self.first_moment
            .iter()
            .all(|m| m.abs() < f64::MIN_POSITIVE)
    }
}
