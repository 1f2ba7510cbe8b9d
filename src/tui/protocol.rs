//! What the worker and the app say to each other: [`Command`]s in, [`WorkerMessage`]s out, and
//! the [`Pace`] both sides agree on. Views read these types too, so they live here rather than
//! in the worker: a view imports nothing from the thread that steps the experiment.

use std::time::Duration;

use crate::core::experiment::{ExperimentSpec, Snapshot};
use crate::headless::rate;

/// Largest fixed pace (steps per frame) before `+` switches to flat out.
pub const MAX_FIXED_PACE: u64 = 1 << 24;

/// How fast the warp clock runs: t doubles every this many seconds, so 1 → 10⁹ takes ≈ 30 s
/// (log₂ 10⁹ ≈ 30) whatever the frame rate.
pub const WARP_DOUBLING_SECONDS: f64 = 1.0;

/// The pace a new experiment starts at, in the worker and on the status line: the worker
/// returns to it on every `Load`, and the app shows it for every loaded preset.
pub const START_PACE: Pace = Pace::Warp;

/// The slowest pace: one step every this many frames (`-` stops here).
pub const MAX_SLOW_FRAMES: u64 = 64;

/// How many steps the worker takes per frame. Every rule about paces lives on this type: the
/// ladder `+` and `-` climb ([`Pace::faster`], [`Pace::slower`]), the steps a frame grants
/// ([`Pace::allowance`]) and the label ([`Pace::label`]), so app and worker cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Slow motion: one step every this many frames (a power of two from 2 to
    /// [`MAX_SLOW_FRAMES`]), so the first steps of a run can be watched one by one.
    Slow(u64),
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
    /// The next pace up the ladder: ½ → 1 → 2 → … → [`MAX_FIXED_PACE`] → max. From warp it
    /// starts at twice the power of two below `measured_per_frame` (the warp clock's own pace).
    #[must_use]
    pub fn faster(self, measured_per_frame: f64) -> Pace {
        match self {
            Pace::Slow(frames) if frames <= 2 => Pace::Fixed(1),
            Pace::Slow(frames) => Pace::Slow(frames / 2),
            Pace::Fixed(k) if k >= MAX_FIXED_PACE => Pace::Max,
            Pace::Fixed(k) => Pace::Fixed(k * 2),
            Pace::Max => Pace::Max,
            Pace::Warp => {
                Pace::Fixed((power_of_two_at_most(measured_per_frame) * 2).min(MAX_FIXED_PACE))
            }
        }
    }

    /// The next pace down the ladder: max → [`MAX_FIXED_PACE`] → … → 1 → ½ → … →
    /// 1/[`MAX_SLOW_FRAMES`] steps per frame. From warp it starts at half the power of two below
    /// `measured_per_frame`, never below one step per frame.
    #[must_use]
    pub fn slower(self, measured_per_frame: f64) -> Pace {
        match self {
            Pace::Slow(frames) => Pace::Slow((frames * 2).min(MAX_SLOW_FRAMES)),
            Pace::Fixed(k) if k <= 1 => Pace::Slow(2),
            Pace::Fixed(k) => Pace::Fixed(k / 2),
            Pace::Max => Pace::Fixed(MAX_FIXED_PACE),
            Pace::Warp => Pace::Fixed((power_of_two_at_most(measured_per_frame) / 2).max(1)),
        }
    }

    /// The steps granted for frame number `frame_index` (counted from any start), when `done`
    /// steps have been taken and a frame lasts `frame`.
    #[must_use]
    pub fn allowance(self, frame_index: u64, done: u64, frame: Duration) -> u64 {
        match self {
            Pace::Slow(frames) => u64::from(frame_index.is_multiple_of(frames.max(1))),
            Pace::Fixed(k) => k,
            Pace::Max => u64::MAX,
            Pace::Warp => {
                let growth = 2f64.powf(frame.as_secs_f64() / WARP_DOUBLING_SECONDS) - 1.0;
                ((done as f64 * growth).ceil() as u64).max(1)
            }
        }
    }

    /// The steps per second this pace asks for at `fps` frames per second, when it fixes one
    /// (slow motion and fixed paces); `None` for max and warp, whose rate is only measured.
    #[must_use]
    pub fn nominal_rate(self, fps: u32) -> Option<f64> {
        match self {
            Pace::Slow(frames) => Some(f64::from(fps) / frames.max(1) as f64),
            Pace::Fixed(k) => Some(k as f64 * f64::from(fps)),
            Pace::Max | Pace::Warp => None,
        }
    }

    /// The speed label for the status line, in steps per second: `15 steps/s` for a fixed pace
    /// at `fps` frames per second, `max 1.2M steps/s` and `warp 1.2M steps/s` from the
    /// `measured` rate (just `max` and `warp` while nothing is measured). A fixed pace the
    /// machine cannot keep up with shows the measured rate before the asked one
    /// (`2.1M of 16M steps/s`).
    #[must_use]
    pub fn label(self, fps: u32, measured: f64) -> String {
        match self.nominal_rate(fps) {
            Some(asked) if measured > 0.0 && measured < asked / 2.0 && asked >= 10_000.0 => {
                format!("{} of {} steps/s", rate(measured), rate(asked))
            }
            Some(asked) => format!("{} steps/s", rate(asked)),
            None => {
                let name = if self == Pace::Max { "max" } else { "warp" };
                if measured > 0.0 {
                    format!("{name} {} steps/s", rate(measured))
                } else {
                    name.to_owned()
                }
            }
        }
    }
}

/// The largest power of two ≤ `n` (1 below 2), capped at [`MAX_FIXED_PACE`].
fn power_of_two_at_most(n: f64) -> u64 {
    let n = (n.max(1.0) as u64).min(MAX_FIXED_PACE);
    1 << n.ilog2()
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
    /// Rebuild the current experiment from its spec and run it from step 0 at the pace in force
    /// (a warp replays its log clock from t = 1).
    Reset,
    /// Rebuild the experiment from this changed spec (the `:` prompt's override) and run it from
    /// step 0 at the pace in force, as `Reset` does.
    Restart(Box<ExperimentSpec>),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_goes_from_one_step_in_64_frames_to_flat_out_and_back() {
        // Walk down from max: every rung halves the steps per frame (checked against the
        // nominal rate, an independent reading of the same pace), ending at 1/64.
        let mut pace = Pace::Max;
        let mut rungs = vec![];
        for _ in 0..40 {
            pace = pace.slower(0.0);
            rungs.push(pace);
        }
        assert_eq!(rungs[0], Pace::Fixed(MAX_FIXED_PACE));
        assert_eq!(*rungs.last().unwrap(), Pace::Slow(MAX_SLOW_FRAMES));
        let rates: Vec<f64> = rungs.iter().map(|p| p.nominal_rate(30).unwrap()).collect();
        let distinct = rates.iter().filter(|r| **r > 30.0 / 64.0).count() + 1;
        for pair in rates[..distinct].windows(2) {
            assert!((pair[0] / pair[1] - 2.0).abs() < 1e-12, "{pair:?}");
        }
        assert!(rungs.contains(&Pace::Fixed(1)) && rungs.contains(&Pace::Slow(2)));
        // And back up through the same rungs to flat out.
        let mut up = vec![];
        for _ in 0..40 {
            pace = pace.faster(0.0);
            up.push(pace);
        }
        assert_eq!(up[0], Pace::Slow(MAX_SLOW_FRAMES / 2));
        assert!(up.contains(&Pace::Fixed(1)));
        assert_eq!(*up.last().unwrap(), Pace::Max);
        // Leaving warp starts from the measured steps per frame (here 100: 64 is the power of
        // two below), never below one step per frame.
        assert_eq!(Pace::Warp.faster(100.0), Pace::Fixed(128));
        assert_eq!(Pace::Warp.slower(100.0), Pace::Fixed(32));
        assert_eq!(Pace::Warp.slower(0.0), Pace::Fixed(1));
    }

    #[test]
    fn slow_motion_grants_one_step_every_n_frames() {
        let frame = Duration::from_millis(33);
        for frames in [2, 4, 64] {
            // Summed over 10 periods, exactly 10 steps, and never more than one per frame.
            let grants: Vec<u64> = (0..10 * frames)
                .map(|i| Pace::Slow(frames).allowance(i, 0, frame))
                .collect();
            assert_eq!(grants.iter().sum::<u64>(), 10);
            assert!(grants.iter().all(|&g| g <= 1));
        }
        assert_eq!(Pace::Fixed(8).allowance(3, 0, frame), 8);
        // Warp: t grows by 2^(frame / doubling) − 1 of itself per frame (closed form).
        let growth = 2f64.powf(0.033 / WARP_DOUBLING_SECONDS) - 1.0;
        let expected = (1_000_000.0 * growth).ceil() as u64;
        assert_eq!(Pace::Warp.allowance(0, 1_000_000, frame), expected);
        assert_eq!(Pace::Warp.allowance(0, 0, frame), 1);
    }

    #[test]
    fn speed_labels_say_steps_per_second() {
        assert_eq!(Pace::Slow(2).label(30, 0.0), "15 steps/s");
        assert_eq!(Pace::Slow(8).label(30, 0.0), "3.8 steps/s");
        assert_eq!(Pace::Slow(64).label(30, 0.0), "0.47 steps/s");
        assert_eq!(Pace::Fixed(128).label(30, 3840.0), "3.8k steps/s");
        assert_eq!(Pace::Warp.label(30, 1_234_567.0), "warp 1.2M steps/s");
        assert_eq!(Pace::Max.label(30, 0.0), "max");
        // A fixed pace the machine cannot keep up with says what it gets of what it asked.
        assert_eq!(
            Pace::Fixed(MAX_FIXED_PACE).label(30, 2_100_000.0),
            "2.1M of 503M steps/s"
        );
        for (x, text) in [
            (0.0, "0"),
            (2.0, "2"),
            (960.0, "960"),
            (1000.0, "1k"),
            (2.5e9, "2.5G"),
        ] {
            assert_eq!(rate(x), text);
        }
    }
}
