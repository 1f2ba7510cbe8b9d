//! The headless output of a diagonal-network experiment: its JSON report, its trace columns and
//! its one-line `check` summary.

use std::io::{self, Write};

use serde::Serialize;

use super::sweep::RunRow;
use super::{HyperParameters, OrderedMap, csv_text, status_warning};
use crate::core::experiment::{DiagonalDistances, DiagonalProblem, DiagonalSnapshot};
use crate::core::reference::InterpolationError;

/// The references' names, as in the JSON and the trace columns.
const MIN_L1: &str = "min-l1";
/// See [`MIN_L1`].
const MIN_L2: &str = "min-l2";
/// See [`MIN_L1`].
const IMPLICIT: &str = "implicit";

/// DiagonalReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct DiagonalReport {
    experiment: &'static str,
    title: String,
    steps: u64,
    references: OrderedMap<Vec<f64>>,
    warnings: Vec<String>,
    runs: Vec<DiagonalRunReport>,
}

/// DiagonalRunReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct DiagonalRunReport {
    optimizer: &'static str,
    label: String,
    lr: f64,
    #[serde(flatten)]
    hyper_parameters: HyperParameters,
    init_scale: f64,
    depth: u32,
    w: Vec<f64>,
    train_loss: f64,
    l1_norm: f64,
    l2_norm: f64,
    implicit: Option<Vec<f64>>,
    distances: OrderedMap<f64>,
    status: &'static str,
    status_step: Option<u64>,
}

/// The `run` JSON of a diagonal experiment at `steps`.
pub(super) fn json(title: &str, steps: u64, s: &DiagonalSnapshot) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&report(title, steps, s))
}

/// The distances that exist, in the order min-l1, min-l2, implicit.
fn distances(d: &DiagonalDistances) -> OrderedMap<f64> {
    OrderedMap(
        [
            (MIN_L1, d.min_l1),
            (MIN_L2, d.min_l2),
            (IMPLICIT, d.implicit),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name.to_string(), v)))
        .collect(),
    )
}

/// The report of the snapshot, with a warning for each reason references are missing (the
/// references it applies to named together, so non-interpolable data is said once) and for each
/// stopped run.
fn report(title: &str, steps: u64, s: &DiagonalSnapshot) -> DiagonalReport {
    let mut references = vec![];
    let mut missing: Vec<(Vec<String>, String)> = vec![];
    let mut note = |name: String, error: &InterpolationError| {
        let reason = error.to_string();
        match missing.iter_mut().find(|(_, r)| *r == reason) {
            Some((names, _)) => names.push(name),
            None => missing.push((vec![name], reason)),
        }
    };
    for (name, reference) in [
        (MIN_L1, &s.references.min_l1),
        (MIN_L2, &s.references.min_l2),
    ] {
        match reference {
            Ok(w) => references.push((name.to_string(), w.clone())),
            Err(e) => note(name.to_string(), e),
        }
    }
    for (i, run) in s.runs.iter().enumerate() {
        if let Err(e) = &run.implicit {
            note(format!("run {} {IMPLICIT}", i + 1), e);
        }
    }
    let mut warnings: Vec<String> = missing
        .into_iter()
        .map(|(names, reason)| format!("{}: {reason}", names.join(", ")))
        .collect();
    let runs = s
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            warnings.extend(status_warning(i, &r.optimizer, r.status));
            DiagonalRunReport {
                optimizer: r.optimizer.kind.name(),
                label: r.optimizer.label(),
                lr: r.optimizer.lr,
                hyper_parameters: HyperParameters::of(&r.optimizer),
                init_scale: r.init_scale,
                depth: r.depth,
                w: r.w.clone(),
                train_loss: r.train_loss,
                l1_norm: r.l1_norm,
                l2_norm: r.l2_norm,
                implicit: r.implicit.as_ref().ok().cloned(),
                distances: distances(&r.distances),
                status: r.status.name(),
                status_step: r.status.step(),
            }
        })
        .collect();
    DiagonalReport {
        experiment: "diagonal",
        title: title.to_string(),
        steps,
        references: OrderedMap(references),
        warnings,
        runs,
    }
}

/// Appends the diagonal trace columns to the header `step,run,optimizer`.
pub(super) fn trace_header(header: &mut String) {
    header.push_str(
        ",init_scale,depth,train_loss,l1_norm,l2_norm,distance_min-l1,distance_min-l2,\
         distance_implicit,status",
    );
}

/// Writes one trace row per run at `step` (an empty cell where a reference is missing).
pub(super) fn trace_rows(out: &mut impl Write, step: u64, s: &DiagonalSnapshot) -> io::Result<()> {
    let cell = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:?}"));
    for (i, r) in s.runs.iter().enumerate() {
        writeln!(
            out,
            "{step},{},{},{},{:?},{},{:?},{:?},{:?},{},{},{},{}",
            i + 1,
            csv_text(&r.optimizer.label()),
            r.optimizer.kind.name(),
            r.init_scale,
            r.depth,
            r.train_loss,
            r.l1_norm,
            r.l2_norm,
            cell(r.distances.min_l1),
            cell(r.distances.min_l2),
            cell(r.distances.implicit),
            r.status.name()
        )?;
    }
    Ok(())
}

/// The sweep's metric columns of every run: its final fit, norms and relative distance to each
/// reference (an empty cell where a reference is missing).
pub(super) fn sweep_rows(s: &DiagonalSnapshot) -> Vec<RunRow> {
    s.runs
        .iter()
        .map(|r| {
            let metrics = vec![
                ("train_loss".to_string(), Some(r.train_loss)),
                ("l1_norm".to_string(), Some(r.l1_norm)),
                ("l2_norm".to_string(), Some(r.l2_norm)),
                (format!("distance_{MIN_L1}"), r.distances.min_l1),
                (format!("distance_{MIN_L2}"), r.distances.min_l2),
                (format!("distance_{IMPLICIT}"), r.distances.implicit),
            ];
            RunRow::new(&r.optimizer, r.status, metrics)
        })
        .collect()
}

/// What `check` says of a valid diagonal preset.
pub(super) fn describe(p: &DiagonalProblem) -> String {
    format!(
        "diagonal, {} points in {} features, {} run(s): {}",
        p.data.len(),
        p.data.dim,
        p.runs.len(),
        p.runs
            .iter()
            .map(|r| format!(
                "{} α {} depth {}",
                r.optimizer.label(),
                r.init_scale,
                r.depth
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
