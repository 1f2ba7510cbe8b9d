//! The headless commands: `run` (JSON on stdout, optional CSV trace), `check`, `presets`,
//! `sweep` (a grid of `--set` values on all cores, CSV) and `merge` (a sweep's shards).
//!
//! These are what scripts, CI and papers rely on, so the output is deterministic (same preset,
//! byte-identical JSON), numbers are printed with round-trip precision, and nothing but the
//! result reaches stdout: progress goes to stderr, and only when stderr is a terminal.

mod interrupt;
mod merge;
mod sweep;

pub use interrupt::Interrupt;
pub use merge::merge;
pub use sweep::{Axis, Shard, SweepOptions, SweepOutcome, sweep};

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use crate::core::experiment::{Experiment, ExperimentSpec};
use crate::core::history::next_log_step;
use crate::core::kinds::report::TRACE_KEY_COLUMNS;
use crate::core::par::Threads;
use crate::preset::{self, PresetInfo};

use interrupt::Pacer;

/// Trace rows per run on the log grid: 50 per decade.
const TRACE_PER_DECADE: f64 = 50.0;
/// At most this many `svd_every` rows per run; beyond it the stride is widened.
const TRACE_MAX_LINEAR_ROWS: u64 = 2000;
/// The progress bar moves this many times over a run (fewer for a short one, see below).
const PROGRESS_UPDATES: u64 = 1000;
/// ... and at least every this many steps, so a long run (`--steps 1e12`) shows its bar and
/// rate at once rather than after its first thousandth.
const PROGRESS_MAX_CHUNK: u64 = 10_000;
/// Fewest steps between two progress updates: a batch this long lets the runs step in parallel
/// (a few µs of hand-over) without the hand-over showing.
const PROGRESS_MIN_CHUNK: u64 = 1_000;

/// The JSON report of an experiment's current state, as `run` prints it.
///
/// # Panics
/// Never in practice: the report holds only strings, numbers and lists, which always serialise.
#[must_use]
pub fn report_json(experiment: &Experiment) -> String {
    json_at(experiment, false)
}

/// [`report_json`], marked `"interrupted": true` when `interrupted`.
fn json_at(experiment: &Experiment, interrupted: bool) -> String {
    let snapshot = experiment.snapshot();
    let title = &experiment.spec().title;
    let step = snapshot.step;
    let text = snapshot.body.kind().report_json(title, step, interrupted);
    text.expect("reports hold only strings, numbers and lists")
}

/// Writes trace rows (one per run) at the steps a [`TraceSchedule`] picks. Numbers use Rust's
/// shortest round-trip form (`{:?}`), so 1e-177 stays short and every value reads back exactly.
struct TraceWriter {
    out: BufWriter<File>,
}

impl TraceWriter {
    fn header(&mut self, experiment: &Experiment) -> std::io::Result<()> {
        let mut header = String::from(TRACE_KEY_COLUMNS);
        experiment.snapshot().body.kind().trace_header(&mut header);
        writeln!(self.out, "{header}")
    }

    fn rows(&mut self, experiment: &Experiment) -> std::io::Result<()> {
        let snapshot = experiment.snapshot();
        snapshot
            .body
            .kind()
            .trace_rows(&mut self.out, snapshot.step)
    }
}

/// The trace CSV (header and rows, as `run --trace` writes them) of a snapshot, rebuilt from
/// its bounded histories: what the dashboard exports. Rows are sorted by step, then run.
#[must_use]
pub fn trace_from_histories(snapshot: &crate::core::experiment::Snapshot) -> String {
    let mut header = String::from(TRACE_KEY_COLUMNS);
    let kind = snapshot.body.kind();
    kind.trace_header(&mut header);
    let mut rows = kind.history_rows();
    rows.sort_by_key(|(step, run, _)| (*step, *run));
    let mut csv = header;
    csv.push('\n');
    let last = rows.last().map(|(step, _, _)| *step);
    for (_, _, row) in rows {
        csv.push_str(&row);
        csv.push('\n');
    }
    // The histories record on a log grid: end with the state on screen, so the trace runs to
    // the snapshot's step and says how each run stands there (`converged @ N` included).
    if last.is_none_or(|step| step < snapshot.step) {
        let mut now = Vec::new();
        let written = kind.trace_rows(&mut now, snapshot.step);
        if written.is_ok() {
            csv.push_str(&String::from_utf8_lossy(&now));
        }
    }
    csv
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
        let stride = spec.problem.trace_stride().map(|every| {
            let every = every.max(1);
            let widen = (steps / every).div_ceil(TRACE_MAX_LINEAR_ROWS).max(1);
            every.saturating_mul(widen)
        });
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

impl From<crate::core::kinds::FigureError> for HeadlessError {
    fn from(e: crate::core::kinds::FigureError) -> Self {
        Self::Message(e.to_string())
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

/// A failed write of `sweep`'s or `merge`'s CSV; a reader that went away (`| head`) is not one.
fn csv_write_error(e: &std::io::Error) -> HeadlessError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        HeadlessError::OutputClosed
    } else {
        HeadlessError::Message(format!("writing the CSV failed: {e}"))
    }
}

/// Runs `spec` for `steps` steps and returns the JSON report; writes a trace when asked.
/// Shows a progress bar on stderr when stderr is a terminal.
///
/// # Errors
/// When the trace file cannot be created or written.
pub fn run(
    spec: ExperimentSpec,
    steps: u64,
    trace: Option<&Path>,
) -> Result<String, HeadlessError> {
    run_with_figure(
        spec,
        steps,
        trace,
        None,
        Threads::default(),
        &Interrupt::never(),
    )
    .map(|done| done.json)
}

/// What `run` produced: the JSON report, and where it stopped if a signal stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The report of the state reached (`"interrupted": true` in it when stopped early).
    pub json: String,
    /// `Some((step reached, steps asked for))` when a signal stopped the run.
    pub interrupted_at: Option<(u64, u64)>,
}

/// [`run`] within `threads` (the results are the same bits on any budget), and also the
/// experiment's SVG figure at the end of the run (`run --svg FILE`), the same figure the
/// dashboard's `e` writes. The file is created before any work, so a path that cannot be
/// written is refused at once. When `interrupt` fires, the run stops between steps and
/// everything (trace to the step reached, figure, JSON) is written for the state reached.
///
/// # Errors
/// When the trace or figure file cannot be created or written.
///
/// # Panics
/// Never in practice: the progress template is a valid constant.
pub fn run_with_figure(
    spec: ExperimentSpec,
    steps: u64,
    trace: Option<&Path>,
    svg: Option<&Path>,
    threads: Threads,
    interrupt: &Interrupt,
) -> Result<RunOutcome, HeadlessError> {
    let figure = match svg {
        None => None,
        Some(path) => Some((
            path,
            File::create(path).map_err(|e| {
                HeadlessError::Message(format!("{}: cannot write the figure: {e}", path.display()))
            })?,
        )),
    };
    let title = spec.title.clone();
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
    // The figure draws the runs' trails; the JSON and the trace read only current states.
    let experiment = if figure.is_some() {
        Experiment::new(spec)
    } else {
        Experiment::final_state_only(spec)
    };
    let mut experiment = experiment.with_threads(threads);
    if let Some(t) = &mut trace {
        t.header(&experiment).map_err(trace_error)?;
        t.rows(&experiment).map_err(trace_error)?;
    }
    let progress = std::io::stderr().is_terminal().then(|| progress_bar(steps));
    let chunk = (steps / PROGRESS_UPDATES).clamp(PROGRESS_MIN_CHUNK, PROGRESS_MAX_CHUNK);
    let mut pacer = Pacer::new(chunk);
    let mut next_record = schedule.next(0);
    let mut last_recorded = 0;
    while experiment.steps_done() < steps && interrupt.signal().is_none() {
        let done = experiment.steps_done();
        let mut target = steps.min(done.saturating_add(pacer.steps()));
        if trace.is_some() {
            target = target.min(next_record);
        }
        let started = Instant::now();
        experiment.step(target - done);
        pacer.took(target - done, started);
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
    let reached = experiment.steps_done();
    if let Some(mut t) = trace {
        if last_recorded != reached {
            t.rows(&experiment).map_err(trace_error)?;
        }
        t.out.flush().map_err(trace_error)?;
    }
    if let Some((path, mut file)) = figure {
        let text = crate::figure::experiment_svg(&experiment.snapshot(), &title)?;
        file.write_all(text.as_bytes()).map_err(|e| {
            HeadlessError::Message(format!(
                "{}: writing the figure failed: {e}",
                path.display()
            ))
        })?;
    }
    let interrupted_at = (reached < steps).then_some((reached, steps));
    Ok(RunOutcome {
        json: json_at(&experiment, interrupted_at.is_some()),
        interrupted_at,
    })
}

/// `run`'s progress bar over `steps` steps, with a readable rate (see [`rate`]).
fn progress_bar(steps: u64) -> indicatif::ProgressBar {
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
}

/// A one-paragraph summary of a valid preset, for `check`.
#[must_use]
pub fn describe(spec: &ExperimentSpec) -> String {
    let what = spec.problem.describe();
    format!("ok: {} ({what}; {} steps)", spec.title, spec.horizon)
}

/// A rate in steps per second, two or three significant digits: `0.47`, `3.8`, `15`, `960`,
/// `3.8k`, `246k`, `1.2M`, for the progress bar and the dashboard's speed label (whose slow
/// motion needs the fractions; indicatif's own `{per_sec}` prints `3,165,255.7122/s`).
#[must_use]
pub fn rate(x: f64) -> String {
    if !x.is_finite() || x <= 0.0 {
        return "0".to_owned();
    }
    let (value, suffix) = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
        .into_iter()
        .find(|(unit, _)| x >= *unit * 0.9995)
        .map_or((x, ""), |(unit, suffix)| (x / unit, suffix));
    let decimals = if value < 1.0 {
        2
    } else {
        usize::from(value < 9.95)
    };
    let text = format!("{value:.decimals$}");
    // `3` rather than `3.0`, `1k` rather than `1.0k`.
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}{suffix}")
}

/// `presets NAME`: the preset's title, its file and its whole about text, wrapped at 80
/// columns (the picker and the status line only have room for the title).
///
/// # Errors
/// An unknown name, with the nearest names and the list to choose from.
pub fn preset_about(presets: &[PresetInfo], name: &str) -> Result<String, HeadlessError> {
    let Some(found) = presets.iter().find(|p| p.name == name) else {
        let mut names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
        let nearest = names
            .iter()
            .copied()
            .min_by_key(|n| strsim::levenshtein(n, name));
        names.sort_unstable();
        let hint = nearest
            .filter(|n| strsim::levenshtein(n, name) <= 3)
            .map(|n| format!("did you mean `{n}`? "))
            .unwrap_or_default();
        return Err(HeadlessError::Message(format!(
            "no preset named `{name}`; {hint}the presets are: {}",
            names.join(", ")
        )));
    };
    let mut text = format!(
        "{}\n{}\n{}\n",
        found.name,
        found.title,
        found.path.display()
    );
    let mut line = String::new();
    for paragraph in found.about.split("\n\n") {
        text.push('\n');
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 80 {
                writeln!(text, "{line}").ok();
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            writeln!(text, "{line}").ok();
            line.clear();
        }
    }
    Ok(text.trim_end().to_owned())
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
