//! `implicit-bias plot`: a sweep's CSV (a header, then one row per run) as an SVG figure.
//!
//! Lines: `--y` against `--x`, one line per value of `--group` (or one line), sorted by x, with
//! a log axis wherever the values are positive and span more than [`LOG_SPAN`]. Heat map: with
//! `--value`, one cell per (x, y) pair coloured by the mean of `--value` over the rows that share
//! it (seeds), with a colour legend. Empty cells (a diverged run's null) are skipped; any other
//! text where a number belongs is an error naming the line.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CAPTION_SIZE, LABEL_SIZE, draw_legend, drawing_error, rgb};
use crate::palette::run_hue;

/// A ratio of largest to smallest value beyond which an axis goes logarithmic (two decades).
pub const LOG_SPAN: f64 = 100.0;
/// Bars in the heat map's colour legend.
const LEGEND_BARS: u32 = 64;
/// Figure size in pixels.
const SIZE: (u32, u32) = (960, 640);

/// What to draw from the CSV.
#[derive(Debug, Clone, Default)]
pub struct PlotRequest {
    /// The column on the horizontal axis.
    pub x: String,
    /// The column on the vertical axis.
    pub y: String,
    /// Lines: one per value of this column.
    pub group: Option<String>,
    /// Heat map: the column that colours the (x, y) cells.
    pub value: Option<String>,
}

/// A sweep's CSV: its column names and rows of cells (as text).
#[derive(Debug, Clone)]
pub struct Table {
    /// The file, for messages.
    name: String,
    /// The header's column names.
    columns: Vec<String>,
    /// Rows as (line number, cells).
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Parses CSV text (commas, RFC 4180 quotes) with a header line.
    ///
    /// # Errors
    /// An empty file, a file with a header and no rows, or a row whose cell count is not the
    /// header's, each worded with the file (and line) and the fix.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(format!(
                "{name}: the file is empty; give a sweep's CSV (a header line, then rows)"
            ));
        };
        let columns: Vec<String> = split_row(header)
            .into_iter()
            .map(|c| c.trim().to_owned())
            .collect();
        let mut rows = Vec::new();
        for (index, line) in lines {
            let cells = split_row(line);
            if cells.len() != columns.len() {
                return Err(format!(
                    "{name}:{}: {} cells where the header has {} columns; every row needs one \
                     cell per column (commas separate cells)",
                    index + 1,
                    cells.len(),
                    columns.len()
                ));
            }
            rows.push((index + 1, cells));
        }
        if rows.is_empty() {
            return Err(format!(
                "{name}: a header and no rows; run the sweep first, or give a CSV with rows"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            columns,
            rows,
        })
    }

    /// Reads and parses a CSV file.
    ///
    /// # Errors
    /// An unreadable file, or any error of [`Table::parse`].
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The index of column `name`, or an error that suggests the nearest column.
    fn column(&self, name: &str, flag: &str) -> Result<usize, String> {
        if let Some(i) = self.columns.iter().position(|c| c == name) {
            return Ok(i);
        }
        let nearest = self
            .columns
            .iter()
            .map(|c| (strsim::jaro_winkler(name, c), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let hint = nearest.map_or_else(String::new, |(_, c)| format!(" (did you mean `{c}`?)"));
        Err(format!(
            "{}: {flag} {name}: no such column{hint}; the columns are: {}",
            self.name,
            self.columns.join(", ")
        ))
    }

    /// Column `index` as numbers, `None` for empty cells (null values).
    fn numbers(&self, index: usize, flag: &str) -> Result<Vec<Option<f64>>, String> {
        self.rows
            .iter()
            .map(|(line, cells)| {
                let cell = cells[index].trim();
                if cell.is_empty() {
                    return Ok(None);
                }
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Some(v)),
                    _ => Err(format!(
                        "{}:{line}: {flag} {}: `{cell}` is not a number; plot a numeric column",
                        self.name, self.columns[index]
                    )),
                }
            })
            .collect()
    }
}

/// Splits one CSV line into cells, honouring double quotes (`""` inside quotes is a quote).
fn split_row(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells.last_mut().expect("starts with one cell");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cell.push(c),
        }
    }
    cells
}

/// The figure for `request` as SVG text.
///
/// # Errors
/// A missing column (with a did-you-mean), a non-numeric value, `--group` with `--value`, or
/// nothing left to draw.
pub fn plot_svg(table: &Table, request: &PlotRequest) -> Result<String, String> {
    let x = table.numbers(table.column(&request.x, "--x")?, "--x")?;
    let y = table.numbers(table.column(&request.y, "--y")?, "--y")?;
    match (&request.value, &request.group) {
        (Some(_), Some(_)) => {
            Err("--group draws lines and --value a heat map; give one of them".to_owned())
        }
        (Some(value), None) => {
            let values = table.numbers(table.column(value, "--value")?, "--value")?;
            heat_map(table, request, &x, &y, &values)
        }
        (None, group) => {
            let groups = match group {
                Some(g) => {
                    let index = table.column(g, "--group")?;
                    table.rows.iter().map(|(_, c)| c[index].clone()).collect()
                }
                None => vec![request.y.clone(); table.rows.len()],
            };
            lines(table, request, &x, &y, &groups)
        }
    }
}

/// True when `values` are all positive and span more than [`LOG_SPAN`].
fn wants_log(values: impl Iterator<Item = f64> + Clone) -> bool {
    let min = values.clone().fold(f64::INFINITY, f64::min);
    let max = values.fold(f64::NEG_INFINITY, f64::max);
    min > 0.0 && max / min > LOG_SPAN
}

/// A range around `[min, max]` with a margin (multiplicative on a log axis).
fn padded(min: f64, max: f64, log: bool) -> std::ops::Range<f64> {
    if log {
        min / 1.3..max * 1.3
    } else if max > min {
        let pad = (max - min) * 0.05;
        min - pad..max + pad
    } else {
        min - 1.0..max + 1.0
    }
}

/// Lines of y against x, one per group, in the dashboard's run colours.
fn lines(
    table: &Table,
    request: &PlotRequest,
    x: &[Option<f64>],
    y: &[Option<f64>],
    groups: &[String],
) -> Result<String, String> {
    let mut series: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for ((x, y), group) in x.iter().zip(y).zip(groups) {
        if let (Some(x), Some(y)) = (x, y) {
            series.entry(group.as_str()).or_default().push((*x, *y));
        }
    }
    if series.is_empty() {
        return Err(format!(
            "{}: no row has both {} and {}; nothing to draw",
            table.name, request.x, request.y
        ));
    }
    for points in series.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let xs = series.values().flatten().map(|p| p.0);
    let ys = series.values().flatten().map(|p| p.1);
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
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let caption = format!("{} against {}", request.y, request.x);
        let series: Vec<(&str, Vec<(f64, f64)>)> = series.into_iter().collect();
        // Four axis combinations are four chart types in plotters; one generic body draws all.
        match (x_log, y_log) {
            (false, false) => draw_lines(&root, &caption, request, x_range, y_range, &series),
            (true, false) => draw_lines(
                &root,
                &caption,
                request,
                x_range.log_scale(),
                y_range,
                &series,
            ),
            (false, true) => draw_lines(
                &root,
                &caption,
                request,
                x_range,
                y_range.log_scale(),
                &series,
            ),
            (true, true) => draw_lines(
                &root,
                &caption,
                request,
                x_range.log_scale(),
                y_range.log_scale(),
                &series,
            ),
        }?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
}

/// The line chart on `root` for any pair of axis kinds.
fn draw_lines<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    caption: &str,
    request: &PlotRequest,
    x_axis: X,
    y_axis: Y,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<(), String>
where
    X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    X::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
    Y::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", CAPTION_SIZE))
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
    for (i, (group, points)) in series.iter().enumerate() {
        let color = rgb(run_hue(i));
        let label = match &request.group {
            Some(g) => format!("{g} = {group}"),
            None => (*group).to_owned(),
        };
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(drawing_error)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(drawing_error)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
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

/// The distinct values of a column, sorted.
fn distinct(values: &[Option<f64>]) -> Vec<f64> {
    let mut out: Vec<f64> = values.iter().flatten().copied().collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// The heat map: a cell per (x, y) pair coloured by the mean value, and a colour legend.
fn heat_map(
    table: &Table,
    request: &PlotRequest,
    x: &[Option<f64>],
    y: &[Option<f64>],
    values: &[Option<f64>],
) -> Result<String, String> {
    let (xs, ys) = (distinct(x), distinct(y));
    let mut sums: BTreeMap<(usize, usize), (f64, u32)> = BTreeMap::new();
    for ((x, y), v) in x.iter().zip(y).zip(values) {
        if let (Some(x), Some(y), Some(v)) = (x, y, v) {
            let i = xs.partition_point(|a| a < x);
            let j = ys.partition_point(|a| a < y);
            let cell = sums.entry((i, j)).or_insert((0.0, 0));
            cell.0 += v;
            cell.1 += 1;
        }
    }
    let value_name = request.value.as_deref().unwrap_or_default();
    if sums.is_empty() {
        return Err(format!(
            "{}: no row has {}, {} and {value_name}; nothing to draw",
            table.name, request.x, request.y
        ));
    }
    let cells: Vec<((usize, usize), f64)> = sums
        .into_iter()
        .map(|(key, (sum, count))| (key, sum / f64::from(count)))
        .collect();
    let low = cells.iter().map(|c| c.1).fold(f64::INFINITY, f64::min);
    let high = cells.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
    let shade = |v: f64| {
        ramp(if high > low {
            (v - low) / (high - low)
        } else {
            0.5
        })
    };
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let (main, legend) = root.split_horizontally(SIZE.0 - 150);
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
        let mut chart = ChartBuilder::on(&main)
            .caption(
                format!("{value_name} over {} × {}", request.x, request.y),
                ("sans-serif", CAPTION_SIZE),
            )
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..xs.len() as f64, 0.0..ys.len() as f64)
            .map_err(drawing_error)?;
        let (x_label, y_label) = (label(&xs), label(&ys));
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
            .draw_series(cells.iter().map(|&((i, j), v)| {
                let (i, j) = (i as f64, j as f64);
                Rectangle::new([(i, j), (i + 1.0, j + 1.0)], shade(v).filled())
            }))
            .map_err(drawing_error)?;
        draw_colour_legend(&legend, value_name, low, high)?;
        root.present().map_err(drawing_error)?;
    }
    Ok(text)
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
    fn quoted_cells_keep_their_commas_and_quotes() {
        assert_eq!(
            split_row(r#"1,"gd, lr=0.1","say ""hi""",,x"#),
            ["1", "gd, lr=0.1", r#"say "hi""#, "", "x"]
        );
    }

    #[test]
    fn an_axis_goes_logarithmic_past_two_decades_of_positive_values() {
        // The edges of LOG_SPAN = 100: exactly 100 stays linear, just above goes log.
        assert!(!wants_log([1.0, 100.0].into_iter()));
        assert!(wants_log([1.0, 100.001].into_iter()));
        assert!(
            !wants_log([0.0, 1e6].into_iter()),
            "zero cannot be on a log axis"
        );
        assert!(!wants_log([-1e-3, 1.0].into_iter()));
    }

    #[test]
    fn the_ramp_runs_from_its_first_to_its_last_stop() {
        assert_eq!(ramp(0.0), RGBColor(68, 1, 84));
        assert_eq!(ramp(1.0), RGBColor(253, 231, 37));
        // Halfway is the middle stop exactly (five stops, t = 0.5 lands on the third).
        assert_eq!(ramp(0.5), RGBColor(33, 145, 140));
        assert_eq!(ramp(f64::NAN), ramp(0.0));
    }
}
