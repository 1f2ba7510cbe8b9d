//! The exact max-margin directions: each problem is a small LP or QP, handed to clarabel's
//! interior-point method. Its answer is then *polished* by solving the equality-constrained KKT
//! system of the identified active set exactly, and the polished point is accepted only when it
//! passes a full KKT check (feasibility, multipliers ≥ 0, stationarity): an interior point alone
//! is only as accurate as its stopping tolerance, and the reference must hold far below that.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT,
};
use nalgebra::{DMatrix, DVector};

mod lp_norm;

use self::lp_norm::solve_lp;
use super::norm2;
use super::svd::Svd;
use crate::core::data::LinearData;
use crate::core::model::dot;

/// Below this certified margin (data scaled so max‖zᵢ‖₂ = 1) we call the data not separable.
const SEPARABILITY_TOL: f64 = 1e-9;
/// Relative slack on the optimal ℓ∞/ℓ1 norm for the fallback form of the least-ℓ2 tie-break.
const TIE_BREAK_SLACK: f64 = 1e-9;
/// A weight part smaller than this, relative to the whole solution, has no direction.
const ZERO_WEIGHT_TOL: f64 = 1e-9;

/// The exponent P of an ℓP max-margin problem: finite, > 1 and ≠ 2 (ℓ2 has its own variant).
/// Compared bit for bit, which is value equality since it is never NaN or −0.
#[derive(Debug, Clone, Copy)]
pub struct Exponent(f64);

impl Exponent {
    /// P, if it is finite, > 1 and ≠ 2.
    #[must_use]
    pub fn new(p: f64) -> Option<Self> {
        (p.is_finite() && p > 1.0 && p != 2.0).then_some(Self(p))
    }

    /// The value P.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl PartialEq for Exponent {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Exponent {}

impl Hash for Exponent {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl PartialOrd for Exponent {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Exponent {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Which max-margin problem. Names: "l2", "l2-intercept", "linf", "l1", and "lP" for any P > 1
/// ("l3", "l1.5").
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
    /// Least ‖θ‖_P with all margins ≥ 1, for P > 1 other than 2: mirror descent's limit.
    Lp(Exponent),
}

impl MarginNorm {
    /// The ℓP problem for any P > 1 (`L2` for P = 2); `None` unless P is finite and > 1.
    #[must_use]
    pub fn lp(p: f64) -> Option<Self> {
        if p == 2.0 {
            Some(MarginNorm::L2)
        } else {
            Exponent::new(p).map(MarginNorm::Lp)
        }
    }

    /// The fixed problems, in the order a help screen lists them (`lP` comes on top of these).
    pub const ALL: [MarginNorm; 4] = [
        MarginNorm::L2,
        MarginNorm::L2Intercept,
        MarginNorm::Linf,
        MarginNorm::L1,
    ];

    /// The short name used in presets and on the command line (`l3`, `l1.5` for ℓP).
    #[must_use]
    pub fn name(self) -> Cow<'static, str> {
        match self {
            MarginNorm::L2 => Cow::Borrowed("l2"),
            MarginNorm::L2Intercept => Cow::Borrowed("l2-intercept"),
            MarginNorm::Linf => Cow::Borrowed("linf"),
            MarginNorm::L1 => Cow::Borrowed("l1"),
            MarginNorm::Lp(p) => Cow::Owned(format!("l{}", p.get())),
        }
    }

    /// The problem with this short name, if any (exact, lower-case match): one of the fixed
    /// names, or `l` then a number P > 1 other than 1 and 2 written differently (`l3`, `l1.5`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(norm) = Self::ALL.into_iter().find(|norm| norm.name() == name) {
            return Some(norm);
        }
        let p: f64 = name.strip_prefix('l')?.parse().ok()?;
        // `l2.0` is not a second spelling of `l2`, nor `linf` of `l` + "inf".
        Exponent::new(p)
            .map(MarginNorm::Lp)
            .filter(|norm| norm.name() == name)
    }

    /// One line for a help screen: what the problem is and which optimizer tends to it.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            MarginNorm::L2 => "hard-margin SVM, homogeneous: GD's limit",
            MarginNorm::L2Intercept => "hard-margin SVM with a free intercept (sklearn SVC)",
            MarginNorm::Linf => "ℓ∞ max-margin: sign descent / Adam's limit",
            MarginNorm::L1 => "ℓ1 max-margin: steepest descent in ℓ1 (coordinate descent)",
            MarginNorm::Lp(_) => "ℓP max-margin: mirror descent with potential ‖w‖_P^P / P",
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
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReferenceError {
    /// No direction separates the data (for this problem); the string says why in one line.
    #[error("not separable: {0}")]
    NotSeparable(String),
    /// The solver did not reach the required accuracy; the string says what happened.
    #[error("reference solver failed: {0}")]
    SolverFailed(String),
}

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
    let gamma = match problem.separation() {
        Err(ReferenceError::NotSeparable(_)) if !bias && norm != MarginNorm::L2Intercept => {
            return Err(not_separable_through_origin(data));
        }
        gamma => gamma?,
    };
    let theta = match norm {
        MarginNorm::L2 | MarginNorm::L2Intercept => solve_l2(&problem, gamma)?,
        MarginNorm::Linf | MarginNorm::L1 => solve_polyhedral(&problem, norm, gamma)?,
        MarginNorm::Lp(p) => solve_lp(&problem, p.get(), gamma)?,
    };
    problem.finish(data, norm, &theta)
}

/// Whether some θ gives every point a positive margin (with a trailing bias entry when `bias`),
/// decided by the same certified LP the references start from: the exact test a run needs
/// before it may be called converged.
///
/// # Errors
/// [`ReferenceError::SolverFailed`] when the data are malformed or the LP cannot be solved.
pub fn separable(data: &LinearData, bias: bool) -> Result<bool, ReferenceError> {
    match check_linear_data(data)
        .and_then(|()| MarginProblem::homogeneous(data, bias))
        .and_then(|problem| problem.separation())
    {
        Ok(_) => Ok(true),
        Err(ReferenceError::NotSeparable(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Why data not separable through the origin have no reference: `bias = true` is suggested only
/// when an intercept would separate them (not with label noise, a point among the other class).
fn not_separable_through_origin(data: &LinearData) -> ReferenceError {
    if separable(data, true) == Ok(false) {
        ReferenceError::NotSeparable(
            "no hyperplane separates the data, not even with an intercept (label noise: some \
             point lies among the other class), so `bias = true` cannot help; use clusters \
             that are separable"
                .to_string(),
        )
    } else {
        not_separable_homogeneous(false)
    }
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

fn norm1(a: &[f64]) -> f64 {
    a.iter().map(|v| v.abs()).sum()
}

fn norm_inf(a: &[f64]) -> f64 {
    a.iter().map(|v| v.abs()).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_describe() {
        for norm in MarginNorm::ALL {
            assert_eq!(MarginNorm::from_name(&norm.name()), Some(norm));
            assert!(!norm.describe().is_empty());
        }
        assert_eq!(MarginNorm::from_name("L2"), None);
        let l3 = MarginNorm::from_name("l3").expect("l3 parses");
        assert_eq!((l3.name(), MarginNorm::lp(3.0)), ("l3".into(), Some(l3)));
        assert_eq!(
            MarginNorm::from_name("l1.5").map(MarginNorm::name),
            Some("l1.5".into())
        );
        // One spelling per problem; P must exceed 1.
        for refused in ["l3.0", "l2.0", "l1.0", "l0.5", "lnan", "l", "l-3"] {
            assert_eq!(MarginNorm::from_name(refused), None, "{refused}");
        }
    }
}
