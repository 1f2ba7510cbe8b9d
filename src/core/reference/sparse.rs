//! The exact interpolants of an underdetermined regression Xw = y that diagonal linear networks
//! are measured against: the least-ℓ1 one (an LP), the least-ℓ2 one (a pseudo-inverse) and, per
//! init scale α and depth D, the implicit target argmin Q_α(w) s.t. Xw = y that gradient flow
//! from u₀ = v₀ = α·1 reaches (Woodworth et al. 2020).
//!
//! The implicit target is solved on its smooth dual. Gradient flow keeps w(t) = φ(Xᵀν(t)) with
//! φ(z) = 2α² sinh z for D = 2 and φ(z) = α^D h_D(z), h_D(z) = (1 − z)^{−D/(D−2)} − (1 + z)^{−D/(D−2)}
//! on |z| < 1 for D ≥ 3. The limit is the ν where Xφ(Xᵀν) = y, i.e. the minimiser of the strictly
//! convex F(ν) = Σⱼ Φ((Xᵀν)ⱼ) − νᵀy with Φ' = φ; damped Newton on F (n unknowns) reaches it to
//! rounding level, and a solution of that form that interpolates is the argmin of Q_α (its KKT
//! conditions are exactly "∇Q_α(w) = Xᵀν, Xw = y").

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT,
};
use nalgebra::{DMatrix, DVector};

use super::norm2;
use crate::core::data::RegressionData;

/// Most Newton iterations on the dual; tiny α needs a few dozen damped ones, then a handful of
/// quadratically convergent ones.
const MAX_NEWTON_ITERATIONS: usize = 500;
/// A relative residual ‖Xw − y‖ / scale below this counts as interpolating (rounding level is
/// about 1e-15; the margin is for ill-conditioned X).
const INTERPOLATION_TOLERANCE: f64 = 1e-9;

/// Why an interpolant could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InterpolationError {
    /// No w fits the data exactly: X is rank-deficient and y is outside its range.
    #[error(
        "the data ({points} points, {features} features) cannot be fitted exactly: X has rank \
         {rank} and y is outside its range (least-squares residual {relative_residual:.2e} of \
         ‖y‖); use more features than points, or targets y = Xw for some w"
    )]
    NotInterpolable {
        /// Points n.
        points: usize,
        /// Features d.
        features: usize,
        /// rank of X.
        rank: usize,
        /// ‖Xw − y‖ of the least-squares w, relative to ‖y‖.
        relative_residual: f64,
    },
    /// The solver did not reach the required accuracy; the string says what happened.
    #[error("reference solver failed: {0}")]
    SolverFailed(String),
}

/// The least-ℓ2 interpolant Xᵀ(XXᵀ)⁻¹y, computed by SVD as X⁺y so that a rank-deficient X is
/// handled (singular values below max(n, d)·ε·σ₁ count as zero).
///
/// # Errors
/// [`InterpolationError::NotInterpolable`] when X⁺y does not fit y: then nothing does.
pub fn min_l2_interpolant(data: &RegressionData) -> Result<Vec<f64>, InterpolationError> {
    let design = data.design();
    let svd = design.clone().svd(true, true);
    let largest = svd.singular_values.iter().copied().fold(0.0, f64::max);
    let cutoff = data.len().max(data.dim) as f64 * f64::EPSILON * largest;
    let rank = svd.singular_values.iter().filter(|&&s| s > cutoff).count();
    let targets = DVector::from_column_slice(&data.targets);
    let solution = svd
        .solve(&targets, cutoff)
        .map_err(|e| InterpolationError::SolverFailed(format!("min-l2: SVD: {e}")))?;
    let w: Vec<f64> = solution.iter().copied().collect();
    let residual = norm2(&residual(data, &w));
    let scale = interpolation_scale(data, &w);
    if residual > INTERPOLATION_TOLERANCE * scale {
        return Err(InterpolationError::NotInterpolable {
            points: data.len(),
            features: data.dim,
            rank,
            relative_residual: residual / norm2(&data.targets).max(f64::MIN_POSITIVE),
        });
    }
    Ok(w)
}

/// The least-ℓ1 interpolant with its dual certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct MinL1Interpolant {
    /// argmin ‖w‖₁ s.t. Xw = y.
    pub weights: Vec<f64>,
    /// A dual ν with |Xᵀν|∞ ≤ 1 and νᵀy = ‖w‖₁ (up to the solver's accuracy).
    pub dual: Vec<f64>,
}

/// The least-ℓ1 interpolant, as the LP min 1ᵀ(p + q) s.t. X(p − q) = y, p, q ≥ 0 solved by
/// clarabel, then polished: the LP's optimum is a vertex with at most n nonzeros, so solving
/// X_S w_S = y on its support S recovers it to rounding level (kept only when it still fits, keeps
/// the signs and is no larger in ℓ1).
///
/// # Errors
/// [`InterpolationError::NotInterpolable`] when nothing fits; `SolverFailed` when clarabel fails.
pub fn min_l1_interpolant(data: &RegressionData) -> Result<MinL1Interpolant, InterpolationError> {
    min_l2_interpolant(data)?;
    let (points, features) = (data.len(), data.dim);
    let variables = 2 * features;
    let mut colptr = vec![0];
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    for column in 0..variables {
        let (feature, sign) = if column < features {
            (column, 1.0)
        } else {
            (column - features, -1.0)
        };
        for i in 0..points {
            let value = data.points[i * features + feature];
            if value != 0.0 {
                rowval.push(i);
                nzval.push(sign * value);
            }
        }
        rowval.push(points + column);
        nzval.push(-1.0);
        colptr.push(rowval.len());
    }
    let constraints = CscMatrix::new(points + variables, variables, colptr, rowval, nzval);
    let quadratic = CscMatrix::zeros((variables, variables));
    let cost = vec![1.0; variables];
    let mut rhs = data.targets.clone();
    rhs.resize(points + variables, 0.0);
    let cones = [ZeroConeT(points), NonnegativeConeT(variables)];
    let settings = DefaultSettings {
        verbose: false,
        max_iter: 400,
        tol_gap_abs: 1e-11,
        tol_gap_rel: 1e-11,
        tol_feas: 1e-11,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(&quadratic, &cost, &constraints, &rhs, &cones, settings)
        .map_err(|e| InterpolationError::SolverFailed(format!("min-l1: clarabel setup: {e}")))?;
    solver.solve();
    let solution = &solver.solution;
    if !matches!(
        solution.status,
        SolverStatus::Solved | SolverStatus::AlmostSolved
    ) || solution.x.iter().any(|v| !v.is_finite())
    {
        return Err(InterpolationError::SolverFailed(format!(
            "min-l1: clarabel stopped with status {:?}",
            solution.status
        )));
    }
    let weights: Vec<f64> = (0..features)
        .map(|j| solution.x[j] - solution.x[features + j])
        .collect();
    // Clarabel's dual for A x + s = b is z with Aᵀz + c = 0; on the equality rows ν = −z.
    let dual = solution.z[..points].iter().map(|z| -z).collect();
    Ok(MinL1Interpolant {
        weights: polish_on_support(data, weights),
        dual,
    })
}

/// Re-solves X_S w_S = y on the support of an LP solution (see [`min_l1_interpolant`]).
fn polish_on_support(data: &RegressionData, weights: Vec<f64>) -> Vec<f64> {
    let largest = weights.iter().fold(0.0_f64, |m, w| m.max(w.abs()));
    let support: Vec<usize> = (0..data.dim)
        .filter(|&j| weights[j].abs() > 1e-7 * largest)
        .collect();
    if support.is_empty() || support.len() > data.len() {
        return weights;
    }
    let columns = DMatrix::from_fn(data.len(), support.len(), |i, k| {
        data.points[i * data.dim + support[k]]
    });
    let targets = DVector::from_column_slice(&data.targets);
    let Ok(solution) = columns.svd(true, true).solve(&targets, 1e-12 * largest) else {
        return weights;
    };
    let mut polished = vec![0.0; data.dim];
    for (k, &j) in support.iter().enumerate() {
        polished[j] = solution[k];
    }
    let fits = norm2(&residual(data, &polished))
        <= INTERPOLATION_TOLERANCE * interpolation_scale(data, &polished);
    let same_signs = support
        .iter()
        .all(|&j| polished[j].signum() == weights[j].signum());
    let l1 = |w: &[f64]| w.iter().map(|v| v.abs()).sum::<f64>();
    if fits && same_signs && l1(&polished) <= l1(&weights) * (1.0 + 1e-9) {
        polished
    } else {
        weights
    }
}

/// The implicit target of a diagonal network of depth `depth` from init scale `init_scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitTarget {
    /// argmin Q_α(w) s.t. Xw = y.
    pub weights: Vec<f64>,
    /// The dual ν with w = φ(Xᵀν).
    pub dual: Vec<f64>,
    /// Newton iterations taken.
    pub iterations: usize,
}

/// The dual potential of one depth: Φ, φ = Φ' and φ' per coordinate z = (Xᵀν)ⱼ.
#[derive(Debug, Clone, Copy)]
enum Potential<'a> {
    /// D = 2: Φ(z) = 2α² cosh z, written as e^{z + c} + e^{−z + c} with c = ln α² so that a tiny
    /// α neither underflows α² nor overflows cosh z (z reaches ln(|w|/α²)).
    Exponential { log_alpha_squared: f64 },
    /// D = 2 after finite steps (see [`effective_target`]): Φⱼ(z) = e^{z + upⱼ} + e^{−z + downⱼ},
    /// upⱼ = ln α∞ⱼ² + δⱼ and downⱼ = ln α∞ⱼ² − δⱼ, so φⱼ(z) = 2α∞ⱼ² sinh(δⱼ + z).
    Shifted { up: &'a [f64], down: &'a [f64] },
    /// D ≥ 3: Φ(z) = α^D ((D−2)/2) [(1 − z)^{−2/(D−2)} + (1 + z)^{−2/(D−2)}] on |z| < 1.
    Power { scale: f64, depth: f64 },
}

impl Potential<'_> {
    fn new(init_scale: f64, depth: u32) -> Self {
        if depth == 2 {
            Potential::Exponential {
                log_alpha_squared: 2.0 * init_scale.ln(),
            }
        } else {
            Potential::Power {
                scale: init_scale.powi(depth as i32),
                depth: f64::from(depth),
            }
        }
    }

    /// (Φ(z), φ(z), φ'(z)) of coordinate `j`; Φ = +∞ outside the domain.
    fn eval(self, j: usize, z: f64) -> (f64, f64, f64) {
        match self {
            Potential::Exponential { log_alpha_squared } => {
                let up = (z + log_alpha_squared).exp();
                let down = (-z + log_alpha_squared).exp();
                (up + down, up - down, up + down)
            }
            Potential::Shifted { up, down } => {
                let up = (z + up[j]).exp();
                let down = (-z + down[j]).exp();
                (up + down, up - down, up + down)
            }
            Potential::Power { scale, depth } => {
                if z.abs() >= 1.0 {
                    return (f64::INFINITY, f64::NAN, f64::NAN);
                }
                let (minus, plus) = (1.0 - z, 1.0 + z);
                let power = depth / (depth - 2.0);
                let value_power = -2.0 / (depth - 2.0);
                let value = scale
                    * (depth - 2.0)
                    * 0.5
                    * (minus.powf(value_power) + plus.powf(value_power));
                let weight = scale * (minus.powf(-power) - plus.powf(-power));
                let slope = scale * power * (minus.powf(-power - 1.0) + plus.powf(-power - 1.0));
                (value, weight, slope)
            }
        }
    }

    /// Largest t ≤ 1 keeping z + t·dz strictly inside the domain (a fraction 0.99 of the way).
    fn step_limit(self, z: &[f64], dz: &[f64]) -> f64 {
        match self {
            Potential::Exponential { .. } | Potential::Shifted { .. } => 1.0,
            Potential::Power { .. } => z
                .iter()
                .zip(dz)
                .filter(|(_, d)| **d != 0.0)
                .map(|(z, d)| 0.99 * (1.0 - z * d.signum()) / d.abs())
                .fold(1.0, f64::min),
        }
    }
}

/// The dual's value, weights w = φ(Xᵀν), curvature φ'(Xᵀν) and gradient Xw − y at one ν.
struct DualPoint {
    nu: Vec<f64>,
    z: Vec<f64>,
    value: f64,
    weights: Vec<f64>,
    curvature: Vec<f64>,
    gradient: Vec<f64>,
}

impl DualPoint {
    fn at(data: &RegressionData, potential: Potential<'_>, nu: Vec<f64>) -> Self {
        let z = transpose_times(data, &nu);
        let mut value = -nu
            .iter()
            .zip(&data.targets)
            .map(|(a, b)| a * b)
            .sum::<f64>();
        let mut weights = vec![0.0; data.dim];
        let mut curvature = vec![0.0; data.dim];
        for j in 0..data.dim {
            let (phi_integral, phi, phi_slope) = potential.eval(j, z[j]);
            value += phi_integral;
            weights[j] = phi;
            curvature[j] = phi_slope;
        }
        let gradient = residual(data, &weights);
        Self {
            nu,
            z,
            value,
            weights,
            curvature,
            gradient,
        }
    }
}

/// The implicit target argmin Q_α(w) s.t. Xw = y for depth `depth` ≥ 2 and `init_scale` α > 0,
/// by damped Newton on the dual (see the module docs). Each step solves (X diag φ' Xᵀ) Δ = −∇F;
/// the step is cut to stay in the domain (D ≥ 3) and halved until F decreases (Armijo) or the
/// residual does (near the optimum F's decrease is below its rounding error). Stops when
/// ‖Xw − y‖ no longer decreases or is at rounding level.
///
/// # Errors
/// [`InterpolationError::NotInterpolable`] when nothing fits; `SolverFailed` when Newton stalls
/// before the residual is below 1e-9 of the data's scale.
pub fn implicit_target(
    data: &RegressionData,
    init_scale: f64,
    depth: u32,
) -> Result<ImplicitTarget, InterpolationError> {
    min_l2_interpolant(data)?;
    let potential = Potential::new(init_scale, depth.max(2));
    solve_dual(data, potential, vec![0.0; data.len()]).map_err(|residual| {
        InterpolationError::SolverFailed(format!(
            "implicit target (α = {init_scale}, D = {depth}): Newton stalled at residual \
             {residual:.2e} of the data's scale"
        ))
    })
}

/// The exact limit of a depth-2 diagonal network trained with finite steps whose every update
/// multiplies u by (1 − x) and v by (1 + x) coordinatewise, x ∈ range(Xᵀ) (GD, SGD, label
/// noise, any step-size schedule, normalized GD): argmin Σⱼ α∞ⱼ² q(wⱼ/α∞ⱼ²) − δⱼwⱼ s.t.
/// Xw = y, i.e. w = 2α∞² sinh(δ + Xᵀν) with Xw = y. `log_alpha_squared` is ln α∞ⱼ² (ln α² plus
/// Σ ln|1 − x²| over the steps taken) and `delta` is δⱼ = Σ (ln|1 − x| − ln|1 + x| + 2x), both per
/// coordinate.
///
/// `start` is a dual to begin Newton from (the previous solve's, as a run's α∞ and δ move little
/// between two snapshots); `None` starts from 0 and first checks that the data can be
/// interpolated at all (a start implies an earlier solve did).
///
/// # Errors
/// As [`implicit_target`]; also `SolverFailed` when a coordinate's α∞ or δ is not finite (a
/// step with x = ±1 zeroed a factor).
pub fn effective_target(
    data: &RegressionData,
    log_alpha_squared: &[f64],
    delta: &[f64],
    start: Option<&[f64]>,
) -> Result<ImplicitTarget, InterpolationError> {
    let start = match start {
        Some(dual) if dual.len() == data.len() => dual.to_vec(),
        _ => {
            min_l2_interpolant(data)?;
            vec![0.0; data.len()]
        }
    };
    let up: Vec<f64> = log_alpha_squared
        .iter()
        .zip(delta)
        .map(|(a, d)| a + d)
        .collect();
    let down: Vec<f64> = log_alpha_squared
        .iter()
        .zip(delta)
        .map(|(a, d)| a - d)
        .collect();
    if up.len() != data.dim || up.iter().chain(&down).any(|v| !v.is_finite()) {
        return Err(InterpolationError::SolverFailed(
            "effective target: a factor was zeroed (a step with x = ±1), so α∞ is 0 there"
                .to_owned(),
        ));
    }
    let potential = Potential::Shifted {
        up: &up,
        down: &down,
    };
    solve_dual(data, potential, start).map_err(|residual| {
        InterpolationError::SolverFailed(format!(
            "effective target: Newton stalled at residual {residual:.2e} of the data's scale"
        ))
    })
}

/// Damped Newton on the dual F(ν) = Σⱼ Φⱼ((Xᵀν)ⱼ) − νᵀy from `start` (see [`implicit_target`]);
/// on failure, the residual ‖Xw − y‖ it stalled at, relative to the data's scale.
fn solve_dual(
    data: &RegressionData,
    potential: Potential<'_>,
    start: Vec<f64>,
) -> Result<ImplicitTarget, f64> {
    let mut point = DualPoint::at(data, potential, start);
    let design = data.design();
    let mut previous_residual = f64::INFINITY;
    for iteration in 0..MAX_NEWTON_ITERATIONS {
        let residual_norm = norm2(&point.gradient);
        let scale = interpolation_scale(data, &point.weights);
        // Done at rounding level, or once within tolerance and no longer converging
        // quadratically: near |z| → 1 (D ≥ 3, tiny α) 1 − z carries few digits, so the rounding
        // level of ‖Xw − y‖ is above 16ε and further steps only wander.
        let stalled = residual_norm > 0.5 * previous_residual;
        if residual_norm <= 16.0 * f64::EPSILON * scale
            || (stalled && residual_norm <= 1e-3 * INTERPOLATION_TOLERANCE * scale)
        {
            return Ok(finish(point, iteration));
        }
        previous_residual = residual_norm;
        let Some(direction) = newton_direction(&design, &point) else {
            break;
        };
        let dz = transpose_times(data, &direction);
        let slope: f64 = point
            .gradient
            .iter()
            .zip(&direction)
            .map(|(g, d)| g * d)
            .sum();
        let mut step = potential.step_limit(&point.z, &dz);
        let mut accepted = None;
        while step > 1e-14 {
            let nu: Vec<f64> = point
                .nu
                .iter()
                .zip(&direction)
                .map(|(n, d)| n + step * d)
                .collect();
            let trial = DualPoint::at(data, potential, nu);
            let armijo = trial.value <= point.value + 1e-4 * step * slope;
            let closer = trial.value.is_finite() && norm2(&trial.gradient) < residual_norm;
            if armijo || closer {
                accepted = Some(trial);
                break;
            }
            step *= 0.5;
        }
        match accepted {
            Some(trial) => point = trial,
            None => break,
        }
    }
    let scale = interpolation_scale(data, &point.weights);
    if norm2(&point.gradient) <= INTERPOLATION_TOLERANCE * scale {
        Ok(finish(point, MAX_NEWTON_ITERATIONS))
    } else {
        Err(norm2(&point.gradient) / scale)
    }
}

/// The solution at a converged dual point.
fn finish(point: DualPoint, iterations: usize) -> ImplicitTarget {
    ImplicitTarget {
        weights: point.weights,
        dual: point.nu,
        iterations,
    }
}

/// Δ solving (X diag φ' Xᵀ) Δ = −(Xw − y), by Cholesky, or by SVD when the Hessian is too
/// ill-conditioned for it; `None` when neither gives a finite direction.
fn newton_direction(design: &DMatrix<f64>, point: &DualPoint) -> Option<Vec<f64>> {
    let mut weighted = design.clone();
    for (j, mut column) in weighted.column_iter_mut().enumerate() {
        column *= point.curvature[j];
    }
    let hessian = &weighted * design.transpose();
    let rhs = -DVector::from_column_slice(&point.gradient);
    // An overflowed curvature (a coordinate far out on cosh) has no direction; an SVD of
    // non-finite entries might never return.
    if hessian.iter().chain(rhs.iter()).any(|v| !v.is_finite()) {
        return None;
    }
    let direction = match hessian.clone().cholesky() {
        Some(factor) => factor.solve(&rhs),
        None => hessian
            .svd(true, true)
            .solve(&rhs, f64::EPSILON * rhs.norm())
            .ok()?,
    };
    direction
        .iter()
        .all(|v| v.is_finite())
        .then(|| direction.iter().copied().collect())
}

/// Xᵀν.
fn transpose_times(data: &RegressionData, nu: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; data.dim];
    for (i, &n) in nu.iter().enumerate() {
        for (o, x) in out.iter_mut().zip(data.point(i)) {
            *o += x * n;
        }
    }
    out
}

/// Xw − y.
fn residual(data: &RegressionData, w: &[f64]) -> Vec<f64> {
    (0..data.len())
        .map(|i| data.point(i).iter().zip(w).map(|(x, v)| x * v).sum::<f64>() - data.targets[i])
        .collect()
}

/// ‖y‖ + ‖|X||w|‖: the size of the terms whose rounding bounds ‖Xw − y‖.
fn interpolation_scale(data: &RegressionData, w: &[f64]) -> f64 {
    let magnitudes: Vec<f64> = (0..data.len())
        .map(|i| {
            data.point(i)
                .iter()
                .zip(w)
                .map(|(x, v)| (x * v).abs())
                .sum::<f64>()
        })
        .collect();
    (norm2(&data.targets) + norm2(&magnitudes)).max(f64::MIN_POSITIVE)
}
