//! The unit circle: each run's normalised trajectory w/‖w‖ and the reference directions.
//!
//! This is the picture the article is about: whatever the start, gradient descent's direction
//! snaps onto the ℓ2 max-margin arrow. Trails come from the run's log-spaced history, so the
//! early curve is as detailed after a billion steps as after a thousand. The start is marked
//! `○`, the head shows the run number (highlighted), references are labelled arrows. For d > 2
//! the first two coordinates are drawn and the title says it is a projection.
//!
//! `z` zooms onto the arc around the references and the runs' current directions (ℓ2 and ℓ2+b a
//! degree apart become tell-apart-able): the canvas bounds become the box around that arc, kept
//! round, the arc is drawn finely (ratatui's circle has only 360 dots), arrows and trails are
//! clipped by the canvas, and the bottom border gives the angle range.
//!
//! Reference labels are placed in cells, not data units: two targets a degree apart (ℓ2 and ℓ2+b
//! on the article's data) would print on top of each other, so a label that would overlap one
//! already placed is stacked a row further out, and merged (`ℓ2/ℓ2+b`) when there is no row left.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Block;
use ratatui::widgets::canvas::{Canvas, Circle, Context, Line};

use crate::core::kinds::RunStatus;
use crate::core::kinds::linear::LinearSnapshot;
use crate::core::reference::{MarginNorm, ReferenceError};
use crate::tui::app::CircleView;
use crate::tui::theme::{Theme, reference_label};

/// Canvas half-height in data units: the circle (radius 1) plus room for labels.
const REACH: f64 = 1.3;

/// Draws the circle for the runs listed in `runs` (all of them in overlay layout), whole or
/// zoomed onto the arc around the references.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    linear: &LinearSnapshot,
    runs: &[usize],
    view: CircleView,
    focused: bool,
    theme: Theme,
) {
    let mut title = match runs {
        [one] if linear.runs.len() > 1 => {
            let optimizer = &linear.runs[*one].optimizer;
            let label = optimizer.label();
            // A quarter of an 80-column screen cannot hold "run 3: coordinate lr=0.1": drop
            // "run", then the learning rate (the table below still has it).
            [
                format!(" run {}: {label} ", one + 1),
                format!(" {}: {label} ", one + 1),
                format!(" {}: {} ", one + 1, optimizer.kind().name()),
            ]
            .into_iter()
            .find(|t| t.chars().count() + 2 <= usize::from(area.width))
            .unwrap_or_else(|| format!(" {} ", one + 1))
        }
        _ => " directions w/‖w‖ ".to_owned(),
    };
    if linear.dim > 2 {
        title.push_str(if area.width >= 44 {
            "(projection on w₁,w₂) "
        } else {
            "(w₁,w₂) "
        });
    }
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    // In a run's own pane, a stopped run says so where the eye is.
    if let [one] = runs
        && let Some(run) = linear.runs.get(*one)
        && let Some(step) = run.status.step()
    {
        let style = if matches!(run.status, RunStatus::Diverged { .. }) {
            theme.bad()
        } else {
            theme.note()
        };
        block = block.title(TextLine::styled(
            format!(" {} @ {step} ", run.status.name()),
            style,
        ));
    }
    if let Some(note) = reference_note(linear) {
        block = block.title_bottom(TextLine::styled(note, theme.note()));
    }
    let inner = block.inner(area);
    if inner.width < 4 || inner.height < 2 {
        frame.render_widget(block, area);
        return;
    }
    let arc = match view {
        CircleView::Zoomed => zoom_arc(linear, runs),
        CircleView::Whole => None,
    };
    let grid = Grid::fitted(inner, arc);
    if let Some((from, to)) = arc {
        let decimals = if to - from < 5.0 { 2 } else { 1 };
        let (from, to) = (format!("{from:.decimals$}°"), format!("{to:.decimals$}°"));
        // The longest wording that fits the bottom border (a side-by-side pane is narrow).
        let range = [
            format!(" arc {from} … {to} · z: whole circle "),
            format!(" arc {from} … {to} "),
            format!(" {from}…{to} "),
        ]
        .into_iter()
        .find(|t| t.chars().count() + 2 <= usize::from(area.width));
        if let Some(range) = range {
            block = block.title_bottom(TextLine::styled(range, theme.faint()).right_aligned());
        }
    }
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds(grid.x_bounds)
        .y_bounds(grid.y_bounds)
        .paint(|ctx| paint(ctx, linear, runs, grid, arc, theme));
    frame.render_widget(canvas, area);
}

/// The arc (from, to, in degrees, counter-clockwise) around the references and the runs'
/// current directions, with a margin of a quarter of its width (at least half a degree) on each
/// side; `None` when there is nothing to zoom on or the directions spread over more than a
/// half-turn (the whole circle then says more).
fn zoom_arc(linear: &LinearSnapshot, runs: &[usize]) -> Option<(f64, f64)> {
    let references = linear
        .references
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter_map(|r| plane(&r.direction));
    let heads = runs
        .iter()
        .filter_map(|&i| linear.runs.get(i))
        .filter_map(|run| plane(&run.direction));
    let angles: Vec<f64> = references
        .chain(heads)
        .map(|(x, y)| y.atan2(x).to_degrees())
        .collect();
    arc_around(&angles)
}

/// The arc (from, to) around `angles` (degrees), as [`zoom_arc`] describes it.
fn arc_around(angles: &[f64]) -> Option<(f64, f64)> {
    let centre = *angles.first()?;
    // Offsets from the first angle, in (−180°, 180°], so an arc across ±180° stays one arc.
    let offsets = angles
        .iter()
        .map(|a| (a - centre + 540.0).rem_euclid(360.0) - 180.0);
    let (low, high) = offsets.fold((0.0_f64, 0.0_f64), |(lo, hi), o| (lo.min(o), hi.max(o)));
    let margin = (0.25 * (high - low)).max(0.5);
    let (from, to) = (centre + low - margin, centre + high + margin);
    (to - from <= 180.0).then_some((from, to))
}

/// Why some references are missing, if any are (not separable, solver failure).
fn reference_note(linear: &LinearSnapshot) -> Option<String> {
    let mut not_separable = false;
    let mut failed = Vec::new();
    for (norm, result) in &linear.references {
        match result {
            Ok(_) => {}
            Err(ReferenceError::NotSeparable(_)) => not_separable = true,
            Err(_) => failed.push(reference_label(*norm)),
        }
    }
    if not_separable {
        Some(" data not separable: no max-margin direction (runs continue) ".to_owned())
    } else if !failed.is_empty() {
        Some(format!(" reference unavailable: {} ", failed.join(", ")))
    } else {
        None
    }
}

/// The first two coordinates of a direction (a 1-d direction lies on the horizontal axis).
fn plane(direction: &[f64]) -> Option<(f64, f64)> {
    let x = *direction.first()?;
    let y = direction.get(1).copied().unwrap_or(0.0);
    (x.is_finite() && y.is_finite() && (x != 0.0 || y != 0.0)).then_some((x, y))
}

/// The canvas's cells and the data bounds they show, to place text by cell.
#[derive(Debug, Clone, Copy)]
struct Grid {
    cols: i32,
    rows: i32,
    x_bounds: [f64; 2],
    y_bounds: [f64; 2],
}

impl Grid {
    /// The bounds for `inner`: the whole circle with room for labels, or the box around the
    /// `arc` (radii 1 ± a third of its length, at most 0.2: room for the labels just outside
    /// the circle), widened so the circle stays round. Braille gives
    /// 2×4 dots per cell and a cell is about twice as tall as wide, so equal data spans need
    /// x_span / width = y_span / (2 · height).
    fn fitted(inner: Rect, arc: Option<(f64, f64)>) -> Self {
        let (x_bounds, y_bounds) = match arc {
            None => ([-REACH, REACH], [-REACH, REACH]),
            Some((from, to)) => {
                let depth = ((to - from).to_radians() / 3.0).min(0.2);
                let mut x = [f64::INFINITY, f64::NEG_INFINITY];
                let mut y = [f64::INFINITY, f64::NEG_INFINITY];
                for i in 0..=64 {
                    let angle = (from + (to - from) * f64::from(i) / 64.0).to_radians();
                    for radius in [1.0 - depth, 1.0 + depth] {
                        let (sin, cos) = angle.sin_cos();
                        x = [x[0].min(radius * cos), x[1].max(radius * cos)];
                        y = [y[0].min(radius * sin), y[1].max(radius * sin)];
                    }
                }
                (x, y)
            }
        };
        let (cols, rows) = (f64::from(inner.width), f64::from(inner.height));
        let (x_span, y_span) = (x_bounds[1] - x_bounds[0], y_bounds[1] - y_bounds[0]);
        // Grow the narrower span about its centre until the aspect is round.
        let x_needed = y_span * cols / (2.0 * rows);
        let widen = |bounds: [f64; 2], span: f64| {
            let middle = f64::midpoint(bounds[0], bounds[1]);
            [middle - span / 2.0, middle + span / 2.0]
        };
        let (x_bounds, y_bounds) = if x_needed >= x_span {
            (widen(x_bounds, x_needed), y_bounds)
        } else {
            (x_bounds, widen(y_bounds, x_span * 2.0 * rows / cols))
        };
        Self {
            cols: i32::from(inner.width),
            rows: i32::from(inner.height),
            x_bounds,
            y_bounds,
        }
    }

    /// Data units per whole-circle data unit: arrow heads and label offsets shrink with it.
    fn scale(self) -> f64 {
        (self.y_bounds[1] - self.y_bounds[0]).min(self.x_bounds[1] - self.x_bounds[0])
            / (2.0 * REACH)
    }

    /// The cell ratatui prints a label at (x, y) in (same arithmetic as the canvas).
    fn cell(self, x: f64, y: f64) -> (i32, i32) {
        let [left, right] = self.x_bounds;
        let [bottom, top] = self.y_bounds;
        let col = ((x - left) * f64::from(self.cols - 1) / (right - left)).floor();
        let row = ((top - y) * f64::from(self.rows - 1) / (top - bottom)).floor();
        (col as i32, row as i32)
    }

    /// Data coordinates that land in cell (col, row): a quarter cell in, exactly on the last.
    fn point(self, col: i32, row: i32) -> (f64, f64) {
        let inset = |i: i32, last: i32| {
            if i >= last {
                f64::from(last)
            } else {
                f64::from(i) + 0.25
            }
        };
        let [left, right] = self.x_bounds;
        let [bottom, top] = self.y_bounds;
        let x = left + inset(col, self.cols - 1) * (right - left) / f64::from(self.cols - 1);
        let y = top - inset(row, self.rows - 1) * (top - bottom) / f64::from(self.rows - 1);
        (x, y)
    }
}

/// A reference label placed in a cell: its text (several names joined with `/` when their
/// arrows end in neighbouring cells), its first cell, and the arrow tip(s) it names.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLabel {
    /// The text drawn, e.g. `ℓ∞` or `ℓ2/ℓ2+b`.
    pub text: String,
    /// Column of its first character, in the canvas's cells.
    pub col: i32,
    /// Its row, in the canvas's cells.
    pub row: i32,
    /// The cell of the arrow tip it labels (the first one, for a joined label).
    pub tip: (i32, i32),
    /// The references it names, in the snapshot's order (the legend's and the table's).
    pub norms: Vec<MarginNorm>,
}

impl PlacedLabel {
    fn width(&self) -> i32 {
        TextLine::from(self.text.as_str()).width() as i32
    }
}

/// A reference arrow's end, as the labels see it.
#[derive(Debug, Clone, PartialEq)]
struct Tip {
    /// The reference's name (`ℓ2`).
    name: String,
    /// The cell (col, row) the arrow ends in.
    cell: (i32, i32),
    /// The arrow's direction in the plane (which way is outward).
    direction: (f64, f64),
    /// Which reference.
    norm: MarginNorm,
}

/// Cells from a label of `width` at (row, col) to the cell `tip`, counted as a king moves:
/// 0 when the label covers the tip, 1 when it touches it.
fn reach(row: i32, col: i32, width: i32, tip: (i32, i32)) -> i32 {
    let (tip_col, tip_row) = tip;
    let across = if tip_col < col {
        col - tip_col
    } else if tip_col >= col + width {
        tip_col - (col + width - 1)
    } else {
        0
    };
    across.max((tip_row - row).abs())
}

/// The arrows whose tips fall in the same or touching cells (transitively), as index lists in
/// the snapshot's order: a label cannot tell such arrows apart, so each group shares one.
fn touching_groups(tips: &[Tip]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, tip) in tips.iter().enumerate() {
        let touches = |g: &Vec<usize>| {
            g.iter().any(|&j| {
                let other = tips[j].cell;
                (other.0 - tip.cell.0).abs() <= 1 && (other.1 - tip.cell.1).abs() <= 1
            })
        };
        let mut merged = vec![index];
        groups.retain(|g| {
            if touches(g) {
                merged.extend(g);
                false
            } else {
                true
            }
        });
        merged.sort_unstable();
        groups.push(merged);
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Puts one label per arrow beside its tip, so a reader always pairs a name with the right
/// arrow. Arrows whose tips touch share one label (`ℓ2/ℓ2+b`, see [`touching_groups`]). Each
/// label takes the first free spot, in order of preference, that touches or nearly touches
/// (two cells) its own tip and is nearer its own tip than any other arrow's: just beyond the
/// tip on its row, one row further out, centred on that row, the other side of the tip, one
/// row further in. A label that finds no such spot joins the label nearest its tip rather than
/// stand beside the wrong arrow.
fn place_labels(grid: Grid, tips: &[Tip]) -> Vec<PlacedLabel> {
    let groups = touching_groups(tips);
    let group_tips: Vec<(i32, i32)> = groups.iter().map(|g| tips[g[0]].cell).collect();
    let mut placed: Vec<PlacedLabel> = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        let label = PlacedLabel {
            text: group
                .iter()
                .map(|&i| tips[i].name.as_str())
                .collect::<Vec<_>>()
                .join("/"),
            col: 0,
            row: 0,
            tip: group_tips[index],
            norms: group.iter().map(|&i| tips[i].norm).collect(),
        };
        let width = label.width();
        let free = |row: i32, col: i32| {
            (0..grid.rows).contains(&row)
                && col >= 0
                && col + width <= grid.cols
                && !placed
                    .iter()
                    .any(|p| p.row == row && col <= p.col + p.width() && p.col <= col + width)
        };
        let own_side = |row: i32, col: i32| {
            let mine = reach(row, col, width, label.tip);
            mine <= 2
                && group_tips
                    .iter()
                    .enumerate()
                    .all(|(j, &other)| j == index || reach(row, col, width, other) > mine)
        };
        let candidates = spots_around(label.tip, tips[group[0]].direction, width);
        if let Some(&(row, col)) = candidates
            .iter()
            .find(|&&(row, col)| free(row, col) && own_side(row, col))
        {
            placed.push(PlacedLabel { col, row, ..label });
        } else if let Some(nearest) = placed
            .iter_mut()
            .min_by_key(|p| reach(p.row, p.col, p.width(), label.tip))
        {
            // A longer name beside two arrows misleads no one; a name beside the wrong
            // arrow would.
            nearest.text = format!("{}/{}", nearest.text, label.text);
            nearest.norms.extend(label.norms);
            nearest.col = nearest.col.min((grid.cols - nearest.width()).max(0));
        } else {
            let (tip_col, tip_row) = label.tip;
            placed.push(PlacedLabel {
                col: tip_col.clamp(0, (grid.cols - width).max(0)),
                row: tip_row.clamp(0, grid.rows - 1),
                ..label
            });
        }
    }
    placed
}

/// The (row, col) spots for a label of `width` beside the tip at `tip` of an arrow pointing
/// along `direction`, most wanted first (see [`place_labels`]).
fn spots_around(tip: (i32, i32), direction: (f64, f64), width: i32) -> [(i32, i32); 8] {
    let (tip_col, tip_row) = tip;
    let (x, y) = direction;
    let out_row = if y >= 0.0 { -1 } else { 1 };
    let (beyond, before) = if x >= 0.0 {
        (tip_col + 1, tip_col - width)
    } else {
        (tip_col - width, tip_col + 1)
    };
    let flush = if x >= 0.0 {
        tip_col
    } else {
        tip_col - width + 1
    };
    [
        (tip_row, beyond),
        (tip_row + out_row, flush),
        (tip_row + out_row, tip_col - width / 2),
        (tip_row + out_row, beyond),
        (tip_row, before),
        (tip_row - out_row, flush),
        (tip_row - out_row, beyond),
        (tip_row + 2 * out_row, flush),
    ]
}

/// Where the reference labels of the circle drawn into `area` stand, in the canvas's cells
/// (add the pane's inner top-left corner for screen cells), as [`render`] places them: for
/// tests that check every label is drawn whole beside its own arrow.
#[must_use]
pub fn reference_labels(
    area: Rect,
    linear: &LinearSnapshot,
    runs: &[usize],
    view: CircleView,
) -> Vec<PlacedLabel> {
    let inner = Block::bordered().inner(area);
    if inner.width < 4 || inner.height < 2 {
        return Vec::new();
    }
    let arc = match view {
        CircleView::Zoomed => zoom_arc(linear, runs),
        CircleView::Whole => None,
    };
    place_labels(
        Grid::fitted(inner, arc),
        &label_tips(linear, Grid::fitted(inner, arc)),
    )
}

/// Each drawable reference's name, tip cell and direction, in the snapshot's order.
fn label_tips(linear: &LinearSnapshot, grid: Grid) -> Vec<Tip> {
    linear
        .references
        .iter()
        .filter_map(|(norm, result)| {
            let reference = result.as_ref().ok()?;
            let (x, y) = plane(&reference.direction)?;
            Some(Tip {
                name: reference_label(*norm).into_owned(),
                cell: grid.cell(x, y),
                direction: (x, y),
                norm: *norm,
            })
        })
        .collect()
}

fn paint(
    ctx: &mut Context,
    linear: &LinearSnapshot,
    runs: &[usize],
    grid: Grid,
    arc: Option<(f64, f64)>,
    theme: Theme,
) {
    draw_unit_circle(ctx, arc, theme);
    ctx.layer();
    draw_references(ctx, linear, grid, theme);
    ctx.layer();
    draw_runs(ctx, linear, runs, theme);
    // Printed last, so a run head that reaches its target never hides the target's name.
    for label in place_labels(grid, &label_tips(linear, grid)) {
        let style = Style::new()
            .fg(theme.reference_color(label.norms[0]))
            .add_modifier(Modifier::BOLD);
        let (x, y) = grid.point(label.col, label.row);
        ctx.print(x, y, TextLine::styled(label.text, style));
    }
}

/// The unit circle, or in a zoom the arc. Ratatui's circle is 360 dots, too coarse for an arc
/// of a few degrees, so the arc is a polyline drawn past both ends (the canvas clips it).
fn draw_unit_circle(ctx: &mut Context, arc: Option<(f64, f64)>, theme: Theme) {
    let color = theme.faint_color();
    let Some((from, to)) = arc else {
        ctx.draw(&Circle {
            x: 0.0,
            y: 0.0,
            radius: 1.0,
            color,
        });
        return;
    };
    let width = to - from;
    let point = |i: i32| {
        let angle = (from - width + 3.0 * width * f64::from(i) / 240.0).to_radians();
        (angle.cos(), angle.sin())
    };
    for i in 0..240 {
        let ((x1, y1), (x2, y2)) = (point(i), point(i + 1));
        ctx.draw(&Line {
            x1,
            y1,
            x2,
            y2,
            color,
        });
    }
}

/// The reference arrows; heads shrink with a zoom so they keep their size on screen.
fn draw_references(ctx: &mut Context, linear: &LinearSnapshot, grid: Grid, theme: Theme) {
    let scale = grid.scale();
    for (norm, result) in &linear.references {
        let Ok(reference) = result else { continue };
        let Some((x, y)) = plane(&reference.direction) else {
            continue;
        };
        let color = theme.reference_color(*norm);
        ctx.draw(&Line {
            x1: 0.0,
            y1: 0.0,
            x2: x,
            y2: y,
            color,
        });
        // Arrow head: two short strokes at ±150° from the direction.
        let angle = y.atan2(x);
        for turn in [2.6_f64, -2.6] {
            let (s, c) = (angle + turn).sin_cos();
            ctx.draw(&Line {
                x1: x,
                y1: y,
                x2: x + 0.12 * scale * c,
                y2: y + 0.12 * scale * s,
                color,
            });
        }
    }
}

/// Each run's trail, start mark `○` and head (its number, reversed).
fn draw_runs(ctx: &mut Context, linear: &LinearSnapshot, runs: &[usize], theme: Theme) {
    for &index in runs {
        let Some(run) = linear.runs.get(index) else {
            continue;
        };
        let color = theme.run_color(index);
        let mut previous: Option<(f64, f64)> = None;
        let mut start = None;
        for (_, record) in run.trail.iter() {
            let Some(point) = plane(&record[..linear.dim]) else {
                continue;
            };
            if let Some((x1, y1)) = previous {
                ctx.draw(&Line {
                    x1,
                    y1,
                    x2: point.0,
                    y2: point.1,
                    color,
                });
            }
            start.get_or_insert(point);
            previous = Some(point);
        }
        let head = plane(&run.direction).or(previous);
        if let (Some((x1, y1)), Some((x2, y2))) = (previous, head) {
            ctx.draw(&Line {
                x1,
                y1,
                x2,
                y2,
                color,
            });
        }
        if let Some((x, y)) = start {
            ctx.print(x, y, TextLine::styled("○", Style::new().fg(color)));
        }
        if let Some((x, y)) = head {
            let mut style = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
            if color != Color::Reset {
                style = style.fg(color);
            }
            let label = if runs.len() > 1 || linear.runs.len() > 1 {
                (index + 1).to_string()
            } else {
                "●".to_owned()
            };
            ctx.print(x, y, TextLine::from(Span::styled(label, style)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: Grid = Grid {
        cols: 30,
        rows: 12,
        x_bounds: [-1.6, 1.6],
        y_bounds: [-1.3, 1.3],
    };

    #[test]
    fn the_zoom_arc_holds_every_angle_with_a_margin_even_across_180_degrees() {
        // 44° to 46°: 2° wide, half a degree of margin each side (a quarter of 2°).
        let (from, to) = arc_around(&[45.0, 44.0, 46.0]).unwrap();
        assert!(
            (from - 43.5).abs() < 1e-9 && (to - 46.5).abs() < 1e-9,
            "{from} {to}"
        );
        // 179° and −179° are 2° apart across the cut, not 358°.
        let (from, to) = arc_around(&[179.0, -179.0]).unwrap();
        assert!(
            (to - from - 3.0).abs() < 1e-9 && from < 179.0 && to > 181.0,
            "{from} {to}"
        );
        // Spread over more than a half-turn: no zoom. Nothing to zoom on: none either.
        assert!(arc_around(&[0.0, 100.0, -100.0]).is_none());
        assert!(arc_around(&[]).is_none());
    }

    #[test]
    fn a_zoomed_grid_is_round_and_holds_the_arc() {
        let inner = Rect::new(0, 0, 40, 12);
        let grid = Grid::fitted(inner, Some((40.0, 50.0)));
        let x_span = grid.x_bounds[1] - grid.x_bounds[0];
        let y_span = grid.y_bounds[1] - grid.y_bounds[0];
        // Round: x_span / width = y_span / (2 · height).
        assert!((x_span / 40.0 - y_span / 24.0).abs() < 1e-12);
        for angle in [40.0_f64, 45.0, 50.0] {
            let (sin, cos) = angle.to_radians().sin_cos();
            assert!((grid.x_bounds[0]..=grid.x_bounds[1]).contains(&cos));
            assert!((grid.y_bounds[0]..=grid.y_bounds[1]).contains(&sin));
        }
        assert!(x_span < 0.5, "a 10° arc is a close-up: {x_span}");
    }

    #[test]
    fn cells_and_points_round_trip() {
        for (col, row) in [(0, 0), (7, 3), (29, 11), (15, 6)] {
            let (x, y) = GRID.point(col, row);
            assert_eq!(GRID.cell(x, y), (col, row));
        }
    }

    fn tip(name: &str, degrees: f64, norm: MarginNorm) -> Tip {
        let (sin, cos) = degrees.to_radians().sin_cos();
        Tip {
            name: name.to_owned(),
            cell: GRID.cell(cos, sin),
            direction: (cos, sin),
            norm,
        }
    }

    #[test]
    fn arrows_a_degree_apart_share_one_label() {
        let placed = place_labels(
            GRID,
            &[
                tip("ℓ2", 45.0, MarginNorm::L2),
                tip("ℓ2+b", 46.0, MarginNorm::L2Intercept),
            ],
        );
        assert_eq!(placed.len(), 1, "{placed:?}");
        assert_eq!(placed[0].text, "ℓ2/ℓ2+b");
        assert_eq!(placed[0].norms, [MarginNorm::L2, MarginNorm::L2Intercept]);
    }

    #[test]
    fn every_label_touches_its_own_tip_and_is_nearer_it_than_any_other() {
        // Arrows 20° apart on every side of the circle: each gets its own label, beside its tip.
        for base in (0..360).step_by(15) {
            let base = f64::from(base);
            let tips = [
                tip("ℓ2", base, MarginNorm::L2),
                tip("ℓ∞", base + 20.0, MarginNorm::Linf),
                tip("ℓ1", base - 20.0, MarginNorm::L1),
            ];
            let placed = place_labels(GRID, &tips);
            for label in &placed {
                let width = TextLine::from(label.text.as_str()).width() as i32;
                let mine = reach(label.row, label.col, width, label.tip);
                assert!(mine <= 2, "{base}: {label:?}");
                for other in &tips {
                    if !label.norms.contains(&other.norm) {
                        assert!(
                            reach(label.row, label.col, width, other.cell) > mine,
                            "{base}: {label:?}"
                        );
                    }
                }
                assert!(
                    label.col >= 0 && label.col + width <= GRID.cols,
                    "{label:?}"
                );
            }
            let named: usize = placed.iter().map(|l| l.norms.len()).sum();
            assert_eq!(named, 3, "every reference is named once");
        }
    }
}
