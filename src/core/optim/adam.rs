//! Adam exactly as torch.optim.Adam (no weight decay, no amsgrad):
//! m ← m + (1−β₁)(g − m); v ← β₂ v + (1−β₂) g²;
//! θ ← θ − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
//! Its per-coordinate scaling makes it sign-like, which biases it towards the ℓ∞ max margin.
//! With ε = 0 a coordinate whose second moment is 0 (every gradient so far was 0, or its square
//! underflowed) does not move, rather than moving by 0/0 = NaN.

use super::{Optimizer, Seen, Update, in_halves};
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

impl Adam {
    /// Counts the step and returns its constants.
    fn next_step(&mut self) -> AdamStep {
        self.step = self.step.saturating_add(1);
        AdamStep {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            step_size: self.lr / (1.0 - self.beta1.powi(self.step)),
            bias_correction2_sqrt: (1.0 - self.beta2.powi(self.step)).sqrt(),
        }
    }
}

/// What one Adam step needs besides the moments: the same for every parameter.
#[derive(Debug, Clone, Copy)]
struct AdamStep {
    beta1: f64,
    beta2: f64,
    eps: f64,
    /// lr / (1 − β₁ᵗ).
    step_size: f64,
    /// √(1 − β₂ᵗ).
    bias_correction2_sqrt: f64,
}

impl AdamStep {
    /// Updates `params` and the moments (m, v) from `grad`, saying what it saw.
    fn apply(self, params: &mut [f64], grad: &[f64], (m, v): (&mut [f64], &mut [f64])) -> Update {
        widest(
            #[inline(always)]
            || {
                let mut seen = Seen::NOTHING;
                for (((p, &g), m), v) in params.iter_mut().zip(grad).zip(m).zip(v) {
                    // torch: exp_avg.lerp_(grad, 1 − β₁), i.e. m + (1 − β₁)(g − m).
                    *m += (1.0 - self.beta1) * (g - *m);
                    *v = *v * self.beta2 + (1.0 - self.beta2) * g * g;
                    let denom = v.sqrt() / self.bias_correction2_sqrt + self.eps;
                    // Only ε = 0 can make the denominator 0; with ε > 0 this is the torch update.
                    // Otherwise the parameter keeps its bits (and is still checked).
                    let new = if denom > 0.0 {
                        *p - self.step_size * (*m / denom)
                    } else {
                        *p
                    };
                    seen.assign(p, new, g);
                }
                seen.update()
            },
        )
    }
}

impl Optimizer for Adam {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn preconditioner(&self) -> Option<Vec<f64>> {
        let correction = (1.0 - self.beta2.powi(self.step)).sqrt();
        (self.step > 0).then(|| {
            self.second_moment
                .iter()
                .map(|v| v.sqrt() / correction + self.eps)
                .collect()
        })
    }

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        let rule = self.next_step();
        rule.apply(
            params,
            grad,
            (&mut self.first_moment, &mut self.second_moment),
        )
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let rule = self.next_step();
        let (m1, m2) = self.first_moment.split_at_mut(at);
        let (v1, v2) = self.second_moment.split_at_mut(at);
        in_halves(params, grad, ((m1, v1), (m2, v2)), at, |p, g, moments| {
            rule.apply(p, g, moments)
        })
    }

    fn at_rest(&self) -> bool {
        // As for momentum: a subnormal first moment is spent, it never decays to exactly 0.
        self.first_moment
            .iter()
            .all(|m| m.abs() < f64::MIN_POSITIVE)
    }
}
