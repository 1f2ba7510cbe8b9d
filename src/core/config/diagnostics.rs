//! Where an error is and how to word it: byte offsets to lines and keys (`runs[2].lr`), the
//! value quoted as written, did-you-mean suggestions, and serde's TOML errors in a preset's words.
//! Every check of every experiment kind words its errors through [`Checker`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::PresetError;
use super::SetRegion;
use super::raw::{Int, Num, Text};
use crate::core::data::{DataError, shorten};

/// Common names from other tools, mapped to ours.
const SYNONYMS: &[(&str, &str)] = &[
    ("learning_rate", "lr"),
    ("learningrate", "lr"),
    ("step_size", "lr"),
    ("eta", "lr"),
    ("beta", "betas"),
    ("epsilon", "eps"),
    ("optim", "optimizer"),
    ("iterations", "steps"),
    ("epochs", "steps"),
    ("batch_size", "batch"),
    ("rank_true", "rank"),
    ("n", "size"),
    ("sigma", "init_scale"),
    ("kind", "experiment"),
    ("type", "experiment"),
    ("reference", "references"),
];

/// Levenshtein distance, for suggesting the key a user meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The key closest to `unknown` among `candidates` and known synonyms, if any is close.
fn suggest(unknown: &str, candidates: &[&str]) -> Option<String> {
    let lower = unknown.to_ascii_lowercase();
    let close = |a: &str, b: &str| edit_distance(a, b) <= (b.len() / 3).max(1);
    SYNONYMS
        .iter()
        .filter(|(synonym, key)| candidates.contains(key) && close(&lower, synonym))
        .map(|(_, key)| (*key).to_string())
        .chain(
            candidates
                .iter()
                .filter(|c| close(&lower, c))
                .map(|c| (*c).to_string()),
        )
        .next()
}

/// 1-based line of byte offset `offset` in `source`.
fn line_of(source: &str, offset: usize) -> usize {
    source[..boundary(source, offset)].matches('\n').count() + 1
}

/// Everything the checks need to word an error.
pub(crate) struct Checker<'a> {
    /// The preset file, for every error.
    pub(crate) path: &'a Path,
    /// Its text, to turn spans into lines and quote values.
    pub(crate) source: &'a str,
    /// Its folder: data paths are relative to it.
    pub(crate) dir: PathBuf,
    /// Where each `--set` override sits in `source` (after the file's text).
    pub(crate) overrides: &'a [SetRegion],
}

impl Checker<'_> {
    pub(crate) fn error(
        &self,
        span: Option<Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> PresetError {
        let set = span.as_ref().and_then(|s| {
            self.overrides
                .iter()
                .find(|r| r.bytes.contains(&s.start) || r.bytes.end == s.start)
        });
        if let Some(region) = set {
            // The override's key, not one guessed from the text around the span.
            return PresetError {
                path: self.path.to_path_buf(),
                line: None,
                key: Some(region.key.clone()),
                message: message.into(),
                set: Some(region.argument.clone()),
            };
        }
        PresetError {
            path: self.path.to_path_buf(),
            line: span.map(|s| line_of(self.source, s.start)),
            key: (!key.is_empty()).then(|| key.to_string()),
            message: message.into(),
            set: None,
        }
    }

    /// The value at `span` as the user wrote it, for quoting.
    pub(crate) fn written(&self, span: &Range<usize>) -> String {
        quote_source(self.source, span)
    }

    pub(crate) fn float(
        &self,
        value: &Num,
        key: &str,
        range: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<f64, PresetError> {
        let v = value.get_ref().0;
        let written = self.written(&value.span());
        let range = if range.is_empty() {
            String::new()
        } else {
            format!(" {range}")
        };
        if !v.is_finite() {
            return Err(self.error(
                Some(value.span()),
                key,
                format!("{written} is not finite; use a finite number{range}"),
            ));
        }
        if !ok(v) {
            return Err(self.error(
                Some(value.span()),
                key,
                format!("{written} is out of range; use a number{range}"),
            ));
        }
        Ok(v)
    }

    pub(crate) fn positive(&self, value: &Num, key: &str) -> Result<f64, PresetError> {
        self.float(value, key, "> 0", |v| v > 0.0)
    }

    pub(crate) fn count(
        &self,
        value: &Int,
        key: &str,
        min: i64,
        max: i64,
    ) -> Result<usize, PresetError> {
        let v = *value.get_ref();
        if v < min || v > max {
            let range = if max == i64::MAX {
                format!("≥ {min}")
            } else {
                format!("from {min} to {max}")
            };
            return Err(self.error(
                Some(value.span()),
                key,
                format!(
                    "{} is out of range; use a whole number {range}",
                    self.written(&value.span())
                ),
            ));
        }
        Ok(v as usize)
    }

    /// A name that is not one of `names`, quoted as written, with the near miss if there is one.
    pub(crate) fn unknown_name(
        &self,
        value: &Text,
        key: &str,
        what: &str,
        names: &[&str],
    ) -> PresetError {
        let hint = suggest(value.get_ref(), names)
            .map(|near| format!("did you mean \"{near}\"? "))
            .unwrap_or_default();
        let verb = match (hint.is_empty(), names.len()) {
            (true, 1) => "use",
            (true, _) => "use one of",
            (false, _) => "accepted:",
        };
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        self.error(
            Some(value.span()),
            key,
            format!(
                "{} is not {what}; {hint}{verb} {}",
                self.written(&value.span()),
                quoted.join(", ")
            ),
        )
    }

    /// Loads the data file named by `value` (key `key`). A problem with the whole file (missing,
    /// empty, wrong shape) is reported at the preset line that names it; a problem on one line of
    /// the CSV is reported at that line of the CSV.
    pub(crate) fn data_file<T>(
        &self,
        value: &Text,
        key: &str,
        load: impl FnOnce(&Path) -> Result<T, DataError>,
    ) -> Result<T, PresetError> {
        let path = self.file(value);
        load(&path).map_err(|e| {
            if e.line.is_some() {
                return PresetError::from(e);
            }
            let relative = if Path::new(value.get_ref()).is_relative() {
                " (paths are relative to the preset's folder)"
            } else {
                ""
            };
            let hint = if e.message.starts_with("no such file") {
                relative
            } else {
                ""
            };
            self.error(
                Some(value.span()),
                key,
                format!("{}: {}{hint}", path.display(), e.message),
            )
        })
    }

    pub(crate) fn file(&self, value: &Text) -> PathBuf {
        let path = Path::new(value.get_ref());
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// An error for a key that the chosen source or experiment does not use.
    pub(crate) fn not_for<T>(
        &self,
        value: Option<&Spanned<T>>,
        key: &str,
        context: &str,
    ) -> Result<(), PresetError> {
        match value {
            Some(v) => Err(self.error(
                Some(v.span()),
                key,
                format!("does not apply to {context}; remove it"),
            )),
            None => Ok(()),
        }
    }

    /// Refuses `key` (named `named`, e.g. `runs[1].learnig_rate`), which no kind's table has:
    /// with the nearest of `accepted` (its table's keys), else the list of them.
    pub(crate) fn unknown_key(
        &self,
        span: Range<usize>,
        named: &str,
        key: &str,
        accepted: &[&str],
    ) -> PresetError {
        let hint = match suggest(key, accepted) {
            // `[run]` is the single-table spelling of the array of tables `[[runs]]`.
            Some(near) if near == "runs" && key == "run" => {
                "use [[runs]] (double brackets) for each run, not [run]".to_owned()
            }
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("expected one of: {}", accepted.join(", ")),
        };
        self.error(Some(span), &shorten(named), format!("unknown key; {hint}"))
    }
}

/// Words a TOML syntax error or a serde shape error in one line, naming the key with its table
/// (`runs[2].lr`), quoting the value as written and saying what would be accepted.
pub(crate) fn toml_error(checker: &Checker<'_>, e: &toml::de::Error, syntax: bool) -> PresetError {
    let span = e.span();
    let source = checker.source;
    let offset = span.as_ref().map_or(0, |s| s.start);
    let message = e.message().trim().replace('\n', " ");
    if syntax && !message.starts_with("invalid type: ") {
        let key = key_at(source, offset).unwrap_or_default();
        let hint = if message.starts_with("duplicate key") {
            "; keep one"
        } else {
            ""
        };
        return checker.error(span, &key, format!("TOML syntax: {message}{hint}"));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return missing_field_error(checker, span, rest);
    }
    shape_error(checker, span, &message)
}

/// A required key that is missing (`rest` follows "missing field `"), with an example.
fn missing_field_error(
    checker: &Checker<'_>,
    span: Option<Range<usize>>,
    rest: &str,
) -> PresetError {
    let source = checker.source;
    let offset = span.as_ref().map_or(0, |s| s.start);
    let field = rest.split('`').next().unwrap_or_default();
    // `experiment` is the only required top-level key; the others belong to the table the
    // span starts in (`[data]`, `[[runs]]`).
    let table = if field == "experiment" {
        String::new()
    } else {
        table_at(source, offset)
    };
    let example = match field {
        "experiment" => "experiment = \"linear\" or \"matrix\"",
        "source" => "source = \"clusters\" or \"csv\" (linear), \"low-rank\" or \"csv\" (matrix)",
        "optimizer" => "optimizer = \"gd\" (or sgd, momentum, adam, rmsprop, adagrad, ...)",
        "lr" => "lr = 0.01 (any number > 0)",
        _ => "it",
    };
    checker.error(
        span,
        &join_key(&table, field),
        format!("is required here; add {example}"),
    )
}

/// Words serde's "invalid type" and "invalid length" errors with the key, the value as written
/// and what the key accepts.
fn shape_error(checker: &Checker<'_>, span: Option<Range<usize>>, message: &str) -> PresetError {
    let source = checker.source;
    let offset = span.as_ref().map_or(0, |s| s.start);
    let key = key_at(source, offset).unwrap_or_default();
    let written = span.as_ref().map(|s| quote_source(source, s));
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, "?"));
        let what = written.unwrap_or_else(|| found.to_string());
        if found.ends_with(" as i128") || found.ends_with(" as u128") {
            return checker.error(
                span,
                &key,
                format!("{what} is too large; use a whole number up to {}", i64::MAX),
            );
        }
        let kind = match found.split(' ').next().unwrap_or_default() {
            "string" => "text",
            "integer" => "a whole number",
            "floating" => "a fractional number",
            "boolean" => "true/false",
            "map" => "a table",
            "sequence" => "an array",
            _ => "of the wrong type",
        };
        let mut wanted = accepted(expected, &key);
        if found.starts_with("string") && expected == "a number" {
            wanted.push_str(" (without quotes)");
        }
        if key == "runs" && found == "map" {
            wanted = "[[runs]] (double brackets) for each run".to_string();
        }
        return checker.error(span, &key, format!("{what} is {kind}; use {wanted}"));
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let expected = rest.split_once(", expected ").map_or("?", |(_, e)| e);
        let what = written.unwrap_or_default();
        return checker.error(
            span,
            &key,
            format!("{what} is an array; use {}", accepted(expected, &key)),
        );
    }
    checker.error(span, &key, message)
}

/// What serde's `expected ...` means in a preset's words, with an example for `key`.
fn accepted(expected: &str, key: &str) -> String {
    let leaf = key.rsplit('.').next().unwrap_or_default();
    let example = match leaf {
        "betas" => "[0.9, 0.999]",
        "center" => "[1.5, 1.5]",
        "init" if key.starts_with("model") => "[\"u0.csv\", \"v0.csv\"]",
        "init" => "[0.0, 0.0]",
        "references" => "[\"l2\", \"linf\"]",
        "title" | "about" => "\"My experiment\"",
        "experiment" => "\"linear\"",
        "optimizer" => "\"gd\"",
        "source" => "\"csv\"",
        "layout" => "\"overlay\"",
        "loss" => "\"exp\"",
        "path" | "matrix" | "mask" => "\"data/file.csv\"",
        "lr" | "eps" | "spread" | "init_scale" | "momentum" | "alpha" | "observed" => "0.5",
        "depth" => "3",
        _ => "",
    };
    let kind = match expected {
        "a number" => "a number",
        "i64" | "u64" => "a whole number",
        "a string" => "quoted text",
        "a boolean" => return "true or false".into(),
        "a sequence" => "an array",
        s if s.starts_with("struct ") => {
            return format!("a table, e.g. [{leaf}] on a line of its own, then its keys");
        }
        other => other,
    };
    let example = match (example, kind) {
        ("", "a number") => "0.5",
        ("", "a whole number") => "100",
        ("", "quoted text") => "\"text\"",
        ("", "an array") => "[1.0, 2.0]",
        (e, _) => e,
    };
    format!("{kind}, e.g. {example}")
}

/// The value at `span` as the user wrote it (first line, shortened), for quoting in messages.
fn quote_source(source: &str, span: &Range<usize>) -> String {
    let text = source.get(span.clone()).unwrap_or_default();
    let first = text.lines().next().unwrap_or_default().trim();
    if text.trim().lines().nth(1).is_some() {
        format!("{}…", shorten(first))
    } else {
        shorten(first)
    }
}

/// `table.key`, or `key` at the top level.
fn join_key(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// `offset` moved back to a character boundary, so slicing cannot panic.
fn boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Lines up to and including the one holding `offset`, skipping the insides of multi-line
/// strings (an `about` text may hold a line that starts with `[`).
fn lines_before(source: &str, offset: usize) -> Vec<&str> {
    let offset = boundary(source, offset);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let mut in_string = false;
    let mut lines = vec![];
    for line in source[..end].lines() {
        let was_in_string = in_string;
        if (line.matches("\"\"\"").count() + line.matches("'''").count()) % 2 == 1 {
            in_string = !in_string;
        }
        if !was_in_string {
            lines.push(line);
        }
    }
    lines
}

/// The table holding byte `offset`: `""` at the top level, `data`, `show`, or `runs[2]` for the
/// second `[[runs]]` (1-based, as the checks name runs).
fn table_at(source: &str, offset: usize) -> String {
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = vec![];
    for line in lines_before(source, offset) {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = shorten(name.trim());
            let count = if let Some((_, c)) = counts.iter_mut().find(|(n, _)| *n == name) {
                *c += 1;
                *c
            } else {
                counts.push((name.clone(), 1));
                1
            };
            table = format!("{name}[{count}]");
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = shorten(name.trim());
        }
    }
    table
}

/// A key as written, without quotes or spaces.
fn clean_key(key: &str) -> String {
    shorten(key.trim().trim_matches(['"', '\'']))
}

/// The line holding `offset`, up to `offset`.
fn line_before(source: &str, offset: usize) -> &str {
    let offset = boundary(source, offset);
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    &source[start..offset]
}

/// The table holding byte `offset`, including an inline table: `data` inside
/// `data = { source = "csv", ... }` as well as under `[data]`.
fn container_at(source: &str, offset: usize) -> String {
    let table = table_at(source, offset);
    let before = line_before(source, offset);
    match before.split_once('=') {
        Some((lead, rest)) if rest.contains('{') && !rest.contains('}') => {
            join_key(&table, &clean_key(lead))
        }
        _ => table,
    }
}

/// The full key whose value holds byte `offset`, e.g. `runs[1].lr` for `lr = "x"` under the
/// first `[[runs]]`, or `data.spread` inside `data = { spread = "x" }`; the table alone on a
/// header line or inside a multi-line array.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let container = container_at(source, offset);
    let before = line_before(source, offset);
    let key = match before.rsplit_once('=') {
        Some((lead, _)) if !before.trim_start().starts_with('[') => {
            let name = lead.rsplit([',', '{']).next().unwrap_or_default();
            join_key(&container, &clean_key(name))
        }
        // At the start of a line (a duplicate key): the key that follows.
        None if before.trim().is_empty() => {
            let rest = &source[boundary(source, offset)..];
            let line = rest.lines().next().unwrap_or_default();
            match line.split_once('=') {
                Some((name, _)) if !line.trim_start().starts_with('[') => {
                    join_key(&container, &clean_key(name))
                }
                _ => container,
            }
        }
        _ => container,
    };
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_and_synonyms() {
        let keys = ["lr", "optimizer", "per_class", "spread"];
        assert_eq!(suggest("learnig_rate", &keys).as_deref(), Some("lr"));
        assert_eq!(suggest("optimiser", &keys).as_deref(), Some("optimizer"));
        assert_eq!(suggest("per_clas", &keys).as_deref(), Some("per_class"));
        assert_eq!(suggest("zzzzzz", &keys), None);
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        // Against the textbook examples: kitten → sitting needs 3, and the empty string n.
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("lr", "lr"), 0);
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }

    #[test]
    fn offsets_inside_a_character_do_not_panic() {
        // "é" is two bytes: offset 1 is inside it and must move back to 0.
        assert_eq!(boundary("é", 1), 0);
        assert_eq!(line_of("é\nx", 1), 1);
    }

    #[test]
    fn tables_count_array_entries_from_one() {
        let source = "seed = 1\n[data]\nsource = \"csv\"\n[[runs]]\nlr = 1\n[[runs]]\nlr = 2\n";
        assert_eq!(table_at(source, 0), "");
        assert_eq!(table_at(source, source.find("source").unwrap()), "data");
        assert_eq!(table_at(source, source.rfind("lr").unwrap()), "runs[2]");
    }

    #[test]
    fn keys_are_named_with_their_table_also_inline() {
        let source = "[[runs]]\nlr = \"x\"\n";
        let at = source.find("\"x").unwrap();
        assert_eq!(key_at(source, at).as_deref(), Some("runs[1].lr"));
        let inline = "data = { source = \"csv\", spread = \"x\" }\n";
        let at = inline.find("\"x").unwrap();
        assert_eq!(key_at(inline, at).as_deref(), Some("data.spread"));
    }

    #[test]
    fn a_bracket_inside_a_multi_line_string_is_not_a_table() {
        let source = "about = \"\"\"\n[not a table]\n\"\"\"\n[show]\nsteps = 1\n";
        assert_eq!(table_at(source, source.find("not").unwrap()), "");
        assert_eq!(table_at(source, source.find("steps").unwrap()), "show");
    }

    #[test]
    fn quotes_show_the_first_line_of_a_value() {
        let source = "x = [1,\n2]";
        assert_eq!(quote_source(source, &(4..source.len())), "[1,…");
        assert_eq!(quote_source("x = 12", &(4..6)), "12");
    }

    #[test]
    fn serde_expectations_are_worded_with_an_example() {
        assert_eq!(accepted("a number", "runs[1].lr"), "a number, e.g. 0.5");
        assert_eq!(accepted("a boolean", "model.bias"), "true or false");
        assert_eq!(
            accepted("a sequence", "model.init"),
            "an array, e.g. [\"u0.csv\", \"v0.csv\"]"
        );
    }
}
