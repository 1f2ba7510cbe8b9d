//! Keys to [`Action`]s: one table, [`BINDINGS`], from which dispatch, the `?` overlay and
//! `--help` are all drawn, so the three cannot drift apart.
//!
//! The mapping depends only on the key and on which part of the screen has the keyboard
//! ([`KeyMode`]), so it is tested without a terminal. Release and repeat events are ignored
//! because some terminals (Windows, the kitty protocol) report them, and a held space must not
//! toggle pause thirty times.
//!
//! Keys always mean the same thing: `1` `2` `3` switch experiments from every state except an
//! open prompt and a pane the user focused with Tab to choose runs (the status line then says
//! `1-9 choose run · Esc leaves`); `Esc` closes what is open and never quits; `q` and Ctrl-C
//! quit.

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
    /// `r`: restart the current experiment from step 0, at the pace it had.
    Reset,
    /// `1` `2` `3`: the article's presets (index into [`BUILTIN_PRESETS`]).
    LoadBuiltin(usize),
    /// `p`: open or close the preset picker.
    TogglePicker,
    /// Picker: move the selection by this many entries.
    PickerMove(i32),
    /// Picker: load the selected preset.
    PickerConfirm,
    /// Tab: focus the next pane (after the last one, none).
    FocusNext,
    /// Shift-Tab: focus the previous pane.
    FocusPrevious,
    /// `e`: write the figure on screen and the runs' trace into the export folder.
    Export,
    /// Arrows in a focused pane that shows one run: choose the previous (-1) or next (+1) run.
    MoveRun(i32),
    /// `1` … `9` in a focused pane that shows one run: choose that run (0-based index).
    ChooseRun(usize),
    /// PgUp (-1) / PgDn (+1): move a pane that cannot show all its rows (the heat maps) by a
    /// page.
    ScrollRows(i32),
    /// `z`: zoom the circle onto the arc around the references, or back out.
    ToggleZoom,
    /// `l`: the singular values on a log or a linear axis.
    ToggleLogAxis,
    /// `?`: show or hide the key help.
    ToggleHelp,
    /// `i`: show or hide the preset's whole about text and the legend of glyphs and colours.
    ToggleInfo,
    /// `:`: open the one-line prompt that takes `--set KEY=VALUE` lines.
    OpenPrompt,
    /// Prompt: a typed character.
    PromptInput(char),
    /// Prompt: Backspace.
    PromptBackspace,
    /// Prompt: ↑ (-1, older) or ↓ (+1, newer) through the lines entered before.
    PromptHistory(i32),
    /// Prompt: Enter applies the line.
    PromptSubmit,
    /// Esc: close the overlay or prompt that is open, else leave the focused pane; never quits.
    Back,
    /// `q`, Ctrl-C: leave.
    Quit,
}

/// The article's three experiments, bound to `1`, `2`, `3` (file stems in the presets folder).
pub const BUILTIN_PRESETS: [&str; 3] = ["max-margin", "low-rank", "sgd-vs-adam"];

/// Which part of the screen has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// The dashboard itself.
    Normal,
    /// The help or info overlay is open (dashboard keys still work; Esc closes it).
    Help,
    /// The preset picker is open (arrows and Enter choose).
    Picker,
    /// The user focused (Tab) a pane that shows one chosen run (a run table, the heat map, the
    /// singular values): arrows and number keys choose the run; every other key is as in
    /// `Normal`.
    ChooseRun,
    /// The `:` prompt is open: keys are text, Enter applies, Esc cancels, ↑↓ recall.
    Prompt,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere but the prompt.
    Dashboard,
    /// In the preset picker (before the dashboard's own keys).
    Picker,
    /// In a focused pane that chooses runs (before the dashboard's own keys).
    ChooseRun,
    /// In the `:` prompt (which takes every other key as text).
    Prompt,
}

/// What a binding's keys produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Does {
    /// One action for every key of the binding.
    Act(&'static Action),
    /// A digit key `d` loads builtin preset `d - 1`.
    LoadBuiltin,
    /// A digit key `d` chooses run `d - 1`.
    ChooseRun,
}

/// One row of the key table: the keys, where they apply, what they do, how the help says it.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Where the keys apply.
    pub scope: Scope,
    /// The key codes (shift is part of the character: `N` is not `n`).
    pub keys: &'static [KeyCode],
    /// What they do.
    pub does: Does,
    /// The keys as the help writes them; empty for a row the help does not list on its own
    /// (an alias shown on the row before it).
    pub shown: &'static str,
    /// What the help says they do.
    pub help: &'static str,
}

const fn row(
    scope: Scope,
    keys: &'static [KeyCode],
    does: Does,
    shown: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        scope,
        keys,
        does,
        shown,
        help,
    }
}

use Scope::{ChooseRun as InPane, Dashboard as Any, Picker as InPicker, Prompt as InPrompt};

const DIGITS_1_3: &[KeyCode] = &[KeyCode::Char('1'), KeyCode::Char('2'), KeyCode::Char('3')];
const DIGITS_1_9: &[KeyCode] = &[
    KeyCode::Char('1'),
    KeyCode::Char('2'),
    KeyCode::Char('3'),
    KeyCode::Char('4'),
    KeyCode::Char('5'),
    KeyCode::Char('6'),
    KeyCode::Char('7'),
    KeyCode::Char('8'),
    KeyCode::Char('9'),
];

/// Every key binding, in the order the help lists them. The first row whose scope applies and
/// whose keys hold the key wins (scopes are tried most specific first, see [`action_for`]).
pub const BINDINGS: &[Binding] = &[
    row(
        Any,
        &[KeyCode::Char(' ')],
        Does::Act(&Action::TogglePause),
        "space",
        "pause / resume (past the horizon: run on)",
    ),
    row(
        Any,
        &[KeyCode::Char('n'), KeyCode::Char('.')],
        Does::Act(&Action::Step(1)),
        "n  .",
        "one step (pauses first)",
    ),
    row(
        Any,
        &[KeyCode::Char('N')],
        Does::Act(&Action::Step(100)),
        "N",
        "100 steps (pauses first)",
    ),
    row(
        Any,
        &[KeyCode::Char('+'), KeyCode::Char('=')],
        Does::Act(&Action::Faster),
        "+  -",
        "speed ×2 / ÷2, from flat out to 1 step per 64 frames",
    ),
    row(
        Any,
        &[KeyCode::Char('-'), KeyCode::Char('_')],
        Does::Act(&Action::Slower),
        "",
        "",
    ),
    row(
        Any,
        &[KeyCode::Char('w')],
        Does::Act(&Action::ToggleWarp),
        "w",
        "warp: log clock, t sweeps 1 → 10⁹",
    ),
    row(
        Any,
        &[KeyCode::Char('r')],
        Does::Act(&Action::Reset),
        "r",
        "restart from step 0 at the same speed",
    ),
    row(
        Any,
        DIGITS_1_3,
        Does::LoadBuiltin,
        "1 2 3",
        "max-margin · low-rank · sgd-vs-adam",
    ),
    row(
        Any,
        &[KeyCode::Char('p')],
        Does::Act(&Action::TogglePicker),
        "p",
        "preset picker (↑↓ Enter; Esc closes)",
    ),
    row(
        Any,
        &[KeyCode::Char(':')],
        Does::Act(&Action::OpenPrompt),
        ":",
        "set a key live, e.g. runs.2.lr=0.01 (restarts; ↑ recalls)",
    ),
    row(
        Any,
        &[KeyCode::Tab],
        Does::Act(&Action::FocusNext),
        "tab",
        "focus the next pane (shift-tab: previous; after the last: none)",
    ),
    row(
        Any,
        &[KeyCode::BackTab],
        Does::Act(&Action::FocusPrevious),
        "",
        "",
    ),
    row(
        InPane,
        DIGITS_1_9,
        Does::ChooseRun,
        "1-9  ↑↓",
        "in a focused run table, heat map or σ pane: choose the run",
    ),
    row(
        InPane,
        &[KeyCode::Up, KeyCode::Left, KeyCode::Char('k')],
        Does::Act(&Action::MoveRun(-1)),
        "",
        "",
    ),
    row(
        InPane,
        &[KeyCode::Down, KeyCode::Right, KeyCode::Char('j')],
        Does::Act(&Action::MoveRun(1)),
        "",
        "",
    ),
    row(
        Any,
        &[KeyCode::Char('z')],
        Does::Act(&Action::ToggleZoom),
        "z",
        "zoom the circle onto the references' arc (again: whole)",
    ),
    row(
        Any,
        &[KeyCode::PageDown],
        Does::Act(&Action::ScrollRows(1)),
        "PgUp PgDn",
        "scroll a pane that says `rows k–m of n`",
    ),
    row(
        Any,
        &[KeyCode::PageUp],
        Does::Act(&Action::ScrollRows(-1)),
        "",
        "",
    ),
    row(
        Any,
        &[KeyCode::Char('l')],
        Does::Act(&Action::ToggleLogAxis),
        "l",
        "singular values on a log / linear axis",
    ),
    row(
        Any,
        &[KeyCode::Char('e')],
        Does::Act(&Action::Export),
        "e",
        "export: SVG figure + trace CSV into --export-dir",
    ),
    row(
        Any,
        &[KeyCode::Char('i')],
        Does::Act(&Action::ToggleInfo),
        "i",
        "about this preset, and what each glyph and colour means",
    ),
    row(
        Any,
        &[KeyCode::Char('?')],
        Does::Act(&Action::ToggleHelp),
        "?",
        "this help",
    ),
    row(
        InPicker,
        &[KeyCode::Up, KeyCode::Char('k')],
        Does::Act(&Action::PickerMove(-1)),
        "",
        "",
    ),
    row(
        InPicker,
        &[KeyCode::Down, KeyCode::Char('j')],
        Does::Act(&Action::PickerMove(1)),
        "",
        "",
    ),
    row(
        InPicker,
        &[KeyCode::PageUp],
        Does::Act(&Action::PickerMove(-10)),
        "",
        "",
    ),
    row(
        InPicker,
        &[KeyCode::PageDown],
        Does::Act(&Action::PickerMove(10)),
        "",
        "",
    ),
    row(
        InPicker,
        &[KeyCode::Enter],
        Does::Act(&Action::PickerConfirm),
        "",
        "",
    ),
    row(
        InPrompt,
        &[KeyCode::Enter],
        Does::Act(&Action::PromptSubmit),
        "",
        "",
    ),
    row(
        InPrompt,
        &[KeyCode::Backspace],
        Does::Act(&Action::PromptBackspace),
        "",
        "",
    ),
    row(
        InPrompt,
        &[KeyCode::Up],
        Does::Act(&Action::PromptHistory(-1)),
        "",
        "",
    ),
    row(
        InPrompt,
        &[KeyCode::Down],
        Does::Act(&Action::PromptHistory(1)),
        "",
        "",
    ),
    row(InPrompt, &[KeyCode::Esc], Does::Act(&Action::Back), "", ""),
    row(
        Any,
        &[KeyCode::Esc],
        Does::Act(&Action::Back),
        "Esc",
        "close what is open (help, picker, prompt, a focused pane)",
    ),
    row(
        Any,
        &[KeyCode::Char('q'), KeyCode::Char('Q')],
        Does::Act(&Action::Quit),
        "q  Ctrl-C",
        "quit",
    ),
];

/// The scopes tried for `mode`, most specific first.
fn scopes(mode: KeyMode) -> &'static [Scope] {
    match mode {
        KeyMode::Normal | KeyMode::Help => &[Scope::Dashboard],
        KeyMode::Picker => &[Scope::Picker, Scope::Dashboard],
        KeyMode::ChooseRun => &[Scope::ChooseRun, Scope::Dashboard],
        KeyMode::Prompt => &[Scope::Prompt],
    }
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
    for scope in scopes(mode) {
        let found = BINDINGS
            .iter()
            .filter(|b| b.scope == *scope)
            .find(|b| b.keys.contains(&key.code));
        if let Some(binding) = found {
            return Some(match binding.does {
                Does::Act(action) => *action,
                Does::LoadBuiltin => Action::LoadBuiltin(digit_index(key.code)?),
                Does::ChooseRun => Action::ChooseRun(digit_index(key.code)?),
            });
        }
    }
    match (mode, key.code) {
        (KeyMode::Prompt, KeyCode::Char(c)) => Some(Action::PromptInput(c)),
        _ => None,
    }
}

/// `'1'` → 0 … `'9'` → 8.
fn digit_index(code: KeyCode) -> Option<usize> {
    match code {
        KeyCode::Char(c @ '1'..='9') => Some(c as usize - '1' as usize),
        _ => None,
    }
}

/// The key help as (keys, what they do) rows, drawn from [`BINDINGS`] for the `?` overlay and
/// `--help`; the prompt's own keys and the notes close it.
#[must_use]
pub fn help_rows() -> Vec<(&'static str, &'static str)> {
    let mut rows: Vec<(&str, &str)> = BINDINGS
        .iter()
        .filter(|b| !b.shown.is_empty())
        .map(|b| (b.shown, b.help))
        .collect();
    rows.push(("", "in the prompt: Enter applies, ↑↓ recall, Esc cancels"));
    rows.push(("", "NO_COLOR is honoured; no mouse needed"));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.scope == b.scope {
                    for key in a.keys {
                        assert!(!b.keys.contains(key), "{key:?} twice in {:?}", a.scope);
                    }
                }
            }
        }
    }

    #[test]
    fn every_listed_help_row_names_keys_that_reach_its_action() {
        // The help's first key of each shown row, pressed where the row applies, gives the
        // row's own action: the overlay cannot promise what dispatch does not do.
        for binding in BINDINGS.iter().filter(|b| !b.shown.is_empty()) {
            let mode = match binding.scope {
                Scope::Dashboard => KeyMode::Normal,
                Scope::Picker => KeyMode::Picker,
                Scope::ChooseRun => KeyMode::ChooseRun,
                Scope::Prompt => KeyMode::Prompt,
            };
            let action = action_for(press(binding.keys[0]), mode);
            let expected = match binding.does {
                Does::Act(a) => Some(*a),
                Does::LoadBuiltin => Some(Action::LoadBuiltin(0)),
                Does::ChooseRun => Some(Action::ChooseRun(0)),
            };
            assert_eq!(action, expected, "{}", binding.shown);
        }
    }

    #[test]
    fn esc_never_quits_and_digits_switch_unless_a_pane_chooses_runs() {
        for mode in [
            KeyMode::Normal,
            KeyMode::Help,
            KeyMode::Picker,
            KeyMode::ChooseRun,
            KeyMode::Prompt,
        ] {
            assert_eq!(action_for(press(KeyCode::Esc), mode), Some(Action::Back));
        }
        for mode in [KeyMode::Normal, KeyMode::Help, KeyMode::Picker] {
            assert_eq!(
                action_for(press(KeyCode::Char('2')), mode),
                Some(Action::LoadBuiltin(1))
            );
        }
        assert_eq!(
            action_for(press(KeyCode::Char('2')), KeyMode::ChooseRun),
            Some(Action::ChooseRun(1))
        );
        assert_eq!(
            action_for(press(KeyCode::Char('2')), KeyMode::Prompt),
            Some(Action::PromptInput('2'))
        );
        assert_eq!(
            action_for(press(KeyCode::Char('q')), KeyMode::Prompt),
            Some(Action::PromptInput('q'))
        );
    }
}
