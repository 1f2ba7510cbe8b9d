//! The angle gap to the ℓ2 max-margin direction against log t.
//!
//! Soudry et al. show the direction converges only like 1/log t; plotted against log t that slow
//! tail becomes a visible hyperbola rather than a flat line hugging zero. ratatui charts have no
//! log axis, so the x data are log₁₀ t and the ticks are labelled 1, 10, 1e2, ….
//!
//! The theory is drawn beside the data: w(t) = ŵ·ln t + ρ(t) with ρ bounded means the gap decays
//! like C/ln t. A faint dotted curve C/ln t, fitted through the slowest gradient-descent-like run's
//! newest point, shows where such a run should go next; a run that follows it is on the theorem's
//! rate, one that falls below converges faster, one that stays above is not heading for ℓ2.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::super::theme::Theme;
use crate::core::experiment::{LinearSnapshot, angle_degrees};
use crate::core::optim::OptimizerKind;
use crate::core::reference::MarginNorm;

/// The label of the dotted theory curve.
pub const THEORY_LABEL: &str = "┈ ∝ 1/ln t";

/// Optimizers whose direction provably tends to the ℓ2 max-margin at rate 1/ln t (Soudry et
/// al. 2018 for GD, Nacson et al. 2019 for SGD, Gunasekar et al. 2018 for heavy-ball momentum).
#[must_use]
pub fn follows_log_rate(kind: OptimizerKind) -> bool {
    matches!(
        kind,
        OptimizerKind::Gd | OptimizerKind::Sgd | OptimizerKind::Momentum
    )
}

/// Draws the chart (or says why there is none).
pub fn render(frame: &mut Frame, area: Rect, linear: &LinearSnapshot, focused: bool, theme: Theme) {
    // The theory label takes the right end of the border; the title shortens to leave it room.
    let title = if area.width >= 56 {
        " angle to ℓ2 max-margin (°) vs log t "
    } else if area.width >= 44 {
        " angle to ℓ2 (°) vs log t "
    } else {
        " ∠ℓ2 (°) vs log t "
    };
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let l2 = linear.references.iter().find_map(|(norm, r)| match r {
        Ok(reference) if *norm == MarginNorm::L2 => Some(reference.direction.as_slice()),
        _ => None,
    });
    let Some(l2) = l2 else {
        let text = "no ℓ2 max-margin reference (not selected in the preset, or the data are not \
                    separable): the angle gap cannot be drawn";
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .style(theme.note())
                .block(block),
            area,
        );
        return;
    };
    let series = angle_series(linear, l2);
    let last_x = series.iter().flatten().map(|p| p.0).fold(1.0_f64, f64::max);
    let top = nice_ceil(
        series
            .iter()
            .flatten()
            .map(|p| p.1)
            .fold(0.0_f64, f64::max)
            .max(1e-9)
            * 1.05,
    )
    // An angle never exceeds 180°: 90 and 180 are the natural ticks up there.
    .min(180.0);
    let (x_max, stride) = decade_axis(last_x);
    // The theory curve through the slowest GD-like run that still moves.
    let slowest = linear
        .runs
        .iter()
        .zip(&series)
        .filter(|(run, _)| run.status.is_ok() && follows_log_rate(run.optimizer.kind))
        .filter_map(|(_, points)| points.last().copied())
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let theory = slowest
        .and_then(|(x, angle)| theory_curve(x, angle, f64::from(x_max), top, area.width))
        .unwrap_or_default();
    if !theory.is_empty() {
        block =
            block.title(Line::styled(format!(" {THEORY_LABEL} "), theme.faint()).right_aligned());
    }
    let x_labels: Vec<Span> = (0..=x_max)
        .step_by(stride as usize)
        .map(|k| Span::raw(decade_label(k)))
        .collect();
    let y_labels = vec![
        Span::raw("0"),
        Span::raw(tick(top / 2.0)),
        Span::raw(tick(top)),
    ];
    // The theory first, so the runs are drawn over it.
    let mut datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Scatter)
            .style(theme.faint())
            .data(&theory),
    ];
    datasets.extend(series.iter().enumerate().map(|(index, points)| {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.run(index))
            .data(points)
    }));
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .title("t")
                .style(theme.faint())
                .bounds([0.0, f64::from(x_max)])
                .labels(x_labels),
        )
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([0.0, top])
                .labels(y_labels),
        );
    frame.render_widget(chart, area);
}

/// Per run: (log₁₀ t, angle to ℓ2 in degrees) for every kept step t ≥ 1 where w ≠ 0.
fn angle_series(linear: &LinearSnapshot, l2: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let dim = linear.dim;
    linear
        .runs
        .iter()
        .map(|run| {
            let mut points: Vec<(f64, f64)> = run
                .trail
                .iter()
                .filter(|(step, record)| *step >= 1 && record[..dim].iter().any(|&v| v != 0.0))
                .map(|(step, record)| ((step as f64).log10(), angle_degrees(&record[..dim], l2)))
                .filter(|(_, angle)| angle.is_finite())
                .collect();
            // A run whose single point would not draw a line still shows as a dot.
            if points.len() == 1 {
                points.push(points[0]);
            }
            points
        })
        .collect()
}

/// Dotted points of C/ln t through (`x0` = log₁₀ t₀, `angle0`), for log₁₀ t in [0, `x_max`]
/// wherever the curve is inside the chart; none when t₀ is too early for a fit (ln t₀ < 1).
fn theory_curve(x0: f64, angle0: f64, x_max: f64, top: f64, width: u16) -> Option<Vec<(f64, f64)>> {
    let ln_t0 = x0 * std::f64::consts::LN_10;
    if ln_t0 < 1.0 || !angle0.is_finite() || angle0 <= 0.0 {
        return None;
    }
    let c = angle0 * ln_t0;
    // About one dot per cell column reads as a dotted line.
    let dots = usize::from(width.max(8));
    let points = (0..=dots)
        .map(|i| x_max * i as f64 / dots as f64)
        .filter(|&x| x > 0.0)
        .map(|x| (x, c / (x * std::f64::consts::LN_10)))
        .filter(|&(_, y)| y <= top)
        .collect();
    Some(points)
}

/// The smallest 1, 2, 2.5 or 5 × 10ᵏ at least `x`: round axis ends (80°, not 77.71°).
fn nice_ceil(x: f64) -> f64 {
    let scale = 10_f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * scale)
        .find(|&v| v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * scale)
}

/// An axis label with no trailing zeros: `40`, `2.5`, `0.05`.
fn tick(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// The x axis end (whole decades) and the label stride so at most ~6 labels are evenly spaced.
pub(super) fn decade_axis(last_x: f64) -> (u32, u32) {
    let decades = last_x.ceil().max(1.0) as u32;
    let stride = decades.div_ceil(5).max(1);
    (decades.div_ceil(stride) * stride, stride)
}

/// `1`, `10`, `1e2`, `1e3`, …: the tick label for 10^k.
pub(super) fn decade_label(k: u32) -> String {
    match k {
        0 => "1".to_owned(),
        1 => "10".to_owned(),
        _ => format!("1e{k}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_axis_labels_whole_decades_evenly() {
        assert_eq!(decade_axis(0.3), (1, 1));
        assert_eq!(decade_axis(4.2), (5, 1));
        assert_eq!(decade_axis(8.9), (10, 2));
        assert_eq!(decade_label(0), "1");
        assert_eq!(decade_label(4), "1e4");
    }

    #[test]
    fn axis_ends_are_round_and_ticks_short() {
        assert_eq!(nice_ceil(77.71), 100.0);
        assert_eq!(nice_ceil(41.0), 50.0);
        assert_eq!(nice_ceil(20.0), 20.0);
        assert_eq!(nice_ceil(0.022), 0.025);
        assert_eq!(tick(50.0), "50");
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(0.0125), "0.0125");
    }

    #[test]
    fn theory_curve_passes_through_the_fitted_point() {
        // t₀ = 1000 (x = 3), 10°: C = 10·ln 1000, and at t = 10⁶ the curve is at 5°.
        let points = theory_curve(3.0, 10.0, 6.0, 90.0, 40).unwrap();
        let at = |x: f64| points.iter().find(|p| (p.0 - x).abs() < 1e-9).unwrap().1;
        assert!((at(3.0) - 10.0).abs() < 1e-9);
        assert!((at(6.0) - 5.0).abs() < 1e-9);
        assert!(points.iter().all(|p| p.1 <= 90.0));
        assert!(theory_curve(0.2, 10.0, 1.0, 90.0, 40).is_none());
    }
}
