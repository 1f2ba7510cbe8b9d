//! The dashboard's state: [`App::update`] turns an [`Action`] into [`Command`]s for the worker,
//! [`App::apply`] takes in what the worker sent.
//!
//! Nothing here touches the terminal or a clock, so every rule (a step while paused is exactly
//! one step, speed bounds, preset switching, a bad preset keeping the current one) is tested
//! directly. Preset files are read through a [`PresetSource`] so tests can supply their own.

use std::path::{Path, PathBuf};

use crate::core::experiment::{ExperimentSpec, Layout, Snapshot};
use crate::export::Exported;
use crate::preset::Override;

use super::keymap::{Action, BUILTIN_PRESETS, KeyMode};
use super::protocol::{AutoPause, Command, Pace, Report, START_PACE, WorkerMessage};
use super::view;

/// One preset file as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetEntry {
    /// The file stem, e.g. `max-margin`.
    pub name: String,
    /// Its one-line title.
    pub title: String,
    /// Its paragraph on what to look for.
    pub about: String,
    /// Where it lives.
    pub path: PathBuf,
}

/// Where presets come from: the real files in the dashboard, fixtures in tests.
pub trait PresetSource {
    /// Reads and checks one preset with `--set` overrides applied (none: the file as written);
    /// the error is the short message shown to the user.
    ///
    /// # Errors
    /// Any reason the file cannot become an experiment (missing, malformed, out of range, an
    /// override that does not apply).
    fn load(&self, path: &Path, overrides: &[Override]) -> Result<ExperimentSpec, String>;
    /// The presets in `dir`, sorted by name.
    fn list(&self, dir: &Path) -> Vec<PresetEntry>;
}

/// What covers the dashboard, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// Nothing: the dashboard has the keyboard.
    None,
    /// The key help.
    Help,
    /// The preset's whole about text and the legend of what each glyph and colour means.
    Info,
    /// The `:` prompt: a `--set` line being typed.
    Prompt(Prompt),
    /// The preset picker with its entries and the selected row.
    Picker {
        /// The presets found.
        entries: Vec<PresetEntry>,
        /// The highlighted row.
        selected: usize,
    },
}

/// The `:` prompt's state: the line typed so far, why the last line was refused, and where ↑
/// and ↓ are in the lines entered before.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prompt {
    /// The text typed so far (one `KEY=VALUE`).
    pub text: String,
    /// Why the last Enter changed nothing (the preset's own message, with its did-you-mean).
    pub error: Option<String>,
    /// The index into the history that ↑/↓ recalled, if any.
    recalled: Option<usize>,
}

/// Most σᵢ the singular-value chart draws: beyond the first few they lie on top of each other
/// near zero. The automatic log axis looks at these only.
pub const SIGMAS_SHOWN: usize = 6;

/// Rows PgUp and PgDn move a pane by.
const SCROLL_PAGE: i64 = 8;

/// How the singular values' chart scales its vertical axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigmaAxis {
    /// Linear in σ.
    Linear,
    /// Logarithmic in σ: small values stay visible beside a winner.
    Log,
}

/// A pane that can take the focus (Tab); the focused one gets a highlighted border. Each kind's
/// views name their own (`tui/view/<kind>/`); the run table, which every kind has, is
/// [`Pane::METRICS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pane {
    /// What it shows, e.g. `"spectra"`: unique among one kind's panes.
    pub name: &'static str,
    /// Which of several panes of one name (a side-by-side circle's run), else 0.
    pub index: usize,
    /// Whether it shows or lists one chosen run: focused, it takes the arrows and the number
    /// keys to choose it.
    pub shows_chosen_run: bool,
}

impl Pane {
    /// The per-run metrics table.
    pub const METRICS: Pane = Pane::new("metrics", true);

    /// The pane `name`, one of its kind; `shows_chosen_run` as the field says.
    #[must_use]
    pub const fn new(name: &'static str, shows_chosen_run: bool) -> Self {
        Self {
            name,
            index: 0,
            shows_chosen_run,
        }
    }

    /// The `index`-th pane of this name (e.g. run `index`'s circle).
    #[must_use]
    pub const fn at(self, index: usize) -> Self {
        Self { index, ..self }
    }

    /// True for the panes that show or list one chosen run: focused, they take the arrows and
    /// the number keys to choose it.
    #[must_use]
    pub fn chooses_run(self) -> bool {
        self.shows_chosen_run
    }
}

/// How much of the unit circle the circle panes show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircleView {
    /// The whole circle: every start and direction.
    Whole,
    /// The arc around the references and the runs' current directions, to tell apart
    /// directions a degree or less apart.
    Zoomed,
}

/// Everything the views draw.
pub struct App {
    /// The preset's file stem (or path) for the status line.
    pub preset_name: String,
    /// The running spec's title.
    pub title: String,
    /// The running spec's about paragraph.
    pub about: String,
    /// The running spec's layout.
    pub layout: Layout,
    /// The running spec's horizon (`[show] steps`).
    pub horizon: u64,
    /// The newest report for the running preset.
    pub report: Option<Report>,
    /// Whether the user (or the worker) paused.
    pub paused: bool,
    /// The pace asked for.
    pub pace: Pace,
    /// The pace to return to when warp is switched off.
    pace_before_warp: Pace,
    /// Index into [`App::panes`] of the focused pane; none at first (Tab focuses one), so the
    /// number keys switch experiments until the user asks them to choose runs.
    pub focus: Option<usize>,
    /// The run the heat map and the singular values show and the tables highlight (chosen
    /// with the arrows or number keys while such a pane has the focus).
    pub selected_run: usize,
    /// The whole circle, or the arc around the references (`z`).
    pub circle: CircleView,
    /// The first matrix row the heat maps show when they cannot show them all (PgUp, PgDn;
    /// the view clamps it to a full window).
    pub scroll: usize,
    /// The help, info, prompt or picker, when open.
    pub overlay: Overlay,
    /// The `--set` overrides in force for the running experiment: what makes it differ from
    /// its preset file (the status line says so, and `e` records them).
    pub overrides: Vec<Override>,
    /// The σ chart's axis as chosen with `l`; `None` until then: log when the values span more
    /// than 10³ (see [`App::sigma_axis`]).
    pub sigma_axis_choice: Option<SigmaAxis>,
    /// A message the user must see (a preset that failed to load), until the next key.
    pub notice: Option<String>,
    /// What the last key restarted, said until the next key (`r` at full speed lands back at
    /// the horizon within a frame, so the picture alone would not show it happened).
    pub restarted: Option<String>,
    /// The worker's panic message, once it crashed.
    pub crashed: Option<String>,
    /// Where `e` writes its files (`--export-dir`, default the current folder).
    pub export_dir: PathBuf,
    /// An export asked for by `e`, waiting for the event loop to hand it to a writer thread.
    pending_export: Option<ExportJob>,
    /// What the last export did (the paths it wrote, or why it failed), until the next key.
    pub export_note: Option<Result<Exported, String>>,
    /// Set by `Quit`; the loop ends after this frame.
    pub should_quit: bool,
    /// False under `NO_COLOR`: views then rely on glyphs and labels, never on colour alone.
    pub color: bool,
    /// The frame rate, used to turn steps/s into steps per frame.
    pub fps: u32,
    /// Counts the commands sent, matching the worker's count, so reports from before the newest
    /// command are dropped (see `Report::generation`).
    generation: u64,
    /// The running preset's file, reloaded with new overrides by the prompt.
    preset_path: PathBuf,
    /// The preset named on the command line and its `--set` overrides: applied again whenever
    /// that preset is loaded (other presets open as written).
    start: (PathBuf, Vec<Override>),
    /// Lines entered at the prompt, oldest first, for ↑ and ↓.
    history: Vec<String>,
    presets_dir: PathBuf,
    source: Box<dyn PresetSource>,
}

impl App {
    /// A dashboard showing `spec` (loaded from `path` with `overrides`, the command line's
    /// `--set`), choosing presets from `presets_dir`.
    #[must_use]
    pub fn new(
        spec: &ExperimentSpec,
        path: &Path,
        overrides: Vec<Override>,
        presets_dir: PathBuf,
        source: Box<dyn PresetSource>,
    ) -> Self {
        let mut app = Self {
            preset_name: String::new(),
            title: String::new(),
            about: String::new(),
            layout: Layout::Overlay,
            horizon: 0,
            report: None,
            paused: false,
            pace: START_PACE,
            pace_before_warp: Pace::Max,
            focus: None,
            selected_run: 0,
            circle: CircleView::Whole,
            scroll: 0,
            overlay: Overlay::None,
            overrides: overrides.clone(),
            sigma_axis_choice: None,
            notice: None,
            restarted: None,
            crashed: None,
            export_dir: PathBuf::from("."),
            pending_export: None,
            export_note: None,
            should_quit: false,
            color: true,
            fps: 30,
            generation: 0,
            preset_path: path.to_path_buf(),
            start: (path.to_path_buf(), overrides),
            history: Vec::new(),
            presets_dir,
            source,
        };
        app.show_spec(spec, path);
        app
    }

    /// Takes in a newly loaded preset: its texts, layout and horizon, and a fresh start (pace,
    /// focus, chosen run).
    fn show_spec(&mut self, spec: &ExperimentSpec, path: &Path) {
        self.preset_path = path.to_path_buf();
        self.preset_name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |stem| stem.to_string_lossy().into_owned(),
        );
        self.title.clone_from(&spec.title);
        self.about.clone_from(&spec.about);
        self.layout = spec.problem.layout();
        self.horizon = spec.horizon;
        self.report = None;
        self.paused = false;
        // The worker restarts a loaded preset at the same pace (see `Command::Load`).
        self.pace = START_PACE;
        self.pace_before_warp = Pace::Max;
        self.focus = None;
        self.selected_run = 0;
        self.sigma_axis_choice = None;
        self.scroll = 0;
    }

    /// The running spec's texts and shape, when the prompt changed a key: pace, focus and the
    /// chosen run stay as they were.
    fn show_changed_spec(&mut self, spec: &ExperimentSpec) {
        self.title.clone_from(&spec.title);
        self.about.clone_from(&spec.about);
        self.layout = spec.problem.layout();
        self.horizon = spec.horizon;
        self.paused = false;
    }

    /// Which overlay has the keyboard, for the keymap.
    #[must_use]
    pub fn key_mode(&self) -> KeyMode {
        match self.overlay {
            Overlay::None if self.focused().is_some_and(Pane::chooses_run) => KeyMode::ChooseRun,
            Overlay::None => KeyMode::Normal,
            Overlay::Help | Overlay::Info => KeyMode::Help,
            Overlay::Picker { .. } => KeyMode::Picker,
            Overlay::Prompt(_) => KeyMode::Prompt,
        }
    }

    /// Steps taken, from the newest report (0 before the first).
    #[must_use]
    pub fn step(&self) -> u64 {
        self.report.as_ref().map_or(0, |r| r.snapshot.step)
    }

    /// The panes on screen now, in Tab order (the run table alone before the first report).
    #[must_use]
    pub fn panes(&self) -> Vec<Pane> {
        self.report.as_ref().map_or_else(
            || vec![Pane::METRICS],
            |r| view::kind_view(&r.snapshot.body).panes(self),
        )
    }

    /// How many runs the newest report shows (0 before the first).
    #[must_use]
    pub fn run_count(&self) -> usize {
        self.report
            .as_ref()
            .map_or(0, |r| r.snapshot.body.kind().run_count())
    }

    /// The chosen run, within the runs on screen (0 when there are none).
    #[must_use]
    pub fn chosen_run(&self) -> usize {
        self.selected_run.min(self.run_count().saturating_sub(1))
    }

    /// The focused pane, if the user focused one with Tab.
    #[must_use]
    pub fn focused(&self) -> Option<Pane> {
        let panes = self.panes();
        self.focus.map(|index| panes[index % panes.len()])
    }

    /// The σ chart's axis: as chosen with `l`, else log when the values on screen span more
    /// than 10³ (a linear axis would flatten all but the winner), else linear.
    #[must_use]
    pub fn sigma_axis(&self) -> SigmaAxis {
        if let Some(choice) = self.sigma_axis_choice {
            return choice;
        }
        self.report
            .as_ref()
            .and_then(|r| view::kind_view(&r.snapshot.body).sigma_axis())
            .unwrap_or(SigmaAxis::Linear)
    }

    /// Whether the running experiment differs from its preset file (the prompt or `--set`
    /// changed keys), as `KEY=VALUE` texts; empty when it runs as written.
    #[must_use]
    pub fn changed_keys(&self) -> Vec<String> {
        self.overrides.iter().map(Override::argument).collect()
    }

    /// Why the worker paused on its own, if it did and is still paused (not once space or `r`
    /// asked it to run, even before the worker's next report arrives).
    #[must_use]
    pub fn auto_pause(&self) -> Option<AutoPause> {
        self.report
            .as_ref()
            .filter(|r| self.paused && !r.running)
            .and_then(|r| r.auto_pause)
    }

    /// Applies one user action; returns the commands for the worker, in order. The caller must
    /// send every one of them: reports are matched to the commands counted here.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        let commands = self.commands_for(action);
        self.generation += commands.len() as u64;
        commands
    }

    fn commands_for(&mut self, action: Action) -> Vec<Command> {
        if !matches!(
            action,
            Action::PickerMove(_)
                | Action::PromptInput(_)
                | Action::PromptBackspace
                | Action::PromptHistory(_)
        ) {
            self.notice = None;
            self.export_note = None;
            self.restarted = None;
        }
        match action {
            Action::TogglePause => {
                self.paused = !self.paused;
                vec![if self.paused {
                    Command::Pause
                } else {
                    Command::Resume
                }]
            }
            Action::Step(n) => {
                self.paused = true;
                vec![Command::Step(n)]
            }
            Action::Faster => self.set_pace(self.pace.faster(self.measured_per_frame())),
            Action::Slower => self.set_pace(self.pace.slower(self.measured_per_frame())),
            Action::ToggleWarp => {
                if self.pace == Pace::Warp {
                    self.set_pace(self.pace_before_warp)
                } else {
                    self.pace_before_warp = self.pace;
                    self.set_pace(Pace::Warp)
                }
            }
            Action::Reset => {
                // The old picture stays until the fresh one arrives (within a frame): no flicker.
                // The worker keeps the pace in force, so a reset at warp replays the log clock.
                self.paused = false;
                self.restarted = Some(format!("restarted from step 0 at {}", self.speed_label()));
                vec![Command::Reset]
            }
            Action::OpenPrompt => {
                self.overlay = Overlay::Prompt(Prompt::default());
                Vec::new()
            }
            Action::PromptInput(_)
            | Action::PromptBackspace
            | Action::PromptHistory(_)
            | Action::PromptSubmit => self.prompt_action(action),
            Action::LoadBuiltin(index) => match BUILTIN_PRESETS.get(index) {
                Some(name) => {
                    let path = self.presets_dir.join(format!("{name}.toml"));
                    self.load(&path)
                }
                None => Vec::new(),
            },
            Action::TogglePicker
            | Action::PickerMove(_)
            | Action::PickerConfirm
            | Action::ToggleHelp
            | Action::ToggleInfo => self.overlay_action(action),
            Action::Back => {
                // Esc closes what is open, innermost first, and never quits.
                if self.overlay == Overlay::None {
                    self.focus = None;
                } else {
                    self.overlay = Overlay::None;
                }
                Vec::new()
            }
            Action::FocusNext
            | Action::FocusPrevious
            | Action::MoveRun(_)
            | Action::ChooseRun(_)
            | Action::ToggleZoom
            | Action::ToggleLogAxis
            | Action::ScrollRows(_) => {
                self.navigate(action);
                Vec::new()
            }
            Action::Export => {
                self.pending_export = self.report.as_ref().map(|report| ExportJob {
                    dir: self.export_dir.clone(),
                    preset: self.preset_name.clone(),
                    title: self.title.clone(),
                    snapshot: report.snapshot.clone(),
                    overrides: self.changed_keys(),
                });
                Vec::new()
            }
            Action::Quit => {
                self.should_quit = true;
                vec![Command::Quit]
            }
        }
    }

    /// The actions on the help and picker overlays: a picked preset is loaded, nothing else
    /// concerns the worker.
    fn overlay_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::TogglePicker => {
                if matches!(self.overlay, Overlay::Picker { .. }) {
                    self.overlay = Overlay::None;
                } else {
                    let entries = self.source.list(&self.presets_dir);
                    let selected = entries
                        .iter()
                        .position(|e| e.name == self.preset_name)
                        .unwrap_or(0);
                    self.overlay = Overlay::Picker { entries, selected };
                }
                Vec::new()
            }
            Action::PickerMove(delta) => {
                if let Overlay::Picker { entries, selected } = &mut self.overlay
                    && !entries.is_empty()
                {
                    let last = entries.len() as i64 - 1;
                    *selected = (*selected as i64 + i64::from(delta)).clamp(0, last) as usize;
                }
                Vec::new()
            }
            Action::PickerConfirm => {
                let path = match &self.overlay {
                    Overlay::Picker { entries, selected } => {
                        entries.get(*selected).map(|e| e.path.clone())
                    }
                    _ => None,
                };
                self.overlay = Overlay::None;
                path.map(|path| self.load(&path)).unwrap_or_default()
            }
            Action::ToggleHelp | Action::ToggleInfo => {
                let wanted = if action == Action::ToggleHelp {
                    Overlay::Help
                } else {
                    Overlay::Info
                };
                self.overlay = if self.overlay == wanted {
                    Overlay::None
                } else {
                    wanted
                };
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Focus, the chosen run and the zoom: what changes the picture but not the experiment.
    fn navigate(&mut self, action: Action) {
        let count = self.panes().len();
        match action {
            // Tab walks none → first → … → last → none, Shift-Tab the other way.
            Action::FocusNext => {
                self.focus = match self.focus {
                    None => Some(0),
                    Some(i) if i % count + 1 < count => Some(i % count + 1),
                    Some(_) => None,
                };
            }
            Action::FocusPrevious => {
                self.focus = match self.focus {
                    None => Some(count - 1),
                    Some(i) if i % count > 0 => Some(i % count - 1),
                    Some(_) => None,
                };
            }
            Action::MoveRun(delta) => {
                let last = self.run_count().saturating_sub(1) as i64;
                self.selected_run =
                    (self.chosen_run() as i64 + i64::from(delta)).clamp(0, last) as usize;
            }
            Action::ChooseRun(index) if index < self.run_count() => self.selected_run = index,
            Action::ToggleZoom => {
                self.circle = match self.circle {
                    CircleView::Whole => CircleView::Zoomed,
                    CircleView::Zoomed => CircleView::Whole,
                };
            }
            Action::ScrollRows(pages) => {
                let rows = self
                    .report
                    .as_ref()
                    .map_or(0, |r| view::kind_view(&r.snapshot.body).scroll_rows());
                // A page of 8 rows; the view clamps the far end to a full window.
                let moved = self.scroll as i64 + i64::from(pages) * SCROLL_PAGE;
                self.scroll = moved.clamp(0, rows.saturating_sub(1) as i64) as usize;
            }
            Action::ToggleLogAxis => {
                self.sigma_axis_choice = Some(match self.sigma_axis() {
                    SigmaAxis::Log => SigmaAxis::Linear,
                    SigmaAxis::Linear => SigmaAxis::Log,
                });
            }
            _ => {}
        }
    }

    /// The prompt's keys: typing, recall, and Enter, which applies the line as a `--set`
    /// override and restarts the experiment from step 0 with it (same data and seed unless the
    /// line changes them). A line the preset refuses changes nothing: its message shows in the
    /// prompt, which stays open for a fix.
    fn prompt_action(&mut self, action: Action) -> Vec<Command> {
        let Overlay::Prompt(prompt) = &mut self.overlay else {
            return Vec::new();
        };
        match action {
            Action::PromptInput(c) => {
                prompt.text.push(c);
                prompt.error = None;
            }
            Action::PromptBackspace => {
                prompt.text.pop();
                prompt.error = None;
            }
            Action::PromptHistory(delta) => {
                if self.history.is_empty() {
                    return Vec::new();
                }
                let last = self.history.len() - 1;
                // ↓ past the newest line comes back to an empty prompt.
                let recalled = match (prompt.recalled, delta < 0) {
                    (None, true) => Some(last),
                    (Some(i), true) => Some(i.saturating_sub(1)),
                    (Some(i), false) if i < last => Some(i + 1),
                    (_, false) => None,
                };
                prompt.recalled = recalled;
                prompt.text = recalled.map_or_else(String::new, |i| self.history[i].clone());
                prompt.error = None;
            }
            Action::PromptSubmit => return self.submit_prompt(),
            _ => {}
        }
        Vec::new()
    }

    /// Enter in the prompt (see [`App::prompt_action`]).
    fn submit_prompt(&mut self) -> Vec<Command> {
        let Overlay::Prompt(prompt) = &self.overlay else {
            return Vec::new();
        };
        let line = prompt.text.trim().to_owned();
        if line.is_empty() {
            self.overlay = Overlay::None;
            return Vec::new();
        }
        if self.history.last() != Some(&line) {
            self.history.push(line.clone());
        }
        let outcome = Override::parse(&line).and_then(|change| {
            let mut overrides = self.overrides.clone();
            overrides.retain(|o| o.key != change.key);
            overrides.push(change);
            let spec = self.source.load(&self.preset_path, &overrides)?;
            Ok((spec, overrides))
        });
        match outcome {
            Ok((spec, overrides)) => {
                self.restarted = Some(format!("restarted from step 0 with {line}"));
                self.overrides = overrides;
                self.overlay = Overlay::None;
                self.show_changed_spec(&spec);
                vec![Command::Restart(Box::new(spec))]
            }
            Err(message) => {
                if let Overlay::Prompt(prompt) = &mut self.overlay {
                    prompt.error = Some(message);
                    prompt.recalled = None;
                }
                Vec::new()
            }
        }
    }

    /// Loads a preset file; on failure the current preset keeps running and the message shows.
    fn load(&mut self, path: &Path) -> Vec<Command> {
        let overrides = if path == self.start.0 {
            self.start.1.clone()
        } else {
            Vec::new()
        };
        match self.source.load(path, &overrides) {
            Ok(spec) => {
                self.overlay = Overlay::None;
                self.overrides = overrides;
                self.show_spec(&spec, path);
                vec![Command::Load(Box::new(spec))]
            }
            Err(message) => {
                self.notice = Some(message);
                Vec::new()
            }
        }
    }

    fn set_pace(&mut self, pace: Pace) -> Vec<Command> {
        self.pace = pace;
        vec![Command::SetPace(pace)]
    }

    /// The measured steps per frame (from the newest report's steps/s), where `+` and `-`
    /// start from when they leave warp.
    fn measured_per_frame(&self) -> f64 {
        let rate = self.report.as_ref().map_or(0.0, |r| r.steps_per_second);
        rate / f64::from(self.fps.max(1))
    }

    /// The speed label for the status line (see [`Pace::label`]).
    #[must_use]
    pub fn speed_label(&self) -> String {
        let measured = self.report.as_ref().map_or(0.0, |r| r.steps_per_second);
        self.pace.label(self.fps, measured)
    }

    /// Takes in one worker message; reports from before the newest command are dropped.
    pub fn apply(&mut self, message: WorkerMessage) {
        match message {
            WorkerMessage::Report(report) => {
                if report.generation == self.generation {
                    self.paused = !report.running;
                    self.report = Some(*report);
                }
            }
            WorkerMessage::Crashed(text) => self.crashed = Some(text),
        }
    }
}

/// An export to write off the UI thread: everything [`crate::export::export`] needs, owned.
#[derive(Debug, Clone)]
pub struct ExportJob {
    /// The folder to write into.
    pub dir: PathBuf,
    /// The preset's name, for the file names.
    pub preset: String,
    /// The preset's title, for the figure's caption.
    pub title: String,
    /// The picture on screen when `e` was pressed.
    pub snapshot: Snapshot,
    /// The `--set` overrides the running experiment differs from its preset file by, as
    /// `KEY=VALUE`: recorded in the export, so a figure never passes for the file's.
    pub overrides: Vec<String>,
}

impl ExportJob {
    /// Writes the files (slow: call it off the UI thread).
    ///
    /// # Errors
    /// As [`crate::export::export`].
    pub fn write(&self) -> Result<Exported, String> {
        crate::export::export(
            &self.dir,
            &self.preset,
            &self.title,
            &self.overrides,
            &self.snapshot,
        )
    }
}

impl App {
    /// The export `e` asked for, if any, for the event loop to write on another thread.
    pub fn take_export(&mut self) -> Option<ExportJob> {
        self.pending_export.take()
    }

    /// Takes in the outcome of an export, shown in the banner until the next key.
    pub fn export_finished(&mut self, outcome: Result<Exported, String>) {
        self.export_note = Some(outcome);
    }
}
