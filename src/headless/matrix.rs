//! The headless output of a matrix experiment: its JSON report, its trace columns and its
//! one-line `check` summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::{OrderedMap, status_warning};
use crate::core::experiment::{MatrixProblem, MatrixSnapshot, NuclearReferenceStatus};
use crate::preset;

/// MatrixReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct MatrixReport {
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
    optimizer: &'static str,
    lr: f64,
    init_scale: f64,
    depth: usize,
    singular_values: Vec<f64>,
    train_loss: f64,
    test_error: f64,
    nuclear_norm: f64,
    effective_rank: f64,
    status: &'static str,
    status_step: Option<u64>,
}

/// NuclearReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct NuclearReport {
    singular_values: Vec<f64>,
    test_error: f64,
    nuclear_norm: f64,
    converged: bool,
}

/// The `run` JSON of a matrix experiment at `steps`.
pub(super) fn json(title: &str, steps: u64, s: &MatrixSnapshot) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&report(title, steps, s))
}

/// The report of the snapshot, with a warning for each stopped run.
fn report(title: &str, steps: u64, s: &MatrixSnapshot) -> MatrixReport {
    let mut warnings = vec![];
    let runs = s
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            warnings.extend(status_warning(i, &r.optimizer, r.status));
            MatrixRunReport {
                optimizer: r.optimizer.kind.name(),
                lr: r.optimizer.lr,
                init_scale: r.init_scale,
                depth: r.depth,
                singular_values: r.singular_values.clone(),
                train_loss: r.train_loss,
                test_error: r.test_error,
                nuclear_norm: r.nuclear_norm,
                effective_rank: r.effective_rank,
                status: r.status.name(),
                status_step: r.status.step(),
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
    let count = s.runs.first().map_or(0, |r| r.singular_values.len());
    for j in 1..=count {
        write!(header, ",sigma{j}").ok();
    }
}

/// Writes one trace row per run at `step`.
pub(super) fn trace_rows(out: &mut impl Write, step: u64, s: &MatrixSnapshot) -> io::Result<()> {
    for (i, r) in s.runs.iter().enumerate() {
        let mut row = format!(
            "{step},{},{},{:?},{:?},{:?},{:?},{}",
            i + 1,
            r.optimizer.kind.name(),
            r.train_loss,
            r.test_error,
            r.nuclear_norm,
            r.effective_rank,
            r.status.name()
        );
        for v in &r.singular_values {
            write!(row, ",{v:?}").ok();
        }
        writeln!(out, "{row}")?;
    }
    Ok(())
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
            "{}: skipped, the matrix is {rows}×{cols} and the exact solver is only run up to \
             {max_side} per side (it would take minutes); set [show] references = [] to silence \
             this",
            preset::NUCLEAR_REFERENCE
        ));
    }
    if let Some(r) = reference.solved() {
        if !r.converged {
            warnings.push(format!(
                "{}: not converged after {} iterations (residuals {:.1e}, {:.1e}); its numbers are \
                 approximate",
                preset::NUCLEAR_REFERENCE,
                r.iterations,
                r.primal_residual,
                r.dual_residual
            ));
        }
        references.push((
            preset::NUCLEAR_REFERENCE.to_string(),
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
