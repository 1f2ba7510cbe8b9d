//! `plot --x COL --y COL [--group COL]`: one line per group (per run, named by its label, when
//! no `--group` is given) through the mean of y at each x, sorted by x, over a shaded band
//! from the least to the largest repeat, so seeds are averaged rather than zig-zagged through.
//! The key sits in its own strip right of the plotting area, so it never covers a line.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{PlotRequest, SetUps, Table, padded, repeats_note, run_titles, split_by, wants_log};
use crate::core::kinds::figure::{CAPTION_SIZE, LABEL_SIZE, drawing_error, rgb};
use crate::palette::run_hue;

/// Figure size in pixels, the key's strip included.
const SIZE: (u32, u32) = (960, 640);
/// Opacity of a line's min–max band.
const BAND_OPACITY: f64 = 0.2;
/// Pixels between two rows of the key.
const KEY_ROW: i32 = 26;
/// A generous width of one character of the key's text, in pixels (no font is measured).
const KEY_CHAR: u32 = 8;
/// The key entry for the bands.
const BAND_KEY: &str = "min–max over repeats";

/// One line: its key label, and its points in increasing x.
struct Series {
    /// The label in the key.
    label: String,
    /// One per distinct x.
    points: Vec<Point>,
}

/// The rows of one group at one x, summarised.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// The x value.
    x: f64,
    /// The mean of y over the rows.
    mean: f64,
    /// The least y.
    low: f64,
    /// The largest y.
    high: f64,
}

/// Lines of the mean of y against x, one per group, in the dashboard's run colours.
pub(super) fn lines(
    table: &Table,
    request: &PlotRequest,
    x: &[Option<f64>],
    y: &[Option<f64>],
    group: Option<usize>,
) -> Result<String, String> {
    let rows: Vec<usize> = (0..x.len())
        .filter(|&r| x[r].is_some() && y[r].is_some())
        .collect();
    if rows.is_empty() {
        return Err(format!(
            "{}: no row has both {} and {}; nothing to draw",
            table.name, request.x, request.y
        ));
    }
    let x_index = table.column(&request.x, "--x")?;
    let y_index = table.column(&request.y, "--y")?;
    let setups = SetUps::of(table);
    let by_run = setups
        .run
        .filter(|&run| group.is_none() && run != x_index && run != y_index);
    let groups: Vec<(String, Vec<usize>)> = match (group, by_run) {
        (Some(g), _) => split_by(table, g, &rows)
            .into_iter()
            .map(|(value, part)| (format!("{} = {value}", table.columns[g]), part))
            .collect(),
        (None, Some(run)) => {
            let parts = split_by(table, run, &rows);
            let titles = run_titles(table, &parts, &[x_index, y_index, run]);
            titles
                .into_iter()
                .zip(parts.into_iter().map(|p| p.1))
                .collect()
        }
        (None, None) => vec![(request.y.clone(), rows)],
    };
    let mut bins: Vec<(String, Vec<usize>)> = Vec::new();
    let mut series = Vec::new();
    for (label, mut part) in groups {
        part.sort_by(|&a, &b| {
            x[a].unwrap_or_default()
                .total_cmp(&x[b].unwrap_or_default())
        });
        let mut points = Vec::new();
        for at_x in part.chunk_by(|&a, &b| x[a] == x[b]) {
            let ys: Vec<f64> = at_x.iter().filter_map(|&r| y[r]).collect();
            let at = x[at_x[0]].unwrap_or_default();
            points.push(Point {
                x: at,
                mean: ys.iter().sum::<f64>() / ys.len() as f64,
                low: ys.iter().copied().fold(f64::INFINITY, f64::min),
                high: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            });
            bins.push((format!("`{label}` at {} = {at}", request.x), at_x.to_vec()));
        }
        series.push(Series { label, points });
    }
    let mut drawn = vec![x_index, y_index];
    drawn.extend(group.or(by_run));
    setups.check(table, &bins, &drawn, &|name| {
        format!(", or draw a line each with --group {name}")
    })?;
    let mut caption = format!("{} against {}", request.y, request.x);
    if let Some(note) = repeats_note(table, &bins) {
        write!(caption, " · {note}, min–max shaded").ok();
    }
    svg(request, &caption, &series)
}

/// The figure: the caption across the top, the chart left, the key in a strip on the right.
fn svg(request: &PlotRequest, caption: &str, series: &[Series]) -> Result<String, String> {
    let points = || series.iter().flat_map(|s| &s.points);
    let xs = points().map(|p| p.x);
    let ys = points().flat_map(|p| [p.low, p.high]);
    let (x_log, y_log) = (wants_log(xs.clone()), wants_log(ys.clone()));
    let x_range = padded(
        xs.clone().fold(f64::INFINITY, f64::min),
        xs.fold(f64::NEG_INFINITY, f64::max),
        x_log,
    );
    let y_range = padded(
        ys.clone().fold(f64::INFINITY, f64::min),
        ys.fold(f64::NEG_INFINITY, f64::max),
        y_log,
    );
    let banded = points().any(|p| p.high > p.low);
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let body = root
            .titled(caption, ("sans-serif", CAPTION_SIZE))
            .map_err(drawing_error)?;
        let widest = series
            .iter()
            .map(|s| s.label.chars().count())
            .chain(banded.then_some(BAND_KEY.chars().count()))
            .max()
            .unwrap_or_default();
        let key_width = (widest as u32 * KEY_CHAR + 50).clamp(160, SIZE.0 * 2 / 5);
        let (chart_area, key_area) = body.split_horizontally(SIZE.0 - key_width);
        // Four axis combinations are four chart types in plotters; one generic body draws all.
        match (x_log, y_log) {
            (false, false) => draw_chart(&chart_area, request, x_range, y_range, series),
            (true, false) => draw_chart(&chart_area, request, x_range.log_scale(), y_range, series),
            (false, true) => draw_chart(&chart_area, request, x_range, y_range.log_scale(), series),
            (true, true) => draw_chart(
                &chart_area,
                request,
                x_range.log_scale(),
                y_range.log_scale(),
                series,
            ),
        }?;
        draw_key(&key_area, series, banded)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
}

/// The chart on `area` for any pair of axis kinds: bands first, then mean lines and points.
fn draw_chart<X, Y>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    request: &PlotRequest,
    x_axis: X,
    y_axis: Y,
    series: &[Series],
) -> Result<(), String>
where
    X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    X::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
    Y::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x_axis, y_axis)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc(request.x.as_str())
        .y_desc(request.y.as_str())
        .label_style(("sans-serif", LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(drawing_error)?;
    for (i, line) in series.iter().enumerate() {
        let color = rgb(run_hue(i));
        if line.points.iter().any(|p| p.high > p.low) {
            let band = line
                .points
                .iter()
                .map(|p| (p.x, p.high))
                .chain(line.points.iter().rev().map(|p| (p.x, p.low)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    band.collect::<Vec<_>>(),
                    color.mix(BAND_OPACITY).filled(),
                )))
                .map_err(drawing_error)?;
        }
    }
    for (i, line) in series.iter().enumerate() {
        let color = rgb(run_hue(i));
        chart
            .draw_series(LineSeries::new(
                line.points.iter().map(|p| (p.x, p.mean)),
                color.stroke_width(2),
            ))
            .map_err(drawing_error)?;
        chart
            .draw_series(
                line.points
                    .iter()
                    .map(|p| Circle::new((p.x, p.mean), 3, color.filled())),
            )
            .map_err(drawing_error)?;
    }
    Ok(())
}

/// The key: a line sample and label per series, then the band's swatch when bands are drawn.
fn draw_key(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    series: &[Series],
    banded: bool,
) -> Result<(), String> {
    let font = ("sans-serif", LABEL_SIZE)
        .into_text_style(area)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let mut row_y = 24;
    for (i, line) in series.iter().enumerate() {
        let color = rgb(run_hue(i));
        area.draw(&PathElement::new(
            vec![(8, row_y), (32, row_y)],
            color.stroke_width(2),
        ))
        .map_err(drawing_error)?;
        area.draw(&Circle::new((20, row_y), 3, color.filled()))
            .map_err(drawing_error)?;
        area.draw(&Text::new(line.label.as_str(), (40, row_y), font.clone()))
            .map_err(drawing_error)?;
        row_y += KEY_ROW;
    }
    if banded {
        area.draw(&Rectangle::new(
            [(8, row_y - 7), (32, row_y + 7)],
            BLACK.mix(BAND_OPACITY).filled(),
        ))
        .map_err(drawing_error)?;
        area.draw(&Text::new(BAND_KEY, (40, row_y), font))
            .map_err(drawing_error)?;
    }
    Ok(())
}
