//! The headless output of a matrix experiment: its JSON report, its trace columns and its
//! one-line `check` summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::engine::{MatrixProblem, MatrixRunSnapshot, MatrixSnapshot, NuclearReferenceStatus};
use super::preset::NUCLEAR_REFERENCE;
use crate::core::kinds::RunStatus;
use crate::core::kinds::report::{
    OrderedMap, RunEnd, RunHead, RunRow, csv_number, csv_text, reported, reported_all, status_at,
    status_warning,
};

/// MatrixReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
pub(super) struct MatrixReport {
    experiment: &'static str,
    title: String,
    steps: u64,
    runs: Vec<MatrixRunReport>,
    references: OrderedMap<NuclearReport>,
    warnings: Vec<String>,
}

/// MatrixRunReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct MatrixRunReport {
    #[serde(flatten)]
    head: RunHead,
    init_scale: f64,
    depth: usize,
    singular_values: Vec<Option<f64>>,
    train_loss: Option<f64>,
    test_error: Option<f64>,
    nuclear_norm: Option<f64>,
    effective_rank: Option<f64>,
    #[serde(flatten)]
    end: RunEnd,
}

/// NuclearReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct NuclearReport {
    singular_values: Vec<f64>,
    test_error: f64,
    nuclear_norm: f64,
    converged: bool,
}

/// The report of the snapshot, with a warning for each stopped run.
pub(super) fn report(title: &str, steps: u64, s: &MatrixSnapshot) -> MatrixReport {
    let mut warnings = vec![];
    let runs = s
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            warnings.extend(status_warning(i, &r.optimizer, r.status));
            MatrixRunReport {
                head: RunHead::of(&r.optimizer, r.optimizer.label()),
                init_scale: r.init_scale,
                depth: r.depth,
                singular_values: reported_all(&r.singular_values, r.status),
                train_loss: reported(r.train_loss, r.status),
                test_error: reported(r.test_error, r.status),
                nuclear_norm: reported(r.nuclear_norm, r.status),
                effective_rank: reported(r.effective_rank, r.status),
                end: RunEnd::of(r.status),
            }
        })
        .collect();
    let references = nuclear_report(&s.reference, &mut warnings);
    MatrixReport {
        experiment: "matrix",
        title: title.to_string(),
        steps,
        runs,
        references,
        warnings,
    }
}

/// Appends the matrix trace columns to the header `step,run,optimizer`.
pub(super) fn trace_header(header: &mut String, s: &MatrixSnapshot) {
    header.push_str(",train_loss,test_error,nuclear_norm,effective_rank,status");
    for j in 1..=sigma_columns(s) {
        write!(header, ",sigma{j}").ok();
    }
}

/// One trace row of run `index` (0-based): the metrics (train loss, test error, nuclear norm,
/// effective rank), the status, then `sigma_count` singular-value cells (empty past `sigmas`,
/// and every number empty in a diverged row, the rule of [`reported`]).
fn row(
    step: u64,
    index: usize,
    run: &MatrixRunSnapshot,
    metrics: [f64; 4],
    status: RunStatus,
    sigmas: &[f64],
    sigma_count: usize,
) -> String {
    let mut row = format!(
        "{step},{},{},{}",
        index + 1,
        csv_text(&run.optimizer.label()),
        run.optimizer.kind().name()
    );
    for value in metrics {
        write!(row, ",{}", csv_number(value, status)).ok();
    }
    write!(row, ",{}", status.name()).ok();
    for j in 0..sigma_count {
        row.push(',');
        if let Some(&sigma) = sigmas.get(j) {
            row.push_str(&csv_number(sigma, status));
        }
    }
    row
}

/// Writes one trace row per run at `step`.
pub(super) fn trace_rows(out: &mut impl Write, step: u64, s: &MatrixSnapshot) -> io::Result<()> {
    let count = sigma_columns(s);
    for (i, r) in s.runs.iter().enumerate() {
        let metrics = [r.train_loss, r.test_error, r.nuclear_norm, r.effective_rank];
        let line = row(step, i, r, metrics, r.status, &r.singular_values, count);
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The trace rows the runs' bounded histories hold, as (step, run, row); the histories keep the
/// top min(m, n, k) singular values, so the cells past those are empty.
pub(super) fn history_rows(s: &MatrixSnapshot) -> Vec<(u64, usize, String)> {
    let count = sigma_columns(s);
    let mut rows = Vec::new();
    for (i, r) in s.runs.iter().enumerate() {
        for ((step, sigmas), (_, metrics)) in r.spectra.iter().zip(r.trace.iter()) {
            let metrics = [metrics[0], metrics[1], metrics[2], metrics[3]];
            let status = status_at(r.status, step);
            rows.push((step, i, row(step, i, r, metrics, status, sigmas, count)));
        }
    }
    rows
}

/// How many `sigma` columns a trace has: every singular value of M.
fn sigma_columns(s: &MatrixSnapshot) -> usize {
    s.runs.first().map_or(0, |r| r.singular_values.len())
}

/// What `check` says of a valid matrix preset.
pub(super) fn describe(p: &MatrixProblem) -> String {
    format!(
        "matrix, {}×{} with {} observed entries, width {}, {} run(s): {}",
        p.data.target.nrows(),
        p.data.target.ncols(),
        p.data.mask.iter().filter(|&&m| m == 1.0).count(),
        p.width,
        p.runs.len(),
        p.runs
            .iter()
            .map(|r| match r.depth() {
                2 => format!("{} init {}", r.optimizer.label(), r.init_scale),
                depth => format!(
                    "{} init {} depth {depth}",
                    r.optimizer.label(),
                    r.init_scale
                ),
            })
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The min-nuclear-norm reference for the JSON, and the warnings that word why it is missing
/// or approximate.
fn nuclear_report(
    reference: &NuclearReferenceStatus,
    warnings: &mut Vec<String>,
) -> OrderedMap<NuclearReport> {
    let mut references = vec![];
    if let NuclearReferenceStatus::Skipped {
        rows,
        cols,
        max_side,
    } = *reference
    {
        warnings.push(format!(
            "{NUCLEAR_REFERENCE}: skipped, the matrix is {rows}×{cols} and the exact solver is only \
             run up to {max_side} per side (it would take minutes); set [show] references = [] \
             to silence this"
        ));
    }
    if let Some(r) = reference.solved() {
        if !r.converged {
            warnings.push(format!(
                "{}: not converged after {} iterations (residuals {:.1e}, {:.1e}); its numbers are \
                 approximate",
                NUCLEAR_REFERENCE, r.iterations, r.primal_residual, r.dual_residual
            ));
        }
        references.push((
            NUCLEAR_REFERENCE.to_string(),
            NuclearReport {
                singular_values: r.singular_values.clone(),
                test_error: r.test_error,
                nuclear_norm: r.nuclear_norm,
                converged: r.converged,
            },
        ));
    }
    OrderedMap(references)
}

/// The `sweep` columns of each run at the end.
pub(super) fn sweep_rows(s: &MatrixSnapshot) -> Vec<RunRow> {
    s.runs
        .iter()
        .map(|r| {
            let metrics = vec![
                ("train_loss".to_string(), Some(r.train_loss)),
                ("test_error".to_string(), Some(r.test_error)),
                ("nuclear_norm".to_string(), Some(r.nuclear_norm)),
                ("effective_rank".to_string(), Some(r.effective_rank)),
            ];
            let setup = vec![
                ("init_scale".to_owned(), format!("{:?}", r.init_scale)),
                ("depth".to_owned(), r.depth.to_string()),
            ];
            RunRow::new(&r.optimizer, setup, r.status, metrics)
        })
        .collect()
}

/// Trace rows of the spectra every `[show] svd_every` steps, beside the log grid.
#[expect(
    clippy::unnecessary_wraps,
    reason = "the signature every kind's trace_stride shares; the others have none"
)]
pub(super) fn trace_stride(problem: &super::MatrixProblem) -> Option<u64> {
    Some(problem.svd_every)
}
