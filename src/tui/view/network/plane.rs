//! The scalar network's (a, b) plane, in place of the fit when the network is f(x) = a·b·x with
//! the squared loss: its exact minima, the curve ab = c, faint; each run's path of (a, b) in its
//! colour with its start `○` and its current point numbered; and for each run whose threshold τ
//! bounds λmax(H) (GD, SGD, momentum, mirror with p = 2) the circle a² + b² = τ/m dotted in its
//! colour. The sharpness at a minimum is m(a² + b²), so the arc of the curve inside a run's
//! circle is where that run can settle and the crossing is its edge of stability. Adam's and
//! RMSprop's thresholds bound λmax(P⁻¹H) with a P that moves as they run, so they get no circle.
//!
//! The view frames every path and where gradient flow from each run's current point would end
//! on the curve ([`ScalarNet::flow_limit`]), so the curve is in sight from step 0; a and b have
//! the same scale (the circles are round), and the bottom border gives both ranges.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::canvas::{Canvas, Context, Line, Points};
use ratatui::widgets::{Block, Widget};

use crate::core::kinds::RunStatus;
use crate::core::kinds::network::{NetworkRunSnapshot, NetworkSnapshot, ScalarNet};
use crate::tui::theme::Theme;
use crate::tui::view::number;

/// Most dots of one circle: a tiny step's circle can be far larger than the view.
const MOST_DOTS: usize = 20_000;

/// The (a, b) plane of a scalar network's runs.
pub struct Plane<'a> {
    /// The experiment.
    pub snapshot: &'a NetworkSnapshot,
    /// Its minima.
    pub net: ScalarNet,
    /// Whether the pane has the focus.
    pub focused: bool,
    /// The colours.
    pub theme: Theme,
}

impl Widget for Plane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut block = Block::bordered()
            .title(self.title(area.width))
            .border_style(self.theme.border(self.focused));
        let inner = block.inner(area);
        if inner.width < 4 || inner.height < 2 {
            block.render(area, buf);
            return;
        }
        let view = View::framing(self.snapshot, self.net, inner);
        if let Some(ranges) = view.ranges(area.width) {
            block = block.title_bottom(TextLine::styled(ranges, self.theme.faint()));
        }
        Canvas::default()
            .block(block)
            .marker(Marker::Braille)
            .x_bounds(view.a)
            .y_bounds(view.b)
            .paint(|ctx| self.paint(ctx, view))
            .render(area, buf);
    }
}

impl Plane<'_> {
    /// The longest title that fits `width`: the curve, the sharpness on it, the dots' meaning.
    fn title(&self, width: u16) -> String {
        let curve = format!("ab = {}", compact(self.net.slope));
        let sharpness = match compact(self.net.mean_square) {
            one if one == "1" => "a²+b²".to_owned(),
            m => format!("{m}(a²+b²)"),
        };
        [
            format!(" minima {curve}, sharpness {sharpness} · ⠂ 2/η per run "),
            format!(" minima {curve} · sharpness {sharpness} · ⠂ 2/η "),
            format!(" minima {curve} · ⠂ 2/η "),
            format!(" {curve} · ⠂ 2/η "),
            format!(" {curve} "),
        ]
        .into_iter()
        .find(|t| t.chars().count() + 2 <= usize::from(width))
        .unwrap_or_default()
    }

    /// The layers, bottom up: the curve, the circles, the paths; then the text.
    fn paint(&self, ctx: &mut Context, view: View) {
        let theme = self.theme;
        draw_curve(ctx, self.net.slope, view, theme.faint_color());
        ctx.layer();
        for (index, run) in self.snapshot.runs.iter().enumerate() {
            if let Some(radius) = circle_radius(self.net, run) {
                draw_circle(ctx, radius, view, theme.run_color(index));
            }
        }
        ctx.layer();
        let paths: Vec<(usize, Vec<(f64, f64)>)> = self
            .snapshot
            .runs
            .iter()
            .enumerate()
            .map(|(index, run)| (index, path(run)))
            .collect();
        for (index, points) in &paths {
            let color = theme.run_color(*index);
            for pair in points.windows(2) {
                let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
                ctx.draw(&Line::new(x1, y1, x2, y2, color));
            }
        }
        // Text last: starts, then the numbered heads over them (where they are in view: a
        // diverged run's last finite point is far outside).
        for (index, points) in &paths {
            if let Some((x, y)) = points.first().and_then(|&(a, b)| view.label_point(a, b)) {
                ctx.print(x, y, TextLine::styled("○", theme.run(*index)));
            }
        }
        for (index, points) in &paths {
            if let Some((x, y)) = points.last().and_then(|&(a, b)| view.label_point(a, b)) {
                let color = theme.run_color(*index);
                let mut style = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
                if color != Color::Reset {
                    style = style.fg(color);
                }
                let label = Span::styled((index + 1).to_string(), style);
                ctx.print(x, y, TextLine::from(label));
            }
        }
    }
}

/// The radius of run `run`'s stable circle, when its threshold bounds λmax(H) (not Adam's or
/// RMSprop's, which bound λmax(P⁻¹H)).
fn circle_radius(net: ScalarNet, run: &NetworkRunSnapshot) -> Option<f64> {
    if run.preconditioned_sharpness.is_some() {
        return None;
    }
    let radius = net.stable_radius(run.threshold?);
    radius.is_finite().then_some(radius)
}

/// A run's (a, b) over time from its history, then where it is now; empty for a run that is not
/// the scalar network. Non-finite points (a diverged run's) are left out.
fn path(run: &NetworkRunSnapshot) -> Vec<(f64, f64)> {
    let Some(head) = run.factors() else {
        return Vec::new();
    };
    let mut points: Vec<(f64, f64)> = run
        .history
        .named()
        .iter()
        .map(|r| (r.a, r.b))
        .chain(std::iter::once(head))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    points.dedup();
    points
}

/// The curve ab = c over the view: each branch as short segments, half a braille dot apart in
/// a (the canvas clips what leaves the view); with c = 0 the minima are both axes.
fn draw_curve(ctx: &mut Context, slope: f64, view: View, color: Color) {
    let [left, right] = view.a;
    let samples = 4 * view.columns.max(1);
    let at = |i: usize| left + (right - left) * i as f64 / samples as f64;
    for i in 0..samples {
        let (a1, a2) = (at(i), at(i + 1));
        // Not across the asymptote a = 0.
        if a1 * a2 <= 0.0 {
            continue;
        }
        ctx.draw(&Line::new(a1, slope / a1, a2, slope / a2, color));
    }
    if slope == 0.0 {
        ctx.draw(&Line::new(left, 0.0, right, 0.0, color));
        ctx.draw(&Line::new(0.0, view.b[0], 0.0, view.b[1], color));
    }
}

/// The circle a² + b² = `radius`² as dots about two cells apart, where it crosses the view.
fn draw_circle(ctx: &mut Context, radius: f64, view: View, color: Color) {
    let corners = [view.a[0], view.a[1]]
        .into_iter()
        .flat_map(|a| [view.b[0], view.b[1]].map(|b| a.hypot(b)));
    let farthest = corners.fold(0.0, f64::max);
    let nearest_a = 0.0_f64.clamp(view.a[0], view.a[1]);
    let nearest_b = 0.0_f64.clamp(view.b[0], view.b[1]);
    if radius > farthest || radius < nearest_a.hypot(nearest_b) {
        return;
    }
    let spacing = 2.0 * (view.a[1] - view.a[0]) / view.columns.max(1) as f64;
    let count = ((std::f64::consts::TAU * radius / spacing).ceil() as usize).clamp(8, MOST_DOTS);
    let dots: Vec<(f64, f64)> = (0..count)
        .map(|i| {
            let (sin, cos) = (std::f64::consts::TAU * i as f64 / count as f64).sin_cos();
            (radius * cos, radius * sin)
        })
        .collect();
    ctx.draw(&Points::new(&dots, color));
}

/// The a and b ranges the canvas shows, and its size in cells.
#[derive(Debug, Clone, Copy)]
struct View {
    a: [f64; 2],
    b: [f64; 2],
    columns: usize,
    rows: usize,
}

impl View {
    /// The box around every run's path and its flow's end, a tenth wider on each side, grown
    /// about its centre until a and b have the same scale on `inner` (a cell is about twice as
    /// tall as wide, so a-span / columns = b-span / (2 · rows)). A diverged run's path, which
    /// went to 1e150 and beyond, is drawn but not framed.
    fn framing(snapshot: &NetworkSnapshot, net: ScalarNet, inner: Rect) -> Self {
        let mut points: Vec<(f64, f64)> = Vec::new();
        let framed = snapshot
            .runs
            .iter()
            .filter(|run| !matches!(run.status, RunStatus::Diverged { .. }));
        for run in framed {
            let path = path(run);
            if let Some(&(a, b)) = path.last() {
                points.push(net.flow_limit(a, b));
            }
            points.extend(path);
        }
        points.retain(|(a, b)| a.is_finite() && b.is_finite());
        if points.is_empty() {
            // No run to frame: the flattest minima, a = ±b = √|c|.
            let root = net.slope.abs().sqrt();
            points = vec![
                (root, net.slope.signum() * root),
                (-root, -net.slope.signum() * root),
            ];
        }
        let low =
            |pick: fn(&(f64, f64)) -> f64| points.iter().map(pick).fold(f64::INFINITY, f64::min);
        let high = |pick: fn(&(f64, f64)) -> f64| {
            points.iter().map(pick).fold(f64::NEG_INFINITY, f64::max)
        };
        let (a, b) = ([low(|p| p.0), high(|p| p.0)], [low(|p| p.1), high(|p| p.1)]);
        // A single point still gets a box: a tenth of its size, or of 1 at the origin.
        let size = points
            .iter()
            .map(|p| p.0.abs().max(p.1.abs()))
            .fold(0.0, f64::max);
        let least = 0.1 * if size > 0.0 { size } else { 1.0 };
        let widen = |bounds: [f64; 2], span: f64| {
            let middle = f64::midpoint(bounds[0], bounds[1]);
            [middle - span / 2.0, middle + span / 2.0]
        };
        let a = widen(a, 1.2 * (a[1] - a[0]).max(least));
        let b = widen(b, 1.2 * (b[1] - b[0]).max(least));
        let (columns, rows) = (f64::from(inner.width), f64::from(inner.height));
        let a_needed = (b[1] - b[0]) * columns / (2.0 * rows);
        let (a, b) = if a_needed >= a[1] - a[0] {
            (widen(a, a_needed), b)
        } else {
            (a, widen(b, (a[1] - a[0]) * 2.0 * rows / columns))
        };
        Self {
            a,
            b,
            columns: usize::from(inner.width),
            rows: usize::from(inner.height),
        }
    }

    /// Where to print a label so that it lands in the cell of the braille dot at (a, b): the
    /// canvas rounds a point to its dot (2 × 4 per cell) but truncates a label's position over
    /// one cell fewer, which can put a run's number a cell away from its path. `None` when
    /// (a, b) is out of view. Needs at least two columns and rows (the pane draws none below
    /// four and two).
    fn label_point(self, a: f64, b: f64) -> Option<(f64, f64)> {
        let inside = |value: f64, [low, high]: [f64; 2]| (low..=high).contains(&value);
        if !inside(a, self.a) || !inside(b, self.b) {
            return None;
        }
        let place = |value: f64, [low, high]: [f64; 2], cells: usize, dots: usize| {
            let dot = ((value - low) * (cells * dots - 1) as f64 / (high - low)).round();
            let cell = (dot as usize / dots).min(cells - 1);
            if cell + 1 >= cells {
                high
            } else {
                low + (cell as f64 + 0.5) * (high - low) / (cells - 1) as f64
            }
        };
        let a = place(a, self.a, self.columns, 2);
        // Rows count down from the top: place the mirror image, then mirror it back.
        let [low, high] = self.b;
        let b = high + low - place(high + low - b, self.b, self.rows, 4);
        Some((a, b))
    }

    /// The bottom border's text, ` a 1.9…3.1 · b 0.2…0.7 ` (digits down to a tenth of the
    /// span; powers of ten from 10⁵), tighter or with a's range alone when that does not fit a
    /// pane `width` wide; `None` when nothing does.
    fn ranges(self, width: u16) -> Option<String> {
        let range = |[low, high]: [f64; 2]| {
            if low.abs().max(high.abs()) >= 1e5 {
                return format!("{low:.1e}…{high:.1e}");
            }
            let decimals = (1 - (high - low).log10().floor() as i32).clamp(0, 6) as usize;
            format!("{low:.decimals$}…{high:.decimals$}")
        };
        let (a, b) = (range(self.a), range(self.b));
        [
            format!(" a {a} · b {b} "),
            format!(" a {a} b {b} "),
            format!("a {a} b {b}"),
            format!(" a {a} "),
        ]
        .into_iter()
        .find(|t| t.chars().count() + 2 <= usize::from(width))
    }
}

/// A number in as few characters as the tables' [`number`] gives it, trailing zeros dropped:
/// `1`, `0.5`, `9.13`.
fn compact(x: f64) -> String {
    let text = number(x);
    if text.contains('.') && !text.contains('e') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cells of `area` the canvas over `view` fills when it paints `paint`.
    fn drawn(view: View, area: Rect, paint: impl Fn(&mut Context)) -> Vec<(u16, u16)> {
        let mut buffer = Buffer::empty(area);
        Canvas::default()
            .marker(Marker::Braille)
            .x_bounds(view.a)
            .y_bounds(view.b)
            .paint(paint)
            .render(area, &mut buffer);
        area.positions()
            .filter(|&p| buffer[p].symbol() != " ")
            .map(|p| (p.x, p.y))
            .collect()
    }

    /// A label placed by `label_point` lands in the cell of the braille dot at the same point,
    /// checked against the canvas itself over a grid of points (corners and edges included);
    /// a point out of view gets no label.
    #[test]
    fn a_label_lands_on_its_dot() {
        let area = Rect::new(0, 0, 24, 9);
        let view = View {
            a: [-1.4, 4.6],
            b: [-1.6, 2.7],
            columns: 24,
            rows: 9,
        };
        for i in 0..=40 {
            for j in 0..=40 {
                let a = -1.4 + 6.0 * f64::from(i) / 40.0;
                let b = -1.6 + 4.3 * f64::from(j) / 40.0;
                let dot = drawn(view, area, |ctx| {
                    ctx.draw(&Points::new(&[(a, b)], Color::Reset));
                });
                let (x, y) = view.label_point(a, b).expect("in view");
                let label = drawn(view, area, |ctx| ctx.print(x, y, "x"));
                assert_eq!(dot, label, "({a}, {b})");
            }
        }
        assert_eq!(view.label_point(4.7, 0.0), None);
        assert_eq!(view.label_point(0.0, -1.7), None);
    }
}
