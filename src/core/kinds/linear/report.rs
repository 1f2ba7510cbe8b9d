//! The headless output of a linear experiment: its JSON report, its trace columns and its
//! one-line `check` summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::engine::{LinearProblem, LinearRunSnapshot, LinearSnapshot};
use crate::core::kinds::RunStatus;
use crate::core::kinds::report::{
    OrderedMap, RunEnd, RunHead, RunRow, csv_number, csv_text, reported, reported_all, status_at,
    status_warning,
};
use crate::core::linalg::{angle_degrees, norm2, unit};

/// LinearReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
pub(super) struct LinearReport {
    experiment: &'static str,
    title: String,
    steps: u64,
    loss: &'static str,
    bias: bool,
    references: OrderedMap<Vec<f64>>,
    reference_margins: OrderedMap<f64>,
    warnings: Vec<String>,
    runs: Vec<LinearRunReport>,
}

/// LinearRunReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct LinearRunReport {
    #[serde(flatten)]
    head: RunHead,
    init: Vec<f64>,
    direction: Vec<Option<f64>>,
    norm: Option<f64>,
    /// Absent without an intercept; a number, or null for a diverged run.
    #[serde(skip_serializing_if = "Option::is_none")]
    bias: Option<serde_json::Value>,
    loss: Option<f64>,
    margin: Option<f64>,
    angles: OrderedMap<f64>,
    predicted: Option<String>,
    #[serde(flatten)]
    end: RunEnd,
}

/// The report of the snapshot, with a warning for each stopped run.
pub(super) fn report(title: &str, steps: u64, s: &LinearSnapshot) -> LinearReport {
    let mut references = vec![];
    let mut margins = vec![];
    let mut warnings = vec![];
    for (norm, reference) in &s.references {
        match reference {
            Ok(r) => {
                references.push((norm.name().to_string(), r.direction.clone()));
                margins.push((norm.name().to_string(), r.margin));
            }
            Err(e) => warnings.push(format!("{}: {e}", norm.name())),
        }
    }
    let runs = s
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            warnings.extend(status_warning(i, &r.optimizer, r.status));
            let diverged = matches!(r.status, RunStatus::Diverged { .. });
            LinearRunReport {
                head: RunHead::of(&r.optimizer, r.optimizer.label()),
                init: r.init.clone(),
                direction: reported_all(&r.direction, r.status),
                norm: reported(r.norm, r.status),
                bias: r.bias.map(|b| serde_json::json!(reported(b, r.status))),
                loss: reported(r.loss, r.status),
                margin: reported(r.margin, r.status),
                angles: OrderedMap(
                    r.angles
                        .iter()
                        .filter(|_| !diverged)
                        .map(|(n, a)| (n.name().to_string(), *a))
                        .collect(),
                ),
                predicted: r.predicted.map(|n| n.name().into_owned()),
                end: RunEnd::of(r.status),
            }
        })
        .collect();
    LinearReport {
        experiment: "linear",
        title: title.to_string(),
        steps,
        loss: s.loss.name(),
        bias: s.bias,
        references: OrderedMap(references),
        reference_margins: OrderedMap(margins),
        warnings,
        runs,
    }
}

/// Appends the linear trace columns to the key columns: the metrics, the angle to each
/// reference, raw w (`w1..wd`), `b` with a bias, and the direction w/‖w‖ (`d1..dd`).
pub(super) fn trace_header(header: &mut String, s: &LinearSnapshot) {
    header.push_str(",loss,norm,margin,status");
    for (norm, _) in &s.references {
        write!(header, ",angle_{}", norm.name()).ok();
    }
    for j in 1..=s.dim {
        write!(header, ",w{j}").ok();
    }
    if s.bias {
        header.push_str(",b");
    }
    for j in 1..=s.dim {
        write!(header, ",d{j}").ok();
    }
}

/// What one trace row says of a run: θ = (w, b) as is, its loss, margin and status.
struct RowState<'a> {
    theta: &'a [f64],
    loss: f64,
    margin: f64,
    status: RunStatus,
}

/// One trace row of run `index` (0-based). The norm, direction and angles are computed here
/// from θ; for w = 0 the margin and the angles are empty (no direction exists), and a diverged
/// row leaves every number empty (the rule of [`reported`]).
fn row(
    step: u64,
    index: usize,
    s: &LinearSnapshot,
    run: &LinearRunSnapshot,
    at: &RowState<'_>,
) -> String {
    let status = at.status;
    let weights = &at.theta[..s.dim];
    let norm = norm2(weights);
    let direction = unit(weights);
    let has_direction = norm > 0.0 && norm.is_finite();
    let mut row = format!(
        "{step},{},{},{},{},{},{},{}",
        index + 1,
        csv_text(&run.optimizer.label()),
        run.optimizer.kind().name(),
        csv_number(at.loss, status),
        csv_number(norm, status),
        csv_number(if has_direction { at.margin } else { f64::NAN }, status),
        status.name()
    );
    for (_, reference) in &s.references {
        row.push(',');
        if let (true, Ok(reference)) = (has_direction, reference) {
            row.push_str(&csv_number(
                angle_degrees(&direction, &reference.direction),
                status,
            ));
        }
    }
    for &value in at.theta {
        write!(row, ",{}", csv_number(value, status)).ok();
    }
    for &value in &direction {
        write!(row, ",{}", csv_number(value, status)).ok();
    }
    row
}

/// Writes one trace row per run at `step`.
pub(super) fn trace_rows(out: &mut impl Write, step: u64, s: &LinearSnapshot) -> io::Result<()> {
    for (i, r) in s.runs.iter().enumerate() {
        let mut theta = r.weights.clone();
        theta.extend(r.bias);
        let at = RowState {
            theta: &theta,
            loss: r.loss,
            margin: r.margin,
            status: r.status,
        };
        writeln!(out, "{}", row(step, i, s, r, &at))?;
    }
    Ok(())
}

/// The trace rows the runs' bounded histories hold, as (step, run, row).
pub(super) fn history_rows(s: &LinearSnapshot) -> Vec<(u64, usize, String)> {
    let mut rows = Vec::new();
    for (i, r) in s.runs.iter().enumerate() {
        for (step, record) in r.trace.iter() {
            let (theta, metrics) = record.split_at(record.len() - 2);
            let at = RowState {
                theta,
                loss: metrics[0],
                margin: metrics[1],
                status: status_at(r.status, step),
            };
            rows.push((step, i, row(step, i, s, r, &at)));
        }
    }
    rows
}

/// What `check` says of a valid linear preset.
pub(super) fn describe(p: &LinearProblem) -> String {
    format!(
        "linear, {} points in {} dimensions, {} loss{}, {} run(s): {}",
        p.data.len(),
        p.data.dim,
        p.loss.name(),
        if p.bias { " with bias" } else { "" },
        p.runs.len(),
        p.runs
            .iter()
            .map(|r| r.optimizer.label())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The `sweep` columns of each run at the end: loss, norm, margin, then the angle to each
/// reference (empty when the reference could not be computed).
pub(super) fn sweep_rows(s: &LinearSnapshot) -> Vec<RunRow> {
    s.runs
        .iter()
        .map(|r| {
            let mut metrics = vec![
                ("loss".to_string(), Some(r.loss)),
                ("norm".to_string(), Some(r.norm)),
                ("margin".to_string(), Some(r.margin)),
            ];
            for (norm, _) in &s.references {
                let angle = r.angles.iter().find(|(n, _)| n == norm).map(|(_, a)| *a);
                metrics.push((format!("angle_{}", norm.name()), angle));
            }
            let setup = Vec::new();
            RunRow::new(&r.optimizer, setup, r.status, metrics)
        })
        .collect()
}

/// No rows beside the log grid: every column is cheap at any step.
pub(super) fn trace_stride(_: &super::LinearProblem) -> Option<u64> {
    None
}
