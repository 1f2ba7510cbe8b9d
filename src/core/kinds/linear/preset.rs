//! The tables of a linear experiment: `[data]` (clusters or a labelled CSV), `[model]` (loss and
//! intercept), each run's start `init`, and the max-margin references in `[show]`.

use serde::Deserialize;
use toml::Spanned;

use super::engine::{LinearProblem, LinearRunSpec};
use crate::core::config::raw::{Int, Num, RunKeys, Text, run_table, show_table};
use crate::core::config::{Checker, PresetError, Tables, check_optimizer};
use crate::core::data::{self, LinearData, MAX_CELLS};
use crate::core::experiment::Layout;
use crate::core::model::Loss;
use crate::core::reference::MarginNorm;

/// `[data]`: two seeded clusters (`per_class`, `spread`, `center`) or a labelled CSV (`path`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Data {
    pub(crate) source: Text,
    pub(crate) per_class: Option<Int>,
    pub(crate) spread: Option<Num>,
    pub(crate) center: Option<Spanned<Vec<Num>>>,
    pub(crate) path: Option<Text>,
}

/// `[model]`: the loss and whether the classifier has an intercept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Model {
    pub(crate) loss: Option<Text>,
    pub(crate) bias: Option<Spanned<bool>>,
}

run_table! {
    /// Each `[[runs]]`: the optimizer keys and the start `init` (w, or w then b).
    Run {
        init: Option<Spanned<Vec<Num>>>,
    }
}

show_table! {
    /// `[show]`: one circle or one per run, and which max-margin references to draw.
    Show {
        layout: Option<Text>,
        references: Option<Spanned<Vec<Text>>>,
    }
}

/// What to use instead of another kind's key, where there is something to say.
pub(super) fn key_hint(table: &str, key: &str) -> Option<&'static str> {
    match (table, key) {
        ("runs", "init_scale") => Some("use `init`"),
        ("model", "init_scale" | "init") => Some("give each run an `init` vector"),
        _ => None,
    }
}

/// The tables of a linear preset.
type LinearTables<'a> = Tables<'a, Data, Model, Run, Show>;

/// Checks a linear experiment's tables.
pub(super) fn check(
    c: &Checker<'_>,
    tables: &LinearTables<'_>,
) -> Result<LinearProblem, PresetError> {
    let points = check_data(c, tables.data, tables.seed)?;
    let (loss, bias) = match tables.model {
        None => (Loss::Exp, false),
        Some(model) => check_model(c, model.get_ref())?,
    };
    let runs = tables
        .runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| check_run(c, run, &format!("runs[{}]", i + 1), &points, bias))
        .collect::<Result<Vec<_>, PresetError>>()?;
    let show = tables.show;
    let layout = check_layout(c, show.and_then(|s| s.layout.as_ref()))?;
    let names: Option<Vec<&Text>> = show
        .and_then(|s| s.references.as_ref())
        .map(|r| r.get_ref().iter().collect());
    let references = check_references(c, names.as_deref())?;
    Ok(LinearProblem {
        data: points,
        loss,
        bias,
        runs,
        references,
        layout,
    })
}

/// The labelled points: `[data] source = "clusters"` or a CSV.
fn check_data(c: &Checker<'_>, data: &Spanned<Data>, seed: u64) -> Result<LinearData, PresetError> {
    let d = data.get_ref();
    match d.source.get_ref().as_str() {
        "clusters" => check_clusters(c, data, seed),
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
            c.data_file(path, "data.path", data::load_labelled_csv)
        }
        _ => Err(c.unknown_name(
            &d.source,
            "data.source",
            "a linear data source",
            &["clusters", "csv"],
        )),
    }
}

/// Two seeded Gaussian clusters, within the size limit.
fn check_clusters(
    c: &Checker<'_>,
    data: &Spanned<Data>,
    seed: u64,
) -> Result<LinearData, PresetError> {
    let d = data.get_ref();
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
        Some(center) if center.get_ref().is_empty() => {
            return Err(c.error(
                Some(center.span()),
                "data.center",
                "is empty; give the positive class centre, e.g. [1.5, 1.5]",
            ));
        }
        Some(center) => center
            .get_ref()
            .iter()
            .map(|v| c.float(v, "data.center", "", |_| true))
            .collect::<Result<Vec<_>, _>>()?,
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
    Ok(data::gaussian_clusters(per_class, spread, &center, seed))
}

/// The loss and whether the model has an intercept.
fn check_model(c: &Checker<'_>, m: &Model) -> Result<(Loss, bool), PresetError> {
    let loss = match &m.loss {
        None => Loss::Exp,
        Some(l) => match l.get_ref().as_str() {
            "exp" => Loss::Exp,
            "logistic" => Loss::Logistic,
            _ => {
                return Err(c.unknown_name(l, "model.loss", "a loss", &["exp", "logistic"]));
            }
        },
    };
    Ok((loss, m.bias.as_ref().is_some_and(|b| *b.get_ref())))
}

/// One run: its optimizer and its start θ₀ (zero unless `init` gives w, or w then b).
fn check_run(
    c: &Checker<'_>,
    run: &Spanned<Run>,
    key: &str,
    points: &LinearData,
    bias: bool,
) -> Result<LinearRunSpec, PresetError> {
    let r = run.get_ref();
    let optimizer = check_optimizer(c, r.optimizer_keys(), key, Some(points.len()))?;
    let width = points.dim + usize::from(bias);
    let Some(init) = &r.init else {
        return Ok(LinearRunSpec {
            optimizer,
            init: vec![0.0; width],
        });
    };
    let values = init
        .get_ref()
        .iter()
        .map(|v| c.float(v, &format!("{key}.init"), "", |_| true))
        .collect::<Result<Vec<_>, _>>()?;
    let init = match values.len() {
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
    };
    Ok(LinearRunSpec { optimizer, init })
}

/// The max-margin references `[show] references` names (all of them when it is absent).
fn check_references(
    c: &Checker<'_>,
    names: Option<&[&Text]>,
) -> Result<Vec<MarginNorm>, PresetError> {
    let Some(names) = names else {
        return Ok(MarginNorm::ALL.to_vec());
    };
    let mut chosen = Vec::with_capacity(names.len());
    for n in names {
        let norm = MarginNorm::from_name(n.get_ref()).ok_or_else(|| {
            let mut all: Vec<String> = MarginNorm::ALL.iter().map(|m| m.name().into()).collect();
            all.push("lP (any P > 1, e.g. l3)".to_owned());
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
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
    Ok(chosen)
}

/// `[show] layout`: all runs on one circle (the default) or one circle each.
fn check_layout(c: &Checker<'_>, layout: Option<&Text>) -> Result<Layout, PresetError> {
    let Some(l) = layout else {
        return Ok(Layout::Overlay);
    };
    match l.get_ref().as_str() {
        "overlay" => Ok(Layout::Overlay),
        "side-by-side" => Ok(Layout::SideBySide),
        _ => Err(c.unknown_name(l, "show.layout", "a layout", &["overlay", "side-by-side"])),
    }
}
