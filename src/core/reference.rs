//! Exact reference solutions the optimizers are measured against: max-margin directions and the
//! least-nuclear-norm matrix completion.
//!
//! The dashboard's whole point is to show that an optimizer converges to one particular solution
//! among infinitely many, so the reference must be trustworthy to far below what a plot can show
//! (users compare against cvxpy to about 1e-7). Each max-margin problem is a small LP or QP: we
//! hand it to clarabel's interior-point method, then *polish* the answer by solving the
//! equality-constrained KKT system of the identified active set exactly, and accept the polished
//! point only when it passes a full KKT check (feasibility, multipliers ≥ 0, stationarity). The
//! nuclear-norm problem (no SDP solver without BLAS, so it is done here in pure Rust on nalgebra)
//! is solved by ADMM on singular-value thresholding, with a small interior point and Newton
//! polish for the hard cases, stopped on primal and dual residuals of 1e-9; when that is out of
//! reach the result says so instead of being quietly wrong.

use std::fmt;

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT,
};
use nalgebra::{DMatrix, DVector, SVD};

use super::data::{LinearData, MatrixData};
use super::model::held_out_error;

/// Below this certified margin (data scaled so max‖zᵢ‖₂ = 1) we call the data not separable.
const SEPARABILITY_TOL: f64 = 1e-9;
/// Relative slack on the optimal ℓ∞/ℓ1 norm for the fallback form of the least-ℓ2 tie-break.
const TIE_BREAK_SLACK: f64 = 1e-9;
/// A weight part smaller than this, relative to the whole solution, has no direction.
const ZERO_WEIGHT_TOL: f64 = 1e-9;
/// Stopping tolerance of the nuclear-norm ADMM on both residuals.
const NUCLEAR_TOL: f64 = 1e-9;

/// Which max-margin problem. Names: "l2", "l2-intercept", "linf", "l1".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarginNorm {
    /// Least ‖θ‖₂ with all margins ≥ 1, homogeneous (θ includes the bias when there is one).
    L2,
    /// Least ‖w‖₂ with yᵢ(wᵀxᵢ + b) ≥ 1 and b free: the classic hard-margin SVM.
    L2Intercept,
    /// Least ‖θ‖∞ with all margins ≥ 1.
    Linf,
    /// Least ‖θ‖₁ with all margins ≥ 1.
    L1,
}

impl MarginNorm {
    /// Every problem, in the order a help screen lists them.
    pub const ALL: [MarginNorm; 4] = [
        MarginNorm::L2,
        MarginNorm::L2Intercept,
        MarginNorm::Linf,
        MarginNorm::L1,
    ];

    /// The short name used in presets and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            MarginNorm::L2 => "l2",
            MarginNorm::L2Intercept => "l2-intercept",
            MarginNorm::Linf => "linf",
            MarginNorm::L1 => "l1",
        }
    }

    /// The problem with this short name, if any (exact, lower-case match).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|norm| norm.name() == name)
    }

    /// One line for a help screen: what the problem is and which optimizer tends to it.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            MarginNorm::L2 => "hard-margin SVM, homogeneous: GD's limit",
            MarginNorm::L2Intercept => "hard-margin SVM with a free intercept (sklearn SVC)",
            MarginNorm::Linf => "ℓ∞ max-margin: sign descent / Adam's limit",
            MarginNorm::L1 => "ℓ1 max-margin: steepest descent in ℓ1 (coordinate descent)",
        }
    }
}

/// An exact max-margin direction.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxMarginReference {
    /// The problem that was solved.
    pub norm: MarginNorm,
    /// Unit (ℓ2) vector of length data.dim: the weight part w of the solution, normalised.
    pub direction: Vec<f64>,
    /// The solution as solved (w, then b when there is an intercept/bias), scaled so
    /// `min_i y_i f(x_i) = 1`.
    pub solution: Vec<f64>,
    /// `min_i y_i (⟨direction, x_i⟩ + b/‖w‖₂)` (b = 0 when no intercept): the geometric margin
    /// of the direction.
    pub margin: f64,
}

/// Why no reference could be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceError {
    /// No direction separates the data (for this problem); the string says why in one line.
    NotSeparable(String),
    /// The solver did not reach the required accuracy; the string says what happened.
    SolverFailed(String),
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceError::NotSeparable(why) => write!(f, "not separable: {why}"),
            ReferenceError::SolverFailed(why) => write!(f, "reference solver failed: {why}"),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// The exact max-margin solution of `data` for `norm`.
///
/// `bias` = the model has an intercept parameter b that is part of θ=(w,b) and is penalised like
/// w (gradient descent on (w,b)). With rows zᵢ = yᵢx̃ᵢ (x̃ᵢ = (xᵢ, 1) with a bias, else xᵢ):
/// - [`MarginNorm::L2`]: argmin ‖θ‖₂ s.t. Zθ ≥ 1.
/// - [`MarginNorm::L2Intercept`]: argmin ‖w‖₂ s.t. yᵢ(wᵀxᵢ + b) ≥ 1, b free (ignores `bias`).
/// - [`MarginNorm::Linf`] / [`MarginNorm::L1`]: min ‖θ‖_p s.t. Zθ ≥ 1, an LP. Its optimum is often
///   a whole face, so the answer is made canonical by a tie-break: **the optimum of least ‖θ‖₂**,
///   a second, QP stage. That QP runs on the optimal face itself, which the LP's certified
///   multipliers identify exactly (by complementary slackness the optima are the feasible θ that
///   keep tight every constraint with a positive multiplier). It is the limit ε → 0 of "least
///   ‖θ‖₂ among θ with Zθ ≥ 1 and ‖θ‖_p ≤ (1 + ε)·optimum"; a fixed ε such as 1e-9 would not
///   do, because that point moves by about ε·κ and κ reaches 10³ at d = 50. Only when the LP
///   cannot be certified is that ε = 1e-9 form solved instead.
///
/// Separability is decided first by an LP (max γ s.t. Zθ ≥ γ, ‖θ‖∞ ≤ 1 on data scaled to
/// max‖zᵢ‖₂ = 1); γ ≤ 1e-9 means not separable.
///
/// # Errors
/// [`ReferenceError::NotSeparable`] when no direction separates the data for this problem (or
/// when the weight part of the solution is zero, so that it has no direction);
/// [`ReferenceError::SolverFailed`] when clarabel fails and no certified answer is available.
pub fn max_margin(
    data: &LinearData,
    norm: MarginNorm,
    bias: bool,
) -> Result<MaxMarginReference, ReferenceError> {
    check_linear_data(data)?;
    let problem = if norm == MarginNorm::L2Intercept {
        MarginProblem::intercept(data)?
    } else {
        MarginProblem::homogeneous(data, bias)?
    };
    let gamma = problem.separation()?;
    let theta = match norm {
        MarginNorm::L2 | MarginNorm::L2Intercept => solve_l2(&problem, gamma)?,
        MarginNorm::Linf | MarginNorm::L1 => solve_polyhedral(&problem, norm, gamma)?,
    };
    problem.finish(data, norm, &theta)
}

/// Rejects data that would make the solvers misbehave (shape mismatch, NaN, infinities).
fn check_linear_data(data: &LinearData) -> Result<(), ReferenceError> {
    if data.dim == 0 || data.points.len() != data.len() * data.dim {
        return Err(ReferenceError::SolverFailed(format!(
            "malformed data: {} coordinates for {} points of dimension {}",
            data.points.len(),
            data.len(),
            data.dim
        )));
    }
    if data.is_empty() {
        return Err(ReferenceError::NotSeparable(
            "there are no points, so no margin is defined".to_string(),
        ));
    }
    if data
        .points
        .iter()
        .chain(&data.labels)
        .any(|v| !v.is_finite())
    {
        return Err(ReferenceError::SolverFailed(
            "the data holds a NaN or infinite value".to_string(),
        ));
    }
    Ok(())
}

/// A max-margin problem in well-scaled internal coordinates: rows with max‖row‖₂ = 1.
///
/// Homogeneous problems only scale (norm balls are invariant under a scalar); the intercept
/// problem also centres the points, which is exact because b is free and unpenalised.
struct MarginProblem {
    /// Row-major n × width constraint rows: zᵢ/s, or yᵢ(xᵢ − c)/s for the intercept problem.
    rows: Vec<f64>,
    /// Labels, only used by the intercept problem.
    labels: Vec<f64>,
    /// Columns per row (d, or d + 1 with a penalised bias).
    width: usize,
    /// The scale s the rows were divided by.
    scale: f64,
    /// The centre c subtracted from the points (intercept problem only).
    centre: Option<Vec<f64>>,
    /// True when the trailing column is a penalised bias.
    bias: bool,
}

impl MarginProblem {
    fn homogeneous(data: &LinearData, bias: bool) -> Result<Self, ReferenceError> {
        let width = data.dim + usize::from(bias);
        let mut rows = data.signed_rows(bias);
        let scale = rows.chunks(width).map(norm2).fold(0.0, f64::max);
        if scale == 0.0 {
            return Err(not_separable_homogeneous(bias));
        }
        for v in &mut rows {
            *v /= scale;
        }
        Ok(Self {
            rows,
            labels: data.labels.clone(),
            width,
            scale,
            centre: None,
            bias,
        })
    }

    fn intercept(data: &LinearData) -> Result<Self, ReferenceError> {
        let positive = data.labels.iter().filter(|&&y| y > 0.0).count();
        if positive == 0 || positive == data.len() {
            return Err(ReferenceError::NotSeparable(
                "all points have one label: the intercept alone separates them, so the \
                 max-margin weight is zero and has no direction"
                    .to_string(),
            ));
        }
        let (n, d) = (data.len(), data.dim);
        let mut centre = vec![0.0; d];
        for i in 0..n {
            for (c, &x) in centre.iter_mut().zip(data.point(i)) {
                *c += x / n as f64;
            }
        }
        let mut rows = Vec::with_capacity(n * d);
        for (i, &y) in data.labels.iter().enumerate() {
            rows.extend(
                data.point(i)
                    .iter()
                    .zip(&centre)
                    .map(|(&x, &c)| y * (x - c)),
            );
        }
        let scale = rows.chunks(d).map(norm2).fold(0.0, f64::max);
        if scale == 0.0 {
            return Err(not_separable_intercept());
        }
        for v in &mut rows {
            *v /= scale;
        }
        Ok(Self {
            rows,
            labels: data.labels.clone(),
            width: d,
            scale,
            centre: Some(centre),
            bias: false,
        })
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.width..(i + 1) * self.width]
    }

    /// Number of unknowns of the margin constraints: θ, or (w, b) with a free intercept.
    fn nvars(&self) -> usize {
        self.width + usize::from(self.centre.is_some())
    }

    /// Appends the constraints "margin of point i ≥ rhs" over the first `nvars()` unknowns of a
    /// program with `total` unknowns.
    fn push_margins(&self, program: &mut Program, total: usize, rhs: f64) {
        for i in 0..self.len() {
            let mut g = vec![0.0; total];
            g[..self.width].copy_from_slice(self.row(i));
            if self.centre.is_some() {
                g[self.width] = self.labels[i];
            }
            program.push(g, rhs);
        }
    }

    /// Margins of the first `nvars()` entries of `x` in internal coordinates.
    fn margins(&self, x: &[f64]) -> Vec<f64> {
        (0..self.len())
            .map(|i| {
                let m = dot(self.row(i), &x[..self.width]);
                if self.centre.is_some() {
                    m + self.labels[i] * x[self.width]
                } else {
                    m
                }
            })
            .collect()
    }

    /// Certified separation γ > 0 of the scaled data, from the LP max γ s.t. margins ≥ γ,
    /// ‖w‖∞ ≤ 1 (and |b| ≤ √d + 1 with a free intercept: for two classes any separating b is
    /// smaller, so the bound only keeps the LP bounded).
    fn separation(&self) -> Result<f64, ReferenceError> {
        let nv = self.nvars();
        let total = nv + 1;
        let mut linear = vec![0.0; total];
        linear[nv] = -1.0;
        let mut program = Program::new(vec![0.0; total], linear);
        for i in 0..self.len() {
            let mut g = vec![0.0; total];
            g[..self.width].copy_from_slice(self.row(i));
            if self.centre.is_some() {
                g[self.width] = self.labels[i];
            }
            g[nv] = -1.0;
            program.push(g, 0.0);
        }
        let bound = if self.centre.is_some() {
            (self.width as f64).sqrt() + 1.0
        } else {
            1.0
        };
        for j in 0..nv {
            let box_bound = if j < self.width { 1.0 } else { bound };
            program.push_unit(total, j, 1.0, -box_bound);
            program.push_unit(total, j, -1.0, -box_bound);
        }
        let ipm = interior_point(&program, "separability LP")?;
        if !matches!(
            ipm.status,
            SolverStatus::Solved | SolverStatus::AlmostSolved
        ) {
            return Err(ReferenceError::SolverFailed(format!(
                "separability LP: clarabel stopped with status {:?}",
                ipm.status
            )));
        }
        // Clip to the box so that the margin we compute is an honest certificate.
        let x: Vec<f64> = ipm.x[..nv]
            .iter()
            .enumerate()
            .map(|(j, &v)| {
                if j < self.width {
                    v.clamp(-1.0, 1.0)
                } else {
                    v.clamp(-bound, bound)
                }
            })
            .collect();
        let gamma = self.margins(&x).into_iter().fold(f64::INFINITY, f64::min);
        if gamma > SEPARABILITY_TOL {
            Ok(gamma)
        } else if self.centre.is_some() {
            Err(not_separable_intercept())
        } else {
            Err(not_separable_homogeneous(self.bias))
        }
    }

    /// Maps an internal solution back to the user's coordinates and packages it.
    fn finish(
        &self,
        data: &LinearData,
        norm: MarginNorm,
        x: &[f64],
    ) -> Result<MaxMarginReference, ReferenceError> {
        let d = data.dim;
        let weight_norm = norm2(&x[..d]);
        if weight_norm.is_nan() || weight_norm <= ZERO_WEIGHT_TOL * norm2(x) {
            return Err(ReferenceError::NotSeparable(
                "the bias alone separates the data (one label only), so the weight part of the \
                 solution is zero and has no direction; use bias = false or two classes"
                    .to_string(),
            ));
        }
        // θ_user = θ/s; with a centre c also b_user = b − ⟨w_user, c⟩.
        let mut solution: Vec<f64> = x.iter().map(|v| v / self.scale).collect();
        if let Some(centre) = &self.centre {
            solution[d] = x[d] - dot(&solution[..d], centre);
        }
        let has_b = solution.len() > d;
        let raw_margin = |theta: &[f64], i: usize| {
            let b = if has_b { theta[d] } else { 0.0 };
            data.labels[i] * (dot(&theta[..d], data.point(i)) + b)
        };
        let least = (0..data.len())
            .map(|i| raw_margin(&solution, i))
            .fold(f64::INFINITY, f64::min);
        if !(least > 0.0 && least.is_finite()) {
            return Err(ReferenceError::SolverFailed(format!(
                "{} solution does not separate the data in the original coordinates (least \
                 margin {least:e}); the data may be too badly scaled",
                norm.name()
            )));
        }
        for v in &mut solution {
            *v /= least;
        }
        let w_norm = norm2(&solution[..d]);
        let direction: Vec<f64> = solution[..d].iter().map(|v| v / w_norm).collect();
        let margin = (0..data.len())
            .map(|i| raw_margin(&solution, i) / w_norm)
            .fold(f64::INFINITY, f64::min);
        if direction.iter().chain(&solution).any(|v| !v.is_finite()) || !margin.is_finite() {
            return Err(ReferenceError::SolverFailed(format!(
                "{} solution is not finite after rescaling",
                norm.name()
            )));
        }
        Ok(MaxMarginReference {
            norm,
            direction,
            solution,
            margin,
        })
    }
}

fn not_separable_homogeneous(bias: bool) -> ReferenceError {
    ReferenceError::NotSeparable(if bias {
        "no hyperplane separates the data, even with the bias; use clusters that are separable"
            .to_string()
    } else {
        "no direction separates the data through the origin; add `bias = true` or use clusters \
         that are separable"
            .to_string()
    })
}

fn not_separable_intercept() -> ReferenceError {
    ReferenceError::NotSeparable(
        "no hyperplane separates the two classes, even with an intercept; use clusters that are \
         separable"
            .to_string(),
    )
}

/// The ℓ2 problems: min ½‖w‖² s.t. margins ≥ γ (b free and unpenalised with an intercept).
fn solve_l2(problem: &MarginProblem, gamma: f64) -> Result<Vec<f64>, ReferenceError> {
    let nv = problem.nvars();
    let mut quad = vec![1.0; nv];
    if problem.centre.is_some() {
        quad[problem.width] = 0.0;
    }
    let mut program = Program::new(quad, vec![0.0; nv]);
    problem.push_margins(&mut program, nv, gamma);
    Ok(solve_polished(&program, "ℓ2 max-margin QP")?.x)
}

/// The LP norms: stage 1 finds the optimal ‖θ‖_p (an LP), stage 2 the least-‖θ‖₂ optimum (a QP).
///
/// Unknowns are (θ, t) for ℓ∞ (|θⱼ| ≤ t) and (θ, u) for ℓ1 (|θⱼ| ≤ uⱼ). Stage 2 first works on the
/// optimal face itself, `{feasible x : G_S x = h_S}` for the support S of a certified optimal dual
/// (complementary slackness makes this exactly the set of optima, and it is a well-posed QP). When
/// the LP could not be certified, or that QP fails, it falls back to the literal definition: least
/// ‖θ‖₂ subject to margins ≥ 1 and ‖θ‖_p ≤ optimum·(1 + 1e-9). Both agree to within that 1e-9.
fn solve_polyhedral(
    problem: &MarginProblem,
    norm: MarginNorm,
    gamma: f64,
) -> Result<Vec<f64>, ReferenceError> {
    let p = problem.nvars();
    let aux = if norm == MarginNorm::Linf { 1 } else { p };
    let total = p + aux;
    let mut linear = vec![0.0; total];
    linear[p..].iter_mut().for_each(|c| *c = 1.0);
    let mut stage1 = Program::new(vec![0.0; total], linear);
    problem.push_margins(&mut stage1, total, gamma);
    for j in 0..p {
        let a = if aux == 1 { p } else { p + j };
        for sign in [1.0, -1.0] {
            // aux − sign·θⱼ ≥ 0
            let mut g = vec![0.0; total];
            g[a] = 1.0;
            g[j] = -sign;
            stage1.push(g, 0.0);
        }
    }
    let what = if norm == MarginNorm::Linf {
        "ℓ∞"
    } else {
        "ℓ1"
    };
    let lp = solve_polished(&stage1, &format!("{what} max-margin LP"))?;
    let p_norm = |theta: &[f64]| {
        if norm == MarginNorm::Linf {
            norm_inf(theta)
        } else {
            norm1(theta)
        }
    };
    // Rescaled to be exactly feasible, the LP point's norm is an honest upper bound on the
    // optimum (and equal to it to round-off when the polish certified it).
    let theta = &lp.x[..p];
    let least = problem
        .margins(theta)
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    if least.is_nan() || least <= 0.0 {
        return Err(ReferenceError::SolverFailed(format!(
            "{what} max-margin LP returned a point with least margin {least:e}"
        )));
    }
    let optimum = p_norm(theta) * gamma / least;
    let limit = optimum * (1.0 + TIE_BREAK_SLACK);
    let within_limit = |x: &[f64]| {
        let least = problem
            .margins(&x[..p])
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        least > 0.0 && p_norm(&x[..p]) * gamma / least <= limit
    };

    let mut quad = vec![0.0; total];
    quad[..p].iter_mut().for_each(|q| *q = 1.0);
    if let Some(certificate) = &lp.certificate {
        let lambda_max = certificate
            .lambda
            .iter()
            .map(|l| l.abs())
            .fold(0.0, f64::max);
        let mut face = Program::new(quad.clone(), vec![0.0; total]);
        for i in 0..stage1.nrows() {
            let support = certificate
                .set
                .iter()
                .position(|&k| k == i)
                .is_some_and(|a| certificate.lambda[a] > 1e-9 * lambda_max);
            face.push_row(stage1.row(i).to_vec(), stage1.h[i], support);
        }
        if let Ok(solution) = solve_polished(&face, &format!("{what} optimal-face QP"))
            && within_limit(&solution.x)
        {
            return Ok(solution.x[..p].to_vec());
        }
    }

    let mut stage2 = Program::new(quad, vec![0.0; total]);
    problem.push_margins(&mut stage2, total, gamma);
    if norm == MarginNorm::Linf {
        // The auxiliary t is pinned to the limit so that the program stays small and regular.
        for j in 0..p {
            stage2.push_unit(total, j, 1.0, -limit);
            stage2.push_unit(total, j, -1.0, -limit);
        }
        stage2.push_unit(total, p, 1.0, limit);
        stage2.push_unit(total, p, -1.0, -limit);
    } else {
        for j in 0..p {
            for sign in [1.0, -1.0] {
                let mut g = vec![0.0; total];
                g[p + j] = 1.0;
                g[j] = -sign;
                stage2.push(g, 0.0);
            }
        }
        let mut g = vec![0.0; total];
        g[p..].iter_mut().for_each(|v| *v = -1.0);
        stage2.push(g, -limit);
    }
    let solution = solve_polished(&stage2, &format!("{what} tie-break QP"))?;
    Ok(solution.x[..p].to_vec())
}

/// min ½ xᵀ diag(quad) x + linearᵀx subject to Gᵢx ≥ hᵢ, or Gᵢx = hᵢ where `equality[i]`; G is
/// dense and row-major (our problems are small and dense).
struct Program {
    quad: Vec<f64>,
    linear: Vec<f64>,
    g: Vec<f64>,
    h: Vec<f64>,
    equality: Vec<bool>,
}

impl Program {
    fn new(quad: Vec<f64>, linear: Vec<f64>) -> Self {
        Self {
            quad,
            linear,
            g: Vec::new(),
            h: Vec::new(),
            equality: Vec::new(),
        }
    }

    fn nvars(&self) -> usize {
        self.linear.len()
    }

    fn nrows(&self) -> usize {
        self.h.len()
    }

    fn row(&self, i: usize) -> &[f64] {
        let n = self.nvars();
        &self.g[i * n..(i + 1) * n]
    }

    /// Appends row·x ≥ rhs.
    fn push(&mut self, row: Vec<f64>, rhs: f64) {
        self.push_row(row, rhs, false);
    }

    /// Appends row·x = rhs when `equality`, else row·x ≥ rhs.
    fn push_row(&mut self, row: Vec<f64>, rhs: f64, equality: bool) {
        debug_assert_eq!(row.len(), self.nvars());
        self.g.extend(row);
        self.h.push(rhs);
        self.equality.push(equality);
    }

    /// Appends `coefficient·x_j ≥ rhs`.
    fn push_unit(&mut self, total: usize, j: usize, coefficient: f64, rhs: f64) {
        let mut g = vec![0.0; total];
        g[j] = coefficient;
        self.push(g, rhs);
    }
}

/// What clarabel returned: primal x, multipliers z of the rows (≥ 0 on inequalities), status.
struct IpmSolution {
    x: Vec<f64>,
    z: Vec<f64>,
    status: SolverStatus,
}

/// A solved program: the point, and the verified active set with its multipliers when the
/// polish certified optimality.
struct Solution {
    x: Vec<f64>,
    certificate: Option<Certificate>,
}

/// Active rows and their multipliers, satisfying every KKT condition to round-off.
struct Certificate {
    set: Vec<usize>,
    lambda: Vec<f64>,
}

/// Tighter than clarabel's defaults: the polish needs a clean active set.
fn ipm_settings() -> DefaultSettings<f64> {
    DefaultSettings {
        verbose: false,
        max_iter: 400,
        tol_gap_abs: 1e-11,
        tol_gap_rel: 1e-11,
        tol_feas: 1e-11,
        tol_ktratio: 1e-9,
        ..DefaultSettings::default()
    }
}

/// Runs clarabel on `program`, written as A x + s = b with A = −G, b = −h, and s in the zero cone
/// for equality rows (which clarabel wants first) and in the nonnegative cone for the others.
fn interior_point(program: &Program, what: &str) -> Result<IpmSolution, ReferenceError> {
    let (nvars, nrows) = (program.nvars(), program.nrows());
    let mut colptr = vec![0];
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    for (j, &q) in program.quad.iter().enumerate() {
        if q != 0.0 {
            rowval.push(j);
            nzval.push(q);
        }
        colptr.push(rowval.len());
    }
    let quad = CscMatrix::new(nvars, nvars, colptr, rowval, nzval);
    let order: Vec<usize> = (0..nrows)
        .filter(|&i| program.equality[i])
        .chain((0..nrows).filter(|&i| !program.equality[i]))
        .collect();
    let n_eq = program.equality.iter().filter(|&&e| e).count();
    let mut colptr = vec![0];
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    for j in 0..nvars {
        for (r, &i) in order.iter().enumerate() {
            let value = program.g[i * nvars + j];
            if value != 0.0 {
                rowval.push(r);
                nzval.push(-value);
            }
        }
        colptr.push(rowval.len());
    }
    let constraints = CscMatrix::new(nrows, nvars, colptr, rowval, nzval);
    let rhs: Vec<f64> = order.iter().map(|&i| -program.h[i]).collect();
    let cones = [ZeroConeT(n_eq), NonnegativeConeT(nrows - n_eq)];
    let mut solver = DefaultSolver::new(
        &quad,
        &program.linear,
        &constraints,
        &rhs,
        &cones,
        ipm_settings(),
    )
    .map_err(|e| ReferenceError::SolverFailed(format!("{what}: clarabel setup: {e}")))?;
    solver.solve();
    let sol = &solver.solution;
    if sol.x.iter().chain(&sol.z).any(|v| !v.is_finite()) {
        return Err(ReferenceError::SolverFailed(format!(
            "{what}: clarabel returned non-finite values (status {:?})",
            sol.status
        )));
    }
    let mut z = vec![0.0; nrows];
    for (r, &i) in order.iter().enumerate() {
        z[i] = sol.z[r];
    }
    Ok(IpmSolution {
        x: sol.x.clone(),
        z,
        status: sol.status,
    })
}

/// Solves with clarabel, then polishes; the polished point is used when it passes the KKT check,
/// else clarabel's point when clarabel reached full accuracy, else an error.
fn solve_polished(program: &Program, what: &str) -> Result<Solution, ReferenceError> {
    let ipm = interior_point(program, what)?;
    match ipm.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {
            if let Some((x, certificate)) = polish(program, &ipm.x, &ipm.z) {
                Ok(Solution {
                    x,
                    certificate: Some(certificate),
                })
            } else if ipm.status == SolverStatus::Solved {
                Ok(Solution {
                    x: ipm.x,
                    certificate: None,
                })
            } else {
                Err(ReferenceError::SolverFailed(format!(
                    "{what}: clarabel reached only reduced accuracy and the active-set polish \
                     could not certify the answer"
                )))
            }
        }
        status => Err(ReferenceError::SolverFailed(format!(
            "{what}: clarabel stopped with status {status:?}"
        ))),
    }
}

/// Active-set polish: guesses the active rows from clarabel's multipliers (then from its slacks,
/// then both), solves the equality-constrained KKT system exactly and returns the point only if
/// it satisfies every KKT condition to round-off.
fn polish(program: &Program, x0: &[f64], z0: &[f64]) -> Option<(Vec<f64>, Certificate)> {
    let m = program.nrows();
    let z_max = z0.iter().map(|z| z.abs()).fold(0.0, f64::max);
    let x_norm = norm2(x0);
    let slack: Vec<f64> = (0..m)
        .map(|i| dot(program.row(i), x0) - program.h[i])
        .collect();
    let row_scale: Vec<f64> = (0..m)
        .map(|i| program.h[i].abs() + norm2(program.row(i)) * x_norm)
        .collect();
    let equalities = (0..m).filter(|&i| program.equality[i]);
    let by_dual: Vec<usize> = equalities
        .clone()
        .chain((0..m).filter(|&i| z0[i] > 1e-6 * z_max))
        .collect();
    let by_slack: Vec<usize> = equalities
        .chain((0..m).filter(|&i| slack[i] <= 1e-7 * row_scale[i]))
        .collect();
    let mut tried: Vec<Vec<usize>> = Vec::new();
    for set in [
        by_dual.clone(),
        by_slack.clone(),
        [by_dual, by_slack].concat(),
    ] {
        let set = distinct_rows(program, set);
        if set.is_empty() || tried.contains(&set) || set.len() > 3 * program.nvars() + 10 {
            continue;
        }
        if let Some(found) = kkt_solve(program, x0, &set) {
            return Some(found);
        }
        tried.push(set);
    }
    None
}

/// Sorts the rows and drops any that repeats an earlier one exactly (duplicate points), which
/// would only make the KKT matrix singular.
fn distinct_rows(program: &Program, mut set: Vec<usize>) -> Vec<usize> {
    set.sort_unstable();
    set.dedup();
    let mut kept: Vec<usize> = Vec::with_capacity(set.len());
    for i in set {
        let duplicate = kept.iter().any(|&k| {
            program.h[k].to_bits() == program.h[i].to_bits()
                && program.equality[k] == program.equality[i]
                && program
                    .row(k)
                    .iter()
                    .zip(program.row(i))
                    .all(|(a, b)| a.to_bits() == b.to_bits())
        });
        if !duplicate {
            kept.push(i);
        }
    }
    kept
}

/// Solves the KKT system of `min ½xᵀDx + cᵀx s.t. G_S x = h_S` for a correction to `x0` (by SVD,
/// so rank deficiency is handled as least squares) and checks the full KKT conditions.
fn kkt_solve(program: &Program, x0: &[f64], set: &[usize]) -> Option<(Vec<f64>, Certificate)> {
    let (nv, k) = (program.nvars(), set.len());
    let size = nv + k;
    let mut kkt = DMatrix::<f64>::zeros(size, size);
    for j in 0..nv {
        kkt[(j, j)] = program.quad[j];
    }
    for (a, &i) in set.iter().enumerate() {
        for (j, &g) in program.row(i).iter().enumerate() {
            kkt[(nv + a, j)] = g;
            kkt[(j, nv + a)] = g;
        }
    }
    // Unknowns (δ, −λ): D(x0 + δ) + c − G_Sᵀλ = 0 and G_S(x0 + δ) = h_S.
    let rhs = DVector::from_fn(size, |r, _| {
        if r < nv {
            -(program.quad[r] * x0[r] + program.linear[r])
        } else {
            let i = set[r - nv];
            program.h[i] - dot(program.row(i), x0)
        }
    });
    let svd = Svd::new(&kkt)?;
    let cutoff = svd.s[0] * 1e-12;
    let mut sol = svd.solve(&rhs, cutoff);
    // One step of iterative refinement recovers the digits the first solve loses.
    let residual = &rhs - &kkt * &sol;
    sol += svd.solve(&residual, cutoff);
    let x: Vec<f64> = x0.iter().zip(sol.iter()).map(|(a, b)| a + b).collect();
    let lambda: Vec<f64> = sol.iter().skip(nv).map(|v| -v).collect();
    if x.iter().chain(&lambda).any(|v| !v.is_finite()) {
        return None;
    }
    let certificate = Certificate {
        set: set.to_vec(),
        lambda,
    };
    kkt_holds(program, &x, &certificate).then_some((x, certificate))
}

/// Full KKT check of a candidate: feasibility of every row, equality on the active rows,
/// multipliers ≥ 0 on inequalities and stationarity, each relative to the size of the terms.
fn kkt_holds(program: &Program, x: &[f64], certificate: &Certificate) -> bool {
    let Certificate { set, lambda } = certificate;
    let x_norm = norm2(x);
    let lambda_max = lambda.iter().map(|v| v.abs()).fold(0.0, f64::max);
    if set
        .iter()
        .zip(lambda)
        .any(|(&i, &l)| !program.equality[i] && l < -1e-10 * lambda_max)
    {
        return false;
    }
    for i in 0..program.nrows() {
        let g = program.row(i);
        let value = dot(g, x) - program.h[i];
        let scale = program.h[i].abs() + norm2(g) * x_norm;
        let active = program.equality[i] || set.contains(&i);
        if value < -1e-12 * scale || (active && value.abs() > 1e-11 * scale) {
            return false;
        }
    }
    let nv = program.nvars();
    let mut grad: Vec<f64> = (0..nv)
        .map(|j| program.quad[j] * x[j] + program.linear[j])
        .collect();
    let mut size: Vec<f64> = grad.iter().map(|v| v.abs()).collect();
    for (&i, &l) in set.iter().zip(lambda) {
        for (j, &g) in program.row(i).iter().enumerate() {
            grad[j] -= l * g;
            size[j] += (l * g).abs();
        }
    }
    let scale = size.iter().copied().fold(0.0, f64::max);
    grad.iter()
        .all(|v| v.abs() <= 1e-10 * scale.max(f64::MIN_POSITIVE))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm2(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn norm1(a: &[f64]) -> f64 {
    a.iter().map(|v| v.abs()).sum()
}

fn norm_inf(a: &[f64]) -> f64 {
    a.iter().map(|v| v.abs()).fold(0.0, f64::max)
}

/// The least-nuclear-norm completion of a partially observed matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct NuclearReference {
    /// The completion X: equal to M* on observed entries (to `primal_residual`).
    pub completion: DMatrix<f64>,
    /// All singular values of `completion`, descending.
    pub singular_values: Vec<f64>,
    /// ‖(X − M*) ⊙ (1−mask)‖_F / ‖M* ⊙ (1−mask)‖_F, measured like the runs' test error.
    pub test_error: f64,
    /// ‖X‖_*, the sum of `singular_values`.
    pub nuclear_norm: f64,
    /// True when the stopping criteria below were met; false = report "not converged", never
    /// silently wrong.
    pub converged: bool,
    /// Iterations used: ADMM iterations plus Newton steps.
    pub iterations: usize,
    /// Final primal residual `‖P_Ω(X) − P_Ω(M*)‖_F / max(1, ‖P_Ω(M*)‖_F)`.
    pub primal_residual: f64,
    /// Final dual (optimality) residual: the Frobenius norm of the part off Ω of an exact
    /// subgradient of `‖·‖_*` at X (zero exactly when X is optimal, given `P_Ω(X) = P_Ω(M*)`).
    pub dual_residual: f64,
}

/// The completion of least nuclear norm that equals M* on observed entries (mask == 1). Works for
/// rectangular m×n.
///
/// The problem is homogeneous, so it is solved on data scaled to max|M*_Ω| = 1, in stages:
/// 1. ADMM on singular-value thresholding (over-relaxed, penalty by residual balancing). This
///    settles the easy, recoverable cases in well under 150 iterations.
/// 2. When it does not, the optimum's singular values typically spread over many decades and
///    first-order methods crawl. For up to 700 observed entries a primal-dual interior point on
///    the equivalent SDP then gets within about 1e-10 of the optimum in some 20 iterations.
/// 3. ADMM with Anderson acceleration restarts from the interior point's primal-dual pair; it
///    removes the interior point's spurious tiny singular values and measures the residuals.
/// 4. If that stalls (m·n ≤ 625), semismooth Newton on the ADMM fixed-point equation.
///
/// Every stage stops when the relative primal residual and the dual residual are both ≤ 1e-9
/// (see the fields). Nearly degenerate problems (a dual singular value within a hair of 1) may
/// end just short of that, and anything past the iteration caps, with `converged = false`.
#[must_use]
pub fn min_nuclear_norm(data: &MatrixData) -> NuclearReference {
    solve_nuclear(data).0
}

/// [`min_nuclear_norm`] plus its dual matrix Λ: supported on Ω and, up to the dual residual, a
/// subgradient of ‖·‖_* at the completion. Tests turn it into an optimality certificate.
fn solve_nuclear(data: &MatrixData) -> (NuclearReference, DMatrix<f64>) {
    let target = &data.target;
    let (m, n) = target.shape();
    let zeros = DMatrix::<f64>::zeros(m, n);
    if data.mask.shape() != (m, n) {
        return (
            nuclear_result(data, zeros.clone(), false, 0, f64::INFINITY),
            zeros,
        );
    }
    let observed: Vec<bool> = data.mask.iter().map(|&v| v != 0.0).collect();
    if target
        .iter()
        .zip(&observed)
        .any(|(v, &o)| o && !v.is_finite())
    {
        return (
            nuclear_result(data, zeros.clone(), false, 0, f64::INFINITY),
            zeros,
        );
    }
    let scale = target
        .iter()
        .zip(&observed)
        .filter(|(_, o)| **o)
        .fold(0.0, |a, (v, _)| v.abs().max(a));
    if m == 0 || n == 0 || scale == 0.0 {
        // Nothing observed, or only zeros: X = 0 is feasible with nuclear norm 0.
        return (nuclear_result(data, zeros.clone(), true, 0, 0.0), zeros);
    }
    if observed.iter().all(|&o| o) {
        return (nuclear_result(data, target.clone(), true, 0, 0.0), zeros);
    }
    // The Newton phase works with m ≤ n; the problem commutes with transposition.
    let transpose = m > n;
    let scaled = DMatrix::from_fn(m, n, |i, j| {
        if observed[i + j * m] {
            target[(i, j)] / scale
        } else {
            0.0
        }
    });
    let (b, mask) = if transpose {
        (scaled.transpose(), data.mask.transpose())
    } else {
        (scaled, data.mask.clone())
    };
    let outcome = Completion::new(b, &mask).solve();
    let (x, lambda) = if transpose {
        (outcome.x.transpose(), outcome.lambda.transpose())
    } else {
        (outcome.x, outcome.lambda)
    };
    if x.iter().any(|v| !v.is_finite()) {
        return (
            nuclear_result(
                data,
                zeros.clone(),
                false,
                outcome.iterations,
                f64::INFINITY,
            ),
            zeros,
        );
    }
    let result = nuclear_result(
        data,
        x * scale,
        outcome.converged,
        outcome.iterations,
        outcome.dual,
    );
    (result, lambda)
}

/// Iterations of plain ADMM before the interior point takes over.
const ADMM_WARM_START: usize = 150;
/// Largest number of observed entries for which the interior point is used (its Schur
/// complement is |Ω|×|Ω|: 0.8 ms to factor at 240, 20 ms at 700).
const SDP_MAX_OBSERVED: usize = 700;
/// Interior-point iteration cap and tolerance (relative infeasibilities and gap).
const SDP_ITERATION_CAP: usize = 80;
const SDP_TOL: f64 = 1e-12;
/// ADMM iterations allowed to clean up after the interior point.
const POLISH_CAP: usize = 1000;
/// Largest m·n for the dense semismooth Newton polish (an mn×mn system per step).
const NEWTON_MAX_ENTRIES: usize = 625;
/// Newton steps allowed in that polish.
const NEWTON_CAP: usize = 12;
/// Iterates remembered by Anderson acceleration.
const ANDERSON_MEMORY: usize = 10;

/// A scaled completion problem with m ≤ n: observed values B (zero off Ω) and the mask.
struct Completion {
    b: DMatrix<f64>,
    observed: Vec<bool>,
    /// Column-major indices of the observed entries.
    omega: Vec<usize>,
    b_norm: f64,
}

/// Where a solver phase ended: the iterate, the dual matrix on Ω and the residuals.
struct Outcome {
    x: DMatrix<f64>,
    lambda: DMatrix<f64>,
    converged: bool,
    iterations: usize,
    dual: f64,
}

/// ADMM state, kept so that ADMM can resume if the later stages fail.
struct Admm {
    x: DMatrix<f64>,
    /// The split variable: B on Ω, the relaxed iterate off Ω.
    y: DMatrix<f64>,
    /// Scaled dual, zero off Ω.
    u: DMatrix<f64>,
    rho: f64,
    iterations: usize,
    primal: f64,
    dual: f64,
}

impl Completion {
    fn new(b: DMatrix<f64>, mask: &DMatrix<f64>) -> Self {
        let observed: Vec<bool> = mask.iter().map(|&v| v != 0.0).collect();
        let omega = (0..observed.len()).filter(|&k| observed[k]).collect();
        let b_norm = b.norm();
        Self {
            b,
            observed,
            omega,
            b_norm,
        }
    }

    fn solve(&self) -> Outcome {
        let (m, n) = self.b.shape();
        let mut admm = Admm {
            x: DMatrix::zeros(m, n),
            y: self.b.clone(),
            u: DMatrix::zeros(m, n),
            rho: 1.0 / (0.1 * spectral_norm(&self.b).max(f64::MIN_POSITIVE)),
            iterations: 0,
            primal: f64::INFINITY,
            dual: f64::INFINITY,
        };
        if self.admm(&mut admm, ADMM_WARM_START, false) {
            return self.admm_outcome(&admm, true);
        }
        if self.omega.len() > SDP_MAX_OBSERVED {
            let converged = self.admm(&mut admm, iteration_cap(m, n), false);
            return self.admm_outcome(&admm, converged);
        }
        let (x, lambda, steps) = self.sdp_interior_point();
        // Resume ADMM from the interior point's primal-dual pair (U = −Λ/ρ): it removes the
        // interior point's tiny spurious singular values and measures the residuals exactly.
        let rho = admm.rho;
        let mut polish = Admm {
            y: DMatrix::from_fn(m, n, |i, j| {
                if self.observed[i + j * m] {
                    self.b[(i, j)]
                } else {
                    x[(i, j)]
                }
            }),
            u: lambda / (-rho),
            x,
            rho,
            iterations: 0,
            primal: f64::INFINITY,
            dual: f64::INFINITY,
        };
        let mut converged = self.admm(&mut polish, POLISH_CAP, true);
        if !converged && m * n <= NEWTON_MAX_ENTRIES {
            // A moderate penalty keeps the spectrum of Y − U away from the threshold, where
            // SVT is not differentiable; U = −Λ/ρ moves with it.
            polish.u *= polish.rho / rho;
            polish.rho = rho;
            converged = self.newton(&mut polish, NEWTON_CAP);
        }
        let polished = polish.primal.max(polish.dual);
        let spent = admm.iterations + steps + polish.iterations;
        if converged || polished <= 1e-6 {
            // Close but not converged means a nearly degenerate problem (a dual singular value
            // within a hair of 1), where first-order methods crawl: report it as not converged.
            return Outcome {
                iterations: spent,
                ..self.admm_outcome(&polish, converged)
            };
        }
        let converged = self.admm(&mut admm, iteration_cap(m, n), false);
        Outcome {
            iterations: steps + polish.iterations + admm.iterations,
            ..self.admm_outcome(&admm, converged)
        }
    }

    /// Runs ADMM until both residuals are ≤ 1e-9 (true) or `cap` total iterations (false).
    ///
    /// Without `accelerate` the penalty follows residual balancing. With it the penalty stays
    /// fixed, so that the iteration is one fixed map, and Anderson acceleration extrapolates its
    /// fixed point from the last few iterates (restarting whenever that makes the fixed-point
    /// residual jump): near a solution the map is almost linear and this converges far faster.
    fn admm(&self, s: &mut Admm, cap: usize, accelerate: bool) -> bool {
        let alpha = 1.6;
        let (m, n) = self.b.shape();
        let mut history: Vec<(DVector<f64>, DVector<f64>)> = Vec::new();
        let mut last_residual = f64::INFINITY;
        while s.iterations < cap {
            s.iterations += 1;
            let Some(next) = shrink(&(&s.y - &s.u), 1.0 / s.rho) else {
                return false;
            };
            if next.iter().any(|v| !v.is_finite()) {
                return false;
            }
            s.x = next;
            // The exact subgradient at x is ρ(Y − U − X); its part off Ω is ρ(Y − X) there.
            let (mut r2, mut s2) = (0.0, 0.0);
            for k in 0..m * n {
                if self.observed[k] {
                    r2 += (s.x[k] - self.b[k]).powi(2);
                } else {
                    s2 += (s.y[k] - s.x[k]).powi(2);
                }
            }
            s.primal = r2.sqrt() / self.b_norm;
            s.dual = s.rho * s2.sqrt();
            if s.primal <= NUCLEAR_TOL && s.dual <= NUCLEAR_TOL {
                return true;
            }
            let before = self.pack(s);
            for k in 0..m * n {
                let relaxed = alpha * s.x[k] + (1.0 - alpha) * s.y[k];
                if self.observed[k] {
                    s.u[k] += relaxed - self.b[k];
                } else {
                    s.y[k] = relaxed;
                }
            }
            if accelerate {
                let after = self.pack(s);
                let residual = (&after - &before).norm();
                if residual > 2.0 * last_residual {
                    history.clear();
                }
                last_residual = residual;
                history.push((before, after));
                if history.len() > ANDERSON_MEMORY + 1 {
                    history.remove(0);
                }
                if let Some(extrapolated) = anderson(&history) {
                    self.unpack(&extrapolated, s);
                }
            }
            // Residual balancing: keep the two residuals within a factor of ten. A new penalty
            // is a new map, so Anderson starts its history again.
            let period = if accelerate { 20 } else { 5 };
            if s.iterations.is_multiple_of(period) {
                let factor = if s.primal > 10.0 * s.dual {
                    Some(2.0)
                } else if s.dual > 10.0 * s.primal {
                    Some(0.5)
                } else {
                    None
                };
                if let Some(factor) = factor {
                    s.rho *= factor;
                    s.u /= factor;
                    history.clear();
                    last_residual = f64::INFINITY;
                }
            }
        }
        false
    }

    /// Semismooth Newton on the ADMM fixed-point equation F(s) = 0 for the state s = (U on Ω,
    /// Y off Ω), F = SVT_{1/ρ}(Y − U) − Ŷ with Ŷ = B on Ω and Y off Ω, so F is exactly the pair
    /// of ADMM residuals. SVT is differentiable where no singular value sits on the threshold, and
    /// its Jacobian is explicit; each step solves the dense mn×mn system in the least-squares
    /// sense, with a backtracking line search on ‖F‖. Used when ADMM crawls.
    fn newton(&self, s: &mut Admm, cap: usize) -> bool {
        let mut state = self.pack(s);
        let Some(mut point) = self.fixed_point(&state, s.rho) else {
            return false;
        };
        let mut converged = false;
        for _ in 0..cap {
            if point.primal <= NUCLEAR_TOL && point.dual <= NUCLEAR_TOL {
                converged = true;
                break;
            }
            s.iterations += 1;
            let jacobian = self.fixed_point_jacobian(&point, 1.0 / s.rho);
            // The Jacobian is singular whenever the dual certificate is not unique (a low-rank
            // optimum seen through many entries), so take the least-squares step from lightly
            // damped normal equations (Levenberg–Marquardt).
            let mut normal = jacobian.transpose() * &jacobian;
            let damping = 1e-12 * normal.diagonal().max() + f64::MIN_POSITIVE;
            for d in 0..normal.nrows() {
                normal[(d, d)] += damping;
            }
            let gradient = jacobian.transpose() * &point.residual;
            let Some(factor) = normal.cholesky() else {
                break;
            };
            let step = -factor.solve(&gradient);
            let norm = point.residual.norm();
            let mut t = 1.0;
            let mut accepted = None;
            for _ in 0..30 {
                let trial = &state + &step * t;
                if let Some(next) = self.fixed_point(&trial, s.rho)
                    && next.residual.norm() <= (1.0 - 1e-4 * t) * norm
                {
                    accepted = Some((trial, next));
                    break;
                }
                t *= 0.5;
            }
            let Some((trial, next)) = accepted else { break };
            state = trial;
            point = next;
        }
        self.unpack(&state, s);
        s.x = point.x;
        s.primal = point.primal;
        s.dual = point.dual;
        converged || (s.primal <= NUCLEAR_TOL && s.dual <= NUCLEAR_TOL)
    }

    /// F at the state vector `state`, with the SVD it came from.
    #[allow(
        clippy::many_single_char_names,
        reason = "the notation of the formulas above"
    )]
    fn fixed_point(&self, state: &DVector<f64>, rho: f64) -> Option<FixedPoint> {
        let (m, n) = self.b.shape();
        let a = DMatrix::from_fn(m, n, |i, j| {
            let k = i + j * m;
            if self.observed[k] {
                self.b[k] - state[k]
            } else {
                state[k]
            }
        });
        let svd = Svd::new(&a)?;
        let x = svd.shrunk(1.0 / rho);
        let residual = DVector::from_fn(m * n, |k, _| {
            if self.observed[k] {
                x[k] - self.b[k]
            } else {
                x[k] - state[k]
            }
        });
        let (mut r2, mut s2) = (0.0, 0.0);
        for (k, &f) in residual.iter().enumerate() {
            if self.observed[k] {
                r2 += f * f;
            } else {
                s2 += f * f;
            }
        }
        let finite = residual.iter().all(|v| v.is_finite());
        finite.then(|| FixedPoint {
            u: svd.u,
            v_t: svd.v_t,
            singular: svd.s,
            x,
            residual,
            primal: r2.sqrt() / self.b_norm,
            dual: rho * s2.sqrt(),
        })
    }

    /// ∂F/∂s: column k is `±J[E_k]` (− on Ω, where Y − U = B − U) minus `e_k` off Ω, J the
    /// Jacobian of `SVT_τ`: `J[H] = U(Γs ∘ sym(UᵀHV) + Γa ∘ skew(UᵀHV))Vᵀ + U diag(g) UᵀH(I − VVᵀ)`
    /// with the divided differences `Γs = (f(σᵢ) − f(σⱼ))/(σᵢ − σⱼ)`,
    /// `Γa = (f(σᵢ) + f(σⱼ))/(σᵢ + σⱼ)`, `g = f(σᵢ)/σᵢ` and `f(σ) = (σ − τ)₊` (thin SVD, m ≤ n).
    #[allow(
        clippy::many_single_char_names,
        reason = "the notation of the formulas above"
    )]
    fn fixed_point_jacobian(&self, point: &FixedPoint, tau: f64) -> DMatrix<f64> {
        let (m, n) = self.b.shape();
        let (u, v_t, sv) = (&point.u, &point.v_t, &point.singular);
        let r = sv.len();
        let f: Vec<f64> = sv.iter().map(|&s| (s - tau).max(0.0)).collect();
        let gamma_s = DMatrix::from_fn(r, r, |i, j| match (sv[i] > tau, sv[j] > tau) {
            (true, true) => 1.0,
            (false, false) => 0.0,
            // One above the threshold and one at or below it, so σᵢ ≠ σⱼ.
            _ => (f[i] - f[j]) / (sv[i] - sv[j]),
        });
        let gamma_a = DMatrix::from_fn(r, r, |i, j| {
            let sum = sv[i] + sv[j];
            if sum > 0.0 { (f[i] + f[j]) / sum } else { 0.0 }
        });
        let g: Vec<f64> = sv
            .iter()
            .zip(&f)
            .map(|(&s, &fi)| if s > 0.0 { fi / s } else { 0.0 })
            .collect();
        // U diag(g), used by the part of H outside the row space of V.
        let u_g = DMatrix::from_fn(m, r, |i, p| u[(i, p)] * g[p]);
        let mut jacobian = DMatrix::zeros(m * n, m * n);
        for k in 0..m * n {
            let (i, j) = (k % m, k / m);
            // UᵀE_ij V = (row i of U)ᵀ(row j of V).
            let mixed = DMatrix::from_fn(r, r, |p, q| {
                let (a, b) = (u[(i, p)] * v_t[(q, j)], u[(i, q)] * v_t[(p, j)]);
                gamma_s[(p, q)] * 0.5 * (a + b) + gamma_a[(p, q)] * 0.5 * (a - b)
            });
            let mut out = u * mixed * v_t;
            if n > r {
                // UᵀE_ij(I − VVᵀ) = (row i of U)ᵀ (e_j − V·(row j of V))ᵀ.
                let coefficient = &u_g * u.row(i).transpose();
                let w = DVector::from_fn(n, |c, _| {
                    let vv: f64 = (0..r).map(|p| v_t[(p, c)] * v_t[(p, j)]).sum();
                    f64::from(u8::from(c == j)) - vv
                });
                out.ger(1.0, &coefficient, &w, 1.0);
            }
            let sign = if self.observed[k] { -1.0 } else { 1.0 };
            let mut column = jacobian.column_mut(k);
            for (entry, &value) in column.iter_mut().zip(out.iter()) {
                *entry = sign * value;
            }
            if !self.observed[k] {
                column[k] -= 1.0;
            }
        }
        jacobian
    }

    /// The ADMM state as one vector: U on Ω, Y off Ω (Y is B on Ω and U is zero off Ω).
    fn pack(&self, s: &Admm) -> DVector<f64> {
        DVector::from_fn(self.observed.len(), |k, _| {
            if self.observed[k] { s.u[k] } else { s.y[k] }
        })
    }

    fn unpack(&self, v: &DVector<f64>, s: &mut Admm) {
        for (k, &value) in v.iter().enumerate() {
            if self.observed[k] {
                s.u[k] = value;
            } else {
                s.y[k] = value;
            }
        }
    }

    /// The ADMM subgradient ρ(Y − U − X) restricted to Ω, as a matrix.
    fn admm_outcome(&self, s: &Admm, converged: bool) -> Outcome {
        let mut lambda = DMatrix::zeros(self.b.nrows(), self.b.ncols());
        for &k in &self.omega {
            lambda[k] = s.rho * (self.b[k] - s.u[k] - s.x[k]);
        }
        Outcome {
            x: s.x.clone(),
            lambda,
            converged,
            iterations: s.iterations,
            dual: s.dual,
        }
    }

    /// Primal-dual interior point (HKM direction, Mehrotra predictor-corrector) on the SDP form
    /// of the problem: min ½tr(Z) s.t. `Z = [[W₁, X], [Xᵀ, W₂]] ⪰ 0` and `X_Ω = B_Ω`, whose dual is
    /// max ⟨B, Y⟩ s.t. ½[[I, −Y], [−Yᵀ, I]] ⪰ 0 (i.e. ‖Y‖_op ≤ 1) with Y supported on Ω.
    ///
    /// Returns X, the dual Y (a near-subgradient of ‖·‖_* at X) and the iterations used. It stops
    /// at the tolerance, when the gap stalls (double precision runs out near a relative gap of
    /// 1e-11) or when a factorization breaks down, and returns its last interior iterate; the ADMM
    /// that follows judges it. Each iteration factors the |Ω|×|Ω| Schur complement, so this is
    /// only used for small problems.
    fn sdp_interior_point(&self) -> (DMatrix<f64>, DMatrix<f64>, usize) {
        let sdp = Sdp::new(self);
        let size = sdp.size;
        let start = (size as f64).sqrt().max(10.0);
        let mut iterate = SdpIterate {
            z: DMatrix::identity(size, size) * start,
            s: DMatrix::identity(size, size) * start,
            y: vec![0.0; sdp.rhs.len()],
        };
        let mut best_gap = f64::INFINITY;
        let mut stalled = 0;
        let mut iterations = 0;
        while iterations < SDP_ITERATION_CAP {
            let gap = iterate.z.dot(&iterate.s);
            if sdp.solved(&iterate) {
                break;
            }
            if gap < 0.5 * best_gap {
                best_gap = gap;
                stalled = 0;
            } else {
                stalled += 1;
                if stalled >= 3 {
                    break;
                }
            }
            let Some(next) = sdp.step(&iterate) else {
                break;
            };
            iterate = next;
            iterations += 1;
        }
        let (m, n) = self.b.shape();
        let x = iterate.z.view((0, m), (m, n)).into_owned();
        let mut lambda = DMatrix::zeros(m, n);
        for (&k, &yk) in self.omega.iter().zip(&iterate.y) {
            lambda[k] = yk;
        }
        (x, lambda, iterations)
    }
}

/// The SDP of a completion problem in standard form: min ⟨C, Z⟩ s.t. `⟨A_k, Z⟩ = b_k`, Z ⪰ 0,
/// with C = ½I and `A_k = ½(e_r e_cᵀ + e_c e_rᵀ)` fixing the entry (r, c) = (i, m + j) of
/// observation k.
struct Sdp {
    size: usize,
    rows: Vec<usize>,
    cols: Vec<usize>,
    rhs: Vec<f64>,
}

/// A strictly feasible interior iterate: primal Z ≻ 0, dual slack S ≻ 0 and multipliers y.
struct SdpIterate {
    z: DMatrix<f64>,
    s: DMatrix<f64>,
    y: Vec<f64>,
}

impl Sdp {
    fn new(problem: &Completion) -> Self {
        let (m, n) = problem.b.shape();
        Self {
            size: m + n,
            rows: problem.omega.iter().map(|&k| k % m).collect(),
            cols: problem.omega.iter().map(|&k| m + k / m).collect(),
            rhs: problem.omega.iter().map(|&k| problem.b[k]).collect(),
        }
    }

    /// 𝒜(G): the constrained entries of G, symmetrised.
    fn constrain(&self, g: &DMatrix<f64>) -> Vec<f64> {
        self.rows
            .iter()
            .zip(&self.cols)
            .map(|(&r, &c)| 0.5 * (g[(r, c)] + g[(c, r)]))
            .collect()
    }

    /// `𝒜*(v) = Σ v_k A_k`.
    fn adjoint(&self, v: &[f64]) -> DMatrix<f64> {
        let mut out = DMatrix::zeros(self.size, self.size);
        for ((&r, &c), &vk) in self.rows.iter().zip(&self.cols).zip(v) {
            out[(r, c)] += 0.5 * vk;
            out[(c, r)] += 0.5 * vk;
        }
        out
    }

    /// `R_d = C − S − 𝒜*(y)`.
    fn dual_residual(&self, it: &SdpIterate) -> DMatrix<f64> {
        DMatrix::identity(self.size, self.size) * 0.5 - &it.s - self.adjoint(&it.y)
    }

    fn solved(&self, it: &SdpIterate) -> bool {
        let primal: Vec<f64> = self
            .rhs
            .iter()
            .zip(self.constrain(&it.z))
            .map(|(b, z)| b - z)
            .collect();
        let objectives = 0.5 * it.z.trace().abs() + dot(&self.rhs, &it.y).abs();
        norm2(&primal) <= SDP_TOL * (1.0 + norm2(&self.rhs))
            && self.dual_residual(it).norm() <= SDP_TOL * (1.0 + 0.5 * (self.size as f64).sqrt())
            && it.z.dot(&it.s) <= SDP_TOL * (1.0 + objectives)
    }

    /// One predictor-corrector step; None when a factorization fails.
    #[allow(
        clippy::many_single_char_names,
        reason = "the notation of the formulas above"
    )]
    fn step(&self, it: &SdpIterate) -> Option<SdpIterate> {
        let (z, s) = (&it.z, &it.s);
        let primal: Vec<f64> = self
            .rhs
            .iter()
            .zip(self.constrain(z))
            .map(|(b, v)| b - v)
            .collect();
        let residual_d = self.dual_residual(it);
        let gap = z.dot(s);
        let mu = gap / self.size as f64;
        let t = s.clone().cholesky()?.inverse();
        let t = (&t + t.transpose()) * 0.5;
        // Schur complement M_kl = tr(A_k Z A_l S⁻¹), in closed form for these A_k.
        let (rows, cols) = (&self.rows, &self.cols);
        let schur = DMatrix::from_fn(rows.len(), rows.len(), |k, l| {
            let (a, b, c, d) = (rows[k], cols[k], rows[l], cols[l]);
            0.25 * (z[(b, c)] * t[(d, a)]
                + z[(b, d)] * t[(c, a)]
                + z[(a, c)] * t[(d, b)]
                + z[(a, d)] * t[(c, b)])
        });
        let factor = SchurFactor::new(schur);
        let z_rd_t = z * &residual_d * &t;
        // The Newton direction towards σμ with second-order correction `corr`:
        // ΔZ = σμS⁻¹ − corr − Z − ZΔS S⁻¹, ΔS = R_d − 𝒜*(Δy), 𝒜(ΔZ) = b − 𝒜(Z).
        let direction = |sigma_mu: f64, corr: Option<&DMatrix<f64>>| {
            let mut base = &t * sigma_mu;
            if let Some(corr) = corr {
                base -= corr;
            }
            let inner = self.constrain(&(&base - &z_rd_t));
            let rhs_y: Vec<f64> = self.rhs.iter().zip(&inner).map(|(b, v)| b - v).collect();
            let dy = factor.solve(&DVector::from_vec(rhs_y))?;
            let ds = &residual_d - self.adjoint(dy.as_slice());
            let dz = &base - z - z * &ds * &t;
            let mut dz = (&dz + dz.transpose()) * 0.5;
            // The constrained entries are known exactly: setting them removes the round-off of
            // the Schur solve, which would otherwise erode primal feasibility as μ → 0.
            for ((&r, &c), &p) in rows.iter().zip(cols).zip(&primal) {
                dz[(r, c)] = p;
                dz[(c, r)] = p;
            }
            Some((dz, dy, ds))
        };
        let (predicted_z, _, predicted_s) = direction(0.0, None)?;
        let alpha_p = max_step(z, &predicted_z)?.min(1.0);
        let alpha_d = max_step(s, &predicted_s)?.min(1.0);
        let predicted_gap = (z + &predicted_z * alpha_p).dot(&(s + &predicted_s * alpha_d));
        let centring = (predicted_gap / gap).clamp(0.0, 1.0).powi(3);
        let corr = &predicted_z * &predicted_s * &t;
        let (dz, dy, ds) = direction(centring * mu, Some(&corr))?;
        let alpha_p = (0.98 * max_step(z, &dz)?).min(1.0);
        let alpha_d = (0.98 * max_step(s, &ds)?).min(1.0);
        let next = SdpIterate {
            z: z + &dz * alpha_p,
            s: s + &ds * alpha_d,
            y: it
                .y
                .iter()
                .zip(dy.iter())
                .map(|(y, d)| y + alpha_d * d)
                .collect(),
        };
        let finite = next
            .z
            .iter()
            .chain(next.s.iter())
            .chain(&next.y)
            .all(|v| v.is_finite());
        (finite && alpha_p.max(alpha_d) > 1e-10).then_some(next)
    }
}

/// The ADMM fixed-point residual at one state, with the SVD of Y − U it came from.
struct FixedPoint {
    u: DMatrix<f64>,
    v_t: DMatrix<f64>,
    singular: Vec<f64>,
    x: DMatrix<f64>,
    residual: DVector<f64>,
    primal: f64,
    dual: f64,
}

/// A factorization of the Schur complement: Cholesky, or LU once round-off has cost it its
/// definiteness (which happens near the end of the central path).
enum SchurFactor {
    Cholesky(nalgebra::Cholesky<f64, nalgebra::Dyn>),
    Lu(nalgebra::LU<f64, nalgebra::Dyn, nalgebra::Dyn>),
}

impl SchurFactor {
    fn new(matrix: DMatrix<f64>) -> Self {
        match matrix.clone().cholesky() {
            Some(cholesky) => SchurFactor::Cholesky(cholesky),
            None => SchurFactor::Lu(matrix.lu()),
        }
    }

    fn solve(&self, rhs: &DVector<f64>) -> Option<DVector<f64>> {
        match self {
            SchurFactor::Cholesky(cholesky) => Some(cholesky.solve(rhs)),
            SchurFactor::Lu(lu) => lu.solve(rhs),
        }
    }
}

/// Largest α with X + αΔ ⪰ 0 for X ≻ 0 (infinite when Δ ⪰ 0); None if X is not positive definite.
fn max_step(x: &DMatrix<f64>, delta: &DMatrix<f64>) -> Option<f64> {
    let l = x.clone().cholesky()?.l();
    let left = l.solve_lower_triangular(delta)?;
    let both = l.solve_lower_triangular(&left.transpose())?;
    let sym = (&both + both.transpose()) * 0.5;
    let lowest = sym.symmetric_eigenvalues().min();
    Some(if lowest < 0.0 {
        -1.0 / lowest
    } else {
        f64::INFINITY
    })
}

/// Anderson (type II) extrapolation from pairs (sᵢ, T(sᵢ)) of a fixed-point map T: the affine
/// combination of the T(sᵢ) whose residuals T(sᵢ) − sᵢ combine to the smallest norm, computed from
/// differences by regularised normal equations. None with fewer than two pairs.
fn anderson(history: &[(DVector<f64>, DVector<f64>)]) -> Option<DVector<f64>> {
    let k = history.len().checked_sub(1).filter(|&k| k > 0)?;
    let residual = |i: usize| &history[i].1 - &history[i].0;
    let last = residual(k);
    let df = DMatrix::from_columns(
        &(0..k)
            .map(|i| residual(i + 1) - residual(i))
            .collect::<Vec<_>>(),
    );
    let dg = DMatrix::from_columns(
        &(0..k)
            .map(|i| &history[i + 1].1 - &history[i].1)
            .collect::<Vec<_>>(),
    );
    let mut normal = df.transpose() * &df;
    let ridge = 1e-10 * normal.trace() / k as f64 + f64::MIN_POSITIVE;
    for i in 0..k {
        normal[(i, i)] += ridge;
    }
    let gamma = normal.cholesky()?.solve(&(df.transpose() * &last));
    let extrapolated = &history[k].1 - dg * gamma;
    extrapolated
        .iter()
        .all(|v| v.is_finite())
        .then_some(extrapolated)
}

/// Iteration cap for the ADMM fallback, scaled so that a failing case costs at most a few
/// seconds of SVDs and small problems get plenty of room.
fn iteration_cap(m: usize, n: usize) -> usize {
    let work = (m * n * m.min(n)).max(1) as f64;
    ((4e8 / work) as usize).clamp(2_000, 20_000)
}

/// Singular-value thresholding: the prox of τ‖·‖_*. None when the SVD fails.
fn shrink(a: &DMatrix<f64>, tau: f64) -> Option<DMatrix<f64>> {
    Some(Svd::new(a)?.shrunk(tau))
}

/// Largest singular value (0 for an empty matrix or a failed SVD).
fn spectral_norm(a: &DMatrix<f64>) -> f64 {
    Svd::new(a).map_or(0.0, |svd| svd.s[0])
}

/// A thin SVD A = U diag(s) Vᵀ with s descending: U is m×k, `v_t` is k×n, k = min(m, n).
struct Svd {
    u: DMatrix<f64>,
    s: Vec<f64>,
    v_t: DMatrix<f64>,
}

impl Svd {
    /// The SVD of a non-empty finite matrix. nalgebra's Golub–Kahan SVD is fast but, in 0.35,
    /// sometimes returns wrong singular values and vectors for matrices with (near-)zero singular
    /// values (dimforge/nalgebra#1072, #1211) — exactly the low-rank matrices this module makes.
    /// So its answer is checked (`Σsᵢ² = ‖A‖²_F` and `A·p = UΣVᵀ·p` for two fixed probes p) and, when
    /// the check fails, replaced by a one-sided Jacobi SVD.
    fn new(a: &DMatrix<f64>) -> Option<Self> {
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
    fn shrunk(&self, tau: f64) -> DMatrix<f64> {
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
    fn solve(&self, b: &DVector<f64>, cutoff: f64) -> DVector<f64> {
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

/// Packages a completion with its spectrum, errors and residuals (recomputed from X itself).
fn nuclear_result(
    data: &MatrixData,
    completion: DMatrix<f64>,
    converged: bool,
    iterations: usize,
    dual: f64,
) -> NuclearReference {
    let mut singular_values: Vec<f64> = Svd::new(&completion).map_or_else(Vec::new, |svd| svd.s);
    singular_values.sort_by(|a, b| b.total_cmp(a));
    let nuclear_norm = singular_values.iter().sum();
    let same_shape = data.mask.shape() == completion.shape();
    let (mut res, mut obs) = (0.0, 0.0);
    if same_shape {
        for ((&x, &t), &mk) in completion
            .iter()
            .zip(data.target.iter())
            .zip(data.mask.iter())
        {
            if mk != 0.0 {
                res += (x - t).powi(2);
                obs += t * t;
            }
        }
    }
    let primal_residual = if same_shape {
        res.sqrt() / obs.sqrt().max(1.0)
    } else {
        f64::INFINITY
    };
    let test_error = if same_shape {
        held_out_error(&completion, &data.target, &data.mask)
    } else {
        f64::INFINITY
    };
    let spectrum_ok = singular_values.len() == completion.nrows().min(completion.ncols());
    let finite = |v: f64| if v.is_finite() { v } else { f64::INFINITY };
    NuclearReference {
        completion,
        singular_values,
        test_error: finite(test_error),
        nuclear_norm,
        converged: converged && spectrum_ok && primal_residual.is_finite(),
        iterations,
        primal_residual: finite(primal_residual),
        dual_residual: finite(dual),
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

    #[test]
    fn names_round_trip_and_describe() {
        for norm in MarginNorm::ALL {
            assert_eq!(MarginNorm::from_name(norm.name()), Some(norm));
            assert!(!norm.describe().is_empty());
        }
        assert_eq!(MarginNorm::from_name("L2"), None);
    }

    /// `P_T(Z) = UUᵀZ + ZVVᵀ − UUᵀZVVᵀ`, the tangent space of the rank-r matrices at `X = UΣVᵀ`.
    fn tangent(u: &DMatrix<f64>, v: &DMatrix<f64>, z: &DMatrix<f64>) -> DMatrix<f64> {
        let left = u * (u.transpose() * z);
        let right = (z * v) * v.transpose();
        let both = u * (u.transpose() * z * v) * v.transpose();
        left + right - both
    }

    /// Checks that X is optimal for `min ‖X‖_* s.t. P_Ω(X) = P_Ω(M*)` with a dual certificate: a
    /// Y supported on Ω with `P_T(Y) = UVᵀ` and `‖P_T⊥(Y)‖_op ≤ 1`. Y is the solver's dual matrix
    /// corrected, by least squares over the entries of Ω, to satisfy `P_T(Y) = UVᵀ` as well as it
    /// can; everything is then measured directly. Returns `‖P_T(Y) − UVᵀ‖_F`, `‖W‖_op`,
    /// `‖UᵀW‖ + ‖WV‖`, the size of the correction and the rank.
    fn certificate(
        completion: &DMatrix<f64>,
        dual: &DMatrix<f64>,
        mask: &DMatrix<f64>,
    ) -> (f64, f64, f64, f64, usize) {
        let (rows, cols) = completion.shape();
        let svd = Svd::new(completion).unwrap();
        let top = svd.s[0];
        let rank = svd.s.iter().filter(|&&sigma| sigma > 1e-7 * top).count();
        let left = svd.u.columns(0, rank).into_owned();
        let right = svd.v_t.rows(0, rank).transpose();
        let uv = &left * right.transpose();
        let observed: Vec<usize> = (0..rows * cols).filter(|&k| mask[k] != 0.0).collect();
        let off_support = (0..rows * cols)
            .filter(|&k| mask[k] == 0.0)
            .map(|k| dual[k].abs());
        assert!(
            off_support.fold(0.0, f64::max) < f64::MIN_POSITIVE,
            "dual not on Ω"
        );
        // Least-squares correction δ on Ω: P_T(δ) = UVᵀ − P_T(dual).
        let gap = &uv - tangent(&left, &right, dual);
        let columns: Vec<DVector<f64>> = observed
            .iter()
            .map(|&k| {
                let mut unit = DMatrix::zeros(rows, cols);
                unit[k] = 1.0;
                DVector::from_column_slice(tangent(&left, &right, &unit).as_slice())
            })
            .collect();
        let system = Svd::new(&DMatrix::from_columns(&columns)).unwrap();
        let delta = system.solve(
            &DVector::from_column_slice(gap.as_slice()),
            1e-12 * system.s[0],
        );
        let mut corrected = dual.clone();
        for (&k, &d) in observed.iter().zip(delta.iter()) {
            corrected[k] += d;
        }
        let tangential = tangent(&left, &right, &corrected);
        let mismatch = (&tangential - &uv).norm();
        let normal = &corrected - tangential;
        let normal_op = Svd::new(&normal).map_or(0.0, |svd| svd.s[0]);
        let orthogonality = (left.transpose() * &normal).norm() + (&normal * &right).norm();
        (mismatch, normal_op, orthogonality, delta.norm(), rank)
    }

    fn assert_certified(data: &MatrixData) -> NuclearReference {
        let (result, dual) = solve_nuclear(data);
        assert!(result.converged, "not converged: {result:?}");
        assert!(result.primal_residual <= 1e-9 && result.dual_residual <= 1e-9);
        // Agreement with M* on Ω, relative to the observed entries' size.
        let mut worst: f64 = 0.0;
        let scale = data.target.amax();
        for k in 0..data.target.len() {
            if data.mask[k] != 0.0 {
                worst = worst.max((result.completion[k] - data.target[k]).abs());
            }
        }
        assert!(worst <= 1e-8 * scale, "off the data by {worst:e}");
        let (mismatch, w_op, orthogonality, correction, rank) =
            certificate(&result.completion, &dual, &data.mask);
        assert!(mismatch <= 1e-8, "P_T(Y) misses UVᵀ by {mismatch:e}");
        assert!(w_op <= 1.0 + 1e-6, "‖W‖ = {w_op}");
        assert!(orthogonality <= 1e-8, "W not orthogonal: {orthogonality:e}");
        assert!(
            correction <= 1e-6,
            "the solver's dual needed a correction of {correction:e}"
        );
        // M* itself is feasible, so it bounds the optimum from above.
        let target_nuclear: f64 = data.target.clone().singular_values().sum();
        assert!(result.nuclear_norm <= target_nuclear * (1.0 + 1e-9));
        assert!(rank >= 1);
        let sum: f64 = result.singular_values.iter().sum();
        assert!((sum - result.nuclear_norm).abs() <= 1e-12 * sum);
        assert!(result.singular_values.windows(2).all(|w| w[0] >= w[1]));
        result
    }

    #[test]
    fn recoverable_rank_one_is_recovered_and_certified() {
        let data = low_rank(20, 1, 0.6, 1);
        let result = assert_certified(&data);
        assert!(result.test_error < 1e-6, "test error {}", result.test_error);
    }

    #[test]
    fn non_recoverable_completion_is_still_certified() {
        let data = low_rank(10, 3, 0.3, 0);
        let result = assert_certified(&data);
        // The least-nuclear completion is not M*: lower nuclear norm, real test error.
        let target_nuclear: f64 = data.target.clone().singular_values().sum();
        assert!(result.nuclear_norm < target_nuclear - 1e-3);
        assert!(result.test_error > 1e-2);
    }

    #[test]
    fn hard_cases_go_through_the_interior_point_and_are_certified() {
        // Rank 3 at 60%: the optimum has rank 13 with singular values down to 2e-6 of the top,
        // where ADMM alone does not reach 1e-9.
        let data = low_rank(20, 3, 0.6, 0);
        let result = assert_certified(&data);
        assert!(result.iterations > ADMM_WARM_START);
    }

    #[test]
    fn rectangular_matrices_work_both_ways() {
        let mut rng = StdRng::seed_from_u64(5);
        let left = gaussian_matrix(8, 2, 1.0, &mut rng);
        let right = gaussian_matrix(15, 2, 1.0, &mut rng);
        let target = &left * right.transpose();
        let mask = DMatrix::from_fn(8, 15, |_, _| {
            f64::from(u8::from(rng.random_range(0.0..1.0) < 0.5))
        });
        let wide = MatrixData {
            target: target.clone(),
            mask: mask.clone(),
        };
        let tall = MatrixData {
            target: target.transpose(),
            mask: mask.transpose(),
        };
        let a = assert_certified(&wide);
        let b = assert_certified(&tall);
        assert!((a.completion.transpose() - &b.completion).amax() <= 1e-7 * a.completion.amax());
    }

    #[test]
    fn special_masks_are_exact() {
        let data = low_rank(6, 2, 1.0, 3);
        let all = min_nuclear_norm(&MatrixData {
            target: data.target.clone(),
            mask: DMatrix::from_element(6, 6, 1.0),
        });
        assert!(all.converged && all.completion == data.target && all.test_error == 0.0);
        let none = min_nuclear_norm(&MatrixData {
            target: data.target.clone(),
            mask: DMatrix::zeros(6, 6),
        });
        assert!(none.converged && none.completion.iter().all(|&v| v == 0.0));
        assert!(none.nuclear_norm.abs() < f64::MIN_POSITIVE);
        assert!((none.test_error - 1.0).abs() < 1e-15);
    }

    #[test]
    fn nuclear_degenerate_inputs_never_panic_or_return_nan() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut cases = vec![
            MatrixData {
                target: DMatrix::zeros(0, 0),
                mask: DMatrix::zeros(0, 0),
            },
            MatrixData {
                target: DMatrix::zeros(0, 3),
                mask: DMatrix::zeros(0, 3),
            },
            MatrixData {
                target: DMatrix::from_element(3, 3, 1.0),
                mask: DMatrix::zeros(2, 2),
            },
            MatrixData {
                target: DMatrix::from_row_slice(2, 2, &[f64::NAN, 1.0, 1.0, 1.0]),
                mask: DMatrix::from_element(2, 2, 1.0),
            },
            MatrixData {
                target: DMatrix::from_row_slice(
                    3,
                    3,
                    &[1e8, 1e-8, 3.0, -1e-8, 1e8, 2.0, 5.0, 1e-8, 1e8],
                ),
                mask: DMatrix::from_row_slice(3, 3, &[1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0]),
            },
        ];
        // One observed entry out of 400.
        let mut lonely = low_rank(20, 2, 0.0, 2);
        lonely.mask[(3, 4)] = 1.0;
        cases.push(lonely);
        for _ in 0..40 {
            let m = rng.random_range(1..6);
            let n = rng.random_range(1..6);
            let magnitude = 10f64.powi(rng.random_range(-8..9));
            let target = DMatrix::from_fn(m, n, |_, _| {
                let v: f64 = rng.random_range(-1.0..1.0);
                if rng.random_range(0.0..1.0) < 0.3 {
                    v.round()
                } else {
                    v * magnitude
                }
            });
            let mask = DMatrix::from_fn(m, n, |_, _| {
                f64::from(u8::from(rng.random_range(0.0..1.0) < 0.5))
            });
            cases.push(MatrixData { target, mask });
        }
        for data in &cases {
            let result = min_nuclear_norm(data);
            let finite = result.completion.iter().all(|v| v.is_finite())
                && result.singular_values.iter().all(|v| v.is_finite())
                && result.nuclear_norm.is_finite()
                && !result.test_error.is_nan()
                && !result.primal_residual.is_nan()
                && !result.dual_residual.is_nan();
            assert!(finite, "{data:?} gave {result:?}");
            if result.converged {
                assert!(result.primal_residual <= 1e-9, "{data:?} gave {result:?}");
            }
        }
        // Mismatched shapes and NaN on an observed entry are reported, not solved.
        assert!(!min_nuclear_norm(&cases[2]).converged);
        assert!(!min_nuclear_norm(&cases[3]).converged);
    }
}
