//! Half-block heat maps of M*, the current M and their difference M − M*.
//!
//! One shared colour scale (max |M*|) for all three, so a recovered matrix shows a blank
//! difference rather than amplified noise. With colour each cell is `▀` with two entries (upper
//! in the foreground, lower in the background); under `NO_COLOR` each entry is a shade glyph by
//! magnitude, so the structure still reads in monochrome.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Paragraph};

use nalgebra::DMatrix;

use super::super::theme::Theme;
use crate::core::experiment::MatrixSnapshot;

/// Draws the three maps side by side (the first run's M).
pub fn render(frame: &mut Frame, area: Rect, matrix: &MatrixSnapshot, focused: bool, theme: Theme) {
    let block = Block::bordered()
        .title(" M*  ·  M (run 1)  ·  M − M* ")
        .border_style(theme.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(run) = matrix.runs.first() else {
        return;
    };
    if inner.width < 9 || inner.height < 2 || run.product.shape() != matrix.target.shape() {
        return;
    }
    let scale = matrix
        .target
        .iter()
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
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
        paint(frame.buffer_mut(), body, values, scale, theme);
    }
}

/// Paints `values` into `area`, sampled down (never up) to fit.
fn paint(buf: &mut Buffer, area: Rect, values: &DMatrix<f64>, scale: f64, theme: Theme) {
    let (rows, cols) = values.shape();
    if rows == 0 || cols == 0 || area.width == 0 || area.height == 0 {
        return;
    }
    let width = (area.width as usize).min(cols);
    let pixel_rows_per_cell = if theme.color { 2 } else { 1 };
    let height = (area.height as usize).min(rows.div_ceil(pixel_rows_per_cell));
    let pixel_rows = (height * pixel_rows_per_cell).min(rows);
    let sample = |py: usize, px: usize| -> f64 {
        let r = (py * rows / pixel_rows).min(rows - 1);
        let c = (px * cols / width).min(cols - 1);
        values[(r, c)] / scale
    };
    for y in 0..height {
        for x in 0..width {
            let Some(cell) = buf.cell_mut((area.x + x as u16, area.y + y as u16)) else {
                continue;
            };
            if theme.color {
                let upper = sample(2 * y, x);
                let lower = if 2 * y + 1 < pixel_rows {
                    Some(sample(2 * y + 1, x))
                } else {
                    None
                };
                cell.set_symbol("▀");
                let mut style = Style::new().fg(shade_color(upper));
                if let Some(lower) = lower {
                    style = style.bg(shade_color(lower));
                }
                cell.set_style(style);
            } else {
                cell.set_symbol(shade_glyph(sample(y, x)));
            }
        }
    }
}

/// Five-level diverging scale from the 16-colour palette.
fn shade_color(v: f64) -> Color {
    if !v.is_finite() {
        Color::White
    } else if v < -0.5 {
        Color::Blue
    } else if v < -0.15 {
        Color::LightBlue
    } else if v <= 0.15 {
        Color::Black
    } else if v <= 0.5 {
        Color::LightRed
    } else {
        Color::Red
    }
}

/// Monochrome: magnitude as a shade glyph (`!` for a non-finite entry).
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
