//! The loss and the sharpness of every run over the steps (linear t: the edge of stability is
//! a plateau in t, not in log t), read from the runs' bounded histories.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, GraphType, Paragraph, Wrap};

use crate::core::kinds::network::{NetworkRecord, NetworkSnapshot};
use crate::tui::theme::Theme;
use crate::tui::view::axis::{braille, nice_ceil, tick};

/// Per run, (step, `value` of its history record) where it is finite; a single point doubled,
/// as one point draws no line.
fn series(s: &NetworkSnapshot, value: impl Fn(&NetworkRecord) -> f64) -> Vec<Vec<(f64, f64)>> {
    s.runs
        .iter()
        .map(|run| {
            let mut points = run.history.points(&value);
            if points.len() == 1 {
                points.push(points[0]);
            }
            points
        })
        .collect()
}

/// The x axis over steps 0..`last`, three labels.
fn step_axis(last: f64, theme: Theme) -> Axis<'static> {
    Axis::default()
        .title("t")
        .style(theme.faint())
        .bounds([0.0, last])
        .labels(vec![
            Span::raw("0"),
            Span::raw(short(last / 2.0)),
            Span::raw(short(last)),
        ])
}

/// A step count in at most five characters: `2500`, `12k`, `1.5M`.
fn short(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e4 => format!("{:.0}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// The last step any run's history reached (at least 1).
fn last_step(lines: &[Vec<(f64, f64)>]) -> f64 {
    lines.iter().flatten().map(|p| p.0).fold(1.0, f64::max)
}

/// A note in place of a chart with nothing to draw.
fn note(frame: &mut Frame, area: Rect, block: Block, text: &str, theme: Theme) {
    let paragraph = Paragraph::new(text.to_owned())
        .wrap(Wrap { trim: true })
        .style(theme.note())
        .block(block);
    frame.render_widget(paragraph, area);
}

/// The loss over t, log₁₀ scale, labelled in powers of ten.
pub fn render_loss(
    frame: &mut Frame,
    area: Rect,
    s: &NetworkSnapshot,
    focused: bool,
    theme: Theme,
) {
    let block = Block::bordered()
        .title(" loss vs t (log) ")
        .border_style(theme.border(focused));
    let lines = series(s, |r| {
        if r.train_loss > 0.0 {
            r.train_loss.log10()
        } else {
            f64::NAN
        }
    });
    if lines.iter().all(Vec::is_empty) {
        note(frame, area, block, "no finite loss yet", theme);
        return;
    }
    let values = || lines.iter().flatten().map(|p| p.1);
    let low = values().fold(f64::INFINITY, f64::min).floor();
    let high = values()
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil()
        .max(low + 1.0);
    let datasets = lines
        .iter()
        .enumerate()
        .map(|(i, points)| braille(points, GraphType::Line, theme.run(i)))
        .collect();
    let label = |e: f64| Line::from(format!("1e{e:.0}"));
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(step_axis(last_step(&lines), theme))
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([low, high])
                .labels(vec![label(low), label(high)]),
        );
    frame.render_widget(chart, area);
}

/// The sharpness over t (the preconditioned one for Adam and RMSprop), each run's threshold as
/// dots in its colour.
pub fn render_sharpness(
    frame: &mut Frame,
    area: Rect,
    s: &NetworkSnapshot,
    focused: bool,
    theme: Theme,
) {
    let title = if area.width >= 40 {
        " sharpness vs t · ⠂ 2/η per run "
    } else {
        " sharpness vs t "
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused));
    if s.sharpness_every == 0 {
        note(
            frame,
            area,
            block,
            "sharpness is off ([show] sharpness_every = 0)",
            theme,
        );
        return;
    }
    let lines = series(s, NetworkRecord::curvature);
    let levels = series(s, |r| r.threshold);
    if lines.iter().all(Vec::is_empty) {
        note(frame, area, block, "no sharpness measured yet", theme);
        return;
    }
    let top = nice_ceil(
        lines
            .iter()
            .chain(&levels)
            .flatten()
            .map(|p| p.1)
            .fold(1e-12, f64::max)
            * 1.1,
    );
    // The thresholds as dots across the chart's width (a schedule moves them over t).
    let last = last_step(&lines);
    let dots: Vec<Vec<(f64, f64)>> = levels
        .iter()
        .map(|level| {
            let count = usize::from(area.width.max(8)) / 2;
            (0..=count)
                .filter_map(|i| {
                    let t = last * i as f64 / count as f64;
                    let at = level.iter().rev().find(|p| p.0 <= t).or(level.first())?;
                    Some((t, at.1))
                })
                .collect()
        })
        .collect();
    let mut datasets: Vec<_> = dots
        .iter()
        .enumerate()
        .map(|(i, points)| braille(points, GraphType::Scatter, theme.run(i)))
        .collect();
    datasets.extend(
        lines
            .iter()
            .enumerate()
            .map(|(i, points)| braille(points, GraphType::Line, theme.run(i))),
    );
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(step_axis(last, theme))
        .y_axis(
            Axis::default()
                .style(theme.faint())
                .bounds([0.0, top])
                .labels(vec![
                    Line::from(tick(0.0)),
                    Line::from(tick(top / 2.0)),
                    Line::from(tick(top)),
                ]),
        );
    frame.render_widget(chart, area);
}
