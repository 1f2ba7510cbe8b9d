//! The dashboard's state without a terminal: keys → actions → commands, and the worker thread.
//!
//! Covers what the issue promises: only key presses count; a step while paused advances exactly
//! the stated number of steps; speed and warp stay within bounds; switching presets drops stale
//! reports; a bad preset keeps the current one; the worker pauses at the horizon, blocks when
//! paused, and reports a panic instead of taking the UI down.
#![cfg(feature = "tui")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use implicit_bias::FPS_RANGE;
use implicit_bias::core::data::gaussian_clusters;
use implicit_bias::core::experiment::{Experiment, ExperimentSpec, Layout, Problem, SnapshotBody};
use implicit_bias::core::kinds::linear::{LinearProblem, LinearRunSpec};
use implicit_bias::core::model::Loss;
use implicit_bias::core::optim::{OptimizerKind, OptimizerSpec};
use implicit_bias::core::par::Threads;
use implicit_bias::core::reference::MarginNorm;
use implicit_bias::preset::Override;
use implicit_bias::tui::app::{
    App, CircleView, Overlay, Pane, PresetEntry, PresetSource, SigmaAxis,
};
use implicit_bias::tui::keymap::{Action, KeyMode, action_for};
use implicit_bias::tui::protocol::MAX_SLOW_FRAMES;
use implicit_bias::tui::view;
use implicit_bias::tui::worker::{
    AutoPause, Command, MAX_FIXED_PACE, Pace, Report, WorkerHandle, WorkerMessage,
};

fn spec(title: &str, horizon: u64) -> ExperimentSpec {
    ExperimentSpec {
        title: title.to_owned(),
        about: String::new(),
        seed: 1,
        problem: Problem::Linear(LinearProblem {
            data: gaussian_clusters(10, 0.5, &[1.5, 1.5], 42),
            loss: Loss::Exp,
            bias: false,
            runs: vec![
                LinearRunSpec {
                    optimizer: OptimizerSpec::new(OptimizerKind::Gd, 0.01),
                    init: vec![-2.0, 4.0],
                },
                LinearRunSpec {
                    optimizer: OptimizerSpec::new(OptimizerKind::Gd, 0.01),
                    init: vec![4.0, -1.0],
                },
            ],
            references: vec![MarginNorm::L2],
            layout: Layout::Overlay,
        }),
        horizon,
    }
}

/// `presets/<name>.toml` loads as a spec titled `<name>`, except `broken`.
struct Fixtures;

impl PresetSource for Fixtures {
    fn load(&self, path: &Path, _overrides: &[Override]) -> Result<ExperimentSpec, String> {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "broken" {
            Err("broken.toml:2: lr: must be finite, got nan".to_owned())
        } else {
            Ok(spec(&name, 1000))
        }
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        ["broken", "low-rank", "max-margin"]
            .iter()
            .map(|name| PresetEntry {
                name: (*name).to_owned(),
                title: (*name).to_owned(),
                about: String::new(),
                path: PathBuf::from(format!("presets/{name}.toml")),
            })
            .collect()
    }
}

fn app() -> App {
    App::new(
        &spec("max-margin", 1000),
        Path::new("presets/max-margin.toml"),
        Vec::new(),
        PathBuf::from("presets"),
        Box::new(Fixtures),
    )
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn report(generation: u64, running: bool) -> WorkerMessage {
    let experiment = Experiment::new(spec("x", 1000));
    WorkerMessage::Report(Box::new(Report {
        generation,
        snapshot: experiment.snapshot(),
        running,
        pace: Pace::Warp,
        steps_per_second: 0.0,
        auto_pause: None,
    }))
}

#[test]
fn keys_map_to_actions_and_only_presses_count() {
    let normal = KeyMode::Normal;
    let cases = [
        (KeyCode::Char(' '), Action::TogglePause),
        (KeyCode::Char('n'), Action::Step(1)),
        (KeyCode::Char('.'), Action::Step(1)),
        (KeyCode::Char('N'), Action::Step(100)),
        (KeyCode::Char('+'), Action::Faster),
        (KeyCode::Char('-'), Action::Slower),
        (KeyCode::Char('w'), Action::ToggleWarp),
        (KeyCode::Char('r'), Action::Reset),
        (KeyCode::Char('1'), Action::LoadBuiltin(0)),
        (KeyCode::Char('2'), Action::LoadBuiltin(1)),
        (KeyCode::Char('3'), Action::LoadBuiltin(2)),
        (KeyCode::Char('p'), Action::TogglePicker),
        (KeyCode::Tab, Action::FocusNext),
        (KeyCode::Char('?'), Action::ToggleHelp),
        (KeyCode::Char('q'), Action::Quit),
        (KeyCode::Esc, Action::Back),
        (KeyCode::Char(':'), Action::OpenPrompt),
        (KeyCode::Char('i'), Action::ToggleInfo),
        (KeyCode::Char('l'), Action::ToggleLogAxis),
    ];
    for (code, action) in cases {
        assert_eq!(action_for(key(code), normal), Some(action), "{code:?}");
    }
    assert_eq!(action_for(key(KeyCode::Char('x')), normal), None);
    assert_eq!(action_for(key(KeyCode::Char('4')), normal), None);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(action_for(ctrl_c, KeyMode::Picker), Some(Action::Quit));
    let mut release = key(KeyCode::Char(' '));
    release.kind = KeyEventKind::Release;
    assert_eq!(action_for(release, normal), None);
    release.kind = KeyEventKind::Repeat;
    assert_eq!(action_for(release, normal), None);
    // Esc closes and never quits; the picker takes the arrows and Enter.
    assert_eq!(
        action_for(key(KeyCode::Esc), KeyMode::Help),
        Some(Action::Back)
    );
    assert_eq!(
        action_for(key(KeyCode::Esc), KeyMode::Picker),
        Some(Action::Back)
    );
    assert_eq!(
        action_for(key(KeyCode::Down), KeyMode::Picker),
        Some(Action::PickerMove(1))
    );
    assert_eq!(
        action_for(key(KeyCode::Enter), KeyMode::Picker),
        Some(Action::PickerConfirm)
    );
    assert_eq!(
        action_for(key(KeyCode::Char(' ')), KeyMode::Help),
        Some(Action::TogglePause)
    );
}

#[test]
fn pause_step_and_quit_become_commands() {
    let mut app = app();
    assert_eq!(app.update(Action::TogglePause), vec![Command::Pause]);
    assert!(app.paused);
    assert_eq!(app.update(Action::Step(1)), vec![Command::Step(1)]);
    assert_eq!(app.update(Action::Step(100)), vec![Command::Step(100)]);
    assert_eq!(app.update(Action::TogglePause), vec![Command::Resume]);
    assert!(!app.paused);
    // A step while running pauses first (the worker's Step implies a pause).
    assert_eq!(app.update(Action::Step(1)), vec![Command::Step(1)]);
    assert!(app.paused);
    assert_eq!(app.update(Action::Reset), vec![Command::Reset]);
    assert!(!app.paused);
    assert_eq!(app.update(Action::Quit), vec![Command::Quit]);
    assert!(app.should_quit);
}

#[test]
fn speed_is_bounded_and_warp_returns_to_the_previous_pace() {
    let mut app = app();
    assert_eq!(app.pace, Pace::Warp, "a new preset starts on the log clock");
    assert_eq!(
        app.update(Action::ToggleWarp),
        vec![Command::SetPace(Pace::Max)]
    );
    // Down from flat out to the largest fixed pace, then halving through one step per frame
    // into slow motion, down to one step every MAX_SLOW_FRAMES frames and no further.
    assert_eq!(
        app.update(Action::Slower),
        vec![Command::SetPace(Pace::Fixed(MAX_FIXED_PACE))]
    );
    for _ in 0..40 {
        app.update(Action::Slower);
    }
    assert_eq!(app.pace, Pace::Slow(MAX_SLOW_FRAMES));
    assert_eq!(
        app.update(Action::Faster),
        vec![Command::SetPace(Pace::Slow(MAX_SLOW_FRAMES / 2))]
    );
    for _ in 0..40 {
        app.update(Action::Faster);
    }
    assert_eq!(app.pace, Pace::Max);
    app.update(Action::Slower);
    app.update(Action::Slower);
    assert_eq!(app.pace, Pace::Fixed(MAX_FIXED_PACE / 2));
    assert_eq!(
        app.update(Action::ToggleWarp),
        vec![Command::SetPace(Pace::Warp)]
    );
    assert_eq!(
        app.update(Action::ToggleWarp),
        vec![Command::SetPace(Pace::Fixed(MAX_FIXED_PACE / 2))]
    );
    // From warp, + and - start from the measured steps per frame (1 before any report).
    app.update(Action::ToggleWarp);
    assert_eq!(
        app.update(Action::Faster),
        vec![Command::SetPace(Pace::Fixed(2))]
    );
    app.update(Action::ToggleWarp);
    assert_eq!(
        app.update(Action::Slower),
        vec![Command::SetPace(Pace::Fixed(1))]
    );
}

#[test]
fn switching_presets_loads_and_drops_stale_reports() {
    let mut app = app();
    app.apply(report(0, true));
    assert!(app.report.is_some());
    let commands = app.update(Action::LoadBuiltin(1));
    assert!(matches!(commands.as_slice(), [Command::Load(spec)] if spec.title == "low-rank"));
    assert_eq!(app.title, "low-rank");
    assert_eq!(app.preset_name, "low-rank");
    assert!(app.report.is_none(), "the old preset's picture is gone");
    app.apply(report(0, true));
    assert!(
        app.report.is_none(),
        "a report about the old preset is dropped"
    );
    app.apply(report(1, false));
    assert!(app.report.is_some());
    assert!(app.paused, "the worker's word on running wins");
    assert_eq!(app.update(Action::LoadBuiltin(7)), vec![]);
}

#[test]
fn a_bad_preset_keeps_the_current_one_and_says_why() {
    let mut app = app();
    app.update(Action::TogglePicker);
    let Overlay::Picker { selected, entries } = &app.overlay else {
        panic!("no picker")
    };
    assert_eq!(entries.len(), 3);
    assert_eq!(*selected, 2, "the picker opens on the running preset");
    app.update(Action::PickerMove(-10));
    let Overlay::Picker { selected, .. } = &app.overlay else {
        panic!("no picker")
    };
    assert_eq!(*selected, 0, "moves are clamped");
    assert_eq!(app.update(Action::PickerConfirm), vec![]);
    assert_eq!(app.title, "max-margin");
    assert!(app.notice.as_deref().unwrap().contains("must be finite"));
    assert_eq!(app.overlay, Overlay::None);
    // Any next key clears the note.
    app.update(Action::FocusNext);
    assert!(app.notice.is_none());
    // A good pick from the picker loads.
    app.update(Action::TogglePicker);
    app.update(Action::PickerMove(-1));
    let commands = app.update(Action::PickerConfirm);
    assert!(matches!(commands.as_slice(), [Command::Load(spec)] if spec.title == "low-rank"));
}

#[test]
fn tab_cycles_the_panes_and_overlays_toggle() {
    let mut app = app();
    app.apply(report(0, true));
    assert_eq!(
        app.panes(),
        vec![view::linear::CIRCLE, Pane::METRICS, view::linear::GAP]
    );
    // Nothing is focused at first: the number keys switch experiments.
    assert_eq!(app.focused(), None);
    app.update(Action::FocusNext);
    assert_eq!(app.focused(), Some(view::linear::CIRCLE));
    app.update(Action::FocusNext);
    assert_eq!(app.focused(), Some(Pane::METRICS));
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focused(), None, "after the last pane, none");
    app.update(Action::FocusNext);
    assert_eq!(app.focused(), Some(view::linear::CIRCLE));
    app.update(Action::ToggleHelp);
    assert_eq!(app.key_mode(), KeyMode::Help);
    app.update(Action::Back);
    assert_eq!(app.key_mode(), KeyMode::Normal);
    assert_eq!(
        app.focused(),
        Some(view::linear::CIRCLE),
        "Esc closed the help only"
    );
    app.update(Action::Back);
    assert_eq!(app.focused(), None, "then Esc leaves the pane");
    app.update(Action::Back);
    assert!(!app.should_quit, "and Esc never quits");
    app.update(Action::ToggleInfo);
    assert_eq!(app.overlay, Overlay::Info);
    app.update(Action::ToggleInfo);
    assert_eq!(app.overlay, Overlay::None);
}

/// A focused pane that shows one run takes the arrows and number keys to choose it; every other
/// key keeps its meaning, and away from such a pane the number keys load presets again.
#[test]
fn a_focused_run_pane_takes_arrows_and_numbers() {
    let mut app = app();
    app.apply(report(0, true));
    assert_eq!(
        app.key_mode(),
        KeyMode::Normal,
        "the circle takes no run keys"
    );
    assert_eq!(
        action_for(key(KeyCode::Char('2')), app.key_mode()),
        Some(Action::LoadBuiltin(1))
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focused(), Some(Pane::METRICS));
    let mode = app.key_mode();
    assert_eq!(mode, KeyMode::ChooseRun);
    for (code, action) in [
        (KeyCode::Up, Action::MoveRun(-1)),
        (KeyCode::Left, Action::MoveRun(-1)),
        (KeyCode::Down, Action::MoveRun(1)),
        (KeyCode::Right, Action::MoveRun(1)),
        (KeyCode::Char('2'), Action::ChooseRun(1)),
        (KeyCode::Char('9'), Action::ChooseRun(8)),
        (KeyCode::Char(' '), Action::TogglePause),
        (KeyCode::Char('z'), Action::ToggleZoom),
        (KeyCode::BackTab, Action::FocusPrevious),
        (KeyCode::Esc, Action::Back),
    ] {
        assert_eq!(action_for(key(code), mode), Some(action), "{code:?}");
    }
    // Two runs: moves are clamped to them, a number past them is ignored.
    assert_eq!(app.run_count(), 2);
    assert_eq!(app.update(Action::MoveRun(1)), vec![]);
    app.update(Action::MoveRun(1));
    assert_eq!(app.chosen_run(), 1);
    app.update(Action::ChooseRun(7));
    assert_eq!(app.chosen_run(), 1);
    app.update(Action::MoveRun(-5));
    assert_eq!(app.chosen_run(), 0);
    // Shift-Tab goes back, through no focus, wrapping round.
    app.update(Action::FocusPrevious);
    assert_eq!(app.focused(), Some(view::linear::CIRCLE));
    app.update(Action::FocusPrevious);
    assert_eq!(app.focused(), None);
    app.update(Action::FocusPrevious);
    assert_eq!(app.focused(), Some(view::linear::GAP));
    assert_eq!(app.key_mode(), KeyMode::Normal);
    // Esc gives the number keys back from a run pane.
    app.update(Action::FocusPrevious);
    assert_eq!(app.key_mode(), KeyMode::ChooseRun);
    app.update(Action::Back);
    assert_eq!(app.key_mode(), KeyMode::Normal);
    // `z` toggles the circle's zoom, and a loaded preset keeps it but starts on run 1.
    assert_eq!(app.circle, CircleView::Whole);
    app.update(Action::ToggleZoom);
    assert_eq!(app.circle, CircleView::Zoomed);
    app.update(Action::ChooseRun(1));
    app.update(Action::LoadBuiltin(1));
    assert_eq!(app.chosen_run(), 0);
    assert_eq!(app.circle, CircleView::Zoomed);
}

/// Receives reports until `done` holds for one; panics after 10 s.
fn until(worker: &WorkerHandle, done: impl Fn(&Report) -> bool) -> Report {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match worker.messages.recv_timeout(left) {
            Ok(WorkerMessage::Report(report)) if done(&report) => return *report,
            Ok(WorkerMessage::Report(_)) => {}
            Ok(WorkerMessage::Crashed(text)) => panic!("worker crashed: {text}"),
            Err(e) => panic!("no matching report: {e}"),
        }
    }
}

const FRAME: Duration = Duration::from_millis(10);

#[test]
fn a_step_while_paused_advances_exactly_the_stated_number() {
    let mut worker =
        WorkerHandle::spawn(spec("x", 1_000_000_000), FRAME, Threads::default()).expect("worker");
    until(&worker, |r| r.snapshot.step > 0);
    worker.commands.send(Command::Pause).unwrap();
    let paused = until(&worker, |r| !r.running);
    // Reports leave the worker in order, so every later one is paused at this step.
    let mut before = paused.snapshot.step;
    for n in [1, 1, 100, 7] {
        worker.commands.send(Command::Step(n)).unwrap();
        let after = until(&worker, |r| r.snapshot.step != before);
        assert_eq!(after.snapshot.step, before + n);
        assert!(!after.running);
        before = after.snapshot.step;
    }
    // Paused: nothing more arrives (the worker blocks on its command channel).
    while worker.messages.try_recv().is_ok() {}
    assert!(
        worker
            .messages
            .recv_timeout(Duration::from_millis(200))
            .is_err()
    );
    worker.shutdown();
}

#[test]
fn the_worker_pauses_at_the_horizon_then_runs_on() {
    let mut worker =
        WorkerHandle::spawn(spec("x", 300), FRAME, Threads::default()).expect("worker");
    worker.commands.send(Command::SetPace(Pace::Max)).unwrap();
    let stopped = until(&worker, |r| !r.running);
    assert_eq!(
        stopped.snapshot.step, 300,
        "never runs past the horizon silently"
    );
    assert_eq!(stopped.auto_pause, Some(AutoPause::Horizon(300)));
    worker.commands.send(Command::Resume).unwrap();
    let beyond = until(&worker, |r| r.snapshot.step > 10_000);
    assert!(beyond.running);
    worker.commands.send(Command::Reset).unwrap();
    let reset = until(&worker, |r| r.snapshot.step <= 300 && r.running);
    assert!(reset.auto_pause.is_none());
    worker.shutdown();
}

/// Fixed(4) takes exactly 4 steps per frame: bounded above by the clock and below by the frames
/// the reports prove.
///
/// Upper bound (timed, but load can only loosen it): steps ≤ 4 · (elapsed / frame + 2), as a
/// descheduled worker takes at most 4 steps per tick it sees and a slow machine only makes
/// `elapsed` longer. Lower bound (not timed): the worker sends at most one report per frame
/// tick, so k reports received after the first span at least k frames, each of which grants 4
/// steps that a tiny experiment takes before the next tick; a report may be sent before or after
/// its frame's steps, so steps ≥ 4k − 8. The check allows 4 more (a frame cut short if the
/// worker is descheduled between two batches): steps + 12 ≥ 4k. The test drains reports until
/// it has 30 (however long that takes, within a 10 s guard) rather than for a fixed time, so a
/// loaded machine makes it slower, not red; with k = 30 a pace of 1, 2 or 3 per frame fails it.
#[test]
fn fixed_pace_takes_that_many_steps_per_frame() {
    const REPORTS: u64 = 30;
    let mut worker =
        WorkerHandle::spawn(spec("x", 1_000_000_000), FRAME, Threads::default()).expect("worker");
    worker.commands.send(Command::Pause).unwrap();
    until(&worker, |r| !r.running);
    worker
        .commands
        .send(Command::SetPace(Pace::Fixed(4)))
        .unwrap();
    worker.commands.send(Command::Resume).unwrap();
    let start = Instant::now();
    let first = until(&worker, |r| r.running).snapshot.step;
    // Drain every report (so the two-slot channel never fills and skips a frame) until REPORTS.
    let mut reports = 0_u64;
    let mut last = first;
    while reports < REPORTS {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "only {reports} reports in 10 s"
        );
        if let Ok(WorkerMessage::Report(report)) =
            worker.messages.recv_timeout(Duration::from_millis(50))
        {
            reports += 1;
            last = report.snapshot.step;
        }
    }
    let frames = start.elapsed().as_secs_f64() / FRAME.as_secs_f64();
    let taken = last - first;
    assert!(
        taken as f64 <= 4.0 * (frames + 2.0),
        "{first} → {last} in {frames} frames"
    );
    assert!(
        taken + 12 >= 4 * reports,
        "{first} → {last}: fewer than 4 steps per frame over {reports} reports"
    );
    worker.shutdown();
}

/// A Load is answered with the new experiment, not just a new generation: the first report of
/// generation 1 has the new spec's runs (one run, its own start) and matches a fresh engine run
/// of that spec to the same step, bit for bit (independent computation: `Experiment::new` and
/// `step` in this thread; tolerance none).
#[test]
fn switching_the_experiment_bumps_the_generation() {
    let mut worker =
        WorkerHandle::spawn(spec("x", 1000), FRAME, Threads::default()).expect("worker");
    until(&worker, |r| r.generation == 0);
    let mut next = spec("y", 50);
    let Problem::Linear(problem) = &mut next.problem else {
        unreachable!()
    };
    problem.runs.truncate(1);
    problem.runs[0].init = vec![0.5, -3.0];
    worker
        .commands
        .send(Command::Load(Box::new(next.clone())))
        .unwrap();
    let loaded = until(&worker, |r| r.generation == 1);
    assert!(loaded.snapshot.step <= 50);
    let SnapshotBody::Linear(shown) = &loaded.snapshot.body else {
        panic!("linear expected")
    };
    assert_eq!(shown.runs.len(), 1, "the old spec had two runs");
    assert_eq!(shown.runs[0].init, [0.5, -3.0]);
    let mut fresh = Experiment::new(next);
    fresh.step(loaded.snapshot.step);
    let SnapshotBody::Linear(expected) = fresh.snapshot().body else {
        unreachable!()
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&shown.runs[0].direction),
        bits(&expected.runs[0].direction)
    );
    worker.shutdown();
}

#[test]
fn a_worker_panic_is_reported_not_fatal() {
    let mut bad = spec("bad", 1000);
    let Problem::Linear(problem) = &mut bad.problem else {
        unreachable!()
    };
    // A start shorter than the data's dimension cannot be stepped: the core panics.
    problem.runs[0].init = vec![1.0];
    let mut worker =
        WorkerHandle::spawn(spec("x", 1000), FRAME, Threads::default()).expect("worker");
    until(&worker, |_| true);
    worker.commands.send(Command::Load(Box::new(bad))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match worker
            .messages
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(WorkerMessage::Crashed(text)) => {
                assert!(!text.is_empty());
                break;
            }
            Ok(WorkerMessage::Report(_)) => {}
            Err(e) => panic!("no crash report: {e}"),
        }
    }
    worker.shutdown();
}

#[test]
fn a_zero_horizon_pauses_at_once_and_space_runs_on() {
    // `[show] steps = 0`: the experiment starts at its horizon, so the worker shows the horizon
    // state straight away rather than claiming to run while taking no steps.
    let mut worker = WorkerHandle::spawn(spec("x", 0), FRAME, Threads::default()).expect("worker");
    let first = until(&worker, |_| true);
    assert!(!first.running, "starts paused at the horizon");
    assert_eq!(first.auto_pause, Some(AutoPause::Horizon(0)));
    assert_eq!(first.snapshot.step, 0);
    worker.commands.send(Command::Resume).unwrap();
    let moving = until(&worker, |r| r.snapshot.step > 0);
    assert!(moving.running);
    // A reset and a load of such a preset pause at the horizon again.
    worker.commands.send(Command::Reset).unwrap();
    let reset = until(&worker, |r| r.snapshot.step == 0);
    assert!(!reset.running);
    assert_eq!(reset.auto_pause, Some(AutoPause::Horizon(0)));
    worker.commands.send(Command::Resume).unwrap();
    until(&worker, |r| r.snapshot.step > 0);
    worker
        .commands
        .send(Command::Load(Box::new(spec("y", 0))))
        .unwrap();
    let loaded = until(&worker, |r| r.snapshot.step == 0);
    assert!(!loaded.running);
    assert_eq!(loaded.auto_pause, Some(AutoPause::Horizon(0)));
    worker.shutdown();
}

#[test]
fn a_load_starts_app_and_worker_on_the_same_pace() {
    // The app shows a freshly loaded preset at the start pace; the worker must run it so.
    let mut app = app();
    app.update(Action::ToggleWarp);
    app.update(Action::Slower);
    app.update(Action::Slower);
    assert_ne!(app.pace, Pace::Warp);
    let commands = app.update(Action::LoadBuiltin(0));
    assert_eq!(app.pace, Pace::Warp);

    let mut worker =
        WorkerHandle::spawn(spec("x", 1_000_000_000), FRAME, Threads::default()).expect("worker");
    worker
        .commands
        .send(Command::SetPace(Pace::Fixed(1)))
        .unwrap();
    until(&worker, |r| r.pace == Pace::Fixed(1));
    for command in commands {
        worker.commands.send(command).unwrap();
    }
    // Two commands so far (the pace, then the load): reports from after the load.
    let loaded = until(&worker, |r| r.snapshot.step > 0 && r.generation == 2);
    assert_eq!(
        loaded.pace, app.pace,
        "the worker agrees with the status line"
    );
    // A reset keeps the pace on both sides.
    let mut worker_pace = app.update(Action::Slower);
    worker_pace.extend(app.update(Action::Reset));
    let slow = app.pace;
    for command in worker_pace {
        worker.commands.send(command).unwrap();
    }
    // Four commands now (pace, load, pace, reset): a report from after the reset.
    let reset = until(&worker, |r| r.generation == 4);
    assert_eq!(reset.pace, slow);
    worker.shutdown();
}

#[test]
fn a_stale_report_never_undoes_a_reset_or_a_pause() {
    let mut app = app();
    let horizon_report = |generation| {
        let WorkerMessage::Report(mut report) = report(generation, false) else {
            unreachable!()
        };
        report.auto_pause = Some(AutoPause::Horizon(1000));
        WorkerMessage::Report(report)
    };
    // Reset while paused at the horizon: a report still in the channel must not pause again.
    app.apply(horizon_report(0));
    assert!(app.paused);
    assert_eq!(app.update(Action::Reset), vec![Command::Reset]);
    app.apply(horizon_report(0));
    assert!(!app.paused, "a report from before the reset is dropped");
    assert_eq!(app.auto_pause(), None, "no horizon banner after a reset");
    // Pause while running: a queued `running` report must not make the next space pause again.
    assert_eq!(app.update(Action::TogglePause), vec![Command::Pause]);
    app.apply(report(1, true));
    assert!(app.paused);
    assert_eq!(app.update(Action::TogglePause), vec![Command::Resume]);
}

#[test]
fn every_command_bumps_the_worker_generation() {
    // The worker counts commands as the app does, so the app can tell fresh reports from stale.
    let mut worker =
        WorkerHandle::spawn(spec("x", 1_000_000_000), FRAME, Threads::default()).expect("worker");
    until(&worker, |r| r.generation == 0);
    worker.commands.send(Command::Reset).unwrap();
    let reset = until(&worker, |r| r.generation == 1);
    assert!(reset.running);
    worker.commands.send(Command::Pause).unwrap();
    let paused = until(&worker, |r| r.generation == 2);
    assert!(
        !paused.running,
        "the first report after a pause says paused"
    );
    worker.shutdown();
}

#[test]
fn the_fps_range_is_the_command_lines() {
    // `--fps` at the ends of FPS_RANGE passes clap (then stops at "needs a terminal": exit 1,
    // stdout is piped here); one past either end is a usage error (exit 2).
    let status = |fps: u32| {
        std::process::Command::new(env!("CARGO_BIN_EXE_implicit-bias"))
            .args(["--fps", &fps.to_string(), "max-margin"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run the binary")
            .status
            .code()
    };
    let (low, high) = (*FPS_RANGE.start(), *FPS_RANGE.end());
    assert_eq!(status(low), Some(1));
    assert_eq!(status(high), Some(1));
    assert_eq!(status(low - 1), Some(2));
    assert_eq!(status(high + 1), Some(2));
}

#[test]
fn e_hands_an_export_of_the_screen_to_the_loop_and_its_outcome_shows_until_the_next_key() {
    let mut app = app();
    assert_eq!(
        action_for(key(KeyCode::Char('e')), KeyMode::Normal),
        Some(Action::Export)
    );
    // Nothing on screen yet: nothing to export.
    assert!(app.update(Action::Export).is_empty());
    assert!(app.take_export().is_none());
    app.apply(report(0, true));
    app.export_dir = PathBuf::from("out");
    assert!(
        app.update(Action::Export).is_empty(),
        "no command for the worker"
    );
    let job = app.take_export().expect("a job");
    assert_eq!(job.dir, PathBuf::from("out"));
    assert_eq!(job.preset, "max-margin");
    assert_eq!(job.snapshot.step, app.step());
    assert!(app.take_export().is_none(), "taken once");
    app.export_finished(Err("cannot write out/x.svg".to_owned()));
    assert!(matches!(&app.export_note, Some(Err(m)) if m.contains("out/x.svg")));
    app.update(Action::TogglePause);
    assert!(app.export_note.is_none(), "the next key clears it");
}

/// Slow motion: one step every 4 frames. Upper bound from the clock (frames / 4 + 2, one
/// period of slack at each end); it does move, and never takes the 4 steps per frame a
/// `Fixed(4)` would (which would be 16 times as many).
#[test]
fn slow_motion_takes_one_step_every_few_frames() {
    let mut worker =
        WorkerHandle::spawn(spec("x", 1_000_000_000), FRAME, Threads::default()).expect("worker");
    worker.commands.send(Command::Pause).unwrap();
    until(&worker, |r| !r.running);
    worker
        .commands
        .send(Command::SetPace(Pace::Slow(4)))
        .unwrap();
    worker.commands.send(Command::Resume).unwrap();
    let start = Instant::now();
    let first = until(&worker, |r| r.running).snapshot.step;
    let mut last = first;
    while start.elapsed() < Duration::from_millis(400) {
        if let Ok(WorkerMessage::Report(report)) =
            worker.messages.recv_timeout(Duration::from_millis(50))
        {
            last = report.snapshot.step;
        }
    }
    let frames = start.elapsed().as_secs_f64() / FRAME.as_secs_f64();
    assert!(last > first, "{first} → {last}");
    assert!(
        (last - first) as f64 <= frames / 4.0 + 2.0,
        "{first} → {last} in {frames} frames"
    );
    worker.shutdown();
}

/// The real preset files, with their overrides applied: the prompt's tests need the real
/// checks (did-you-mean, ranges) behind Enter.
struct RealPresets;

impl PresetSource for RealPresets {
    fn load(&self, path: &Path, overrides: &[Override]) -> Result<ExperimentSpec, String> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
        implicit_bias::preset::load_with(&path, overrides).map_err(|e| e.to_string())
    }

    fn list(&self, _dir: &Path) -> Vec<PresetEntry> {
        Vec::new()
    }
}

fn real_app(name: &str, overrides: Vec<Override>) -> App {
    let path = PathBuf::from(format!("presets/{name}.toml"));
    let spec = RealPresets
        .load(&path, &overrides)
        .expect("a shipped preset");
    App::new(
        &spec,
        &path,
        overrides,
        PathBuf::from("presets"),
        Box::new(RealPresets),
    )
}

fn type_line(app: &mut App, line: &str) -> Vec<Command> {
    app.update(Action::OpenPrompt);
    assert_eq!(app.key_mode(), KeyMode::Prompt);
    for c in line.chars() {
        assert_eq!(app.update(Action::PromptInput(c)), vec![]);
    }
    app.update(Action::PromptSubmit)
}

fn second_run_lr(spec: &ExperimentSpec) -> f64 {
    match &spec.problem {
        Problem::Linear(linear) => linear.runs[1].optimizer.lr,
        _ => panic!("a linear preset"),
    }
}

#[test]
fn the_prompt_restarts_with_the_override_and_the_status_says_so() {
    let mut app = real_app("max-margin", vec![]);
    assert!(app.changed_keys().is_empty());
    let commands = type_line(&mut app, "runs.2.lr=0.5");
    let [Command::Restart(spec)] = commands.as_slice() else {
        panic!("one restart expected, got {commands:?}");
    };
    assert_eq!(second_run_lr(spec), 0.5);
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.changed_keys(), ["runs.2.lr=0.5"]);
    assert!(app.restarted.as_deref().unwrap().contains("runs.2.lr=0.5"));
    // A second change keeps the first; the same key again replaces it.
    let commands = type_line(&mut app, "runs.1.lr=0.2");
    assert!(matches!(commands.as_slice(), [Command::Restart(_)]));
    let commands = type_line(&mut app, "runs.2.lr=0.3");
    let [Command::Restart(spec)] = commands.as_slice() else {
        panic!("one restart expected");
    };
    assert_eq!(second_run_lr(spec), 0.3);
    assert_eq!(app.changed_keys(), ["runs.1.lr=0.2", "runs.2.lr=0.3"]);
    // Another preset opens as written; the start preset again with the command line's only.
    app.update(Action::LoadBuiltin(1));
    assert!(app.changed_keys().is_empty());
}

#[test]
fn a_refused_line_changes_nothing_and_says_why_in_the_prompt() {
    let mut app = real_app("max-margin", vec![]);
    for line in ["runs.2.lrr=0.5", "runs.2.lr=-1", "no equals sign"] {
        let commands = type_line(&mut app, line);
        assert_eq!(commands, vec![], "{line}");
        let Overlay::Prompt(prompt) = &app.overlay else {
            panic!("the prompt stays open for a fix after {line}");
        };
        assert!(prompt.error.is_some(), "{line}");
        assert!(app.changed_keys().is_empty(), "{line}");
        app.update(Action::Back);
        assert_eq!(app.overlay, Overlay::None);
    }
    type_line(&mut app, "runs.2.lrr=0.5");
    let Overlay::Prompt(prompt) = &app.overlay else {
        panic!("open");
    };
    assert!(
        prompt
            .error
            .as_deref()
            .unwrap()
            .contains("did you mean `lr`"),
        "{prompt:?}"
    );
    // Typing clears the refusal.
    app.update(Action::PromptBackspace);
    let Overlay::Prompt(prompt) = &app.overlay else {
        panic!("open");
    };
    assert_eq!(prompt.error, None);
}

#[test]
fn up_and_down_recall_the_lines_entered_before() {
    let mut app = real_app("max-margin", vec![]);
    type_line(&mut app, "runs.1.lr=0.2");
    type_line(&mut app, "runs.2.lrr=1");
    app.update(Action::Back);
    app.update(Action::OpenPrompt);
    let text = |app: &App| match &app.overlay {
        Overlay::Prompt(prompt) => prompt.text.clone(),
        other => panic!("prompt expected, got {other:?}"),
    };
    app.update(Action::PromptHistory(-1));
    assert_eq!(text(&app), "runs.2.lrr=1");
    app.update(Action::PromptHistory(-1));
    assert_eq!(text(&app), "runs.1.lr=0.2");
    app.update(Action::PromptHistory(-1));
    assert_eq!(text(&app), "runs.1.lr=0.2", "the oldest line stays");
    app.update(Action::PromptHistory(1));
    assert_eq!(text(&app), "runs.2.lrr=1");
    app.update(Action::PromptHistory(1));
    assert_eq!(text(&app), "", "past the newest: an empty line");
}

#[test]
fn the_command_lines_overrides_count_as_changes_and_come_back_with_their_preset() {
    let overrides = vec![Override::parse("runs.2.lr=0.5").unwrap()];
    let mut app = real_app("max-margin", overrides);
    assert_eq!(app.changed_keys(), ["runs.2.lr=0.5"]);
    app.update(Action::LoadBuiltin(2));
    assert!(app.changed_keys().is_empty());
    let commands = app.update(Action::LoadBuiltin(0));
    let [Command::Load(spec)] = commands.as_slice() else {
        panic!("a load expected");
    };
    assert_eq!(second_run_lr(spec), 0.5);
    assert_eq!(app.changed_keys(), ["runs.2.lr=0.5"]);
}

#[test]
fn the_sigma_axis_is_log_when_the_values_span_more_than_a_thousand_and_l_toggles_it() {
    let mut app = real_app("low-rank", vec![]);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("presets/low-rank.toml");
    let mut experiment = Experiment::new(implicit_bias::preset::load(&path).unwrap());
    // At step 0 every σ is about the init's scale: a linear axis.
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot: experiment.snapshot(),
        running: true,
        pace: Pace::Warp,
        steps_per_second: 0.0,
        auto_pause: None,
    })));
    assert_eq!(app.sigma_axis(), SigmaAxis::Linear);
    // After the winner has taken all, σ1/σ6 is far above 10³: log.
    experiment.step(3000);
    let snapshot = experiment.snapshot();
    let SnapshotBody::Matrix(matrix) = &snapshot.body else {
        panic!("matrix");
    };
    let values = &matrix.runs[0].singular_values;
    assert!(values[0] / values[5] > 1e3, "{values:?}");
    app.apply(WorkerMessage::Report(Box::new(Report {
        generation: 0,
        snapshot,
        running: true,
        pace: Pace::Warp,
        steps_per_second: 0.0,
        auto_pause: None,
    })));
    assert_eq!(app.sigma_axis(), SigmaAxis::Log);
    app.update(Action::ToggleLogAxis);
    assert_eq!(app.sigma_axis(), SigmaAxis::Linear);
    app.update(Action::ToggleLogAxis);
    assert_eq!(app.sigma_axis(), SigmaAxis::Log);
}

#[test]
fn r_says_it_restarted_until_the_next_key() {
    let mut app = app();
    assert_eq!(app.update(Action::Reset), vec![Command::Reset]);
    assert!(
        app.restarted
            .as_deref()
            .unwrap()
            .starts_with("restarted from step 0")
    );
    app.update(Action::ToggleZoom);
    assert_eq!(app.restarted, None);
}
