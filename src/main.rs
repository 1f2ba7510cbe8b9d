//! The `implicit-bias` command: the dashboard by default, or a headless verb.
//!
//! ```text
//! implicit-bias [PRESET] [--set KEY=VALUE]...  live dashboard (default: max-margin)
//! implicit-bias run PRESET [--steps N] [--trace FILE.csv] [--set KEY=VALUE]...
//! implicit-bias check PRESET [--set KEY=VALUE]...
//! implicit-bias sweep PRESET --set KEY=V1,V2,... [--seeds N] [--steps N] [--jobs J] [--shard K/N]
//! implicit-bias merge FILE...
//! implicit-bias presets
//! ```
//! Errors go to stderr as one or two lines and exit with code 1 (2 for bad flags); stdout holds
//! only results, so scripts can pipe it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use implicit_bias::headless::{Axis, Shard, SweepOptions};
use implicit_bias::preset::Override;
use implicit_bias::{FPS_RANGE, headless, preset};

/// Watch how an optimizer picks one solution out of infinitely many.
#[derive(Debug, Parser)]
#[command(
    name = "implicit-bias",
    version,
    args_conflicts_with_subcommands = true
)]
#[command(
    after_help = "Keys in the dashboard: space pause · n step · N 100 steps · +/- speed · \
w warp · r reset · 1 2 3 presets · p picker · tab focus · ? help · q quit"
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
    /// Folder of presets for names, the picker and `presets` (default: ./presets).
    #[arg(long, global = true, value_name = "DIR")]
    presets: Option<PathBuf>,
    #[command(flatten)]
    sets: Sets,
}

/// `--set KEY=VALUE`, the same on every command that loads a preset.
#[derive(Debug, Args)]
struct Sets {
    /// Change a preset key without editing the file, e.g. `runs.2.lr=0.01` (runs from 1),
    /// `model.init_scale=1e-3`, `runs.1.init=[1.0,2.0]`; repeatable. The value is TOML; a bare
    /// word that is not TOML is text.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = Override::parse)]
    set: Vec<Override>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a preset without the dashboard and print the result as JSON on stdout.
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
    Sweep(SweepArgs),
    /// Join the CSVs of `sweep --shard K/N` into the one the whole sweep would write.
    Merge {
        /// The shards' CSV files, in any order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the presets: name, then title.
    Presets,
}

/// The flags of `sweep`.
#[derive(Debug, Args)]
struct SweepArgs {
    /// A .toml path or a preset name.
    preset: String,
    /// A swept key and its values, e.g. `model.init_scale=1e-3,1e-2,0.1,1`; values split at
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
    /// Points run at once (default: all cores).
    #[arg(long, value_name = "J", value_parser = clap::value_parser!(u64).range(1..=4096))]
    jobs: Option<u64>,
    /// Run only the points with point mod N == K (K from 0), e.g. Slurm's
    /// $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; join the files with `merge`.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let dir = cli.presets.clone().unwrap_or_else(preset::default_dir);
    let result = match cli.command {
        Some(Command::Run {
            preset,
            steps,
            trace,
            sets,
        }) => load(&preset, &dir, &sets).and_then(|spec| {
            let steps = steps.unwrap_or(spec.horizon);
            if steps > preset::MAX_STEPS {
                return Err(format!(
                    "--steps {steps} is too many; use at most {}",
                    preset::MAX_STEPS
                ));
            }
            headless::run(spec, steps, trace.as_deref()).map_err(|e| e.to_string())
        }),
        Some(Command::Check { preset, sets }) => {
            load(&preset, &dir, &sets).map(|spec| headless::describe(&spec))
        }
        Some(Command::Sweep(args)) => sweep(args, &dir),
        Some(Command::Merge { files }) => headless::merge(&files, &mut std::io::stdout().lock())
            .map(|()| String::new())
            .map_err(|e| e.to_string()),
        Some(Command::Presets) => {
            let presets = preset::list(&dir);
            if presets.is_empty() {
                Err(format!(
                    "{}: no presets (*.toml) found; pass --presets DIR",
                    dir.display()
                ))
            } else {
                Ok(headless::presets_listing(&presets).trim_end().to_string())
            }
        }
        None => dashboard(
            cli.preset.as_deref().unwrap_or("max-margin"),
            dir,
            cli.fps,
            cli.sets.set,
        )
        .map(|()| String::new()),
    };
    match result {
        Ok(text) if text.is_empty() => ExitCode::SUCCESS,
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("implicit-bias: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `--steps`: a whole number from 0 to [`preset::MAX_STEPS`], refused with the range otherwise
/// (clap's own message for `-5` would be "invalid digit found in string").
fn parse_steps(text: &str) -> Result<u64, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if (0..=i128::from(preset::MAX_STEPS)).contains(&n) => Ok(n as u64),
        Ok(_) => Err(format!(
            "out of range; use a whole number of steps from 0 to {}",
            preset::MAX_STEPS
        )),
        Err(_) => Err(format!(
            "not a whole number; use a number of steps from 0 to {}",
            preset::MAX_STEPS
        )),
    }
}

/// Resolves and checks a preset with its `--set` overrides, wording any error for stderr.
fn load(
    name: &str,
    dir: &std::path::Path,
    sets: &Sets,
) -> Result<implicit_bias::core::experiment::ExperimentSpec, String> {
    let path = preset::resolve(name, dir).map_err(|e| e.to_string())?;
    preset::load_with(&path, &sets.set).map_err(|e| e.to_string())
}

/// Runs `sweep`, writing the CSV straight to stdout (nothing is left for `main` to print).
fn sweep(args: SweepArgs, dir: &std::path::Path) -> Result<String, String> {
    let preset = preset::resolve(&args.preset, dir).map_err(|e| e.to_string())?;
    let options = SweepOptions {
        preset,
        axes: args.set,
        seeds: args.seeds,
        steps: args.steps,
        jobs: args.jobs.map(|j| j as usize),
        shard: args.shard,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    headless::sweep(&options, &mut out)
        .map(|()| String::new())
        .map_err(|e| e.to_string())
}

/// Resolves the preset; `tui::run` loads it (with the overrides) and checks for a terminal.
#[cfg(feature = "tui")]
fn dashboard(
    name: &str,
    presets_dir: PathBuf,
    fps: u32,
    overrides: Vec<Override>,
) -> Result<(), String> {
    let path = preset::resolve(name, &presets_dir).map_err(|e| e.to_string())?;
    implicit_bias::tui::run(implicit_bias::tui::DashboardOptions {
        preset: path,
        preset_arg: name.to_owned(),
        presets_dir,
        fps,
        overrides,
    })
}

#[cfg(not(feature = "tui"))]
fn dashboard(
    name: &str,
    _presets_dir: PathBuf,
    _fps: u32,
    _overrides: Vec<Override>,
) -> Result<(), String> {
    Err(format!(
        "this build has no dashboard (feature `tui` is off); use `implicit-bias run {name}`"
    ))
}
