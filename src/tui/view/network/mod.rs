//! Network experiments' panes: the training loss over t (log scale), each run's sharpness over
//! t with its own threshold 2/η as dots, the fitted function over the data (1-D inputs) or the
//! chosen run's decision regions (2-D), and the run table. The scalar network f(x) = a·b·x with
//! the squared loss has its exact minima, so it shows the (a, b) plane instead of the fit: the
//! curve of minima ab = c, each run's path to it, and the circle inside which the curve is
//! stable for each run (`plane.rs`); that pane gets half the height, the picture being the point.
//!
//! ```text
//! ┌ loss vs t (log) ─────────────┐┌ sharpness vs t · ⠂ 2/η per run ─────────────────┐
//! └──────────────────────────────┘└─────────────────────────────────────────────────┘
//! ┌ fit: run 1 over the data ────┐┌ runs ───────────────────────────────────────────┐
//! │  (scalar net: minima ab = c) ││                                                 │
//! └──────────────────────────────┘└─────────────────────────────────────────────────┘
//! ```
//!
//! The picture of the edge of stability: a run's sharpness climbs to its own dotted level and
//! stays there while its loss keeps falling with bumps. Runs are told apart by colour and by
//! their number (in the table, at their heads in the plane), so a monochrome terminal loses the
//! legend, not the data.

mod charts;
mod fit;
mod metrics;
mod plane;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::KindView;
use crate::core::kinds::network::NetworkSnapshot;
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;

/// The training loss over t.
pub const LOSS: Pane = Pane::new("loss", false);
/// The sharpness over t with each run's threshold.
pub const SHARPNESS: Pane = Pane::new("sharpness", false);
/// The chosen run's function over the data.
pub const FIT: Pane = Pane::new("fit", true);
/// The scalar network's (a, b) plane: its minima and every run's path (in place of the fit).
pub const PLANE: Pane = Pane::new("plane", false);

/// What the network experiments' glyphs mean.
const NETWORK_LEGEND: &[&str] = &[
    "loss: each run's training loss vs t, log scale",
    "sharpness: λmax of the loss Hessian (exact, by Lanczos) vs t; for Adam and",
    "  RMSprop λmax(P⁻¹H); ⠂ dots in a run's colour: its threshold 2/η",
    "fit: the chosen run's f(x) over the data (1-D), or its regions f > 0 (2-D)",
    "plane (f = a·b·x, squared loss; in place of fit): the minima ab = c, faint, of sharpness \
     m(a²+b²), m = mean xᵢ²; each run's path of (a, b), ○ its start, its number where it is",
    "  ⠂ circle a²+b² = τ/m per run (τ its threshold, 2/η for GD; none for Adam, RMSprop): \
     the run can settle only on the part of the curve inside it",
    "table: S/thr near 1 while the loss falls is the edge of stability",
];

impl KindView for NetworkSnapshot {
    fn panes(&self, _app: &App) -> Vec<Pane> {
        let picture = if self.scalar().is_some() { PLANE } else { FIT };
        vec![LOSS, SHARPNESS, picture, Pane::METRICS]
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
        let focused = app.focused();
        let scalar = self.scalar();
        let table_height = (self.runs.len() as u16 + 3).min(area.height / 3).max(3);
        let bottom_height = match scalar {
            Some(_) => area.height / 2,
            None => table_height.max(area.height / 3),
        };
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(bottom_height)]).areas(area);
        let [loss_area, sharpness_area] =
            Layout::horizontal([Constraint::Fill(2), Constraint::Fill(3)]).areas(top);
        // The table needs its columns whole (a `frozen @ N` status included): two thirds.
        let [fit_area, table_area] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(2)]).areas(bottom);
        let run = app.chosen_run();
        charts::render_loss(frame, loss_area, self, focused == Some(LOSS), theme);
        charts::render_sharpness(
            frame,
            sharpness_area,
            self,
            focused == Some(SHARPNESS),
            theme,
        );
        match scalar {
            Some(net) => {
                let plane = plane::Plane {
                    snapshot: self,
                    net,
                    focused: focused == Some(PLANE),
                    theme,
                };
                frame.render_widget(plane, fit_area);
            }
            None => fit::render(frame, fit_area, self, run, focused == Some(FIT), theme),
        }
        let chosen = focused.is_some_and(Pane::chooses_run).then_some(run);
        metrics::render(
            frame,
            table_area,
            self,
            chosen,
            focused == Some(Pane::METRICS),
            theme,
        );
    }

    fn legend(&self) -> &'static [&'static str] {
        NETWORK_LEGEND
    }
}
