//! The headless output of a linear experiment: its JSON report, its trace columns and its
//! one-line `check` summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::sweep::RunRow;
use super::{OrderedMap, status_warning};
use crate::core::experiment::{LinearProblem, LinearSnapshot};

/// LinearReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct LinearReport {
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
    optimizer: &'static str,
    lr: f64,
    init: Vec<f64>,
    direction: Vec<f64>,
    norm: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bias: Option<f64>,
    loss: f64,
    margin: f64,
    angles: OrderedMap<f64>,
    predicted: Option<String>,
    status: &'static str,
    status_step: Option<u64>,
}

/// The `run` JSON of a linear experiment at `steps`.
pub(super) fn json(title: &str, steps: u64, s: &LinearSnapshot) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&report(title, steps, s))
}

/// The report of the snapshot, with a warning for each stopped run.
fn report(title: &str, steps: u64, s: &LinearSnapshot) -> LinearReport {
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
            LinearRunReport {
                optimizer: r.optimizer.kind.name(),
                lr: r.optimizer.lr,
                init: r.init.clone(),
                direction: r.direction.clone(),
                norm: r.norm,
                bias: r.bias,
                loss: r.loss,
                margin: r.margin,
                angles: OrderedMap(
                    r.angles
                        .iter()
                        .map(|(n, a)| (n.name().to_string(), *a))
                        .collect(),
                ),
                predicted: r.predicted.map(|n| n.name().into_owned()),
                status: r.status.name(),
                status_step: r.status.step(),
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

/// Appends the linear trace columns to the header `step,run,optimizer`.
pub(super) fn trace_header(header: &mut String, s: &LinearSnapshot) {
    header.push_str(",loss,norm,margin,status");
    for (norm, _) in &s.references {
        write!(header, ",angle_{}", norm.name()).ok();
    }
    for j in 1..=s.dim {
        write!(header, ",w{j}").ok();
    }
}

/// Writes one trace row per run at `step`.
pub(super) fn trace_rows(out: &mut impl Write, step: u64, s: &LinearSnapshot) -> io::Result<()> {
    for (i, r) in s.runs.iter().enumerate() {
        let mut row = format!(
            "{step},{},{},{:?},{:?},{:?},{}",
            i + 1,
            r.optimizer.kind.name(),
            r.loss,
            r.norm,
            r.margin,
            r.status.name()
        );
        for (norm, _) in &s.references {
            let angle = r.angles.iter().find(|(n, _)| n == norm).map(|(_, a)| *a);
            row.push(',');
            if let Some(angle) = angle {
                write!(row, "{angle:?}").ok();
            }
        }
        for v in &r.direction {
            write!(row, ",{v:?}").ok();
        }
        writeln!(out, "{row}")?;
    }
    Ok(())
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
            RunRow::new(&r.optimizer, r.status, metrics)
        })
        .collect()
}
