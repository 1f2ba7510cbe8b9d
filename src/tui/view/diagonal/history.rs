//! The diagonal runs over log t: ‖w‖₁ against the least-ℓ1 level (the rich regime settles on
//! it, the kernel regime above it), each run's relative distance to its own exact target on a
//! log scale (the fit converging to the point theory predicts, whatever α is), and for runs
//! with finite-step targets α∞/α, the init their steps have effectively started them from
//! (large steps and noise shrink it, which is why they end sparser).
//!
//! Both read the runs' bounded, log-spaced histories, as the linear angle chart does; ratatui has
//! no log axis, so x is log₁₀ t and the ticks are labelled 1, 10, 1e2, ….

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, GraphType};

use super::note;
use crate::core::kinds::diagonal::{DiagonalRunSnapshot, DiagonalSnapshot};
use crate::tui::theme::Theme;
use crate::tui::view::axis::{braille, decade_axis, log_time_axis, nice_ceil, tick};

/// Which history a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// ‖w‖₁, with the least-ℓ1 interpolant's as a dotted level.
    L1Norm,
    /// log₁₀ of ‖w − target‖₂ / ‖target‖₂ to the run's own target: the exact finite-step one
    /// where known (depth-2 runs whose steps multiply the factors), else Q_α.
    DistanceToTarget,
    /// α∞/α: the geometric mean over the coordinates as a line, the minimum and maximum as
    /// dots, for runs with an exact finite-step target.
    EffectiveAlpha,
}

/// Fields of a history record (see `DIAGONAL_HISTORY_FIELDS`).
const L1_NORM: usize = 0;
const IMPLICIT: usize = 1;
const EFFECTIVE: usize = 6;
const ALPHA_MIN: usize = 7;
const ALPHA_GMEAN: usize = 8;
const ALPHA_MAX: usize = 9;

/// Per run: (log₁₀ t, value) for every kept step t ≥ 1 where `value` of the record is finite.
fn history(run: &DiagonalRunSnapshot, value: impl Fn(&[f64]) -> f64) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = run
        .history
        .iter()
        .filter(|(step, _)| *step >= 1)
        .map(|(step, record)| ((step as f64).log10(), value(record)))
        .filter(|(_, v)| v.is_finite())
        .collect();
    // A single point would draw no line; doubled it shows as a dot.
    if points.len() == 1 {
        points.push(points[0]);
    }
    points
}

/// Per run, the lines of `which` (one each; α∞/α has the mean line first).
fn series(diagonal: &DiagonalSnapshot, which: Series) -> Vec<Vec<(f64, f64)>> {
    diagonal
        .runs
        .iter()
        .map(|run| match which {
            Series::L1Norm => history(run, |r| r[L1_NORM]),
            Series::DistanceToTarget => {
                let field = if run.effective.is_some() {
                    EFFECTIVE
                } else {
                    IMPLICIT
                };
                history(run, |r| r[field].max(1e-300).log10())
            }
            Series::EffectiveAlpha => history(run, |r| r[ALPHA_GMEAN] / run.init_scale),
        })
        .collect()
}

/// Per run, α∞/α's minimum and maximum as dots (empty for runs without an effective target).
fn alpha_extremes(diagonal: &DiagonalSnapshot) -> Vec<Vec<(f64, f64)>> {
    diagonal
        .runs
        .iter()
        .map(|run| {
            let mut dots = history(run, |r| r[ALPHA_MIN] / run.init_scale);
            dots.extend(history(run, |r| r[ALPHA_MAX] / run.init_scale));
            dots
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
        Series::DistanceToTarget | Series::EffectiveAlpha => None,
    };
    let title = match (which, level) {
        (Series::L1Norm, Some(_)) => " ‖w‖₁ vs log t · ┈ min-ℓ1 ",
        (Series::L1Norm, None) => " ‖w‖₁ vs log t ",
        (Series::DistanceToTarget, _) if area.width >= 44 => " distance to own target vs log t ",
        (Series::DistanceToTarget, _) => " →target vs log t ",
        (Series::EffectiveAlpha, _) if area.width >= 40 => " α∞/α vs log t · mean, ⠂ min max ",
        (Series::EffectiveAlpha, _) => " α∞/α vs log t ",
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
            Series::EffectiveAlpha => {
                "no exact finite-step target: known for depth 2 with GD or SGD steps only"
            }
        };
        note(frame, area, block, text, theme);
        return;
    }
    let last_x = data.iter().flatten().map(|p| p.0).fold(1.0_f64, f64::max);
    let (x_max, stride) = decade_axis(last_x, area.width);
    let (y_min, y_max, y_labels) = y_axis(diagonal, which, &data, level);
    let level_points: Vec<(f64, f64)> = level
        .map(|l| {
            let dots = usize::from(area.width.max(8));
            (0..=dots)
                .map(|i| (f64::from(x_max) * i as f64 / dots as f64, l))
                .collect()
        })
        .unwrap_or_default();
    let extremes = if which == Series::EffectiveAlpha {
        alpha_extremes(diagonal)
    } else {
        vec![]
    };
    let mut datasets = vec![braille(&level_points, GraphType::Scatter, theme.faint())];
    datasets.extend(
        extremes
            .iter()
            .enumerate()
            .map(|(index, points)| braille(points, GraphType::Scatter, theme.run(index))),
    );
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

/// The y axis of `which`: bounds and three labels, from the plotted `data` (and `level`).
fn y_axis(
    diagonal: &DiagonalSnapshot,
    which: Series,
    data: &[Vec<(f64, f64)>],
    level: Option<f64>,
) -> (f64, f64, Vec<String>) {
    let values = data.iter().flatten().map(|p| p.1);
    match which {
        Series::L1Norm => {
            let top = nice_ceil(values.chain(level).fold(1e-12_f64, f64::max) * 1.05);
            (0.0, top, vec![tick(0.0), tick(top / 2.0), tick(top)])
        }
        Series::EffectiveAlpha => {
            let low = alpha_extremes(diagonal)
                .iter()
                .flatten()
                .map(|p| p.1)
                .chain(values)
                .fold(1.0_f64, f64::min);
            // Round the floor down to a tenth (or a finer step when the shrink is small).
            let step = if low > 0.9 { 0.01 } else { 0.1 };
            let bottom = ((low / step).floor() * step).clamp(0.0, 1.0 - step);
            (
                bottom,
                1.0,
                vec![tick(bottom), tick(f64::midpoint(bottom, 1.0)), tick(1.0)],
            )
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
    }
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
    }
}
