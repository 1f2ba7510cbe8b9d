//! Learning-rate schedules: lr_t = lr (constant), lr/√t (inv-sqrt) or lr/t (inverse), where
//! t = 1, 2, … is the step number.
//!
//! Some implicit-bias theorems need a decaying step (Adam with ε = 0 reaches the ℓ∞ direction
//! only when lr_t → 0), so every rule can take one. A constant schedule builds the bare optimizer,
//! so the common case pays nothing; a decaying one wraps it in [`Scheduled`], which sets the
//! rule's learning rate before each step.

use super::{Objective, Optimizer, Update};

/// How the learning rate changes with the step number t = 1, 2, ….
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// lr_t = lr.
    #[default]
    Constant,
    /// lr_t = lr/√t.
    InvSqrt,
    /// lr_t = lr/t.
    Inverse,
}

impl Schedule {
    /// Every schedule, in the order shown to users.
    pub const ALL: [Schedule; 3] = [Schedule::Constant, Schedule::InvSqrt, Schedule::Inverse];

    /// The name used in presets.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::InvSqrt => "inv-sqrt",
            Schedule::Inverse => "inverse",
        }
    }

    /// Parses a preset name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The learning rate at step `t` (1-based) for base rate `lr`.
    #[must_use]
    pub fn rate(self, lr: f64, t: u64) -> f64 {
        match self {
            Schedule::Constant => lr,
            Schedule::InvSqrt => lr / (t as f64).sqrt(),
            Schedule::Inverse => lr / t as f64,
        }
    }

    /// True when lr_t → 0, as the ε = 0 Adam theorem needs.
    #[must_use]
    pub fn decays(self) -> bool {
        self != Schedule::Constant
    }
}

/// A rule whose learning rate follows a decaying [`Schedule`].
pub struct Scheduled {
    inner: Box<dyn Optimizer>,
    lr: f64,
    schedule: Schedule,
    step: u64,
}

impl Scheduled {
    /// `inner` (built with base rate `lr`) driven by `schedule`.
    #[must_use]
    pub fn new(inner: Box<dyn Optimizer>, lr: f64, schedule: Schedule) -> Self {
        Self {
            inner,
            lr,
            schedule,
            step: 0,
        }
    }

    /// Counts the step and hands its rate to the inner rule.
    fn advance(&mut self) {
        self.step = self.step.saturating_add(1);
        self.inner.set_lr(self.schedule.rate(self.lr, self.step));
    }
}

impl Optimizer for Scheduled {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        self.advance();
        self.inner.step_in_halves(params, grad, at)
    }

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        self.advance();
        self.inner.step_checked(params, grad)
    }

    fn update(
        &mut self,
        params: &mut [f64],
        grad: &mut [f64],
        objective: &mut dyn Objective,
    ) -> Update {
        self.advance();
        self.inner.update(params, grad, objective)
    }

    // A memoryless rule that did not move will not move with a smaller step either (rounding is
    // monotone), so a decaying schedule keeps the inner rule's answers.
    fn is_memoryless(&self) -> bool {
        self.inner.is_memoryless()
    }

    fn at_rest(&self) -> bool {
        self.inner.at_rest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_their_formulas_and_names_round_trip() {
        // Closed forms: lr/√t and lr/t at t = 4.
        assert_eq!(Schedule::Constant.rate(0.3, 4), 0.3);
        assert_eq!(Schedule::InvSqrt.rate(0.3, 4), 0.15);
        assert_eq!(Schedule::Inverse.rate(0.3, 4), 0.075);
        for s in Schedule::ALL {
            assert_eq!(Schedule::from_name(s.name()), Some(s));
        }
        assert!(!Schedule::Constant.decays() && Schedule::Inverse.decays());
    }
}
