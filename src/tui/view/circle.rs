//! The unit circle: each run's normalised trajectory w/‖w‖ and the reference directions.
//!
//! This is the picture the article is about: whatever the start, gradient descent's direction
//! snaps onto the ℓ2 max-margin arrow. Trails come from the run's log-spaced history, so the
//! early curve is as detailed after a billion steps as after a thousand. The start is marked
//! `○`, the head shows the run number (highlighted), references are labelled arrows. For d > 2
//! the first two coordinates are drawn and the title says it is a projection.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Block;
use ratatui::widgets::canvas::{Canvas, Circle, Context, Line};

use super::super::theme::{Theme, reference_label};
use crate::core::experiment::{LinearSnapshot, RunStatus};
use crate::core::reference::ReferenceError;

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
            format!(" run {}: {} ", one + 1, linear.runs[*one].optimizer.label())
        }
        _ => " directions w/‖w‖ ".to_owned(),
    };
    if linear.dim > 2 {
        title.push_str("(projection on w₁,w₂) ");
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
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([-x_reach, x_reach])
        .y_bounds([-y_reach, y_reach])
        .paint(|ctx| paint(ctx, linear, runs, theme));
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

fn paint(ctx: &mut Context, linear: &LinearSnapshot, runs: &[usize], theme: Theme) {
    ctx.draw(&Circle {
        x: 0.0,
        y: 0.0,
        radius: 1.0,
        color: theme.faint_color(),
    });
    ctx.layer();
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
        let style = Style::new().fg(color).add_modifier(Modifier::BOLD);
        ctx.print(
            x * 1.12 - 0.05,
            y * 1.12,
            TextLine::styled(reference_label(*norm), style),
        );
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
