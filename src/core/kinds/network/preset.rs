//! The tables of a network experiment: `[data]` (Chebyshev points, two moons or a CSV),
//! `[model]` (hidden widths, activation, biases, loss, LeCun init scale or init files), each
//! run's optimizer, `init_scale` and `widths`, and `[show] sharpness_every` / `top_k`.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Activation, Architecture, NetworkInit, NetworkLoss, NetworkProblem, NetworkRunSpec, chebyshev,
    load_init, load_network_csv, moons,
};
use crate::core::config::raw::{Int, Num, RunKeys, Text, run_table, show_table};
use crate::core::config::{Checker, PresetError, Tables, check_optimizer};
use crate::core::data::{MAX_CELLS, RegressionData};

/// Most hidden layers: deeper nets are not what the edge-of-stability pictures need, and each
/// layer adds a product to every step and every Hessian-vector product.
pub const MAX_HIDDEN_LAYERS: usize = 8;
/// Widest hidden layer.
pub const MAX_WIDTH: i64 = 1000;
/// Most parameters per run: a step is a few passes over points × parameters.
pub const MAX_PARAMETERS: usize = 1_000_000;
/// Most eigenvalues per measurement.
pub const MAX_TOP_K: i64 = 10;
/// Highest Chebyshev degree: beyond it the target oscillates faster than any preset's points.
pub const MAX_DEGREE: i64 = 64;

/// `[data]`: `source = "chebyshev"` (`points`, `degree`), `"moons"` (`points`, `noise`) or
/// `"csv"` (`path`: header x1,…,xd,y).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Data {
    pub(crate) source: Text,
    pub(crate) points: Option<Int>,
    pub(crate) degree: Option<Int>,
    pub(crate) noise: Option<Num>,
    pub(crate) path: Option<Text>,
}

/// `[model]`: the hidden layers, their activation, biases, the loss and the start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Model {
    pub(crate) widths: Option<Spanned<Vec<Int>>>,
    pub(crate) activation: Option<Text>,
    pub(crate) bias: Option<Spanned<bool>>,
    pub(crate) loss: Option<Text>,
    pub(crate) init_scale: Option<Num>,
    pub(crate) init: Option<Spanned<Vec<Text>>>,
}

run_table! {
    /// Each `[[runs]]`: the optimizer keys, its own LeCun `init_scale` and its own hidden
    /// `widths` (the same network with other layers, to race shapes on the same data).
    Run {
        init_scale: Option<Num>,
        widths: Option<Spanned<Vec<Int>>>,
    }
}

show_table! {
    /// `[show]`: how often the sharpness is measured, and how many top eigenvalues.
    Show {
        sharpness_every: Option<Int>,
        top_k: Option<Int>,
    }
}

/// What to use instead of another kind's key, where there is something to say.
pub(super) fn key_hint(table: &str, key: &str) -> Option<&'static str> {
    match (table, key) {
        ("model", "width") => Some("use `widths`, one per hidden layer"),
        ("model", "depth") => Some("give one width per hidden layer in `widths`"),
        ("runs", "init") => Some("use `init_scale`, or [model] init files"),
        ("show", "layout") => Some("runs are always overlaid"),
        ("show", "references") => Some("each run's threshold 2/η is always drawn"),
        _ => None,
    }
}

/// The tables of a network preset.
type NetworkTables<'a> = Tables<'a, Data, Model, Run, Show>;

/// Checks a network experiment's tables.
pub(super) fn check(
    c: &Checker<'_>,
    tables: &NetworkTables<'_>,
) -> Result<NetworkProblem, PresetError> {
    let model = tables.model.map(Spanned::get_ref);
    let loss = check_loss(c, model)?;
    let data = check_data(c, tables.data, loss, tables.seed)?;
    let architecture = check_architecture(c, model, data.dim, loss)?;
    let init = check_init(c, model, &architecture)?;
    let runs = tables
        .runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let key = format!("runs[{}]", i + 1);
            check_run(c, run, &key, data.len(), (&architecture, &init))
        })
        .collect::<Result<Vec<_>, PresetError>>()?;
    let show = tables.show;
    let mut problem = NetworkProblem::new(data, architecture, init, runs);
    if let Some(every) = show.and_then(|s| s.sharpness_every.as_ref()) {
        problem.sharpness_every = c.count(every, "show.sharpness_every", 0, i64::MAX)? as u64;
    }
    if let Some(k) = show.and_then(|s| s.top_k.as_ref()) {
        problem.top_k = c.count(k, "show.top_k", 1, MAX_TOP_K)?;
    }
    // What the checks above cannot see key by key (e.g. top_k above the parameter count).
    problem
        .check()
        .map_err(|problem| c.error(Some(tables.data.span()), "model", problem.to_string()))?;
    Ok(problem)
}

/// `[model] loss`: squared (default) or logistic.
fn check_loss(c: &Checker<'_>, model: Option<&Model>) -> Result<NetworkLoss, PresetError> {
    match model.and_then(|m| m.loss.as_ref()) {
        None => Ok(NetworkLoss::Squared),
        Some(l) => match l.get_ref().as_str() {
            "squared" => Ok(NetworkLoss::Squared),
            "logistic" => Ok(NetworkLoss::Logistic),
            _ => Err(c.unknown_name(l, "model.loss", "a loss", &["squared", "logistic"])),
        },
    }
}

/// The points: Chebyshev's T_degree on points in [−1, 1], two moons, or a CSV.
fn check_data(
    c: &Checker<'_>,
    data: &Spanned<Data>,
    loss: NetworkLoss,
    seed: u64,
) -> Result<RegressionData, PresetError> {
    let d = data.get_ref();
    let points = |default: usize| match &d.points {
        Some(n) => c.count(n, "data.points", 2, (MAX_CELLS / 2) as i64),
        None => Ok(default),
    };
    match d.source.get_ref().as_str() {
        "chebyshev" => {
            c.not_for(d.noise.as_ref(), "data.noise", "source = \"chebyshev\"")?;
            c.not_for(d.path.as_ref(), "data.path", "source = \"chebyshev\"")?;
            if loss == NetworkLoss::Logistic {
                return Err(c.error(
                    Some(d.source.span()),
                    "data.source",
                    "\"chebyshev\" targets are real numbers, not ±1 labels; use loss = \
                     \"squared\", or source = \"moons\" for the logistic loss",
                ));
            }
            let degree = match &d.degree {
                Some(k) => c.count(k, "data.degree", 0, MAX_DEGREE)? as u32,
                None => 6,
            };
            Ok(chebyshev(points(20)?, degree))
        }
        "moons" => {
            c.not_for(d.degree.as_ref(), "data.degree", "source = \"moons\"")?;
            c.not_for(d.path.as_ref(), "data.path", "source = \"moons\"")?;
            let noise = match &d.noise {
                Some(v) => c.float(v, "data.noise", "≥ 0", |v| v >= 0.0)?,
                None => 0.1,
            };
            Ok(moons(points(100)?, noise, seed))
        }
        "csv" => {
            let for_csv = "source = \"csv\" (the CSV sets the points)";
            c.not_for(d.points.as_ref(), "data.points", for_csv)?;
            c.not_for(d.degree.as_ref(), "data.degree", for_csv)?;
            c.not_for(d.noise.as_ref(), "data.noise", for_csv)?;
            let Some(path) = &d.path else {
                return Err(c.error(
                    Some(d.source.span()),
                    "data.path",
                    "source = \"csv\" needs `path` to a CSV with header x1,...,xd,y",
                ));
            };
            c.data_file(path, "data.path", |p| load_network_csv(p, loss))
        }
        _ => Err(c.unknown_name(
            &d.source,
            "data.source",
            "a network data source",
            &["chebyshev", "moons", "csv"],
        )),
    }
}

/// The layer sizes, activation and biases: `widths` (default [30, 20]), `activation` (tanh),
/// `bias` (true).
fn check_architecture(
    c: &Checker<'_>,
    model: Option<&Model>,
    inputs: usize,
    loss: NetworkLoss,
) -> Result<Architecture, PresetError> {
    let widths = match model.and_then(|m| m.widths.as_ref()) {
        None => vec![30, 20],
        Some(w) => check_widths(c, w, "model.widths")?,
    };
    let activation = match model.and_then(|m| m.activation.as_ref()) {
        None => Activation::Tanh,
        Some(a) => Activation::ALL
            .into_iter()
            .find(|x| x.name() == a.get_ref())
            .ok_or_else(|| {
                let names: Vec<&str> = Activation::ALL.iter().map(|x| x.name()).collect();
                c.unknown_name(a, "model.activation", "an activation", &names)
            })?,
    };
    let bias = model
        .and_then(|m| m.bias.as_ref())
        .is_none_or(|b| *b.get_ref());
    let architecture = Architecture::new(inputs, &widths, bias, activation, loss);
    let span = model.and_then(|m| m.widths.as_ref()).map(Spanned::span);
    check_parameters(c, &architecture, span, "model.widths")?;
    Ok(architecture)
}

/// Hidden widths (`[model]`'s or a run's): one to [`MAX_HIDDEN_LAYERS`] layers of 1 to
/// [`MAX_WIDTH`] units, each refused at its own place.
fn check_widths(
    c: &Checker<'_>,
    widths: &Spanned<Vec<Int>>,
    key: &str,
) -> Result<Vec<usize>, PresetError> {
    let count = widths.get_ref().len();
    if count > MAX_HIDDEN_LAYERS {
        return Err(c.error(
            Some(widths.span()),
            key,
            format!("{count} hidden layers; at most {MAX_HIDDEN_LAYERS} are allowed"),
        ));
    }
    widths
        .get_ref()
        .iter()
        .map(|v| c.count(v, key, 1, MAX_WIDTH))
        .collect()
}

/// Refuses a network over [`MAX_PARAMETERS`], at `span` (the widths that made it).
fn check_parameters(
    c: &Checker<'_>,
    architecture: &Architecture,
    span: Option<std::ops::Range<usize>>,
    key: &str,
) -> Result<(), PresetError> {
    let parameters = architecture.parameter_count();
    if parameters > MAX_PARAMETERS {
        return Err(c.error(
            span,
            key,
            format!(
                "{} has {parameters} parameters, over the limit of {MAX_PARAMETERS}; use \
                 narrower or fewer layers",
                architecture.summary()
            ),
        ));
    }
    Ok(())
}

/// Where the runs start: LeCun-normal × `init_scale` (default 1), or the `init` files.
fn check_init(
    c: &Checker<'_>,
    model: Option<&Model>,
    architecture: &Architecture,
) -> Result<NetworkInit, PresetError> {
    let scale = match model.and_then(|m| m.init_scale.as_ref()) {
        Some(s) => Some(c.positive(s, "model.init_scale")?),
        None => None,
    };
    let Some(init) = model.and_then(|m| m.init.as_ref()) else {
        return Ok(NetworkInit::LeCun {
            scale: scale.unwrap_or(1.0),
        });
    };
    if let Some(s) = model.and_then(|m| m.init_scale.as_ref()) {
        return Err(c.error(
            Some(s.span()),
            "model.init_scale",
            "conflicts with `init` files; keep one",
        ));
    }
    let files: Vec<PathBuf> = init.get_ref().iter().map(|f| c.file(f)).collect();
    load_init(&files, architecture)
        .map(NetworkInit::Explicit)
        .map_err(|e| {
            // A line of a file names that line; a whole file (missing, wrong shape) is named at
            // its place in `init`; a wrong count at `init`.
            if e.line.is_some() {
                return PresetError::from(e);
            }
            let place = e.path.as_ref().and_then(|path| {
                let index = files.iter().position(|f| f == path)?;
                Some((
                    init.get_ref()[index].span(),
                    format!("{}: ", path.display()),
                ))
            });
            let (span, prefix) = place.unwrap_or_else(|| (init.span(), String::new()));
            let hint = if e.message.starts_with("no such file") {
                " (paths are relative to the preset's folder)"
            } else {
                ""
            };
            c.error(
                Some(span),
                "model.init",
                format!("{prefix}{}{hint}", e.message),
            )
        })
}

/// One run: its optimizer (mini-batches over `points`), its own init scale and its own
/// hidden widths (checked as `[model]`'s are; refused when they differ from `[model]`'s and the
/// start is read from init files, which hold the `[model]` shape).
fn check_run(
    c: &Checker<'_>,
    run: &Spanned<Run>,
    key: &str,
    points: usize,
    (architecture, init): (&Architecture, &NetworkInit),
) -> Result<NetworkRunSpec, PresetError> {
    let r = run.get_ref();
    let optimizer = check_optimizer(c, r.optimizer_keys(), key, Some(points))?;
    let init_scale = match &r.init_scale {
        Some(s) => Some(c.positive(s, &format!("{key}.init_scale"))?),
        None => None,
    };
    let widths = match &r.widths {
        Some(w) => Some(check_run_widths(
            c,
            w,
            &format!("{key}.widths"),
            architecture,
            init,
        )?),
        None => None,
    };
    Ok(NetworkRunSpec {
        optimizer,
        init_scale,
        widths,
    })
}

/// A run's own `widths`: valid widths, a network within [`MAX_PARAMETERS`], and the `[model]`
/// shape when the start comes from init files.
fn check_run_widths(
    c: &Checker<'_>,
    widths: &Spanned<Vec<Int>>,
    key: &str,
    architecture: &Architecture,
    init: &NetworkInit,
) -> Result<Vec<usize>, PresetError> {
    let hidden = check_widths(c, widths, key)?;
    let sizes = &architecture.sizes;
    let model_hidden = &sizes[1..sizes.len() - 1];
    if matches!(init, NetworkInit::Explicit(_)) && hidden != model_hidden {
        return Err(c.error(
            Some(widths.span()),
            key,
            format!(
                "{hidden:?} differ from the [model] widths {model_hidden:?}, the shape the \
                 [model] init files describe; remove this run's widths, or the init files to \
                 start every run from the seed's LeCun draw"
            ),
        ));
    }
    let own = Architecture::new(
        sizes[0],
        &hidden,
        architecture.bias,
        architecture.activation,
        architecture.loss,
    );
    check_parameters(c, &own, Some(widths.span()), key)?;
    Ok(hidden)
}
