//! A run's optimizer keys: the raw values go to core's [`OptimizerOptions::check`], which knows
//! every rule; this file only names the optimizer and maps a broken rule back to its line and key.

use std::ops::Range;

use toml::Spanned;

use super::PresetError;
use super::diagnostics::Checker;
use super::raw::{OptimizerKeys, Text};
use crate::core::optim::{
    NormalizeBy, OptimizerField, OptimizerKind, OptimizerOptions, OptimizerSpec, Schedule,
};

/// Checks the optimizer keys of run `key` (`runs[2]`); `points` is the number of data points
/// mini-batches draw from, `None` when the experiment has none.
pub(crate) fn check_optimizer(
    c: &Checker<'_>,
    r: OptimizerKeys<'_>,
    key: &str,
    points: Option<usize>,
) -> Result<OptimizerSpec, PresetError> {
    let Some(kind) = OptimizerKind::from_name(r.optimizer.get_ref()) else {
        let all: Vec<&str> = OptimizerKind::ALL.iter().map(|k| k.name()).collect();
        return Err(c.unknown_name(
            r.optimizer,
            &format!("{key}.optimizer"),
            "an optimizer",
            &all,
        ));
    };
    let number = |value: Option<&super::raw::Num>| value.map(|v| v.get_ref().0);
    let schedule = r
        .schedule
        .map(|name| {
            Schedule::from_name(name.get_ref()).ok_or_else(|| {
                let all: Vec<&str> = Schedule::ALL.iter().map(|s| s.name()).collect();
                c.unknown_name(name, &format!("{key}.schedule"), "a schedule", &all)
            })
        })
        .transpose()?;
    let normalize = r
        .normalize
        .map(|name| {
            NormalizeBy::from_name(name.get_ref()).ok_or_else(|| {
                let all: Vec<&str> = NormalizeBy::ALL.iter().map(|s| s.name()).collect();
                c.unknown_name(name, &format!("{key}.normalize"), "a normalization", &all)
            })
        })
        .transpose()?;
    let options = OptimizerOptions {
        kind,
        lr: r.lr.get_ref().0,
        betas: r
            .betas
            .map(|b| b.get_ref().iter().map(|v| v.get_ref().0).collect()),
        eps: number(r.eps),
        momentum: number(r.momentum),
        nesterov: r.nesterov.map(|n| *n.get_ref()),
        alpha: number(r.alpha),
        batch: r.batch.map(|b| *b.get_ref()),
        schedule,
        normalize,
        p: number(r.p),
    };
    let mut spec = options.check(points).map_err(|e| {
        let span = field_span(&r, e.field);
        let message = match &span {
            Some(span) if e.quotes_value() => format!("{} {e}", c.written(span)),
            _ => e.to_string(),
        };
        c.error(span, &format!("{key}.{}", e.field.name()), message)
    })?;
    spec.label = r
        .label
        .map(|label| check_label(c, label, key))
        .transpose()?;
    Ok(spec)
}

/// Longest run label, so a legend or table column stays readable.
const MAX_LABEL_CHARS: usize = 40;

/// A run's `label`: one line of at most [`MAX_LABEL_CHARS`] characters, not blank (it names the
/// run in legends, tables, JSON and CSV).
fn check_label(c: &Checker<'_>, label: &Text, key: &str) -> Result<String, PresetError> {
    let text = label.get_ref().trim();
    let problem = if text.is_empty() {
        Some(
            "is blank; give the run a short name such as \"adam, small lr\", or remove it"
                .to_owned(),
        )
    } else if text.chars().any(char::is_control) {
        Some("holds a line break or control character; write it on one line".to_owned())
    } else if text.chars().count() > MAX_LABEL_CHARS {
        Some(format!(
            "is longer than {MAX_LABEL_CHARS} characters; shorten it so legends and tables stay \
             readable"
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(c.error(
            Some(label.span()),
            &format!("{key}.label"),
            format!("{} {problem}", c.written(&label.span())),
        )),
        None => Ok(text.to_owned()),
    }
}

/// Where the run wrote `field` (for `betas`, the array or one of its values).
fn field_span(r: &OptimizerKeys<'_>, field: OptimizerField) -> Option<Range<usize>> {
    match field {
        OptimizerField::Lr => Some(r.lr.span()),
        OptimizerField::Betas(None) => r.betas.map(Spanned::span),
        OptimizerField::Betas(Some(i)) => {
            r.betas.and_then(|b| b.get_ref().get(i)).map(Spanned::span)
        }
        OptimizerField::Eps => r.eps.map(Spanned::span),
        OptimizerField::Momentum => r.momentum.map(Spanned::span),
        OptimizerField::Nesterov => r.nesterov.map(Spanned::span),
        OptimizerField::Alpha => r.alpha.map(Spanned::span),
        OptimizerField::Batch => r.batch.map(Spanned::span),
        OptimizerField::Schedule => r.schedule.map(Spanned::span),
        OptimizerField::Normalize => r.normalize.map(Spanned::span),
        // A missing exponent is reported at the `optimizer = "mirror"` that needs it.
        OptimizerField::P => Some(r.p.map_or(r.optimizer.span(), Spanned::span)),
    }
}
