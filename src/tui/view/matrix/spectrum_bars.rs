//! The current spectrum of each run beside the min-nuclear-norm reference spectrum.
//!
//! Gunasekar et al.'s claim made checkable: with a small start the bars of U Vᵀ line up with the
//! convex min-‖·‖* completion's. Horizontal bars with eighth-block ends keep small singular
//! values visible; a reference whose solver did not converge says "not converged", and one that
//! was skipped (a matrix too large for the exact solver) says so where the reference would be.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::core::kinds::matrix::MatrixSnapshot;
use crate::tui::theme::Theme;
use crate::tui::view::number;

const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// Draws the bars (σ1 first, as many as fit).
pub fn render(frame: &mut Frame, area: Rect, matrix: &MatrixSnapshot, focused: bool, theme: Theme) {
    let mut block = Block::bordered().border_style(theme.border(focused));
    let with_reference = if area.width >= 40 {
        " spectrum now vs min-‖·‖* reference "
    } else {
        " σ now vs min-‖·‖* ref "
    };
    block = match matrix.reference.solved() {
        Some(reference) if !reference.converged => block
            .title(with_reference)
            .title_bottom(Line::styled(" reference not converged ", theme.note())),
        Some(_) => block.title(with_reference),
        None => block.title(" spectrum now "),
    };
    if matrix.reference.is_skipped() {
        let (m, n) = matrix.target.shape();
        let note = if area.width >= 44 {
            format!(" min-‖·‖* reference skipped: {m}×{n} too large ")
        } else {
            " reference skipped: too large ".to_owned()
        };
        block = block.title_bottom(Line::styled(note, theme.note()));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 16 || inner.height == 0 {
        return;
    }
    let reference = matrix
        .reference
        .solved()
        .map(|r| r.singular_values.as_slice());
    let per_sigma = matrix.runs.len() + usize::from(reference.is_some());
    let available = inner.height as usize / per_sigma.max(1);
    let count = matrix
        .runs
        .iter()
        .map(|r| r.singular_values.len())
        .chain(reference.map(<[f64]>::len))
        .max()
        .unwrap_or(0)
        .min(available.max(1));
    let top = matrix
        .runs
        .iter()
        .flat_map(|r| r.singular_values.iter().take(count).copied())
        .chain(
            reference
                .into_iter()
                .flat_map(|r| r.iter().take(count).copied()),
        )
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    // "σ10 " + "■1 " + bar + " 12.34".
    let bar_width = inner.width.saturating_sub(4 + 4 + 10) as usize;
    let mut lines = Vec::new();
    for sigma in 0..count {
        for (index, run) in matrix.runs.iter().enumerate() {
            let value = run.singular_values.get(sigma).copied().unwrap_or(f64::NAN);
            let label = if index == 0 {
                format!("σ{:<3}", sigma + 1)
            } else {
                " ".repeat(4)
            };
            lines.push(bar_line(
                label,
                Span::styled(format!("■{:<2} ", index + 1), theme.run(index)),
                value,
                top,
                bar_width,
                theme.run(index),
            ));
        }
        if let Some(reference) = reference {
            let value = reference.get(sigma).copied().unwrap_or(0.0);
            // The solver's zeros come out as 1e-15-ish noise: show them as the 0 they are.
            let value = if value.abs() < top * 1e-9 { 0.0 } else { value };
            let label = if matrix.runs.is_empty() {
                format!("σ{:<3}", sigma + 1)
            } else {
                " ".repeat(4)
            };
            lines.push(bar_line(
                label,
                Span::raw("ref "),
                value,
                top,
                bar_width,
                theme.faint(),
            ));
        }
    }
    lines.truncate(inner.height as usize);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn bar_line(
    label: String,
    who: Span<'static>,
    value: f64,
    top: f64,
    width: usize,
    style: Style,
) -> Line<'static> {
    Line::from(vec![
        Span::raw(label),
        who,
        Span::styled(bar(value / top, width), style),
        Span::raw(format!(" {}", number(value))),
    ])
}

/// A bar of `fraction` × `width` cells, to an eighth of a cell, padded to `width`.
fn bar(fraction: f64, width: usize) -> String {
    let eighths = if fraction.is_finite() {
        (fraction.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize
    } else {
        0
    };
    let mut text = "█".repeat(eighths / 8);
    text.push_str(EIGHTHS[eighths % 8]);
    let used = eighths / 8 + usize::from(eighths % 8 > 0);
    text.push_str(&" ".repeat(width.saturating_sub(used)));
    text
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars_are_exact_to_an_eighth_and_padded() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(bar(1.0 / 32.0, 4), "▏   ");
        assert_eq!(bar(f64::NAN, 2), "  ");
    }
}
