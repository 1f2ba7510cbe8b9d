//! The top singular values of the chosen run's M (U Vᵀ, or U C₁ ⋯ Vᵀ for a deeper run) against
//! log t, σ1 … σk labelled.
//!
//! The article's "winner takes all": from a tiny start σ1 climbs to the signal within a few
//! hundred steps while the others stay pinned near zero, and over a long run the later σᵢ creep
//! up only slowly. On a linear step axis the whole climb is squeezed into the first column; on
//! log₁₀ t every decade gets the same width (the series is recorded on a log grid, see
//! `SPECTRUM_PER_DECADE`). All σᵢ share one linear scale, so a suppressed σ looks suppressed; the
//! reference spectrum (min-nuclear-norm completion), when known, is a faint dotted line per
//! non-zero value. A column on the right names each σᵢ in its line's colour with its value now.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, GraphType, Paragraph};

use super::super::theme::Theme;
use super::axis::{braille, decade_axis, log_time_axis};
use super::matrix_metrics::depth_suffix;
use super::{Shown, number};
use crate::core::experiment::{MatrixRunSnapshot, MatrixSnapshot};

/// Width of the σᵢ name-and-value column.
const LEGEND_WIDTH: u16 = 11;
/// Most σᵢ drawn: beyond the first few they lie on top of each other near zero.
const MOST_SHOWN: usize = 6;

/// Draws the chart for the chosen run and its legend column.
pub fn render(frame: &mut Frame, area: Rect, matrix: &MatrixSnapshot, shown: Shown, theme: Theme) {
    let depth = matrix
        .runs
        .get(shown.run)
        .map_or_else(String::new, |run| depth_suffix(run.depth));
    let title = if matrix.runs.len() > 1 {
        format!(" σᵢ of M (run {}{depth}) vs log t ", shown.run + 1)
    } else {
        format!(" singular values of M{depth} vs log t ")
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(shown.focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(run) = matrix.runs.get(shown.run) else {
        return;
    };
    if inner.width < LEGEND_WIDTH + 12 || inner.height < 3 {
        return;
    }
    let [chart_area, legend_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(LEGEND_WIDTH)]).areas(inner);
    let count = run
        .spectra
        .width()
        .min(MOST_SHOWN)
        .min(usize::from(inner.height));
    let series = sigma_series(run, count);
    let reference: Vec<f64> = matrix
        .reference
        .solved()
        .map(|r| r.singular_values.iter().copied().take(count).collect())
        .unwrap_or_default();
    let top = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .chain(reference.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.05;
    let last_x = series.iter().flatten().map(|p| p.0).fold(1.0_f64, f64::max);
    let (x_max, stride) = decade_axis(last_x);
    let dots = reference_dots(&reference, top, f64::from(x_max), chart_area.width);
    let mut datasets = vec![braille(&dots, GraphType::Scatter, theme.faint())];
    datasets.extend(
        series
            .iter()
            .enumerate()
            .map(|(sigma, points)| braille(points, GraphType::Line, theme.run(sigma))),
    );
    let chart = Chart::new(datasets)
        .x_axis(log_time_axis(x_max, stride, theme))
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([0.0, top])
                .labels(vec![Span::raw("0"), Span::raw(number(top))]),
        );
    frame.render_widget(chart, chart_area);
    let legend: Vec<Line> = (0..count)
        .map(|sigma| {
            let now = run.singular_values.get(sigma).copied().unwrap_or(f64::NAN);
            Line::from(vec![
                Span::styled(format!(" σ{:<2}", sigma + 1), theme.run(sigma)),
                Span::raw(number(now)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(legend), legend_area);
}

/// Per σᵢ (i < `count`): (log₁₀ t, σᵢ) for every recorded step t ≥ 1 with a finite value.
fn sigma_series(run: &MatrixRunSnapshot, count: usize) -> Vec<Vec<(f64, f64)>> {
    (0..count)
        .map(|sigma| {
            let mut points: Vec<(f64, f64)> = run
                .spectra
                .iter()
                .filter(|(step, _)| *step >= 1)
                .filter_map(|(step, record)| {
                    let value = record.get(sigma).copied()?;
                    value.is_finite().then(|| ((step as f64).log10(), value))
                })
                .collect();
            // A single point would not draw a line: show it as a dot.
            if points.len() == 1 {
                points.push(points[0]);
            }
            points
        })
        .collect()
}

/// Dotted horizontal lines at the reference's non-zero singular values (below `top`), about
/// one dot every other cell column across [0, `x_max`].
fn reference_dots(reference: &[f64], top: f64, x_max: f64, width: u16) -> Vec<(f64, f64)> {
    let dots = usize::from(width / 2).max(4);
    reference
        .iter()
        .filter(|&&v| v.is_finite() && v > top * 1e-3 && v <= top)
        .flat_map(|&v| (0..=dots).map(move |i| (x_max * i as f64 / dots as f64, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_dots_sit_on_the_reference_values_only() {
        let dots = reference_dots(&[2.0, 1e-9, 0.5], 3.0, 4.0, 20);
        // Two lines of 11 dots (width 20 → 10 gaps), σ2 ≈ 0 is left out.
        assert_eq!(dots.len(), 22);
        assert!(
            dots.iter()
                .all(|&(x, y)| (0.0..=4.0).contains(&x) && (y == 2.0 || y == 0.5))
        );
    }
}
