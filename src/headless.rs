//! The headless commands: `run` (JSON on stdout, optional CSV trace), `check` and `presets`.
//!
//! These are what scripts, CI and papers rely on, so the output is deterministic (same preset,
//! byte-identical JSON), numbers are printed with round-trip precision, and nothing but the
//! result reaches stdout: progress goes to stderr, and only when stderr is a terminal.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::core::experiment::{
    Experiment, ExperimentSpec, LinearSnapshot, MatrixSnapshot, Problem, RunStatus, SnapshotBody,
};
use crate::core::history::next_log_step;
use crate::core::optim::OptimizerSpec;
use crate::preset::{self, PresetInfo};

/// Trace rows per run on the log grid: 50 per decade.
const TRACE_PER_DECADE: f64 = 50.0;
/// At most this many `svd_every` rows per run; beyond it the stride is widened.
const TRACE_MAX_LINEAR_ROWS: u64 = 2000;
/// The progress bar moves at least this many times over a run.
const PROGRESS_UPDATES: u64 = 1000;
/// ... and at least every this many steps, so a long run (`--steps 1e12`) shows its bar and
/// rate at once rather than after its first thousandth.
const PROGRESS_MAX_CHUNK: u64 = 10_000;

/// A map that keeps insertion order in JSON (references in preset order).
struct OrderedMap<V>(Vec<(String, V)>);

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

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
    status: &'static str,
    status_step: Option<u64>,
}

#[derive(Serialize)]
struct MatrixReport {
    experiment: &'static str,
    title: String,
    steps: u64,
    runs: Vec<MatrixRunReport>,
    references: OrderedMap<NuclearReport>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct MatrixRunReport {
    optimizer: &'static str,
    lr: f64,
    init_scale: f64,
    singular_values: Vec<f64>,
    train_loss: f64,
    test_error: f64,
    nuclear_norm: f64,
    effective_rank: f64,
    status: &'static str,
    status_step: Option<u64>,
}

#[derive(Serialize)]
struct NuclearReport {
    singular_values: Vec<f64>,
    test_error: f64,
    nuclear_norm: f64,
    converged: bool,
}

/// One line for run `index` (0-based) if it stopped, for the `warnings` list.
fn status_warning(index: usize, optimizer: &OptimizerSpec, status: RunStatus) -> Option<String> {
    let label = format!("run {} ({})", index + 1, optimizer.label());
    match status {
        RunStatus::Ok => None,
        RunStatus::Frozen { step } => Some(format!(
            "{label}: frozen at step {step}: the update left the parameters bit-identical \
             (the gradient underflowed, or a floating-point fixed point); it can never move again"
        )),
        RunStatus::Diverged { step } => Some(format!(
            "{label}: diverged at step {step}: a value became NaN or infinite"
        )),
    }
}

fn linear_report(title: &str, steps: u64, s: &LinearSnapshot) -> LinearReport {
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

fn matrix_report(title: &str, steps: u64, s: &MatrixSnapshot) -> MatrixReport {
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
    let mut references = vec![];
    warnings.extend(s.reference_note.clone());
    if let Some(r) = &s.reference {
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
    MatrixReport {
        experiment: "matrix",
        title: title.to_string(),
        steps,
        runs,
        references: OrderedMap(references),
        warnings,
    }
}

/// The JSON report of an experiment's current state, as `run` prints it.
///
/// # Panics
/// Never in practice: the report holds only strings, numbers and lists, which always serialise.
#[must_use]
pub fn report_json(experiment: &Experiment) -> String {
    let snapshot = experiment.snapshot();
    let title = &experiment.spec().title;
    let text = match &snapshot.body {
        SnapshotBody::Linear(s) => {
            serde_json::to_string_pretty(&linear_report(title, snapshot.step, s))
        }
        SnapshotBody::Matrix(s) => {
            serde_json::to_string_pretty(&matrix_report(title, snapshot.step, s))
        }
    };
    text.expect("reports hold only strings, numbers and lists")
}

/// Writes trace rows (one per run) at the steps a [`TraceSchedule`] picks. Numbers use Rust's
/// shortest round-trip form (`{:?}`), so 1e-177 stays short and every value reads back exactly.
struct TraceWriter {
    out: BufWriter<File>,
}

impl TraceWriter {
    fn header(&mut self, experiment: &Experiment) -> std::io::Result<()> {
        let mut header = String::from("step,run,optimizer");
        match &experiment.snapshot().body {
            SnapshotBody::Linear(s) => {
                header.push_str(",loss,norm,margin,status");
                for (norm, _) in &s.references {
                    write!(header, ",angle_{}", norm.name()).ok();
                }
                for j in 1..=s.dim {
                    write!(header, ",w{j}").ok();
                }
            }
            SnapshotBody::Matrix(s) => {
                header.push_str(",train_loss,test_error,nuclear_norm,effective_rank,status");
                let count = s.runs.first().map_or(0, |r| r.singular_values.len());
                for j in 1..=count {
                    write!(header, ",sigma{j}").ok();
                }
            }
        }
        writeln!(self.out, "{header}")
    }

    fn rows(&mut self, experiment: &Experiment) -> std::io::Result<()> {
        let snapshot = experiment.snapshot();
        let step = snapshot.step;
        match &snapshot.body {
            SnapshotBody::Linear(s) => {
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
                    writeln!(self.out, "{row}")?;
                }
            }
            SnapshotBody::Matrix(s) => {
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
                    writeln!(self.out, "{row}")?;
                }
            }
        }
        Ok(())
    }
}

/// Which steps a trace records: a log grid, plus every `svd_every` steps for matrices (widened
/// so that no run writes more than `TRACE_MAX_LINEAR_ROWS` of those).
#[derive(Debug, Clone, Copy)]
pub struct TraceSchedule {
    stride: Option<u64>,
}

impl TraceSchedule {
    /// The schedule for `spec` over `steps` steps.
    #[must_use]
    pub fn new(spec: &ExperimentSpec, steps: u64) -> Self {
        let stride = match spec.problem {
            Problem::Linear(_) => None,
            Problem::Matrix(_) => {
                let every = spec.svd_every.max(1);
                let widen = (steps / every).div_ceil(TRACE_MAX_LINEAR_ROWS).max(1);
                Some(every.saturating_mul(widen))
            }
        };
        Self { stride }
    }

    /// The first recorded step after `step`.
    #[must_use]
    pub fn next(&self, step: u64) -> u64 {
        let log = next_log_step(step, TRACE_PER_DECADE);
        match self.stride {
            Some(stride) => log.min((step / stride + 1).saturating_mul(stride)),
            None => log,
        }
    }
}

/// Why a headless command stopped early.
#[derive(Debug)]
pub enum HeadlessError {
    /// A failure, already worded for the user.
    Message(String),
    /// An output's reader went away (`--trace /dev/stdout | head`): not a failure, the command
    /// ends quietly as other command-line tools do.
    OutputClosed,
}

impl From<String> for HeadlessError {
    fn from(message: String) -> Self {
        Self::Message(message)
    }
}

impl std::fmt::Display for HeadlessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Message(message) => f.write_str(message),
            Self::OutputClosed => f.write_str("the output was closed by its reader"),
        }
    }
}

impl std::error::Error for HeadlessError {}

/// Runs `spec` for `steps` steps and returns the JSON report; writes a trace when asked.
/// Shows a progress bar on stderr when stderr is a terminal.
///
/// # Errors
/// When the trace file cannot be created or written.
///
/// # Panics
/// Never in practice: the progress template is a valid constant.
pub fn run(
    spec: ExperimentSpec,
    steps: u64,
    trace: Option<&Path>,
) -> Result<String, HeadlessError> {
    let mut trace = match trace {
        None => None,
        Some(path) => Some(TraceWriter {
            out: BufWriter::new(File::create(path).map_err(|e| {
                HeadlessError::Message(format!(
                    "{}: cannot write the trace file: {e}",
                    path.display()
                ))
            })?),
        }),
    };
    let trace_error = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            HeadlessError::OutputClosed
        } else {
            HeadlessError::Message(format!("writing the trace failed: {e}"))
        }
    };
    let schedule = TraceSchedule::new(&spec, steps);
    let mut experiment = Experiment::new(spec);
    if let Some(t) = &mut trace {
        t.header(&experiment).map_err(trace_error)?;
        t.rows(&experiment).map_err(trace_error)?;
    }
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(steps);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} steps, {rate} steps/s, eta {eta}",
            )
            .expect("the template is valid")
            .with_key(
                "rate",
                |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                    write!(out, "{}", rate(state.per_sec())).ok();
                },
            )
            .progress_chars("=> "),
        );
        bar
    });
    let chunk = (steps / PROGRESS_UPDATES).clamp(1, PROGRESS_MAX_CHUNK);
    let mut next_record = schedule.next(0);
    let mut last_recorded = 0;
    while experiment.steps_done() < steps {
        let done = experiment.steps_done();
        let mut target = steps.min(done.saturating_add(chunk));
        if trace.is_some() {
            target = target.min(next_record);
        }
        experiment.step(target - done);
        if let Some(t) = &mut trace
            && target == next_record
        {
            t.rows(&experiment).map_err(trace_error)?;
            last_recorded = target;
            next_record = schedule.next(target);
        }
        if let Some(bar) = &progress {
            bar.set_position(target);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(mut t) = trace {
        if last_recorded != steps {
            t.rows(&experiment).map_err(trace_error)?;
        }
        t.out.flush().map_err(trace_error)?;
    }
    Ok(report_json(&experiment))
}

/// A one-paragraph summary of a valid preset, for `check`.
#[must_use]
pub fn describe(spec: &ExperimentSpec) -> String {
    let what = match &spec.problem {
        Problem::Linear(p) => format!(
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
        ),
        Problem::Matrix(p) => format!(
            "matrix, {}×{} with {} observed entries, width {}, {} run(s): {}",
            p.data.target.nrows(),
            p.data.target.ncols(),
            p.data.mask.iter().filter(|&&m| m == 1.0).count(),
            p.width,
            p.runs.len(),
            p.runs
                .iter()
                .map(|r| format!("{} init {}", r.optimizer.label(), r.init_scale))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("ok: {} ({what}; {} steps)", spec.title, spec.horizon)
}

/// A rate such as `1.25M`, `830k`, `42`: three significant digits at most, for the progress bar
/// and the dashboard's status line (indicatif's own `{per_sec}` prints `3,165,255.7122/s`).
#[must_use]
pub fn rate(x: f64) -> String {
    if !x.is_finite() || x < 0.5 {
        "0".to_owned()
    } else if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// The `presets` listing: one line per preset, `name<TAB>title`, or `name<TAB>broken: <error>`
/// for a preset that would not load (so a listed name is one that `run` accepts).
#[must_use]
pub fn presets_listing(presets: &[PresetInfo]) -> String {
    let mut listing = String::new();
    for p in presets {
        match preset::load(&p.path) {
            Ok(_) => writeln!(listing, "{}\t{}", p.name, p.title),
            Err(e) => writeln!(
                listing,
                "{}\tbroken: {}",
                p.name,
                e.to_string().replace('\n', " ")
            ),
        }
        .ok();
    }
    listing
}
