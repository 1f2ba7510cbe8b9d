//! The optimizer options a user writes, and the rules that check them into an [`OptimizerSpec`]:
//! which options apply to which rule, their ranges, and mini-batch sizes.
//!
//! The rules live here, beside the rules they configure, so adding an optimizer touches only
//! `core/optim`. A broken rule comes back as an [`OptimizerError`] naming the [`OptimizerField`];
//! the caller (the preset layer) maps the field to the line and key the user wrote, and quotes
//! the value as written when [`OptimizerError::quotes_value`] says the message starts with it.

use std::fmt;

use super::{Heavy, NormalizeBy, OptimizerKind, OptimizerSpec, Rule, Schedule};

/// The options of one run as written, unchecked: values may be non-finite or out of range, and
/// options may be given that the rule does not have.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerOptions {
    /// The update rule.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Adam's (β₁, β₂), as a list so a wrong count can be reported.
    pub betas: Option<Vec<f64>>,
    /// Denominator guard of adaptive rules.
    pub eps: Option<f64>,
    /// Momentum coefficient.
    pub momentum: Option<f64>,
    /// Nesterov's variant.
    pub nesterov: Option<bool>,
    /// RMSprop's smoothing constant.
    pub alpha: Option<f64>,
    /// Mini-batch size.
    pub batch: Option<i64>,
    /// The learning-rate schedule.
    pub schedule: Option<Schedule>,
    /// What `normalized` divides by.
    pub normalize: Option<NormalizeBy>,
    /// `mirror`'s exponent.
    pub p: Option<f64>,
}

/// An option of [`OptimizerOptions`], for errors and reports. Declared in the order presets
/// and reports list the options, which is the order they compare in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OptimizerField {
    /// `lr`.
    Lr,
    /// `betas`, or one of its two values (0-based).
    Betas(Option<usize>),
    /// `eps`.
    Eps,
    /// `momentum`.
    Momentum,
    /// `nesterov`.
    Nesterov,
    /// `alpha`.
    Alpha,
    /// `batch`.
    Batch,
    /// `schedule`.
    Schedule,
    /// `normalize`.
    Normalize,
    /// `p`.
    P,
}

impl OptimizerField {
    /// The option's name as written in a preset.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            OptimizerField::Lr => "lr",
            OptimizerField::Betas(_) => "betas",
            OptimizerField::Eps => "eps",
            OptimizerField::Momentum => "momentum",
            OptimizerField::Nesterov => "nesterov",
            OptimizerField::Alpha => "alpha",
            OptimizerField::Batch => "batch",
            OptimizerField::Schedule => "schedule",
            OptimizerField::Normalize => "normalize",
            OptimizerField::P => "p",
        }
    }
}

/// The values an option accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// A number > 0.
    Positive,
    /// A number ≥ 0.
    NonNegative,
    /// A number > 1.
    AboveOne,
    /// A number in [0, 1).
    Fraction,
    /// A whole number from 1 to this many (the data's points).
    Count(usize),
}

impl fmt::Display for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Accepted::Positive => f.write_str("a number > 0"),
            Accepted::NonNegative => f.write_str("a number ≥ 0"),
            Accepted::AboveOne => f.write_str("a number > 1"),
            Accepted::Fraction => f.write_str("a number in [0, 1)"),
            Accepted::Count(max) => write!(f, "a whole number from 1 to {max}"),
        }
    }
}

/// What is wrong with an option, worded to follow the key (and the value, for the first two).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptimizerProblem {
    /// NaN or infinite (TOML accepts `nan` and `inf`).
    #[error("is not finite; use a finite number{}", finite_range(.0))]
    NotFinite(Accepted),
    /// Finite but outside what the option accepts.
    #[error("is out of range; use {0}")]
    OutOfRange(Accepted),
    /// The rule has no such option.
    #[error(
        "does not apply to optimizer \"{}\" (only to {}); remove it",
        optimizer.name(),
        names(only)
    )]
    NotFor {
        /// The rule the run uses.
        optimizer: OptimizerKind,
        /// The rules that have the option.
        only: Vec<OptimizerKind>,
    },
    /// `betas` without exactly two values.
    #[error("needs two numbers, e.g. [0.9, 0.999]")]
    BetasCount,
    /// Nesterov's variant asked for without momentum.
    #[error("needs momentum > 0; set `momentum`, e.g. 0.9")]
    NesterovWithoutMomentum,
    /// A mini-batch size where the experiment has no points to batch.
    #[error("mini-batches need data points to draw from, and this experiment has none; remove it")]
    BatchWithoutPoints,
    /// A rule that needs this option was given none.
    #[error("is missing: mirror descent needs its exponent; add e.g. `p = 3`")]
    Missing,
    /// Normalizing by the loss where the experiment has no classification loss to scale.
    #[error("normalizing by the loss applies to linear experiments only; use \"gradient\"")]
    LossWithoutPoints,
}

/// `accepted` after "a finite number": its range, without repeating "a number".
fn finite_range(accepted: &Accepted) -> String {
    let range = accepted.to_string();
    range.strip_prefix("a number").unwrap_or(&range).to_owned()
}

/// The rules' names, comma-separated.
fn names(kinds: &[OptimizerKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    names.join(", ")
}

/// A broken optimizer rule: which option, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct OptimizerError {
    /// The option at fault.
    pub field: OptimizerField,
    /// What is wrong.
    pub problem: OptimizerProblem,
}

impl OptimizerError {
    /// True when the message is about the value itself and reads best after it, quoted as the
    /// user wrote it (`nan is not finite; ...`).
    #[must_use]
    pub fn quotes_value(&self) -> bool {
        matches!(
            self.problem,
            OptimizerProblem::NotFinite(_) | OptimizerProblem::OutOfRange(_)
        )
    }
}

/// The rules that have the optional `field`: those whose [`Rule`] variant has it as a field
/// (`lr`, `batch` and `schedule` apply to every rule).
fn rules_with(field: OptimizerField) -> Vec<OptimizerKind> {
    OptimizerKind::ALL
        .into_iter()
        .filter(|&kind| {
            Rule::defaults(kind)
                .options()
                .iter()
                .any(|&(own, _)| own.name() == field.name())
        })
        .collect()
}

/// `value` if it is finite and `ok`, else the error for `field`.
fn number(
    field: OptimizerField,
    value: f64,
    accepted: Accepted,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, OptimizerError> {
    let problem = if !value.is_finite() {
        OptimizerProblem::NotFinite(accepted)
    } else if !ok(value) {
        OptimizerProblem::OutOfRange(accepted)
    } else {
        return Ok(value);
    };
    Err(OptimizerError { field, problem })
}

/// A number in [0, 1) for `field`.
fn fraction(field: OptimizerField, value: f64) -> Result<f64, OptimizerError> {
    number(field, value, Accepted::Fraction, |v| {
        (0.0..1.0).contains(&v)
    })
}

/// A number > 0 for `field`.
fn positive(field: OptimizerField, value: f64) -> Result<f64, OptimizerError> {
    number(field, value, Accepted::Positive, |v| v > 0.0)
}

impl OptimizerOptions {
    /// The options as PyTorch's defaults for `kind` at learning rate `lr`, nothing else given.
    #[must_use]
    pub fn new(kind: OptimizerKind, lr: f64) -> Self {
        Self {
            kind,
            lr,
            betas: None,
            eps: None,
            momentum: None,
            nesterov: None,
            alpha: None,
            batch: None,
            schedule: None,
            normalize: None,
            p: None,
        }
    }

    /// Checks every rule and returns the spec, defaults filled in. `points` is the number of
    /// data points mini-batches are drawn from, `None` for experiments without them.
    ///
    /// # Errors
    /// The first broken rule, in the order a preset lists the options: `lr`, then options the
    /// rule does not have, then each option's range.
    pub fn check(&self, points: Option<usize>) -> Result<OptimizerSpec, OptimizerError> {
        let lr = positive(OptimizerField::Lr, self.lr)?;
        self.check_applicable()?;
        let mut spec = OptimizerSpec::with_rule(self.rule(points)?, lr);
        if let Some(batch) = self.batch {
            spec.batch = Some(check_batch(batch, points)?);
        }
        spec.schedule = self.schedule.unwrap_or_default();
        Ok(spec)
    }

    /// The rule with the options given, checked, and PyTorch's defaults for the others.
    fn rule(&self, points: Option<usize>) -> Result<Rule, OptimizerError> {
        let rule = match Rule::defaults(self.kind) {
            Rule::Sgd(heavy) => Rule::Sgd(self.heavy(heavy)?),
            Rule::Momentum(heavy) => Rule::Momentum(self.heavy(heavy)?),
            Rule::Adam { beta1, beta2, eps } => {
                let (beta1, beta2) = match &self.betas {
                    None => (beta1, beta2),
                    Some(betas) => {
                        let [b1, b2] = betas.as_slice() else {
                            return Err(OptimizerError {
                                field: OptimizerField::Betas(None),
                                problem: OptimizerProblem::BetasCount,
                            });
                        };
                        (
                            fraction(OptimizerField::Betas(Some(0)), *b1)?,
                            fraction(OptimizerField::Betas(Some(1)), *b2)?,
                        )
                    }
                };
                // ε = 0 is a rule of its own for Adam (it heads for the ℓ∞ direction).
                let eps = match self.eps {
                    None => eps,
                    Some(eps) => number(OptimizerField::Eps, eps, Accepted::NonNegative, |v| {
                        v >= 0.0
                    })?,
                };
                Rule::Adam { beta1, beta2, eps }
            }
            // RMSprop and Adagrad would divide 0 by 0 on a coordinate that never saw a
            // gradient, so their ε must be positive.
            Rule::RmsProp { eps, alpha } => Rule::RmsProp {
                eps: self.positive_eps(eps)?,
                alpha: match self.alpha {
                    None => alpha,
                    Some(alpha) => fraction(OptimizerField::Alpha, alpha)?,
                },
            },
            Rule::Adagrad { eps } => Rule::Adagrad {
                eps: self.positive_eps(eps)?,
            },
            Rule::Normalized { by } => {
                let by = self.normalize.unwrap_or(by);
                if by == NormalizeBy::Loss && points.is_none() {
                    return Err(OptimizerError {
                        field: OptimizerField::Normalize,
                        problem: OptimizerProblem::LossWithoutPoints,
                    });
                }
                Rule::Normalized { by }
            }
            Rule::Mirror { .. } => {
                let Some(p) = self.p else {
                    return Err(OptimizerError {
                        field: OptimizerField::P,
                        problem: OptimizerProblem::Missing,
                    });
                };
                Rule::Mirror {
                    p: number(OptimizerField::P, p, Accepted::AboveOne, |v| v > 1.0)?,
                }
            }
            rule @ (Rule::Gd | Rule::Sign | Rule::Coordinate) => rule,
        };
        Ok(rule)
    }

    /// The momentum settings given, over `defaults`.
    fn heavy(&self, defaults: Heavy) -> Result<Heavy, OptimizerError> {
        let momentum = match self.momentum {
            None => defaults.momentum,
            Some(momentum) => fraction(OptimizerField::Momentum, momentum)?,
        };
        let nesterov = self.nesterov.unwrap_or(defaults.nesterov);
        if nesterov && momentum == 0.0 {
            return Err(OptimizerError {
                field: OptimizerField::Nesterov,
                problem: OptimizerProblem::NesterovWithoutMomentum,
            });
        }
        Ok(Heavy { momentum, nesterov })
    }

    /// The ε given (> 0), or `default`.
    fn positive_eps(&self, default: f64) -> Result<f64, OptimizerError> {
        self.eps
            .map_or(Ok(default), |eps| positive(OptimizerField::Eps, eps))
    }

    /// An error for the first option given that the rule does not have.
    fn check_applicable(&self) -> Result<(), OptimizerError> {
        let given = [
            (OptimizerField::Betas(None), self.betas.is_some()),
            (OptimizerField::Eps, self.eps.is_some()),
            (OptimizerField::Momentum, self.momentum.is_some()),
            (OptimizerField::Nesterov, self.nesterov.is_some()),
            (OptimizerField::Alpha, self.alpha.is_some()),
            (OptimizerField::Normalize, self.normalize.is_some()),
            (OptimizerField::P, self.p.is_some()),
        ];
        for (field, is_given) in given {
            if !is_given {
                continue;
            }
            let only = rules_with(field);
            if !only.contains(&self.kind) {
                return Err(OptimizerError {
                    field,
                    problem: OptimizerProblem::NotFor {
                        optimizer: self.kind,
                        only,
                    },
                });
            }
        }
        Ok(())
    }
}

/// A mini-batch size from 1 to the number of points.
fn check_batch(batch: i64, points: Option<usize>) -> Result<usize, OptimizerError> {
    let Some(points) = points else {
        return Err(OptimizerError {
            field: OptimizerField::Batch,
            problem: OptimizerProblem::BatchWithoutPoints,
        });
    };
    if batch < 1 || batch > points as i64 {
        return Err(OptimizerError {
            field: OptimizerField::Batch,
            problem: OptimizerProblem::OutOfRange(Accepted::Count(points)),
        });
    }
    Ok(batch as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(options: &OptimizerOptions, points: Option<usize>) -> OptimizerError {
        options.check(points).expect_err("a broken rule")
    }

    #[test]
    fn defaults_are_torch_defaults_and_given_values_are_kept() {
        let mut adam = OptimizerOptions::new(OptimizerKind::Adam, 0.1);
        assert_eq!(
            adam.check(None),
            Ok(OptimizerSpec::new(OptimizerKind::Adam, 0.1))
        );
        adam.betas = Some(vec![0.5, 0.25]);
        adam.eps = Some(1e-3);
        let spec = adam.check(None).expect("valid");
        assert_eq!(
            spec.rule,
            Rule::Adam {
                beta1: 0.5,
                beta2: 0.25,
                eps: 1e-3
            }
        );
    }

    #[test]
    fn options_of_other_rules_name_the_field_and_the_rules_that_have_it() {
        let mut gd = OptimizerOptions::new(OptimizerKind::Gd, 0.1);
        gd.eps = Some(1e-3);
        let e = error(&gd, None);
        assert_eq!(e.field, OptimizerField::Eps);
        assert!(!e.quotes_value());
        assert_eq!(
            e.to_string(),
            "does not apply to optimizer \"gd\" (only to adam, rmsprop, adagrad); remove it"
        );
    }

    #[test]
    fn ranges_are_checked_at_their_edges() {
        let mut momentum = OptimizerOptions::new(OptimizerKind::Momentum, 0.1);
        momentum.momentum = Some(0.0);
        assert!(momentum.check(None).is_ok());
        momentum.momentum = Some(1.0);
        let e = error(&momentum, None);
        assert_eq!(e.field, OptimizerField::Momentum);
        assert_eq!(e.to_string(), "is out of range; use a number in [0, 1)");
        momentum.momentum = Some(f64::NAN);
        assert_eq!(
            error(&momentum, None).to_string(),
            "is not finite; use a finite number in [0, 1)"
        );
        let zero_lr = OptimizerOptions::new(OptimizerKind::Gd, 0.0);
        assert_eq!(error(&zero_lr, None).field, OptimizerField::Lr);
    }

    #[test]
    fn betas_need_two_values_and_the_bad_one_is_named() {
        let mut adam = OptimizerOptions::new(OptimizerKind::Adam, 0.1);
        adam.betas = Some(vec![0.9]);
        assert_eq!(error(&adam, None).problem, OptimizerProblem::BetasCount);
        adam.betas = Some(vec![0.9, 1.5]);
        assert_eq!(error(&adam, None).field, OptimizerField::Betas(Some(1)));
    }

    #[test]
    fn batches_need_points_and_fit_in_them() {
        let mut sgd = OptimizerOptions::new(OptimizerKind::Sgd, 0.1);
        sgd.batch = Some(4);
        assert_eq!(sgd.check(Some(4)).expect("valid").batch, Some(4));
        assert_eq!(
            error(&sgd, Some(3)).to_string(),
            "is out of range; use a whole number from 1 to 3"
        );
        assert_eq!(
            error(&sgd, None).problem,
            OptimizerProblem::BatchWithoutPoints
        );
        sgd.batch = None;
        sgd.nesterov = Some(true);
        assert_eq!(
            error(&sgd, None).problem,
            OptimizerProblem::NesterovWithoutMomentum
        );
    }
}
