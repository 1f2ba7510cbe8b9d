//! The network kind's data: Chebyshev targets (1-D regression, the edge-of-stability setting),
//! two moons (the standard 2-D two-class set) and CSV files a user brings.
//!
//! Every set is a [`RegressionData`]: n points of d inputs and one real target each, ±1 for the
//! two classes (the logistic loss reads them as labels, the squared loss as targets).

use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::NetworkLoss;
use crate::core::data::{DataError, RegressionData, load_regression_csv};

/// `points` inputs equally spaced in [−1, 1] (both ends included; one point sits at 0) with
/// targets T_degree(x), the Chebyshev polynomial: a smooth 1-D target that oscillates
/// `degree` times, the setting in which Cohen et al. show the edge of stability.
#[must_use]
pub fn chebyshev(points: usize, degree: u32) -> RegressionData {
    let xs: Vec<f64> = (0..points)
        .map(|i| {
            if points == 1 {
                0.0
            } else {
                -1.0 + 2.0 * i as f64 / (points - 1) as f64
            }
        })
        .collect();
    let targets = xs.iter().map(|&x| chebyshev_t(degree, x)).collect();
    RegressionData {
        dim: 1,
        points: xs,
        targets,
        planted: None,
    }
}

/// T_n(x) by the three-term recurrence T₀ = 1, T₁ = x, T_{k+1} = 2x T_k − T_{k−1}.
fn chebyshev_t(degree: u32, x: f64) -> f64 {
    let (mut previous, mut current) = (1.0, x);
    if degree == 0 {
        return previous;
    }
    for _ in 1..degree {
        (previous, current) = (current, 2.0 * x * current - previous);
    }
    current
}

/// Two interleaving half circles in the plane, scikit-learn's `make_moons` without its
/// shuffle: the first ⌊points/2⌋ points lie on the upper moon (cos t, sin t), labelled −1, the
/// others on the lower one (1 − cos t, ½ − sin t), labelled +1, t equally spaced in [0, π] on
/// each (both ends included). Then each coordinate gets `noise`·N(0, 1), drawn point after point
/// (x₁ then x₂) from a generator seeded with `seed`: the same seed, the same points.
///
/// The classes are not linearly separable but a small network separates them: the standard
/// picture of a nonlinear decision boundary.
#[must_use]
pub fn moons(points: usize, noise: f64, seed: u64) -> RegressionData {
    let upper = points / 2;
    let lower = points - upper;
    let angle = |i: usize, count: usize| {
        if count <= 1 {
            0.0
        } else {
            std::f64::consts::PI * i as f64 / (count - 1) as f64
        }
    };
    let mut xs = Vec::with_capacity(2 * points);
    let mut targets = Vec::with_capacity(points);
    for i in 0..upper {
        let t = angle(i, upper);
        xs.extend([t.cos(), t.sin()]);
        targets.push(-1.0);
    }
    for i in 0..lower {
        let t = angle(i, lower);
        xs.extend([1.0 - t.cos(), 0.5 - t.sin()]);
        targets.push(1.0);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for x in &mut xs {
        let z: f64 = StandardNormal.sample(&mut rng);
        *x += noise * z;
    }
    RegressionData {
        dim: 2,
        points: xs,
        targets,
        planted: None,
    }
}

/// Loads a network's data from a CSV with header `x1,...,xd,y` (d ≥ 1): y real for the squared
/// loss, −1 or 1 for the logistic loss.
///
/// # Errors
/// As [`load_regression_csv`] (file, line and cell for a missing file, bad header, ragged rows,
/// cells that are not finite numbers), and for the logistic loss a y other than ±1, with its line.
pub fn load_network_csv(path: &Path, loss: NetworkLoss) -> Result<RegressionData, DataError> {
    let data = load_regression_csv(path)?;
    if loss == NetworkLoss::Logistic
        && let Some(index) = data.targets.iter().position(|&y| y != 1.0 && y != -1.0)
    {
        return Err(DataError {
            path: Some(path.to_path_buf()),
            line: data_line(path, index),
            message: format!(
                "column {}: y = {} but the logistic loss needs labels -1 or 1; use ±1 labels \
                 or loss = \"squared\"",
                data.dim + 1,
                data.targets[index]
            ),
        });
    }
    Ok(data)
}

/// The 1-based file line of data row `index` (0-based, after the header), counted as the CSV
/// reader counts them: blank lines skipped.
fn data_line(path: &Path, index: usize) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start_matches('\u{feff}').trim().is_empty())
        .nth(index + 1)
        .map(|(number, _)| number + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moons_lie_on_their_half_circles_without_noise() {
        let data = moons(7, 0.0, 1);
        assert_eq!(data.len(), 7);
        assert_eq!(data.targets, [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0]);
        for i in 0..3 {
            let p = data.point(i);
            assert!(
                (p[0].hypot(p[1]) - 1.0).abs() < 1e-15 && p[1] >= 0.0,
                "{p:?}"
            );
        }
        for i in 3..7 {
            let p = data.point(i);
            assert!(((p[0] - 1.0).hypot(p[1] - 0.5) - 1.0).abs() < 1e-15 && p[1] <= 0.5);
        }
        assert_eq!(moons(40, 0.1, 3), moons(40, 0.1, 3));
        assert_ne!(moons(40, 0.1, 3), moons(40, 0.1, 4));
    }

    #[test]
    fn chebyshev_targets_are_cos_of_n_arccos() {
        let data = chebyshev(20, 6);
        assert_eq!(data.len(), 20);
        assert_eq!(data.points[0], -1.0);
        assert_eq!(data.points[19], 1.0);
        for (&x, &y) in data.points.iter().zip(&data.targets) {
            assert!((y - (6.0 * x.acos()).cos()).abs() < 1e-12, "T6({x}) = {y}");
        }
        assert_eq!(chebyshev(3, 0).targets, vec![1.0, 1.0, 1.0]);
    }
}
