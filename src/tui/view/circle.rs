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

use super::super::app::CircleView;
use super::super::theme::{Theme, reference_label};
use crate::core::experiment::{LinearSnapshot, RunStatus};
use crate::core::reference::{MarginNorm, ReferenceError};

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
                format!(" {}: {} ", one + 1, optimizer.kind.name()),
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

/// A reference label placed in a cell.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    text: String,
    col: i32,
    row: i32,
    norm: MarginNorm,
}

impl Placed {
    fn width(&self) -> i32 {
        TextLine::from(self.text.as_str()).width() as i32
    }

    /// True when `other` on the same row would touch this label (one blank cell between).
    fn clashes(&self, row: i32, col: i32, width: i32) -> bool {
        self.row == row && col <= self.col + self.width() && self.col <= col + width
    }
}

/// Puts each label (text, preferred x, y, norm) in a cell of its own. Labels never move more
/// than one row (a label beside the wrong arrow would mislead), and never onto a row another
/// label prefers. In order: the preferred cell; one row further from the centre; just right of
/// a run head (`blocked`) that covers the preferred cell; the preferred cell over the head;
/// else the name is merged into the label it would cover (`ℓ2/ℓ2+b`).
fn place_labels<T: AsRef<str>>(
    grid: Grid,
    labels: &[(T, f64, f64, MarginNorm)],
    blocked: &[(i32, i32)],
) -> Vec<Placed> {
    let wanted: Vec<Placed> = labels
        .iter()
        .map(|(text, x, y, norm)| {
            let (text, x, y, norm) = (text.as_ref(), *x, *y, *norm);
            let width = TextLine::from(text).width() as i32;
            let (col, row) = grid.cell(x, y);
            Placed {
                text: text.to_owned(),
                col: col.clamp(0, (grid.cols - width).max(0)),
                row: row.clamp(0, grid.rows - 1),
                norm,
            }
        })
        .collect();
    let head_in = |row: i32, col: i32, width: i32| {
        blocked
            .iter()
            .filter(|&&(r, c)| r == row && (col..col + width).contains(&c))
            .map(|&(_, c)| c)
            .max()
    };
    let mut placed: Vec<Placed> = Vec::new();
    for (index, (want, &(_, _, y, _))) in wanted.iter().zip(labels.iter()).enumerate() {
        let width = want.width();
        let (row, col) = (want.row, want.col);
        let outward = if y >= 0.0 { -1 } else { 1 };
        let taken = |r: i32, c: i32| placed.iter().any(|p| p.clashes(r, c, width));
        let moved_ok = |r: i32, c: i32| {
            (0..grid.rows).contains(&r)
                && c + width <= grid.cols
                && !taken(r, c)
                && !wanted
                    .iter()
                    .enumerate()
                    .any(|(i, w)| i != index && w.clashes(r, c, width))
        };
        let mut candidates = vec![(row, col, true), (row + outward, col, false)];
        if let Some(head) = head_in(row, col, width) {
            candidates.push((row, head + 1, false));
        }
        let spot = candidates
            .iter()
            .find(|&&(r, c, preferred)| {
                let free = if preferred {
                    !taken(r, c)
                } else {
                    moved_ok(r, c)
                };
                free && head_in(r, c, width).is_none()
            })
            .or_else(|| {
                candidates
                    .iter()
                    .find(|&&(r, c, _)| r == row && c == col && !taken(r, c))
            })
            .map(|&(r, c, _)| (r, c));
        match spot {
            Some((row, col)) => placed.push(Placed {
                col,
                row,
                ..want.clone()
            }),
            None => {
                if let Some(p) = placed.iter_mut().find(|p| p.clashes(row, col, width)) {
                    p.text = format!("{}/{}", p.text, want.text);
                    p.col = p.col.min((grid.cols - p.width()).max(0));
                }
            }
        }
    }
    placed
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
    draw_references(ctx, linear, runs, grid, theme);
    ctx.layer();
    draw_runs(ctx, linear, runs, theme);
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

/// The reference arrows and their labels (placed clear of each other and of the run heads);
/// heads and offsets shrink with a zoom so they keep their size on screen.
fn draw_references(
    ctx: &mut Context,
    linear: &LinearSnapshot,
    runs: &[usize],
    grid: Grid,
    theme: Theme,
) {
    let scale = grid.scale();
    let mut labels = Vec::new();
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
        let out = 1.0 + 0.12 * scale;
        labels.push((
            reference_label(*norm),
            x * out - 0.05 * scale,
            y * out,
            *norm,
        ));
    }
    let heads: Vec<(i32, i32)> = runs
        .iter()
        .filter_map(|&i| linear.runs.get(i))
        .filter_map(|run| plane(&run.direction))
        .map(|(x, y)| {
            let (col, row) = grid.cell(x, y);
            (row, col)
        })
        .collect();
    for label in place_labels(grid, &labels, &heads) {
        let style = Style::new()
            .fg(theme.reference_color(label.norm))
            .add_modifier(Modifier::BOLD);
        let (x, y) = grid.point(label.col, label.row);
        ctx.print(x, y, TextLine::styled(label.text, style));
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

    #[test]
    fn labels_a_degree_apart_are_stacked_not_overwritten() {
        let (a, b) = (45_f64.to_radians(), 46_f64.to_radians());
        let labels = [
            ("ℓ2", a.cos() * 1.12, a.sin() * 1.12, MarginNorm::L2),
            (
                "ℓ2+b",
                b.cos() * 1.12,
                b.sin() * 1.12,
                MarginNorm::L2Intercept,
            ),
        ];
        let placed = place_labels(GRID, &labels, &[]);
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[1].row, placed[0].row - 1, "{placed:?}");
        // A single row has no room to stack: the two names merge.
        let flat = Grid { rows: 1, ..GRID };
        let placed = place_labels(flat, &labels, &[]);
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].text, "ℓ2/ℓ2+b");
        // A run head on the preferred cell pushes the label a row out, unless another label
        // wants that row: then it sits just right of the head.
        let (col, row) = GRID.cell(labels[0].1, labels[0].2);
        let placed = place_labels(GRID, &labels[..1], &[(row, col)]);
        assert_eq!((placed[0].row, placed[0].col), (row - 1, col));
        let above = (
            "ℓ∞",
            labels[0].1,
            GRID.point(col, row - 1).1,
            MarginNorm::Linf,
        );
        let placed = place_labels(GRID, &[labels[0], above], &[(row, col)]);
        assert_eq!((placed[0].row, placed[0].col), (row, col + 1), "{placed:?}");
        assert_eq!(placed[1].row, row - 1);
    }
}
