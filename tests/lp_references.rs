//! The ℓP max-margin references (`l3`, `l1.5`, …) certified by their KKT conditions, written
//! here independently of the solver: for min ‖w‖_P s.t. yᵢ⟨w, xᵢ⟩ ≥ 1, the gradient
//! sign(w)|w|^{P−1} (∇‖w‖_P up to a positive factor) must be Σᵢ λᵢ yᵢxᵢ over the tight points
//! with λ ≥ 0, and every margin ≥ 1. In 2-D also against a brute-force scan of directions.

use implicit_bias::core::data::LinearData;
use implicit_bias::core::reference::{MarginNorm, max_margin};

/// A deterministic stream of numbers in [−1, 1) (a 64-bit LCG), so the data need no RNG crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// `n` points in `dim` dimensions labelled by a fixed plane through the origin, none closer to it
/// than 0.2: separable, with a generic set of support points.
fn separable(dim: usize, n: usize, seed: u64) -> LinearData {
    let mut lcg = Lcg(seed);
    let normal: Vec<f64> = (0..dim).map(|j| 1.0 + 0.3 * j as f64).collect();
    let (mut points, mut labels) = (vec![], vec![]);
    while labels.len() < n {
        let x: Vec<f64> = (0..dim).map(|_| 2.0 * lcg.next()).collect();
        let side: f64 = x.iter().zip(&normal).map(|(a, b)| a * b).sum();
        if side.abs() >= 0.2 {
            labels.push(side.signum());
            points.extend(x);
        }
    }
    LinearData {
        dim,
        points,
        labels,
    }
}

/// Solves the square system `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    x
}

/// Checks the KKT conditions of the ℓP problem at `w` (scaled so the least margin is 1).
fn assert_kkt(data: &LinearData, p: f64, w: &[f64]) {
    let rows: Vec<Vec<f64>> = (0..data.len())
        .map(|i| data.point(i).iter().map(|x| data.labels[i] * x).collect())
        .collect();
    let margins: Vec<f64> = rows
        .iter()
        .map(|z| z.iter().zip(w).map(|(a, b)| a * b).sum())
        .collect();
    assert!(
        margins.iter().all(|&m| m >= 1.0 - 1e-12),
        "feasible: {margins:?}"
    );
    let tight: Vec<usize> = (0..rows.len())
        .filter(|&i| margins[i] <= 1.0 + 1e-9)
        .collect();
    assert!(
        !tight.is_empty() && tight.len() <= data.dim,
        "tight {tight:?}"
    );
    let gradient: Vec<f64> = w
        .iter()
        .map(|v| v.signum() * v.abs().powf(p - 1.0))
        .collect();
    // Least squares for λ over the tight rows: (Z_T Z_Tᵀ) λ = Z_T u.
    let gram = tight
        .iter()
        .map(|&a| {
            tight
                .iter()
                .map(|&b| rows[a].iter().zip(&rows[b]).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect();
    let rhs = tight
        .iter()
        .map(|&a| rows[a].iter().zip(&gradient).map(|(x, y)| x * y).sum())
        .collect();
    let lambda = solve(gram, rhs);
    let scale = gradient.iter().map(|v| v.abs()).fold(0.0, f64::max);
    for (l, _) in lambda.iter().zip(&tight) {
        assert!(*l >= -1e-12 * scale, "multipliers ≥ 0: {lambda:?}");
    }
    for (j, g) in gradient.iter().enumerate() {
        let combined: f64 = tight
            .iter()
            .zip(&lambda)
            .map(|(&i, l)| l * rows[i][j])
            .sum();
        assert!(
            (g - combined).abs() <= 1e-10 * scale,
            "stationarity {j}: {g} vs {combined}"
        );
    }
}

#[test]
fn lp_references_satisfy_their_kkt_conditions_in_two_to_five_dimensions() {
    // Tolerances: feasibility 1e-12, stationarity 1e-10 relative, multipliers ≥ −1e-12.
    // Many points (as many tight as dimensions) and few (fewer tight than dimensions, where
    // ℓP differs from ℓ2).
    for (dim, n, seed) in [(2, 40, 1), (3, 40, 2), (5, 40, 3), (3, 2, 5), (5, 4, 6)] {
        let data = separable(dim, n, seed);
        for p in [1.5, 3.0, 4.5] {
            let norm = MarginNorm::lp(p).unwrap();
            let reference = max_margin(&data, norm, false)
                .unwrap_or_else(|e| panic!("d={dim} n={n} p={p}: {e}"));
            assert_kkt(&data, p, &reference.solution);
            let length: f64 = reference.direction.iter().map(|v| v * v).sum::<f64>();
            assert!((length - 1.0).abs() < 1e-14, "a unit vector");
        }
    }
}

#[test]
fn lp_references_agree_with_a_brute_force_scan_in_two_dimensions() {
    // Max over 10⁶ directions u of minᵢ⟨u, zᵢ⟩/‖u‖_P: the best scanned angle is within one grid
    // step (3.6e-4°) of the reference's.
    let data = separable(2, 30, 9);
    for p in [1.5, 3.0] {
        let reference = max_margin(&data, MarginNorm::lp(p).unwrap(), false).unwrap();
        let steps = 1_000_000;
        let best = (0..steps)
            .map(|k| std::f64::consts::TAU * k as f64 / steps as f64)
            .map(|a| {
                let u = [a.cos(), a.sin()];
                let norm = (u[0].abs().powf(p) + u[1].abs().powf(p)).powf(1.0 / p);
                let least = (0..data.len())
                    .map(|i| {
                        let x = data.point(i);
                        data.labels[i] * (u[0] * x[0] + u[1] * x[1]) / norm
                    })
                    .fold(f64::INFINITY, f64::min);
                (least, a)
            })
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .unwrap()
            .1;
        let got = reference.direction[1]
            .atan2(reference.direction[0])
            .rem_euclid(std::f64::consts::TAU);
        assert!(
            (got - best).abs() < 2.0 * std::f64::consts::TAU / steps as f64,
            "p={p}"
        );
    }
}

#[test]
fn l2_is_still_the_euclidean_reference_and_lp_differs_from_it() {
    // P = 2 is the ℓ2 problem itself; P = 3 is a different direction when fewer points are
    // tight than there are dimensions (4 points in 5-D).
    let data = separable(5, 4, 4);
    assert_eq!(MarginNorm::lp(2.0), Some(MarginNorm::L2));
    let l2 = max_margin(&data, MarginNorm::L2, false).unwrap();
    let l3 = max_margin(&data, MarginNorm::lp(3.0).unwrap(), false).unwrap();
    let cos: f64 = l2
        .direction
        .iter()
        .zip(&l3.direction)
        .map(|(a, b)| a * b)
        .sum();
    assert!(cos < 1.0 - 1e-6, "ℓ3 differs from ℓ2");
}
