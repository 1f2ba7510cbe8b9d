//! The headless output of a diagonal-network experiment: its JSON report, its trace columns and
//! its one-line `check` summary.

use std::io::{self, Write};

use serde::Serialize;

use super::engine::{
    DIAGONAL_HISTORY_FIELDS, DiagonalDistances, DiagonalProblem, DiagonalRunSnapshot,
    DiagonalSnapshot, alpha_range, run_label,
};
use crate::core::kinds::RunStatus;
use crate::core::kinds::report::{
    OrderedMap, RunEnd, RunHead, RunRow, csv_number, csv_text, reported, reported_all, status_at,
    status_warning,
};
use crate::core::reference::InterpolationError;

/// The references' names, as in the JSON and the trace columns.
const MIN_L1: &str = "min-l1";
/// See [`MIN_L1`].
const MIN_L2: &str = "min-l2";
/// See [`MIN_L1`].
const IMPLICIT: &str = "implicit";
/// The name of a run's effective (finite-step) target in `distances` and the CSV columns.
const EFFECTIVE: &str = "effective";

/// DiagonalReport: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
pub(super) struct DiagonalReport {
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
    #[serde(flatten)]
    head: RunHead,
    init_scale: f64,
    depth: u32,
    w: Vec<Option<f64>>,
    train_loss: Option<f64>,
    l1_norm: Option<f64>,
    l2_norm: Option<f64>,
    implicit: Option<Vec<f64>>,
    /// α∞ per coordinate for depth-2 runs whose steps multiply the factors; else null.
    effective_alpha: Option<Vec<Option<f64>>>,
    /// δ per coordinate with α∞: the target is w = 2α∞² sinh(δ + Xᵀν) with Xw = y.
    effective_delta: Option<Vec<Option<f64>>>,
    /// Their effective (finite-step) target; null where none is known or it could not be solved.
    effective_target: Option<Vec<f64>>,
    distances: OrderedMap<Option<f64>>,
    #[serde(flatten)]
    end: RunEnd,
}

/// The distances that exist, in the order min-l1, min-l2, implicit; none for a diverged run
/// (its `{}`, like a diverged linear run's angles: the rule of [`reported`]).
fn distances(d: &DiagonalDistances, status: RunStatus) -> OrderedMap<Option<f64>> {
    OrderedMap(
        [
            (MIN_L1, d.min_l1),
            (MIN_L2, d.min_l2),
            (IMPLICIT, d.implicit),
            (EFFECTIVE, d.effective),
        ]
        .into_iter()
        .filter(|_| !matches!(status, RunStatus::Diverged { .. }))
        .filter_map(|(name, value)| value.map(|v| (name.to_string(), reported(v, status))))
        .collect(),
    )
}

/// The report of the snapshot, with a warning for each reason references are missing (the
/// references it applies to named together, so non-interpolable data is said once) and for each
/// stopped run.
pub(super) fn report(title: &str, steps: u64, s: &DiagonalSnapshot) -> DiagonalReport {
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
        // A diverged run's missing target is said by its own status warning.
        let diverged = matches!(run.status, RunStatus::Diverged { .. });
        if let (Some(Err(e)), false) = (run.effective.as_ref().map(|t| &t.weights), diverged) {
            note(format!("run {} {EFFECTIVE}", i + 1), e);
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
            if let Some(step) = r.effective.as_ref().and_then(|e| e.flipped) {
                warnings.push(format!(
                    "run {} ({}): step {step} flipped a factor's sign (a step with |x| ≥ 1, \
                     large for that coordinate); the effective target still holds, as it \
                     depends on u² and v² only",
                    i + 1,
                    r.label()
                ));
            }
            DiagonalRunReport {
                head: RunHead::of(&r.optimizer, r.label()),
                init_scale: r.init_scale,
                depth: r.depth,
                w: reported_all(&r.w, r.status),
                train_loss: reported(r.train_loss, r.status),
                l1_norm: reported(r.l1_norm, r.status),
                l2_norm: reported(r.l2_norm, r.status),
                implicit: r.implicit.as_ref().ok().cloned(),
                effective_alpha: r
                    .effective
                    .as_ref()
                    .map(|t| reported_all(&t.alpha, r.status)),
                effective_delta: r
                    .effective
                    .as_ref()
                    .map(|t| reported_all(&t.delta, r.status)),
                effective_target: r
                    .effective
                    .as_ref()
                    .filter(|_| !matches!(r.status, RunStatus::Diverged { .. }))
                    .and_then(|t| t.weights.as_ref().ok().cloned()),
                distances: distances(&r.distances, r.status),
                end: RunEnd::of(r.status),
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
pub(super) fn trace_header(header: &mut String, _: &DiagonalSnapshot) {
    header.push_str(
        ",init_scale,depth,train_loss,l1_norm,l2_norm,distance_min-l1,distance_min-l2,\
         distance_implicit,distance_effective,effective_alpha_min,effective_alpha_gmean,\
         effective_alpha_max,status",
    );
}

/// The numbers of one trace row, from the snapshot or from one history record.
struct RowValues {
    train_loss: f64,
    l1_norm: f64,
    l2_norm: f64,
    /// To min-ℓ1, min-ℓ2, the implicit and the effective target: NaN where one is missing.
    distances: [f64; 4],
    /// α∞'s minimum, geometric mean and maximum: NaN where no effective target is known.
    effective_alpha: [f64; 3],
    status: RunStatus,
}

/// One trace row of run `index` (0-based): what the preset gave (α, D) as is, every computed
/// number through [`csv_number`] (an empty cell where a reference is missing, for a non-finite
/// value, and for every number of a diverged row).
fn row(step: u64, index: usize, run: &DiagonalRunSnapshot, at: &RowValues) -> String {
    let status = at.status;
    let [min_l1, min_l2, implicit, effective] = at.distances.map(|d| csv_number(d, status));
    let [low, mean, high] = at.effective_alpha.map(|a| csv_number(a, status));
    format!(
        "{step},{},{},{},{:?},{},{},{},{},{min_l1},{min_l2},{implicit},{effective},{low},{mean},\
         {high},{}",
        index + 1,
        csv_text(&run.label()),
        run.optimizer.kind().name(),
        run.init_scale,
        run.depth,
        csv_number(at.train_loss, status),
        csv_number(at.l1_norm, status),
        csv_number(at.l2_norm, status),
        status.name()
    )
}

/// Writes one trace row per run at `step`.
pub(super) fn trace_rows(out: &mut impl Write, step: u64, s: &DiagonalSnapshot) -> io::Result<()> {
    let missing_as_nan = |d: Option<f64>| d.unwrap_or(f64::NAN);
    for (i, r) in s.runs.iter().enumerate() {
        let at = RowValues {
            train_loss: r.train_loss,
            l1_norm: r.l1_norm,
            l2_norm: r.l2_norm,
            distances: [
                r.distances.min_l1,
                r.distances.min_l2,
                r.distances.implicit,
                r.distances.effective,
            ]
            .map(missing_as_nan),
            effective_alpha: alpha_summary(r),
            status: r.status,
        };
        writeln!(out, "{}", row(step, i, r, &at))?;
    }
    Ok(())
}

/// The trace rows the runs' bounded histories hold, as (step, run, row): the dashboard's
/// export. Each record holds the [`DIAGONAL_HISTORY_FIELDS`].
pub(super) fn history_rows(s: &DiagonalSnapshot) -> Vec<(u64, usize, String)> {
    let mut rows = Vec::new();
    for (i, r) in s.runs.iter().enumerate() {
        for (step, record) in r.history.iter() {
            let [
                l1_norm,
                implicit,
                min_l1,
                min_l2,
                train_loss,
                l2_norm,
                effective,
                alpha_min,
                alpha_gmean,
                alpha_max,
            ] = <[f64; DIAGONAL_HISTORY_FIELDS.len()]>::try_from(record)
                .expect("a diagonal history record holds its fields");
            let at = RowValues {
                train_loss,
                l1_norm,
                l2_norm,
                distances: [min_l1, min_l2, implicit, effective],
                effective_alpha: [alpha_min, alpha_gmean, alpha_max],
                status: status_at(r.status, step),
            };
            rows.push((step, i, row(step, i, r, &at)));
        }
    }
    rows
}

/// The sweep's metric columns of every run: its final fit, norms and relative distance to each
/// reference (an empty cell where a reference is missing).
pub(super) fn sweep_rows(s: &DiagonalSnapshot) -> Vec<RunRow> {
    s.runs
        .iter()
        .map(|r| {
            let mut metrics = vec![
                ("train_loss".to_string(), Some(r.train_loss)),
                ("l1_norm".to_string(), Some(r.l1_norm)),
                ("l2_norm".to_string(), Some(r.l2_norm)),
                (format!("distance_{MIN_L1}"), r.distances.min_l1),
                (format!("distance_{MIN_L2}"), r.distances.min_l2),
                (format!("distance_{IMPLICIT}"), r.distances.implicit),
                (format!("distance_{EFFECTIVE}"), r.distances.effective),
            ];
            let [low, mean, high] = alpha_summary(r);
            let known = |v: f64| (!v.is_nan()).then_some(v);
            metrics.extend([
                ("effective_alpha_min".to_owned(), known(low)),
                ("effective_alpha_gmean".to_owned(), known(mean)),
                ("effective_alpha_max".to_owned(), known(high)),
            ]);
            let noise = r.label_noise;
            let setup = vec![
                ("init_scale".to_owned(), format!("{:?}", r.init_scale)),
                ("depth".to_owned(), r.depth.to_string()),
                (
                    "label_noise".to_owned(),
                    noise.map_or_else(String::new, |n| format!("{:?}", n.sigma)),
                ),
                (
                    "label_noise_decay".to_owned(),
                    noise
                        .and_then(|n| n.decay)
                        .map_or_else(String::new, |t| format!("{t:?}")),
                ),
            ];
            RunRow::new(&r.optimizer, setup, r.status, metrics).labelled(r.label())
        })
        .collect()
}

/// α∞'s (minimum, geometric mean, maximum); NaN where no effective target is known.
fn alpha_summary(r: &DiagonalRunSnapshot) -> [f64; 3] {
    r.effective
        .as_ref()
        .map_or([f64::NAN; 3], |t| alpha_range(&t.alpha))
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
                run_label(&r.optimizer, r.label_noise),
                r.init_scale,
                r.depth
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// No rows beside the log grid: every column is cheap at any step.
pub(super) fn trace_stride(_: &super::DiagonalProblem) -> Option<u64> {
    None
}
