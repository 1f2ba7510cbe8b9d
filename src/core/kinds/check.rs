//! From a preset's document to a checked [`ExperimentSpec`], for any kind: the kind the preset
//! names, its keys against its types, the keys every kind shares, then the kind's own check.
//!
//! The order makes each error the one a user should fix first: the kind (everything else
//! depends on it), keys that do not belong (a typo, or a key of another kind), the shape (serde:
//! wrong types, missing keys), then values in file order.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{KindProblem, Problem};
use crate::core::config::raw::{RawPreset, ShowKeys, TableKeys, Text};
use crate::core::config::{Checker, PresetError, Tables, toml_error};
use crate::core::experiment::{ExperimentSpec, MAX_RUNS, MAX_STEPS};

/// The preset's `experiment`, read before anything else (its kind decides every other key);
/// `names` are the kinds, for the example when it is missing, and `top` the top-level keys
/// every kind accepts, for a misspelt `experiment`.
///
/// # Errors
/// When it is missing or not text.
pub(crate) fn experiment(
    c: &Checker<'_>,
    document: &Spanned<DeTable<'_>>,
    names: &[&str],
    top: &[&str],
) -> Result<Text, PresetError> {
    #[derive(Deserialize)]
    struct Head {
        experiment: Text,
    }
    if !document.get_ref().contains_key("experiment") {
        let misspelt = document
            .get_ref()
            .keys()
            .filter(|key| !top.contains(&key.get_ref().as_ref()))
            .min_by_key(|key| key.span().start);
        if let Some(key) = misspelt {
            let name = key.get_ref().as_ref();
            return Err(c.unknown_key(key.span(), name, name, top));
        }
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        return Err(c.error(
            Some(0..0),
            "experiment",
            format!(
                "is required here; add experiment = {} (or {})",
                quoted[0],
                quoted[1..].join(", ")
            ),
        ));
    }
    let head = Head::deserialize(toml::de::Deserializer::from(document.clone()))
        .map_err(|e| toml_error(c, &e, false))?;
    Ok(head.experiment)
}

/// Checks `document` as a preset of kind `P`; `others` are every kind's names and keys, for
/// telling a key of another kind from a typo.
///
/// # Errors
/// The first problem, worded with the file, line, key and fix.
pub(crate) fn check_preset<P: KindProblem + Into<Problem>>(
    c: &Checker<'_>,
    document: Spanned<DeTable<'_>>,
    others: &[(&'static str, TableKeys)],
) -> Result<ExperimentSpec, PresetError> {
    let keys = TableKeys::of::<P::Data, P::Model, P::Run, P::Show>();
    check_keys(c, document.get_ref(), P::NAME, &keys, others, P::key_hint)?;
    let raw = RawPreset::<P::Data, P::Model, P::Run, P::Show>::deserialize(
        toml::de::Deserializer::from(document),
    )
    .map_err(|e| toml_error(c, &e, false))?;
    let seed = match &raw.seed {
        Some(s) if *s.get_ref() < 0 => {
            return Err(c.error(
                Some(s.span()),
                "seed",
                format!("{} is negative; use a whole number ≥ 0", s.get_ref()),
            ));
        }
        Some(s) => *s.get_ref() as u64,
        None => 0,
    };
    let Some(data) = &raw.data else {
        return Err(c.error(
            None,
            "data",
            "missing [data] table; add one with `source = ...`",
        ));
    };
    let no_runs = "no runs; add at least one [[runs]] with optimizer and lr";
    let runs = match &raw.runs {
        Some(runs) if !runs.get_ref().is_empty() => runs,
        Some(runs) => return Err(c.error(Some(runs.span()), "runs", no_runs)),
        None => return Err(c.error(None, "runs", no_runs)),
    };
    if runs.get_ref().len() > MAX_RUNS {
        return Err(c.error(
            Some(runs.span()),
            "runs",
            format!(
                "{} runs; at most {MAX_RUNS} are allowed, remove some",
                runs.get_ref().len()
            ),
        ));
    }
    let horizon = match raw.show.as_ref().and_then(ShowKeys::steps) {
        Some(steps) => c.count(steps, "show.steps", 0, MAX_STEPS as i64)? as u64,
        None => 10_000,
    };
    let tables = Tables {
        data,
        model: raw.model.as_ref(),
        runs,
        show: raw.show.as_ref(),
        seed,
    };
    let problem = P::check(c, &tables)?;
    let title = raw.title.as_ref().map_or_else(
        || {
            c.path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        },
        |t| t.get_ref().clone(),
    );
    Ok(ExperimentSpec {
        title,
        about: raw
            .about
            .as_ref()
            .map(|a| a.get_ref().clone())
            .unwrap_or_default(),
        seed,
        problem: problem.into(),
        horizon,
    })
}

/// Refuses the first key (in file order) that kind `kind`'s tables do not have: a key of
/// another kind "does not apply" (with the kind's `hint` of what to use instead, if any), any
/// other is unknown, with the nearest key of that table.
fn check_keys(
    c: &Checker<'_>,
    document: &DeTable<'_>,
    kind: &str,
    keys: &TableKeys,
    others: &[(&'static str, TableKeys)],
    hint: fn(&str, &str) -> Option<&'static str>,
) -> Result<(), PresetError> {
    // (span, table, key as errors name it, key)
    let mut unknown: Vec<(std::ops::Range<usize>, &str, String, String)> = vec![];
    let mut scan = |table: &'static str, named: &dyn Fn(&str) -> String, entries: &DeTable<'_>| {
        let accepted = keys.of_table(table);
        for (key, _) in entries {
            let name = key.get_ref().as_ref();
            if !accepted.contains(&name) {
                unknown.push((key.span(), table, named(name), name.to_owned()));
            }
        }
    };
    scan("", &|key| key.to_owned(), document);
    // Tables of another type are left to serde, which words that error.
    for table in ["data", "model", "show"] {
        if let Some(DeValue::Table(entries)) = document.get(table).map(Spanned::get_ref) {
            scan(table, &|key| format!("{table}.{key}"), entries);
        }
    }
    if let Some(DeValue::Array(runs)) = document.get("runs").map(Spanned::get_ref) {
        for (index, run) in runs.iter().enumerate() {
            if let DeValue::Table(entries) = run.get_ref() {
                scan("runs", &|key| format!("runs[{}].{key}", index + 1), entries);
            }
        }
    }
    let Some((span, table, named, key)) = unknown.into_iter().min_by_key(|u| u.0.start) else {
        return Ok(());
    };
    let elsewhere = others
        .iter()
        .any(|(other, keys)| *other != kind && keys.of_table(table).contains(&key.as_str()));
    if elsewhere {
        let why = hint(table, &key).map_or_else(String::new, |h| format!(" ({h})"));
        return Err(c.error(
            Some(span),
            &named,
            format!("does not apply to {kind} experiments{why}; remove it"),
        ));
    }
    Err(c.unknown_key(span, &named, &key, keys.of_table(table)))
}

#[cfg(test)]
mod tests {
    use super::super::every_kinds_keys;

    /// The keys come from the types; the reference in docs/presets.md is written by hand, so
    /// every key a kind accepts must appear there (as `key = …`, `` `key` `` or `[key]`).
    #[test]
    fn every_key_of_every_kind_is_documented() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/presets.md"),
        )
        .expect("docs/presets.md is readable");
        for (kind, keys) in every_kinds_keys() {
            for table in ["", "data", "model", "runs", "show"] {
                for key in keys.of_table(table) {
                    let written = [format!("{key} ="), format!("`{key}`"), format!("[{key}]")]
                        .iter()
                        .any(|form| docs.contains(form));
                    assert!(written, "{kind} [{table}] {key} is not in docs/presets.md");
                }
            }
        }
    }

    /// A kind's tables are its own: the linear kind takes no depth, the matrix and diagonal
    /// kinds no `loss`, and every kind's runs take the shared optimizer keys.
    #[test]
    fn kinds_accept_their_own_keys_and_share_the_optimizer_keys() {
        let every = every_kinds_keys();
        let keys = |kind: &str| every.iter().find(|(k, _)| *k == kind).unwrap().1;
        assert!(!keys("linear").runs.contains(&"depth"));
        assert!(keys("diagonal").runs.contains(&"label_noise"));
        assert!(!keys("matrix").model.contains(&"loss"));
        for (_, k) in &every {
            for shared in ["label", "optimizer", "lr", "betas", "schedule", "batch"] {
                assert!(k.runs.contains(&shared), "{shared}");
            }
            assert!(k.show.contains(&"steps"));
            assert_eq!(
                k.top,
                [
                    "title",
                    "about",
                    "experiment",
                    "seed",
                    "data",
                    "model",
                    "runs",
                    "show"
                ]
            );
        }
    }
}
