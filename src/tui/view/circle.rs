//! The unit circle: each run's normalised trajectory w/‖w‖ and the reference directions.
//!
//! This is the picture the article is about: whatever the start, gradient descent's direction
//! snaps onto the ℓ2 max-margin arrow. Trails come from the run's log-spaced history, so the
//! early curve is as detailed after a billion steps as after a thousand. The start is marked
//! `○`, the head shows the run number (highlighted), references are labelled arrows. For d > 2
//! the first two coordinates are drawn and the title says it is a projection.
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

use super::super::theme::{Theme, reference_label};
use crate::core::experiment::{LinearSnapshot, RunStatus};
use crate::core::reference::{MarginNorm, ReferenceError};

/// Canvas half-height in data units: the circle (radius 1) plus room for labels.
const REACH: f64 = 1.3;

/// Draws the circle for the runs listed in `runs` (all of them in overlay layout).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    linear: &LinearSnapshot,
    runs: &[usize],
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
    // Braille gives 2×4 dots per cell and a cell is about twice as tall as wide, so equal data
    // spans need x_span / width = y_span / (2 · height) for the circle to look round.
    let (w, h) = (f64::from(inner.width), f64::from(inner.height));
    let (mut x_reach, mut y_reach) = (REACH * w / (2.0 * h), REACH);
    if x_reach < REACH {
        y_reach = REACH * REACH / x_reach;
        x_reach = REACH;
    }
    let grid = Grid {
        cols: i32::from(inner.width),
        rows: i32::from(inner.height),
        x_reach,
        y_reach,
    };
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([-x_reach, x_reach])
        .y_bounds([-y_reach, y_reach])
        .paint(|ctx| paint(ctx, linear, runs, grid, theme));
    frame.render_widget(canvas, area);
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
    x_reach: f64,
    y_reach: f64,
}

impl Grid {
    /// The cell ratatui prints a label at (x, y) in (same arithmetic as the canvas).
    fn cell(self, x: f64, y: f64) -> (i32, i32) {
        let col = ((x + self.x_reach) * f64::from(self.cols - 1) / (2.0 * self.x_reach)).floor();
        let row = ((self.y_reach - y) * f64::from(self.rows - 1) / (2.0 * self.y_reach)).floor();
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
        let x = -self.x_reach
            + inset(col, self.cols - 1) * 2.0 * self.x_reach / f64::from(self.cols - 1);
        let y = self.y_reach
            - inset(row, self.rows - 1) * 2.0 * self.y_reach / f64::from(self.rows - 1);
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

fn paint(ctx: &mut Context, linear: &LinearSnapshot, runs: &[usize], grid: Grid, theme: Theme) {
    ctx.draw(&Circle {
        x: 0.0,
        y: 0.0,
        radius: 1.0,
        color: theme.faint_color(),
    });
    ctx.layer();
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
                x2: x + 0.12 * c,
                y2: y + 0.12 * s,
                color,
            });
        }
        labels.push((reference_label(*norm), x * 1.12 - 0.05, y * 1.12, *norm));
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
    ctx.layer();
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
        x_reach: 1.6,
        y_reach: 1.3,
    };

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
