//! The network figure, two panels over the steps: left, each run's training loss on a log
//! scale (falling, non-monotonically at the edge of stability); right, each run's sharpness
//! λ_max(H) (or λ_max(P⁻¹H) for Adam and RMSprop) with its own threshold 2/η as a dashed level
//! in the same colour: the sharpness rises to the level and hovers there.

use plotters::prelude::*;

use super::NetworkRecord;
use super::engine::NetworkSnapshot;
use crate::core::kinds::figure::{
    Caption, FigureError, LABEL_SIZE, Panel, draw_legend, drawing_error, rgb, two_panels,
};
use crate::palette::run_hue;

/// Figure size in pixels.
const SIZE: (u32, u32) = (1280, 600);

/// The figure as SVG text.
pub(super) fn svg(s: &NetworkSnapshot, caption: Caption<'_>) -> Result<String, FigureError> {
    two_panels(
        SIZE,
        SIZE.0 / 2,
        caption,
        |left| draw_loss(left, s, caption.step),
        |right| draw_sharpness(right, s, caption.step),
    )
}

/// Per run, (step, `value` of its history record) where it is finite.
fn series(s: &NetworkSnapshot, value: impl Fn(&NetworkRecord) -> f64) -> Vec<Vec<(f64, f64)>> {
    s.runs
        .iter()
        .map(|run| run.history.points(&value))
        .collect()
}

/// Left panel: the training loss over the steps, log scale.
fn draw_loss(area: &Panel<'_>, s: &NetworkSnapshot, step: u64) -> Result<(), FigureError> {
    let lines = series(s, |r| r.train_loss);
    let positive = || lines.iter().flatten().map(|p| p.1).filter(|v| *v > 0.0);
    let low = positive().fold(f64::INFINITY, f64::min);
    let high = positive().fold(0.0, f64::max);
    let (low, high) = if high > 0.0 {
        (low / 2.0, high * 2.0)
    } else {
        (1e-3, 1.0)
    };
    let last = (step as f64).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..last, (low..high).log_scale())
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc("step t")
        .y_desc("training loss (log)")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .label_style(("sans-serif", LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(drawing_error)?;
    for (i, points) in lines.into_iter().enumerate() {
        let color = rgb(run_hue(i));
        let points = points.into_iter().filter(|p| p.1 > 0.0);
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(drawing_error)?
            .label(format!("{} {}", i + 1, s.runs[i].label))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(3)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Right panel: the sharpness (preconditioned for adaptive rules) over the steps, each run's
/// threshold as a dashed level in its colour.
fn draw_sharpness(area: &Panel<'_>, s: &NetworkSnapshot, step: u64) -> Result<(), FigureError> {
    let lines = series(s, NetworkRecord::curvature);
    let levels: Vec<Option<f64>> = s
        .runs
        .iter()
        .map(|r| r.threshold.filter(|t| t.is_finite()))
        .collect();
    let top = lines
        .iter()
        .flatten()
        .map(|p| p.1)
        .chain(levels.iter().flatten().copied())
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let last = (step as f64).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..last, 0.0..top)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc("step t")
        .y_desc("sharpness λmax (dashed: threshold 2/η)")
        .label_style(("sans-serif", LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(drawing_error)?;
    for (i, points) in lines.into_iter().enumerate() {
        let color = rgb(run_hue(i));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(drawing_error)?;
        if let Some(level) = levels[i] {
            // The threshold over t (a schedule moves it), or as it stands now.
            let path = s.runs[i].history.points(|r| r.threshold);
            let path = if path.len() >= 2 {
                path
            } else {
                vec![(0.0, level), (last, level)]
            };
            chart
                .draw_series(DashedLineSeries::new(path, 8, 6, color.stroke_width(1)))
                .map_err(drawing_error)?;
        }
    }
    Ok(())
}
