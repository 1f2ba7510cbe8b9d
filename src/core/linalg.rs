//! The few vector and matrix helpers every layer needs (norms, directions, angles, spectra),
//! written once so the engine, the references' checks, the JSON and the views agree.

use nalgebra::DMatrix;

/// ⟨a, b⟩, the model's own inner product (it lives beside the gradients it serves).
pub use super::model::dot;

/// ‖v‖₂ without overflow or underflow for extreme magnitudes.
#[must_use]
pub fn norm2(v: &[f64]) -> f64 {
    if v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    let scale = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|x| (x / scale).powi(2)).sum::<f64>().sqrt()
}

/// v/‖v‖₂; the zero vector stays zero and a non-finite one gives NaNs (no direction to show).
#[must_use]
pub fn unit(v: &[f64]) -> Vec<f64> {
    let norm = norm2(v);
    if norm == 0.0 {
        return vec![0.0; v.len()];
    }
    if !norm.is_finite() {
        return vec![f64::NAN; v.len()];
    }
    v.iter().map(|x| x / norm).collect()
}

/// The angle between two unit vectors in degrees, accurate near 0° and 180° (unlike acos):
/// 2·atan2(‖a − b‖, ‖a + b‖).
#[must_use]
pub fn angle_degrees(a: &[f64], b: &[f64]) -> f64 {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let sum: Vec<f64> = a.iter().zip(b).map(|(x, y)| x + y).collect();
    2.0 * norm2(&diff).atan2(norm2(&sum)).to_degrees()
}

/// All singular values of `m`, descending (NaN-free input assumed; NaNs sort last).
#[must_use]
pub fn singular_values(m: &DMatrix<f64>) -> Vec<f64> {
    if m.iter().any(|v| !v.is_finite()) {
        return vec![f64::NAN; m.nrows().min(m.ncols())];
    }
    let mut values: Vec<f64> = m.singular_values().iter().copied().collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// Roy and Vetterli's effective rank exp(H(p)), pᵢ = σᵢ/Σσ: 1 for a rank-1 matrix, r for r
/// equal singular values, and continuous in between (0 for the zero matrix, NaN for a diverged
/// one).
#[must_use]
pub fn effective_rank(singular_values: &[f64]) -> f64 {
    let total: f64 = singular_values.iter().sum();
    if !total.is_finite() {
        return f64::NAN;
    }
    if total <= 0.0 {
        return 0.0;
    }
    let entropy: f64 = singular_values
        .iter()
        .map(|s| s / total)
        .filter(|&p| p > 0.0)
        .map(|p| -p * p.ln())
        .sum();
    entropy.exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_and_ranks_of_diverged_values_are_nan() {
        assert!(norm2(&[1.0, f64::NAN]).is_nan());
        assert!(effective_rank(&[1.0, f64::NAN]).is_nan());
        assert_eq!(effective_rank(&[0.0, 0.0]), 0.0);
        assert!((effective_rank(&[2.0, 2.0]) - 2.0).abs() < 1e-15);
        assert!(unit(&[f64::INFINITY, 1.0]).iter().all(|v| v.is_nan()));
    }
}
