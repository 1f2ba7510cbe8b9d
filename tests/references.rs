//! Cross-checks of the max-margin references against computations that share nothing with the
//! solver: brute-force scans over the unit sphere of each norm, and the KKT conditions of the
//! SVM solved from scratch by least squares; beyond 2-D, ℓ∞ and ℓ1 optimality by an LP duality
//! certificate whose multipliers come from the dual LP, formulated and solved here. (The nuclear-norm tests, which need the solver's dual
//! matrix for their certificate, sit next to the solver in `src/core/reference.rs`.)

use implicit_bias::core::data::{LinearData, gaussian_clusters};
use implicit_bias::core::reference::{MarginNorm, MaxMarginReference, ReferenceError, max_margin};
use nalgebra::{DMatrix, DVector};

/// Two separable clusters in 2-D around ±(1, 0.6).
fn clusters_2d(seed: u64) -> LinearData {
    gaussian_clusters(12, 0.25, &[1.0, 0.6], seed)
}

/// Margins yᵢ(⟨w, xᵢ⟩ + b) of a solution (w, then b if present).
fn margins(data: &LinearData, solution: &[f64]) -> Vec<f64> {
    let d = data.dim;
    let b = solution.get(d).copied().unwrap_or(0.0);
    (0..data.len())
        .map(|i| {
            let dot: f64 = data
                .point(i)
                .iter()
                .zip(&solution[..d])
                .map(|(x, w)| x * w)
                .sum();
            data.labels[i] * (dot + b)
        })
        .collect()
}

/// KKT conditions of min ½‖w‖² s.t. yᵢ(wᵀx̃ᵢ + b) ≥ 1 for a solution scaled to least margin 1,
/// with multipliers found from scratch: λ solves, by least squares over the points on the margin,
/// w = Σ λᵢ yᵢ x̃ᵢ (and Σ λᵢ yᵢ = 0 when the intercept b is free). Returns the worst violation
/// of feasibility, λ ≥ 0, complementary slackness and stationarity, relative to ‖w‖.
fn kkt_violation(data: &LinearData, solution: &[f64], bias: bool, free_intercept: bool) -> f64 {
    let d = data.dim;
    let margins = margins(data, solution);
    let feasibility = margins
        .iter()
        .map(|&m| (1.0 - m).max(0.0))
        .fold(0.0, f64::max);
    let active: Vec<usize> = (0..data.len())
        .filter(|&i| margins[i] <= 1.0 + 1e-7)
        .collect();
    // Columns yᵢx̃ᵢ for the active points; the unknown is λ.
    let penalised = d + usize::from(bias);
    let rows = penalised + usize::from(free_intercept);
    let a = DMatrix::from_fn(rows, active.len(), |r, c| {
        let i = active[c];
        if r < d {
            data.labels[i] * data.point(i)[r]
        } else {
            data.labels[i]
        }
    });
    let target = DVector::from_fn(rows, |r, _| if r < penalised { solution[r] } else { 0.0 });
    let svd = a.clone().svd(true, true);
    let lambda = svd
        .solve(&target, 1e-12 * svd.singular_values.max())
        .unwrap();
    let scale = target.norm();
    let stationarity = (&a * &lambda - &target).norm() / scale;
    let lambda_max = lambda.amax();
    let negativity = lambda.iter().map(|&l| (-l).max(0.0)).fold(0.0, f64::max) / lambda_max;
    let slackness = active
        .iter()
        .zip(lambda.iter())
        .map(|(&i, &l)| (l / lambda_max) * (margins[i] - 1.0).abs())
        .fold(0.0, f64::max);
    feasibility.max(stationarity).max(negativity).max(slackness)
}

#[test]
fn l2_in_2d_matches_an_angle_scan_and_the_kkt_conditions() {
    for seed in 0..5 {
        let data = clusters_2d(seed);
        let reference = max_margin(&data, MarginNorm::L2, false).unwrap();
        // Brute force: 200 000 unit directions, keep the one with the best least margin.
        let steps = 200_000;
        let (mut best_angle, mut best) = (0.0, f64::NEG_INFINITY);
        for k in 0..steps {
            let angle = std::f64::consts::TAU * k as f64 / steps as f64;
            let u = [angle.cos(), angle.sin()];
            let least = margins(&data, &u).into_iter().fold(f64::INFINITY, f64::min);
            if least > best {
                (best_angle, best) = (angle, least);
            }
        }
        let angle = reference.direction[1].atan2(reference.direction[0]);
        let diff = (angle - best_angle + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
            - std::f64::consts::PI;
        assert!(diff.abs() < 1e-4, "seed {seed}: angle off by {diff:e}");
        assert!((reference.margin - best).abs() < 1e-4 * best, "seed {seed}");
        let violation = kkt_violation(&data, &reference.solution, false, false);
        assert!(
            violation < 1e-8,
            "seed {seed}: KKT violated by {violation:e}"
        );
        assert_unit_and_consistent(&data, &reference);
    }
}

/// The direction is the unit weight part of the solution, and the margin is its least margin.
fn assert_unit_and_consistent(data: &LinearData, reference: &MaxMarginReference) {
    let d = data.dim;
    let norm: f64 = reference
        .direction
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt();
    assert!((norm - 1.0).abs() < 1e-12);
    let w_norm: f64 = reference.solution[..d]
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt();
    for (u, w) in reference.direction.iter().zip(&reference.solution) {
        assert!((u - w / w_norm).abs() < 1e-12);
    }
    let least = margins(data, &reference.solution)
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    assert!((least - 1.0).abs() < 1e-12, "least margin {least}");
    assert!((reference.margin - 1.0 / w_norm).abs() < 1e-12 * reference.margin.abs().max(1.0));
}

#[test]
fn l2_in_5d_and_with_a_bias_satisfy_the_kkt_conditions() {
    let center = [1.0, 0.5, -0.3, 0.2, 0.8];
    for seed in 0..4 {
        let data = gaussian_clusters(20, 0.3, &center, seed);
        let plain = max_margin(&data, MarginNorm::L2, false).unwrap();
        assert!(
            kkt_violation(&data, &plain.solution, false, false) < 1e-8,
            "seed {seed}"
        );
        assert_unit_and_consistent(&data, &plain);
        let biased = max_margin(&data, MarginNorm::L2, true).unwrap();
        assert_eq!(biased.solution.len(), 6);
        assert!(
            kkt_violation(&data, &biased.solution, true, false) < 1e-8,
            "seed {seed}"
        );
        assert_unit_and_consistent(&data, &biased);
    }
}

#[test]
fn l2_intercept_satisfies_the_svm_kkt_conditions() {
    for seed in 0..4 {
        let data = gaussian_clusters(20, 0.4, &[1.0, -0.5, 0.3], seed);
        let reference = max_margin(&data, MarginNorm::L2Intercept, false).unwrap();
        assert_eq!(reference.solution.len(), 4);
        // Independent of `bias`.
        assert_eq!(
            reference,
            max_margin(&data, MarginNorm::L2Intercept, true).unwrap()
        );
        let violation = kkt_violation(&data, &reference.solution, false, true);
        assert!(
            violation < 1e-8,
            "seed {seed}: KKT violated by {violation:e}"
        );
        assert_unit_and_consistent(&data, &reference);
    }
}

#[test]
fn offset_clusters_need_the_intercept() {
    // Both classes on the same ray from the origin, around (7, 7) and (5, 5): separable by a
    // line, never by one through the origin.
    let mut data = gaussian_clusters(15, 0.2, &[1.0, 1.0], 4);
    for i in 0..data.len() {
        data.points[2 * i] += 6.0;
        data.points[2 * i + 1] += 6.0;
    }
    let err = max_margin(&data, MarginNorm::L2, false).unwrap_err();
    assert!(matches!(&err, ReferenceError::NotSeparable(why) if why.contains("bias = true")));
    let reference = max_margin(&data, MarginNorm::L2Intercept, false).unwrap();
    assert!(kkt_violation(&data, &reference.solution, false, true) < 1e-8);
    assert_unit_and_consistent(&data, &reference);
}

/// The best least margin over the unit sphere of a polyhedral norm in 2-D given by its vertices,
/// found exhaustively: along each edge the least margin is concave and piecewise linear, so its
/// maximum is at an end of the edge or where the margins of two points cross.
fn polyhedral_optimum(data: &LinearData, vertices: &[[f64; 2]]) -> f64 {
    let z: Vec<[f64; 2]> = (0..data.len())
        .map(|i| {
            [
                data.labels[i] * data.point(i)[0],
                data.labels[i] * data.point(i)[1],
            ]
        })
        .collect();
    let least = |u: [f64; 2]| {
        z.iter()
            .map(|zi| zi[0] * u[0] + zi[1] * u[1])
            .fold(f64::INFINITY, f64::min)
    };
    let mut best = f64::NEG_INFINITY;
    for (e, &p) in vertices.iter().enumerate() {
        let q = vertices[(e + 1) % vertices.len()];
        let along = [q[0] - p[0], q[1] - p[1]];
        best = best.max(least(p));
        for i in 0..z.len() {
            for j in i + 1..z.len() {
                let diff = [z[i][0] - z[j][0], z[i][1] - z[j][1]];
                let slope = diff[0] * along[0] + diff[1] * along[1];
                if slope.abs() > 1e-300 {
                    let t = -(diff[0] * p[0] + diff[1] * p[1]) / slope;
                    if (0.0..=1.0).contains(&t) {
                        best = best.max(least([p[0] + t * along[0], p[1] + t * along[1]]));
                    }
                }
            }
        }
    }
    best
}

#[test]
fn linf_and_l1_in_2d_reach_the_exhaustive_optimum() {
    let square = [[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]];
    let diamond = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]];
    for seed in 0..6 {
        let data = clusters_2d(seed);
        for (norm, vertices) in [(MarginNorm::Linf, &square), (MarginNorm::L1, &diamond)] {
            let reference = max_margin(&data, norm, false).unwrap();
            let theta = &reference.solution;
            let value = if norm == MarginNorm::Linf {
                theta[0].abs().max(theta[1].abs())
            } else {
                theta[0].abs() + theta[1].abs()
            };
            // γ_p = 1/min‖θ‖_p for θ with all margins ≥ 1.
            let optimum = polyhedral_optimum(&data, vertices);
            assert!(
                (1.0 / value - optimum).abs() < 1e-9 * optimum,
                "seed {seed} {norm:?}: {} vs {optimum}",
                1.0 / value
            );
            // A coarse scan of the sphere agrees, and never beats the exhaustive optimum.
            let mut scanned = f64::NEG_INFINITY;
            for k in 0..20_000 {
                let edge = k % 4;
                let t = (k / 4) as f64 / 5_000.0;
                let (p, q) = (vertices[edge], vertices[(edge + 1) % 4]);
                let u = [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
                scanned = scanned.max(margins(&data, &u).into_iter().fold(f64::INFINITY, f64::min));
            }
            assert!(scanned <= optimum + 1e-12 && scanned > optimum - 1e-3);
            let least = margins(&data, theta)
                .into_iter()
                .fold(f64::INFINITY, f64::min);
            assert!(least >= 1.0 - 1e-12, "infeasible: least margin {least}");
        }
    }
}

#[test]
fn linf_and_l1_tie_break_is_the_least_l2_optimum() {
    // z = (1, 0) and (2, 0): the ℓ∞ optima form the face {θ₁ = 1, |θ₂| ≤ 1}, whose point of least
    // ‖θ‖₂ is (1, 0); the ℓ1 optimum is (1, 0) outright.
    let data = LinearData {
        dim: 2,
        points: vec![1.0, 0.0, 2.0, 0.0],
        labels: vec![1.0, 1.0],
    };
    for norm in [MarginNorm::Linf, MarginNorm::L1] {
        let reference = max_margin(&data, norm, false).unwrap();
        assert!(
            (reference.solution[0] - 1.0).abs() < 1e-9,
            "{norm:?}: {reference:?}"
        );
        assert!(
            reference.solution[1].abs() < 1e-9,
            "{norm:?}: {reference:?}"
        );
    }
    // z = (1, 1): the ℓ1 optima form the edge {θ ≥ 0, θ₁ + θ₂ = 1}; least ℓ2 is its middle.
    let data = LinearData {
        dim: 2,
        points: vec![1.0, 1.0],
        labels: vec![1.0],
    };
    let reference = max_margin(&data, MarginNorm::L1, false).unwrap();
    assert!((reference.solution[0] - 0.5).abs() < 1e-9);
    assert!((reference.solution[1] - 0.5).abs() < 1e-9);
}

#[test]
fn non_separable_data_is_reported_for_every_problem() {
    let overlapping = gaussian_clusters(40, 2.0, &[0.2, 0.1], 1);
    let xor = LinearData {
        dim: 2,
        points: vec![1.0, 1.0, -1.0, -1.0, 1.0, -1.0, -1.0, 1.0],
        labels: vec![1.0, 1.0, -1.0, -1.0],
    };
    for data in [&overlapping, &xor] {
        for norm in MarginNorm::ALL {
            for bias in [false, true] {
                let result = max_margin(data, norm, bias);
                assert!(
                    matches!(result, Err(ReferenceError::NotSeparable(_))),
                    "{norm:?} {bias}: {result:?}"
                );
            }
        }
    }
    let message = max_margin(&xor, MarginNorm::L2Intercept, false)
        .unwrap_err()
        .to_string();
    assert!(!message.contains("bias"), "{message}");
}

#[test]
fn scale_does_not_change_the_direction() {
    let data = gaussian_clusters(15, 0.3, &[1.0, 0.4, -0.7], 2);
    for norm in MarginNorm::ALL {
        for bias in [false, true] {
            let base = max_margin(&data, norm, bias).unwrap();
            for factor in [1e-3, 1e4] {
                let mut scaled = data.clone();
                scaled.points.iter_mut().for_each(|v| *v *= factor);
                let other = max_margin(&scaled, norm, bias).unwrap();
                if !bias || norm == MarginNorm::L2Intercept {
                    // Without a penalised bias the problem is scale-invariant.
                    let diff: f64 = base
                        .direction
                        .iter()
                        .zip(&other.direction)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(diff < 1e-9, "{norm:?} {bias} ×{factor}: {diff:e}");
                    assert!((other.margin / base.margin - factor).abs() < 1e-9 * factor);
                }
                assert!(other.direction.iter().all(|v| v.is_finite()));
                let least = margins(&scaled, &other.solution)
                    .into_iter()
                    .fold(f64::INFINITY, f64::min);
                assert!((least - 1.0).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn awkward_inputs_get_answers_or_clean_errors() {
    let single = LinearData {
        dim: 2,
        points: vec![0.5, -2.0],
        labels: vec![-1.0],
    };
    let one_d = LinearData {
        dim: 1,
        points: vec![1.0, 2.0, -1.5],
        labels: vec![1.0, 1.0, -1.0],
    };
    let one_class = gaussian_clusters(10, 0.3, &[1.0, 1.0], 3);
    let one_class = LinearData {
        dim: 2,
        points: one_class.points[..20].to_vec(),
        labels: one_class.labels[..10].to_vec(),
    };
    let duplicate = LinearData {
        dim: 2,
        points: vec![1.0, 1.0, 1.0, 1.0, -1.0, 0.0],
        labels: vec![1.0, -1.0, -1.0],
    };
    let origin = LinearData {
        dim: 2,
        points: vec![0.0, 0.0, 1.0, 0.0],
        labels: vec![1.0, -1.0],
    };
    let empty = LinearData {
        dim: 2,
        points: vec![],
        labels: vec![],
    };
    for norm in MarginNorm::ALL {
        for bias in [false, true] {
            for data in [&single, &one_d, &one_class, &duplicate, &origin, &empty] {
                match max_margin(data, norm, bias) {
                    Ok(r) => {
                        assert!(r.direction.iter().chain(&r.solution).all(|v| v.is_finite()));
                        assert!(r.margin.is_finite() && r.margin > 0.0);
                    }
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
            }
        }
        // Separable through the origin: a single point, one class, and d = 1 all have answers.
        assert!(max_margin(&single, norm, false).is_ok() || norm == MarginNorm::L2Intercept);
        assert!(max_margin(&one_class, norm, false).is_ok() || norm == MarginNorm::L2Intercept);
        assert!(max_margin(&one_d, norm, false).is_ok());
        assert!(matches!(
            max_margin(&duplicate, norm, false),
            Err(ReferenceError::NotSeparable(_))
        ));
        // A point at the origin has margin 0 through the origin (but not with an intercept).
        assert!(
            matches!(
                max_margin(&origin, norm, false),
                Err(ReferenceError::NotSeparable(_))
            ) || norm == MarginNorm::L2Intercept
        );
    }
    let single_direction = max_margin(&single, MarginNorm::L2, false)
        .unwrap()
        .direction;
    let expected = [-0.5 / 4.25f64.sqrt(), 2.0 / 4.25f64.sqrt()];
    assert!((single_direction[0] - expected[0]).abs() < 1e-12);
    assert!((single_direction[1] - expected[1]).abs() < 1e-12);
}

#[test]
fn large_problems_work() {
    let data = gaussian_clusters(1000, 1.0, &[0.5; 50], 9);
    for norm in MarginNorm::ALL {
        let reference = max_margin(&data, norm, false).unwrap();
        assert_eq!(reference.direction.len(), 50);
        let least = margins(&data, &reference.solution)
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        assert!((least - 1.0).abs() < 1e-9);
    }
    let l2 = max_margin(&data, MarginNorm::L2, false).unwrap();
    assert!(kkt_violation(&data, &l2.solution, false, false) < 1e-8);
}

/// Rows zᵢ = yᵢ x̃ᵢ (x̃ᵢ = (xᵢ, 1) with a bias), the constraint matrix of the max-margin LPs.
fn signed_rows(data: &LinearData, bias: bool) -> Vec<Vec<f64>> {
    (0..data.len())
        .map(|i| {
            let mut row: Vec<f64> = data.point(i).iter().map(|x| data.labels[i] * x).collect();
            if bias {
                row.push(data.labels[i]);
            }
            row
        })
        .collect()
}

/// ‖v‖_p for p = ∞ or 1 (the primal norm of `norm`), or its dual norm when `dual` is set.
fn polyhedral_norm(v: &[f64], norm: MarginNorm, dual: bool) -> f64 {
    let max_norm = (norm == MarginNorm::Linf) != dual;
    if max_norm {
        v.iter().fold(0.0, |m, x| m.max(x.abs()))
    } else {
        v.iter().map(|x| x.abs()).sum()
    }
}

/// The dual LP of min ‖θ‖_p s.t. Zθ ≥ 1, solved here with clarabel from its own formulation:
/// max 1ᵀλ s.t. λ ≥ 0, ‖Zᵀλ‖_q ≤ 1 (q the dual norm: 1 for p = ∞, ∞ for p = 1). For q = 1 the
/// norm is split with t ≥ |Zᵀλ|, Σt ≤ 1. Returns λ.
fn dual_multipliers(z: &[Vec<f64>], norm: MarginNorm) -> Vec<f64> {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT};
    let (n, d) = (z.len(), z[0].len());
    let split = norm == MarginNorm::Linf;
    let nvars = n + if split { d } else { 0 };
    // Rows of A x ≤ b, written densely then packed by column.
    let mut rows: Vec<(Vec<f64>, f64)> = vec![];
    for i in 0..n {
        let mut a = vec![0.0; nvars];
        a[i] = -1.0;
        rows.push((a, 0.0));
    }
    for j in 0..d {
        for sign in [1.0, -1.0] {
            let mut a = vec![0.0; nvars];
            for i in 0..n {
                a[i] = sign * z[i][j];
            }
            if split {
                a[n + j] = -1.0;
                rows.push((a, 0.0));
            } else {
                rows.push((a, 1.0));
            }
        }
    }
    if split {
        let mut a = vec![0.0; nvars];
        a[n..].iter_mut().for_each(|v| *v = 1.0);
        rows.push((a, 1.0));
    }
    let (mut colptr, mut rowval, mut nzval) = (vec![0], vec![], vec![]);
    for j in 0..nvars {
        for (r, (a, _)) in rows.iter().enumerate() {
            if a[j] != 0.0 {
                rowval.push(r);
                nzval.push(a[j]);
            }
        }
        colptr.push(rowval.len());
    }
    let constraints = CscMatrix::new(rows.len(), nvars, colptr, rowval, nzval);
    let rhs: Vec<f64> = rows.iter().map(|(_, b)| *b).collect();
    let quad = CscMatrix::zeros((nvars, nvars));
    let mut linear = vec![0.0; nvars];
    linear[..n].iter_mut().for_each(|v| *v = -1.0);
    let settings = DefaultSettings {
        verbose: false,
        tol_gap_abs: 1e-12,
        tol_gap_rel: 1e-12,
        tol_feas: 1e-12,
        ..DefaultSettings::default()
    };
    let cones = [NonnegativeConeT(rows.len())];
    let mut solver =
        DefaultSolver::new(&quad, &linear, &constraints, &rhs, &cones, settings).unwrap();
    solver.solve();
    solver.solution.x[..n].to_vec()
}

/// Verifies the reference for `norm` by an LP duality certificate, returning the relative gap.
///
/// Independent computation: multipliers λ of the dual LP, solved separately (above), made exactly
/// dual feasible by clipping to λ ≥ 0 and dividing by ‖Zᵀλ‖_q; the primal point θ/minᵢ zᵢᵀθ is
/// exactly feasible. Weak duality (1ᵀλ ≤ λᵀZθ ≤ ‖Zᵀλ‖_q‖θ‖_p ≤ ‖θ‖_p) then brackets the optimum
/// between the two values, computed here with plain loops, so a small gap proves θ optimal
/// whatever the solvers did.
fn duality_gap(data: &LinearData, norm: MarginNorm, bias: bool) -> f64 {
    let reference = max_margin(data, norm, bias).unwrap();
    let z = signed_rows(data, bias);
    let theta = &reference.solution;
    assert_eq!(theta.len(), z[0].len());
    let least = z
        .iter()
        .map(|row| row.iter().zip(theta).map(|(a, b)| a * b).sum::<f64>())
        .fold(f64::INFINITY, f64::min);
    assert!(
        least >= 1.0 - 1e-9,
        "{norm:?}: infeasible, least margin {least}"
    );
    let primal = polyhedral_norm(theta, norm, false) / least;
    let lambda: Vec<f64> = dual_multipliers(&z, norm)
        .into_iter()
        .map(|l| l.max(0.0))
        .collect();
    let mut z_lambda = vec![0.0; z[0].len()];
    for (row, l) in z.iter().zip(&lambda) {
        for (acc, v) in z_lambda.iter_mut().zip(row) {
            *acc += l * v;
        }
    }
    let dual = lambda.iter().sum::<f64>() / polyhedral_norm(&z_lambda, norm, true);
    assert!(
        dual <= primal * (1.0 + 1e-12),
        "{norm:?}: weak duality broken"
    );
    (primal - dual) / primal
}

/// ℓ∞ and ℓ1 max margins beyond 2-D, where no exhaustive search is possible: in 3-D (with and
/// without a penalised bias, several seeds) and in 50-D the reference's ‖θ‖_p equals the dual
/// LP's value to a relative gap of 1e-7 (the solvers stop at about 1e-10; a suboptimal but
/// feasible θ, e.g. the ℓ2 solution, is off by percents).
#[test]
fn linf_and_l1_beyond_2d_close_the_lp_duality_gap() {
    let mut cases = vec![];
    for seed in 0..4 {
        for bias in [false, true] {
            cases.push((
                gaussian_clusters(15, 0.5, &[1.0, 0.5, 0.8], seed),
                bias,
                "3-D",
            ));
        }
    }
    cases.push((gaussian_clusters(100, 1.0, &[0.5; 50], 9), false, "50-D"));
    for (data, bias, what) in &cases {
        for norm in [MarginNorm::Linf, MarginNorm::L1] {
            let gap = duality_gap(data, norm, *bias);
            assert!(
                gap < 1e-7,
                "{what} bias {bias} {norm:?}: duality gap {gap:e}"
            );
        }
    }
}
