//! End to end: the real binary in a pseudo-terminal, read back through a vt100 screen.
//!
//! It checks what a researcher does over SSH: the circle and the counter move, space pauses,
//! `n` takes exactly one step, `2` switches to the low-rank preset, `q` quits with status 0 and
//! the terminal restored (alternate screen left, cursor shown, and raw mode off: the pty's termios
//! read back through the master has line editing, echo, signal keys and output processing on
//! again, as the pty had them before the dashboard started); a SIGTERM, a SIGHUP or a pty that
//! goes away ends the process. An ignored test measures bytes per second written at 120×40 and
//! the dashboard's steps/s at full speed (run it with `--ignored --nocapture`).
//!
//! No assertion here is on wall-clock time: each test waits for what the screen or the process
//! shows, with [`WAIT`] only as a guard that turns a hang into a failure with the screen, so a
//! slow or loaded machine makes a test slower, never red. The one resource check, that a paused
//! dashboard idles, is on CPU time the process used, with a bound far from both idle and busy.
#![cfg(all(unix, feature = "tui"))]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::termios::{LocalFlags, OutputFlags};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long any wait may take before the test fails as hung: a guard, not a speed requirement.
const WAIT: Duration = Duration::from_secs(10);

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a non-zero terminal size")
}

/// A running dashboard with its screen.
struct Session {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    fn start(args: &[&str], cols: u16, rows: u16) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_implicit-bias"));
        command.args(args);
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        let cooked = pair.master.get_termios().expect("the pty's termios");
        assert!(
            cooked
                .local_flags
                .contains(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG)
                && cooked.output_flags.contains(OutputFlags::OPOST),
            "a new pty starts cooked"
        );
        let child = pair
            .slave
            .spawn_command(command)
            .expect("spawn the dashboard");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            nonzero(rows),
            nonzero(cols),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (parser_in, raw_in) = (Arc::clone(&parser), Arc::clone(&raw));
        thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                parser_in.lock().unwrap().process(&buffer[..n]);
                raw_in.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Self {
            child,
            master: pair.master,
            writer,
            parser,
            raw,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Esc alone: a pause after it, so the key after it is not read as Alt+key (terminals send
    /// Alt+x as Esc then x).
    fn press_esc(&mut self) {
        self.press("\x1b");
        thread::sleep(Duration::from_millis(150));
    }

    fn press(&mut self, keys: &str) {
        let writer = &mut self.writer;
        writer.write_all(keys.as_bytes()).expect("send keys");
        writer.flush().expect("flush keys");
    }

    /// Waits until `ready(screen)` holds; panics with the screen after [`WAIT`].
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to end and returns its status; a process still running after
    /// [`WAIT`] is killed and the test fails as hung. How long it took is not returned: tests
    /// assert that it ends, not how fast.
    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the dashboard did not exit within the {WAIT:?} guard; screen:\n{}",
                    self.screen()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resizes the pty (the kernel sends SIGWINCH) and the screen model with it.
    fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(nonzero(rows), nonzero(cols));
    }

    /// CPU seconds the process has used (Linux: utime + stime from /proc, all threads, in
    /// clock ticks of `getconf CLK_TCK`, 100 when that cannot be read).
    #[cfg(target_os = "linux")]
    fn cpu_seconds(&self) -> f64 {
        let pid = self.child.process_id().expect("pid");
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        let per_second = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .filter(|&t| t > 0.0)
            .unwrap_or(100.0);
        ticks / per_second
    }

    fn signal(&self, name: &str) {
        let pid = self.child.process_id().expect("pid").to_string();
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// The pty's line settings as the kernel holds them (read through the master, which shares
    /// them with the slave on Linux and the BSDs): (canonical line editing, echo, signal keys,
    /// output post-processing). All four on is a cooked terminal; raw mode (`cfmakeraw`, what
    /// crossterm uses) turns all four off.
    fn line_discipline(&self) -> (bool, bool, bool, bool) {
        let termios = self.master.get_termios().expect("the pty's termios");
        let local = termios.local_flags;
        (
            local.contains(LocalFlags::ICANON),
            local.contains(LocalFlags::ECHO),
            local.contains(LocalFlags::ISIG),
            termios.output_flags.contains(OutputFlags::OPOST),
        )
    }

    /// Asserts that the dashboard has put the pty in raw mode: proof that
    /// [`Session::line_discipline`] sees the program's settings, so the check after exit means
    /// something.
    fn assert_raw(&self) {
        assert_eq!(
            self.line_discipline(),
            (false, false, false, false),
            "the running dashboard should have the pty in raw mode (icanon, echo, isig, opost)"
        );
    }

    /// Asserts that the output ended the alternate screen and showed the cursor again, and that
    /// the pty is back in cooked mode: line editing, echo, Ctrl-C and newline translation on,
    /// as the shell needs them (compared with the settings the pty was opened with, all on).
    fn assert_restored(&self) {
        assert_eq!(
            self.line_discipline(),
            (true, true, true, true),
            "raw mode was left on after exit (icanon, echo, isig, opost)"
        );
        // Give the reader thread a moment to drain the last bytes.
        thread::sleep(Duration::from_millis(200));
        let raw = self.raw.lock().unwrap();
        let text = String::from_utf8_lossy(&raw);
        let entered = text
            .rfind("\x1b[?1049h")
            .expect("entered the alternate screen");
        let left = text
            .rfind("\x1b[?1049l")
            .expect("left the alternate screen");
        assert!(
            left > entered,
            "the alternate screen was not left at the end"
        );
        let shown = text.rfind("\x1b[?25h").expect("showed the cursor");
        assert!(shown > entered, "the cursor was not shown at the end");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// The number after `step ` on the status line.
fn step_of(screen: &str) -> Option<u64> {
    let line = screen.lines().next()?;
    let at = line.find("step ")? + 5;
    line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

fn has_braille(screen: &str) -> bool {
    screen
        .chars()
        .any(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
}

#[test]
fn pause_step_switch_and_quit() {
    let mut session = Session::start(&[], 100, 30);
    let first = session.wait_for("the circle and a counter", |s| {
        has_braille(s) && s.contains("directions") && step_of(s).is_some()
    });
    session.assert_raw();
    let start = step_of(&first).unwrap();
    session.wait_for("the counter to move", |s| {
        step_of(s).is_some_and(|n| n > start)
    });

    session.press(" ");
    let paused = session.wait_for("paused", |s| {
        s.lines().next().unwrap_or("").contains("paused")
    });
    // A report sent just before the pause may still arrive: wait until the count is stable.
    let mut step = step_of(&paused).unwrap();
    loop {
        thread::sleep(Duration::from_millis(300));
        let now = step_of(&session.screen()).unwrap();
        if now == step {
            break;
        }
        step = now;
    }
    session.press("n");
    session.wait_for("one step", |s| step_of(s) == Some(step + 1));
    thread::sleep(Duration::from_millis(300));
    assert_eq!(
        step_of(&session.screen()),
        Some(step + 1),
        "n must take exactly one step"
    );

    // Paused means idle: the worker blocks and the UI sleeps in poll. Measured: 0.01 CPU s in
    // a 2 s window. The bound, 0.25 s (an eighth of one core), is 25× that and 8× below what a
    // worker stepping flat out uses (a whole core, 2 s); a loaded machine only lowers the CPU
    // time a process gets, so load cannot turn this red, while a paused worker that kept
    // stepping or a UI that spun would.
    #[cfg(target_os = "linux")]
    {
        let before = session.cpu_seconds();
        thread::sleep(Duration::from_secs(2));
        let used = session.cpu_seconds() - before;
        assert!(
            used < 0.25,
            "a paused dashboard used {used} CPU seconds in a 2 s window"
        );
    }

    // A resize storm, down to 10×3 and 1×1, never panics; the last size is redrawn.
    for _ in 0..5 {
        for (cols, rows) in [(10, 3), (200, 60), (1, 1), (80, 24), (33, 7), (120, 40)] {
            session.resize(cols, rows);
            thread::sleep(Duration::from_millis(10));
        }
    }
    session.resize(100, 30);
    session.wait_for("a redraw after resizing", |s| {
        s.contains("directions") && step_of(s) == Some(step + 1)
    });

    session.press("2");
    session.wait_for("the low-rank preset", |s| {
        s.contains("low-rank") && s.contains("σ1") && s.contains("singular values")
    });

    session.press("q");
    let status = session.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    session.assert_restored();
}

/// The view keys through a real terminal: `z` zooms the circle (the bottom border gives the arc)
/// and back; `-` held long enough reaches the slowest slow motion, one step every 64 frames,
/// which the status line gives in steps per second (30 / 64 at `--fps 30`).
#[test]
fn zoom_and_slow_motion_keys() {
    let mut session = Session::start(&["max-margin", "--fps", "30"], 100, 30);
    session.wait_for("the circle", |s| has_braille(s) && s.contains("directions"));
    session.press("z");
    session.wait_for("the zoomed arc", |s| {
        s.contains(" arc ") && s.contains("z: whole")
    });
    session.press("z");
    session.wait_for("the whole circle", |s| !s.contains(" arc "));
    session.press(&"-".repeat(40));
    session.wait_for("slow motion", |s| {
        s.lines().next().unwrap_or("").contains("0.47 steps/s")
    });
    session.press("q");
    let status = session.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}

/// SIGTERM and SIGHUP end the dashboard (within the [`WAIT`] guard; how fast is not asserted)
/// and leave the terminal restored.
#[test]
fn sigterm_and_sighup_exit_and_restore() {
    for signal in ["-TERM", "-HUP"] {
        let mut session = Session::start(&["sgd-vs-adam"], 100, 30);
        session.wait_for("the dashboard", |s| step_of(s).is_some() && has_braille(s));
        session.assert_raw();
        session.signal(signal);
        session.wait_exit();
        session.assert_restored();
    }
}

#[test]
fn closing_the_pty_ends_the_process() {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_implicit-bias"));
    command.arg("max-margin");
    command.cwd(env!("CARGO_MANIFEST_DIR"));
    command.env("TERM", "xterm-256color");
    let mut child = pair
        .slave
        .spawn_command(command)
        .expect("spawn the dashboard");
    drop(pair.slave);
    // Nobody reads: the dashboard fills the pty buffer and blocks writing, as over a dead SSH
    // link (the pause gives it time to get there; nothing is asserted about its length). Then
    // the line goes away for good, as when sshd closes the master.
    thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the dashboard ended early"
    );
    drop(pair.master);
    // It must end; [`WAIT`] is the guard that tells "ends" from "hangs", not a speed limit.
    let deadline = Instant::now() + WAIT;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the dashboard kept running {WAIT:?} after its pty closed");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Bytes written per second and steps per second over `seconds`, with the screen at the end.
fn sample(session: &Session, seconds: u64) -> (f64, f64) {
    let bytes_before = session.raw.lock().unwrap().len();
    let steps_before = step_of(&session.screen()).unwrap();
    let started = Instant::now();
    thread::sleep(Duration::from_secs(seconds));
    let steps = step_of(&session.screen()).unwrap() - steps_before;
    let bytes = session.raw.lock().unwrap().len() - bytes_before;
    let elapsed = started.elapsed().as_secs_f64();
    (bytes as f64 / elapsed, steps as f64 / elapsed)
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn measure_bytes_per_second_and_steps_per_second() {
    for preset in ["max-margin", "low-rank"] {
        let mut session = Session::start(&[preset], 120, 40);
        session.wait_for("the dashboard", |s| step_of(s).is_some() && s.contains("┌"));
        // The default pace (warp), after the first seconds.
        thread::sleep(Duration::from_secs(2));
        let (bytes, _) = sample(&session, 8);
        println!("{preset} warp: {bytes:.0} bytes/s at 120×40");
        // Full speed: `w` leaves warp for flat out; space runs on past the horizon.
        session.press("w");
        session.wait_for("the horizon", |s| s.contains("horizon"));
        session.press(" ");
        thread::sleep(Duration::from_secs(2));
        let (bytes, steps) = sample(&session, 10);
        println!("{preset} max: {bytes:.0} bytes/s at 120×40, {steps:.0} steps/s");
        println!("{}", session.screen());
        session.press("q");
        let status = session.wait_exit();
        assert!(status.success());
    }
}

#[test]
fn the_preset_and_its_data_are_read_once_at_start_up() {
    // The data file is a named pipe that yields its rows to one reader only: a second read (the
    // preset loaded twice) would block for ever and the dashboard would never draw.
    let dir = std::env::temp_dir().join(format!("implicit-bias-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let preset = std::fs::read_to_string(root.join("presets/max-margin.toml")).expect("preset");
    let csv = std::fs::read(root.join("presets/data/article-clusters.csv")).expect("data");
    assert!(preset.contains("data/article-clusters.csv"));
    let preset = preset.replace("data/article-clusters.csv", "clusters.csv");
    let preset_path = dir.join("once.toml");
    std::fs::write(&preset_path, preset).expect("write the preset");
    let fifo = dir.join("clusters.csv");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let feeder = fifo.clone();
    // Opening blocks until the dashboard opens the pipe; dropping the file ends the one read.
    thread::spawn(move || {
        if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&feeder) {
            let _ = pipe.write_all(&csv);
        }
    });
    let mut session = Session::start(&[preset_path.to_str().unwrap()], 100, 30);
    session.wait_for("the dashboard on the piped data", |s| {
        has_braille(s) && step_of(s).is_some()
    });
    session.press("q");
    let status = session.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The rate in the progress bar of `run`, between "steps, " and " steps/s", once it is not 0.
fn progress_rate(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains(" steps/s"))?;
    let rate = line
        .split("steps, ")
        .nth(1)?
        .split(" steps/s")
        .next()?
        .trim();
    (rate != "0").then(|| rate.to_owned())
}

#[test]
fn the_progress_bar_shows_a_rounded_rate() {
    // 10¹² steps never finish: the session is killed when dropped.
    let session = Session::start(&["run", "sgd-vs-adam", "--steps", "1e12"], 120, 10);
    let screen = session.wait_for("a rate in the progress bar", |s| progress_rate(s).is_some());
    let rate = progress_rate(&screen).unwrap();
    // At most three significant digits and a k/M/G suffix: `3.17M`, not `3,165,255.7122/s`.
    let digits = rate.trim_end_matches(['k', 'M', 'G']);
    assert!(
        digits.parse::<f64>().is_ok()
            && digits.chars().filter(char::is_ascii_digit).count() <= 3
            && !rate.contains(','),
        "{rate:?} in\n{screen}"
    );
}

/// A fresh folder for one test's exports.
fn export_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ib-pty-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[test]
fn e_writes_the_figure_and_the_trace_and_the_dashboard_keeps_running() {
    let dir = export_dir("export");
    let dir_text = dir.to_string_lossy().into_owned();
    let mut session = Session::start(&["--export-dir", &dir_text, "max-margin"], 120, 40);
    session.wait_for("the dashboard", |s| step_of(s).is_some() && has_braille(s));
    session.press(" ");
    session.wait_for("paused", |s| {
        s.lines().next().unwrap_or("").contains("paused")
    });
    session.press("e");
    session.wait_for("the export notice", |s| s.contains("exported "));
    // A report sent just before the pause may have moved the counter since: take the step from
    // the file names, which must be a pair.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the export folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    let stem = names[0].strip_suffix(".csv").expect("a .csv and a .svg");
    assert_eq!(names[1], format!("{stem}.svg"));
    let digits = stem
        .strip_prefix("max-margin-step")
        .expect("preset and step in the name");
    assert!(digits.parse::<u64>().is_ok(), "{stem}");
    let stem = dir.join(stem);
    let svg = std::fs::read_to_string(stem.with_extension("svg")).expect("the figure");
    roxmltree::Document::parse(&svg).expect("the figure is XML");
    let csv = std::fs::read_to_string(stem.with_extension("csv")).expect("the trace");
    assert!(csv.starts_with("step,run,label,optimizer,"), "{csv}");
    // Still answering: one step, then quit cleanly.
    let step = step_of(&session.screen()).expect("a step");
    session.press("n");
    session.wait_for("one more step", |s| step_of(s) == Some(step + 1));
    session.press("q");
    let status = session.wait_exit();
    assert!(status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_export_that_cannot_be_written_is_shown_and_the_dashboard_keeps_running() {
    let dir = export_dir("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "a file, not a folder").expect("a file");
    let target = file.join("figures").to_string_lossy().into_owned();
    let mut session = Session::start(&["--export-dir", &target, "max-margin"], 120, 40);
    session.wait_for("the dashboard", |s| step_of(s).is_some() && has_braille(s));
    session.press("e");
    session.wait_for("the export error", |s| {
        s.contains("export failed: cannot create the folder")
    });
    session.press(" ");
    session.wait_for("paused", |s| {
        s.lines().next().unwrap_or("").contains("paused")
    });
    session.press("q");
    let status = session.wait_exit();
    assert!(status.success());
    std::fs::remove_dir_all(&dir).ok();
}

/// The first line of the screen: the status line.
fn status_line(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// `1` `2` `3` switch experiments from every state but a run pane focused with Tab (which the
/// status line announces), Esc gives the digits back, and Esc on the main view never quits.
#[test]
fn number_keys_switch_experiments_until_a_pane_takes_them_and_esc_never_quits() {
    let mut session = Session::start(&[], 100, 30);
    session.wait_for("max-margin", |s| status_line(s).contains("max-margin"));
    session.press("2");
    session.wait_for("low-rank", |s| {
        status_line(s).contains("low-rank") && s.contains("σ1")
    });
    session.press("3");
    session.wait_for("sgd-vs-adam", |s| status_line(s).contains("sgd-vs-adam"));
    session.press("1");
    session.wait_for("max-margin again", |s| {
        status_line(s).contains("max-margin")
    });
    // Esc with nothing open: the dashboard stays.
    session.press_esc();
    session.press("2");
    session.wait_for("low-rank after Esc", |s| {
        status_line(s).contains("low-rank")
    });
    assert!(
        session.child.try_wait().expect("try_wait").is_none(),
        "Esc quit"
    );
    // Tab to the σ pane (the first run-choosing pane of a matrix preset): digits choose runs.
    session.press("\t");
    session.wait_for("the run-choosing hint", |s| {
        status_line(s).contains("1-9 choose run") && status_line(s).contains("Esc leaves")
    });
    session.press("3");
    thread::sleep(Duration::from_millis(300));
    assert!(
        status_line(&session.screen()).contains("low-rank"),
        "3 chose a run, not a preset"
    );
    session.press_esc();
    session.wait_for("the hint to go", |s| !status_line(s).contains("choose run"));
    session.press("3");
    session.wait_for("sgd-vs-adam after Esc", |s| {
        status_line(s).contains("sgd-vs-adam")
    });
    session.press("q");
    let status = session.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    session.assert_restored();
}

/// `:` changes a run's learning rate live: the run table shows the new rate, the experiment
/// restarts, and the status line says the experiment differs from its file. A line the preset
/// refuses shows the reason in the prompt and changes nothing.
#[test]
fn the_prompt_changes_a_run_live_and_a_bad_line_changes_nothing() {
    let mut session = Session::start(&["max-margin"], 100, 30);
    session.wait_for("the run table", |s| s.contains("■2 gd lr=0.01"));
    session.press(":runs.2.lrr=0.5\r");
    let refused = session.wait_for("the refusal", |s| s.contains("did you mean"));
    assert!(refused.contains("lrr"), "{refused}");
    assert!(refused.contains("■2 gd lr=0.01"), "{refused}");
    assert!(!status_line(&refused).contains("set "), "{refused}");
    // Esc closes the prompt; the experiment ran on untouched.
    session.press_esc();
    session.wait_for("the prompt to close", |s| !s.contains("did you mean"));
    // Far enough ahead (N: 100 steps, paused) that a restart is seen as the counter going back.
    session.press("NNNNN");
    let ahead = session.wait_for("500 steps more", |s| {
        status_line(s).contains("paused") && step_of(s).is_some_and(|n| n >= 500)
    });
    let before = step_of(&ahead).unwrap();
    session.press(":runs.2.lr=0.5\r");
    let changed = session.wait_for("the new rate, restarted", |s| {
        s.contains("■2 gd lr=0.5")
            && status_line(s).contains("set runs.2.lr=0.5")
            && step_of(s).is_some_and(|n| n < before)
    });
    assert!(changed.contains("■1 gd lr=0.01"), "{changed}");
    // ↑ recalls the line.
    session.press(":");
    session.press("\x1b[A");
    session.wait_for("the recalled line", |s| s.contains(":runs.2.lr=0.5"));
    session.press_esc();
    session.press("q");
    let status = session.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}
