//! Keys to [`Action`]s: one table, only key presses count.
//!
//! The mapping depends only on the key and on which overlay has the keyboard, so it is tested
//! without a terminal. Release and repeat events are ignored because some terminals (Windows,
//! the kitty protocol) report them, and a held space must not toggle pause thirty times.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the user asked for, independent of which key said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Space: pause or resume.
    TogglePause,
    /// `n` / `.` (one step) or `N` (100 steps); pauses first.
    Step(u64),
    /// `+`: double the steps per frame (flat out past the cap).
    Faster,
    /// `-`: halve the steps per frame.
    Slower,
    /// `w`: toggle the log-clock warp.
    ToggleWarp,
    /// `r`: restart the current preset from step 0.
    Reset,
    /// `1` `2` `3`: the article's presets (index into [`BUILTIN_PRESETS`]).
    LoadBuiltin(usize),
    /// `p`: open or close the preset picker.
    TogglePicker,
    /// Picker: move the selection by this many entries.
    PickerMove(i32),
    /// Picker: load the selected preset.
    PickerConfirm,
    /// Tab: focus the next pane.
    FocusNext,
    /// `e`: write the figure on screen and the runs' trace into the export folder.
    Export,
    /// Shift-Tab: focus the previous pane.
    FocusPrevious,
    /// Arrows in a pane that shows one run: choose the previous (-1) or next (+1) run.
    MoveRun(i32),
    /// `1` … `9` in a pane that shows one run: choose that run (0-based index).
    ChooseRun(usize),
    /// `z`: zoom the circle onto the arc around the references, or back out.
    ToggleZoom,
    /// `?`: show or hide the key help.
    ToggleHelp,
    /// Esc inside an overlay: close it.
    CloseOverlay,
    /// `q`, Esc (no overlay), Ctrl-C: leave.
    Quit,
}

/// The article's three experiments, bound to `1`, `2`, `3` (file stems in the presets folder).
pub const BUILTIN_PRESETS: [&str; 3] = ["max-margin", "low-rank", "sgd-vs-adam"];

/// Which part of the screen has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// The dashboard itself.
    Normal,
    /// The help overlay is open (dashboard keys still work; Esc closes it).
    Help,
    /// The preset picker is open (arrows and Enter choose).
    Picker,
    /// The focused pane shows one chosen run (a run table, the heat map, the singular values):
    /// arrows and number keys choose the run; every other key is as in `Normal`.
    ChooseRun,
}

/// The action a key press stands for in `mode`, if any.
#[must_use]
pub fn action_for(key: KeyEvent, mode: KeyMode) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c' | 'C')).then_some(Action::Quit);
    }
    if mode == KeyMode::Picker {
        let picked = match key.code {
            KeyCode::Up | KeyCode::Char('k') => Some(Action::PickerMove(-1)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::PickerMove(1)),
            KeyCode::PageUp => Some(Action::PickerMove(-10)),
            KeyCode::PageDown => Some(Action::PickerMove(10)),
            KeyCode::Enter => Some(Action::PickerConfirm),
            KeyCode::Esc => Some(Action::CloseOverlay),
            _ => None,
        };
        if picked.is_some() {
            return picked;
        }
    }
    if mode == KeyMode::ChooseRun {
        let chosen = match key.code {
            KeyCode::Up | KeyCode::Left | KeyCode::Char('k') => Some(Action::MoveRun(-1)),
            KeyCode::Down | KeyCode::Right | KeyCode::Char('j') => Some(Action::MoveRun(1)),
            KeyCode::Char(c @ '1'..='9') => Some(Action::ChooseRun(c as usize - '1' as usize)),
            _ => None,
        };
        if chosen.is_some() {
            return chosen;
        }
    }
    match key.code {
        KeyCode::Esc if matches!(mode, KeyMode::Normal | KeyMode::ChooseRun) => Some(Action::Quit),
        KeyCode::Esc => Some(Action::CloseOverlay),
        KeyCode::Char(' ') => Some(Action::TogglePause),
        KeyCode::Char('n' | '.') => Some(Action::Step(1)),
        KeyCode::Char('N') => Some(Action::Step(100)),
        KeyCode::Char('+' | '=') => Some(Action::Faster),
        KeyCode::Char('-' | '_') => Some(Action::Slower),
        KeyCode::Char('w') => Some(Action::ToggleWarp),
        KeyCode::Char('r') => Some(Action::Reset),
        KeyCode::Char(c @ '1'..='3') => Some(Action::LoadBuiltin(c as usize - '1' as usize)),
        KeyCode::Char('p') => Some(Action::TogglePicker),
        KeyCode::Tab => Some(Action::FocusNext),
        KeyCode::Char('e') => Some(Action::Export),
        KeyCode::BackTab => Some(Action::FocusPrevious),
        KeyCode::Char('z') => Some(Action::ToggleZoom),
        KeyCode::Char('?') => Some(Action::ToggleHelp),
        KeyCode::Char('q' | 'Q') => Some(Action::Quit),
        _ => None,
    }
}

/// The key help, shown in the `?` overlay (and mirrored in the README): key, what it does.
pub const HELP: [(&str, &str); 17] = [
    ("space", "pause / resume (past the horizon: run on)"),
    ("n  .", "one step (pauses first)"),
    ("N", "100 steps (pauses first)"),
    (
        "+  -",
        "speed ×2 / ÷2, from flat out to 1 step per 64 frames",
    ),
    ("w", "warp: log clock, t sweeps 1 → 10⁹"),
    ("r", "reset the experiment to step 0"),
    ("1 2 3", "max-margin · low-rank · sgd-vs-adam"),
    ("p", "preset picker (↑↓ Enter, Esc closes)"),
    (
        "z",
        "zoom the circle onto the references' arc (again: whole circle)",
    ),
    ("tab", "focus the next pane (shift-tab: the previous one)"),
    (
        "↑↓ 1-9",
        "in a focused run table, heat map or σ pane: choose the run",
    ),
    ("", "(number keys then choose runs, not presets)"),
    ("e", "export: SVG figure + trace CSV into --export-dir"),
    ("?", "this help"),
    ("q  Esc", "quit"),
    ("Ctrl-C", "quit"),
    ("", "NO_COLOR is honoured; no mouse needed"),
];
