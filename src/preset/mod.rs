//! TOML presets: the file a user writes, checked into an [`ExperimentSpec`] the core can run.
//!
//! Two stages, as linfa does for hyper-parameters: serde checks the shape (unknown keys and wrong
//! types are refused, with the near miss suggested), then `check` checks ranges, finiteness
//! (TOML accepts `nan` and `inf`) and consistency, loading any CSV files the preset names. Every
//! error names the file, the line, the key and what would be accepted, in one or two lines.
//!
//! This layer reads the file, applies `--set` overrides (`overrides.rs`) and checks the keys every
//! kind shares; the kind the preset names checks its own tables (`preset.rs` in its folder under
//! `core/kinds/`, through `core::config`, which words the errors).

mod overrides;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::DeTable;

use crate::core::config::{Checker, toml_error};
use crate::core::experiment::ExperimentSpec;
use crate::core::kinds;

pub use crate::core::config::PresetError;
pub use overrides::Override;

pub use crate::core::experiment::{MAX_RUNS, MAX_STEPS};

/// Largest preset file we read: presets are a few hundred bytes.
pub const MAX_PRESET_BYTES: u64 = 1024 * 1024;

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

/// Reads and checks a preset file.
///
/// # Errors
/// A [`PresetError`] naming the file, line and key for anything unusable: unreadable or binary
/// files, TOML syntax, unknown keys (with the near miss), wrong types, out-of-range or
/// non-finite values, and bad data files.
pub fn load(path: &Path) -> Result<ExperimentSpec, PresetError> {
    load_with(path, &[])
}

/// Reads a preset file, applies `--set` overrides to its document and checks the result: an
/// overridden value goes through exactly the checks of a value in the file, and an error it
/// causes names the `--set` argument and the key instead of a line.
///
/// # Errors
/// As [`load`], and for overrides that name no key the preset can hold (with the near miss),
/// a run the preset does not have, or a value that is not TOML.
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<ExperimentSpec, PresetError> {
    let whole = |message: String| PresetError {
        path: path.to_path_buf(),
        line: None,
        key: None,
        message,
        set: None,
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
    let (with_overrides, regions) = overrides::source_with(&source, overrides);
    let checker = Checker {
        path,
        source: &with_overrides,
        dir,
        overrides: &regions,
    };
    // Syntax first (the whole file as plain TOML), then the overrides, then the shape, so each
    // error is worded for what it is.
    source
        .parse::<toml::Table>()
        .map_err(|e| toml_error(&checker, &e, true))?;
    let mut document = DeTable::parse(&with_overrides[..source.len()])
        .map_err(|e| toml_error(&checker, &e, true))?;
    overrides::apply(
        document.get_mut(),
        &with_overrides,
        &regions,
        kinds::shadowed_keys,
    )
    .map_err(|e| {
        let region = &regions[e.index];
        PresetError {
            path: path.to_path_buf(),
            line: None,
            key: Some(region.key.clone()),
            message: e.message,
            set: Some(region.argument.clone()),
        }
    })?;
    kinds::check_document(&checker, document)
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
        set: None,
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
