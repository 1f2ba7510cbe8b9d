//! The angle gap to the ℓ2 max-margin direction against log t.
//!
//! Soudry et al. show the direction converges only like 1/log t; plotted against log t that slow
//! tail becomes a visible hyperbola rather than a flat line hugging zero. ratatui charts have no
//! log axis, so the x data are log₁₀ t and the ticks are labelled 1, 10, 1e2, ….

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::super::theme::Theme;
use super::number;
use crate::core::experiment::{LinearSnapshot, angle_degrees};
use crate::core::reference::MarginNorm;

/// Draws the chart (or says why there is none).
pub fn render(frame: &mut Frame, area: Rect, linear: &LinearSnapshot, focused: bool, theme: Theme) {
    let block = Block::bordered()
        .title(" angle to ℓ2 max-margin (°) vs log t ")
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
    // Per run: (log₁₀ t, angle to ℓ2) for every kept step t ≥ 1 where w ≠ 0.
    let dim = linear.dim;
    let series: Vec<Vec<(f64, f64)>> = linear
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
        .collect();
    let last_x = series.iter().flatten().map(|p| p.0).fold(1.0_f64, f64::max);
    let top = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.05;
    let (x_max, stride) = decade_axis(last_x);
    let x_labels: Vec<Span> = (0..=x_max)
        .step_by(stride as usize)
        .map(|k| Span::raw(decade_label(k)))
        .collect();
    let y_labels = vec![
        Span::raw("0"),
        Span::raw(number(top / 2.0)),
        Span::raw(number(top)),
    ];
    let datasets: Vec<Dataset> = series
        .iter()
        .enumerate()
        .map(|(index, points)| {
            Dataset::default()
                .name(Line::from(format!("{}", index + 1)))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.run(index))
                .data(points)
        })
        .collect();
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

/// The x axis end (whole decades) and the label stride so at most ~6 labels are evenly spaced.
fn decade_axis(last_x: f64) -> (u32, u32) {
    let decades = last_x.ceil().max(1.0) as u32;
    let stride = decades.div_ceil(5).max(1);
    (decades.div_ceil(stride) * stride, stride)
}

/// `1`, `10`, `1e2`, `1e3`, …: the tick label for 10^k.
fn decade_label(k: u32) -> String {
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
}
