//! Linear experiments' panes: the unit circle(s) of directions, the gap to each run's target
//! over t, and the run table.

mod circle;
mod gap;
mod runs;

pub use circle::{PlacedLabel, reference_labels};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};

use super::KindView;
use crate::core::experiment::Layout;
use crate::core::kinds::linear::LinearSnapshot;
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;

/// A unit circle: the only one in overlay layout, run `index`'s with `CIRCLE.at(index)`.
pub const CIRCLE: Pane = Pane::new("circle", false);
/// The angle and margin gaps to each run's target against t, log-log.
pub const GAP: Pane = Pane::new("gap", false);

/// What the linear experiments' glyphs mean.
const LINEAR_LEGEND: &[&str] = &[
    "circle: each run's direction w/‖w‖ (first two coordinates when d > 2)",
    "○ a run's start · a reversed digit: run N's direction now (● for one run)",
    "arrows: the exact max-margin directions (ℓ2, ℓ2+b, ℓ∞, ℓ1, ℓp), labelled",
    "table: ■N run N's colour · ∠ref the angle to that reference in degrees",
    "→theory: the reference its theorem predicts · gap·ln t: flat means 1/ln t",
    "gap chart: angle to the target vs t, log-log; ┈ the 1/ln t law",
];

impl KindView for LinearSnapshot {
    fn panes(&self, app: &App) -> Vec<Pane> {
        match app.layout {
            Layout::SideBySide => {
                let mut panes: Vec<Pane> = (0..self.runs.len()).map(|i| CIRCLE.at(i)).collect();
                panes.extend([Pane::METRICS, GAP]);
                panes
            }
            Layout::Overlay => vec![CIRCLE, Pane::METRICS, GAP],
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
        draw(frame, area, app, self, theme);
    }

    fn legend(&self) -> &'static [&'static str] {
        LINEAR_LEGEND
    }
}

/// Linear experiments: circles, the angle-gap chart, the run table.
fn draw(frame: &mut Frame, area: Rect, app: &App, linear: &LinearSnapshot, theme: Theme) {
    let focused = app.focused();
    let table_height = (linear.runs.len() as u16 + 3).min(area.height / 3).max(3);
    let [top, table] =
        Split::vertical([Constraint::Fill(1), Constraint::Length(table_height)]).areas(area);
    let chosen = (focused == Some(Pane::METRICS)).then(|| app.chosen_run());
    runs::render(frame, table, linear, app.step(), chosen, theme);
    match app.layout {
        Layout::Overlay => {
            // The circle takes a round share (cells are about twice as tall as wide).
            let circle_width = (top.height * 2 + 2)
                .min(top.width * 3 / 5)
                .max(top.width / 3);
            let [circle_area, gap_area] =
                Split::horizontal([Constraint::Length(circle_width), Constraint::Fill(1)])
                    .areas(top);
            let all: Vec<usize> = (0..linear.runs.len()).collect();
            let focus = focused == Some(CIRCLE);
            circle::render(frame, circle_area, linear, &all, app.circle, focus, theme);
            gap::render(frame, gap_area, linear, focused == Some(GAP), theme);
        }
        Layout::SideBySide => {
            let runs = linear.runs.len().max(1);
            let wide = top.width >= 150 || top.height < 14;
            let (circles_area, gap_area) = if wide {
                let [c, g] =
                    Split::horizontal([Constraint::Fill(2), Constraint::Fill(1)]).areas(top);
                (c, g)
            } else {
                // The chart needs about five plot rows (plus axis and borders) to show a curve.
                let chart_rows = (top.height / 3).max(8).min(top.height / 2);
                let [c, g] = Split::vertical([Constraint::Fill(1), Constraint::Length(chart_rows)])
                    .areas(top);
                (c, g)
            };
            let panes = Split::horizontal(vec![Constraint::Fill(1); runs]).split(circles_area);
            for (index, pane) in panes.iter().enumerate().take(linear.runs.len()) {
                let focus = focused == Some(CIRCLE.at(index));
                circle::render(frame, *pane, linear, &[index], app.circle, focus, theme);
            }
            gap::render(frame, gap_area, linear, focused == Some(GAP), theme);
        }
    }
}
