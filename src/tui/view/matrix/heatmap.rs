//! Heat maps of M*, the chosen run's M and their difference M − M*, with the observation mask
//! overlaid and a legend.
//!
//! One diverging ramp for all three, symmetric about 0 on one scale (max |M*|): negative blue,
//! zero neutral, positive red, so a recovered matrix shows a blank difference rather than
//! amplified noise, and M reads against M* cell for cell. Each entry is a cell (two side by side
//! when there is room, so the map is about square), its value the cell's background; held-out
//! entries (the ones the optimizer never sees) carry a dot, so where M − M* lights up tells
//! whether the error is on observed entries (training) or held-out ones (generalisation).
//! Under `NO_COLOR` the value is a shade (`░▒▓█` by magnitude) on observed entries and a dot
//! that grows with magnitude (`·•●`) on held-out ones; the legend at the bottom says which is
//! which and gives the scale.
//!
//! Entries are never sampled: a map taller or wider than its pane shows a window of whole rows
//! and columns, and the border says which (`rows 1–16 of 20 · PgDn`), so no row goes missing
//! unannounced. PgUp and PgDn move the window.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use nalgebra::DMatrix;

use crate::core::kinds::matrix::MatrixSnapshot;
use crate::tui::theme::Theme;
use crate::tui::view::{Shown, number};

/// One value per step of the ramp (on v / scale), for the legend: full and light blue,
/// neutral, light and full red.
const RAMP_STEPS: [f64; 5] = [-1.0, -0.3, 0.0, 0.3, 1.0];

/// Draws the three maps side by side for the chosen run, from row `first_row` down (clamped
/// so the window is full).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    matrix: &MatrixSnapshot,
    shown: Shown,
    first_row: usize,
    theme: Theme,
) {
    let scale = matrix
        .target
        .iter()
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let mut block = Block::bordered()
        .title(format!(" M*  ·  M (run {})  ·  M − M* ", shown.run + 1))
        .title_bottom(legend(scale, theme))
        .border_style(theme.border(shown.focused));
    let (rows, cols) = matrix.target.shape();
    let inner = block.inner(area);
    let window = Window::of(inner, rows, cols, first_row);
    if let Some(note) = window.note(rows, cols) {
        block = block.title(Line::styled(note, theme.note()).right_aligned());
    }
    frame.render_widget(block, area);
    let Some(run) = matrix.runs.get(shown.run) else {
        return;
    };
    if inner.width < 9 || inner.height < 2 || run.product.shape() != matrix.target.shape() {
        return;
    }
    // A mask of another shape (never from the engine) is not drawn rather than misread.
    let mask = (matrix.mask.shape() == matrix.target.shape()).then_some(&matrix.mask);
    let difference = &run.product - &matrix.target;
    let maps: [(&str, &DMatrix<f64>); 3] = [
        ("M*", &matrix.target),
        ("M", &run.product),
        ("M − M*", &difference),
    ];
    let columns = Layout::horizontal([Constraint::Fill(1); 3])
        .spacing(1)
        .split(inner);
    for ((label, values), column) in maps.iter().zip(columns.iter()) {
        let [title, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(*column);
        frame.render_widget(Paragraph::new(*label).style(theme.faint()), title);
        paint(frame.buffer_mut(), body, values, mask, scale, window, theme);
    }
}

/// The rows and columns of the matrices that fit, one entry per cell (two cells wide when the
/// whole width fits so): a window, never a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    first_row: usize,
    rows: usize,
    cols: usize,
    cell_width: usize,
}

impl Window {
    /// The window for maps of `rows` × `cols` in `inner` (three maps side by side, a title
    /// row each), starting at `first_row` (clamped so the window is full).
    fn of(inner: Rect, rows: usize, cols: usize, first_row: usize) -> Self {
        let map_width = usize::from(inner.width.saturating_sub(2)) / 3;
        let cell_width = if map_width >= 2 * cols { 2 } else { 1 };
        let shown_rows = usize::from(inner.height.saturating_sub(1)).min(rows);
        Self {
            first_row: first_row.min(rows - shown_rows.min(rows)),
            rows: shown_rows,
            cols: (map_width / cell_width).min(cols),
            cell_width,
        }
    }

    /// `rows 1–16 of 20 · PgDn` (and the columns), when the window does not hold it all.
    fn note(self, rows: usize, cols: usize) -> Option<String> {
        let mut parts = vec![];
        if self.rows < rows {
            let last = self.first_row + self.rows;
            let keys = match (self.first_row > 0, last < rows) {
                (true, true) => " · PgUp PgDn",
                (false, true) => " · PgDn",
                (true, false) => " · PgUp",
                (false, false) => "",
            };
            parts.push(format!(
                "rows {}–{last} of {rows}{keys}",
                self.first_row + 1
            ));
        }
        if self.cols < cols {
            parts.push(format!("columns 1–{} of {cols}", self.cols));
        }
        (!parts.is_empty()).then(|| format!(" {} ", parts.join(" · ")))
    }
}

/// The legend for the bottom border: the ramp with its ends (colour), or the glyphs (none).
fn legend(scale: f64, theme: Theme) -> Line<'static> {
    let end = number(scale);
    if theme.color {
        let mut spans = vec![Span::raw(format!(" −{end} "))];
        spans.extend(
            RAMP_STEPS
                .iter()
                .map(|&v| Span::styled(" ", Style::new().bg(shade_color(v)))),
        );
        spans.push(Span::raw(format!(" +{end} · held out ")));
        Line::from(spans)
    } else {
        Line::from(format!(" |v| 0 ░▒▓█ {end} observed · • ● held out "))
    }
}

/// Paints the `window` of `values` into `area`, one entry per cell (two cells wide when they
/// fit).
fn paint(
    buf: &mut Buffer,
    area: Rect,
    values: &DMatrix<f64>,
    mask: Option<&DMatrix<f64>>,
    scale: f64,
    window: Window,
    theme: Theme,
) {
    let (rows, cols) = values.shape();
    if rows == 0 || cols == 0 || area.width == 0 || area.height == 0 {
        return;
    }
    let cell_width = window.cell_width;
    let width = window.cols.min(usize::from(area.width) / cell_width);
    let height = window.rows.min(usize::from(area.height));
    for y in 0..height {
        let row = window.first_row + y;
        for x in 0..width {
            let col = x;
            let value = values[(row, col)] / scale;
            let observed = mask.is_none_or(|m| m[(row, col)] != 0.0);
            for part in 0..cell_width {
                let position = (area.x + (x * cell_width + part) as u16, area.y + y as u16);
                let Some(cell) = buf.cell_mut(position) else {
                    continue;
                };
                let first = part == 0;
                if theme.color {
                    let background = shade_color(value);
                    cell.set_symbol(if observed || !first { " " } else { "·" });
                    cell.set_style(Style::new().bg(background).fg(dot_color(background)));
                } else if observed {
                    cell.set_symbol(shade_glyph(value));
                } else {
                    cell.set_symbol(if first { dot_glyph(value) } else { " " });
                }
            }
        }
    }
}

/// The ramp's colour for v / scale: neutral for |v| ≤ 0.15, light up to 0.5, full beyond;
/// blue below zero, red above (white for a non-finite entry).
fn shade_color(v: f64) -> Color {
    let magnitude = v.abs();
    if !magnitude.is_finite() {
        Color::White
    } else if magnitude <= 0.15 {
        Color::Black
    } else if magnitude <= 0.5 {
        if v < 0.0 {
            Color::LightBlue
        } else {
            Color::LightRed
        }
    } else if v < 0.0 {
        Color::Blue
    } else {
        Color::Red
    }
}

/// A held-out dot that stands out on `background`.
fn dot_color(background: Color) -> Color {
    match background {
        Color::LightBlue | Color::LightRed | Color::White => Color::Black,
        _ => Color::White,
    }
}

/// Monochrome, observed entry: magnitude as a shade glyph (`!` for a non-finite entry).
fn shade_glyph(v: f64) -> &'static str {
    let m = v.abs();
    if !m.is_finite() {
        "!"
    } else if m < 0.1 {
        " "
    } else if m < 0.3 {
        "░"
    } else if m < 0.6 {
        "▒"
    } else if m < 0.9 {
        "▓"
    } else {
        "█"
    }
}

/// Monochrome, held-out entry: a dot growing with magnitude (`!` for a non-finite entry).
fn dot_glyph(v: f64) -> &'static str {
    let m = v.abs();
    if !m.is_finite() {
        "!"
    } else if m < 0.3 {
        "·"
    } else if m < 0.6 {
        "•"
    } else {
        "●"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_that_cannot_hold_the_matrix_says_which_rows_it_shows() {
        // 20×20 maps in 5 body rows (plus the title row) and 3 × 25 columns.
        let inner = Rect::new(0, 0, 77, 6);
        let top = Window::of(inner, 20, 20, 0);
        assert_eq!((top.first_row, top.rows, top.cols), (0, 5, 20));
        assert_eq!(top.note(20, 20).as_deref(), Some(" rows 1–5 of 20 · PgDn "));
        let bottom = Window::of(inner, 20, 20, 99);
        assert_eq!(bottom.first_row, 15, "clamped to a full window");
        assert_eq!(
            bottom.note(20, 20).as_deref(),
            Some(" rows 16–20 of 20 · PgUp ")
        );
        // Room for everything: no note.
        let all = Window::of(Rect::new(0, 0, 130, 30), 20, 20, 0);
        assert_eq!((all.rows, all.cols, all.cell_width), (20, 20, 2));
        assert_eq!(all.note(20, 20), None);
    }

    #[test]
    fn the_ramp_is_symmetric_about_zero_blue_below_red_above() {
        // Mirror pairs get the mirrored hue at the same intensity (the ramp read independently:
        // light for 0.15 < |v| ≤ 0.5, full beyond).
        let mirror = |c: Color| match c {
            Color::Blue => Color::Red,
            Color::LightBlue => Color::LightRed,
            Color::LightRed => Color::LightBlue,
            Color::Red => Color::Blue,
            other => other,
        };
        for v in [0.0, 0.05, 0.14, 0.2, 0.49, 0.51, 0.9, 1.0, 3.0] {
            assert_eq!(shade_color(-v), mirror(shade_color(v)), "{v}");
        }
        assert_eq!(shade_color(0.0), Color::Black);
        assert_eq!(shade_color(0.3), Color::LightRed);
        assert_eq!(shade_color(-0.3), Color::LightBlue);
        assert_eq!(shade_color(0.8), Color::Red);
        assert_eq!(shade_color(-0.8), Color::Blue);
        assert_eq!(shade_color(f64::NAN), Color::White);
    }
}
