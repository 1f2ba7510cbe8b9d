//! The thread that owns the experiment: [`Command`]s in, [`WorkerMessage`]s out.
//!
//! Stepping and drawing never wait for each other. The worker steps in time-sliced batches of a
//! few milliseconds, answers commands between batches, and offers the UI at most one report per
//! frame interval through a tiny bounded channel: when the UI is slow (a stalled SSH link) a
//! report is skipped rather than queued, so memory stays flat and the optimizer keeps its pace.
//! When paused with nothing to do it blocks on the command channel and spends no CPU.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError};

use crate::core::experiment::{Experiment, ExperimentSpec};
use crate::core::par::Threads;

// The message types live in the protocol; they are re-exported here for the worker's callers.
use super::protocol::START_PACE;
pub use super::protocol::{AutoPause, Command, MAX_FIXED_PACE, Pace, Report, WorkerMessage};

/// Name of the worker thread; the panic hook recognises it so a worker panic never tears the
/// terminal down under a UI that is still drawing.
pub const WORKER_THREAD_NAME: &str = "implicit-bias-worker";

/// Target duration of one batch of steps: long enough to amortise the clock reads, short enough
/// that a key press is answered well within a frame.
const BATCH_TARGET: Duration = Duration::from_millis(2);

/// The UI's handle on the worker thread.
pub struct WorkerHandle {
    /// Commands to the worker.
    pub commands: Sender<Command>,
    /// Reports from the worker.
    pub messages: Receiver<WorkerMessage>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Starts a worker that builds the experiment for `spec` (its exact references may take a
    /// moment, so not on the UI thread), owns it, and reports every `frame`.
    ///
    /// # Errors
    /// When the operating system refuses to start a thread.
    pub fn spawn(spec: ExperimentSpec, frame: Duration, threads: Threads) -> std::io::Result<Self> {
        let (command_tx, command_rx) = crossbeam_channel::unbounded();
        // Two slots: one report can wait while the next is produced; more would only queue
        // stale pictures behind a slow terminal.
        let (message_tx, message_rx) = crossbeam_channel::bounded(2);
        let thread = thread::Builder::new()
            .name(WORKER_THREAD_NAME.to_owned())
            .spawn(move || {
                let crash_tx = message_tx.clone();
                let outcome = catch_unwind(AssertUnwindSafe(move || {
                    let experiment = Experiment::new(spec).with_threads(threads);
                    Worker::new(experiment, frame, command_rx, message_tx).run();
                }));
                if let Err(payload) = outcome {
                    let text =
                        take_panic_location().unwrap_or_else(|| panic_text(payload.as_ref()));
                    // The UI drains this channel every frame; give up if it is gone.
                    let _ =
                        crash_tx.send_timeout(WorkerMessage::Crashed(text), Duration::from_secs(2));
                }
            })?;
        Ok(Self {
            commands: command_tx,
            messages: message_rx,
            thread: Some(thread),
        })
    }

    /// Asks the worker to stop and waits for it, but not for long: it answers within one batch,
    /// except while building a new experiment (an exact reference can take seconds), and quitting
    /// must not wait for that. A worker still busy after the grace period is left to the
    /// process exit.
    pub fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let _ = self.commands.send(Command::Quit);
        let deadline = Instant::now() + Duration::from_millis(500);
        // Draining also lets a worker blocked on a full report channel see the quit; the
        // channel disconnects when the thread has ended.
        loop {
            match self.messages.recv_deadline(deadline) {
                Ok(_) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    let _ = thread.join();
                    return;
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => return,
            }
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The newest worker panic with its location, stashed by the panic hook (which stays silent for
/// the worker so nothing is printed over the dashboard).
static WORKER_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Called by the panic hook on the worker thread: keeps `message at file:line` for the UI.
pub fn stash_panic(info: &std::panic::PanicHookInfo<'_>) {
    let text = panic_text(info.payload());
    let text = match info.location() {
        Some(at) => format!("{text} at {}:{}", at.file(), at.line()),
        None => text,
    };
    if let Ok(mut slot) = WORKER_PANIC.lock() {
        *slot = Some(text);
    }
}

fn take_panic_location() -> Option<String> {
    WORKER_PANIC.lock().ok().and_then(|mut slot| slot.take())
}

/// The panic message carried by a payload, or a generic one.
#[must_use]
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// The worker's private state.
struct Worker {
    experiment: Experiment,
    frame: Duration,
    commands: Receiver<Command>,
    messages: Sender<WorkerMessage>,
    generation: u64,
    running: bool,
    pace: Pace,
    /// Steps still owed in the current frame (running) — reset, not accumulated, each frame.
    allowance: u64,
    /// Frames since the pace was set, so slow motion steps on every n-th one.
    frame_index: u64,
    /// Steps asked for with `Step` and not yet taken.
    pending: u64,
    /// The horizon still ahead, if any: reaching it pauses the worker once.
    horizon: Option<u64>,
    auto_pause: Option<AutoPause>,
    batch: u64,
    next_tick: Instant,
    /// Running reports wait until then (see `send_report`).
    next_report: Instant,
    rate_mark: (Instant, u64),
    steps_per_second: f64,
    /// A report is due as soon as possible (after a command, or one that did not fit).
    report_due: bool,
}

/// What handling a command means for the loop.
enum Flow {
    Continue,
    Quit,
}

impl Worker {
    fn new(
        experiment: Experiment,
        frame: Duration,
        commands: Receiver<Command>,
        messages: Sender<WorkerMessage>,
    ) -> Self {
        let now = Instant::now();
        let horizon = Some(experiment.spec().horizon);
        let steps = experiment.steps_done();
        let mut worker = Self {
            experiment,
            frame: frame.max(Duration::from_millis(1)),
            commands,
            messages,
            generation: 0,
            running: true,
            pace: START_PACE,
            allowance: 1,
            frame_index: 0,
            pending: 0,
            horizon,
            auto_pause: None,
            batch: 1,
            next_tick: now,
            next_report: now,
            rate_mark: (now, steps),
            steps_per_second: 0.0,
            report_due: true,
        };
        worker.pause_at_horizon();
        worker
    }

    fn run(mut self) {
        loop {
            // Commands first, so a key is answered within one batch.
            loop {
                match self.commands.try_recv() {
                    Ok(command) => {
                        if let Flow::Quit = self.handle(command) {
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            let now = Instant::now();
            if now >= self.next_tick {
                self.tick(now);
            }
            if self.report_due && !self.send_report() {
                return;
            }
            let work = self.work_available();
            if work > 0 {
                self.step_batch(work);
                continue;
            }
            // Nothing to do until the next frame or the next command.
            let waited = if self.running || self.report_due {
                let timeout = self.next_tick.saturating_duration_since(Instant::now());
                match self.commands.recv_timeout(timeout) {
                    Ok(command) => Ok(Some(command)),
                    Err(RecvTimeoutError::Timeout) => Ok(None),
                    Err(RecvTimeoutError::Disconnected) => Err(()),
                }
            } else {
                // Paused and everything reported: block, spending no CPU.
                self.commands.recv().map(Some).map_err(|_| ())
            };
            match waited {
                Ok(Some(command)) => {
                    if let Flow::Quit = self.handle(command) {
                        return;
                    }
                }
                Ok(None) => {}
                Err(()) => return,
            }
        }
    }

    /// Steps that may be taken now: pending single steps first, then the frame's allowance,
    /// never crossing the horizon while running.
    fn work_available(&self) -> u64 {
        if self.pending > 0 {
            return self.pending;
        }
        if !self.running {
            return 0;
        }
        let done = self.experiment.steps_done();
        match self.horizon {
            Some(horizon) => self.allowance.min(horizon.saturating_sub(done)),
            None => self.allowance,
        }
    }

    /// Takes one time-sliced batch of at most `work` steps and adapts the batch size.
    fn step_batch(&mut self, work: u64) {
        let n = self.batch.min(work);
        let started = Instant::now();
        self.experiment.step(n);
        let elapsed = started.elapsed();
        if self.pending > 0 {
            self.pending -= n;
            if self.pending == 0 {
                self.report_due = true;
            }
        } else {
            self.allowance = self.allowance.saturating_sub(n);
        }
        if n == self.batch {
            if elapsed < BATCH_TARGET / 2 {
                self.batch = self.batch.saturating_mul(2);
            } else if elapsed > BATCH_TARGET * 2 && self.batch > 1 {
                self.batch /= 2;
            }
        }
        self.pause_at_horizon();
        if self.experiment.all_stopped() && self.running {
            self.running = false;
            self.steps_per_second = 0.0;
            self.auto_pause = Some(AutoPause::AllStopped);
            self.report_due = true;
        }
    }

    /// Pauses once at the horizon, when stepping reached it or when a (re)started experiment is
    /// already there (`[show] steps = 0`): the horizon is then cleared, so space runs on. Without
    /// the second case such a preset would claim to run while `work_available` grants nothing.
    fn pause_at_horizon(&mut self) {
        let Some(horizon) = self.horizon else {
            return;
        };
        if self.experiment.steps_done() < horizon {
            return;
        }
        self.horizon = None;
        if self.running && self.pending == 0 {
            self.running = false;
            self.steps_per_second = 0.0;
            self.auto_pause = Some(AutoPause::Horizon(horizon));
            self.report_due = true;
        }
    }

    /// The frame boundary: measure the rate, grant the next frame's steps, report.
    fn tick(&mut self, now: Instant) {
        let done = self.experiment.steps_done();
        let (mark_time, mark_steps) = self.rate_mark;
        let elapsed = now.duration_since(mark_time).as_secs_f64();
        if elapsed >= 0.25 {
            let rate = done.saturating_sub(mark_steps) as f64 / elapsed;
            self.steps_per_second = if self.running { rate } else { 0.0 };
            self.rate_mark = (now, done);
        }
        self.allowance = self.pace.allowance(self.frame_index, done, self.frame);
        self.frame_index += 1;
        self.next_tick = (self.next_tick + self.frame).max(now);
        if self.running && now >= self.next_report {
            self.report_due = true;
        }
    }

    /// Offers a report; false when the UI has gone (the worker should end).
    fn send_report(&mut self) -> bool {
        let started = Instant::now();
        let snapshot = self.experiment.snapshot();
        // A snapshot of a large matrix (an SVD) may cost more than a frame: then report less
        // often, so pictures never take more than a fifth of the worker's time.
        self.next_report = started + started.elapsed() * 4;
        let report = Report {
            generation: self.generation,
            snapshot,
            running: self.running,
            pace: self.pace,
            steps_per_second: self.steps_per_second,
            auto_pause: self.auto_pause,
        };
        match self
            .messages
            .try_send(WorkerMessage::Report(Box::new(report)))
        {
            Ok(()) => {
                self.report_due = false;
                true
            }
            // The UI has not drained the last ones yet: try again next frame.
            Err(TrySendError::Full(_)) => true,
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// Starts over with a new experiment for `spec`, on the same thread budget.
    fn restart(&mut self, spec: ExperimentSpec) {
        let experiment = Experiment::new(spec).with_threads(self.experiment.threads());
        self.horizon = Some(experiment.spec().horizon);
        self.experiment = experiment;
        self.running = true;
        self.pending = 0;
        self.auto_pause = None;
        self.allowance = 1;
        self.steps_per_second = 0.0;
        self.rate_mark = (Instant::now(), 0);
        self.pause_at_horizon();
    }

    fn handle(&mut self, command: Command) -> Flow {
        // Every command, as the app counts them (see `Report::generation`).
        self.generation += 1;
        match command {
            Command::Pause => {
                self.running = false;
                self.steps_per_second = 0.0;
            }
            Command::Resume => {
                self.running = true;
                self.auto_pause = None;
                self.rate_mark = (Instant::now(), self.experiment.steps_done());
            }
            Command::Step(n) => {
                self.running = false;
                self.steps_per_second = 0.0;
                self.pending = self.pending.saturating_add(n);
            }
            Command::SetPace(pace) => {
                self.pace = pace;
                self.frame_index = 0;
                self.allowance = match pace {
                    Pace::Fixed(k) => k.min(self.allowance),
                    Pace::Max => u64::MAX,
                    Pace::Slow(_) | Pace::Warp => self.allowance.min(1),
                };
            }
            Command::Reset => {
                let spec = self.experiment.spec().clone();
                self.restart(spec);
            }
            Command::Restart(spec) => self.restart(*spec),
            Command::Load(spec) => {
                // A new preset may cost far more (or less) per step than the old one: start
                // over from one-step batches as well as from the start pace.
                self.pace = START_PACE;
                self.batch = 1;
                self.restart(*spec);
            }
            Command::Quit => return Flow::Quit,
        }
        self.report_due = true;
        Flow::Continue
    }
}
