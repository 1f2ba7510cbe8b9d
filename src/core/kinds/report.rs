//! What every kind's reports share: the JSON null rule for diverged runs, CSV cells, the
//! optimizer's hyper-parameters as JSON keys, and a sweep's row of one run.
//!
//! Each kind's `report.rs` builds its `run` JSON, trace CSV and sweep rows from these, so every
//! kind prints numbers, statuses and options the same way.

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::core::kinds::RunStatus;
use crate::core::optim::{HyperValue, OptimizerSpec};

/// A map that keeps insertion order in JSON (references in preset order).
pub(crate) struct OrderedMap<V>(pub(crate) Vec<(String, V)>);

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A kind's `run` report, with `"interrupted": true` after its keys when a signal stopped the
/// run before its steps (its `steps` is then the step reached); absent otherwise, so a finished
/// run's JSON is what it always was.
#[derive(Serialize)]
pub(crate) struct Report<R> {
    #[serde(flatten)]
    body: R,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    interrupted: bool,
}

/// A kind's report as `run` prints it: pretty JSON, marked when `interrupted`.
pub(crate) fn pretty<R: Serialize>(body: R, interrupted: bool) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Report { body, interrupted })
}

/// A run's hyper-parameters beside `lr` (see [`OptimizerSpec::hyper_parameters`]), flattened
/// into its JSON object in preset order.
pub(crate) struct HyperParameters(Vec<(&'static str, HyperValue)>);

impl HyperParameters {
    pub(crate) fn of(optimizer: &OptimizerSpec) -> Self {
        Self(optimizer.hyper_parameters())
    }
}

impl Serialize for HyperParameters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            match *value {
                HyperValue::Number(x) => map.serialize_entry(name, &x)?,
                HyperValue::Pair(a, b) => map.serialize_entry(name, &[a, b])?,
                HyperValue::Flag(on) => map.serialize_entry(name, &on)?,
                HyperValue::Count(n) => map.serialize_entry(name, &n)?,
                HyperValue::Text(text) => map.serialize_entry(name, text)?,
            }
        }
        map.end()
    }
}

/// The keys every kind's run report starts with, in this order: `optimizer`, `label`, `lr`,
/// then the rule's options (flattened into the run's JSON object).
#[derive(Serialize)]
pub(crate) struct RunHead {
    optimizer: &'static str,
    label: String,
    lr: f64,
    #[serde(flatten)]
    hyper_parameters: HyperParameters,
}

impl RunHead {
    /// The head of a run of `optimizer` named `label`.
    pub(crate) fn of(optimizer: &OptimizerSpec, label: String) -> Self {
        Self {
            optimizer: optimizer.kind().name(),
            label,
            lr: optimizer.lr,
            hyper_parameters: HyperParameters::of(optimizer),
        }
    }
}

/// The keys every kind's run report ends with: `status` and the step it took effect.
#[derive(Serialize)]
pub(crate) struct RunEnd {
    status: &'static str,
    status_step: Option<u64>,
}

impl RunEnd {
    /// The end of a run report for `status`.
    pub(crate) fn of(status: RunStatus) -> Self {
        Self {
            status: status.name(),
            status_step: status.step(),
        }
    }
}

/// A number as the reports print it. The rule for a diverged run: every number computed from
/// its parameters is `null` (its last parameters met a NaN or infinity, or are on their way to
/// one, so no digit of them means anything), and so is any other non-finite number. What the
/// preset gave (optimizer, label, lr, init, …) and the status stay.
pub(crate) fn reported(value: f64, status: RunStatus) -> Option<f64> {
    let diverged = matches!(status, RunStatus::Diverged { .. });
    (value.is_finite() && !diverged).then_some(value)
}

/// [`reported`] for each value of a list (the list keeps its length).
pub(crate) fn reported_all(values: &[f64], status: RunStatus) -> Vec<Option<f64>> {
    values.iter().map(|&v| reported(v, status)).collect()
}

/// A CSV cell: `value` as Rust's shortest round-trip form, empty when [`reported`] says null.
pub(crate) fn csv_number(value: f64, status: RunStatus) -> String {
    reported(value, status).map_or_else(String::new, |v| format!("{v:?}"))
}

/// A CSV text cell, quoted (RFC 4180) when it holds a comma, a quote or a line break.
pub(crate) fn csv_text(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The status of a run at a recorded `step`: `ok` before it stopped, its status from then on.
pub(crate) fn status_at(status: RunStatus, step: u64) -> RunStatus {
    match status.step() {
        Some(stopped) if step >= stopped => status,
        _ => RunStatus::Ok,
    }
}

/// The first trace columns, shared by every kind: step, run number, label, optimizer.
pub(crate) const TRACE_KEY_COLUMNS: &str = "step,run,label,optimizer";

/// One line for run `index` (0-based) if it stopped, for the `warnings` list.
pub(crate) fn status_warning(
    index: usize,
    optimizer: &OptimizerSpec,
    status: RunStatus,
) -> Option<String> {
    let label = format!("run {} ({})", index + 1, optimizer.label());
    match status {
        // Reaching the minimiser is the good end of a run on non-separable data, not a warning.
        RunStatus::Ok | RunStatus::Converged { .. } => None,
        RunStatus::Frozen { step } => Some(format!(
            "{label}: frozen at step {step}: the update left the parameters bit-identical \
             (the gradient underflowed, or a floating-point fixed point); it can never move again"
        )),
        RunStatus::Diverged { step } => Some(format!(
            "{label}: diverged at step {step}: a value became NaN or infinite"
        )),
    }
}

/// The optimizer options every sweep row has a column for, in this order (the preset keys of
/// [`OptimizerSpec::hyper_parameters`]): the same header whatever the rules of the runs.
pub const OPTION_COLUMNS: [&str; 9] = [
    "schedule",
    "betas",
    "eps",
    "momentum",
    "nesterov",
    "alpha",
    "normalize",
    "p",
    "batch",
];

/// One run of one point at the end: the columns every kind shares, then its own metrics.
pub struct RunRow {
    pub(crate) label: String,
    pub(crate) optimizer: &'static str,
    pub(crate) lr: f64,
    /// The run's set-up beyond its optimizer (`init_scale`, `depth`) and every option of
    /// [`OPTION_COLUMNS`], as (column, cell); an empty cell where it does not apply.
    pub(crate) setup: Vec<(String, String)>,
    /// The kind's final metrics, named as the CSV header names them; `None` is an empty cell.
    pub(crate) metrics: Vec<(String, Option<f64>)>,
    pub(crate) status: RunStatus,
}

impl RunRow {
    /// A row for a run with `optimizer` that ended with `status`; `label` is the optimizer's
    /// label until runs get labels of their own. `setup` is the kind's own set-up columns
    /// (`init_scale`, `depth`), before the optimizer's options.
    pub(crate) fn new(
        optimizer: &OptimizerSpec,
        setup: Vec<(String, String)>,
        status: RunStatus,
        metrics: Vec<(String, Option<f64>)>,
    ) -> Self {
        let options = optimizer.hyper_parameters();
        let mut setup = setup;
        for column in OPTION_COLUMNS {
            let cell = options
                .iter()
                .find(|(name, _)| *name == column)
                .map_or_else(String::new, |(_, value)| option_cell(*value));
            setup.push((column.to_owned(), cell));
        }
        Self {
            label: optimizer.label(),
            optimizer: optimizer.kind().name(),
            lr: optimizer.lr,
            setup,
            metrics,
            status,
        }
    }

    /// The row with the run's own name, for kinds whose runs have more than an optimizer to
    /// tell them apart (a diagonal run's label noise).
    pub(crate) fn labelled(mut self, label: String) -> Self {
        self.label = label;
        self
    }
}

/// An option's value as a CSV cell: numbers in shortest round-trip form, Adam's betas as
/// `[b1,b2]` (quoted by the writer).
pub(crate) fn option_cell(value: HyperValue) -> String {
    match value {
        HyperValue::Number(x) => format!("{x:?}"),
        HyperValue::Pair(a, b) => format!("[{a:?},{b:?}]"),
        HyperValue::Flag(on) => on.to_string(),
        HyperValue::Count(n) => n.to_string(),
        HyperValue::Text(text) => text.to_owned(),
    }
}
