//! Axis helpers shared by the log-t charts (σ over time, gap, diagonal histories): whole-decade
//! x axes, round tick labels and braille datasets, so every chart draws its axes the same way.

use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Dataset, GraphType};

use super::super::theme::Theme;

/// The smallest 1, 2, 2.5 or 5 × 10ᵏ at least `x`: round axis ends (80°, not 77.71°).
pub fn nice_ceil(x: f64) -> f64 {
    let scale = 10_f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * scale)
        .find(|&v| v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * scale)
}

/// An axis label with no trailing zeros: `40`, `2.5`, `0.05`.
pub fn tick(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// The x axis end (whole decades) and the label stride: at most 6 evenly spaced labels, and
/// fewer in a narrow chart of `width` cells so that each label (up to 3 characters and a gap)
/// is drawn whole, not cut to `1e`.
pub fn decade_axis(last_x: f64, width: u16) -> (u32, u32) {
    let decades = last_x.ceil().max(1.0) as u32;
    // Borders and the y axis's labels take about 8 cells; a label needs 4.
    let labels = (u32::from(width.saturating_sub(8)) / 4 + 1).clamp(2, 6);
    let stride = decades.div_ceil(labels - 1).max(1);
    (decades.div_ceil(stride) * stride, stride)
}

/// The x axis of every chart over log t: whole decades from 1 to 10^`x_max`, a label every
/// `stride` of them (see [`decade_axis`]).
pub fn log_time_axis(x_max: u32, stride: u32, theme: Theme) -> Axis<'static> {
    let labels: Vec<Span> = (0..=x_max)
        .step_by(stride as usize)
        .map(|k| Span::raw(decade_label(k)))
        .collect();
    Axis::default()
        .title("t")
        .style(theme.faint())
        .bounds([0.0, f64::from(x_max)])
        .labels(labels)
}

/// `points` drawn in braille as `kind` in `style`: a chart's faint reference dots or a run's line.
pub fn braille(points: &[(f64, f64)], kind: GraphType, style: Style) -> Dataset<'_> {
    Dataset::default()
        .marker(Marker::Braille)
        .graph_type(kind)
        .style(style)
        .data(points)
}

/// `1`, `10`, `1e2`, `1e3`, …: the tick label for 10^k.
pub fn decade_label(k: u32) -> String {
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
        assert_eq!(decade_axis(0.3, 80), (1, 1));
        assert_eq!(decade_axis(4.2, 80), (5, 1));
        assert_eq!(decade_axis(8.9, 80), (10, 2));
        // A 26-cell chart has room for 5 labels: 1, 1e2, 1e4 rather than six cut ones.
        assert_eq!(decade_axis(4.2, 26), (6, 2));
        assert_eq!(decade_label(0), "1");
        assert_eq!(decade_label(4), "1e4");
    }
}
