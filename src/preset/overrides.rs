//! `--set KEY=VALUE`: a change to a preset made on the command line instead of in the file.
//!
//! An override is applied to the parsed TOML document, before serde and the checks, so an
//! overridden value passes exactly the checks a value in the file passes. To word its errors,
//! the overrides' text is appended to the file's text (the "source" the checks quote from) and
//! each overridden value is given a span there: an error whose span falls in that tail names the
//! `--set` argument and the key instead of a line of the file.
//!
//! Keys are dotted paths into the preset (`seed`, `data.per_class`, `model.init_scale`,
//! `runs.2.lr` with runs numbered from 1, as on screen, `runs.*.lr` for every run). A value is
//! TOML (`1e-3`, `[1.0, 2.0]`, `"adam"`); a bare word that is not TOML (`adam`, `data/m.csv`) is
//! taken as a string.
//!
//! No override is a no-op: a `[model]` key that runs may also set for themselves (derived from
//! the two tables' types of the preset's kind, see `kinds::shadowed_keys`) is refused when every run sets its own, since
//! the section's value would then reach none of them. This lives here, where every entry point
//! (`run`, `check`, `snapshot`, `sweep` and the dashboard, all through `load_with`) passes.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::core::config::SetRegion;

/// One `--set KEY=VALUE` argument, split but not yet applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The dotted key as given, e.g. `runs.2.lr`.
    pub key: String,
    /// The value as given, TOML text or a bare word.
    pub value: String,
}

impl Override {
    /// Splits `KEY=VALUE` at the first `=`.
    ///
    /// # Errors
    /// When there is no `=` or the key is empty, worded for `--set`.
    pub fn parse(argument: &str) -> Result<Self, String> {
        match argument.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(Self {
                key: key.trim().to_string(),
                value: value.trim().to_string(),
            }),
            _ => Err(format!(
                "`{argument}` is not KEY=VALUE; write e.g. runs.1.lr=0.01 or \
                 runs.*.init_scale=1e-3"
            )),
        }
    }

    /// The argument as the user would write it, for error messages.
    #[must_use]
    pub fn argument(&self) -> String {
        format!("{}={}", self.key, self.value)
    }
}

/// The file's text with the overrides appended, and where each override sits in it.
pub(super) fn source_with(file: &str, overrides: &[Override]) -> (String, Vec<SetRegion>) {
    let mut source = format!("{file}\n");
    let mut regions = vec![];
    for o in overrides {
        let start = source.len();
        source.push_str(&o.argument());
        regions.push(SetRegion {
            bytes: start..source.len(),
            argument: o.argument(),
            key: checked_name(&o.key),
        });
        source.push('\n');
    }
    (source, regions)
}

/// `runs.2.lr` as the checks name it: `runs[2].lr` (and `runs.*.lr` as `runs[*].lr`).
fn checked_name(dotted: &str) -> String {
    let mut name = String::new();
    for segment in dotted.split('.') {
        if !name.is_empty() && (segment == EVERY || segment.parse::<usize>().is_ok()) {
            name.push('[');
            name.push_str(segment);
            name.push(']');
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(segment);
        }
    }
    name
}

/// An override that cannot be applied: its region and what is wrong.
pub(super) struct SetError {
    /// Index of the override in the list.
    pub(super) index: usize,
    /// What is wrong and how to fix it.
    pub(super) message: String,
}

/// Applies every override, in order, to the document parsed from `source` (see
/// [`source_with`]); later overrides of the same key win. Then refuses any override of a
/// `[model]` key that every run sets for itself (`shadowed_keys` of the preset's kind).
pub(super) fn apply<'i>(
    document: &mut DeTable<'i>,
    source: &'i str,
    regions: &[SetRegion],
    shadowed_keys: fn(&str) -> Vec<&'static str>,
) -> Result<(), SetError> {
    for (index, region) in regions.iter().enumerate() {
        let text = &source[region.bytes.clone()];
        let (key, _) = text.split_once('=').unwrap_or((text, ""));
        let value_start = region.bytes.start + key.len() + 1;
        let value = parse_value(source, value_start..region.bytes.end)
            .map_err(|message| SetError { index, message })?;
        let key_span = region.bytes.start..region.bytes.start + key.len();
        set(document, key, key_span, value).map_err(|message| SetError { index, message })?;
    }
    // The kind (after the overrides, which may change it) says which keys a run shadows.
    let kind = match document.get("experiment").map(Spanned::get_ref) {
        Some(DeValue::String(kind)) => shadowed_keys(kind),
        _ => vec![],
    };
    refuse_shadowed(document, source, regions, &kind)
}

/// The list entry that stands for every entry: `runs.*.lr`.
const EVERY: &str = "*";

/// Refuses an override of `model.KEY` when every run (after all overrides) sets its own `KEY`:
/// the section's value would reach no run, so the override would change nothing.
fn refuse_shadowed(
    document: &DeTable<'_>,
    source: &str,
    regions: &[SetRegion],
    shadowed: &[&str],
) -> Result<(), SetError> {
    let Some(DeValue::Array(runs)) = document.get("runs").map(Spanned::get_ref) else {
        return Ok(());
    };
    for (index, region) in regions.iter().enumerate() {
        let text = &source[region.bytes.clone()];
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        let Some(("model", field)) = key.split_once('.') else {
            continue;
        };
        if !shadowed.contains(&field) || runs.is_empty() {
            continue;
        }
        let sets_it = |run: &Spanned<DeValue<'_>>| match run.get_ref() {
            DeValue::Table(table) => table.contains_key(field),
            _ => false,
        };
        if runs.iter().all(sets_it) {
            let which = match runs.len() {
                1 => "runs[1]".to_owned(),
                2 => "runs[1], runs[2]".to_owned(),
                n => format!("runs[1]…runs[{n}]"),
            };
            return Err(SetError {
                index,
                message: format!(
                    "every run sets its own {field} ({which}), so this would change nothing; \
                     set it on every run with runs.*.{field}={value}"
                ),
            });
        }
    }
    Ok(())
}

/// The value at `bytes` of `source` as TOML, its spans in `source`; a bare word as a string.
fn parse_value(source: &str, bytes: Range<usize>) -> Result<Spanned<DeValue<'_>>, String> {
    let text = &source[bytes.clone()];
    if text.is_empty() {
        return Err("no value after `=`; write KEY=VALUE, e.g. runs.1.lr=0.01".into());
    }
    match DeValue::parse(text) {
        Ok(value) => Ok(shifted(value, bytes.start)),
        Err(_) if is_bare_word(text) => {
            Ok(Spanned::new(bytes, DeValue::String(Cow::Borrowed(text))))
        }
        Err(e) => Err(format!(
            "`{text}` is not a TOML value ({}); write a number, true/false, \"text\" or [a, b]",
            e.message().trim().replace('\n', " ")
        )),
    }
}

/// A word with no spaces, quotes, brackets, braces, commas or `=`: taken as a string when it is
/// not TOML, so `--set runs.1.optimizer=adam` needs no shell-escaped quotes.
fn is_bare_word(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '[' | ']' | '{' | '}' | ',' | '=' | '#')
    })
}

/// `value` with every span moved `offset` bytes on (spans of a value parsed alone start at 0).
fn shifted(value: Spanned<DeValue<'_>>, offset: usize) -> Spanned<DeValue<'_>> {
    let span = value.span();
    let moved = match value.into_inner() {
        DeValue::Array(mut items) => {
            for item in items.iter_mut() {
                let inner = std::mem::replace(item, Spanned::new(0..0, DeValue::Boolean(false)));
                *item = shifted(inner, offset);
            }
            DeValue::Array(items)
        }
        DeValue::Table(table) => DeValue::Table(
            table
                .into_iter()
                .map(|(k, v)| {
                    let key_span = k.span();
                    let key = Spanned::new(
                        key_span.start + offset..key_span.end + offset,
                        k.into_inner(),
                    );
                    (key, shifted(v, offset))
                })
                .collect(),
        ),
        other => other,
    };
    Spanned::new(span.start + offset..span.end + offset, moved)
}

/// Sets the dotted `key` to `value` in `document`, creating missing tables (serde then refuses
/// unknown ones with a did-you-mean), indexing arrays of tables from 1 (`runs.2.lr`) and
/// setting every entry for `*` (`runs.*.lr`).
fn set<'i>(
    document: &mut DeTable<'i>,
    key: &'i str,
    key_span: Range<usize>,
    value: Spanned<DeValue<'i>>,
) -> Result<(), String> {
    let segments: Vec<&'i str> = key.split('.').collect();
    if segments.iter().any(|s| s.trim().is_empty()) {
        return Err(format!(
            "`{key}` has an empty part; write a dotted key like runs.1.lr"
        ));
    }
    set_at(document, &segments, 0, &key_span, value)
}

/// Sets `segments[at..]` inside `table` (whose path is `segments[..at]`) to `value`.
fn set_at<'i>(
    table: &mut DeTable<'i>,
    segments: &[&'i str],
    at: usize,
    key_span: &Range<usize>,
    value: Spanned<DeValue<'i>>,
) -> Result<(), String> {
    let segment = segments[at];
    if segment == EVERY {
        let parent = if at == 0 {
            "the preset".to_owned()
        } else {
            segments[..at].join(".")
        };
        return Err(format!(
            "`*` stands for every entry of a list, as in runs.*.lr; {parent} is not a list"
        ));
    }
    if at + 1 == segments.len() {
        if let Some(existing) = table.get_mut(segment) {
            *existing = value;
        } else {
            table.insert(
                Spanned::new(key_span.clone(), Cow::Borrowed(segment)),
                value,
            );
        }
        return Ok(());
    }
    let walked = segments[..=at].join(".");
    let entry = table
        .entry(Spanned::new(key_span.clone(), Cow::Borrowed(segment)))
        .or_insert_with(|| Spanned::new(key_span.clone(), DeValue::Table(DeTable::new())));
    match entry.get_mut() {
        DeValue::Table(inner) => set_at(inner, segments, at + 1, key_span, value),
        DeValue::Array(items) => {
            let next = segments[at + 1];
            let last = at + 2 == segments.len();
            let indices: Vec<usize> = if next == EVERY {
                if last {
                    return Err(format!(
                        "`{walked}.*` needs a key after it; write e.g. {walked}.*.lr=0.01"
                    ));
                }
                (0..items.len()).collect()
            } else {
                vec![entry_index(next, items.len(), &walked)?]
            };
            if last {
                if let Some(item) = items.get_mut(indices[0]) {
                    *item = value;
                }
                return Ok(());
            }
            for index in indices {
                match items.get_mut(index).map(Spanned::get_mut) {
                    Some(DeValue::Table(inner)) => {
                        set_at(inner, segments, at + 2, key_span, value.clone())?;
                    }
                    _ => return Err(not_a_table(&segments[..at + 2].join("."))),
                }
            }
            Ok(())
        }
        _ => Err(not_a_table(&walked)),
    }
}

/// The 0-based index of entry `segment` (counted from 1) of the list `walked` of `count`.
fn entry_index(segment: &str, count: usize, walked: &str) -> Result<usize, String> {
    match segment.parse::<usize>() {
        Ok(n) if (1..=count).contains(&n) => Ok(n - 1),
        Ok(n) => Err(format!(
            "the preset has {count} {walked} entries, so there is no {walked}.{n}; number them \
             from 1 to {count} (to add one, add a [[{walked}]] table to the file)"
        )),
        Err(_) => Err(format!(
            "`{segment}` is not an entry of {walked}; number them from 1 to {count}, \
             e.g. {walked}.1"
        )),
    }
}

/// The error for a dotted key that continues past a plain value.
fn not_a_table(walked: &str) -> String {
    format!("`{walked}` is a value, not a table; set it directly with --set {walked}=VALUE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::kinds::shadowed_keys;

    /// Applies `sets` to `file` and returns the document as plain TOML values.
    fn applied(file: &str, sets: &[&str]) -> Result<toml::Table, String> {
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        let (source, regions) = source_with(file, &overrides);
        let mut document = DeTable::parse(&source[..file.len()]).unwrap();
        apply(document.get_mut(), &source, &regions, shadowed_keys).map_err(|e| e.message)?;
        let table: toml::Table =
            serde::Deserialize::deserialize(toml::de::Deserializer::from(document))
                .map_err(|e| e.to_string())?;
        Ok(table)
    }

    #[test]
    fn overrides_equal_the_same_values_written_in_the_file() {
        // Against the edited file parsed by toml alone.
        let file = "seed = 1\n[model]\nwidth = 3\n[[runs]]\nlr = 0.1\n[[runs]]\nlr = 0.2\n";
        let edited = "seed = 5\n[model]\nwidth = 3\ninit_scale = 0.001\n[[runs]]\nlr = 0.1\n\
                      [[runs]]\nlr = 0.5\ninit = [1.0, 2.0]\noptimizer = \"adam\"\n[show]\nsteps = 9\n";
        let got = applied(
            file,
            &[
                "seed=5",
                "model.init_scale=1e-3",
                "runs.2.lr=0.5",
                "runs.2.init=[1.0,2.0]",
                "runs.2.optimizer=adam",
                "show.steps=9",
            ],
        )
        .unwrap();
        assert_eq!(got, edited.parse::<toml::Table>().unwrap());
    }

    #[test]
    fn a_later_override_of_the_same_key_wins() {
        let got = applied("seed = 1\n", &["seed=2", "seed=3"]).unwrap();
        assert_eq!(got["seed"].as_integer(), Some(3));
    }

    #[test]
    fn values_keep_their_place_in_the_source_for_quoting() {
        // The span of every value, also inside an array, covers its own text after the file.
        let file = "seed = 1\n";
        let overrides = [Override::parse("runs.1.init=[1.5, -2]").unwrap()];
        let (source, regions) = source_with(file, &overrides);
        assert!(regions[0].bytes.start > file.len());
        let at = source.find("[1.5").unwrap();
        let value = parse_value(&source, at..regions[0].bytes.end).unwrap();
        assert_eq!(&source[value.span()], "[1.5, -2]");
        let DeValue::Array(items) = value.get_ref() else {
            panic!("an array");
        };
        let spans: Vec<&str> = items.iter().map(|i| &source[i.span()]).collect();
        assert_eq!(spans, ["1.5", "-2"]);
    }

    #[test]
    fn runs_are_numbered_from_one_and_must_exist() {
        let file = "[[runs]]\nlr = 0.1\n";
        for bad in ["runs.0.lr=1", "runs.2.lr=1", "runs.x.lr=1", "runs..lr=1"] {
            assert!(applied(file, &[bad]).is_err(), "{bad} must be refused");
        }
        assert!(
            applied(file, &["runs.1.lr.x=1"]).is_err(),
            "lr is not a table"
        );
    }

    #[test]
    fn bare_words_are_text_but_broken_toml_is_not() {
        assert!(is_bare_word("adam"));
        assert!(is_bare_word("data/m.csv"));
        assert!(!is_bare_word("[1.0,"));
        assert!(!is_bare_word("two words"));
        let got = applied("x = 1\n", &["x=min-l2"]).unwrap();
        assert_eq!(got["x"].as_str(), Some("min-l2"));
        assert!(applied("x = 1\n", &["x=[1.0,"]).is_err());
        assert!(applied("x = 1\n", &["x="]).is_err());
    }

    #[test]
    fn runs_star_sets_every_run_as_an_edit_of_each_would() {
        // Against the file with the key written into every [[runs]] by hand.
        let file = "[[runs]]\nlr = 0.1\n[[runs]]\nlr = 0.2\ninit_scale = 5\n[[runs]]\nlr = 0.3\n";
        let edited = "[[runs]]\nlr = 0.1\ninit_scale = 0.001\n[[runs]]\nlr = 0.2\n\
                      init_scale = 0.001\n[[runs]]\nlr = 0.3\ninit_scale = 0.001\n";
        let got = applied(file, &["runs.*.init_scale=1e-3"]).unwrap();
        assert_eq!(got, edited.parse::<toml::Table>().unwrap());
        // A later single run wins over the earlier star, as a later override always does.
        let got = applied(file, &["runs.*.lr=1", "runs.2.lr=2"]).unwrap();
        let lrs: Vec<f64> = got["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["lr"]
                    .as_float()
                    .unwrap_or_else(|| r["lr"].as_integer().unwrap() as f64)
            })
            .collect();
        assert_eq!(lrs, [1.0, 2.0, 1.0]);
    }

    #[test]
    fn a_star_needs_a_list_and_a_key_after_it() {
        let file = "[model]\nwidth = 3\n[[runs]]\nlr = 0.1\n";
        let no_key = applied(file, &["runs.*=1"]).unwrap_err();
        assert!(no_key.contains("needs a key after it"), "{no_key}");
        let not_list = applied(file, &["model.*.x=1"]).unwrap_err();
        assert!(not_list.contains("model is not a list"), "{not_list}");
    }

    #[test]
    fn the_shadowed_keys_are_the_ones_model_and_runs_share() {
        // Written out from the preset reference: [model] and [[runs]] both accept these.
        for kind in ["matrix", "diagonal"] {
            let mut keys = shadowed_keys(kind);
            keys.sort_unstable();
            assert_eq!(keys, ["depth", "init_scale"], "{kind}");
        }
        assert!(shadowed_keys("linear").is_empty());
        assert!(shadowed_keys("no such kind").is_empty());
    }

    #[test]
    fn a_model_key_every_run_sets_is_refused_and_names_the_fix() {
        let every = "experiment = \"matrix\"\n[model]\nwidth = 3\n[[runs]]\nlr = 0.1\n\
                     init_scale = 1\n[[runs]]\nlr = 0.2\ninit_scale = 2\n";
        let refused = applied(every, &["model.init_scale=1e-3"]).unwrap_err();
        assert_eq!(
            refused,
            "every run sets its own init_scale (runs[1], runs[2]), so this would change \
             nothing; set it on every run with runs.*.init_scale=1e-3"
        );
        // One run without its own value: the section's value reaches it, so it is no no-op.
        let one_free =
            "experiment = \"matrix\"\n[[runs]]\nlr = 0.1\ninit_scale = 1\n[[runs]]\nlr = 0.2\n";
        assert!(applied(one_free, &["model.init_scale=1e-3"]).is_ok());
        // ... unless another override gives every run its own.
        let both = applied(one_free, &["model.depth=3", "runs.*.depth=2"]).unwrap_err();
        assert!(both.contains("every run sets its own depth"), "{both}");
    }

    #[test]
    fn keys_are_named_as_the_checks_name_them() {
        assert_eq!(checked_name("runs.2.lr"), "runs[2].lr");
        assert_eq!(checked_name("model.init_scale"), "model.init_scale");
        assert_eq!(checked_name("seed"), "seed");
        assert_eq!(checked_name("runs.*.lr"), "runs[*].lr");
    }
}
