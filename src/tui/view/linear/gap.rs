//! The gaps to each run's target against t, on log-log axes.
//!
//! Solid: the angle (°) from w/‖w‖ to the run's predicted max-margin direction (ℓ2 where no
//! theorem names one). Dotted: the margin gap γ₂ − margin(t) for runs whose target is ℓ2. On
//! log-log axes a rate t^(−k) is a straight line of slope −k, so O(1/t) (normalized descent by
//! the loss, slope −1) and O(1/ln t) (gradient descent, slope near 0, slowly steepening) are told
//! apart by eye; the bottom border gives each run's least-squares slope over the last decade.
//! ratatui charts have no log axis, so the data are log₁₀ of both and the ticks are labelled
//! 1, 10, 1e2, ….
//!
//! The theory is drawn beside the data: w(t) = ŵ·ln t + ρ(t) with ρ bounded means the angle gap
//! decays like C/ln t. A faint dotted curve C/ln t, fitted through the slowest gradient-descent-
//! like run's newest point, shows where such a run should go next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use crate::core::kinds::linear::{LinearRunSnapshot, LinearSnapshot};
use crate::core::linalg::angle_degrees;
use crate::core::reference::{MarginNorm, MaxMarginReference};
use crate::tui::theme::Theme;
use crate::tui::view::axis::{braille, decade_axis, log_time_axis};

/// The label of the dotted theory curve.
pub const THEORY_LABEL: &str = "┈ ∝ 1/ln t";

/// One run's curves: (log₁₀ t, log₁₀ gap) for the angle and, when its target is ℓ2, the margin.
#[derive(Debug, Default)]
struct RunSeries {
    angle: Vec<(f64, f64)>,
    margin: Vec<(f64, f64)>,
}

/// The run's target: its predicted reference, or ℓ2 where no theorem names one.
fn target(run: &LinearRunSnapshot) -> MarginNorm {
    run.predicted.unwrap_or(MarginNorm::L2)
}

/// The computed reference for `norm`, if it exists.
fn reference(linear: &LinearSnapshot, norm: MarginNorm) -> Option<&MaxMarginReference> {
    linear
        .references
        .iter()
        .find(|(n, _)| *n == norm)
        .and_then(|(_, r)| r.as_ref().ok())
}

/// Draws the chart (or says why there is none).
pub fn render(frame: &mut Frame, area: Rect, linear: &LinearSnapshot, focused: bool, theme: Theme) {
    // The theory label takes the right end of the border; the title shortens to leave it room.
    let title = if area.width >= 56 {
        " gap to target vs t, log-log: ─ angle (°) ┈ margin "
    } else if area.width >= 36 {
        " gap to target vs t (log-log) "
    } else {
        " gaps, log-log "
    };
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let series: Vec<RunSeries> = linear
        .runs
        .iter()
        .map(|run| run_series(linear, run))
        .collect();
    let values = || series.iter().flat_map(|s| s.angle.iter().chain(&s.margin));
    if values().next().is_none() {
        let text = "no run's target reference exists (the data are not separable, or w = 0): \
                    the gap cannot be drawn";
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .style(theme.note())
                .block(block),
            area,
        );
        return;
    }
    let last_x = values().map(|p| p.0).fold(1.0_f64, f64::max);
    let low = values().map(|p| p.1).fold(f64::INFINITY, f64::min).floor();
    let high = values()
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil();
    let (y_low, y_high) = (low.max(-12.0), high.max(low + 1.0));
    let (x_max, stride) = decade_axis(last_x, area.width);
    let theory = theory_points(linear, &series, x_max, area.width);
    if !theory.is_empty() && area.width >= 72 {
        block =
            block.title(Line::styled(format!(" {THEORY_LABEL} "), theme.faint()).right_aligned());
    }
    if let Some(slopes) = slopes_line(&series, usize::from(area.width.saturating_sub(2))) {
        block = block.title_bottom(Line::styled(slopes, theme.faint()));
    }
    let y_labels = [y_low, f64::midpoint(y_low, y_high).round(), y_high]
        .into_iter()
        .map(|k| Span::raw(power_label(k as i32)))
        .collect::<Vec<_>>();
    let chart = Chart::new(datasets(&series, &theory, theme))
        .block(block)
        .x_axis(log_time_axis(x_max, stride, theme))
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([y_low, y_high])
                .labels(y_labels),
        );
    frame.render_widget(chart, area);
}

/// The theory first, so the runs are drawn over it; per run its margin dots, then its angle line.
fn datasets<'a>(
    series: &'a [RunSeries],
    theory: &'a [(f64, f64)],
    theme: Theme,
) -> Vec<Dataset<'a>> {
    let mut all = vec![braille(theory, GraphType::Scatter, theme.faint())];
    for (index, s) in series.iter().enumerate() {
        all.push(braille(&s.margin, GraphType::Scatter, theme.run(index)));
        all.push(braille(&s.angle, GraphType::Line, theme.run(index)));
    }
    all
}

/// The theory curve C/ln t through the newest angle of the slowest gradient-descent-like run
/// that still moves towards ℓ2 (empty when there is none or it is too early).
fn theory_points(
    linear: &LinearSnapshot,
    series: &[RunSeries],
    x_max: u32,
    width: u16,
) -> Vec<(f64, f64)> {
    linear
        .runs
        .iter()
        .zip(series)
        .filter(|(run, _)| {
            run.status.is_ok() && run.optimizer.follows_log_rate() && target(run) == MarginNorm::L2
        })
        .filter_map(|(_, s)| s.angle.last().copied())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .and_then(|(x, log_angle)| theory_curve(x, 10_f64.powf(log_angle), f64::from(x_max), width))
        .unwrap_or_default()
}

/// (log₁₀ t, log₁₀ gap) for every kept step t ≥ 1 with a positive, finite gap: the angle to the
/// run's target, and the margin gap when the target is ℓ2 (the margin is the ℓ2 one).
fn run_series(linear: &LinearSnapshot, run: &LinearRunSnapshot) -> RunSeries {
    let dim = linear.dim;
    let norm = target(run);
    let Some(reference) = reference(linear, norm) else {
        return RunSeries::default();
    };
    let log_point = |step: u64, gap: f64| {
        (gap > 0.0 && gap.is_finite()).then(|| ((step as f64).log10(), gap.log10()))
    };
    let kept = || {
        run.trail
            .iter()
            .filter(|(step, record)| *step >= 1 && record[..dim].iter().any(|&v| v != 0.0))
    };
    let angle = kept()
        .filter_map(|(step, record)| {
            log_point(step, angle_degrees(&record[..dim], &reference.direction))
        })
        .collect();
    let margin = if norm == MarginNorm::L2 {
        kept()
            .filter_map(|(step, record)| log_point(step, reference.margin - record[dim]))
            .collect()
    } else {
        Vec::new()
    };
    RunSeries { angle, margin }
}

/// The least-squares slope of log gap against log t over the last decade of `points` (needs
/// three points spanning at least half a decade): −1 is O(1/t).
fn last_decade_slope(points: &[(f64, f64)]) -> Option<f64> {
    let end = points.last()?.0;
    let window: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0 >= end - 1.0)
        .collect();
    let first = window.first()?.0;
    if window.len() < 3 || end - first < 0.5 {
        return None;
    }
    let n = window.len() as f64;
    let mean_x = window.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = window.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = window.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = window.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The bottom border: each run's last-decade slopes, angle then margin (` slope/decade
/// ∠/margin: 1 −0.21/−0.24 · 3 −1.00/−1.01 `), in the longest wording that fits in `width`
/// (the margin slopes go first, then the words); when even the shortest does not fit, as many
/// runs as fit and how many are left out. `None` before any run has a decade.
fn slopes_line(series: &[RunSeries], width: usize) -> Option<String> {
    let slopes: Vec<(usize, f64, Option<f64>)> = series
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let angle = last_decade_slope(&s.angle)?;
            Some((i + 1, angle, last_decade_slope(&s.margin)))
        })
        .collect();
    if slopes.is_empty() {
        return None;
    }
    let both: Vec<String> = slopes
        .iter()
        .map(|(run, angle, margin)| {
            let margin = margin
                .map(|m| format!("/{}", signed(m)))
                .unwrap_or_default();
            format!("{run} {}{margin}", signed(*angle))
        })
        .collect();
    let angles: Vec<String> = slopes
        .iter()
        .map(|(run, angle, _)| format!("{run} {}", signed(*angle)))
        .collect();
    let wordings = [
        format!(" slope/decade ∠/margin: {} ", both.join(" · ")),
        format!(" slope/decade ∠: {} ", angles.join(" · ")),
        format!(" ∠ slope: {} ", angles.join(" ")),
    ];
    let fits = |text: &String| text.chars().count() <= width;
    if let Some(text) = wordings.iter().find(|t| fits(t)) {
        return Some(text.clone());
    }
    // Say what is left out rather than cut a number in half.
    (1..angles.len()).rev().find_map(|shown| {
        let text = format!(
            " ∠ slope: {} +{} more ",
            angles[..shown].join(" "),
            angles.len() - shown
        );
        fits(&text).then_some(text)
    })
}

/// A slope with two decimals and a real minus sign: `−1.00`, `+0.03`.
fn signed(x: f64) -> String {
    format!("{x:+.2}").replace('-', "−")
}

/// Dotted points of log₁₀(C/ln t) through (`x0` = log₁₀ t₀, `angle0` degrees), for log₁₀ t in
/// (0, `x_max`]; none when t₀ is too early for a fit (ln t₀ < 1).
fn theory_curve(x0: f64, angle0: f64, x_max: f64, width: u16) -> Option<Vec<(f64, f64)>> {
    let ln_t0 = x0 * std::f64::consts::LN_10;
    if ln_t0 < 1.0 || !angle0.is_finite() || angle0 <= 0.0 {
        return None;
    }
    let c = angle0 * ln_t0;
    // About one dot per cell column reads as a dotted line.
    let dots = usize::from(width.max(8));
    let points = (0..=dots)
        .map(|i| x_max * i as f64 / dots as f64)
        .filter(|&x| x * std::f64::consts::LN_10 >= 1.0)
        .map(|x| (x, (c / (x * std::f64::consts::LN_10)).log10()))
        .collect();
    Some(points)
}

/// A y tick for 10^k: `1`, `10`, `0.1`, `1e2`, `1e-3`.
fn power_label(k: i32) -> String {
    match k {
        0 => "1".to_owned(),
        1 => "10".to_owned(),
        -1 => "0.1".to_owned(),
        _ => format!("1e{k}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_ticks_read_as_powers_of_ten() {
        assert_eq!(power_label(0), "1");
        assert_eq!(power_label(-1), "0.1");
        assert_eq!(power_label(-3), "1e-3");
        assert_eq!(power_label(2), "1e2");
        assert_eq!(signed(-1.0), "−1.00");
    }

    #[test]
    fn last_decade_slope_recovers_power_laws() {
        // Closed form: gap = 5·t^(−1) and 5·t^(−0.5) sampled 20 times per decade over 4 decades,
        // with a steeper early part that the last-decade window must ignore. Tolerance 1e-12.
        for k in [1.0, 0.5] {
            let points: Vec<(f64, f64)> = (0..=80)
                .map(|i| i as f64 / 20.0)
                .map(|x| {
                    (
                        x,
                        if x < 2.0 {
                            -3.0 * x
                        } else {
                            5_f64.log10() - k * x
                        },
                    )
                })
                .collect();
            assert!((last_decade_slope(&points).unwrap() + k).abs() < 1e-12);
        }
        assert_eq!(
            last_decade_slope(&[(0.0, 1.0), (0.1, 0.9), (0.2, 0.8)]),
            None
        );
    }

    #[test]
    fn theory_curve_passes_through_the_fitted_point() {
        // t₀ = 1000 (x = 3), 10°: C = 10·ln 1000, and at t = 10⁶ the curve is at 5° (log 0.699).
        let points = theory_curve(3.0, 10.0, 6.0, 40).unwrap();
        let at = |x: f64| points.iter().find(|p| (p.0 - x).abs() < 1e-9).unwrap().1;
        assert!((at(3.0) - 1.0).abs() < 1e-9);
        assert!((at(6.0) - 5_f64.log10()).abs() < 1e-9);
        assert!(theory_curve(0.2, 10.0, 1.0, 40).is_none());
    }
}
