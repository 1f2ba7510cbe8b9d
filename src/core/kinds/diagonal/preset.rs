//! The tables of a diagonal-network experiment: `[data]` (a seeded sparse regression or a CSV
//! with header x1,...,xd,y), `[model]` (depth D and init scale α) and each run's own `depth` and
//! `init_scale`.

use serde::Deserialize;
use toml::Spanned;

use super::engine::{DiagonalProblem, DiagonalRunSpec, LabelNoise};
use crate::core::config::raw::{Int, Num, RunKeys, Text, run_table, show_table};
use crate::core::config::{Checker, PresetError, Tables, check_optimizer};
use crate::core::data::{self, MAX_CELLS, RegressionData};

/// `[data]`: a seeded sparse regression (`points`, `features`, `nonzeros`, `noise`) or a CSV
/// with header x1,...,xd,y (`path`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Data {
    pub(crate) source: Text,
    pub(crate) points: Option<Int>,
    pub(crate) features: Option<Int>,
    pub(crate) nonzeros: Option<Int>,
    pub(crate) noise: Option<Num>,
    pub(crate) path: Option<Text>,
}

/// `[model]`: the default depth D and init scale α of the runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Model {
    pub(crate) depth: Option<Int>,
    pub(crate) init_scale: Option<Num>,
}

run_table! {
    /// Each `[[runs]]`: the optimizer keys, its own `depth` and `init_scale`, and label noise.
    Run {
        init_scale: Option<Num>,
        depth: Option<Int>,
        label_noise: Option<Num>,
        label_noise_decay: Option<Num>,
    }
}

show_table! {
    /// `[show]`: only `steps` (the references are always computed, the runs always overlaid).
    Show {}
}

/// What to use instead of another kind's key, where there is something to say.
pub(super) fn key_hint(table: &str, key: &str) -> Option<&'static str> {
    match (table, key) {
        ("runs", "init") => Some("use `init_scale`"),
        ("model", "loss") => Some("the loss is ½‖Xw − y‖²"),
        ("model", "init") => Some("they start at u₀ = v₀ = init_scale·1"),
        ("show", "layout") => Some("runs are always overlaid"),
        ("show", "references") => {
            Some("min-l1, min-l2 and each run's implicit target are always computed")
        }
        _ => None,
    }
}

/// The tables of a diagonal preset.
type DiagonalTables<'a> = Tables<'a, Data, Model, Run, Show>;
/// Deepest network accepted: u^D overflows or underflows for any useful α beyond this.
pub const MAX_DEPTH: i64 = 8;
/// Largest init scale accepted: α^D must stay finite and the kernel regime is reached long
/// before.
pub const MAX_INIT_SCALE: f64 = 100.0;

/// Checks a diagonal experiment's tables.
pub(super) fn check(
    c: &Checker<'_>,
    tables: &DiagonalTables<'_>,
) -> Result<DiagonalProblem, PresetError> {
    let regression = check_data(c, tables.data, tables.seed)?;
    let defaults = check_model(c, tables.model.map(Spanned::get_ref))?;
    let runs = tables
        .runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| {
            check_run(
                c,
                run,
                &format!("runs[{}]", i + 1),
                defaults,
                regression.len(),
            )
        })
        .collect::<Result<Vec<_>, PresetError>>()?;
    Ok(DiagonalProblem {
        data: regression,
        runs,
    })
}

/// X and y: `[data] source = "sparse"` or `"csv"`.
fn check_data(
    c: &Checker<'_>,
    data: &Spanned<Data>,
    seed: u64,
) -> Result<RegressionData, PresetError> {
    let d = data.get_ref();
    match d.source.get_ref().as_str() {
        "sparse" => check_sparse(c, data, seed),
        "csv" => {
            let for_sparse = "source = \"csv\" (the CSV sets X and y)";
            c.not_for(d.points.as_ref(), "data.points", for_sparse)?;
            c.not_for(d.features.as_ref(), "data.features", for_sparse)?;
            c.not_for(d.nonzeros.as_ref(), "data.nonzeros", for_sparse)?;
            c.not_for(d.noise.as_ref(), "data.noise", for_sparse)?;
            let Some(path) = &d.path else {
                return Err(c.error(
                    Some(d.source.span()),
                    "data.path",
                    "source = \"csv\" needs `path` to a CSV with header x1,...,xd,y",
                ));
            };
            c.data_file(path, "data.path", data::load_regression_csv)
        }
        _ => Err(c.unknown_name(
            &d.source,
            "data.source",
            "a diagonal data source",
            &["sparse", "csv"],
        )),
    }
}

/// A seeded sparse regression problem within the size limit.
fn check_sparse(
    c: &Checker<'_>,
    data: &Spanned<Data>,
    seed: u64,
) -> Result<RegressionData, PresetError> {
    let d = data.get_ref();
    c.not_for(
        d.path.as_ref(),
        "data.path",
        "source = \"sparse\" (it is for \"csv\")",
    )?;
    let count = |value: &Option<Int>, key: &str, max: usize, default: usize| match value {
        Some(v) => c.count(v, key, 1, max as i64),
        None => Ok(default),
    };
    let points = count(&d.points, "data.points", MAX_CELLS, 40)?;
    let features = count(&d.features, "data.features", MAX_CELLS, 100)?;
    if points.saturating_mul(features) > MAX_CELLS {
        return Err(c.error(
            Some(data.span()),
            "data.features",
            format!("{points} points × {features} features exceeds the limit of {MAX_CELLS} cells"),
        ));
    }
    let nonzeros = match &d.nonzeros {
        Some(k) if *k.get_ref() > features as i64 => {
            return Err(c.error(
                Some(k.span()),
                "data.nonzeros",
                format!(
                    "{} exceeds features = {features}; use 1 to {features}",
                    c.written(&k.span())
                ),
            ));
        }
        Some(k) => c.count(k, "data.nonzeros", 1, features as i64)?,
        None => 3.min(features),
    };
    let noise = match &d.noise {
        Some(s) => c.float(s, "data.noise", "≥ 0", |v| v >= 0.0)?,
        None => 0.0,
    };
    Ok(data::sparse_regression(
        points, features, nonzeros, noise, seed,
    ))
}

/// What a run uses unless it says otherwise: `[model] depth` (2) and `init_scale` (0.1).
#[derive(Clone, Copy)]
struct Defaults {
    depth: u32,
    init_scale: f64,
}

/// `[model]`: the default depth and init scale.
fn check_model(c: &Checker<'_>, m: Option<&Model>) -> Result<Defaults, PresetError> {
    let Some(m) = m else {
        return Ok(Defaults {
            depth: 2,
            init_scale: 0.1,
        });
    };
    Ok(Defaults {
        depth: match &m.depth {
            Some(v) => check_depth(c, v, "model.depth")?,
            None => 2,
        },
        init_scale: match &m.init_scale {
            Some(v) => check_init_scale(c, v, "model.init_scale")?,
            None => 0.1,
        },
    })
}

/// D, a whole number from 2 to [`MAX_DEPTH`].
fn check_depth(c: &Checker<'_>, value: &Int, key: &str) -> Result<u32, PresetError> {
    c.count(value, key, 2, MAX_DEPTH).map(|d| d as u32)
}

/// α in (0, [`MAX_INIT_SCALE`]].
fn check_init_scale(c: &Checker<'_>, value: &Num, key: &str) -> Result<f64, PresetError> {
    c.float(value, key, &format!("in (0, {MAX_INIT_SCALE}]"), |v| {
        v > 0.0 && v <= MAX_INIT_SCALE
    })
}

/// One run: its optimizer, and its depth and init scale (the model's unless it gives its own).
fn check_run(
    c: &Checker<'_>,
    run: &Spanned<Run>,
    key: &str,
    defaults: Defaults,
    points: usize,
) -> Result<DiagonalRunSpec, PresetError> {
    let r = run.get_ref();
    let optimizer = check_optimizer(c, r.optimizer_keys(), key, Some(points))?;
    Ok(DiagonalRunSpec {
        optimizer,
        init_scale: match &r.init_scale {
            Some(v) => check_init_scale(c, v, &format!("{key}.init_scale"))?,
            None => defaults.init_scale,
        },
        depth: match &r.depth {
            Some(v) => check_depth(c, v, &format!("{key}.depth"))?,
            None => defaults.depth,
        },
        label_noise: check_label_noise(c, r, key)?,
    })
}

/// `label_noise` σ > 0 and its optional `label_noise_decay` τ > 0 (steps); a decay without a
/// noise is refused, as it would change nothing.
fn check_label_noise(
    c: &Checker<'_>,
    r: &Run,
    key: &str,
) -> Result<Option<LabelNoise>, PresetError> {
    let decay = match &r.label_noise_decay {
        Some(v) => Some(c.float(
            v,
            &format!("{key}.label_noise_decay"),
            "> 0 (steps: the noise is σ/(1 + t/τ) at step t)",
            |t| t > 0.0,
        )?),
        None => None,
    };
    match &r.label_noise {
        Some(v) => {
            let sigma = c.float(v, &format!("{key}.label_noise"), "> 0", |s| s > 0.0)?;
            Ok(Some(LabelNoise { sigma, decay }))
        }
        None => match &r.label_noise_decay {
            Some(v) => Err(c.error(
                Some(v.span()),
                &format!("{key}.label_noise_decay"),
                "decays a label noise this run does not have; add `label_noise = σ` or remove it",
            )),
            None => Ok(None),
        },
    }
}
