//! The live dashboard: the terminal, signals, and the event loop that ties app, worker and views.
//!
//! Threads: the UI (this loop) waits for a key or the next frame, applies the newest worker
//! report and redraws only when something changed; the worker ([`worker`]) owns the experiment;
//! a small watchdog turns SIGTERM / SIGHUP / SIGINT, or a terminal that went away, into a prompt
//! exit. The watchdog exists because crossterm's reader spins on a hung-up tty (it retries reads
//! that return EOF or EIO for ever), so the UI thread cannot be relied on to notice by itself.
//!
//! The terminal is always restored: on return by the guard's `Drop`, on a UI panic by the panic
//! hook, on a signal or hang-up by the watchdog. A worker panic is *not* a reason to restore: the
//! hook stays silent on that thread and the UI shows the message instead of losing its screen.

pub mod app;
pub mod keymap;
pub mod protocol;
pub mod snapshot;
pub mod theme;
pub mod view;
pub mod worker;

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::panic::{self, PanicHookInfo};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

use crate::core::experiment::ExperimentSpec;
use crate::core::par::Threads;
use crate::preset;

use app::{App, PresetEntry, PresetSource};
use keymap::action_for;
use worker::{WORKER_THREAD_NAME, WorkerHandle};

/// Options the dashboard starts with.
pub struct DashboardOptions {
    /// The preset file to open (resolved, not yet loaded: [`run`] loads it, once).
    pub preset: PathBuf,
    /// The preset as the user named it, for the hint `implicit-bias run NAME` when stdout is
    /// not a terminal.
    pub preset_arg: String,
    /// The folder `1` `2` `3` and the picker read presets from.
    pub presets_dir: PathBuf,
    /// Frames per second (the redraw cap; stepping is independent of it), clamped to
    /// [`crate::FPS_RANGE`].
    pub fps: u32,
    /// `--set` changes to `preset` (every time it is loaded; other presets open as written).
    pub overrides: Vec<preset::Override>,
    /// Where `e` writes the figure and the trace.
    pub export_dir: PathBuf,
    /// The threads the worker's experiment may keep busy (`--threads`).
    pub threads: Threads,
}

/// How long the UI gets to leave by itself after a signal before the watchdog exits for it.
const SIGNAL_GRACE: Duration = Duration::from_millis(400);
/// How often the watchdog looks at the signal flag and the terminal.
const WATCH_INTERVAL: Duration = Duration::from_millis(50);

/// The real preset files, read through [`crate::preset`].
struct FilePresets;

impl PresetSource for FilePresets {
    fn load(&self, path: &Path, overrides: &[preset::Override]) -> Result<ExperimentSpec, String> {
        preset::load_with(path, overrides).map_err(|e| e.to_string())
    }

    fn list(&self, dir: &Path) -> Vec<PresetEntry> {
        preset::list(dir)
            .into_iter()
            .map(|p| PresetEntry {
                name: p.name,
                title: p.title,
                about: p.about,
                path: p.path,
            })
            .collect()
    }
}

/// Runs the dashboard until the user quits. Err(message) for anything the user must see
/// (message printed by main to stderr, exit 1).
///
/// The preset is loaded (with its data files) before the terminal is checked, so a bad preset
/// is reported the same way with or without one, and exactly once.
///
/// # Errors
/// An unreadable preset (`file:line: key: message`), not a terminal, a terminal that refuses raw
/// mode, a worker that could not start or crashed (after the user quit).
pub fn run(options: DashboardOptions) -> Result<(), String> {
    let DashboardOptions {
        preset,
        preset_arg,
        presets_dir,
        fps,
        overrides,
        export_dir,
        threads,
    } = options;
    let spec = FilePresets.load(&preset, &overrides)?;
    if !io::stdout().is_terminal() {
        return Err(format!(
            "the dashboard needs a terminal (stdout is not one); for results without one use \
             `implicit-bias run {preset_arg}`"
        ));
    }
    let fps = fps.clamp(*crate::FPS_RANGE.start(), *crate::FPS_RANGE.end());
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps));
    let mut app = App::new(
        &spec,
        &preset,
        overrides,
        presets_dir,
        Box::new(FilePresets),
    );
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    app.fps = fps;
    app.export_dir = export_dir;

    let stop = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    register_signals(&stop).map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let hook = PanicHook::install();
    let mut guard =
        TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    spawn_watchdog(Arc::clone(&stop), Arc::clone(&finished));
    let mut worker = WorkerHandle::spawn(spec, frame, threads)
        .map_err(|e| format!("cannot start the worker: {e}"))?;

    let outcome = event_loop(&mut guard.terminal, &mut app, &worker, frame, &stop);
    worker.shutdown();
    drop(guard);
    finished.store(true, Ordering::SeqCst);
    drop(hook);
    outcome?;
    match app.crashed {
        Some(text) => Err(format!("the experiment thread crashed: {text}")),
        None => Ok(()),
    }
}

type Term = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Waits for a key or the next frame, applies worker reports, redraws when something changed.
fn event_loop(
    terminal: &mut Term,
    app: &mut App,
    worker: &WorkerHandle,
    frame: Duration,
    stop: &AtomicBool,
) -> Result<(), String> {
    let io_error = |e: io::Error| format!("terminal error: {e}");
    // Exports are written on short-lived threads that report back here.
    let (export_done, exports) = crossbeam_channel::unbounded();
    let mut dirty = true;
    let mut next_frame = Instant::now();
    while !app.should_quit && !stop.load(Ordering::SeqCst) {
        while let Ok(message) = worker.messages.try_recv() {
            app.apply(message);
            dirty = true;
        }
        while let Ok(outcome) = exports.try_recv() {
            app.export_finished(outcome);
            dirty = true;
        }
        let now = Instant::now();
        if dirty && now >= next_frame {
            terminal.draw(|f| view::draw(f, app)).map_err(io_error)?;
            dirty = false;
            next_frame = now + frame;
        }
        // Block until a key or the next frame; a paused dashboard wakes only fps times a second.
        let timeout = if dirty {
            next_frame.saturating_duration_since(Instant::now())
        } else {
            frame
        };
        if event::poll(timeout).map_err(io_error)? {
            match event::read().map_err(io_error)? {
                Event::Key(key) => {
                    if let Some(action) = action_for(key, app.key_mode()) {
                        for command in app.update(action) {
                            // A closed channel means the worker is gone; the banner says so.
                            let _ = worker.commands.send(command);
                        }
                        if let Some(job) = app.take_export() {
                            spawn_export(job, export_done.clone());
                        }
                        // Keys act within one frame: redraw now rather than at the next tick.
                        dirty = true;
                        next_frame = Instant::now();
                    }
                }
                Event::Resize(..) => {
                    terminal.autoresize().map_err(io_error)?;
                    dirty = true;
                    next_frame = Instant::now();
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Writes an export on its own thread and sends the outcome back, so the UI never waits on the
/// disk; a thread that cannot start is reported like a failed write.
fn spawn_export(
    job: app::ExportJob,
    done: crossbeam_channel::Sender<Result<crate::export::Exported, String>>,
) {
    let reply = done.clone();
    let spawned = thread::Builder::new()
        .name("implicit-bias-export".to_owned())
        .spawn(move || {
            let _ = done.send(job.write());
        });
    if let Err(e) = spawned {
        let _ = reply.send(Err(format!("cannot start the export thread: {e}")));
    }
}

/// Raw mode and the alternate screen for as long as it lives; restored on drop.
struct TerminalGuard {
    terminal: Term,
}

impl TerminalGuard {
    fn enter() -> io::Result<Self> {
        enable_raw_mode()?;
        if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, cursor::Hide) {
            restore_terminal();
            return Err(e);
        }
        // One buffered write per frame instead of one per escape sequence: fewer packets over SSH.
        let backend = CrosstermBackend::new(BufWriter::with_capacity(1 << 16, io::stdout()));
        match Terminal::new(backend) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                restore_terminal();
                Err(e)
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore_terminal();
    }
}

/// Leaves raw mode and the alternate screen and shows the cursor; errors are ignored because the
/// terminal may already be gone.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
}

/// Sets `stop` on SIGTERM, SIGHUP, SIGINT, SIGQUIT; a second such signal exits at once.
fn register_signals(stop: &Arc<AtomicBool>) -> io::Result<()> {
    #[cfg(unix)]
    let signals = {
        use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
        [SIGTERM, SIGHUP, SIGINT, SIGQUIT]
    };
    #[cfg(not(unix))]
    let signals = [
        signal_hook::consts::signal::SIGTERM,
        signal_hook::consts::signal::SIGINT,
    ];
    for signal in signals {
        // Order matters: the conditional shutdown sees the flag before this signal sets it.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(stop))?;
        signal_hook::flag::register(signal, Arc::clone(stop))?;
    }
    Ok(())
}

/// Watches for a stop request or a vanished terminal; if the UI does not leave within
/// [`SIGNAL_GRACE`] (it may be stuck in crossterm's reader on a hung-up tty), restores the
/// terminal as far as possible and exits the process.
fn spawn_watchdog(stop: Arc<AtomicBool>, finished: Arc<AtomicBool>) {
    let spawned = thread::Builder::new()
        .name("implicit-bias-watchdog".to_owned())
        .spawn(move || {
            loop {
                thread::sleep(WATCH_INTERVAL);
                if finished.load(Ordering::SeqCst) {
                    return;
                }
                if stop.load(Ordering::SeqCst) || !io::stdout().is_terminal() {
                    break;
                }
            }
            stop.store(true, Ordering::SeqCst);
            let deadline = Instant::now() + SIGNAL_GRACE;
            while Instant::now() < deadline {
                if finished.load(Ordering::SeqCst) {
                    return;
                }
                thread::sleep(Duration::from_millis(10));
            }
            // Restoring may block on a stalled terminal: give it a moment on its own thread.
            let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
            let _ = thread::Builder::new().spawn(move || {
                restore_terminal();
                let _ = done_tx.send(());
            });
            let _ = done_rx.recv_timeout(Duration::from_millis(200));
            std::process::exit(0);
        });
    // Without a watchdog the dashboard still works; only a hang-up would be slower to notice.
    drop(spawned);
}

/// The panic hook for the dashboard's lifetime: a UI panic restores the terminal before the
/// message is printed; a worker panic is kept for the UI to show and prints nothing (printing
/// would scribble over the screen, restoring would pull it from under the running UI).
struct PanicHook {
    previous: Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>,
}

impl PanicHook {
    fn install() -> Self {
        let previous: Arc<dyn Fn(&PanicHookInfo<'_>) + Send + Sync> = Arc::from(panic::take_hook());
        let chained = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| {
            if thread::current().name() == Some(WORKER_THREAD_NAME) {
                worker::stash_panic(info);
            } else {
                restore_terminal();
                chained(info);
            }
        }));
        Self { previous }
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        let previous = Arc::clone(&self.previous);
        // Only the hook we installed is replaced; this runs on the UI thread after the worker
        // has stopped, so no panic can race with it.
        drop(panic::take_hook());
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}
