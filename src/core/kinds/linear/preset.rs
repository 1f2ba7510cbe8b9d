//! The tables of a linear experiment: `[data]` (clusters or a labelled CSV), `[model]` (loss and
//! intercept), each run's start `init`, and the max-margin references in `[show]`.

use toml::Spanned;

use crate::core::config::{Checker, check_optimizer};
use crate::core::config::raw::{RawData, RawModel, RawRun, Text};
use crate::core::config::{KindSpec, PresetError, Tables};
use crate::core::data::{self, LinearData, MAX_CELLS};
use super::engine::{LinearProblem, LinearRunSpec};
use crate::core::kinds::Problem;
use crate::core::model::Loss;
use crate::core::reference::MarginNorm;

/// How errors name this kind when a key belongs to another.
const CONTEXT: &str = "linear experiments";

/// Checks a linear experiment's tables.
pub(super) fn check(c: &Checker<'_>, tables: &Tables<'_>) -> Result<KindSpec, PresetError> {
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
    let references = check_references(c, tables.reference_names.as_deref())?;
    Ok(KindSpec {
        problem: Problem::Linear(LinearProblem {
            data: points,
            loss,
            bias,
            runs,
        }),
        layout: tables.layout,
        references,
        nuclear_reference: false,
    })
}

/// The labelled points: `[data] source = "clusters"` or a CSV, refusing the matrix keys.
fn check_data(
    c: &Checker<'_>,
    data: &Spanned<RawData>,
    seed: u64,
) -> Result<LinearData, PresetError> {
    let d = data.get_ref();
    c.not_for(d.size.as_ref(), "data.size", CONTEXT)?;
    c.not_for(d.rank.as_ref(), "data.rank", CONTEXT)?;
    c.not_for(d.observed.as_ref(), "data.observed", CONTEXT)?;
    c.not_for(d.matrix.as_ref(), "data.matrix", CONTEXT)?;
    c.not_for(d.mask.as_ref(), "data.mask", CONTEXT)?;
    c.not_for(d.points.as_ref(), "data.points", CONTEXT)?;
    c.not_for(d.features.as_ref(), "data.features", CONTEXT)?;
    c.not_for(d.nonzeros.as_ref(), "data.nonzeros", CONTEXT)?;
    c.not_for(d.noise.as_ref(), "data.noise", CONTEXT)?;
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
    data: &Spanned<RawData>,
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
fn check_model(c: &Checker<'_>, m: &RawModel) -> Result<(Loss, bool), PresetError> {
    c.not_for(m.width.as_ref(), "model.width", CONTEXT)?;
    c.not_for(m.depth.as_ref(), "model.depth", CONTEXT)?;
    let per_run = "linear experiments (give each run an `init` vector)";
    c.not_for(m.init_scale.as_ref(), "model.init_scale", per_run)?;
    c.not_for(m.init.as_ref(), "model.init", per_run)?;
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
    run: &Spanned<RawRun>,
    key: &str,
    points: &LinearData,
    bias: bool,
) -> Result<LinearRunSpec, PresetError> {
    let optimizer = check_optimizer(c, run, key, Some(points.len()))?;
    let r = run.get_ref();
    c.not_for(
        r.init_scale.as_ref(),
        &format!("{key}.init_scale"),
        "linear experiments (use `init`)",
    )?;
    c.not_for(r.depth.as_ref(), &format!("{key}.depth"), CONTEXT)?;
    c.not_for(
        r.label_noise.as_ref(),
        &format!("{key}.label_noise"),
        CONTEXT,
    )?;
    c.not_for(
        r.label_noise_decay.as_ref(),
        &format!("{key}.label_noise_decay"),
        CONTEXT,
    )?;
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
