//! Checking a preset's tables into a kind's problem: what every kind's `preset.rs` shares.
//!
//! Two stages, as linfa does for hyper-parameters: serde checks the shape (`raw` types:
//! unknown keys and wrong types are refused, with the near miss suggested), then each kind's
//! check reads its tables through a [`Checker`], which words every error with the file, the
//! line, the key and what would be accepted. The optimizer keys, which every kind shares, are
//! checked in `optimizer.rs`. The preset layer (`crate::preset`) reads the file, applies
//! `--set` overrides and hands the tables to the kind the preset names.

mod diagnostics;
mod optimizer;
pub(crate) mod raw;

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;

use crate::core::data::DataError;
use crate::core::experiment::{Layout, Problem};
use crate::core::reference::MarginNorm;

pub(crate) use diagnostics::{Checker, toml_error};
pub(crate) use optimizer::check_optimizer;
use raw::{RawData, RawModel, RawRun, Text};

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
    /// The `--set KEY=VALUE` at fault, when the value came from the command line, not the file.
    pub set: Option<String>,
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(set) = &self.set {
            write!(f, ": --set {set}")?;
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
            set: None,
        }
    }
}

/// Where one override's text sits in the checked source, and how errors name it.
#[derive(Debug, Clone)]
pub(crate) struct SetRegion {
    /// Bytes of `KEY=VALUE` in the source the checks see.
    pub(crate) bytes: Range<usize>,
    /// `KEY=VALUE`, as given.
    pub(crate) argument: String,
    /// The key as the checks name keys: `runs[2].lr`.
    pub(crate) key: String,
}

/// The tables every kind reads, checked as far as they are shared.
pub(crate) struct Tables<'a> {
    pub(crate) data: &'a Spanned<RawData>,
    pub(crate) model: Option<&'a Spanned<RawModel>>,
    pub(crate) runs: &'a Spanned<Vec<Spanned<RawRun>>>,
    pub(crate) seed: u64,
    /// `[show] layout`, already known to be a layout name.
    pub(crate) layout: Layout,
    /// `[show] layout` as written, for kinds it does not apply to.
    pub(crate) layout_key: Option<&'a Text>,
    /// `[show] references` as written.
    pub(crate) reference_names: Option<Vec<&'a Text>>,
}

/// What a kind's module makes of its tables: the problem and its `[show]` choices.
pub(crate) struct KindSpec {
    pub(crate) problem: Problem,
    pub(crate) layout: Layout,
    pub(crate) references: Vec<MarginNorm>,
    pub(crate) nuclear_reference: bool,
}
