//! What the worker and the app say to each other: [`Command`]s in, [`WorkerMessage`]s out, and
//! the [`Pace`] both sides agree on. Views read these types too, so they live here rather than
//! in the worker: a view imports nothing from the thread that steps the experiment.

use crate::core::experiment::{ExperimentSpec, Snapshot};

/// Largest fixed pace (steps per frame) before `+` switches to flat out.
pub const MAX_FIXED_PACE: u64 = 1 << 24;

/// How fast the warp clock runs: t doubles every this many seconds, so 1 → 10⁹ takes ≈ 30 s
/// (log₂ 10⁹ ≈ 30) whatever the frame rate.
pub const WARP_DOUBLING_SECONDS: f64 = 1.0;

/// The pace a new experiment starts at, in the worker and on the status line: the worker
/// returns to it on every `Load`, and the app shows it for every loaded preset.
pub const START_PACE: Pace = Pace::Warp;

/// How many steps the worker takes per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Exactly this many steps per frame (a power of two from 1 to [`MAX_FIXED_PACE`]).
    Fixed(u64),
    /// Flat out: as many steps as the machine can do.
    Max,
    /// Steps per frame grow with t so that log t advances at a constant rate: the early path is
    /// drawn step by step and a billion steps are still reached in half a minute (when the
    /// machine is fast enough; otherwise it runs flat out).
    Warp,
}

impl Pace {
    /// A short label for the status line: `×64/frame`, `max`, `warp`.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Pace::Fixed(k) => format!("×{k}/frame"),
            Pace::Max => "max".to_owned(),
            Pace::Warp => "warp".to_owned(),
        }
    }
}

/// What the UI asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Stop stepping (the worker then blocks).
    Pause,
    /// Start stepping at the current pace; past the horizon it runs on indefinitely.
    Resume,
    /// Pause, then take exactly this many steps and report.
    Step(u64),
    /// Change the pace.
    SetPace(Pace),
    /// Rebuild the current experiment from its spec and run it from step 0.
    Reset,
    /// Replace the experiment with a new one (a preset switch) and run it from step 0 at
    /// [`START_PACE`], as a freshly started worker would.
    Load(Box<ExperimentSpec>),
    /// End the thread.
    Quit,
}

/// Why the worker paused on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoPause {
    /// It reached the preset's `[show] steps`; space continues indefinitely.
    Horizon(u64),
    /// Every run froze or diverged, so stepping would change nothing.
    AllStopped,
}

/// One picture of the worker's state, sent at most once per frame.
#[derive(Debug, Clone)]
pub struct Report {
    /// How many commands the worker had taken in when it made this report. The UI counts the
    /// commands it sends and drops older reports, so a picture taken before a key (a `running`
    /// from before a pause or a reset, an old preset's picture after a load) never undoes it.
    pub generation: u64,
    /// The experiment's owned summary.
    pub snapshot: Snapshot,
    /// Whether the worker is stepping.
    pub running: bool,
    /// The pace in force.
    pub pace: Pace,
    /// Measured steps per second (smoothed; 0 when paused).
    pub steps_per_second: f64,
    /// Set when the worker paused on its own.
    pub auto_pause: Option<AutoPause>,
}

/// What the worker sends to the UI.
#[derive(Debug, Clone)]
pub enum WorkerMessage {
    /// The newest state.
    Report(Box<Report>),
    /// The worker panicked; the text is the panic message. The UI shows it and keeps running.
    Crashed(String),
}
