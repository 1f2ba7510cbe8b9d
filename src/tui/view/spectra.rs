//! Sparklines of the top singular values of M (U Vᵀ, or U C₁ ⋯ Vᵀ for a deeper run) over time,
//! σ1 … σk labelled, each run's group headed by its optimizer and depth.
//!
//! The article's "winner takes all": σ1 climbs to the signal while the others stay pinned near
//! zero. All rows share one scale so a suppressed σ really looks suppressed. The history is
//! sampled every `svd_every` steps and halves when full, so it is resampled to the pane width.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use super::super::theme::Theme;
use super::matrix_metrics::depth_suffix;
use super::number;
use crate::core::experiment::MatrixSnapshot;

/// Sparkline resolution: values are scaled to 0..=RESOLUTION against the common maximum.
const RESOLUTION: u64 = 1000;

/// Draws one group of sparklines per run (as many σ rows as fit).
pub fn render(frame: &mut Frame, area: Rect, matrix: &MatrixSnapshot, focused: bool, theme: Theme) {
    let span = step_range(matrix).map_or_else(String::new, |(a, b)| format!(" steps {a} → {b} "));
    let block = Block::bordered()
        .title(" singular values of M over time ")
        .title_bottom(Line::from(span).style(theme.faint()))
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 12 || inner.height == 0 || matrix.runs.is_empty() {
        return;
    }
    let top = matrix
        .runs
        .iter()
        .flat_map(|run| {
            run.spectra
                .iter()
                .flat_map(|(_, record)| record.iter().copied())
        })
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let groups = Layout::vertical(vec![Constraint::Fill(1); matrix.runs.len()]).split(inner);
    let label_width = 4;
    let value_width = 9;
    let spark_width = inner.width.saturating_sub(label_width + value_width) as usize;
    for (index, (run, group)) in matrix.runs.iter().zip(groups.iter()).enumerate() {
        let mut rows_area = *group;
        if matrix.runs.len() > 1 && group.height > 1 {
            let header = Line::from(vec![
                Span::styled(format!("■{} ", index + 1), theme.run(index)),
                Span::raw(format!(
                    "{}{}",
                    run.optimizer.label(),
                    depth_suffix(run.depth)
                )),
            ]);
            frame.render_widget(
                Paragraph::new(header),
                Rect {
                    height: 1,
                    ..*group
                },
            );
            rows_area.y += 1;
            rows_area.height -= 1;
        }
        let count = run.spectra.width().min(rows_area.height as usize);
        let history: Vec<&[f64]> = run.spectra.iter().map(|(_, r)| r).collect();
        for sigma in 0..count {
            let row = Rect {
                y: rows_area.y + sigma as u16,
                height: 1,
                ..rows_area
            };
            let [label, spark, value] = Layout::horizontal([
                Constraint::Length(label_width),
                Constraint::Fill(1),
                Constraint::Length(value_width),
            ])
            .areas(row);
            frame.render_widget(Paragraph::new(format!("σ{}", sigma + 1)), label);
            let data = resample(&history, sigma, spark_width, top);
            frame.render_widget(
                Sparkline::default()
                    .data(data)
                    .max(RESOLUTION)
                    .style(theme.run(index)),
                spark,
            );
            let current = run.singular_values.get(sigma).copied().unwrap_or(f64::NAN);
            frame.render_widget(Paragraph::new(format!(" {}", number(current))), value);
        }
    }
}

/// The steps the sparklines cover (earliest and newest record over all runs), when there are
/// at least two different ones: a single record is no range.
fn step_range(matrix: &MatrixSnapshot) -> Option<(u64, u64)> {
    let steps = || {
        matrix
            .runs
            .iter()
            .flat_map(|r| r.spectra.iter().map(|(s, _)| s))
    };
    let first = steps().min()?;
    let last = steps().max()?;
    (last > first).then_some((first, last))
}

/// Column `sigma` of `history`, picked evenly to `width` points and scaled to the resolution.
fn resample(history: &[&[f64]], sigma: usize, width: usize, top: f64) -> Vec<u64> {
    let len = history.len();
    if len == 0 || width == 0 {
        return Vec::new();
    }
    let points = len.min(width);
    (0..points)
        .map(|i| {
            let record = history[i * (len - 1) / (points - 1).max(1)];
            let v = record.get(sigma).copied().unwrap_or(0.0);
            if v.is_finite() {
                (v / top * RESOLUTION as f64)
                    .round()
                    .clamp(0.0, RESOLUTION as f64) as u64
            } else {
                0
            }
        })
        .collect()
}
