//! The tables of a matrix experiment: `[data]` (a seeded low-rank matrix or CSV files), `[model]`
//! (factor width, init scale or init files), each run's `init_scale`, and the min-nuclear-norm
//! reference in `[show]`.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use toml::Spanned;

use super::diagnostics::Checker;
use super::optimizer::check_optimizer;
use super::raw::{RawData, RawModel, RawRun, Text};
use super::{KindSpec, MAX_MATRIX_SIZE, NUCLEAR_REFERENCE, PresetError, Tables};
use crate::core::data::{self, MAX_CELLS, MatrixData};
use crate::core::experiment::{Layout, MatrixProblem, MatrixRunSpec, Problem};

/// How errors name this kind when a key belongs to another.
const CONTEXT: &str = "matrix experiments";

/// Checks a matrix experiment's tables.
pub(super) fn check(c: &Checker<'_>, tables: &Tables<'_>) -> Result<KindSpec, PresetError> {
    c.not_for(
        tables.layout_key,
        "show.layout",
        "matrix experiments (runs are always listed)",
    )?;
    let matrix = check_data(c, tables.data, tables.seed)?;
    let starts = check_model(c, tables, &matrix)?;
    let runs = tables
        .runs
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, run)| check_run(c, run, &format!("runs[{}]", i + 1), &starts))
        .collect::<Result<Vec<_>, PresetError>>()?;
    let nuclear_reference = check_references(c, tables.reference_names.as_deref())?;
    Ok(KindSpec {
        problem: Problem::Matrix(MatrixProblem {
            data: matrix,
            width: starts.width,
            runs,
        }),
        layout: Layout::Overlay,
        references: vec![],
        nuclear_reference,
    })
}

/// M* and its mask: `[data] source = "low-rank"` or CSV files, with at least one entry
/// observed; the linear keys are refused.
fn check_data(
    c: &Checker<'_>,
    data: &Spanned<RawData>,
    seed: u64,
) -> Result<MatrixData, PresetError> {
    let d = data.get_ref();
    c.not_for(d.per_class.as_ref(), "data.per_class", CONTEXT)?;
    c.not_for(d.spread.as_ref(), "data.spread", CONTEXT)?;
    c.not_for(d.center.as_ref(), "data.center", CONTEXT)?;
    c.not_for(d.points.as_ref(), "data.points", CONTEXT)?;
    c.not_for(d.features.as_ref(), "data.features", CONTEXT)?;
    c.not_for(d.nonzeros.as_ref(), "data.nonzeros", CONTEXT)?;
    c.not_for(d.noise.as_ref(), "data.noise", CONTEXT)?;
    c.not_for(
        d.path.as_ref(),
        "data.path",
        "matrix experiments (use `matrix` and `mask`)",
    )?;
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
fn check_low_rank(c: &Checker<'_>, d: &RawData, seed: u64) -> Result<MatrixData, PresetError> {
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
fn check_csv(c: &Checker<'_>, d: &RawData) -> Result<MatrixData, PresetError> {
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

/// What every run starts from: the factor width, and either the `[model] init` files or one
/// standard-normal draw scaled by each run's `init_scale` (the model's by default).
struct Starts {
    width: usize,
    files: Option<(DMatrix<f64>, DMatrix<f64>)>,
    default_scale: f64,
    noise_u: DMatrix<f64>,
    noise_v: DMatrix<f64>,
}

/// `[model]`: the factor width and what the runs start from.
fn check_model(
    c: &Checker<'_>,
    tables: &Tables<'_>,
    matrix: &MatrixData,
) -> Result<Starts, PresetError> {
    let m = tables.model.map(Spanned::get_ref);
    if let Some(m) = m {
        c.not_for(
            m.loss.as_ref(),
            "model.loss",
            "matrix experiments (the loss is ½‖(UVᵀ − M*) ⊙ mask‖²)",
        )?;
        c.not_for(m.bias.as_ref(), "model.bias", CONTEXT)?;
    }
    let (rows, cols) = matrix.target.shape();
    let files = match m.and_then(|m| m.init.as_ref().map(|init| (m, init))) {
        None => None,
        Some((m, init)) => Some(check_init_files(c, m, init, (rows, cols))?),
    };
    let width = check_width(c, m, files.as_ref(), (rows, cols))?;
    if (rows + cols) * width > MAX_CELLS {
        return Err(c.error(
            Some(tables.data.span()),
            "model.width",
            format!("({rows} + {cols}) × {width} parameters exceeds the limit of {MAX_CELLS}"),
        ));
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
        files,
        default_scale,
        noise_u,
        noise_v,
    })
}

/// U₀ and V₀ from the two `[model] init` CSV files, shaped for a rows×cols matrix.
fn check_init_files(
    c: &Checker<'_>,
    m: &RawModel,
    init: &Spanned<Vec<Text>>,
    (rows, cols): (usize, usize),
) -> Result<(DMatrix<f64>, DMatrix<f64>), PresetError> {
    let [u, v] = init.get_ref().as_slice() else {
        return Err(c.error(
            Some(init.span()),
            "model.init",
            "needs two CSV paths, [\"u0.csv\", \"v0.csv\"]",
        ));
    };
    if let Some(s) = &m.init_scale {
        return Err(c.error(
            Some(s.span()),
            "model.init_scale",
            "conflicts with `init` files; keep one",
        ));
    }
    let u0 = c.data_file(u, "model.init", data::load_matrix_csv)?;
    let v0 = c.data_file(v, "model.init", data::load_matrix_csv)?;
    if u0.nrows() != rows || v0.nrows() != cols || u0.ncols() != v0.ncols() {
        return Err(c.error(
            Some(init.span()),
            "model.init",
            format!(
                "U₀ is {}×{} and V₀ is {}×{}; for a {rows}×{cols} matrix they must be {rows}×k and \
                 {cols}×k",
                u0.nrows(),
                u0.ncols(),
                v0.nrows(),
                v0.ncols()
            ),
        ));
    }
    Ok((u0, v0))
}

/// The factor width k: `[model] width`, the init files' width, or min(rows, cols).
fn check_width(
    c: &Checker<'_>,
    m: Option<&RawModel>,
    files: Option<&(DMatrix<f64>, DMatrix<f64>)>,
    (rows, cols): (usize, usize),
) -> Result<usize, PresetError> {
    match (m.and_then(|m| m.width.as_ref()), files) {
        (Some(w), Some((u0, _))) if *w.get_ref() as usize != u0.ncols() => Err(c.error(
            Some(w.span()),
            "model.width",
            format!(
                "{} differs from the init files' width {}; remove `width` or make them agree",
                w.get_ref(),
                u0.ncols()
            ),
        )),
        (_, Some((u0, _))) => Ok(u0.ncols()),
        (Some(w), None) => c.count(w, "model.width", 1, MAX_MATRIX_SIZE as i64),
        (None, None) => Ok(rows.min(cols)),
    }
}

/// One run: its optimizer and its start (U₀, V₀) from its scale or the init files.
fn check_run(
    c: &Checker<'_>,
    run: &Spanned<RawRun>,
    key: &str,
    starts: &Starts,
) -> Result<MatrixRunSpec, PresetError> {
    let optimizer = check_optimizer(c, run, key, None)?;
    let r = run.get_ref();
    c.not_for(
        r.init.as_ref(),
        &format!("{key}.init"),
        "matrix experiments (use `init_scale`, or [model] init files)",
    )?;
    let (init_scale, u0, v0) = match (&r.init_scale, &starts.files) {
        (Some(s), Some(_)) => {
            return Err(c.error(
                Some(s.span()),
                &format!("{key}.init_scale"),
                "conflicts with [model] init files; remove one",
            ));
        }
        (Some(s), None) => {
            let scale = c.positive(s, &format!("{key}.init_scale"))?;
            (scale, &starts.noise_u * scale, &starts.noise_v * scale)
        }
        (None, Some((u0, v0))) => {
            let parameters = u0.len() + v0.len();
            let scale = (u0.norm_squared() + v0.norm_squared()).sqrt() / (parameters as f64).sqrt();
            (scale, u0.clone(), v0.clone())
        }
        (None, None) => {
            let scale = starts.default_scale;
            (scale, &starts.noise_u * scale, &starts.noise_v * scale)
        }
    };
    Ok(MatrixRunSpec {
        optimizer,
        init_scale,
        u0,
        v0,
    })
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
