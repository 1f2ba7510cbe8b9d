//! The ℓP max-margin direction for any P > 1: argmin ‖θ‖_P s.t. Zθ ≥ γ, exactly.
//!
//! clarabel solves it as a conic program with one power cone per coordinate:
//! ‖θ‖_P ≤ t ⇔ Σⱼ rⱼ = t and (rⱼ, t, θⱼ) ∈ K_pow(1/P), i.e. rⱼ^{1/P} t^{1−1/P} ≥ |θⱼ|
//! (then rⱼ ≥ |θⱼ|^P / t^{P−1}, and summing gives ‖θ‖_P^P ≤ t^P).
//!
//! An interior point is only as accurate as its stopping tolerance, so the answer is polished
//! through the dual: the optimum of min (1/P)Σ|θⱼ|^P s.t. Zθ ≥ γ satisfies θ = ∇φ*(Z_Sᵀλ), with
//! φ*(u) = (1/Q)Σ|uⱼ|^Q, 1/P + 1/Q = 1 and S the tight points. Newton's method on
//! Z_S ∇φ*(Z_Sᵀλ) = γ (the active margins) from clarabel's active set gives θ to round-off;
//! stationarity then holds by construction, and the polished point is kept only when it is
//! feasible, tight on S and has λ ≥ 0 — the full KKT conditions.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSolver, IPSolver, NonnegativeConeT, PowerConeT, SolverStatus, SupportedConeT, ZeroConeT,
};
use nalgebra::{DMatrix, DVector};

use super::{MarginProblem, ReferenceError, Svd, ipm_settings};
use crate::core::model::dot;

/// Newton iterations of the polish; it converges quadratically in a handful.
const NEWTON_STEPS: usize = 50;

/// The least-‖θ‖_P point with margins ≥ `gamma` in `problem`'s internal coordinates.
pub(super) fn solve_lp(
    problem: &MarginProblem,
    p: f64,
    gamma: f64,
) -> Result<Vec<f64>, ReferenceError> {
    let what = format!("ℓ{p} max-margin power-cone program");
    let (x, status) = interior_point(problem, p, gamma, &what)?;
    if let Some(polished) = polish(problem, p, gamma, &x) {
        return Ok(polished);
    }
    if status == SolverStatus::Solved {
        Ok(x)
    } else {
        Err(ReferenceError::SolverFailed(format!(
            "{what}: clarabel reached only reduced accuracy ({status:?}) and the dual polish \
             could not certify the answer"
        )))
    }
}

/// clarabel on unknowns (θ, t, r): minimise t with margins ≥ γ, Σ r = t and one power cone
/// (rⱼ, t, θⱼ) per coordinate. Returns θ and the solver's status.
fn interior_point(
    problem: &MarginProblem,
    p: f64,
    gamma: f64,
    what: &str,
) -> Result<(Vec<f64>, SolverStatus), ReferenceError> {
    let nv = problem.width;
    let total = 2 * nv + 1;
    let t = nv;
    let r = |j: usize| nv + 1 + j;
    // Rows of A x + s = b, built by columns afterwards: (row, column, value).
    let mut entries: Vec<(usize, usize, f64)> = Vec::new();
    let mut rhs = Vec::new();
    // Σ r − t = 0 (zero cone, first).
    entries.push((0, t, -1.0));
    for j in 0..nv {
        entries.push((0, r(j), 1.0));
    }
    rhs.push(0.0);
    // Margins: s = −γ + Zθ ≥ 0, i.e. A = −Z, b = −γ.
    for i in 0..problem.len() {
        let row = rhs.len();
        for (j, &z) in problem.row(i).iter().enumerate() {
            if z != 0.0 {
                entries.push((row, j, -z));
            }
        }
        rhs.push(-gamma);
    }
    // Power cones: s = (rⱼ, t, θⱼ), i.e. A = −I on those unknowns, b = 0.
    for j in 0..nv {
        let row = rhs.len();
        entries.push((row, r(j), -1.0));
        entries.push((row + 1, t, -1.0));
        entries.push((row + 2, j, -1.0));
        rhs.extend([0.0; 3]);
    }
    let constraints = csc(rhs.len(), total, &entries);
    let quad = CscMatrix::new(total, total, vec![0; total + 1], vec![], vec![]);
    let mut linear = vec![0.0; total];
    linear[t] = 1.0;
    let mut cones: Vec<SupportedConeT<f64>> = vec![ZeroConeT(1), NonnegativeConeT(problem.len())];
    cones.extend((0..nv).map(|_| PowerConeT(1.0 / p)));
    let mut solver = DefaultSolver::new(&quad, &linear, &constraints, &rhs, &cones, ipm_settings())
        .map_err(|e| ReferenceError::SolverFailed(format!("{what}: clarabel setup: {e}")))?;
    solver.solve();
    let solution = &solver.solution;
    let x = solution.x[..nv].to_vec();
    match solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved if x.iter().all(|v| v.is_finite()) => {
            Ok((x, solution.status))
        }
        status => Err(ReferenceError::SolverFailed(format!(
            "{what}: clarabel stopped with status {status:?}"
        ))),
    }
}

/// A column-compressed matrix from (row, column, value) entries.
fn csc(rows: usize, cols: usize, entries: &[(usize, usize, f64)]) -> CscMatrix<f64> {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|&(row, col, _)| (col, row));
    let mut colptr = vec![0; cols + 1];
    for &(_, col, _) in &sorted {
        colptr[col + 1] += 1;
    }
    for c in 0..cols {
        colptr[c + 1] += colptr[c];
    }
    let rowval = sorted.iter().map(|e| e.0).collect();
    let nzval = sorted.iter().map(|e| e.2).collect();
    CscMatrix::new(rows, cols, colptr, rowval, nzval)
}

/// ∇φ*(u)ⱼ = sign(uⱼ)|uⱼ|^{Q−1}: the primal point of dual direction u.
fn primal_of(u: &[f64], q: f64) -> Vec<f64> {
    u.iter()
        .map(|v| v.signum() * v.abs().powf(q - 1.0))
        .collect()
}

/// The dual polish from clarabel's point `x`: the certified optimum, or `None`.
fn polish(problem: &MarginProblem, p: f64, gamma: f64, x: &[f64]) -> Option<Vec<f64>> {
    let q = p / (p - 1.0);
    let margins = problem.margins(x);
    let active: Vec<usize> = (0..problem.len())
        .filter(|&i| margins[i] <= gamma * (1.0 + 1e-6))
        .collect();
    if active.is_empty() || active.len() > problem.width {
        return None;
    }
    let z_active = DMatrix::from_fn(active.len(), problem.width, |a, j| {
        problem.row(active[a])[j]
    });
    // Start from the least-squares multipliers of ∇φ(x) = Z_Sᵀλ.
    let gradient = DVector::from_iterator(
        problem.width,
        x.iter().map(|v| v.signum() * v.abs().powf(p - 1.0)),
    );
    let transposed = z_active.transpose();
    let svd = Svd::new(&transposed)?;
    let mut lambda = svd.solve(&gradient, svd.s[0] * 1e-12);
    for _ in 0..NEWTON_STEPS {
        let u = &transposed * &lambda;
        let theta = primal_of(u.as_slice(), q);
        let residual = DVector::from_fn(active.len(), |a, _| {
            dot(problem.row(active[a]), &theta) - gamma
        });
        if residual.amax() <= 1e-15 * gamma {
            break;
        }
        let curvature: Vec<f64> = u
            .iter()
            .map(|v| (q - 1.0) * v.abs().powf(q - 2.0))
            .collect();
        let jacobian = DMatrix::from_fn(active.len(), active.len(), |a, b| {
            (0..problem.width)
                .map(|j| z_active[(a, j)] * curvature[j] * z_active[(b, j)])
                .sum()
        });
        let newton = Svd::new(&jacobian)?;
        lambda -= newton.solve(&residual, newton.s[0] * 1e-14);
    }
    let theta = primal_of((&transposed * &lambda).as_slice(), q);
    let lambda_max = lambda.amax();
    let certified = lambda.iter().all(|&l| l >= -1e-12 * lambda_max)
        && problem.margins(&theta).iter().enumerate().all(|(i, &m)| {
            let tight = active.contains(&i);
            m >= gamma * (1.0 - 1e-12) && (!tight || m <= gamma * (1.0 + 1e-12))
        })
        && theta.iter().all(|v| v.is_finite());
    certified.then_some(theta)
}
