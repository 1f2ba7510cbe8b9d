//! The run table of a linear experiment: loss, ‖w‖, margin, angle to each reference, gap·ln t,
//! status.
//!
//! The numbers behind the picture: ‖w‖ growing like log t while the loss falls and the angle to
//! ℓ2 shrinks is the theorem in one row. `gap·ln t` (the angle to ℓ2 in radians times ln t) is the
//! theorem's rate made checkable: Soudry et al. give w(t) = ŵ·ln t + ρ(t) with ρ bounded, so the
//! angle decays like C/ln t and this product levels off at C for a run on that rate. A frozen or
//! diverged run says so with its step. `→theory` is the live angle to the run's predicted target
//! (the reference its theorem names, computed even when the preset does not list it; `–` where
//! no theorem applies). Narrow terminals drop the least telling columns first (→theory, which
//! repeats a listed angle, then margin, ‖w‖ and loss) so angles, the rate and the status stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Table, TableState};

use crate::core::kinds::RunStatus;
use crate::core::kinds::linear::{LinearRunSnapshot, LinearSnapshot};
use crate::core::reference::MarginNorm;
use crate::tui::theme::{Theme, reference_label};
use crate::tui::view::number;
use crate::tui::view::table::{self, Column, status_cell};

/// The angle to ℓ2 in radians times ln t, when it means something (a moving run, t ≥ 2).
#[must_use]
pub fn gap_times_log_t(angle_degrees: f64, step: u64, status: RunStatus) -> Option<f64> {
    (status.is_ok() && step >= 2 && angle_degrees.is_finite())
        .then(|| angle_degrees.to_radians() * (step as f64).ln())
}

/// Three significant digits, no exponent for the range this product lives in.
fn compact(x: f64) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    let magnitude = x.abs();
    if magnitude >= 1000.0 || (magnitude < 0.01 && magnitude > 0.0) {
        format!("{x:.1e}")
    } else if magnitude >= 100.0 {
        format!("{x:.0}")
    } else if magnitude >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// An angle with its `°` in at most 7 columns (the angle column's width): 4 significant digits
/// from 0.1° up, `0.0123°` below, then scientific (`3.2e-4°`, `5e-12°`), so a run close to its
/// reference never loses the sign to the column's edge.
#[must_use]
pub fn degrees(x: f64) -> String {
    let magnitude = x.abs();
    let digits = if !x.is_finite() || magnitude == 0.0 || magnitude >= 0.1 {
        number(x)
    } else if magnitude >= 0.01 {
        format!("{x:.4}")
    } else {
        let one_decimal = format!("{x:.1e}");
        if one_decimal.chars().count() <= 6 {
            one_decimal
        } else {
            format!("{x:.0e}")
        }
    };
    format!("{digits}°")
}

/// The angle from `run` to the reference `norm` (NaN when it has none).
fn angle_to(run: &LinearRunSnapshot, norm: MarginNorm) -> f64 {
    run.angles
        .iter()
        .find(|(n, _)| *n == norm)
        .map_or(f64::NAN, |a| a.1)
}

/// `→theory`: each run's predicted target and the live angle to it (`–` where no theorem
/// applies). It repeats one of the angle columns, so it is the first to go when space is short.
fn theory_column(runs: &[LinearRunSnapshot]) -> Column<'static> {
    Column {
        header: "→theory".to_owned(),
        width: 11,
        drop_rank: 4,
        cells: runs
            .iter()
            .map(|r| match r.predicted {
                Some(norm) => Cell::from(format!(
                    "{} {}",
                    reference_label(norm),
                    degrees(angle_to(r, norm))
                )),
                None => Cell::from("–"),
            })
            .collect(),
    }
}

/// Every column the table could show, before any is dropped for width.
fn all_columns(linear: &LinearSnapshot, step: u64, theme: Theme) -> Vec<Column<'static>> {
    let references: Vec<_> = linear
        .references
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(norm, _)| *norm)
        .collect();
    let runs = &linear.runs;
    let names: Vec<String> = runs.iter().map(|r| r.optimizer.label()).collect();
    let name_width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 3;
    let mut columns = vec![
        Column {
            header: "run".to_owned(),
            width: name_width.max(6) as u16,
            drop_rank: 0,
            cells: runs
                .iter()
                .zip(&names)
                .enumerate()
                .map(|(index, (_, name))| {
                    Cell::from(Line::from(vec![
                        Span::styled(format!("■{} ", index + 1), theme.run(index)),
                        Span::raw(name.clone()),
                    ]))
                })
                .collect(),
        },
        Column {
            header: "loss".to_owned(),
            width: 9,
            drop_rank: 1,
            cells: runs.iter().map(|r| Cell::from(number(r.loss))).collect(),
        },
        Column {
            header: "‖w‖".to_owned(),
            width: 8,
            drop_rank: 2,
            cells: runs.iter().map(|r| Cell::from(number(r.norm))).collect(),
        },
        Column {
            header: "margin".to_owned(),
            width: 9,
            drop_rank: 3,
            cells: runs.iter().map(|r| Cell::from(number(r.margin))).collect(),
        },
    ];
    for norm in &references {
        columns.push(Column {
            header: format!("∠{}", reference_label(*norm)),
            width: 7,
            drop_rank: 0,
            cells: runs
                .iter()
                .map(|r| Cell::from(degrees(angle_to(r, *norm))))
                .collect(),
        });
    }
    columns.push(theory_column(runs));
    if references.contains(&MarginNorm::L2) {
        columns.push(Column {
            header: "gap·ln t".to_owned(),
            width: 8,
            drop_rank: 0,
            cells: runs
                .iter()
                .map(|r| {
                    gap_times_log_t(angle_to(r, MarginNorm::L2), step, r.status)
                        .map_or_else(|| Cell::from("–"), |v| Cell::from(compact(v)))
                })
                .collect(),
        });
    }
    let status_width = runs
        .iter()
        .map(|r| match r.status.step() {
            Some(s) => r.status.name().len() + 3 + s.to_string().len(),
            None => 2,
        })
        .max()
        .unwrap_or(2)
        .max(6) as u16;
    columns.push(Column {
        header: "status".to_owned(),
        width: status_width,
        drop_rank: 0,
        cells: runs.iter().map(|r| status_cell(r.status, theme)).collect(),
    });
    columns
}

/// Draws the table; `step` is the experiment's step (for ln t). `chosen` is the run to
/// highlight, given while the table has the focus (the arrows then move it).
pub fn render(
    frame: &mut Frame,
    area: Rect,
    linear: &LinearSnapshot,
    step: u64,
    chosen: Option<usize>,
    theme: Theme,
) {
    let focused = chosen.is_some();
    let runs = &linear.runs;
    let mut columns = all_columns(linear, step, theme);
    table::fit(&mut columns, area.width.saturating_sub(2));
    let (header, widths, rows) = table::assemble(columns);
    // Rows inside the borders, less the header.
    let visible = usize::from(area.height.saturating_sub(3));
    let (offset, hidden) = table::window(runs.len(), visible, chosen);
    let title = format!(
        " runs · {} loss{} ",
        linear.loss.name(),
        if linear.bias {
            " · with intercept"
        } else {
            ""
        }
    );
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    if let Some(note) = hidden {
        block = block.title(Line::styled(note, theme.note()).right_aligned());
    }
    let table = Table::new(rows, widths)
        .header(header.style(theme.strong()))
        .column_spacing(1)
        .block(block)
        .style(Style::new())
        .row_highlight_style(theme.chosen());
    let mut state = TableState::new().with_offset(offset).with_selected(chosen);
    frame.render_stateful_widget(table, area, &mut state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_times_log_t_is_radians_times_ln_t_for_moving_runs_only() {
        let v = gap_times_log_t(180.0 / std::f64::consts::PI, 1000, RunStatus::Ok).unwrap();
        assert!((v - 1000_f64.ln()).abs() < 1e-12);
        assert!(gap_times_log_t(10.0, 1, RunStatus::Ok).is_none());
        assert!(gap_times_log_t(10.0, 100, RunStatus::Frozen { step: 3 }).is_none());
        assert_eq!(compact(2.3456), "2.35");
        assert_eq!(compact(23.456), "23.5");
    }

    #[test]
    fn small_angles_keep_their_degree_sign_and_value() {
        for angle in [
            179.9, 45.0, 1.5, 0.1, 0.099_99, 0.05, 0.012_34, 0.009_99, 1.2e-3, 3e-7, 5.2e-12, 0.0,
        ] {
            let text = degrees(angle);
            assert!(text.ends_with('°') && text.chars().count() <= 7, "{text}");
            // Read back, it is the angle to the digits shown (relative 5%: one digit at worst).
            let shown: f64 = text.trim_end_matches('°').parse().expect("a number");
            assert!(
                (shown - angle).abs() <= 0.05 * angle,
                "{angle} shown as {text}"
            );
        }
    }
}
