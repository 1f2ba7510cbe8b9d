//! The network kind's headless output: its `run` JSON report, its `--trace` CSV columns, its
//! `sweep` rows and its one-line `check` summary.
//!
//! The rules are every kind's (`core/kinds/report.rs`): a number computed from a diverged run's
//! parameters, and any non-finite number, is `null` in the JSON and an empty CSV cell; what the
//! preset gave (optimizer, label, lr) stays.
//!
//! The sharpness is reported where it was measured: the JSON has the latest measurement, and a
//! trace row has it only at a step that is a multiple of `sharpness_every` (its cell is empty at
//! other logged steps). `preconditioned_sharpness` appears (a JSON key, a last CSV column) only
//! for runs of Adam and RMSprop, or any run at all for the column.
//!
//! Every run names the network it trains (`architecture`, in the JSON and in a sweep row); a run
//! of its own widths also has its own `parameters`, and its label ends in them
//! (`gd lr=0.2 widths=[10]`), which the trace's and sweep's label column carry.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use super::engine::{CurvatureEstimate, NetworkRecord, NetworkRunSnapshot, NetworkSnapshot};
use super::problem::{NetworkInit, NetworkProblem};
use crate::core::kinds::RunStatus;
use crate::core::kinds::report::{
    RunEnd, RunHead, RunRow, csv_number, csv_text, reported, status_at, status_warning,
};

/// The network report: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
pub struct NetworkReport {
    experiment: &'static str,
    title: String,
    steps: u64,
    /// `1→30→20→1 tanh`.
    architecture: String,
    bias: bool,
    loss: &'static str,
    parameters: usize,
    sharpness_every: u64,
    warnings: Vec<String>,
    runs: Vec<NetworkRunReport>,
}

/// One run of the report: serialised as is, so the field order is the JSON's.
#[derive(Serialize)]
struct NetworkRunReport {
    #[serde(flatten)]
    head: RunHead,
    init_scale: f64,
    /// The network this run trains (`1→10→1 tanh`): the report's own unless the run has its
    /// own widths, so a reader of one run needs nothing else.
    architecture: String,
    /// Its parameter count, only for a run of its own widths (the report's `parameters` is the
    /// `[model]` network's).
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<usize>,
    train_loss: Option<f64>,
    /// The latest λ_max(H); null before the first measurement, with it off, or diverged.
    sharpness: Option<f64>,
    /// The step of that measurement.
    sharpness_step: Option<u64>,
    /// The top-k eigenvalues, when more than one is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    eigenvalues: Option<Vec<Option<f64>>>,
    /// The rule's threshold at the last step; null for rules without one.
    threshold: Option<f64>,
    /// λ_max(P⁻¹H), for Adam and RMSprop only (absent for the others): a number, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    preconditioned_sharpness: Option<serde_json::Value>,
    #[serde(flatten)]
    end: RunEnd,
}

/// The report of the snapshot, with a warning for each stopped run.
#[must_use]
pub fn report(title: &str, steps: u64, s: &NetworkSnapshot) -> NetworkReport {
    let mut warnings = vec![];
    let runs = s
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            warnings.extend(status_warning(i, &r.optimizer, r.status));
            let estimate = r.curvature.as_ref();
            NetworkRunReport {
                head: RunHead::of(&r.optimizer, r.label.clone()),
                init_scale: r.init_scale,
                architecture: r.architecture.summary(),
                parameters: Some(r.architecture.parameter_count()).filter(|_| r.own_architecture),
                train_loss: reported(r.train_loss, r.status),
                sharpness: reported(r.sharpness, r.status),
                sharpness_step: estimate.map(|e| e.step),
                eigenvalues: estimate.filter(|_| s.top_k > 1).map(|e| {
                    e.eigenvalues
                        .iter()
                        .map(|&v| reported(v, r.status))
                        .collect()
                }),
                threshold: r.threshold.and_then(|t| reported(t, RunStatus::Ok)),
                preconditioned_sharpness: r
                    .preconditioned_sharpness
                    .map(|p| serde_json::json!(reported(p, r.status))),
                end: RunEnd::of(r.status),
            }
        })
        .collect();
    NetworkReport {
        experiment: "network",
        title: title.to_owned(),
        steps,
        architecture: s.architecture.summary(),
        bias: s.architecture.bias,
        loss: s.architecture.loss.name(),
        parameters: s.parameters,
        sharpness_every: s.sharpness_every,
        warnings,
        runs,
    }
}

/// Whether any run has a preconditioned sharpness, so the trace has its column.
fn has_preconditioned(s: &NetworkSnapshot) -> bool {
    s.runs.iter().any(|r| r.preconditioned_sharpness.is_some())
}

/// Appends the network trace columns to the key columns `step,run,label,optimizer`:
/// `lr,train_loss,sharpness,threshold,status`, then `preconditioned_sharpness` when any run
/// has one.
pub fn trace_header(header: &mut String, s: &NetworkSnapshot) {
    header.push_str(",lr,train_loss,sharpness,threshold,status");
    if has_preconditioned(s) {
        header.push_str(",preconditioned_sharpness");
    }
}

/// One trace row of run `index` (0-based) from the record `at` (NaN for an empty cell) and the
/// run's status then; the preconditioned cell only with `column`, empty for runs without one.
fn row(
    index: usize,
    run: &NetworkRunSnapshot,
    at: &NetworkRecord,
    status: RunStatus,
    column: bool,
) -> String {
    let step = at.step;
    let mut line = format!(
        "{step},{},{},{},{:?},{},{},{},{}",
        index + 1,
        csv_text(&run.label),
        run.optimizer.kind().name(),
        run.lr,
        csv_number(at.train_loss, status),
        csv_number(at.sharpness, status),
        csv_number(at.threshold, RunStatus::Ok),
        status.name()
    );
    if column {
        write!(line, ",{}", csv_number(at.preconditioned, status)).ok();
    }
    line
}

/// Writes one trace row per run at `step`: the sharpness cells only where the latest
/// measurement was taken at `step`.
///
/// # Errors
/// When `out` cannot be written.
pub fn trace_rows(out: &mut impl Write, step: u64, s: &NetworkSnapshot) -> io::Result<()> {
    let column = has_preconditioned(s);
    for (i, r) in s.runs.iter().enumerate() {
        let here = r.curvature.as_ref().filter(|e| e.step == step);
        let (a, b) = r.factors().unwrap_or((f64::NAN, f64::NAN));
        let at = NetworkRecord {
            step,
            train_loss: r.train_loss,
            sharpness: here.map_or(f64::NAN, CurvatureEstimate::sharpness),
            threshold: r.threshold.unwrap_or(f64::NAN),
            preconditioned: here.and_then(|e| e.preconditioned).unwrap_or(f64::NAN),
            a,
            b,
        };
        writeln!(out, "{}", row(i, r, &at, r.status, column))?;
    }
    Ok(())
}

/// The trace rows the runs' bounded histories hold, as (step, run, row): the dashboard's
/// export.
#[must_use]
pub fn history_rows(s: &NetworkSnapshot) -> Vec<(u64, usize, String)> {
    let column = has_preconditioned(s);
    let mut rows = Vec::new();
    for (i, r) in s.runs.iter().enumerate() {
        for at in r.history.named() {
            let status = status_at(r.status, at.step);
            rows.push((at.step, i, row(i, r, &at, status, column)));
        }
    }
    rows
}

/// The sweep's columns of every run: its set-up, `init_scale` and `architecture` (the network
/// it trains, `1→10→1 tanh`, as in the `run` JSON: a run of its own widths, or a swept
/// `model.widths`, says what was run), then its final loss, sharpness, threshold and (empty
/// where the rule has none) preconditioned sharpness. The edge-of-stability law reads off
/// them: sharpness/threshold → 1 over a grid of `lr`.
#[must_use]
pub fn sweep_rows(s: &NetworkSnapshot) -> Vec<RunRow> {
    s.runs
        .iter()
        .map(|r| {
            let setup = vec![
                ("init_scale".to_owned(), format!("{:?}", r.init_scale)),
                ("architecture".to_owned(), r.architecture.summary()),
            ];
            let metrics = vec![
                ("train_loss".to_owned(), Some(r.train_loss)),
                ("sharpness".to_owned(), Some(r.sharpness)),
                ("threshold".to_owned(), r.threshold),
                (
                    "preconditioned_sharpness".to_owned(),
                    r.preconditioned_sharpness,
                ),
            ];
            RunRow::new(&r.optimizer, setup, r.status, metrics).labelled(r.label.clone())
        })
        .collect()
}

/// What `check` says of a valid network preset.
#[must_use]
pub fn describe(p: &NetworkProblem) -> String {
    let a = &p.architecture;
    let init = match &p.init {
        NetworkInit::LeCun { scale } => format!("LeCun init × {scale}"),
        NetworkInit::Explicit(_) => "init from files".to_owned(),
    };
    let sharpness = match p.sharpness_every {
        0 => "sharpness off".to_owned(),
        every => format!("sharpness every {every} steps"),
    };
    format!(
        "network, {} points in {} feature(s), {} {} biases, {} loss, {} parameters, {init}, \
         {sharpness}, {} run(s): {}",
        p.data.len(),
        p.data.dim,
        a.summary(),
        if a.bias { "with" } else { "without" },
        a.loss.name(),
        a.parameter_count(),
        p.runs.len(),
        (0..p.runs.len())
            .map(|i| p.label(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// No rows beside the log grid: every column is cheap at any step.
pub(super) fn trace_stride(_: &super::NetworkProblem) -> Option<u64> {
    None
}
