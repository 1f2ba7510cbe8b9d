//! Optimizers: one per file behind one trait, each holding only its own state.
//!
//! An optimizer sees a flat parameter vector and asks an [`Objective`] for the gradient (and, for
//! normalized descent, the gradient and loss scaled by one constant so that they never
//! underflow), so the same code drives the linear classifier and the matrix factorisation. Every
//! update rule follows the PyTorch formula it is named after (or, for `mirror`, the formula in its
//! file), so a run can be replayed against a float64 loop. A decaying [`Schedule`] wraps a rule;
//! [`OptimizerSpec::predicted`] names the max-margin direction the theory says it reaches.

use std::fmt::Write as _;

use crate::core::simd::widest;

mod adagrad;
mod adam;
mod coordinate;
mod gd;
mod mirror;
mod momentum;
mod normalized;
mod objective;
mod options;
mod rmsprop;
mod rule;
mod schedule;
mod sign;
mod theory;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use coordinate::CoordinateDescent;
pub use gd::GradientDescent;
pub use mirror::Mirror;
pub use momentum::Momentum;
pub use normalized::{NormalizeBy, Normalized};
pub use objective::Objective;
pub use options::{Accepted, OptimizerError, OptimizerField, OptimizerOptions, OptimizerProblem};
pub use rmsprop::RmsProp;
pub use rule::{Heavy, Rule};
pub use schedule::{Schedule, Scheduled};
pub use sign::SignDescent;

/// One update rule with its state.
pub trait Optimizer: Send {
    /// Sets the learning rate of the next steps (what a [`Schedule`] changes).
    fn set_lr(&mut self, lr: f64);

    /// Applies one update to `params` given the gradient at `params`, and says what it saw:
    /// whether any parameter's bits changed (the run computes "nothing moved", a frozen run,
    /// from this, in the rule's own loop, instead of copying every parameter before each step)
    /// and whether every parameter, as updated, and gradient entry is finite. Rules that update
    /// each parameter on its own check in their update loop; the others in a second pass.
    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update;

    /// [`Optimizer::step_checked`] when only "moved" matters.
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> bool {
        self.step_checked(params, grad).moved
    }

    /// [`Optimizer::step_checked`] with `params[..at]` updated on this core and `params[at..]`
    /// on another, each core checking its own half while it is in its cache: for a model large
    /// enough that its gradient was computed on two cores, whose other core would otherwise
    /// wait through the update. Rules whose update of a parameter reads only its own gradient
    /// and state (all but normalized and coordinate descent) split, with the same bits as
    /// `step_checked`; the others run `step_checked` on this core.
    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let _ = at;
        self.step_checked(params, grad)
    }

    /// The diagonal P an adaptive rule divides its step by, as its last update used it (Adam's
    /// √(v/(1 − β₂ᵗ)) + ε, RMSprop's √v + ε): what the preconditioned sharpness λmax(P⁻¹H) is
    /// measured with. `None` for rules without one, and before the first update.
    fn preconditioner(&self) -> Option<Vec<f64>> {
        None
    }

    /// One update of `params`, asking `objective` for what the rule needs (`grad` is the
    /// workspace it is written to, and holds it afterwards). Most rules need only the gradient;
    /// normalized descent asks for the scaled gradient and loss, which never underflow. Says
    /// what it saw, as [`Optimizer::step_checked`] does.
    fn update(
        &mut self,
        params: &mut [f64],
        grad: &mut [f64],
        objective: &mut dyn Objective,
    ) -> Update {
        objective.gradient(params, grad);
        self.step_checked(params, grad)
    }

    /// True when the rule has no memory: an update that leaves the parameters bit-identical will
    /// do so for ever on the same (full-batch) gradient. That is how a frozen run is recognised.
    fn is_memoryless(&self) -> bool {
        false
    }

    /// True when, fed a zero gradient, the rule would not move the parameters any more (its
    /// momentum or first moment has decayed to zero or to a subnormal).
    fn at_rest(&self) -> bool {
        true
    }
}

/// Writes `new` into `param` and returns the bits that changed (old XOR new): nonzero exactly
/// when the bits differ, so `-0.0` for `0.0` counts as a move, as does any NaN payload change —
/// the same test as comparing copies bit by bit. Callers OR these together and test for zero
/// once, which vectorises on any x86-64, where a per-element `!=` of 64-bit integers does not.
#[inline(always)]
fn assign(param: &mut f64, new: f64) -> u64 {
    let changed = new.to_bits() ^ param.to_bits();
    *param = new;
    changed
}

/// What an update saw ([`Optimizer::step_checked`] and its variants): the run is frozen or
/// diverged from these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update {
    /// Whether any parameter's bits changed.
    pub moved: bool,
    /// Whether every parameter and gradient entry is finite (a NaN gradient is divergence
    /// even under a rule that ignores it).
    pub finite: bool,
}

/// True when every entry of `a` and `b` is finite. |x| < ∞ is false exactly for NaN and ±∞ and,
/// folded without short-circuit, compiles to packed float compares on any x86-64 (`is_finite`
/// tests the exponent bits with 64-bit integer compares, which plain x86-64 cannot pack).
fn all_finite(a: &[f64], b: &[f64]) -> bool {
    widest(
        #[inline(always)]
        || {
            a.iter().zip(b).fold(true, |all, (x, y)| {
                all & (x.abs() < f64::INFINITY) & (y.abs() < f64::INFINITY)
            })
        },
    )
}

/// What an update loop has seen so far: the changed bits of every parameter ORed together (see
/// [`assign`]) and whether every parameter, as updated, and every gradient entry is finite.
/// Checking in the update's own loop saves a second pass over both vectors, which at large
/// sizes costs as much as the update (both are limited by memory, not arithmetic).
#[derive(Debug, Clone, Copy)]
struct Seen {
    changed: u64,
    finite: bool,
}

impl Seen {
    /// Before the first parameter.
    const NOTHING: Seen = Seen {
        changed: 0,
        finite: true,
    };

    /// Writes `new` into `param` (updated from gradient entry `grad`) and takes note.
    #[inline(always)]
    fn assign(&mut self, param: &mut f64, new: f64, grad: f64) {
        self.changed |= assign(param, new);
        self.finite &= (new.abs() < f64::INFINITY) & (grad.abs() < f64::INFINITY);
    }

    /// What the loop saw.
    fn update(self) -> Update {
        Update {
            moved: self.changed != 0,
            finite: self.finite,
        }
    }
}

/// Runs `update` on `params[..at]` and `params[at..]` (with the matching halves of `grad`) on
/// two cores, and combines what they saw.
fn in_halves<S: Send>(
    params: &mut [f64],
    grad: &[f64],
    (first_state, second_state): (S, S),
    at: usize,
    update: impl Fn(&mut [f64], &[f64], S) -> Update + Sync,
) -> Update {
    let (first, second) = params.split_at_mut(at);
    let (first_grad, second_grad) = grad.split_at(at);
    let (a, b) = crate::core::cores::join(
        || update(first, first_grad, first_state),
        || update(second, second_grad, second_state),
    );
    Update {
        moved: a.moved | b.moved,
        finite: a.finite & b.finite,
    }
}

/// θ ← θ − η g / (√a + ε) after a ← `accumulate`(a, g), for every parameter, saying what it saw:
/// Adagrad and RMSprop, which differ only in how the accumulator a of squared gradients moves.
fn divide_by_root(
    (lr, eps): (f64, f64),
    params: &mut [f64],
    grad: &[f64],
    accumulator: &mut [f64],
    accumulate: impl Fn(f64, f64) -> f64,
) -> Update {
    widest(
        #[inline(always)]
        || {
            let mut seen = Seen::NOTHING;
            for ((p, &g), a) in params.iter_mut().zip(grad).zip(accumulator) {
                *a = accumulate(*a, g);
                seen.assign(p, *p - lr * (g / (a.sqrt() + eps)), g);
            }
            seen.update()
        },
    )
}

/// The name of an update rule, as the preset's `optimizer` value gives it; the [`Rule`] holds
/// its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptimizerKind {
    /// Full-batch gradient descent.
    Gd,
    /// Stochastic gradient descent over mini-batches (full batch unless `batch` is set).
    Sgd,
    /// Heavy-ball momentum, or Nesterov's variant.
    Momentum,
    /// torch.optim.Adam.
    Adam,
    /// torch.optim.RMSprop.
    RmsProp,
    /// torch.optim.Adagrad.
    Adagrad,
    /// Sign descent: steepest descent for the ℓ∞ norm.
    Sign,
    /// Normalized gradient descent: steps of fixed length along −∇L/‖∇L‖.
    Normalized,
    /// Greedy coordinate descent: steepest descent for the ℓ1 norm.
    Coordinate,
    /// Mirror descent with potential ‖w‖_p^p / p.
    Mirror,
}

impl OptimizerKind {
    /// Every kind, in the order shown to users.
    pub const ALL: [OptimizerKind; 10] = [
        OptimizerKind::Gd,
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Adam,
        OptimizerKind::RmsProp,
        OptimizerKind::Adagrad,
        OptimizerKind::Sign,
        OptimizerKind::Normalized,
        OptimizerKind::Coordinate,
        OptimizerKind::Mirror,
    ];

    /// The name used in presets, JSON and on screen.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Gd => "gd",
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Adam => "adam",
            OptimizerKind::RmsProp => "rmsprop",
            OptimizerKind::Adagrad => "adagrad",
            OptimizerKind::Sign => "sign",
            OptimizerKind::Normalized => "normalized",
            OptimizerKind::Coordinate => "coordinate",
            OptimizerKind::Mirror => "mirror",
        }
    }

    /// Parses a preset name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A checked optimizer configuration: the rule with its own settings, and what every rule has.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerSpec {
    /// The update rule and its settings.
    pub rule: Rule,
    /// Learning rate η > 0.
    pub lr: f64,
    /// Mini-batch size; `None` is the full batch.
    pub batch: Option<usize>,
    /// How the learning rate changes with the step number.
    pub schedule: Schedule,
    /// The run's name as the preset wrote it (`label`); `None` shows the default [`label`]
    /// text. It lives here because every front end names a run by its optimizer.
    ///
    /// [`label`]: OptimizerSpec::label
    pub label: Option<String>,
}

/// The value of one hyper-parameter, as [`OptimizerSpec::hyper_parameters`] lists it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HyperValue {
    /// A real number (eps, momentum, alpha, …).
    Number(f64),
    /// A pair of numbers (Adam's betas).
    Pair(f64, f64),
    /// A switch (nesterov).
    Flag(bool),
    /// A count (batch).
    Count(usize),
    /// A named choice (schedule, normalize).
    Text(&'static str),
}

impl OptimizerSpec {
    /// The defaults PyTorch uses for `kind` at learning rate `lr`.
    #[must_use]
    pub fn new(kind: OptimizerKind, lr: f64) -> Self {
        Self::with_rule(Rule::defaults(kind), lr)
    }

    /// `rule` at learning rate `lr`, full batch, constant rate, default label.
    #[must_use]
    pub fn with_rule(rule: Rule, lr: f64) -> Self {
        Self {
            rule,
            lr,
            batch: None,
            schedule: Schedule::Constant,
            label: None,
        }
    }

    /// The rule's name.
    #[must_use]
    pub fn kind(&self) -> OptimizerKind {
        self.rule.kind()
    }

    /// Fresh optimizer state for `parameters` parameters; a decaying schedule wraps the rule.
    #[must_use]
    pub fn build(&self, parameters: usize) -> Box<dyn Optimizer> {
        let rule = self.rule.build(self.lr, parameters);
        match self.schedule {
            Schedule::Constant => rule,
            schedule => Box::new(Scheduled::new(rule, self.lr, schedule)),
        }
    }

    /// The run's name for legends, tables, JSON and CSV: the preset's `label`, or else a short
    /// default such as `adam lr=0.1`, with the settings the theory cares about added when they
    /// are not the defaults (`mirror p=3 lr=0.1`, `adam lr=0.1 eps=0 inv-sqrt`,
    /// `normalized lr=0.1 by loss`, `sgd lr=0.1 batch=5`).
    #[must_use]
    pub fn label(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        let mut label = self.kind().name().to_owned();
        if let Rule::Mirror { p } = self.rule {
            write!(label, " p={p}").ok();
        }
        write!(label, " lr={:?}", self.lr).ok();
        match self.rule {
            Rule::Adam { eps: 0.0, .. } => label.push_str(" eps=0"),
            Rule::Normalized {
                by: NormalizeBy::Loss,
            } => label.push_str(" by loss"),
            _ => {}
        }
        if self.schedule != Schedule::Constant {
            label.push(' ');
            label.push_str(self.schedule.name());
        }
        if let Some(batch) = self.batch {
            write!(label, " batch={batch}").ok();
        }
        label
    }

    /// Every option that applies to this rule besides `lr`, as (preset key, value), in preset
    /// order: what JSON reports list so that two runs differing in any option can be told apart.
    /// `batch` is listed when the run uses mini-batches (absent: the full batch). The rule's
    /// own options are its variant's fields, the same that presets may give it.
    #[must_use]
    pub fn hyper_parameters(&self) -> Vec<(&'static str, HyperValue)> {
        let mut listed = self.rule.options();
        listed.push((
            OptimizerField::Schedule,
            HyperValue::Text(self.schedule.name()),
        ));
        listed.sort_by_key(|&(field, _)| field);
        let mut listed: Vec<(&'static str, HyperValue)> = listed
            .into_iter()
            .map(|(field, value)| (field.name(), value))
            .collect();
        if let Some(batch) = self.batch {
            listed.push(("batch", HyperValue::Count(batch)));
        }
        listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options each rule lists, against the table of which options each rule accepts,
    /// written out here from torch's signatures.
    #[test]
    fn each_rule_lists_exactly_the_options_it_accepts() {
        let expected: [(OptimizerKind, &[&str]); 10] = [
            (OptimizerKind::Gd, &["schedule"]),
            (OptimizerKind::Sgd, &["momentum", "nesterov", "schedule"]),
            (
                OptimizerKind::Momentum,
                &["momentum", "nesterov", "schedule"],
            ),
            (OptimizerKind::Adam, &["betas", "eps", "schedule"]),
            (OptimizerKind::RmsProp, &["eps", "alpha", "schedule"]),
            (OptimizerKind::Adagrad, &["eps", "schedule"]),
            (OptimizerKind::Sign, &["schedule"]),
            (OptimizerKind::Normalized, &["schedule", "normalize"]),
            (OptimizerKind::Coordinate, &["schedule"]),
            (OptimizerKind::Mirror, &["schedule", "p"]),
        ];
        for (kind, names) in expected {
            let listed: Vec<&str> = OptimizerSpec::new(kind, 0.1)
                .hyper_parameters()
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            assert_eq!(listed, names, "{kind:?}");
        }
        let mut batched = OptimizerSpec::new(OptimizerKind::Adam, 0.1);
        batched.batch = Some(4);
        let listed = batched.hyper_parameters();
        assert_eq!(listed[0], ("betas", HyperValue::Pair(0.9, 0.999)));
        assert_eq!(listed.last(), Some(&("batch", HyperValue::Count(4))));
    }

    #[test]
    fn a_label_replaces_the_default_text() {
        let mut spec = OptimizerSpec::new(OptimizerKind::Adam, 0.1);
        assert_eq!(spec.label(), "adam lr=0.1");
        spec.label = Some("adam, warm".to_owned());
        assert_eq!(spec.label(), "adam, warm");
    }
}
