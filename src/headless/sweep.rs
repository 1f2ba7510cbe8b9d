//! `sweep`: one preset run over a grid of `--set` values × seeds, points in parallel, one CSV.
//!
//! The grid is the cartesian product of each `--set KEY=V1,V2,...` list (the first `--set`
//! varies slowest) × `--seeds N` seeds (the point's seed, +1, …, varying fastest); `point` is
//! the 0-based index over it. Every point's spec is loaded and checked before anything runs, so
//! a bad value anywhere in the grid costs nothing. `--jobs` points run at once (default: one per
//! thread of the budget, `--threads`), each with an even share of the budget for its own runs
//! and products, and the rows are written in point order, so the CSV is byte-identical whatever
//! `--jobs` and `--threads` are;
//! `--shard K/N` keeps the points with `point mod N == K` so Slurm array tasks (or GNU parallel
//! jobs) can split a grid, and `merge` puts the shards back together.
//!
//! The columns: `point`, one per swept key (as given), `seed`, `run`, `label`, `optimizer`, `lr`,
//! the run's effective set-up (`init_scale` and `depth` for matrix and diagonal runs, `init_scale`
//! and `architecture` for network runs, then every
//! optimizer option in [`OPTION_COLUMNS`], empty where the rule has no such option), so a
//! row always says what was run whatever was swept; then the kind's final metrics (each kind's headless module names them in its `sweep_rows`),
//! `status`, `status_step`.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::interrupt::{Interrupt, Pacer};
use super::{HeadlessError, csv_write_error};
use crate::core::experiment::{Experiment, ExperimentSpec};
use crate::core::kinds::report::{RunRow, reported};
use crate::core::par::Threads;
use crate::preset::{self, Override};

/// One swept key and its values, from `--set KEY=V1,V2,...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The dotted key as given, also the CSV column's name.
    pub key: String,
    /// The values in the order given, each TOML text or a bare word.
    pub values: Vec<String>,
}

impl Axis {
    /// Splits `KEY=V1,V2,...` at the commas outside brackets, braces and quotes, so
    /// `runs.1.init=[1.0,2.0],[0.0,1.0]` is two values.
    ///
    /// # Errors
    /// When the argument is not `KEY=VALUES`, a value is empty or holds a line break.
    pub fn parse(argument: &str) -> Result<Self, String> {
        let single = Override::parse(argument)?;
        let values = split_top_level(&single.value);
        if values.iter().any(|v| v.trim().is_empty()) {
            return Err(format!(
                "`{argument}` has an empty value in its list; write KEY=V1,V2,... with a \
                 value between every two commas"
            ));
        }
        if values.iter().any(|v| v.contains(['\n', '\r'])) {
            return Err(format!(
                "`{argument}`: a value holds a line break; write each value on one line"
            ));
        }
        Ok(Self {
            key: single.key,
            values: values.into_iter().map(|v| v.trim().to_string()).collect(),
        })
    }
}

/// `text` split at commas that are not inside `[]`, `{}` or a quoted string.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = vec![];
    let mut depth = 0_i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    parts.push(&text[start..]);
    parts
}

/// `--shard K/N`: this process runs the points with `point mod N == K`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 0 (as `SLURM_ARRAY_TASK_ID` counts).
    pub index: u64,
    /// N, at least 1 (as `SLURM_ARRAY_TASK_COUNT`).
    pub count: u64,
}

impl Shard {
    /// Reads `K/N` with 0 ≤ K < N.
    ///
    /// # Errors
    /// Anything else, with the accepted form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let form = "write K/N with whole numbers 0 ≤ K < N, e.g. 0/3 (Slurm: \
                    $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)";
        let Some((k, n)) = text.split_once('/') else {
            return Err(format!("`{text}` is not K/N; {form}"));
        };
        let (Ok(index), Ok(count)) = (k.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
            return Err(format!("`{text}` is not two whole numbers; {form}"));
        };
        if count == 0 {
            return Err(format!("`{text}` has no shards (N = 0); {form}"));
        }
        if index >= count {
            return Err(format!(
                "`{text}`: shard {index} does not exist when there are {count} (K counts from \
                 0 to {}); {form}",
                count - 1
            ));
        }
        Ok(Self { index, count })
    }

    /// Whether `point` belongs to this shard.
    #[must_use]
    pub fn holds(&self, point: u64) -> bool {
        point % self.count == self.index
    }
}

/// Everything `sweep` needs, as the command line gives it.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The preset file (resolved).
    pub preset: PathBuf,
    /// The swept keys, slowest first.
    pub axes: Vec<Axis>,
    /// Seeds per setting (at least 1): the point's seed, +1, …
    pub seeds: u64,
    /// Steps per point (default: each point's `[show] steps`).
    pub steps: Option<u64>,
    /// Points run at once (default: one per thread of `threads`).
    pub jobs: Option<usize>,
    /// The threads the whole sweep may keep busy; each of the `jobs` points at once gets an
    /// even share (at least one).
    pub threads: Threads,
    /// Only this shard's points.
    pub shard: Option<Shard>,
}

/// One grid point, checked and ready to run.
struct Point {
    index: u64,
    /// The swept values of its setting, one per axis.
    setting: Vec<String>,
    spec: ExperimentSpec,
    steps: u64,
}

/// How a sweep ended: every chosen point run, or stopped by a signal after some.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Points whose rows were written.
    pub written: u64,
    /// Points the sweep (or its shard) holds.
    pub chosen: u64,
}

impl SweepOutcome {
    /// Whether some points were not run (a signal stopped the sweep).
    #[must_use]
    pub fn interrupted(&self) -> bool {
        self.written < self.chosen
    }
}

/// Runs the sweep and writes the CSV to `out`. When `interrupt` fires, the points under way
/// stop between steps and are dropped, the points not started are skipped, and the rows of
/// every finished point are written (in point order, as always); `merge` refuses such a file
/// among shards, naming the points it lacks.
///
/// # Errors
/// A bad value anywhere in the grid (before anything runs, naming the point and the `--set`
/// argument), points whose columns would differ, a bad `--jobs`, or a failed write.
///
/// # Panics
/// Never in practice: every point is run (or skipped after an interrupt) before the rows are
/// written.
pub fn sweep(
    options: &SweepOptions,
    out: &mut impl Write,
    interrupt: &Interrupt,
) -> Result<SweepOutcome, HeadlessError> {
    let points = grid(options)?;
    let header = header(options, &points)?;
    let chosen: Vec<&Point> = points
        .iter()
        .filter(|p| options.shard.is_none_or(|s| s.holds(p.index)))
        .collect();
    let jobs = options.jobs.unwrap_or(options.threads.get()).max(1);
    let share = options.threads.share(jobs);
    // Enough threads for every point's share; more when `--jobs` asks for more points at once.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.get().max(jobs))
        .build()
        .map_err(|e| HeadlessError::Message(format!("cannot start the worker threads: {e}")))?;
    let progress = progress_bar(chosen.len() as u64);
    let results: Vec<OnceLock<Option<Vec<RunRow>>>> =
        chosen.iter().map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    // `jobs` takers, each running the next point not yet taken until none is left; the pool's
    // other threads take the halves the points' own steps hand over.
    let take_points = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(point) = chosen.get(i) else {
                return;
            };
            results[i].get_or_init(|| run_point(point, share, interrupt));
            progress.inc(1);
        }
    };
    pool.install(|| {
        rayon::scope(|scope| {
            for _ in 1..jobs.min(chosen.len()) {
                scope.spawn(|_| take_points());
            }
            take_points();
        });
    });
    progress.finish_and_clear();
    let results: Vec<Option<Vec<RunRow>>> = results
        .into_iter()
        .map(|rows| rows.into_inner().expect("every point was taken"))
        .collect();
    if let Some(shard) = options.shard {
        // What `merge` needs to see that no shard is missing, the last one included.
        writeln!(out, "{}", shard_line(shard, points.len() as u64))
            .map_err(|e| csv_write_error(&e))?;
    }
    writeln!(out, "{header}").map_err(|e| csv_write_error(&e))?;
    let mut written = 0;
    for (point, rows) in chosen.iter().zip(&results) {
        let Some(rows) = rows else { continue };
        for (run, row) in rows.iter().enumerate() {
            writeln!(out, "{}", csv_row(point, run + 1, row)).map_err(|e| csv_write_error(&e))?;
        }
        written += 1;
    }
    out.flush().map_err(|e| csv_write_error(&e))?;
    Ok(SweepOutcome {
        written,
        chosen: chosen.len() as u64,
    })
}

/// The first line of a shard's file: `# implicit-bias sweep shard K/N of P points`, which
/// `merge` reads (and drops) to refuse a set of shards with any one missing.
#[must_use]
pub fn shard_line(shard: Shard, points: u64) -> String {
    format!(
        "{SHARD_MARK}{}/{} of {points} points",
        shard.index, shard.count
    )
}

/// How a shard's first line starts.
pub const SHARD_MARK: &str = "# implicit-bias sweep shard ";

/// Most steps a point takes between two looks at the interrupt flag (fewer when its steps are
/// slow, see [`Pacer`]): long enough that the runs' parallel stepping pays its hand-over.
const POINT_CHUNK: u64 = 10_000;

/// Every point of the grid, loaded and checked, in point order.
fn grid(options: &SweepOptions) -> Result<Vec<Point>, HeadlessError> {
    for (i, axis) in options.axes.iter().enumerate() {
        if options.axes[..i].iter().any(|a| a.key == axis.key) {
            return Err(HeadlessError::Message(format!(
                "--set {} is given twice; list all its values in one --set {}=V1,V2,...",
                axis.key, axis.key
            )));
        }
    }
    let settings: u64 = options.axes.iter().map(|a| a.values.len() as u64).product();
    let mut points = vec![];
    for setting_index in 0..settings {
        let setting = setting_values(&options.axes, setting_index);
        let overrides: Vec<Override> = options
            .axes
            .iter()
            .zip(&setting)
            .map(|(axis, value)| Override {
                key: axis.key.clone(),
                value: value.clone(),
            })
            .collect();
        let mut base_seed: Option<u64> = None;
        for seed_offset in 0..options.seeds {
            let index = setting_index * options.seeds + seed_offset;
            let mut with_seed = overrides.clone();
            if let Some(base) = base_seed {
                with_seed.push(Override {
                    key: "seed".into(),
                    value: (base + seed_offset).to_string(),
                });
            }
            let mut spec = preset::load_with(&options.preset, &with_seed)
                .map_err(|e| HeadlessError::Message(format!("point {index}: {e}")))?;
            base_seed.get_or_insert(spec.seed);
            spec.problem.skip_unreported();
            let steps = options.steps.unwrap_or(spec.horizon);
            points.push(Point {
                index,
                setting: setting.clone(),
                spec,
                steps,
            });
        }
    }
    Ok(points)
}

/// The values of setting `index`: the first axis varies slowest.
fn setting_values(axes: &[Axis], mut index: u64) -> Vec<String> {
    let mut values = vec![String::new(); axes.len()];
    for (slot, axis) in values.iter_mut().zip(axes).rev() {
        let count = axis.values.len() as u64;
        slot.clone_from(&axis.values[(index % count) as usize]);
        index /= count;
    }
    values
}

/// The CSV header, after checking that every point has the same metric columns.
fn header(options: &SweepOptions, points: &[Point]) -> Result<String, HeadlessError> {
    let Some(first) = points.first() else {
        return Err(HeadlessError::Message("the grid is empty".into()));
    };
    for p in points {
        if !p.spec.problem.same_columns(&first.spec.problem) {
            return Err(HeadlessError::Message(format!(
                "point {} ({}) would have other columns than point 0: every row of a sweep \
                 shares one header, so do not sweep `experiment` or `show.references`",
                p.index,
                p.setting.join(", ")
            )));
        }
    }
    let mut header = String::from("point");
    for axis in &options.axes {
        write!(header, ",{}", csv_field(&axis.key)).ok();
    }
    header.push_str(",seed,run,label,optimizer,lr");
    let experiment = Experiment::final_state_only(first.spec.clone());
    if let Some(row) = run_rows(&experiment).first() {
        for (name, _) in &row.setup {
            write!(header, ",{name}").ok();
        }
        for (name, _) in &row.metrics {
            write!(header, ",{name}").ok();
        }
    }
    header.push_str(",status,status_step");
    Ok(header)
}

/// Runs one point to its steps within `threads` and returns its rows; `None` when `interrupt`
/// fired first.
fn run_point(point: &Point, threads: Threads, interrupt: &Interrupt) -> Option<Vec<RunRow>> {
    let mut experiment = Experiment::final_state_only(point.spec.clone()).with_threads(threads);
    let mut pacer = Pacer::new(POINT_CHUNK);
    while experiment.steps_done() < point.steps {
        if interrupt.signal().is_some() {
            return None;
        }
        let stretch = pacer.steps().min(point.steps - experiment.steps_done());
        let started = Instant::now();
        experiment.step(stretch);
        pacer.took(stretch, started);
    }
    Some(run_rows(&experiment))
}

/// One row per run: each kind names and fills its metric columns.
fn run_rows(experiment: &Experiment) -> Vec<RunRow> {
    experiment.snapshot().body.kind().sweep_rows()
}

/// One CSV row; numbers in Rust's shortest round-trip form, as the trace writes them.
fn csv_row(point: &Point, run: usize, row: &RunRow) -> String {
    let mut line = point.index.to_string();
    for value in &point.setting {
        write!(line, ",{}", csv_field(value)).ok();
    }
    write!(
        line,
        ",{},{run},{},{},{:?}",
        point.spec.seed,
        csv_field(&row.label),
        row.optimizer,
        row.lr
    )
    .ok();
    for (_, cell) in &row.setup {
        write!(line, ",{}", csv_field(cell)).ok();
    }
    // The JSON's rule: a diverged run's computed numbers, and any non-finite one, are empty.
    for (_, value) in &row.metrics {
        line.push(',');
        if let Some(v) = value.and_then(|v| reported(v, row.status)) {
            write!(line, "{v:?}").ok();
        }
    }
    write!(line, ",{},", row.status.name()).ok();
    if let Some(step) = row.status.step() {
        write!(line, "{step}").ok();
    }
    line
}

/// A CSV field, quoted (RFC 4180) when it holds a comma or a quote.
fn csv_field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// A bar over the points on stderr, hidden when stderr is not a terminal.
fn progress_bar(points: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(points);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} points, eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_at_top_level_commas_only() {
        assert_eq!(split_top_level("1e-3,0.01"), ["1e-3", "0.01"]);
        assert_eq!(
            split_top_level("[1.0,2.0],[0.0,1.0]"),
            ["[1.0,2.0]", "[0.0,1.0]"]
        );
        assert_eq!(split_top_level("\"a,b\",c"), ["\"a,b\"", "c"]);
        assert_eq!(split_top_level("{a=1,b=2}"), ["{a=1,b=2}"]);
        assert_eq!(split_top_level("\"a\\\",b\""), ["\"a\\\",b\""]);
    }

    #[test]
    fn settings_count_with_the_first_axis_slowest() {
        // Compared with the nested loops written out: for a in A { for b in B }.
        let axes = [
            Axis {
                key: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Axis {
                key: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ];
        let mut expected = vec![];
        for a in &axes[0].values {
            for b in &axes[1].values {
                expected.push(vec![a.clone(), b.clone()]);
            }
        }
        let got: Vec<Vec<String>> = (0..6).map(|i| setting_values(&axes, i)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn shards_partition_the_points() {
        // Every point lands in exactly one of N shards, as point mod N says.
        let shards: Vec<Shard> = (0..3).map(|k| Shard { index: k, count: 3 }).collect();
        for point in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.holds(point)).count(), 1);
        }
        assert_eq!(Shard::parse("2/3"), Ok(Shard { index: 2, count: 3 }));
        for bad in ["3/2", "a/b", "0/0", "1", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(csv_field("0.5"), "0.5");
        assert_eq!(csv_field("[1.0,2.0]"), "\"[1.0,2.0]\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
