//! An update rule as data: which rule a run uses, with the settings only that rule has.
//!
//! A checked run holds one [`Rule`], so Adam's betas cannot be read off a gradient-descent run
//! and a rule's options are exactly its variant's fields. Which preset options a rule accepts,
//! what its JSON report lists and how its state is built all follow from the variant, so a new
//! rule is one variant here, one file with its update, and its checks in `options.rs`.

use super::{
    Adagrad, Adam, CoordinateDescent, GradientDescent, HyperValue, Mirror, Momentum, NormalizeBy,
    Normalized, Optimizer, OptimizerField, OptimizerKind, RmsProp, SignDescent,
};

/// One update rule with its settings, every value checked (finite and in range).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Full-batch gradient descent.
    Gd,
    /// torch.optim.SGD over mini-batches (the full batch unless `batch` is set), with optional
    /// momentum.
    Sgd(Heavy),
    /// torch.optim.SGD with momentum (μ = 0.9 unless set).
    Momentum(Heavy),
    /// torch.optim.Adam.
    Adam {
        /// β₁, the first moment's decay, in [0, 1).
        beta1: f64,
        /// β₂, the second moment's decay, in [0, 1).
        beta2: f64,
        /// Added to the denominator; ≥ 0 (ε = 0 is a rule of its own, heading for ℓ∞).
        eps: f64,
    },
    /// torch.optim.RMSprop.
    RmsProp {
        /// Added to the denominator; > 0.
        eps: f64,
        /// The smoothing constant α in [0, 1).
        alpha: f64,
    },
    /// torch.optim.Adagrad.
    Adagrad {
        /// Added to the denominator; > 0.
        eps: f64,
    },
    /// Sign descent: steepest descent for the ℓ∞ norm.
    Sign,
    /// Normalized gradient descent: steps of fixed length along −∇L/‖∇L‖ (or −∇L/L).
    Normalized {
        /// What the gradient is divided by.
        by: NormalizeBy,
    },
    /// Greedy coordinate descent: steepest descent for the ℓ1 norm.
    Coordinate,
    /// Mirror descent with potential ‖w‖_p^p / p.
    Mirror {
        /// The exponent p > 1.
        p: f64,
    },
}

/// The momentum settings `sgd` and `momentum` share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heavy {
    /// The momentum coefficient μ in [0, 1); 0 is plain gradient descent.
    pub momentum: f64,
    /// Nesterov's variant (needs μ > 0).
    pub nesterov: bool,
}

impl Rule {
    /// The rule `kind` with PyTorch's defaults (`mirror`, which has none, with p = 2).
    #[must_use]
    pub fn defaults(kind: OptimizerKind) -> Self {
        let heavy = |momentum| Heavy {
            momentum,
            nesterov: false,
        };
        match kind {
            OptimizerKind::Gd => Rule::Gd,
            OptimizerKind::Sgd => Rule::Sgd(heavy(0.0)),
            OptimizerKind::Momentum => Rule::Momentum(heavy(0.9)),
            OptimizerKind::Adam => Rule::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            OptimizerKind::RmsProp => Rule::RmsProp {
                eps: 1e-8,
                alpha: 0.99,
            },
            OptimizerKind::Adagrad => Rule::Adagrad { eps: 1e-10 },
            OptimizerKind::Sign => Rule::Sign,
            OptimizerKind::Normalized => Rule::Normalized {
                by: NormalizeBy::Gradient,
            },
            OptimizerKind::Coordinate => Rule::Coordinate,
            OptimizerKind::Mirror => Rule::Mirror { p: 2.0 },
        }
    }

    /// The rule's name, as presets, JSON and the screen write it.
    #[must_use]
    pub fn kind(&self) -> OptimizerKind {
        match self {
            Rule::Gd => OptimizerKind::Gd,
            Rule::Sgd(_) => OptimizerKind::Sgd,
            Rule::Momentum(_) => OptimizerKind::Momentum,
            Rule::Adam { .. } => OptimizerKind::Adam,
            Rule::RmsProp { .. } => OptimizerKind::RmsProp,
            Rule::Adagrad { .. } => OptimizerKind::Adagrad,
            Rule::Sign => OptimizerKind::Sign,
            Rule::Normalized { .. } => OptimizerKind::Normalized,
            Rule::Coordinate => OptimizerKind::Coordinate,
            Rule::Mirror { .. } => OptimizerKind::Mirror,
        }
    }

    /// The rule's own options with their values, in the order a preset lists them: exactly
    /// its variant's fields. The options a preset may give a rule are these and the ones
    /// every rule has (`lr`, `batch`, `schedule`).
    #[must_use]
    pub fn options(&self) -> Vec<(OptimizerField, HyperValue)> {
        match *self {
            Rule::Gd | Rule::Sign | Rule::Coordinate => Vec::new(),
            Rule::Sgd(heavy) | Rule::Momentum(heavy) => vec![
                (OptimizerField::Momentum, HyperValue::Number(heavy.momentum)),
                (OptimizerField::Nesterov, HyperValue::Flag(heavy.nesterov)),
            ],
            Rule::Adam { beta1, beta2, eps } => vec![
                (OptimizerField::Betas(None), HyperValue::Pair(beta1, beta2)),
                (OptimizerField::Eps, HyperValue::Number(eps)),
            ],
            Rule::RmsProp { eps, alpha } => vec![
                (OptimizerField::Eps, HyperValue::Number(eps)),
                (OptimizerField::Alpha, HyperValue::Number(alpha)),
            ],
            Rule::Adagrad { eps } => vec![(OptimizerField::Eps, HyperValue::Number(eps))],
            Rule::Normalized { by } => {
                vec![(OptimizerField::Normalize, HyperValue::Text(by.name()))]
            }
            Rule::Mirror { p } => vec![(OptimizerField::P, HyperValue::Number(p))],
        }
    }

    /// Fresh state of this rule at learning rate `lr` for `parameters` parameters.
    #[must_use]
    pub fn build(&self, lr: f64, parameters: usize) -> Box<dyn Optimizer> {
        match *self {
            Rule::Gd => Box::new(GradientDescent::new(lr)),
            Rule::Sgd(heavy) | Rule::Momentum(heavy) if heavy.momentum == 0.0 => {
                Box::new(GradientDescent::new(lr))
            }
            Rule::Sgd(heavy) | Rule::Momentum(heavy) => Box::new(Momentum::new(
                lr,
                heavy.momentum,
                heavy.nesterov,
                parameters,
            )),
            Rule::Adam { beta1, beta2, eps } => {
                Box::new(Adam::new(lr, (beta1, beta2), eps, parameters))
            }
            Rule::RmsProp { eps, alpha } => Box::new(RmsProp::new(lr, alpha, eps, parameters)),
            Rule::Adagrad { eps } => Box::new(Adagrad::new(lr, eps, parameters)),
            Rule::Sign => Box::new(SignDescent::new(lr)),
            Rule::Normalized { by } => Box::new(Normalized::new(lr, by)),
            Rule::Coordinate => Box::new(CoordinateDescent::new(lr)),
            Rule::Mirror { p } => Box::new(Mirror::new(lr, p)),
        }
    }
}
