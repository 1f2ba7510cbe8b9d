//! The tables of a matrix experiment: `[data]` (a seeded low-rank matrix or CSV files), `[model]`
//! (factor width, depth, init scale or init files), each run's `init_scale` and `depth`, and the
//! min-nuclear-norm reference in `[show]`.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Deserialize;
use toml::Spanned;

use super::engine::{MatrixProblem, MatrixRunSpec};
use crate::core::config::raw::{Int, Num, RunKeys, Text, run_table, show_table};
use crate::core::config::{Checker, PresetError, Tables, check_optimizer};
use crate::core::data::{self, MAX_CELLS, MatrixData};
use crate::core::optim::OptimizerSpec;

/// Largest matrix side and factor width: an N³ step beyond this would not be interactive.
pub const MAX_MATRIX_SIZE: usize = 1000;
/// Name of the only matrix reference.
pub const NUCLEAR_REFERENCE: &str = "min-nuclear-norm";

/// `[data]`: a seeded low-rank M* with a random mask (`size`, `rank`, `observed`) or two CSV
/// files (`matrix`, `mask`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Data {
    pub(crate) source: Text,
    pub(crate) size: Option<Int>,
    pub(crate) rank: Option<Int>,
    pub(crate) observed: Option<Num>,
    pub(crate) matrix: Option<Text>,
    pub(crate) mask: Option<Text>,
}

/// `[model]`: the factor width, the default depth and what the runs start from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Model {
    pub(crate) width: Option<Int>,
    pub(crate) depth: Option<Int>,
    pub(crate) init_scale: Option<Num>,
    pub(crate) init: Option<Spanned<Vec<Text>>>,
}

run_table! {
    /// Each `[[runs]]`: the optimizer keys, its own `init_scale` and `depth`.
    Run {
        init_scale: Option<Num>,
        depth: Option<Int>,
    }
}

show_table! {
    /// `[show]`: the min-nuclear-norm reference, and trace rows of σ every `svd_every` steps.
    Show {
        references: Option<Spanned<Vec<Text>>>,
        svd_every: Option<Int>,
    }
}

/// What to use instead of another kind's key, where there is something to say.
pub(super) fn key_hint(table: &str, key: &str) -> Option<&'static str> {
    match (table, key) {
        ("runs", "init") => Some("use `init_scale`, or [model] init files"),
        ("model", "loss") => Some("the loss is ½‖(UVᵀ − M*) ⊙ mask‖²"),
        ("data", "path") => Some("use `matrix` and `mask`"),
        ("show", "layout") => Some("runs are always listed"),
        _ => None,
    }
}

/// The tables of a matrix preset.
type MatrixTables<'a> = Tables<'a, Data, Model, Run, Show>;

/// Checks a matrix experiment's tables.
pub(super) fn check(
    c: &Checker<'_>,
    tables: &MatrixTables<'_>,
) -> Result<MatrixProblem, PresetError> {
    let matrix = check_data(c, tables.data, tables.seed)?;
    let starts = check_model(c, tables, &matrix)?;
    let shape = matrix.target.shape();
    let checked = tables
        .runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| check_run(c, run, &format!("runs[{}]", i + 1), &starts, shape))
        .collect::<Result<Vec<_>, PresetError>>()?;
    let names: Option<Vec<&Text>> = tables
        .show
        .and_then(|s| s.references.as_ref())
        .map(|r| r.get_ref().iter().collect());
    let nuclear_reference = check_references(c, names.as_deref())?;
    let svd_every = match tables.show.and_then(|s| s.svd_every.as_ref()) {
        Some(v) => c.count(v, "show.svd_every", 1, i64::MAX)? as u64,
        None => 100,
    };
    let width = starts.width;
    Ok(MatrixProblem {
        data: matrix,
        width,
        runs: build_runs(starts, checked),
        nuclear_reference,
        svd_every,
    })
}

/// M* and its mask: `[data] source = "low-rank"` or CSV files, with at least one entry
/// observed.
fn check_data(c: &Checker<'_>, data: &Spanned<Data>, seed: u64) -> Result<MatrixData, PresetError> {
    let d = data.get_ref();
    let matrix = match d.source.get_ref().as_str() {
        "low-rank" => check_low_rank(c, d, seed)?,
        "csv" => check_csv(c, d)?,
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
    Ok(matrix)
}

/// A seeded rank-r matrix with a random mask.
fn check_low_rank(c: &Checker<'_>, d: &Data, seed: u64) -> Result<MatrixData, PresetError> {
    let for_csv = "source = \"low-rank\" (it is for \"csv\")";
    c.not_for(d.matrix.as_ref(), "data.matrix", for_csv)?;
    c.not_for(d.mask.as_ref(), "data.mask", for_csv)?;
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
    Ok(data::low_rank(size, rank, observed, seed))
}

/// M* and its mask from two CSV files without header, within the size limit.
fn check_csv(c: &Checker<'_>, d: &Data) -> Result<MatrixData, PresetError> {
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
    Ok(MatrixData { target, mask })
}

/// Deepest factorisation accepted: beyond it a product of small factors underflows before
/// it escapes the origin, and every factor adds k² parameters.
pub(super) const MAX_DEPTH: i64 = 8;

/// What every run starts from: the factor width, the default depth, and either the
/// `[model] init` files or standard-normal draws scaled by each run's `init_scale` (the
/// model's by default).
///
/// The draws come from one generator seeded with seed + 1, in the order U, V (as before depths
/// were added, so a depth-2 preset starts where it always did), then C₁, C₂, … up to the
/// deepest run: every run shares the same U and V, and a deeper run adds middle factors.
struct Starts {
    width: usize,
    depth: usize,
    files: Option<Vec<DMatrix<f64>>>,
    default_scale: f64,
    noise_u: DMatrix<f64>,
    noise_v: DMatrix<f64>,
    /// The generator after U and V, for the middle factors once the deepest run is known.
    rng: StdRng,
}

/// `[model]`: the factor width, the default depth and what the runs start from.
fn check_model(
    c: &Checker<'_>,
    tables: &MatrixTables<'_>,
    matrix: &MatrixData,
) -> Result<Starts, PresetError> {
    let m = tables.model.map(Spanned::get_ref);
    let (rows, cols) = matrix.target.shape();
    let depth_key = m.and_then(|m| m.depth.as_ref());
    let depth = match depth_key {
        Some(d) => c.count(d, "model.depth", 2, MAX_DEPTH)?,
        None => 2,
    };
    let files = match m.and_then(|m| m.init.as_ref().map(|init| (m, init))) {
        None => None,
        Some((m, init)) => Some(check_init_files(c, m, init, (rows, cols), depth)?),
    };
    let width = check_width(c, m, files.as_deref(), (rows, cols))?;
    if (rows + cols) * width > MAX_CELLS {
        return Err(c.error(
            Some(tables.data.span()),
            "model.width",
            format!("({rows} + {cols}) × {width} parameters exceeds the limit of {MAX_CELLS}"),
        ));
    }
    if let Some(d) = depth_key {
        check_parameter_count(c, d, "model.depth", (rows, cols), width)?;
    }
    let default_scale = match m.and_then(|m| m.init_scale.as_ref()) {
        Some(s) => c.positive(s, "model.init_scale")?,
        None => 1e-3,
    };
    // One standard-normal draw shared by every run, so runs differ only in what the preset says.
    let mut rng = StdRng::seed_from_u64(tables.seed.wrapping_add(1));
    let noise_u = data::gaussian_matrix(rows, width, 1.0, &mut rng);
    let noise_v = data::gaussian_matrix(cols, width, 1.0, &mut rng);
    Ok(Starts {
        width,
        depth,
        files,
        default_scale,
        noise_u,
        noise_v,
        rng,
    })
}

/// Refuses a depth whose factors would hold more than [`MAX_CELLS`] parameters.
fn check_parameter_count(
    c: &Checker<'_>,
    depth: &Int,
    key: &str,
    (rows, cols): (usize, usize),
    width: usize,
) -> Result<(), PresetError> {
    let layers = *depth.get_ref() as usize;
    let parameters = (rows + cols) * width + (layers - 2) * width * width;
    if parameters > MAX_CELLS {
        return Err(c.error(
            Some(depth.span()),
            key,
            format!(
                "{layers} factors of width {width} hold {parameters} parameters, over the limit \
                 of {MAX_CELLS}; use a lower depth or width"
            ),
        ));
    }
    Ok(())
}

/// The starts [U₀, C₁, …, C_{L−2}, V₀] from the `[model] init` CSV files, one per factor,
/// shaped for a rows×cols matrix: U₀ rows×k, V₀ cols×k, every Cⱼ k×k.
fn check_init_files(
    c: &Checker<'_>,
    m: &Model,
    init: &Spanned<Vec<Text>>,
    (rows, cols): (usize, usize),
    depth: usize,
) -> Result<Vec<DMatrix<f64>>, PresetError> {
    let paths = init.get_ref();
    if paths.len() != depth {
        return Err(c.error(
            Some(init.span()),
            "model.init",
            format!(
                "needs {} CSV paths, {}, one per factor at depth {depth} (got {})",
                COUNT_WORDS[depth - 2],
                example_init(depth),
                paths.len()
            ),
        ));
    }
    if let Some(s) = &m.init_scale {
        return Err(c.error(
            Some(s.span()),
            "model.init_scale",
            "conflicts with `init` files; keep one",
        ));
    }
    let factors = paths
        .iter()
        .map(|path| c.data_file(path, "model.init", data::load_matrix_csv))
        .collect::<Result<Vec<_>, _>>()?;
    let (u0, v0) = (&factors[0], &factors[depth - 1]);
    if u0.nrows() != rows || v0.nrows() != cols || u0.ncols() != v0.ncols() {
        return Err(c.error(
            Some(init.span()),
            "model.init",
            format!(
                "U₀ is {}×{} and V₀ is {}×{}; for a {rows}×{cols} matrix they must be {rows}×k and \
                 {cols}×k (U₀ from {}, V₀ from {})",
                u0.nrows(),
                u0.ncols(),
                v0.nrows(),
                v0.ncols(),
                paths[0].get_ref(),
                paths[depth - 1].get_ref()
            ),
        ));
    }
    check_middle_shapes(c, paths, &factors)?;
    Ok(factors)
}

/// Every middle factor Cⱼ of the init files must be k×k, k the width of U₀ (the first file).
fn check_middle_shapes(
    c: &Checker<'_>,
    paths: &[Text],
    factors: &[DMatrix<f64>],
) -> Result<(), PresetError> {
    let width = factors[0].ncols();
    let middle = paths.iter().zip(factors).enumerate().skip(1);
    for (j, (path, factor)) in middle.take(factors.len() - 2) {
        if factor.shape() != (width, width) {
            return Err(c.error(
                Some(path.span()),
                "model.init",
                format!(
                    "C{} from {} is {}×{}; a middle factor must be k×k = {width}×{width} (k = \
                     {width}, the width of U₀)",
                    subscript(j),
                    path.get_ref(),
                    factor.nrows(),
                    factor.ncols()
                ),
            ));
        }
    }
    Ok(())
}

/// How many init files a depth needs, in words (depth 2 to [`MAX_DEPTH`]).
const COUNT_WORDS: [&str; 7] = ["two", "three", "four", "five", "six", "seven", "eight"];

/// `["u0.csv", "c1.csv", …, "v0.csv"]` for a depth: the shape of a right `init`.
fn example_init(depth: usize) -> String {
    let middle = (1..depth - 1).map(|j| format!("\"c{j}.csv\""));
    let names: Vec<String> = std::iter::once("\"u0.csv\"".to_owned())
        .chain(middle)
        .chain(std::iter::once("\"v0.csv\"".to_owned()))
        .collect();
    format!("[{}]", names.join(", "))
}

/// `j` in subscript digits, as the factors are named (C₁, C₂, …).
fn subscript(j: usize) -> String {
    j.to_string()
        .chars()
        .map(|d| char::from_u32(0x2080 + d.to_digit(10).unwrap_or(0)).unwrap_or(d))
        .collect()
}

/// The factor width k: `[model] width`, the init files' width, or min(rows, cols).
fn check_width(
    c: &Checker<'_>,
    m: Option<&Model>,
    files: Option<&[DMatrix<f64>]>,
    (rows, cols): (usize, usize),
) -> Result<usize, PresetError> {
    let files_width = files.and_then(|f| f.first()).map(DMatrix::ncols);
    match (m.and_then(|m| m.width.as_ref()), files_width) {
        (Some(w), Some(k)) if *w.get_ref() as usize != k => Err(c.error(
            Some(w.span()),
            "model.width",
            format!(
                "{} differs from the init files' width {k}; remove `width` or make them agree",
                w.get_ref(),
            ),
        )),
        (_, Some(k)) => Ok(k),
        (Some(w), None) => c.count(w, "model.width", 1, MAX_MATRIX_SIZE as i64),
        (None, None) => Ok(rows.min(cols)),
    }
}

/// A run as checked, before the middle factors are drawn: its optimizer, depth and scale
/// (`None` when it starts from the init files).
struct RunStart {
    optimizer: OptimizerSpec,
    depth: usize,
    scale: Option<f64>,
}

/// One run: its optimizer, its depth (`[model] depth` unless it gives its own) and whether it
/// starts from its scale or the init files.
fn check_run(
    c: &Checker<'_>,
    run: &Spanned<Run>,
    key: &str,
    starts: &Starts,
    shape: (usize, usize),
) -> Result<RunStart, PresetError> {
    let r = run.get_ref();
    let optimizer = check_optimizer(c, r.optimizer_keys(), key, None)?;
    let depth = match &r.depth {
        Some(d) => {
            let depth = c.count(d, &format!("{key}.depth"), 2, MAX_DEPTH)?;
            check_parameter_count(c, d, &format!("{key}.depth"), shape, starts.width)?;
            if starts.files.is_some() && depth != starts.depth {
                return Err(c.error(
                    Some(d.span()),
                    &format!("{key}.depth"),
                    format!(
                        "{depth} conflicts with the [model] init files, which are for depth {}; \
                         remove it, or set [model] depth = {depth} with one file per factor",
                        starts.depth
                    ),
                ));
            }
            depth
        }
        None => starts.depth,
    };
    let scale = match (&r.init_scale, &starts.files) {
        (Some(s), Some(_)) => {
            return Err(c.error(
                Some(s.span()),
                &format!("{key}.init_scale"),
                "conflicts with [model] init files; remove one",
            ));
        }
        (Some(s), None) => Some(c.positive(s, &format!("{key}.init_scale"))?),
        (None, Some(_)) => None,
        (None, None) => Some(starts.default_scale),
    };
    Ok(RunStart {
        optimizer,
        depth,
        scale,
    })
}

/// The checked runs with their starts: the shared draws times each run's scale, or the init
/// files (labelled with their root-mean-square entry, the scale they were drawn at).
fn build_runs(mut starts: Starts, checked: Vec<RunStart>) -> Vec<MatrixRunSpec> {
    let deepest = checked.iter().map(|r| r.depth).max().unwrap_or(2);
    let width = starts.width;
    let noise_middle: Vec<DMatrix<f64>> = (2..deepest)
        .map(|_| data::gaussian_matrix(width, width, 1.0, &mut starts.rng))
        .collect();
    checked
        .into_iter()
        .map(|run| {
            let middle_count = run.depth - 2;
            let scaled = |scale: f64| {
                let middle = noise_middle[..middle_count].iter().map(|c| c * scale);
                (
                    scale,
                    &starts.noise_u * scale,
                    middle.collect(),
                    &starts.noise_v * scale,
                )
            };
            let (init_scale, u0, middle, v0) = match (run.scale, &starts.files) {
                (Some(scale), _) => scaled(scale),
                (None, None) => scaled(starts.default_scale),
                (None, Some(files)) => {
                    let parameters: usize = files.iter().map(DMatrix::len).sum();
                    let squares: f64 = files.iter().map(DMatrix::norm_squared).sum();
                    let scale = (squares / parameters as f64).sqrt();
                    let middle = files[1..=middle_count].to_vec();
                    (
                        scale,
                        files[0].clone(),
                        middle,
                        files[middle_count + 1].clone(),
                    )
                }
            };
            MatrixRunSpec {
                optimizer: run.optimizer,
                init_scale,
                u0,
                v0,
                middle,
            }
        })
        .collect()
}

/// Whether `[show] references` asks for the min-nuclear-norm reference (it does when absent).
fn check_references(c: &Checker<'_>, names: Option<&[&Text]>) -> Result<bool, PresetError> {
    let Some(names) = names else {
        return Ok(true);
    };
    for n in names {
        if n.get_ref() != NUCLEAR_REFERENCE {
            return Err(c.error(
                Some(n.span()),
                "show.references",
                format!(
                    "{} is not a matrix reference; use [\"{NUCLEAR_REFERENCE}\"] or []",
                    c.written(&n.span())
                ),
            ));
        }
    }
    Ok(!names.is_empty())
}
