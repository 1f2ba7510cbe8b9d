//! Drawing: one pane per file, each a pure function of [`App`] and an area.
//!
//! ```text
//! ┌ max-margin: four starts, one direction │ step 12345 │ 1.2M steps/s │ running │ speed warp ┐
//! ┌ directions w/‖w‖ ─────┐┌ gap to target vs t (log-log) ───────────────────┐
//! │      ⣀⡠⠤⠤⠤⢄⣀   ℓ2    ││⠑⢄                                                │
//! │   ⡠⠊  1 ─────▶ ⠑⢄    ││  ⠑⠢⣀                                             │
//! │   ⢇    ⋅       ⡸    ││      ⠉⠒⠤⣀⣀                                       │
//! │    ⠑⠤⣀⣀⣀⣀⡠⠤⠊     ││           ⠉⠉⠑⠒⠒⠤⠤⣀⣀⣀                              │
//! └──────────────────────┘└1────10────1e2────1e3────1e4──────────────────────┘
//! ┌ runs ──────────────────────────────────────────────────────────────────────┐
//! │ run            loss      ‖w‖   margin   ∠ℓ2   ∠ℓ∞  status                 │
//! └────────────────────────────────────────────────────────────────────────────┘
//!  notes: horizon reached, bad preset, crash (one line, only when there is something to say)
//! ```
//!
//! Linear `overlay` puts every run on one circle; `side-by-side` gives each run its own circle.
//! Matrix experiments show the singular values over log t, the spectrum against the reference,
//! heat maps and the metrics. Diagonal experiments show each run's coordinates among the
//! least-ℓ1 and least-ℓ2 interpolants, ‖w‖₁ and the distance to each run's target over log t,
//! and the metrics (see `diagonal`). Every size works: below a readable minimum only the status
//! line and a
//! hint are drawn, and no pane is ever given a zero-sized area.

mod axis;
pub mod diagonal;
mod help;
mod info;
pub mod linear;
pub mod matrix;
pub mod network;
mod picker;
mod prompt;
mod status;
mod table;
mod text;

pub use linear::{PlacedLabel, reference_labels};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::app::{App, Overlay, Pane, SigmaAxis};
use super::protocol::AutoPause;
use super::theme::Theme;
use crate::core::kinds::{SnapshotBody, with_kinds};

/// Smallest body (below the status line) worth drawing panes into.
const MIN_BODY: (u16, u16) = (24, 6);

/// Draws the whole dashboard for `app` into `frame`.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = Theme { color: app.color };
    // The note is wrapped, not cut at the screen's edge (an error's fix comes last), in at most
    // a quarter of the screen. An open prompt takes its place.
    let banner_lines = match (&app.overlay, banner(app, theme)) {
        (Overlay::Prompt(prompt), _) => prompt::lines(prompt, area, theme),
        (_, Some((note, style))) if area.height > 2 => {
            let lines = text::fit(&note, area.width.into(), (area.height / 4).max(1).into());
            lines.into_iter().map(|l| Line::styled(l, style)).collect()
        }
        _ => vec![],
    };
    let [status_area, body, banner_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(banner_lines.len() as u16),
    ])
    .areas(area);
    status::render(frame, status_area, app, theme);
    frame.render_widget(Paragraph::new(Text::from(banner_lines)), banner_area);
    if body.width < MIN_BODY.0 || body.height < MIN_BODY.1 {
        let text = if body.width >= 30 {
            "enlarge the terminal (80×24 recommended) · q quits"
        } else {
            "too small · q quits"
        };
        let hint = Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .style(theme.faint());
        frame.render_widget(hint, body);
        return;
    }
    match app.report.as_ref().map(|r| &r.snapshot.body) {
        None => {
            let text = vec![
                Line::from(Span::styled(app.title.as_str(), theme.strong())),
                Line::from("starting the experiment (computing exact references)…"),
                Line::from(""),
                Line::from(app.about.as_str()),
            ];
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(Block::bordered()),
                body,
            );
        }
        Some(snapshot) => kind_view(snapshot).draw(frame, body, app, theme),
    }
    match &app.overlay {
        Overlay::None | Overlay::Prompt(_) => {}
        Overlay::Help => help::render(frame, area, theme),
        Overlay::Info => info::render(frame, area, app, theme),
        Overlay::Picker { entries, selected } => {
            picker::render(frame, area, entries, *selected, theme);
        }
    }
}

/// The note under the panes and its style, when there is something the user must know.
fn banner(app: &App, theme: Theme) -> Option<(String, Style)> {
    if let Some(text) = &app.crashed {
        return Some((
            format!("experiment thread crashed: {text} · the dashboard still answers · q quits"),
            theme.bad(),
        ));
    }
    if let Some(text) = &app.notice {
        return Some((
            format!(
                "preset not loaded, still showing {}: {text}",
                app.preset_name
            ),
            theme.bad(),
        ));
    }
    match &app.export_note {
        Some(Ok(files)) => {
            return Some((
                format!(
                    "exported {} and {}",
                    files.svg.display(),
                    files.csv.display()
                ),
                theme.note(),
            ));
        }
        Some(Err(message)) => return Some((format!("export failed: {message}"), theme.bad())),
        None => {}
    }
    if let Some(text) = &app.restarted {
        return Some((text.clone(), theme.note()));
    }
    match app.auto_pause() {
        Some(AutoPause::Horizon(step)) => Some((
            format!("paused at the preset's horizon (step {step}): space runs on, r resets"),
            theme.note(),
        )),
        Some(AutoPause::AllStopped) => Some((
            "every run has stopped (frozen, converged or diverged): r resets, 1-3 or p switch presets"
                .to_owned(),
            theme.note(),
        )),
        None => None,
    }
}

/// What a kind's panes offer the dashboard: each kind's folder here implements it for its
/// snapshot, and [`kind_view`] finds it by the table of kinds.
pub trait KindView {
    /// The panes on screen, in Tab order.
    fn panes(&self, app: &App) -> Vec<Pane>;
    /// Draws the kind's panes into `area` (below the status line, above the notes).
    fn draw(&self, frame: &mut Frame, area: Rect, app: &App, theme: Theme);
    /// What its symbols mean, a line each, for the info overlay (`i`).
    fn legend(&self) -> &'static [&'static str];
    /// Rows its heat maps scroll through (`PgUp`/`PgDn`); 0 when it has none.
    fn scroll_rows(&self) -> usize {
        0
    }
    /// The σ chart's scale when the user has not chosen one with `l`; `None` without one.
    fn sigma_axis(&self) -> Option<SigmaAxis> {
        None
    }
}

/// Finds each kind's [`KindView`], from the table.
macro_rules! declare_views {
    ($($variant:ident($module:ident, $problem:ident, $snapshot:ident),)*) => {
        /// The panes of the snapshot's kind.
        #[must_use]
        pub fn kind_view(body: &SnapshotBody) -> &dyn KindView {
            match body {
                $(SnapshotBody::$variant(snapshot) => snapshot,)*
            }
        }
    };
}

with_kinds!(declare_views);

/// What a pane that shows one run needs to know: which run, and whether it has the focus.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// The chosen run's index (valid for the snapshot).
    pub run: usize,
    /// Whether the pane has the focus (highlighted border).
    pub focused: bool,
}

/// A number in at most ~9 characters: 4 significant digits, scientific when very large or below
/// 0.01 (`1.35e-3` reads faster than `0.001351`).
#[must_use]
pub fn number(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "inf".to_owned()
        } else {
            "-inf".to_owned()
        };
    }
    let magnitude = x.abs();
    if magnitude == 0.0 {
        "0".to_owned()
    } else if (1e-2..1e5).contains(&magnitude) {
        let decimals = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.2e}")
    }
}
