//! The diagonal figure, two panels: left, the coordinates of each run's final w beside the
//! least-ℓ1 interpolant (stems) and the least-ℓ2 one (dots), in the dashboard's order (largest
//! |min-ℓ1| first) on its signed √ scale, so sparse against dense shows at a glance; right, ‖w‖₁
//! over log t per run (from its bounded history) with the two interpolants' ‖·‖₁ as dashed levels.

use plotters::prelude::*;

use super::engine::DiagonalSnapshot;
use crate::core::kinds::figure::{
    Caption, FigureError, LABEL_SIZE, Panel, draw_legend, drawing_error, rgb, two_panels,
};
use crate::palette::{Hue, run_hue};

/// Figure size in pixels.
const SIZE: (u32, u32) = (1280, 600);
/// At most this many coordinates are drawn (the rest of a sparse fit sit near zero).
const MAX_COORDINATES: usize = 40;
/// The least-ℓ1 interpolant's colour (the dashboard's stems).
const L1_HUE: Hue = Hue::LightGreen;
/// The least-ℓ2 interpolant's colour (the dashboard's dots).
const L2_HUE: Hue = Hue::LightRed;

/// The signed square-root scale of the dashboard: zeros and small dense values part.
fn scaled(value: f64) -> f64 {
    value.signum() * value.abs().sqrt()
}

/// The value a point on the scaled axis stands for (for tick labels).
fn unscaled(value: f64) -> f64 {
    value.signum() * value * value
}

/// A tick label: two significant digits, and a plain 0 (never −0.00).
fn tick(value: f64) -> String {
    if value.abs() < 1e-9 {
        "0".to_owned()
    } else {
        let decimals = (1 - value.abs().log10().floor() as i32).max(0) as usize;
        format!("{value:.decimals$}")
    }
}

/// The legend entry of run `index`: its number, label, α and D.
fn run_name(s: &DiagonalSnapshot, index: usize) -> String {
    let run = &s.runs[index];
    format!(
        "{} {} α={} D={}",
        index + 1,
        run.label(),
        run.init_scale,
        run.depth
    )
}

/// The figure as SVG text.
pub(super) fn svg(s: &DiagonalSnapshot, caption: Caption<'_>) -> Result<String, FigureError> {
    two_panels(
        SIZE,
        SIZE.0 * 11 / 20,
        caption,
        |left| draw_coordinates(left, s),
        |right| draw_l1_paths(right, s),
    )
}

/// The largest finite |value| among the drawn coordinates of the references and the runs.
fn largest_shown(s: &DiagonalSnapshot, order: &[usize]) -> f64 {
    let l1 = s.references.min_l1.as_ref().ok();
    let l2 = s.references.min_l2.as_ref().ok();
    order
        .iter()
        .flat_map(|&j| {
            l1.map(|w| w[j])
                .into_iter()
                .chain(l2.map(|w| w[j]))
                .chain(s.runs.iter().map(move |r| r.w[j]))
        })
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
}

/// Left panel: one line with markers per run over the first [`MAX_COORDINATES`] coordinates,
/// min-ℓ1 as stems, min-ℓ2 as dots, and the legend.
fn draw_coordinates(area: &Panel<'_>, s: &DiagonalSnapshot) -> Result<(), FigureError> {
    let order: Vec<usize> = s
        .coordinate_order()
        .into_iter()
        .take(MAX_COORDINATES)
        .collect();
    let top = scaled(largest_shown(s, &order).max(1e-12) * 1.1);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..(order.len() as f64 + 1.0), -top..top)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc(format!(
            "coordinate j: {} of {}, largest |min-ℓ1| first",
            order.len(),
            s.dim
        ))
        .y_desc("wⱼ (signed √ scale)")
        .y_label_formatter(&|v| tick(unscaled(*v)))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(drawing_error)?;
    let at = |k: usize| k as f64 + 1.0;
    for i in 0..s.runs.len() {
        let color = rgb(run_hue(i));
        let points: Vec<(f64, f64)> = order
            .iter()
            .enumerate()
            .filter(|(_, j)| s.runs[i].w[**j].is_finite())
            .map(|(k, &j)| (at(k), scaled(s.runs[i].w[j])))
            .collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)).point_size(3))
            .map_err(drawing_error)?
            .label(run_name(s, i))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    // References drawn over the runs: a run that reached one would hide it otherwise.
    if let Ok(l1) = &s.references.min_l1 {
        let green = rgb(L1_HUE);
        for (k, &j) in order.iter().enumerate().filter(|(_, j)| l1[**j] != 0.0) {
            let (x, y) = (at(k), scaled(l1[j]));
            chart
                .draw_series([
                    PathElement::new(vec![(x, 0.0), (x, y)], green.stroke_width(3)).into_dyn(),
                    Circle::new((x, y), 5, green.filled()).into_dyn(),
                ])
                .map_err(drawing_error)?;
        }
        legend_marker(&mut chart, "min-ℓ1 (stems)", green)?;
    }
    if let Ok(l2) = &s.references.min_l2 {
        let red = rgb(L2_HUE);
        let dots = order
            .iter()
            .enumerate()
            .map(|(k, &j)| Circle::new((at(k), scaled(l2[j])), 4, red.filled()));
        chart.draw_series(dots).map_err(drawing_error)?;
        legend_marker(&mut chart, "min-ℓ2 (dots)", red)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// A legend entry for a reference drawn as markers: an empty series carrying its dot.
fn legend_marker<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    name: &str,
    color: RGBColor,
) -> Result<(), FigureError> {
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
        .map_err(drawing_error)?
        .label(name)
        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
    Ok(())
}

/// Per run, the (t, ‖w‖₁) points of its history with t ≥ 1 (log axis) and a finite value.
fn l1_series(s: &DiagonalSnapshot) -> Vec<Vec<(f64, f64)>> {
    s.runs
        .iter()
        .map(|run| {
            run.history
                .iter()
                .filter(|(step, record)| *step >= 1 && record[0].is_finite())
                .map(|(step, record)| (step as f64, record[0]))
                .collect()
        })
        .collect()
}

/// Right panel: ‖w‖₁ over log t per run, with ‖min-ℓ1‖₁ and ‖min-ℓ2‖₁ as dashed levels.
fn draw_l1_paths(area: &Panel<'_>, s: &DiagonalSnapshot) -> Result<(), FigureError> {
    let series = l1_series(s);
    let norm1 = |w: &Vec<f64>| w.iter().map(|v| v.abs()).sum::<f64>();
    let levels: Vec<(&str, Hue, f64)> = [
        (
            "min-ℓ1",
            L1_HUE,
            s.references.min_l1.as_ref().ok().map(norm1),
        ),
        (
            "min-ℓ2",
            L2_HUE,
            s.references.min_l2.as_ref().ok().map(norm1),
        ),
    ]
    .into_iter()
    .filter_map(|(name, hue, level)| level.filter(|v| v.is_finite()).map(|v| (name, hue, v)))
    .collect();
    let points = || series.iter().flatten();
    let last_step = points().map(|p| p.0).fold(10.0, f64::max);
    let top = points()
        .map(|p| p.1)
        .chain(levels.iter().map(|l| l.2))
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d((1.0..last_step).log_scale(), 0.0..top)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc("step t (log)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("‖w‖₁")
        .label_style(("sans-serif", LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(drawing_error)?;
    for (i, points) in series.into_iter().enumerate() {
        let color = rgb(run_hue(i));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(drawing_error)?;
    }
    // Drawn over the runs: a run that reached a level would hide it otherwise.
    for (name, hue, level) in levels {
        let color = rgb(hue);
        chart
            .draw_series(DashedLineSeries::new(
                [(1.0, level), (last_step, level)],
                8,
                6,
                color.stroke_width(2),
            ))
            .map_err(drawing_error)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{name}: ‖w‖₁ = {level:.3}"),
                (1.1, level + top * 0.05),
                ("sans-serif", LABEL_SIZE).into_font().color(&color),
            )))
            .map_err(drawing_error)?;
    }
    Ok(())
}
