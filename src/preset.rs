//! TOML presets: the file a user writes, checked into an [`ExperimentSpec`] the core can run.
//!
//! Two stages, as linfa does for hyper-parameters: serde checks the shape (unknown keys and wrong
//! types are refused, with the near miss suggested), then `check` checks ranges, finiteness
//! (TOML accepts `nan` and `inf`) and consistency, loading any CSV files the preset names. Every
//! error names the file, the line, the key and what would be accepted, in one or two lines.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;
use toml::Spanned;

use crate::core::data::{self, DataError, LinearData, MAX_CELLS, MatrixData, shorten};
use crate::core::experiment::{
    ExperimentSpec, Layout, LinearProblem, LinearRunSpec, MatrixProblem, MatrixRunSpec, Problem,
};
use crate::core::model::Loss;
use crate::core::optim::{OptimizerKind, OptimizerSpec};
use crate::core::reference::MarginNorm;

/// Largest preset file we read: presets are a few hundred bytes.
pub const MAX_PRESET_BYTES: u64 = 1024 * 1024;
/// Most runs one experiment may hold (each gets its own colour and pane).
pub const MAX_RUNS: usize = 12;
/// Largest matrix side and factor width: an N³ step beyond this would not be interactive.
pub const MAX_MATRIX_SIZE: usize = 1000;
/// Largest horizon: beyond this even 10⁹ steps/s would not finish.
pub const MAX_STEPS: u64 = 1_000_000_000_000_000;
/// Name of the only matrix reference.
pub const NUCLEAR_REFERENCE: &str = "min-nuclear-norm";

/// A preset that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetError {
    /// The preset or data file at fault.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key at fault, e.g. `runs[2].lr`, when known.
    pub key: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PresetError {}

impl From<DataError> for PresetError {
    fn from(e: DataError) -> Self {
        Self {
            path: e.path.unwrap_or_default(),
            line: e.line,
            key: None,
            message: e.message,
        }
    }
}

/// What the preset picker and `implicit-bias presets` show of a preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetInfo {
    /// The file stem, e.g. `max-margin`.
    pub name: String,
    /// The preset's `title`.
    pub title: String,
    /// The preset's `about`.
    pub about: String,
    /// Where the file is.
    pub path: PathBuf,
}

/// A number written as a TOML integer or float (`lr = 1` is as good as `lr = 1.0`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
        }
        d.deserialize_any(Visitor)
    }
}

type Num = Spanned<Number>;
type Int = Spanned<i64>;
type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    title: Option<Text>,
    about: Option<Text>,
    experiment: Text,
    seed: Option<Int>,
    data: Option<Spanned<RawData>>,
    model: Option<Spanned<RawModel>>,
    runs: Option<Spanned<Vec<Spanned<RawRun>>>>,
    show: Option<RawShow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    source: Text,
    per_class: Option<Int>,
    spread: Option<Num>,
    center: Option<Spanned<Vec<Num>>>,
    path: Option<Text>,
    size: Option<Int>,
    rank: Option<Int>,
    observed: Option<Num>,
    matrix: Option<Text>,
    mask: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    loss: Option<Text>,
    bias: Option<Spanned<bool>>,
    width: Option<Int>,
    init_scale: Option<Num>,
    init: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    optimizer: Text,
    lr: Num,
    init: Option<Spanned<Vec<Num>>>,
    init_scale: Option<Num>,
    betas: Option<Spanned<Vec<Num>>>,
    eps: Option<Num>,
    momentum: Option<Num>,
    nesterov: Option<Spanned<bool>>,
    alpha: Option<Num>,
    batch: Option<Int>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShow {
    steps: Option<Int>,
    layout: Option<Text>,
    references: Option<Spanned<Vec<Text>>>,
    svd_every: Option<Int>,
}

/// Every key a preset may hold, by table, for "did you mean" suggestions.
const KEYS: &[&str] = &[
    "title",
    "about",
    "experiment",
    "seed",
    "data",
    "model",
    "runs",
    "show",
    "source",
    "per_class",
    "spread",
    "center",
    "path",
    "size",
    "rank",
    "observed",
    "matrix",
    "mask",
    "loss",
    "bias",
    "width",
    "init_scale",
    "init",
    "optimizer",
    "lr",
    "betas",
    "eps",
    "momentum",
    "nesterov",
    "alpha",
    "batch",
    "steps",
    "layout",
    "references",
    "svd_every",
];

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
struct Checker<'a> {
    path: &'a Path,
    source: &'a str,
    dir: PathBuf,
}

impl Checker<'_> {
    fn error(
        &self,
        span: Option<Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> PresetError {
        PresetError {
            path: self.path.to_path_buf(),
            line: span.map(|s| line_of(self.source, s.start)),
            key: (!key.is_empty()).then(|| key.to_string()),
            message: message.into(),
        }
    }

    /// The value at `span` as the user wrote it, for quoting.
    fn written(&self, span: &Range<usize>) -> String {
        quote_source(self.source, span)
    }

    fn float(
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

    fn positive(&self, value: &Num, key: &str) -> Result<f64, PresetError> {
        self.float(value, key, "> 0", |v| v > 0.0)
    }

    fn count(&self, value: &Int, key: &str, min: i64, max: i64) -> Result<usize, PresetError> {
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
    fn unknown_name(&self, value: &Text, key: &str, what: &str, names: &[&str]) -> PresetError {
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
    fn data_file<T>(
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

    fn file(&self, value: &Text) -> PathBuf {
        let path = Path::new(value.get_ref());
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// An error for a key that the chosen source or experiment does not use.
    fn not_for<T>(
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
}

/// Reads and checks a preset file.
///
/// # Errors
/// A [`PresetError`] naming the file, line and key for anything unusable: unreadable or binary
/// files, TOML syntax, unknown keys (with the near miss), wrong types, out-of-range or
/// non-finite values, and bad data files.
pub fn load(path: &Path) -> Result<ExperimentSpec, PresetError> {
    let whole = |message: String| PresetError {
        path: path.to_path_buf(),
        line: None,
        key: None,
        message,
    };
    let meta =
        std::fs::metadata(path).map_err(|e| whole(format!("cannot read the preset: {e}")))?;
    if meta.is_dir() {
        return Err(whole("is a folder; give a .toml preset file".into()));
    }
    if meta.len() > MAX_PRESET_BYTES {
        return Err(whole(format!(
            "{} bytes is too large for a preset (at most {MAX_PRESET_BYTES})",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| whole(format!("cannot read the preset: {e}")))?;
    let source = String::from_utf8(bytes)
        .map_err(|_| whole("not a text file (invalid UTF-8); a preset is TOML text".into()))?;
    if source.trim().is_empty() {
        return Err(whole(
            "the preset is empty; it needs at least `experiment` and [[runs]]".into(),
        ));
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let checker = Checker {
        path,
        source: &source,
        dir,
    };
    // Syntax first (the whole file as plain TOML), then the shape, so each error is worded
    // for what it is.
    source
        .parse::<toml::Table>()
        .map_err(|e| toml_error(&checker, &e, true))?;
    let raw: RawPreset = toml::from_str(&source).map_err(|e| toml_error(&checker, &e, false))?;
    check(&checker, &raw)
}

/// Words a TOML syntax error or a serde shape error in one line, naming the key with its table
/// (`runs[2].lr`), quoting the value as written and saying what would be accepted.
fn toml_error(checker: &Checker<'_>, e: &toml::de::Error, syntax: bool) -> PresetError {
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
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let unknown = rest.split('`').next().unwrap_or_default().to_string();
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        let candidates: Vec<&str> = if expected.is_empty() {
            KEYS.to_vec()
        } else {
            expected.clone()
        };
        let hint = match suggest(&unknown, &candidates) {
            Some(key) => format!("did you mean `{key}`?"),
            None => format!("expected one of: {}", expected.join(", ")),
        };
        // On a header line (`[plot]`) the unknown key is the table itself.
        let key = if line_before(source, offset)
            .trim()
            .trim_start_matches('[')
            .is_empty()
            && lines_before(source, offset)
                .last()
                .is_some_and(|l| l.trim_start().starts_with('['))
        {
            table_at(source, offset)
        } else {
            join_key(&container_at(source, offset), &shorten(&unknown))
        };
        return checker.error(span, &key, format!("unknown key; {hint}"));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
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
            "source" => {
                "source = \"clusters\" or \"csv\" (linear), \"low-rank\" or \"csv\" (matrix)"
            }
            "optimizer" => "optimizer = \"gd\" (or sgd, momentum, adam, rmsprop, adagrad, ...)",
            "lr" => "lr = 0.01 (any number > 0)",
            _ => "it",
        };
        return checker.error(
            span,
            &join_key(&table, field),
            format!("is required here; add {example}"),
        );
    }
    shape_error(checker, span, &message)
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
        _ => "",
    };
    let kind = match expected {
        "a number" => "a number",
        "i64" | "u64" => "a whole number",
        "a string" => "quoted text",
        "a boolean" => return "true or false".into(),
        "a sequence" => "an array",
        s if s.starts_with("struct Raw") => {
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

/// Turns the raw file into a checked spec, loading data files.
// One straight run of checks per key reads best top to bottom, like the preset it checks.
#[allow(clippy::too_many_lines)]
fn check(c: &Checker<'_>, raw: &RawPreset) -> Result<ExperimentSpec, PresetError> {
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
    let title = raw.title.as_ref().map_or_else(
        || {
            c.path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        },
        |t| t.get_ref().clone(),
    );
    let about = raw
        .about
        .as_ref()
        .map(|a| a.get_ref().clone())
        .unwrap_or_default();
    let Some(data) = &raw.data else {
        return Err(c.error(
            None,
            "data",
            "missing [data] table; add one with `source = ...`",
        ));
    };
    let runs = match &raw.runs {
        Some(runs) if !runs.get_ref().is_empty() => runs,
        Some(runs) => {
            return Err(c.error(
                Some(runs.span()),
                "runs",
                "no runs; add at least one [[runs]] with optimizer and lr",
            ));
        }
        None => {
            return Err(c.error(
                None,
                "runs",
                "no runs; add at least one [[runs]] with optimizer and lr",
            ));
        }
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
    let show = raw.show.as_ref();
    let horizon = match show.and_then(|s| s.steps.as_ref()) {
        Some(steps) => c.count(steps, "show.steps", 0, MAX_STEPS as i64)? as u64,
        None => 10_000,
    };
    let layout = match show.and_then(|s| s.layout.as_ref()) {
        None => Layout::Overlay,
        Some(l) => match l.get_ref().as_str() {
            "overlay" => Layout::Overlay,
            "side-by-side" => Layout::SideBySide,
            _ => {
                return Err(c.unknown_name(
                    l,
                    "show.layout",
                    "a layout",
                    &["overlay", "side-by-side"],
                ));
            }
        },
    };
    let svd_every = match show.and_then(|s| s.svd_every.as_ref()) {
        Some(v) => c.count(v, "show.svd_every", 1, i64::MAX)? as u64,
        None => 100,
    };
    let names: Option<Vec<&Text>> = show
        .and_then(|s| s.references.as_ref())
        .map(|r| r.get_ref().iter().collect());
    let experiment = raw.experiment.get_ref().as_str();
    let mut spec = ExperimentSpec {
        title,
        about,
        seed,
        problem: Problem::Linear(LinearProblem {
            data: LinearData {
                dim: 0,
                points: vec![],
                labels: vec![],
            },
            loss: Loss::Exp,
            bias: false,
            runs: vec![],
        }),
        horizon,
        layout,
        references: vec![],
        nuclear_reference: false,
        svd_every,
    };
    match experiment {
        "linear" => {
            spec.problem = Problem::Linear(check_linear(c, data, raw.model.as_ref(), runs, seed)?);
            spec.references = match names {
                None => MarginNorm::ALL.to_vec(),
                Some(names) => {
                    let mut chosen = Vec::with_capacity(names.len());
                    for n in names {
                        let norm = MarginNorm::from_name(n.get_ref()).ok_or_else(|| {
                            let all: Vec<&str> = MarginNorm::ALL.iter().map(|m| m.name()).collect();
                            c.unknown_name(n, "show.references", "a linear reference", &all)
                        })?;
                        if chosen.contains(&norm) {
                            return Err(c.error(
                                Some(n.span()),
                                "show.references",
                                format!("\"{}\" is listed twice; keep one", n.get_ref()),
                            ));
                        }
                        chosen.push(norm);
                    }
                    chosen
                }
            };
        }
        "matrix" => {
            if let Some(l) = show.and_then(|s| s.layout.as_ref()) {
                c.not_for(
                    Some(l),
                    "show.layout",
                    "matrix experiments (runs are always listed)",
                )?;
            }
            spec.problem = Problem::Matrix(check_matrix(c, data, raw.model.as_ref(), runs, seed)?);
            spec.nuclear_reference = match names {
                None => true,
                Some(names) => {
                    for n in &names {
                        if n.get_ref() != NUCLEAR_REFERENCE {
                            return Err(c.error(
                                Some(n.span()),
                                "show.references",
                                format!(
                                    "{} is not a matrix reference; use [\"{NUCLEAR_REFERENCE}\"] \
                                     or []",
                                    c.written(&n.span())
                                ),
                            ));
                        }
                    }
                    !names.is_empty()
                }
            };
        }
        _ => {
            return Err(c.unknown_name(
                &raw.experiment,
                "experiment",
                "an experiment",
                &["linear", "matrix"],
            ));
        }
    }
    Ok(spec)
}

#[allow(clippy::too_many_lines)] // as `check`: one check per key, in file order
fn check_linear(
    c: &Checker<'_>,
    data: &Spanned<RawData>,
    model: Option<&Spanned<RawModel>>,
    runs: &Spanned<Vec<Spanned<RawRun>>>,
    seed: u64,
) -> Result<LinearProblem, PresetError> {
    let d = data.get_ref();
    let context = "linear experiments";
    c.not_for(d.size.as_ref(), "data.size", context)?;
    c.not_for(d.rank.as_ref(), "data.rank", context)?;
    c.not_for(d.observed.as_ref(), "data.observed", context)?;
    c.not_for(d.matrix.as_ref(), "data.matrix", context)?;
    c.not_for(d.mask.as_ref(), "data.mask", context)?;
    let points = match d.source.get_ref().as_str() {
        "clusters" => {
            c.not_for(
                d.path.as_ref(),
                "data.path",
                "source = \"clusters\" (it is for \"csv\")",
            )?;
            let per_class = match &d.per_class {
                Some(n) => c.count(n, "data.per_class", 1, (MAX_CELLS / 2) as i64)?,
                None => 10,
            };
            let spread = match &d.spread {
                Some(s) => c.float(s, "data.spread", "≥ 0", |v| v >= 0.0)?,
                None => 0.5,
            };
            let center = match &d.center {
                None => vec![1.5, 1.5],
                Some(center) => {
                    if center.get_ref().is_empty() {
                        return Err(c.error(
                            Some(center.span()),
                            "data.center",
                            "is empty; give the positive class centre, e.g. [1.5, 1.5]",
                        ));
                    }
                    center
                        .get_ref()
                        .iter()
                        .map(|v| c.float(v, "data.center", "", |_| true))
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            if per_class * 2 * center.len() > MAX_CELLS {
                return Err(c.error(
                    Some(data.span()),
                    "data.per_class",
                    format!(
                        "{} points × {} features exceeds the limit of {MAX_CELLS} cells",
                        per_class * 2,
                        center.len()
                    ),
                ));
            }
            data::gaussian_clusters(per_class, spread, &center, seed)
        }
        "csv" => {
            c.not_for(d.per_class.as_ref(), "data.per_class", "source = \"csv\"")?;
            c.not_for(d.spread.as_ref(), "data.spread", "source = \"csv\"")?;
            c.not_for(d.center.as_ref(), "data.center", "source = \"csv\"")?;
            let Some(path) = &d.path else {
                return Err(c.error(
                    Some(d.source.span()),
                    "data.path",
                    "source = \"csv\" needs `path` to a CSV with header x1,...,xd,label",
                ));
            };
            c.data_file(path, "data.path", data::load_labelled_csv)?
        }
        _ => {
            return Err(c.unknown_name(
                &d.source,
                "data.source",
                "a linear data source",
                &["clusters", "csv"],
            ));
        }
    };
    let (loss, bias) = match model {
        None => (Loss::Exp, false),
        Some(m) => {
            let m = m.get_ref();
            c.not_for(m.width.as_ref(), "model.width", context)?;
            c.not_for(
                m.init_scale.as_ref(),
                "model.init_scale",
                "linear experiments (give each run an `init` vector)",
            )?;
            c.not_for(
                m.init.as_ref(),
                "model.init",
                "linear experiments (give each run an `init` vector)",
            )?;
            let loss = match &m.loss {
                None => Loss::Exp,
                Some(l) => match l.get_ref().as_str() {
                    "exp" => Loss::Exp,
                    "logistic" => Loss::Logistic,
                    _ => {
                        return Err(c.unknown_name(
                            l,
                            "model.loss",
                            "a loss",
                            &["exp", "logistic"],
                        ));
                    }
                },
            };
            (loss, m.bias.as_ref().is_some_and(|b| *b.get_ref()))
        }
    };
    let width = points.dim + usize::from(bias);
    let runs = runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let key = format!("runs[{}]", i + 1);
            let optimizer = check_optimizer(c, run, &key, Some(points.len()))?;
            let r = run.get_ref();
            c.not_for(
                r.init_scale.as_ref(),
                &format!("{key}.init_scale"),
                "linear experiments (use `init`)",
            )?;
            let init = match &r.init {
                None => vec![0.0; width],
                Some(init) => {
                    let values = init
                        .get_ref()
                        .iter()
                        .map(|v| c.float(v, &format!("{key}.init"), "", |_| true))
                        .collect::<Result<Vec<_>, _>>()?;
                    match values.len() {
                        n if n == width => values,
                        n if bias && n == points.dim => values.into_iter().chain([0.0]).collect(),
                        n => {
                            let wanted = if bias {
                                format!("{} (w) or {} (w then b)", points.dim, width)
                            } else {
                                format!("{}", points.dim)
                            };
                            return Err(c.error(
                                Some(init.span()),
                                &format!("{key}.init"),
                                format!(
                                    "has {n} values but the data has {} features; give {wanted}",
                                    points.dim
                                ),
                            ));
                        }
                    }
                }
            };
            Ok(LinearRunSpec { optimizer, init })
        })
        .collect::<Result<Vec<_>, PresetError>>()?;
    Ok(LinearProblem {
        data: points,
        loss,
        bias,
        runs,
    })
}

fn check_optimizer(
    c: &Checker<'_>,
    run: &Spanned<RawRun>,
    key: &str,
    points: Option<usize>,
) -> Result<OptimizerSpec, PresetError> {
    use OptimizerKind::{Adagrad, Adam, Momentum, RmsProp, Sgd};
    let r = run.get_ref();
    let name = r.optimizer.get_ref();
    let Some(kind) = OptimizerKind::from_name(name) else {
        let all: Vec<&str> = OptimizerKind::ALL.iter().map(|k| k.name()).collect();
        return Err(c.unknown_name(
            &r.optimizer,
            &format!("{key}.optimizer"),
            "an optimizer",
            &all,
        ));
    };
    let mut spec = OptimizerSpec::new(kind, c.positive(&r.lr, &format!("{key}.lr"))?);
    let only = |span: Option<Range<usize>>,
                option: &str,
                kinds: &[OptimizerKind]|
     -> Result<(), PresetError> {
        if span.is_some() && !kinds.contains(&kind) {
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            return Err(c.error(
                span,
                &format!("{key}.{option}"),
                format!(
                    "does not apply to optimizer \"{name}\" (only to {}); remove it",
                    names.join(", ")
                ),
            ));
        }
        Ok(())
    };
    only(r.betas.as_ref().map(Spanned::span), "betas", &[Adam])?;
    only(
        r.eps.as_ref().map(Spanned::span),
        "eps",
        &[Adam, RmsProp, Adagrad],
    )?;
    only(
        r.momentum.as_ref().map(Spanned::span),
        "momentum",
        &[Momentum, Sgd],
    )?;
    only(
        r.nesterov.as_ref().map(Spanned::span),
        "nesterov",
        &[Momentum, Sgd],
    )?;
    only(r.alpha.as_ref().map(Spanned::span), "alpha", &[RmsProp])?;
    let unit = |v: &Num, k: &str| {
        c.float(v, &format!("{key}.{k}"), "in [0, 1)", |v| {
            (0.0..1.0).contains(&v)
        })
    };
    if let Some(betas) = &r.betas {
        let [b1, b2] = betas.get_ref().as_slice() else {
            return Err(c.error(
                Some(betas.span()),
                &format!("{key}.betas"),
                "needs two numbers, e.g. [0.9, 0.999]",
            ));
        };
        spec.betas = (unit(b1, "betas")?, unit(b2, "betas")?);
    }
    if let Some(eps) = &r.eps {
        spec.eps = c.positive(eps, &format!("{key}.eps"))?;
    }
    if let Some(m) = &r.momentum {
        spec.momentum = unit(m, "momentum")?;
    }
    if let Some(n) = &r.nesterov {
        spec.nesterov = *n.get_ref();
        if spec.nesterov && spec.momentum == 0.0 {
            return Err(c.error(
                Some(n.span()),
                &format!("{key}.nesterov"),
                "needs momentum > 0; set `momentum`, e.g. 0.9",
            ));
        }
    }
    if let Some(a) = &r.alpha {
        spec.alpha = unit(a, "alpha")?;
    }
    if let Some(b) = &r.batch {
        match points {
            Some(n) => spec.batch = Some(c.count(b, &format!("{key}.batch"), 1, n as i64)?),
            None => {
                return Err(c.error(
                    Some(b.span()),
                    &format!("{key}.batch"),
                    "mini-batches apply to linear experiments only; remove it",
                ));
            }
        }
    }
    Ok(spec)
}

#[allow(clippy::too_many_lines)] // as `check`: one check per key, in file order
fn check_matrix(
    c: &Checker<'_>,
    data: &Spanned<RawData>,
    model: Option<&Spanned<RawModel>>,
    runs: &Spanned<Vec<Spanned<RawRun>>>,
    seed: u64,
) -> Result<MatrixProblem, PresetError> {
    let d = data.get_ref();
    let context = "matrix experiments";
    c.not_for(d.per_class.as_ref(), "data.per_class", context)?;
    c.not_for(d.spread.as_ref(), "data.spread", context)?;
    c.not_for(d.center.as_ref(), "data.center", context)?;
    c.not_for(
        d.path.as_ref(),
        "data.path",
        "matrix experiments (use `matrix` and `mask`)",
    )?;
    let matrix = match d.source.get_ref().as_str() {
        "low-rank" => {
            c.not_for(
                d.matrix.as_ref(),
                "data.matrix",
                "source = \"low-rank\" (it is for \"csv\")",
            )?;
            c.not_for(
                d.mask.as_ref(),
                "data.mask",
                "source = \"low-rank\" (it is for \"csv\")",
            )?;
            let size = match &d.size {
                Some(s) => c.count(s, "data.size", 1, MAX_MATRIX_SIZE as i64)?,
                None => 20,
            };
            let rank = match &d.rank {
                Some(r) if *r.get_ref() > size as i64 => {
                    return Err(c.error(
                        Some(r.span()),
                        "data.rank",
                        format!(
                            "{} exceeds size {size}; use a rank from 1 to {size}",
                            c.written(&r.span())
                        ),
                    ));
                }
                Some(r) => c.count(r, "data.rank", 1, size as i64)?,
                None => 1,
            };
            let observed = match &d.observed {
                Some(o) => c.float(o, "data.observed", "in (0, 1]", |v| v > 0.0 && v <= 1.0)?,
                None => 0.6,
            };
            data::low_rank(size, rank, observed, seed)
        }
        "csv" => {
            c.not_for(
                d.size.as_ref(),
                "data.size",
                "source = \"csv\" (the CSV sets the size)",
            )?;
            c.not_for(d.rank.as_ref(), "data.rank", "source = \"csv\"")?;
            c.not_for(
                d.observed.as_ref(),
                "data.observed",
                "source = \"csv\" (the mask sets it)",
            )?;
            let (Some(matrix), Some(mask)) = (&d.matrix, &d.mask) else {
                return Err(c.error(
                    Some(d.source.span()),
                    "data.matrix",
                    "source = \"csv\" needs `matrix` and `mask` (CSV files without header)",
                ));
            };
            let target = c.data_file(matrix, "data.matrix", data::load_matrix_csv)?;
            if target.nrows() > MAX_MATRIX_SIZE || target.ncols() > MAX_MATRIX_SIZE {
                return Err(c.error(
                    Some(matrix.span()),
                    "data.matrix",
                    format!(
                        "{}×{} exceeds the limit of {MAX_MATRIX_SIZE} per side",
                        target.nrows(),
                        target.ncols()
                    ),
                ));
            }
            let shape = target.shape();
            let mask = c.data_file(mask, "data.mask", |p| data::load_mask_csv(p, shape))?;
            MatrixData { target, mask }
        }
        _ => {
            return Err(c.unknown_name(
                &d.source,
                "data.source",
                "a matrix data source",
                &["low-rank", "csv"],
            ));
        }
    };
    if !matrix.mask.iter().any(|&m| m == 1.0) {
        // Nothing to fit: every run would stand still and the reference would be zero.
        let (key, span, fix) = match (&d.mask, &d.observed) {
            (Some(mask), _) => ("data.mask", mask.span(), "mark at least one cell 1"),
            (None, Some(observed)) => (
                "data.observed",
                observed.span(),
                "raise it (or the size, or change the seed)",
            ),
            (None, None) => ("data.source", d.source.span(), "set `observed` higher"),
        };
        return Err(c.error(Some(span), key, format!("no entry is observed; {fix}")));
    }
    let (rows, cols) = matrix.target.shape();
    let m = model.map(Spanned::get_ref);
    if let Some(m) = m {
        c.not_for(
            m.loss.as_ref(),
            "model.loss",
            "matrix experiments (the loss is ½‖(UVᵀ − M*) ⊙ mask‖²)",
        )?;
        c.not_for(m.bias.as_ref(), "model.bias", context)?;
    }
    let init_files = match m.and_then(|m| m.init.as_ref()) {
        None => None,
        Some(init) => {
            let [u, v] = init.get_ref().as_slice() else {
                return Err(c.error(
                    Some(init.span()),
                    "model.init",
                    "needs two CSV paths, [\"u0.csv\", \"v0.csv\"]",
                ));
            };
            if let Some(s) = m.and_then(|m| m.init_scale.as_ref()) {
                return Err(c.error(
                    Some(s.span()),
                    "model.init_scale",
                    "conflicts with `init` files; keep one",
                ));
            }
            let u0 = c.data_file(u, "model.init", data::load_matrix_csv)?;
            let v0 = c.data_file(v, "model.init", data::load_matrix_csv)?;
            if u0.nrows() != rows || v0.nrows() != cols || u0.ncols() != v0.ncols() {
                return Err(c.error(Some(init.span()), "model.init", format!("U₀ is {}×{} and V₀ is {}×{}; for a {rows}×{cols} matrix they must be {rows}×k and {cols}×k", u0.nrows(), u0.ncols(), v0.nrows(), v0.ncols())));
            }
            Some((u0, v0))
        }
    };
    let width = match (m.and_then(|m| m.width.as_ref()), &init_files) {
        (Some(w), Some((u0, _))) if *w.get_ref() as usize != u0.ncols() => {
            return Err(c.error(
                Some(w.span()),
                "model.width",
                format!(
                    "{} differs from the init files' width {}; remove `width` or make them agree",
                    w.get_ref(),
                    u0.ncols()
                ),
            ));
        }
        (_, Some((u0, _))) => u0.ncols(),
        (Some(w), None) => c.count(w, "model.width", 1, MAX_MATRIX_SIZE as i64)?,
        (None, None) => rows.min(cols),
    };
    if (rows + cols) * width > MAX_CELLS {
        return Err(c.error(
            Some(data.span()),
            "model.width",
            format!("({rows} + {cols}) × {width} parameters exceeds the limit of {MAX_CELLS}"),
        ));
    }
    let default_scale = match m.and_then(|m| m.init_scale.as_ref()) {
        Some(s) => c.positive(s, "model.init_scale")?,
        None => 1e-3,
    };
    // One standard-normal draw shared by every run, so runs differ only in what the preset says.
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(1));
    let noise_u = data::gaussian_matrix(rows, width, 1.0, &mut rng);
    let noise_v = data::gaussian_matrix(cols, width, 1.0, &mut rng);
    let runs = runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let key = format!("runs[{}]", i + 1);
            let optimizer = check_optimizer(c, run, &key, None)?;
            let r = run.get_ref();
            c.not_for(
                r.init.as_ref(),
                &format!("{key}.init"),
                "matrix experiments (use `init_scale`, or [model] init files)",
            )?;
            let (init_scale, u0, v0): (f64, DMatrix<f64>, DMatrix<f64>) =
                match (&r.init_scale, &init_files) {
                    (Some(s), Some(_)) => {
                        return Err(c.error(
                            Some(s.span()),
                            &format!("{key}.init_scale"),
                            "conflicts with [model] init files; remove one",
                        ));
                    }
                    (Some(s), None) => {
                        let scale = c.positive(s, &format!("{key}.init_scale"))?;
                        (scale, &noise_u * scale, &noise_v * scale)
                    }
                    (None, Some((u0, v0))) => {
                        let scale = (u0.norm_squared() + v0.norm_squared()).sqrt()
                            / (((rows + cols) * width) as f64).sqrt();
                        (scale, u0.clone(), v0.clone())
                    }
                    (None, None) => (
                        default_scale,
                        &noise_u * default_scale,
                        &noise_v * default_scale,
                    ),
                };
            Ok(MatrixRunSpec {
                optimizer,
                init_scale,
                u0,
                v0,
            })
        })
        .collect::<Result<Vec<_>, PresetError>>()?;
    Ok(MatrixProblem {
        data: matrix,
        width,
        runs,
    })
}

/// The presets in `dir` (every `*.toml`), sorted by name; files that fail to parse are listed
/// with their error as the title so the picker can still show them.
#[must_use]
pub fn list(dir: &Path) -> Vec<PresetInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut infos: Vec<PresetInfo> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .map(|path| {
            let name = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            let (title, about) = match header(&path) {
                Ok(pair) => pair,
                Err(e) => (format!("(unreadable: {e})"), String::new()),
            };
            PresetInfo {
                name,
                title,
                about,
                path,
            }
        })
        .collect();
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    infos
}

/// A preset's title and about, read without loading its data.
fn header(path: &Path) -> Result<(String, String), String> {
    #[derive(Deserialize)]
    struct Header {
        title: Option<String>,
        about: Option<String>,
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let header: Header = toml::from_str(&text).map_err(|e| e.message().to_string())?;
    Ok((
        header.title.unwrap_or_default(),
        header.about.unwrap_or_default(),
    ))
}

/// The folder of shipped presets: `./presets` when it exists, else the one beside the sources
/// this binary was built from (so `cargo run` works from any folder of the checkout).
#[must_use]
pub fn default_dir() -> PathBuf {
    let local = PathBuf::from("presets");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("presets")
}

/// Resolves what a user typed: an existing path, or a preset name (file stem) in `dir`.
///
/// # Errors
/// When neither exists, listing the names that do.
pub fn resolve(name_or_path: &str, dir: &Path) -> Result<PathBuf, PresetError> {
    let path = PathBuf::from(name_or_path);
    if path.exists() {
        return Ok(path);
    }
    let named = dir.join(format!("{name_or_path}.toml"));
    if named.is_file() {
        return Ok(named);
    }
    let names: Vec<String> = list(dir).into_iter().map(|p| p.name).collect();
    Err(PresetError {
        path,
        line: None,
        key: None,
        message: format!(
            "no such file or preset; give a .toml path or one of: {}",
            if names.is_empty() {
                "(none found)".to_string()
            } else {
                names.join(", ")
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_and_synonyms() {
        assert_eq!(suggest("learnig_rate", KEYS).as_deref(), Some("lr"));
        assert_eq!(suggest("optimiser", KEYS).as_deref(), Some("optimizer"));
        assert_eq!(suggest("per_clas", KEYS).as_deref(), Some("per_class"));
        assert_eq!(suggest("zzzzzz", KEYS), None);
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }
}
