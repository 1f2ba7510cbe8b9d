//! The optimizer options a user writes, and the rules that check them into an [`OptimizerSpec`]:
//! which options apply to which rule, their ranges, and mini-batch sizes.
//!
//! The rules live here, beside the rules they configure, so adding an optimizer touches only
//! `core/optim`. A broken rule comes back as an [`OptimizerError`] naming the [`OptimizerField`];
//! the caller (the preset layer) maps the field to the line and key the user wrote, and quotes
//! the value as written when [`OptimizerError::quotes_value`] says the message starts with it.

use std::fmt;

use super::{NormalizeBy, OptimizerKind, OptimizerSpec, Schedule};

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

/// An option of [`OptimizerOptions`], for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// True when `field` is an option of rule `kind`.
pub(super) fn applies(field: OptimizerField, kind: OptimizerKind) -> bool {
    rules_with(field).contains(&kind)
}

/// The rules that have each optional field (`lr` and `batch` apply to all).
fn rules_with(field: OptimizerField) -> &'static [OptimizerKind] {
    use OptimizerKind::{Adagrad, Adam, Mirror, Momentum, Normalized, RmsProp, Sgd};
    match field {
        OptimizerField::Betas(_) => &[Adam],
        OptimizerField::Eps => &[Adam, RmsProp, Adagrad],
        OptimizerField::Momentum | OptimizerField::Nesterov => &[Momentum, Sgd],
        OptimizerField::Alpha => &[RmsProp],
        OptimizerField::Normalize => &[Normalized],
        OptimizerField::P => &[Mirror],
        OptimizerField::Lr | OptimizerField::Batch | OptimizerField::Schedule => {
            &OptimizerKind::ALL
        }
    }
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
        let mut spec = OptimizerSpec::new(self.kind, positive(OptimizerField::Lr, self.lr)?);
        self.check_applicable()?;
        if let Some(betas) = &self.betas {
            let [b1, b2] = betas.as_slice() else {
                return Err(OptimizerError {
                    field: OptimizerField::Betas(None),
                    problem: OptimizerProblem::BetasCount,
                });
            };
            spec.betas = (
                fraction(OptimizerField::Betas(Some(0)), *b1)?,
                fraction(OptimizerField::Betas(Some(1)), *b2)?,
            );
        }
        if let Some(eps) = self.eps {
            // Adam with ε = 0 is a rule of its own (it heads for the ℓ∞ direction); RMSprop and
            // Adagrad would divide 0 by 0 on a coordinate that never saw a gradient.
            spec.eps = if self.kind == OptimizerKind::Adam {
                number(OptimizerField::Eps, eps, Accepted::NonNegative, |v| {
                    v >= 0.0
                })?
            } else {
                positive(OptimizerField::Eps, eps)?
            };
        }
        if let Some(momentum) = self.momentum {
            spec.momentum = fraction(OptimizerField::Momentum, momentum)?;
        }
        if let Some(nesterov) = self.nesterov {
            spec.nesterov = nesterov;
            if nesterov && spec.momentum == 0.0 {
                return Err(OptimizerError {
                    field: OptimizerField::Nesterov,
                    problem: OptimizerProblem::NesterovWithoutMomentum,
                });
            }
        }
        if let Some(alpha) = self.alpha {
            spec.alpha = fraction(OptimizerField::Alpha, alpha)?;
        }
        if let Some(batch) = self.batch {
            spec.batch = Some(check_batch(batch, points)?);
        }
        spec.schedule = self.schedule.unwrap_or_default();
        spec.normalize = self.normalize.unwrap_or_default();
        if spec.normalize == NormalizeBy::Loss && points.is_none() {
            return Err(OptimizerError {
                field: OptimizerField::Normalize,
                problem: OptimizerProblem::LossWithoutPoints,
            });
        }
        if self.kind == OptimizerKind::Mirror {
            let Some(p) = self.p else {
                return Err(OptimizerError {
                    field: OptimizerField::P,
                    problem: OptimizerProblem::Missing,
                });
            };
            spec.p = number(OptimizerField::P, p, Accepted::AboveOne, |v| v > 1.0)?;
        }
        Ok(spec)
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
            let only = rules_with(field);
            if is_given && !only.contains(&self.kind) {
                return Err(OptimizerError {
                    field,
                    problem: OptimizerProblem::NotFor {
                        optimizer: self.kind,
                        only: only.to_vec(),
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
        assert_eq!((spec.betas, spec.eps), ((0.5, 0.25), 1e-3));
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
