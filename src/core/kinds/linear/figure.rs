//! The linear figure: each run's direction w/‖w‖ over time on the unit circle (its trail), a
//! hollow start point and a filled head with the run's number, the max-margin references as
//! labelled arrows, and a legend with the runs' labels, in the dashboard's colours.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::engine::LinearSnapshot;
use crate::core::kinds::figure::{
    CAPTION_SIZE, Caption, FigureError, LABEL_SIZE, draw_legend, drawing_error, rgb,
};
use crate::palette::{reference_hue, reference_label, run_hue};

/// Width and height of the square figure, in pixels.
const SIDE: u32 = 760;
/// The plotted square is [-EXTENT, EXTENT]².
const EXTENT: f64 = 1.3;

/// The figure as SVG text.
pub(super) fn svg(s: &LinearSnapshot, caption: Caption<'_>) -> Result<String, FigureError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (SIDE, SIDE)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption.text(), ("sans-serif", CAPTION_SIZE))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(54)
            .build_cartesian_2d(-EXTENT..EXTENT, -EXTENT..EXTENT)
            .map_err(drawing_error)?;
        let (x_desc, y_desc) = if s.dim >= 2 {
            ("w₁/‖w‖", "w₂/‖w‖")
        } else {
            ("w₁/‖w‖", "")
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(("sans-serif", LABEL_SIZE))
            .draw()
            .map_err(drawing_error)?;
        let circle = (0..=240).map(|i| {
            let angle = f64::from(i) / 240.0 * std::f64::consts::TAU;
            (angle.cos(), angle.sin())
        });
        chart
            .draw_series(LineSeries::new(circle, RGBColor(170, 170, 170)))
            .map_err(drawing_error)?;
        draw_references(&mut chart, s)?;
        draw_runs(&mut chart, s)?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
}

/// The first two coordinates of a record (the second is 0 in one dimension).
fn plane(record: &[f64]) -> (f64, f64) {
    (record[0], record.get(1).copied().unwrap_or(0.0))
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One arrow per reference that exists: a shaft from the origin, a filled head (the marker) and
/// its name beyond the tip.
fn draw_references(chart: &mut Chart<'_, '_>, s: &LinearSnapshot) -> Result<(), FigureError> {
    for (k, (norm, reference)) in s.references.iter().enumerate() {
        let Ok(reference) = reference else { continue };
        let color = rgb(reference_hue(*norm));
        let (x, y) = plane(&reference.direction);
        let length = x.hypot(y);
        if length == 0.0 || !length.is_finite() {
            continue;
        }
        let (ux, uy) = (x / length, y / length);
        let head = 0.07;
        let base = (x - head * ux, y - head * uy);
        let side = (-uy * head * 0.45, ux * head * 0.45);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), base],
                color.stroke_width(2),
            )))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                vec![
                    (x, y),
                    (base.0 + side.0, base.1 + side.1),
                    (base.0 - side.0, base.1 - side.1),
                ],
                color.filled(),
            )))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                reference_label(*norm).into_owned(),
                // Staggered outwards, so references a few degrees apart keep legible names.
                (
                    x + (0.08 + 0.1 * k as f64) * ux - 0.04,
                    y + (0.08 + 0.1 * k as f64) * uy + 0.03,
                ),
                ("sans-serif", LABEL_SIZE + 2).into_font().color(&color),
            )))
            .map_err(drawing_error)?;
    }
    Ok(())
}

/// Each run: its trail as one line (in the legend), a hollow start point, a filled head with
/// the run's number.
fn draw_runs(chart: &mut Chart<'_, '_>, s: &LinearSnapshot) -> Result<(), FigureError> {
    for (i, run) in s.runs.iter().enumerate() {
        let color = rgb(run_hue(i));
        let points: Vec<(f64, f64)> = run
            .trail
            .iter()
            .map(|(_, record)| plane(record))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let label = format!("{} {}", i + 1, run.optimizer.label());
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(drawing_error)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        let (Some(&start), Some(&head)) = (points.first(), points.last()) else {
            continue;
        };
        chart
            .draw_series([
                Circle::new(start, 5, color.stroke_width(2)),
                Circle::new(head, 5, color.filled()),
            ])
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                (i + 1).to_string(),
                (head.0 * 1.06, head.1 * 1.06),
                ("sans-serif", LABEL_SIZE).into_font().color(&color),
            )))
            .map_err(drawing_error)?;
    }
    Ok(())
}
