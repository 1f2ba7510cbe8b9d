//! The matrix figure: the top singular values σᵢ of each run's M (U Vᵀ, or U C₁ ⋯ Vᵀ) over
//! log t (from its bounded spectra history), with the min-nuclear-norm completion's singular
//! values as dashed levels, on log axes (a small init starts σ near 10⁻⁶ and the winners climb
//! decades).

use plotters::prelude::*;

use super::engine::MatrixSnapshot;
use crate::core::kinds::figure::{
    CAPTION_SIZE, Caption, FigureError, LABEL_SIZE, draw_legend, drawing_error, rgb,
};
use crate::palette::{Hue, run_hue};

/// Figure size in pixels.
const SIZE: (u32, u32) = (960, 600);
/// At most this many singular values per run are drawn (the rest sit near zero).
const MAX_SIGMAS: usize = 4;
/// σ below this fraction of the largest drawn value are clipped to it (log axis floor).
const FLOOR_RATIO: f64 = 1e-9;

/// The nonzero singular values of the min-nuclear-norm completion (none when not computed).
fn reference_levels(s: &MatrixSnapshot) -> Vec<f64> {
    s.reference.solved().map_or_else(Vec::new, |r| {
        let top = r.singular_values.first().copied().unwrap_or(0.0);
        r.singular_values
            .iter()
            .copied()
            .filter(|&v| v > top * 1e-6 && v.is_finite())
            .collect()
    })
}

/// Per run, per drawn σ index, the (step, σ) points with step > 0 (log axis) and σ finite.
type Series = Vec<Vec<Vec<(f64, f64)>>>;

fn sigma_series(s: &MatrixSnapshot) -> Series {
    s.runs
        .iter()
        .map(|run| {
            (0..run.spectra.width().min(MAX_SIGMAS))
                .map(|j| {
                    run.spectra
                        .iter()
                        .filter(|(step, record)| *step > 0 && record[j].is_finite())
                        .map(|(step, record)| (step as f64, record[j]))
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The axes' extents: steps from the first drawn to the last (a decade at least), σ from the
/// smallest positive value (clipped at [`FLOOR_RATIO`] of the top) to the top.
struct Extents {
    first_step: f64,
    last_step: f64,
    floor: f64,
    top: f64,
}

fn extents(series: &Series, reference: &[f64]) -> Extents {
    let points = || series.iter().flatten().flatten();
    let top = points()
        .map(|p| p.1)
        .chain(reference.iter().copied())
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top } else { 1.0 };
    let floor = points()
        .map(|p| p.1)
        .filter(|&v| v > 0.0)
        .fold(top, f64::min)
        .max(top * FLOOR_RATIO);
    let first_step = points().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let first_step = if first_step.is_finite() {
        first_step.max(1.0)
    } else {
        1.0
    };
    let last_step = points().map(|p| p.0).fold(first_step * 10.0, f64::max);
    Extents {
        first_step,
        last_step,
        floor,
        top,
    }
}

/// The figure as SVG text.
pub(super) fn svg(s: &MatrixSnapshot, caption: Caption<'_>) -> Result<String, FigureError> {
    let reference = reference_levels(s);
    let series = sigma_series(s);
    let Extents {
        first_step,
        last_step,
        floor,
        top,
    } = extents(&series, &reference);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption.text(), ("sans-serif", CAPTION_SIZE))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (first_step..last_step).log_scale(),
                (floor / 2.0..top * 2.0).log_scale(),
            )
            .map_err(drawing_error)?;
        chart
            .configure_mesh()
            .x_desc("step t (log)")
            .y_desc("singular values σᵢ of M (log)")
            .label_style(("sans-serif", LABEL_SIZE))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(drawing_error)?;
        for (i, (run, lines)) in s.runs.iter().zip(&series).enumerate() {
            let color = rgb(run_hue(i));
            for (j, points) in lines.iter().enumerate() {
                let clipped = points.iter().map(|&(x, y)| (x, y.max(floor)));
                let drawn = chart
                    .draw_series(LineSeries::new(clipped, color.stroke_width(2)))
                    .map_err(drawing_error)?;
                if j == 0 {
                    drawn
                        .label(if run.depth == 2 {
                            format!("{} {}", i + 1, run.optimizer.label())
                        } else {
                            format!("{} {} depth {}", i + 1, run.optimizer.label(), run.depth)
                        })
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                }
            }
        }
        // Drawn over the runs: a run that reached the reference would hide it otherwise.
        let red = rgb(Hue::Red);
        for (k, &level) in reference.iter().enumerate() {
            let drawn = chart
                .draw_series(DashedLineSeries::new(
                    [(first_step, level), (last_step, level)],
                    8,
                    6,
                    red.stroke_width(2),
                ))
                .map_err(drawing_error)?;
            if k == 0 {
                drawn.label("min-nuclear-norm σᵢ*").legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2))
                });
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
}
