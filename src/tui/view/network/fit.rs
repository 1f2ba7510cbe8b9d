//! The chosen run's function over the data: for 1-D inputs the fitted curve f(x) over the
//! points (x, y); for 2-D inputs the grid points where f > 0 (the region it calls +1) under
//! the points of each class. Other input sizes have no picture, and the pane says so.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, GraphType, Paragraph, Wrap};

use crate::core::kinds::network::NetworkSnapshot;
use crate::tui::theme::Theme;
use crate::tui::view::axis::{braille, tick};

/// One set of points to draw: the points, as a line or dots, and whether in the run's colour
/// (its function) or faint (the data).
type Layer = (Vec<(f64, f64)>, GraphType, bool);

/// Draws run `run`'s function over the data.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    s: &NetworkSnapshot,
    run: usize,
    focused: bool,
    theme: Theme,
) {
    let block = Block::bordered()
        .title(format!(" fit: run {} ", run + 1))
        .border_style(theme.border(focused));
    let grid = (run < s.runs.len()).then(|| s.fitted(run)).flatten();
    let Some(grid) = grid else {
        let text = match s.data.dim {
            1 | 2 => "no function to draw: the run diverged",
            _ => "the data have more than two inputs: no picture of the function",
        };
        let paragraph = Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .style(theme.note());
        frame.render_widget(paragraph.block(block), area);
        return;
    };
    let data = &s.data;
    let (x_low, x_high) = grid.axes[0];
    let (datasets_points, y_bounds): (Vec<Layer>, (f64, f64)) = if data.dim == 1 {
        let step = (x_high - x_low) / (grid.resolution - 1).max(1) as f64;
        let curve: Vec<(f64, f64)> = grid
            .values
            .iter()
            .enumerate()
            .map(|(i, &f)| (x_low + step * i as f64, f))
            .filter(|p| p.1.is_finite())
            .collect();
        let points: Vec<(f64, f64)> = (0..data.len())
            .map(|i| (data.points[i * data.dim], data.targets[i]))
            .collect();
        let values = curve.iter().chain(&points).map(|p| p.1);
        let low = values.clone().fold(f64::INFINITY, f64::min);
        let high = values.fold(f64::NEG_INFINITY, f64::max);
        let pad = ((high - low) * 0.1).max(1e-3);
        (
            vec![
                (points, GraphType::Scatter, false),
                (curve, GraphType::Line, true),
            ],
            (low - pad, high + pad),
        )
    } else {
        let (y_low, y_high) = grid.axes[1];
        let n = grid.resolution;
        let cell =
            |k: usize, (lo, hi): (f64, f64)| lo + (hi - lo) * k as f64 / (n - 1).max(1) as f64;
        let positive: Vec<(f64, f64)> = (0..n * n)
            .filter(|&k| grid.values[k] > 0.0)
            .map(|k| (cell(k % n, (x_low, x_high)), cell(k / n, (y_low, y_high))))
            .collect();
        let class = |sign: f64| -> Vec<(f64, f64)> {
            (0..data.len())
                .filter(|&i| data.targets[i] * sign > 0.0)
                .map(|i| (data.points[i * data.dim], data.points[i * data.dim + 1]))
                .collect()
        };
        (
            vec![
                (positive, GraphType::Scatter, true),
                (class(1.0), GraphType::Scatter, false),
                (class(-1.0), GraphType::Scatter, false),
            ],
            (y_low, y_high),
        )
    };
    let datasets = datasets_points
        .iter()
        .map(|(points, kind, of_run)| {
            let style = if *of_run {
                theme.run(run)
            } else {
                theme.faint()
            };
            braille(points, *kind, style)
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([x_low, x_high])
                .labels(vec![Line::from(tick(x_low)), Line::from(tick(x_high))]),
        )
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([y_bounds.0, y_bounds.1])
                .labels(vec![
                    Line::from(tick(y_bounds.0)),
                    Line::from(tick(y_bounds.1)),
                ]),
        );
    frame.render_widget(chart, area);
}
