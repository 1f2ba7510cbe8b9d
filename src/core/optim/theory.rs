//! Which max-margin direction the theory says a run converges to on separable data, if any.
//!
//! - gd, sgd, momentum, normalized (either mode), adam with ε > 0 → ℓ2 (Soudry et al. 2018,
//!   Nacson et al. 2019, Gunasekar et al. 2018, Ji & Telgarsky 2021, Wang et al. 2021);
//! - sign, and adam with ε = 0 and a decaying schedule → ℓ∞ (Gunasekar et al. 2018; Zhang, Zou,
//!   Cao 2024);
//! - coordinate → ℓ1 (steepest descent in ℓ1, Gunasekar et al. 2018);
//! - mirror with exponent p → ℓp (Sun et al. 2022);
//! - none where no theorem applies: rmsprop, adagrad, adam with ε = 0 at a constant rate.

use super::{OptimizerSpec, Rule};
use crate::core::reference::MarginNorm;

impl OptimizerSpec {
    /// The max-margin problem whose direction this run should approach, or `None` where no
    /// theorem says.
    #[must_use]
    pub fn predicted(&self) -> Option<MarginNorm> {
        match self.rule {
            Rule::Gd | Rule::Sgd(_) | Rule::Momentum(_) | Rule::Normalized { .. } => {
                Some(MarginNorm::L2)
            }
            Rule::Adam { eps, .. } if eps > 0.0 => Some(MarginNorm::L2),
            Rule::Adam { .. } if self.schedule.decays() => Some(MarginNorm::Linf),
            Rule::Sign => Some(MarginNorm::Linf),
            Rule::Coordinate => Some(MarginNorm::L1),
            Rule::Mirror { p } => MarginNorm::lp(p),
            Rule::Adam { .. } | Rule::RmsProp { .. } | Rule::Adagrad { .. } => None,
        }
    }

    /// True when each of this rule's steps on a depth-2 diagonal network w = u² − v² multiplies
    /// u by (1 − x) and v by (1 + x) coordinatewise with x a multiple of Xᵀ(·): plain gradient
    /// steps (full batch or mini-batch, any schedule) and normalized ones. Then the run has an
    /// exact finite-step target (see `reference::effective_target`); momentum, adaptive, sign,
    /// coordinate and mirror steps do not keep that form.
    #[must_use]
    pub fn multiplies_diagonal_factors(&self) -> bool {
        match self.rule {
            Rule::Gd | Rule::Normalized { .. } => true,
            Rule::Sgd(heavy) | Rule::Momentum(heavy) => heavy.momentum == 0.0,
            Rule::Adam { .. }
            | Rule::RmsProp { .. }
            | Rule::Adagrad { .. }
            | Rule::Sign
            | Rule::Coordinate
            | Rule::Mirror { .. } => false,
        }
    }

    /// True when this run's direction provably tends to the ℓ2 max-margin at rate 1/ln t
    /// (Soudry et al. 2018 for GD, Nacson et al. 2019 for SGD, Gunasekar et al. 2018 for
    /// heavy-ball momentum): the dashboard fits its C/ln t curve through such runs only.
    #[must_use]
    pub fn follows_log_rate(&self) -> bool {
        matches!(self.rule, Rule::Gd | Rule::Sgd(_) | Rule::Momentum(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::optim::{OptimizerKind, Schedule};

    #[test]
    fn adam_follows_its_epsilon_and_schedule() {
        let mut adam = OptimizerSpec::new(OptimizerKind::Adam, 0.1);
        assert_eq!(adam.predicted(), Some(MarginNorm::L2));
        adam.rule = Rule::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 0.0,
        };
        assert_eq!(adam.predicted(), None);
        adam.schedule = Schedule::InvSqrt;
        assert_eq!(adam.predicted(), Some(MarginNorm::Linf));
        let mut mirror = OptimizerSpec::new(OptimizerKind::Mirror, 0.1);
        mirror.rule = Rule::Mirror { p: 3.0 };
        assert_eq!(
            mirror.predicted().map(MarginNorm::name).as_deref(),
            Some("l3")
        );
        mirror.rule = Rule::Mirror { p: 2.0 };
        assert_eq!(mirror.predicted(), Some(MarginNorm::L2));
        assert_eq!(
            OptimizerSpec::new(OptimizerKind::Adagrad, 0.1).predicted(),
            None
        );
    }
}
