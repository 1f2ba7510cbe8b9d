//! A thin SVD that is checked before it is trusted, with a Jacobi fallback: nalgebra's fast SVD
//! is occasionally wrong on exactly the low-rank matrices the references produce, and both the
//! KKT polish and singular-value thresholding build on it.

use nalgebra::{DMatrix, DVector, SVD};

/// A thin SVD A = U diag(s) Vᵀ with s descending: U is m×k, `v_t` is k×n, k = min(m, n).
pub(super) struct Svd {
    pub(super) u: DMatrix<f64>,
    pub(super) s: Vec<f64>,
    pub(super) v_t: DMatrix<f64>,
}

impl Svd {
    /// The SVD of a non-empty finite matrix. nalgebra's Golub–Kahan SVD is fast but, in 0.35,
    /// sometimes returns wrong singular values and vectors for matrices with (near-)zero singular
    /// values (dimforge/nalgebra#1072, #1211) — exactly the low-rank matrices the references make.
    /// So its answer is checked (`Σsᵢ² = ‖A‖²_F` and `A·p = UΣVᵀ·p` for two fixed probes p) and, when
    /// the check fails, replaced by a one-sided Jacobi SVD.
    pub(super) fn new(a: &DMatrix<f64>) -> Option<Self> {
        let (m, n) = a.shape();
        if a.is_empty() || a.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let fast =
            SVD::try_new(a.clone(), true, true, f64::EPSILON, 100 * (m + n)).and_then(|svd| {
                let (u, v_t) = (svd.u?, svd.v_t?);
                Some(Svd {
                    u,
                    s: svd.singular_values.iter().copied().collect(),
                    v_t,
                })
            });
        match fast {
            Some(svd) if svd.reproduces(a) => Some(svd),
            _ => Self::jacobi(a).filter(|svd| svd.reproduces(a)),
        }
    }

    /// Whether this decomposition really is one of `a`, to a few hundred ulps.
    fn reproduces(&self, a: &DMatrix<f64>) -> bool {
        let norm = a.norm();
        let squares: f64 = self.s.iter().map(|s| s * s).sum();
        let descending = self.s.windows(2).all(|w| w[0] >= w[1]);
        if !descending
            || self.s.iter().any(|s| !(s.is_finite() && *s >= 0.0))
            || (squares - norm * norm).abs() > 1e-12 * norm * norm
        {
            return false;
        }
        let n = a.ncols();
        [0.7, 1.9].iter().all(|&phase| {
            let probe = DVector::from_fn(n, |j, _| (phase + 1.3 * j as f64).sin());
            let direct = a * &probe;
            let mut inner = &self.v_t * &probe;
            for (value, s) in inner.iter_mut().zip(&self.s) {
                *value *= s;
            }
            let through = &self.u * inner;
            (direct - through).norm() <= 1e-11 * norm * probe.norm() + f64::MIN_POSITIVE
        })
    }

    /// One-sided (Hestenes) Jacobi: rotate column pairs of A (made tall) until all are orthogonal
    /// to working precision; the column norms are then the singular values. Slower than
    /// Golub–Kahan but simple and accurate even for tiny singular values.
    #[allow(
        clippy::many_single_char_names,
        reason = "the notation of the Jacobi rotation"
    )]
    fn jacobi(a: &DMatrix<f64>) -> Option<Self> {
        let wide = a.nrows() < a.ncols();
        let mut g = if wide { a.transpose() } else { a.clone() };
        let (rows, k) = g.shape();
        let mut v = DMatrix::<f64>::identity(k, k);
        for _ in 0..80 {
            let mut rotated = false;
            for p in 0..k {
                for q in p + 1..k {
                    let alpha = g.column(p).norm_squared();
                    let beta = g.column(q).norm_squared();
                    let gamma = g.column(p).dot(&g.column(q));
                    if gamma.abs() <= 1e-15 * (alpha * beta).sqrt() || gamma == 0.0 {
                        continue;
                    }
                    rotated = true;
                    let zeta = (beta - alpha) / (2.0 * gamma);
                    let t = zeta.signum() / (zeta.abs() + zeta.hypot(1.0));
                    let c = 1.0 / t.hypot(1.0);
                    let s = c * t;
                    rotate_columns(&mut g, p, q, c, s);
                    rotate_columns(&mut v, p, q, c, s);
                }
            }
            if !rotated {
                break;
            }
        }
        let mut order: Vec<usize> = (0..k).collect();
        let norms: Vec<f64> = (0..k).map(|j| g.column(j).norm()).collect();
        order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]));
        let sorted_g = DMatrix::from_fn(rows, k, |i, j| g[(i, order[j])]);
        let sorted_v = DMatrix::from_fn(k, k, |i, j| v[(i, order[j])]);
        // QR of the (mutually orthogonal) columns gives left vectors that stay orthonormal even
        // where a column is tiny or zero, with |R_jj| the column norm.
        let qr = sorted_g.qr();
        let (mut q, r) = (qr.q(), qr.r());
        let s: Vec<f64> = (0..k).map(|j| r[(j, j)].abs()).collect();
        for j in 0..k {
            if r[(j, j)] < 0.0 {
                q.column_mut(j).neg_mut();
            }
        }
        // Tall: A = Q Σ Vᵀ. Wide: Aᵀ = Q Σ Vᵀ, so A = V Σ Qᵀ.
        let (u, v_t) = if wide {
            (sorted_v, q.transpose())
        } else {
            (q, sorted_v.transpose())
        };
        let svd = Svd { u, s, v_t };
        let finite = svd
            .u
            .iter()
            .chain(svd.v_t.iter())
            .chain(&svd.s)
            .all(|x| x.is_finite());
        finite.then_some(svd)
    }

    /// Σ max(sᵢ − τ, 0) uᵢvᵢᵀ: singular-value thresholding once the SVD is known.
    pub(super) fn shrunk(&self, tau: f64) -> DMatrix<f64> {
        let mut out = DMatrix::zeros(self.u.nrows(), self.v_t.ncols());
        for (k, &sigma) in self.s.iter().enumerate() {
            if sigma > tau {
                out.ger(
                    sigma - tau,
                    &self.u.column(k),
                    &self.v_t.row(k).transpose(),
                    1.0,
                );
            }
        }
        out
    }

    /// Least-squares solution of A x = b with singular values below `cutoff` treated as zero.
    pub(super) fn solve(&self, b: &DVector<f64>, cutoff: f64) -> DVector<f64> {
        let mut inner = self.u.transpose() * b;
        for (value, &s) in inner.iter_mut().zip(&self.s) {
            *value = if s > cutoff { *value / s } else { 0.0 };
        }
        self.v_t.transpose() * inner
    }
}

/// Applies the rotation (c, s) to columns p and q of `m`: (p, q) ← (c·p − s·q, s·p + c·q).
fn rotate_columns(matrix: &mut DMatrix<f64>, p: usize, q: usize, cos: f64, sin: f64) {
    for i in 0..matrix.nrows() {
        let (first, second) = (matrix[(i, p)], matrix[(i, q)]);
        matrix[(i, p)] = cos * first - sin * second;
        matrix[(i, q)] = sin * first + cos * second;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::data::{gaussian_matrix, low_rank};
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn checked_svd_is_a_decomposition_even_where_nalgebra_slips() {
        // Exact low-rank matrices, among which nalgebra 0.35's SVD gets some wrong, plus random
        // tall and wide ones; each is checked against its own definition.
        let mut rng = StdRng::seed_from_u64(2);
        let mut cases: Vec<DMatrix<f64>> = (0..200)
            .map(|s| low_rank(12, 1 + (s % 3) as usize, 0.6, s).target)
            .collect();
        for _ in 0..20 {
            let (m, n) = (rng.random_range(1..9), rng.random_range(1..9));
            cases.push(gaussian_matrix(m, n, 1.0, &mut rng));
        }
        cases.push(DMatrix::zeros(3, 4));
        for a in &cases {
            for svd in [Svd::new(a).unwrap(), Svd::jacobi(a).unwrap()] {
                let k = a.nrows().min(a.ncols());
                assert_eq!(
                    (svd.u.shape(), svd.s.len(), svd.v_t.shape()),
                    ((a.nrows(), k), k, (k, a.ncols()))
                );
                let sigma = DMatrix::from_diagonal(&DVector::from_vec(svd.s.clone()));
                let error = (&svd.u * sigma * &svd.v_t - a).norm();
                assert!(
                    error <= 1e-12 * a.norm().max(1.0),
                    "reconstruction off by {error:e}"
                );
                let identity = DMatrix::<f64>::identity(k, k);
                assert!((svd.u.transpose() * &svd.u - &identity).amax() < 1e-13);
                assert!((&svd.v_t * svd.v_t.transpose() - &identity).amax() < 1e-13);
                assert!(svd.s.windows(2).all(|w| w[0] >= w[1]) && svd.s.iter().all(|&s| s >= 0.0));
            }
        }
    }
}
