//! The top singular values of the chosen run's M (U Vᵀ, or U C₁ ⋯ Vᵀ for a deeper run) against
//! log t, σ1 … σk labelled.
//!
//! The article's "winner takes all": from a tiny start σ1 climbs to the signal within a few
//! hundred steps while the others stay pinned near zero, and over a long run the later σᵢ creep
//! up only slowly. On a linear step axis the whole climb is squeezed into the first column; on
//! log₁₀ t every decade gets the same width (the series is recorded on a log grid, see
//! `SPECTRUM_PER_DECADE`). All σᵢ share one scale, so a suppressed σ looks suppressed: linear,
//! or log₁₀ σ (`l`; the default when the values span more than 10³, where a linear axis would
//! pin everything but the winner to zero). The
//! reference spectrum (min-nuclear-norm completion), when known, is a faint dotted line per
//! non-zero value. A column on the right names each σᵢ in its line's colour with its value now.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, GraphType, Paragraph};

use super::metrics::depth_suffix;
use crate::core::kinds::matrix::{MatrixRunSnapshot, MatrixSnapshot};
use crate::tui::app::{SIGMAS_SHOWN, SigmaAxis};
use crate::tui::theme::Theme;
use crate::tui::view::axis::{braille, decade_axis, log_time_axis};
use crate::tui::view::{Shown, number};

/// Width of the σᵢ name-and-value column.
const LEGEND_WIDTH: u16 = 11;
/// Most decades a log σ axis spans below its top: an underflowed σ (1e-300) would otherwise
/// squeeze every other value into one row.
const LOG_DECADES: f64 = 12.0;

/// Draws the chart for the chosen run and its legend column, σ on `axis`.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    matrix: &MatrixSnapshot,
    shown: Shown,
    axis: SigmaAxis,
    theme: Theme,
) {
    let depth = matrix
        .runs
        .get(shown.run)
        .map_or_else(String::new, |run| depth_suffix(run.depth));
    let scale = match axis {
        SigmaAxis::Log => ", log σ",
        SigmaAxis::Linear => "",
    };
    let title = if matrix.runs.len() > 1 {
        format!(" σᵢ of M (run {}{depth}) vs log t{scale} ", shown.run + 1)
    } else {
        format!(" singular values of M{depth} vs log t{scale} ")
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
        .min(SIGMAS_SHOWN)
        .min(usize::from(inner.height));
    let mut series = sigma_series(run, count);
    let mut reference: Vec<f64> = matrix
        .reference
        .solved()
        .map(|r| r.singular_values.iter().copied().take(count).collect())
        .unwrap_or_default();
    let (bounds, labels) = sigma_scale(&mut series, &mut reference, axis);
    let last_x = series.iter().flatten().map(|p| p.0).fold(1.0_f64, f64::max);
    let (x_max, stride) = decade_axis(last_x, chart_area.width);
    let dots = reference_dots(&reference, bounds, f64::from(x_max), chart_area.width);
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
                .bounds(bounds)
                .labels(labels),
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

/// The σ axis's bounds and end labels, with `series` and `reference` turned into what is
/// drawn (log₁₀ σ on a log axis, floored [`LOG_DECADES`] below the top).
fn sigma_scale(
    series: &mut [Vec<(f64, f64)>],
    reference: &mut Vec<f64>,
    axis: SigmaAxis,
) -> ([f64; 2], Vec<Span<'static>>) {
    let highest = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .chain(reference.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    match axis {
        SigmaAxis::Linear => {
            let top = highest * 1.05;
            ([0.0, top], vec![Span::raw("0"), Span::raw(number(top))])
        }
        SigmaAxis::Log => {
            let top = highest.log10().ceil();
            let floor = series
                .iter()
                .flatten()
                .map(|p| p.1)
                .filter(|v| *v > 0.0)
                .fold(highest, f64::min)
                .log10()
                .floor()
                .max(top - LOG_DECADES)
                .min(top - 1.0);
            let to_log = |v: f64| v.log10().max(floor);
            for point in series.iter_mut().flatten() {
                point.1 = to_log(point.1);
            }
            reference.retain(|v| *v > 10_f64.powf(floor));
            for value in reference.iter_mut() {
                *value = to_log(*value);
            }
            let label = |e: f64| Span::raw(format!("1e{e}"));
            ([floor, top], vec![label(floor), label(top)])
        }
    }
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

/// Dotted horizontal lines at the reference's values (as drawn: σ or log₁₀ σ) that stand
/// clear of the bottom of `bounds` (a zero σ would sit on the axis), about one dot every other
/// cell column across [0, `x_max`].
fn reference_dots(reference: &[f64], bounds: [f64; 2], x_max: f64, width: u16) -> Vec<(f64, f64)> {
    let dots = usize::from(width / 2).max(4);
    let [bottom, top] = bounds;
    let clear = bottom + (top - bottom) * 1e-3;
    reference
        .iter()
        .filter(|&&v| v.is_finite() && v > clear && v <= top)
        .flat_map(|&v| (0..=dots).map(move |i| (x_max * i as f64 / dots as f64, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_dots_sit_on_the_reference_values_only() {
        let dots = reference_dots(&[2.0, 1e-9, 0.5], [0.0, 3.0], 4.0, 20);
        // Two lines of 11 dots (width 20 → 10 gaps), σ2 ≈ 0 is left out.
        assert_eq!(dots.len(), 22);
        assert!(
            dots.iter()
                .all(|&(x, y)| (0.0..=4.0).contains(&x) && (y == 2.0 || y == 0.5))
        );
    }
}
