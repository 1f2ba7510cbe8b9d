//! Bounded series of fixed-width records, shared by headless traces and the dashboard.
//!
//! Runs last from ten steps to 10⁹, so nothing may grow with the horizon. Two spacings cover
//! what users look at: log-spaced (the direction of w changes fastest early and converges like
//! 1/log t, so every decade deserves the same number of points) and linear with halving (the
//! singular values are sampled every `svd_every` steps; when the buffer is full every other point
//! is dropped and the stride doubles, as Burn's training dashboard does).

/// How a [`History`] decides which steps to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spacing {
    /// Keep steps on a geometric grid with this many points per decade (every step early on).
    Log {
        /// Points per decade of steps.
        per_decade: f64,
    },
    /// Keep every `stride`-th step.
    Linear {
        /// Distance between kept steps.
        stride: u64,
    },
}

/// The next step after `step` on a log grid with `per_decade` points per decade: every step
/// while the grid is denser than one per step, then geometric. Also used to schedule traces.
#[must_use]
pub fn next_log_step(step: u64, per_decade: f64) -> u64 {
    let ratio = 10f64.powf(1.0 / per_decade);
    let geometric = (step as f64 * ratio).ceil();
    if geometric >= u64::MAX as f64 {
        return u64::MAX;
    }
    (geometric as u64).max(step + 1)
}

/// A bounded series of `(step, record)` pairs where every record has the same width.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    width: usize,
    capacity: usize,
    spacing: Spacing,
    next_step: u64,
    steps: Vec<u64>,
    values: Vec<f64>,
}

impl History {
    /// An empty history of records of `width` values holding at most `capacity` (≥ 4) of them.
    #[must_use]
    pub fn new(width: usize, capacity: usize, spacing: Spacing) -> Self {
        let capacity = capacity.max(4);
        Self {
            width,
            capacity,
            spacing,
            next_step: 0,
            steps: Vec::with_capacity(capacity + 1),
            values: Vec::with_capacity((capacity + 1) * width),
        }
    }

    /// True when `step` should be recorded: cheap enough to ask every step.
    #[must_use]
    pub fn wants(&self, step: u64) -> bool {
        step >= self.next_step
    }

    /// Records `record` at `step` if the spacing wants it; thins the series when full.
    pub fn offer(&mut self, step: u64, record: &[f64]) {
        if !self.wants(step) {
            return;
        }
        debug_assert_eq!(record.len(), self.width);
        self.steps.push(step);
        self.values.extend_from_slice(record);
        if self.steps.len() > self.capacity {
            self.thin();
        }
        self.next_step = match self.spacing {
            Spacing::Log { per_decade } => next_log_step(step, per_decade),
            Spacing::Linear { stride } => (step / stride + 1).saturating_mul(stride),
        };
    }

    /// Drops every other record (keeping the first and the newest) and halves the density.
    fn thin(&mut self) {
        let last = self.steps.len() - 1;
        let keep: Vec<usize> = (0..=last).filter(|&i| i % 2 == 0 || i == last).collect();
        let mut steps = Vec::with_capacity(self.capacity + 1);
        let mut values = Vec::with_capacity((self.capacity + 1) * self.width);
        for &i in &keep {
            steps.push(self.steps[i]);
            values.extend_from_slice(self.record(i));
        }
        self.steps = steps;
        self.values = values;
        self.spacing = match self.spacing {
            Spacing::Log { per_decade } => Spacing::Log {
                per_decade: per_decade / 2.0,
            },
            Spacing::Linear { stride } => Spacing::Linear {
                stride: stride.saturating_mul(2),
            },
        };
    }

    /// Number of records held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when nothing has been recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Values per record.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// The step of record `i`.
    #[must_use]
    pub fn step(&self, i: usize) -> u64 {
        self.steps[i]
    }

    /// Record `i`.
    #[must_use]
    pub fn record(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// All `(step, record)` pairs, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &[f64])> + '_ {
        self.steps
            .iter()
            .copied()
            .zip(self.values.chunks_exact(self.width.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_grid_is_dense_early_then_geometric() {
        let mut step = 0;
        let mut grid = vec![];
        while step < 1_000_000 {
            grid.push(step);
            step = next_log_step(step, 20.0);
        }
        assert_eq!(&grid[..5], &[0, 1, 2, 3, 4]);
        // ≈ 20 per decade after the dense start: far fewer than a million points.
        assert!(grid.len() < 20 * 6 + 20, "{}", grid.len());
        let ratios: Vec<f64> = grid
            .windows(2)
            .filter(|w| w[0] > 1000)
            .map(|w| w[1] as f64 / w[0] as f64)
            .collect();
        assert!(ratios.iter().all(|r| (r - 10f64.powf(0.05)).abs() < 1e-3));
    }

    #[test]
    fn log_history_stays_bounded_for_a_billion_steps() {
        let mut history = History::new(1, 64, Spacing::Log { per_decade: 32.0 });
        let mut step = 0;
        while step < 1_000_000_000 {
            history.offer(step, &[step as f64]);
            step = if history.wants(step + 1) {
                step + 1
            } else {
                (step + 1).max(step * 11 / 10)
            };
        }
        assert!(history.len() <= 65);
        assert_eq!(history.step(0), 0);
        assert!(history.iter().all(|(s, r)| r[0] == s as f64));
        assert!(
            history
                .iter()
                .map(|(s, _)| s)
                .collect::<Vec<_>>()
                .is_sorted()
        );
    }

    #[test]
    fn linear_history_halves_and_doubles_its_stride() {
        let mut history = History::new(2, 8, Spacing::Linear { stride: 10 });
        for step in 0..=1000 {
            history.offer(step, &[step as f64, -(step as f64)]);
        }
        assert!(history.len() <= 9);
        let steps: Vec<u64> = history.iter().map(|(s, _)| s).collect();
        assert_eq!(steps[0], 0);
        // After thinning, kept steps are multiples of a doubled stride.
        assert!(steps.iter().all(|s| s % 10 == 0), "{steps:?}");
        assert!(*steps.last().unwrap() >= 800, "{steps:?}");
        assert_eq!(history.record(1), &[steps[1] as f64, -(steps[1] as f64)]);
    }
}
