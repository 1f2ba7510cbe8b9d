//! Ctrl-C and SIGTERM for the headless verbs: stop between steps and keep the work done.
//!
//! A long `run` or `sweep` killed by its first signal would lose hours of work (Slurm sends
//! SIGTERM at a job's time limit; a user presses Ctrl-C). Instead the first SIGINT or SIGTERM
//! only sets a flag: `run` stops at its next check, prints the JSON of the steps done with
//! `"interrupted": true`, and `sweep` writes the rows of every finished point; both then exit
//! with 128 + the signal (130 for Ctrl-C). A second signal ends the process at once, for a user
//! who does not want to wait for the current chunk of steps.
//!
//! SIGHUP is left alone, so `nohup implicit-bias sweep …` keeps running after a hang-up.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::signal::{SIGINT, SIGTERM};

/// How often, at most, a long stretch of steps looks at the flag: the wait after Ctrl-C.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// The signal that asked the command to stop, if one has.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    /// 0 until a signal arrives, then its number.
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// An interrupt that only [`Interrupt::request`] sets: for callers without signals (tests,
    /// the library used from other code).
    #[must_use]
    pub fn never() -> Self {
        Self::default()
    }

    /// Installs the handlers for SIGINT and SIGTERM (see the module doc).
    ///
    /// # Errors
    /// When the operating system refuses a handler.
    pub fn install() -> io::Result<Self> {
        let interrupt = Self::default();
        let seen = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Order matters: the shutdown looks at `seen` before this signal's own flag sets it,
            // so only a second signal exits at once.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                128 + signal,
                Arc::clone(&seen),
            )?;
            signal_hook::flag::register(signal, Arc::clone(&seen))?;
            #[allow(clippy::cast_sign_loss)] // SIGINT and SIGTERM are small positive numbers
            signal_hook::flag::register_usize(
                signal,
                Arc::clone(&interrupt.signal),
                signal as usize,
            )?;
        }
        Ok(interrupt)
    }

    /// Asks the command to stop as `signal` would (what the handlers do).
    pub fn request(&self, signal: i32) {
        self.signal
            .store(usize::try_from(signal).unwrap_or(1), Ordering::SeqCst);
    }

    /// The signal that asked to stop, if any.
    #[must_use]
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            n => Some(i32::try_from(n).unwrap_or(i32::MAX)),
        }
    }

    /// The exit status for a command stopped by this interrupt: 128 + the signal (130 for
    /// Ctrl-C), as shells report a process killed by it.
    #[must_use]
    pub fn exit_status(&self) -> u8 {
        self.signal()
            .and_then(|s| u8::try_from(128 + s).ok())
            .unwrap_or(130)
    }
}

/// How many steps to take before looking at the flag again: as many as fill about
/// [`CHECK_EVERY`], measured on the steps before, between one and `most`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pacer {
    steps: u64,
    most: u64,
}

impl Pacer {
    /// A pacer that starts with one step (its time says how many fit) and never asks for more
    /// than `most` at once.
    pub(super) fn new(most: u64) -> Self {
        Self {
            steps: 1,
            most: most.max(1),
        }
    }

    /// The next stretch of steps.
    pub(super) fn steps(&self) -> u64 {
        self.steps
    }

    /// Learns from `steps` steps that started at `started`.
    pub(super) fn took(&mut self, steps: u64, started: Instant) {
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        let per_step = seconds / steps.max(1) as f64;
        // At most ten times as many as last time, so one fast stretch does not over-reach.
        let fit = (CHECK_EVERY.as_secs_f64() / per_step).min(steps.max(1) as f64 * 10.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped below
        let fit = fit.max(1.0).min(self.most as f64) as u64;
        self.steps = fit.clamp(1, self.most);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_seen_with_its_exit_status() {
        let interrupt = Interrupt::never();
        assert_eq!(interrupt.signal(), None);
        interrupt.clone().request(SIGTERM);
        assert_eq!(interrupt.signal(), Some(SIGTERM));
        assert_eq!(interrupt.exit_status(), 143);
        let ctrl_c = Interrupt::never();
        ctrl_c.request(SIGINT);
        assert_eq!(ctrl_c.exit_status(), 130);
    }

    #[test]
    fn the_pacer_grows_with_fast_steps_and_stays_within_bounds() {
        let mut pacer = Pacer::new(10_000);
        assert_eq!(pacer.steps(), 1);
        pacer.took(1, Instant::now());
        assert_eq!(pacer.steps(), 10, "at most ten times the last stretch");
        for _ in 0..10 {
            pacer.took(pacer.steps(), Instant::now());
        }
        assert_eq!(pacer.steps(), 10_000, "capped at `most`");
        let long_ago = Instant::now()
            .checked_sub(Duration::from_secs(10))
            .expect("the clock is past 10 s");
        pacer.took(10, long_ago);
        assert_eq!(pacer.steps(), 1, "a slow stretch shrinks it to one step");
    }
}
