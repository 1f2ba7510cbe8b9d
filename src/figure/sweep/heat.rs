//! `plot --x COL --y COL --value COL`: a heat map of the mean of the value over each (x, y) cell,
//! one panel per run (titled with what the run is), all on one colour scale with one colour
//! legend, so two optimizers are compared side by side and never averaged into one cell.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{PlotRequest, SetUps, Table, distinct, repeats_note, run_titles, split_by};
use crate::core::kinds::figure::{CAPTION_SIZE, LABEL_SIZE, drawing_error};

/// Bars in the colour legend.
const LEGEND_BARS: u32 = 64;
/// Width of the colour legend's strip, in pixels.
const LEGEND_WIDTH: u32 = 150;
/// Size of one panel when there are several, in pixels (one alone gets [`SINGLE`]).
const PANEL: (u32, u32) = (440, 420);
/// Size of the figure when there is one panel.
const SINGLE: (u32, u32) = (960, 640);
/// Panels in one row of the grid.
const PANELS_PER_ROW: usize = 3;
/// Height of the figure's caption above the panels, in pixels.
const CAPTION_HEIGHT: u32 = 44;

/// One panel: its title and its cells ((x index, y index), mean value).
struct Panel {
    /// The title: which run, or empty when the CSV has no `run` column.
    title: String,
    /// The cells that have a value.
    cells: Vec<((usize, usize), f64)>,
}

/// The heat map: a panel per run, each with a cell per (x, y) pair coloured by the mean value.
pub(super) fn heat_map(
    table: &Table,
    request: &PlotRequest,
    x: &[Option<f64>],
    y: &[Option<f64>],
    values: &[Option<f64>],
) -> Result<String, String> {
    let value_name = request.value.as_deref().unwrap_or_default();
    let rows: Vec<usize> = (0..x.len())
        .filter(|&r| x[r].is_some() && y[r].is_some() && values[r].is_some())
        .collect();
    if rows.is_empty() {
        return Err(format!(
            "{}: no row has {}, {} and {value_name}; nothing to draw",
            table.name, request.x, request.y
        ));
    }
    let drawn_columns = [
        &request.x,
        &request.y,
        &request.value.clone().unwrap_or_default(),
    ]
    .map(|name| table.index(name));
    let setups = SetUps::of(table);
    let by_run = setups
        .run
        .filter(|run| !drawn_columns.contains(&Some(*run)));
    let parts: Vec<(String, Vec<usize>)> = match by_run {
        Some(run) => {
            let parts = split_by(table, run, &rows);
            let mut skip: Vec<usize> = drawn_columns.into_iter().flatten().collect();
            skip.push(run);
            let titles = run_titles(table, &parts, &skip);
            titles
                .into_iter()
                .zip(parts.into_iter().map(|p| p.1))
                .collect()
        }
        None => vec![(String::new(), rows)],
    };
    let (xs, ys) = (distinct(x), distinct(y));
    let mut bins: Vec<(String, Vec<usize>)> = Vec::new();
    let mut panels = Vec::new();
    for (title, part) in parts {
        let mut cells: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
        for row in part {
            let (Some(at_x), Some(at_y)) = (x[row], y[row]) else {
                continue;
            };
            let key = (
                xs.partition_point(|a| *a < at_x),
                ys.partition_point(|a| *a < at_y),
            );
            cells.entry(key).or_default().push(row);
        }
        let mut means = Vec::new();
        for ((i, j), cell_rows) in cells {
            let sum: f64 = cell_rows.iter().filter_map(|&r| values[r]).sum();
            means.push(((i, j), sum / cell_rows.len() as f64));
            let of = if title.is_empty() {
                String::new()
            } else {
                format!(" of `{title}`")
            };
            bins.push((
                format!(
                    "the cell {} = {}, {} = {}{of}",
                    request.x, xs[i], request.y, ys[j]
                ),
                cell_rows,
            ));
        }
        panels.push(Panel {
            title,
            cells: means,
        });
    }
    let mut drawn: Vec<usize> = drawn_columns.into_iter().flatten().collect();
    drawn.extend(by_run);
    setups.check(table, &bins, &drawn, &|name| {
        format!(", or put {name} on --x or --y")
    })?;
    let mut caption = format!("{value_name} over {} × {}", request.x, request.y);
    if let Some(note) = repeats_note(table, &bins) {
        write!(caption, " · {note}").ok();
    }
    svg(request, &caption, &xs, &ys, &panels)
}

/// A point on the colour ramp for `t` in [0, 1]: dark blue through teal to yellow (viridis-like,
/// readable in grey and by most colour-blind readers).
fn ramp(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let scaled = t * (STOPS.len() - 1) as f64;
    let i = (scaled.floor() as usize).min(STOPS.len() - 2);
    let f = scaled - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |u: f64, v: f64| (u + (v - u) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The figure: the caption, the panels in rows of [`PANELS_PER_ROW`], the colour legend right.
fn svg(
    request: &PlotRequest,
    caption: &str,
    xs: &[f64],
    ys: &[f64],
    panels: &[Panel],
) -> Result<String, String> {
    let all = || panels.iter().flat_map(|p| &p.cells).map(|c| c.1);
    let low = all().fold(f64::INFINITY, f64::min);
    let high = all().fold(f64::NEG_INFINITY, f64::max);
    let columns = panels.len().min(PANELS_PER_ROW);
    let rows = panels.len().div_ceil(PANELS_PER_ROW);
    let size = if panels.len() == 1 {
        SINGLE
    } else {
        (
            PANEL.0 * columns as u32 + LEGEND_WIDTH,
            PANEL.1 * rows as u32 + CAPTION_HEIGHT,
        )
    };
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let body = root
            .titled(caption, ("sans-serif", CAPTION_SIZE))
            .map_err(drawing_error)?;
        let (grid, legend) = body.split_horizontally(size.0 - LEGEND_WIDTH);
        let areas = grid.split_evenly((rows, columns));
        for (panel, area) in panels.iter().zip(&areas) {
            draw_panel(area, request, xs, ys, panel, &|v| {
                ramp(if high > low {
                    (v - low) / (high - low)
                } else {
                    0.5
                })
            })?;
        }
        let value_name = request.value.as_deref().unwrap_or_default();
        draw_colour_legend(&legend, value_name, low, high)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
}

/// One panel: its title, the x and y values at the cells' centres, and the coloured cells.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    request: &PlotRequest,
    xs: &[f64],
    ys: &[f64],
    panel: &Panel,
    shade: &dyn Fn(f64) -> RGBColor,
) -> Result<(), String> {
    let label = |axis: &[f64]| {
        let axis = axis.to_vec();
        move |index: &f64| {
            let i = index.floor();
            if i >= 0.0 && (i as usize) < axis.len() && (index - i - 0.5).abs() < 1e-9 {
                format!("{}", axis[i as usize])
            } else {
                String::new()
            }
        }
    };
    let mut chart = ChartBuilder::on(area);
    chart.margin(16).x_label_area_size(44).y_label_area_size(80);
    if !panel.title.is_empty() {
        chart.caption(&panel.title, ("sans-serif", LABEL_SIZE + 2));
    }
    let mut chart = chart
        .build_cartesian_2d(0.0..xs.len() as f64, 0.0..ys.len() as f64)
        .map_err(drawing_error)?;
    let (x_label, y_label) = (label(xs), label(ys));
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(request.x.as_str())
        .y_desc(request.y.as_str())
        .x_labels(xs.len() * 2 + 1)
        .y_labels(ys.len() * 2 + 1)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(("sans-serif", LABEL_SIZE))
        .draw()
        .map_err(drawing_error)?;
    chart
        .draw_series(panel.cells.iter().map(|&((i, j), v)| {
            let (i, j) = (i as f64, j as f64);
            Rectangle::new([(i, j), (i + 1.0, j + 1.0)], shade(v).filled())
        }))
        .map_err(drawing_error)?;
    Ok(())
}

/// A vertical colour bar from `low` to `high` with its value axis.
fn draw_colour_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    name: &str,
    low: f64,
    high: f64,
) -> Result<(), String> {
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 0.5, high + 0.5)
    };
    let mut bar = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(60)
        .margin_right(20)
        .y_label_area_size(70)
        .caption(name, ("sans-serif", LABEL_SIZE))
        .build_cartesian_2d(0.0..1.0, low..high)
        .map_err(drawing_error)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(("sans-serif", LABEL_SIZE - 2))
        .draw()
        .map_err(drawing_error)?;
    bar.draw_series((0..LEGEND_BARS).map(|k| {
        let from = low + (high - low) * f64::from(k) / f64::from(LEGEND_BARS);
        let to = low + (high - low) * f64::from(k + 1) / f64::from(LEGEND_BARS);
        let t = (f64::from(k) + 0.5) / f64::from(LEGEND_BARS);
        Rectangle::new([(0.0, from), (1.0, to)], ramp(t).filled())
    }))
    .map_err(drawing_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ramp_runs_from_its_first_to_its_last_stop() {
        assert_eq!(ramp(0.0), RGBColor(68, 1, 84));
        assert_eq!(ramp(1.0), RGBColor(253, 231, 37));
        // Halfway is the middle stop exactly (five stops, t = 0.5 lands on the third).
        assert_eq!(ramp(0.5), RGBColor(33, 145, 140));
        assert_eq!(ramp(f64::NAN), ramp(0.0));
    }
}
