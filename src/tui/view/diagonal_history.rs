//! The diagonal runs over log t: ‖w‖₁ against the least-ℓ1 level (the rich regime settles on
//! it, the kernel regime above it), and each run's relative distance to its own exact target on
//! a log scale (the fit converging to the point theory predicts, whatever α is).
//!
//! Both read the runs' bounded, log-spaced histories, as the linear angle chart does; ratatui has
//! no log axis, so x is log₁₀ t and the ticks are labelled 1, 10, 1e2, ….

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, GraphType};

use super::super::theme::Theme;
use super::axis::{braille, decade_axis, log_time_axis, nice_ceil, tick};
use super::diagonal::note;
use crate::core::experiment::DiagonalSnapshot;

/// Which history a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// ‖w‖₁, with the least-ℓ1 interpolant's as a dotted level.
    L1Norm,
    /// log₁₀ of ‖w − target‖₂ / ‖target‖₂.
    DistanceToTarget,
}

impl Series {
    /// The history field index (see `DIAGONAL_HISTORY_FIELDS`).
    fn field(self) -> usize {
        match self {
            Series::L1Norm => 0,
            Series::DistanceToTarget => 1,
        }
    }

    /// The value plotted for a recorded value (log₁₀ for the distance).
    fn plotted(self, value: f64) -> f64 {
        match self {
            Series::L1Norm => value,
            Series::DistanceToTarget => value.max(1e-300).log10(),
        }
    }
}

/// Per run: (log₁₀ t, plotted value) for every kept step t ≥ 1 with a finite value.
fn series(diagonal: &DiagonalSnapshot, which: Series) -> Vec<Vec<(f64, f64)>> {
    diagonal
        .runs
        .iter()
        .map(|run| {
            let mut points: Vec<(f64, f64)> = run
                .history
                .iter()
                .filter(|(step, _)| *step >= 1)
                .map(|(step, record)| ((step as f64).log10(), which.plotted(record[which.field()])))
                .filter(|(_, v)| v.is_finite())
                .collect();
            // A single point would draw no line; doubled it shows as a dot.
            if points.len() == 1 {
                points.push(points[0]);
            }
            points
        })
        .collect()
}

/// Draws one history chart (or a note on why there is none).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    diagonal: &DiagonalSnapshot,
    which: Series,
    focused: bool,
    theme: Theme,
) {
    let level = match which {
        Series::L1Norm => diagonal
            .references
            .min_l1
            .as_ref()
            .ok()
            .map(|w| w.iter().map(|v| v.abs()).sum::<f64>()),
        Series::DistanceToTarget => None,
    };
    let title = match (which, level) {
        (Series::L1Norm, Some(_)) => " ‖w‖₁ vs log t · ┈ min-ℓ1 ",
        (Series::L1Norm, None) => " ‖w‖₁ vs log t ",
        (Series::DistanceToTarget, _) if area.width >= 44 => " distance to own target vs log t ",
        (Series::DistanceToTarget, _) => " →target vs log t ",
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    let data = series(diagonal, which);
    if data.iter().all(Vec::is_empty) {
        let text = match which {
            Series::L1Norm => "no finite ‖w‖₁ yet",
            Series::DistanceToTarget => {
                "no implicit target to measure against (see the table's warnings)"
            }
        };
        note(frame, area, block, text, theme);
        return;
    }
    let last_x = data.iter().flatten().map(|p| p.0).fold(1.0_f64, f64::max);
    let (x_max, stride) = decade_axis(last_x);
    let values = data.iter().flatten().map(|p| p.1);
    let (y_min, y_max, y_labels) = match which {
        Series::L1Norm => {
            let top = nice_ceil(values.chain(level).fold(1e-12_f64, f64::max) * 1.05);
            (0.0, top, vec![tick(0.0), tick(top / 2.0), tick(top)])
        }
        Series::DistanceToTarget => {
            let low = values.clone().fold(0.0_f64, f64::min).floor().max(-16.0);
            let high = values.fold(low + 1.0, f64::max).ceil().max(low + 1.0);
            let label = |e: f64| distance_label(e as i32);
            (
                low,
                high,
                vec![
                    label(low),
                    label(f64::midpoint(low, high).round()),
                    label(high),
                ],
            )
        }
    };
    let level_points: Vec<(f64, f64)> = level
        .map(|l| {
            let dots = usize::from(area.width.max(8));
            (0..=dots)
                .map(|i| (f64::from(x_max) * i as f64 / dots as f64, l))
                .collect()
        })
        .unwrap_or_default();
    let mut datasets = vec![braille(&level_points, GraphType::Scatter, theme.faint())];
    datasets.extend(
        data.iter()
            .enumerate()
            .map(|(index, points)| braille(points, GraphType::Line, theme.run(index))),
    );
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(log_time_axis(x_max, stride, theme))
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([y_min, y_max])
                .labels(y_labels.into_iter().map(Line::from).collect::<Vec<_>>()),
        );
    frame.render_widget(chart, area);
}

/// `1`, `0.1`, `0.01`, then `1e-3`, …: the label of 10^e on the distance axis.
#[must_use]
pub fn distance_label(exponent: i32) -> String {
    match exponent {
        0 => "1".to_owned(),
        -1 => "0.1".to_owned(),
        -2 => "0.01".to_owned(),
        1 => "10".to_owned(),
        e => format!("1e{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_labels_read_as_powers_of_ten() {
        assert_eq!(distance_label(0), "1");
        assert_eq!(distance_label(-2), "0.01");
        assert_eq!(distance_label(-5), "1e-5");
        assert_eq!(Series::DistanceToTarget.plotted(0.001), -3.0);
    }
}
