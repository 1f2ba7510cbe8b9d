//! Matrix experiments' panes: σᵢ over log t, the spectrum against the reference, heat maps of
//! M*, M and M − M*, and the run table.

mod heatmap;
mod metrics;
mod spectra;
mod spectrum_bars;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::{KindView, Shown};
use crate::core::kinds::matrix::MatrixSnapshot;
use crate::tui::app::{App, Pane, SIGMAS_SHOWN, SigmaAxis};
use crate::tui::theme::Theme;

/// Sparklines of the chosen run's top singular values.
pub const SPECTRA: Pane = Pane::new("spectra", true);
/// The current spectrum beside the reference.
pub const BARS: Pane = Pane::new("bars", false);
/// The heat maps of M*, M and M − M*.
pub const HEAT: Pane = Pane::new("heat", true);

/// What the matrix experiments' glyphs mean.
const MATRIX_LEGEND: &[&str] = &[
    "σ chart: the chosen run's top singular values vs log t (l: log/linear σ)",
    "┈ faint dots: the min-nuclear-norm completion's singular values",
    "bars: each run's spectrum now beside the reference's",
    "heat maps: M*, M, M − M*; blue < 0 < red; a dot marks a held-out entry",
    "Tab to a table, heat map or σ pane, then 1-9 or ↑↓ choose the run shown",
];

impl KindView for MatrixSnapshot {
    fn panes(&self, _app: &App) -> Vec<Pane> {
        vec![SPECTRA, BARS, HEAT, Pane::METRICS]
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
        draw(frame, area, app, self, theme);
    }

    fn legend(&self) -> &'static [&'static str] {
        MATRIX_LEGEND
    }

    fn scroll_rows(&self) -> usize {
        self.target.nrows()
    }

    /// Log when the values on screen span more than 10³ (a linear axis would flatten all but
    /// the winner), else linear.
    fn sigma_axis(&self) -> Option<SigmaAxis> {
        let positive = self
            .runs
            .iter()
            .flat_map(|run| run.singular_values.iter().take(SIGMAS_SHOWN))
            .copied()
            .filter(|s| s.is_finite() && *s > 0.0);
        let (low, high) = positive.fold((f64::INFINITY, 0.0_f64), |(lo, hi), s| {
            (lo.min(s), hi.max(s))
        });
        Some(if high > 0.0 && high / low > 1e3 {
            SigmaAxis::Log
        } else {
            SigmaAxis::Linear
        })
    }
}

/// Matrix experiments: σᵢ over log t and spectrum bars on top, heat maps and metrics below.
fn draw(frame: &mut Frame, area: Rect, app: &App, matrix: &MatrixSnapshot, theme: Theme) {
    let focused = app.focused();
    let metrics_height = (matrix.runs.len() as u16 + 4).min(area.height / 3).max(3);
    // One row per matrix row where there is room (a title, a label row and the borders
    // around them), up to half the height; a third on a small screen.
    let matrix_rows = matrix.target.nrows() as u16;
    let heat_height = if area.height >= 30 {
        (matrix_rows + 3).clamp(8, area.height / 2)
    } else {
        (area.height / 3).max(4)
    };
    let [top, heat_area, metrics_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(heat_height),
        Constraint::Length(metrics_height),
    ])
    .areas(area);
    let [spectra_area, bars_area] =
        Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(top);
    let run = app.chosen_run();
    let shown = Shown {
        run,
        focused: focused == Some(SPECTRA),
    };
    spectra::render(frame, spectra_area, matrix, shown, app.sigma_axis(), theme);
    spectrum_bars::render(frame, bars_area, matrix, focused == Some(BARS), theme);
    let shown = Shown {
        run,
        focused: focused == Some(HEAT),
    };
    heatmap::render(frame, heat_area, matrix, shown, app.scroll, theme);
    let chosen = focused.is_some_and(Pane::chooses_run).then_some(run);
    let focus = focused == Some(Pane::METRICS);
    metrics::render(frame, metrics_area, matrix, chosen, focus, theme);
}
