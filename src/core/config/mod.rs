//! Checking a preset's tables into a kind's problem: what every kind's `preset.rs` shares.
//!
//! Two stages, as linfa does for hyper-parameters: the kind's types check the shape (`raw`:
//! each kind declares its tables; a key they do not have is refused with the near miss, or as
//! another kind's key; serde refuses wrong types), then each kind's check reads its tables
//! through a [`Checker`], which words every error with the file, the line, the key and what
//! would be accepted. The optimizer keys, which every kind shares, are
//! checked in `optimizer.rs`. The preset layer (`crate::preset`) reads the file, applies
//! `--set` overrides and hands the tables to the kind the preset names.

mod diagnostics;
mod optimizer;
pub(crate) mod raw;

use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;

use crate::core::data::DataError;

pub(crate) use diagnostics::{Checker, toml_error};
pub(crate) use optimizer::check_optimizer;

/// A preset that cannot be used, with where and why: `file:line: key: problem; fix` (or
/// `file: --set KEY=VALUE: key: …` when the value came from the command line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", self.place())]
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

impl PresetError {
    /// Everything before the message: the file, the line or `--set`, the key.
    fn place(&self) -> String {
        let line = self.line.map(|line| format!(":{line}")).unwrap_or_default();
        let set = self
            .set
            .as_ref()
            .map(|set| format!(": --set {set}"))
            .unwrap_or_default();
        let key = self
            .key
            .as_ref()
            .map(|key| format!(": {key}"))
            .unwrap_or_default();
        format!("{}{line}{set}{key}: ", self.path.display())
    }
}

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

/// A kind's tables, checked as far as every kind shares them (`[data]` and at least one run
/// present, `seed` ≥ 0, `[show] steps`): `D`, `M`, `R`, `S` are the kind's table types.
pub(crate) struct Tables<'a, D, M, R, S> {
    pub(crate) data: &'a Spanned<D>,
    pub(crate) model: Option<&'a Spanned<M>>,
    pub(crate) runs: &'a Spanned<Vec<Spanned<R>>>,
    pub(crate) show: Option<&'a S>,
    pub(crate) seed: u64,
}
