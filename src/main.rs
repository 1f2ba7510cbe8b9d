//! The `implicit-bias` command: the dashboard by default, or a headless verb.
//!
//! ```text
//! implicit-bias [PRESET]                      live dashboard (default: max-margin)
//! implicit-bias run PRESET [--steps N] [--trace FILE.csv]
//! implicit-bias check PRESET
//! implicit-bias presets
//! ```
//! Errors go to stderr as one or two lines and exit with code 1 (2 for bad flags); stdout holds
//! only results, so scripts can pipe it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    },
    /// Check a preset (and the data it names) without running it.
    Check {
        /// A .toml path or a preset name.
        preset: String,
    },
    /// List the presets: name, then title.
    Presets,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let dir = cli.presets.clone().unwrap_or_else(preset::default_dir);
    let result = match cli.command {
        Some(Command::Run {
            preset,
            steps,
            trace,
        }) => load(&preset, &dir).and_then(|spec| {
            let steps = steps.unwrap_or(spec.horizon);
            if steps > preset::MAX_STEPS {
                return Err(format!(
                    "--steps {steps} is too many; use at most {}",
                    preset::MAX_STEPS
                ));
            }
            headless::run(spec, steps, trace.as_deref()).map_err(|e| e.to_string())
        }),
        Some(Command::Check { preset }) => {
            load(&preset, &dir).map(|spec| headless::describe(&spec))
        }
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
        None => dashboard(cli.preset.as_deref().unwrap_or("max-margin"), dir, cli.fps)
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

/// Resolves and checks a preset, wording any error for stderr.
fn load(
    name: &str,
    dir: &std::path::Path,
) -> Result<implicit_bias::core::experiment::ExperimentSpec, String> {
    let path = preset::resolve(name, dir).map_err(|e| e.to_string())?;
    preset::load(&path).map_err(|e| e.to_string())
}

/// Resolves the preset; `tui::run` loads it and checks for a terminal (once each).
#[cfg(feature = "tui")]
fn dashboard(name: &str, presets_dir: PathBuf, fps: u32) -> Result<(), String> {
    let path = preset::resolve(name, &presets_dir).map_err(|e| e.to_string())?;
    implicit_bias::tui::run(implicit_bias::tui::DashboardOptions {
        preset: path,
        preset_arg: name.to_owned(),
        presets_dir,
        fps,
    })
}

#[cfg(not(feature = "tui"))]
fn dashboard(name: &str, _presets_dir: PathBuf, _fps: u32) -> Result<(), String> {
    Err(format!(
        "this build has no dashboard (feature `tui` is off); use `implicit-bias run {name}`"
    ))
}
