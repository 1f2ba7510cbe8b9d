//! The `implicit-bias` command: the dashboard by default, or a headless verb.
//!
//! ```text
//! implicit-bias [PRESET] [--set KEY=VALUE]...  live dashboard (default: max-margin)
//! implicit-bias run PRESET [--steps N] [--trace FILE.csv] [--svg FILE.svg] [--set KEY=VALUE]...
//! implicit-bias check PRESET [--set KEY=VALUE]...
//! implicit-bias sweep PRESET --set KEY=V1,V2,... [--seeds N] [--steps N] [--jobs J] [--shard K/N]
//! implicit-bias merge FILE...
//! implicit-bias presets
//! implicit-bias snapshot PRESET [--steps N] [--size WxH]   the dashboard's screen as text
//! implicit-bias plot CSV --x COL --y COL [--group COL | --value COL] [--where COL=VALUE]...
//!                    --svg FILE.svg
//! ```
//! Every command takes `--threads N`, the threads it may keep busy; without it
//! `RAYON_NUM_THREADS`, else every available core (see [`thread_budget`]).
//! Errors go to stderr as one or two lines and exit with code 1 (2 for bad flags); stdout holds
//! only results, so scripts can pipe it, and a reader that stops early (`| head`) ends the
//! process quietly with status 0, as other command-line tools do.
//! Ctrl-C or SIGTERM stops `run` and `sweep` between steps: they write what was done (the JSON
//! with `"interrupted": true`, the finished sweep rows), say so in one stderr line and exit
//! with 128 + the signal (130 for Ctrl-C); a second signal ends them at once.

use std::ffi::OsString;
use std::io::Write as _;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use implicit_bias::core::par::Threads;
use implicit_bias::figure::sweep::{Filter, PlotRequest, Table, plot_svg};
use implicit_bias::headless::{Axis, HeadlessError, Shard, SweepOptions};
use implicit_bias::preset::Override;
use implicit_bias::{FPS_RANGE, headless, preset};

/// The preset the dashboard opens when none is named.
const DEFAULT_PRESET: &str = "max-margin";

/// Watch how an optimizer picks one solution out of infinitely many.
#[derive(Debug, Parser)]
#[command(
    name = "implicit-bias",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Preset to open in the dashboard: a .toml path or a name from `implicit-bias presets`.
    preset: Option<String>,
    /// Dashboard frames per second (1-120).
    #[arg(
        long,
        default_value_t = 30,
        value_parser = clap::value_parser!(u32)
            .range(i64::from(*FPS_RANGE.start())..=i64::from(*FPS_RANGE.end()))
    )]
    fps: u32,
    /// Folder the dashboard's `e` key writes its SVG figure and CSV trace into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    export_dir: PathBuf,
    /// Folder of presets for names, the picker and `presets` (the default folder is filled in
    /// at run time by [`command`], so `--help` names the real one).
    #[arg(long, global = true, value_name = "DIR")]
    presets: Option<PathBuf>,
    /// Threads to keep busy: a run's runs and products, the dashboard's steps, a sweep's
    /// points (default: RAYON_NUM_THREADS when set to a number from 1 up, else every available
    /// core; this flag wins over both). Results are the same bits on any number.
    #[arg(long, global = true, value_name = "N", value_parser = parse_threads)]
    threads: Option<NonZeroUsize>,
    #[command(flatten)]
    sets: Sets,
}

/// `--set KEY=VALUE`, the same on every command that loads a preset.
#[derive(Debug, Args)]
struct Sets {
    /// Change a preset key without editing the file, e.g. `runs.2.lr=0.01` (runs from 1),
    /// `runs.*.init_scale=1e-3` (every run), `runs.1.init=[1.0,2.0]`; repeatable. The value is
    /// TOML; a bare word that is not TOML is text. A `[model]` key every run sets for itself is
    /// refused (it would change nothing).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a preset without the dashboard and print the result as JSON on stdout.
    ///
    /// Ctrl-C or SIGTERM stops it between steps and prints the JSON of the step reached, with
    /// `"interrupted": true` (exit 130, 143 for SIGTERM).
    Run {
        /// A .toml path or a preset name.
        preset: String,
        /// Steps to run (default: the preset's `[show] steps`).
        #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_steps)]
        steps: Option<u64>,
        /// Also write metrics at log-spaced steps to this CSV file.
        #[arg(long, value_name = "FILE.csv")]
        trace: Option<PathBuf>,
        #[command(flatten)]
        sets: Sets,
        /// Also write the experiment's figure (as the dashboard's `e` does) at the end.
        #[arg(long, value_name = "FILE.svg")]
        svg: Option<PathBuf>,
    },
    /// Print the dashboard's screen after N steps as plain text, drawn off-screen (no terminal
    /// needed; for bug reports, docs and tests).
    Snapshot {
        /// A .toml path or a preset name.
        preset: String,
        /// Steps to run before the picture (default: the preset's `[show] steps`).
        #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_steps)]
        steps: Option<u64>,
        /// Screen size in columns x rows.
        #[arg(long, value_name = "WxH", default_value = "120x40")]
        size: String,
        #[command(flatten)]
        sets: Sets,
    },
    /// Draw a sweep's CSV as an SVG figure: lines per group, or a heat map with --value; rows
    /// of one set-up (seeds) are averaged, runs are drawn apart, other mixes are refused.
    Plot {
        /// The CSV file (a header line, then rows).
        csv: PathBuf,
        /// The column on the horizontal axis.
        #[arg(long, value_name = "COL")]
        x: String,
        /// The column on the vertical axis.
        #[arg(long, value_name = "COL")]
        y: String,
        /// One line per value of this column (default: one per run).
        #[arg(long, value_name = "COL")]
        group: Option<String>,
        /// A heat map over (x, y) cells coloured by this column (mean over seeds), one panel
        /// per run.
        #[arg(long, value_name = "COL")]
        value: Option<String>,
        /// Keep only the rows whose COL is VALUE, e.g. `run=2`; repeatable (all must match).
        #[arg(long = "where", value_name = "COL=VALUE", value_parser = Filter::parse)]
        filters: Vec<Filter>,
        /// The figure to write.
        #[arg(long, value_name = "FILE.svg")]
        svg: PathBuf,
    },
    /// Check a preset (and the data it names) without running it.
    Check {
        /// A .toml path or a preset name.
        preset: String,
        #[command(flatten)]
        sets: Sets,
    },
    /// Run a preset over a grid of values × seeds on all cores; CSV on stdout, one row per
    /// (point, run).
    ///
    /// Ctrl-C or SIGTERM (a Slurm time limit) stops it and writes the rows of every finished
    /// point (exit 130, 143 for SIGTERM).
    Sweep(SweepArgs),
    /// Join the CSVs of `sweep --shard K/N` into the one the whole sweep would write.
    Merge {
        /// The shards' CSV files, in any order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the presets (name, then title), or show one preset's title, file and whole about
    /// text.
    Presets {
        /// A preset name from the list.
        name: Option<String>,
    },
}

/// The flags of `sweep`.
#[derive(Debug, Args)]
struct SweepArgs {
    /// A .toml path or a preset name.
    preset: String,
    /// A swept key and its values, e.g. `runs.*.init_scale=1e-3,1e-2,0.1,1`; values split at
    /// commas outside brackets and quotes. Repeatable: the grid is the product, the first
    /// `--set` varying slowest. A single value is a plain override.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", value_parser = Axis::parse)]
    set: Vec<Axis>,
    /// Seeds per setting: the point's seed, +1, … (varying fastest).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    seeds: u64,
    /// Steps per point (default: the preset's `[show] steps`).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_steps)]
    steps: Option<u64>,
    /// Points run at once (default: one per thread, see --threads), each with an even share of
    /// the threads.
    #[arg(long, value_name = "J", value_parser = parse_threads)]
    jobs: Option<NonZeroUsize>,
    /// Run only the points with point mod N == K (K from 0), e.g. Slurm's
    /// $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; join the files with `merge`.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
}

fn main() -> ExitCode {
    let command = command();
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(error) = mistyped_subcommand(&command, &args) {
        error.exit();
    }
    let cli = Cli::from_arg_matches(&command.get_matches_from(&args)).unwrap_or_else(|e| e.exit());
    let dir = cli.presets.clone().unwrap_or_else(preset::default_dir);
    // Set by `run` and `sweep` when a signal stopped them: what to say on stderr after stdout.
    let mut stopped: Option<Stopped> = None;
    let threads = thread_budget(cli.threads);
    let result = match cli.command {
        Some(Command::Run {
            preset,
            steps,
            trace,
            svg,
            sets,
        }) => run(
            &preset,
            &dir,
            &sets,
            steps,
            (trace.as_deref(), svg.as_deref()),
            threads,
            &mut stopped,
        ),
        Some(Command::Snapshot {
            preset,
            steps,
            size,
            sets,
        }) => snapshot(&preset, &dir, (steps, threads), &size, &sets),
        Some(Command::Plot {
            csv,
            x,
            y,
            group,
            value,
            filters,
            svg,
        }) => plot(
            &csv,
            &PlotRequest {
                x,
                y,
                group,
                value,
                filters,
            },
            &svg,
        ),
        Some(Command::Check { preset, sets }) => {
            load(&preset, &dir, &sets).map(|spec| headless::describe(&spec))
        }
        Some(Command::Sweep(args)) => sweep(args, &dir, threads, &mut stopped),
        Some(Command::Merge { files }) => {
            headless::merge(&files, &mut std::io::stdout().lock()).map(|()| String::new())
        }
        Some(Command::Presets { name }) => {
            let presets = preset::list(&dir);
            if presets.is_empty() {
                Err(HeadlessError::Message(format!(
                    "{}: no presets (*.toml) found; pass --presets DIR",
                    dir.display()
                )))
            } else if let Some(name) = name {
                headless::preset_about(&presets, &name)
            } else {
                Ok(headless::presets_listing(&presets).trim_end().to_string())
            }
        }
        None => {
            use_global_pool(threads);
            let screen = Screen {
                fps: cli.fps,
                export_dir: cli.export_dir,
                threads,
            };
            match &cli.preset {
                Some(name) => {
                    dashboard(name, dir, cli.sets.set, screen).map_err(HeadlessError::Message)
                }
                None => default_preset(&dir, cli.presets.is_some()).and_then(|name| {
                    dashboard(&name, dir, cli.sets.set, screen).map_err(HeadlessError::Message)
                }),
            }
            .map(|()| String::new())
        }
    };
    finish(result, stopped)
}

/// Prints a verb's result (stdout) or error (stderr) and, when a signal stopped it, its one
/// stderr line; returns the exit status: 0, 1, or 128 + the signal.
fn finish(result: Result<String, HeadlessError>, stopped: Option<Stopped>) -> ExitCode {
    let code = match result {
        Ok(text) if text.is_empty() => ExitCode::SUCCESS,
        Ok(text) => print_result(&text),
        Err(HeadlessError::OutputClosed) => ExitCode::SUCCESS,
        Err(HeadlessError::Message(message)) => {
            // Ignored: with stderr gone too there is nobody left to tell.
            writeln!(std::io::stderr(), "implicit-bias: {message}").ok();
            ExitCode::FAILURE
        }
    };
    match stopped {
        Some(Stopped { line, status }) => {
            writeln!(std::io::stderr(), "implicit-bias: {line}").ok();
            ExitCode::from(status)
        }
        None => code,
    }
}

/// A verb a signal stopped early: the one line for stderr, and the exit status (128 + signal).
struct Stopped {
    line: String,
    status: u8,
}

/// The Ctrl-C/SIGTERM handlers of `run` and `sweep` (see [`headless::Interrupt`]).
fn install_interrupt() -> Result<headless::Interrupt, HeadlessError> {
    headless::Interrupt::install()
        .map_err(|e| HeadlessError::Message(format!("cannot install signal handlers: {e}")))
}

/// The most threads `--threads` and `--jobs` accept.
const MAX_THREADS: usize = 4096;

/// `--threads` and `--jobs`: a whole number from 1 to [`MAX_THREADS`], refused with the range
/// otherwise (clap's own message for `x` would be "invalid digit found in string").
fn parse_threads(text: &str) -> Result<NonZeroUsize, String> {
    match text.trim().parse::<usize>() {
        Ok(count @ 1..=MAX_THREADS) => Ok(NonZeroUsize::new(count).expect("from 1 up")),
        Ok(0) => Err(format!("zero; use a whole number from 1 to {MAX_THREADS}")),
        Ok(_) => Err(format!(
            "too many; use a whole number from 1 to {MAX_THREADS}"
        )),
        Err(_) => Err(format!(
            "not a whole number; use a whole number from 1 to {MAX_THREADS}"
        )),
    }
}

/// The thread budget: `--threads`, else `RAYON_NUM_THREADS` when it is a number from 1 up, else
/// every available core ([`Threads::decide`]).
fn thread_budget(flag: Option<NonZeroUsize>) -> Threads {
    Threads::decide(flag, std::env::var("RAYON_NUM_THREADS").ok().as_deref())
}

/// Sizes rayon's global pool, where `run`'s and the dashboard's steps share their work, to the
/// budget (rayon would otherwise size it from RAYON_NUM_THREADS or the cores on its own).
fn use_global_pool(threads: Threads) {
    // Only fails when the pool already exists, which nothing here builds before.
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .build_global()
        .ok();
}

/// Prints the result on stdout. A reader that closed the pipe early (`| head`, `| true`) is not
/// a failure: the process ends quietly with status 0 (`println!` would panic instead).
fn print_result(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            writeln!(
                std::io::stderr(),
                "implicit-bias: writing the result failed: {e}"
            )
            .ok();
            ExitCode::FAILURE
        }
    }
}

/// The clap command, with the real default presets folder in `--help` (it depends on where the
/// program runs, see [`preset::default_dir`]).
fn command() -> clap::Command {
    let help = format!(
        "Folder of presets for names, the picker and `presets` (default: {})",
        preset::default_dir().display()
    );
    with_key_help(Cli::command().mut_arg("presets", |arg| arg.help(help)))
}

/// `--help` ends with the dashboard's keys, written from the keymap's own table (the one the
/// `?` overlay shows), so the two lists cannot drift apart.
#[cfg(feature = "tui")]
fn with_key_help(command: clap::Command) -> clap::Command {
    use std::fmt::Write as _;
    let mut text = String::from("Keys in the dashboard (its `?` overlay shows the same list):");
    for (keys, what) in implicit_bias::tui::keymap::help_rows() {
        write!(text, "\n  {keys:<10} {what}").ok();
    }
    command.after_help(text)
}

/// Without the dashboard there are no keys to list.
#[cfg(not(feature = "tui"))]
fn with_key_help(command: clap::Command) -> clap::Command {
    command
}

/// The preset the dashboard opens when none is named: `max-margin`, or, when the folder has none
/// by that name, an error that says how to name one.
fn default_preset(dir: &Path, dir_given: bool) -> Result<String, HeadlessError> {
    if dir.join(format!("{DEFAULT_PRESET}.toml")).is_file() {
        return Ok(DEFAULT_PRESET.to_owned());
    }
    let names: Vec<String> = preset::list(dir).into_iter().map(|p| p.name).collect();
    let flag = if dir_given {
        format!(" --presets {}", dir.display())
    } else {
        String::new()
    };
    Err(HeadlessError::Message(if names.is_empty() {
        format!(
            "{}: no presets (*.toml) found; give a folder that has some with --presets DIR, or a \
             .toml path: implicit-bias FILE.toml",
            dir.display()
        )
    } else {
        format!(
            "{}: no preset named {DEFAULT_PRESET} (the default); name one: \
             implicit-bias{flag} NAME, with NAME one of: {}",
            dir.display(),
            names.join(", ")
        )
    }))
}

/// A first word that is no preset but a near miss of a subcommand (`chek`, `runn`, `preset`):
/// clap would take it for the dashboard's PRESET and then complain about the next word, so this
/// answers as clap does for an unknown subcommand, with the name that was meant (exit code 2).
fn mistyped_subcommand(command: &clap::Command, args: &[OsString]) -> Option<clap::Error> {
    let (word, dir) = first_positional(command, args)?;
    let dir = dir.unwrap_or_else(preset::default_dir);
    if command.find_subcommand(&word).is_some()
        || Path::new(&word).exists()
        || dir.join(format!("{word}.toml")).is_file()
    {
        return None;
    }
    let lower = word.to_lowercase();
    let meant = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .filter(|name| *name != "help")
        .map(|name| (strsim::damerau_levenshtein(&lower, name), name))
        .filter(|(distance, name)| *distance <= (name.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)?
        .1;
    let mut error = clap::Error::new(ErrorKind::InvalidSubcommand).with_cmd(command);
    error.insert(ContextKind::InvalidSubcommand, ContextValue::String(word));
    error.insert(
        ContextKind::SuggestedSubcommand,
        ContextValue::String(meant.to_owned()),
    );
    error.insert(
        ContextKind::Usage,
        ContextValue::StyledStr(command.clone().render_usage()),
    );
    Some(error)
}

/// The first positional word on the command line (skipping the values of top-level options such
/// as `--fps 30`), and the `--presets` folder if one was given before it.
fn first_positional(
    command: &clap::Command,
    args: &[OsString],
) -> Option<(String, Option<PathBuf>)> {
    let takes_value = |long: &str| {
        command
            .get_arguments()
            .any(|arg| arg.get_long() == Some(long) && arg.get_action().takes_values())
    };
    let mut dir = None;
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            return words.next().map(|w| (w.into_owned(), dir));
        }
        let Some(flag) = word.strip_prefix("--") else {
            if word.starts_with('-') {
                continue;
            }
            return Some((word.into_owned(), dir));
        };
        if let Some((name, value)) = flag.split_once('=') {
            if name == "presets" {
                dir = Some(PathBuf::from(value));
            }
        } else if takes_value(flag) {
            let value = words.next()?;
            if flag == "presets" {
                dir = Some(PathBuf::from(value.as_ref()));
            }
        }
    }
    None
}

/// `--steps`: a whole number from 0 to [`preset::MAX_STEPS`], also in scientific notation when
/// that is exactly a whole number (`1e6`, `2.5e3`, `1E9`), refused with the range otherwise
/// (clap's own message for `-5` would be "invalid digit found in string").
fn parse_steps(text: &str) -> Result<u64, String> {
    match whole_number(text.trim()) {
        Some(n) if (0..=i128::from(preset::MAX_STEPS)).contains(&n) => Ok(n as u64),
        Some(n) if n < 0 => Err(format!(
            "a negative count; use a whole number of steps from 0 to {} (1e15)",
            preset::MAX_STEPS
        )),
        Some(_) => Err(format!(
            "out of range; use a whole number of steps from 0 to {} (1e15)",
            preset::MAX_STEPS
        )),
        None => Err(format!(
            "not a whole number; use a number of steps from 0 to {} (1e15), such as 5000 or 1e6",
            preset::MAX_STEPS
        )),
    }
}

/// `text` as an exact integer: plain digits (`-5`, `1000`) or decimal scientific notation whose
/// value is whole (`1e6`, `2.5e3`, `1E9`, `100e-2`); `None` for anything else (`1.5`, `1e-3`,
/// `many`) or beyond ±10³⁸. Exact digit arithmetic, not `f64`, so `1.0000000000000001e15` is
/// refused rather than rounded.
fn whole_number(text: &str) -> Option<i128> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = integer.chars().chain(fraction.chars());
    if integer.len() + fraction.len() == 0 || !all_digits.clone().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // The value is (integer fraction as one number) × 10^(exponent − fraction digits).
    let mut value: i128 = 0;
    for digit in all_digits {
        value = value
            .checked_mul(10)?
            .checked_add(i128::from(digit.to_digit(10)?))?;
    }
    if value == 0 {
        return Some(0);
    }
    let scale = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    let power = 10_i128.checked_pow(scale.unsigned_abs())?;
    let value = if scale >= 0 {
        value.checked_mul(power)?
    } else if value % power == 0 {
        value / power
    } else {
        return None;
    };
    Some(if negative { -value } else { value })
}

/// The steps to run: `--steps`, or the preset's horizon, at most [`preset::MAX_STEPS`].
fn checked_steps(steps: Option<u64>, horizon: u64) -> Result<u64, HeadlessError> {
    let steps = steps.unwrap_or(horizon);
    if steps > preset::MAX_STEPS {
        return Err(HeadlessError::Message(format!(
            "--steps {steps} is too many; use at most {}",
            preset::MAX_STEPS
        )));
    }
    Ok(steps)
}

/// `plot`: reads the CSV, draws it and writes the SVG.
fn plot(csv: &Path, request: &PlotRequest, svg: &Path) -> Result<String, HeadlessError> {
    let table = Table::read(csv)?;
    let text = plot_svg(&table, request)?;
    std::fs::write(svg, text)
        .map_err(|e| format!("{}: cannot write the figure: {e}", svg.display()))?;
    Ok(String::new())
}

/// `snapshot`: the dashboard's screen after the steps, as text.
#[cfg(feature = "tui")]
fn snapshot(
    name: &str,
    dir: &Path,
    (steps, threads): (Option<u64>, Threads),
    size: &str,
    sets: &Sets,
) -> Result<String, HeadlessError> {
    use implicit_bias::tui::snapshot::{parse_size, screen_text};
    use_global_pool(threads);
    let size = parse_size(size).map_err(|e| format!("--size {size}: {e}"))?;
    let path = preset::resolve(name, dir).map_err(|e| e.to_string())?;
    let spec = load(name, dir, sets)?;
    let steps = checked_steps(steps, spec.horizon)?;
    let text = screen_text(
        &spec,
        &path,
        &sets.set,
        dir.to_path_buf(),
        (steps, threads),
        size,
    )?;
    Ok(text.trim_end().to_owned())
}

#[cfg(not(feature = "tui"))]
fn snapshot(
    name: &str,
    _dir: &Path,
    _steps: (Option<u64>, Threads),
    _size: &str,
    _sets: &Sets,
) -> Result<String, HeadlessError> {
    Err(HeadlessError::Message(format!(
        "this build has no dashboard to draw (feature `tui` is off); use `implicit-bias run {name}`"
    )))
}

/// Resolves and checks a preset with its `--set` overrides, wording any error for stderr.
fn load(
    name: &str,
    dir: &Path,
    sets: &Sets,
) -> Result<implicit_bias::core::experiment::ExperimentSpec, HeadlessError> {
    let path = preset::resolve(name, dir).map_err(|e| e.to_string())?;
    Ok(preset::load_with(&path, &sets.set).map_err(|e| e.to_string())?)
}

/// Runs `run` within `threads` and returns its JSON; `outputs` are the trace and figure files;
/// sets `stopped` when a signal cut it short.
fn run(
    preset: &str,
    dir: &Path,
    sets: &Sets,
    steps: Option<u64>,
    outputs: (Option<&Path>, Option<&Path>),
    threads: Threads,
    stopped: &mut Option<Stopped>,
) -> Result<String, HeadlessError> {
    let spec = load(preset, dir, sets)?;
    let steps = checked_steps(steps, spec.horizon)?;
    use_global_pool(threads);
    let interrupt = install_interrupt()?;
    let (trace, svg) = outputs;
    let done = headless::run_with_figure(spec, steps, trace, svg, threads, &interrupt)?;
    if let Some((reached, asked)) = done.interrupted_at {
        *stopped = Some(Stopped {
            line: format!(
                "interrupted at step {reached} of {asked}; the JSON on stdout is the state \
                 reached (\"interrupted\": true)"
            ),
            status: interrupt.exit_status(),
        });
    }
    Ok(done.json)
}

/// Runs `sweep` within `threads`, writing the CSV straight to stdout (nothing is left for `main`
/// to print); sets `stopped` when a signal cut it short.
fn sweep(
    args: SweepArgs,
    dir: &Path,
    threads: Threads,
    stopped: &mut Option<Stopped>,
) -> Result<String, HeadlessError> {
    let preset = preset::resolve(&args.preset, dir).map_err(|e| e.to_string())?;
    let options = SweepOptions {
        preset,
        axes: args.set,
        seeds: args.seeds,
        steps: args.steps,
        jobs: args.jobs.map(NonZeroUsize::get),
        threads,
        shard: args.shard,
    };
    let interrupt = install_interrupt()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let outcome = headless::sweep(&options, &mut out, &interrupt)?;
    if outcome.interrupted() {
        *stopped = Some(Stopped {
            line: format!(
                "interrupted: the rows of {} of {} points are on stdout; run the sweep again \
                 for the rest",
                outcome.written, outcome.chosen
            ),
            status: interrupt.exit_status(),
        });
    }
    Ok(String::new())
}

/// The dashboard's settings from the command line beyond the preset.
struct Screen {
    fps: u32,
    export_dir: PathBuf,
    threads: Threads,
}

/// Resolves the preset; `tui::run` loads it (with the overrides) and checks for a terminal.
#[cfg(feature = "tui")]
fn dashboard(
    name: &str,
    presets_dir: PathBuf,
    overrides: Vec<Override>,
    screen: Screen,
) -> Result<(), String> {
    let path = preset::resolve(name, &presets_dir).map_err(|e| e.to_string())?;
    implicit_bias::tui::run(implicit_bias::tui::DashboardOptions {
        preset: path,
        preset_arg: name.to_owned(),
        presets_dir,
        fps: screen.fps,
        overrides,
        export_dir: screen.export_dir,
        threads: screen.threads,
    })
}

#[cfg(not(feature = "tui"))]
fn dashboard(
    name: &str,
    _presets_dir: PathBuf,
    _overrides: Vec<Override>,
    _screen: Screen,
) -> Result<(), String> {
    Err(format!(
        "this build has no dashboard (feature `tui` is off); use `implicit-bias run {name}`"
    ))
}
