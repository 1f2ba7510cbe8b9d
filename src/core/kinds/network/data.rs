//! The network kind's synthetic data.

use crate::core::data::RegressionData;

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

#[cfg(test)]
mod tests {
    use super::*;

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
