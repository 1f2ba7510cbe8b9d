//! Exact reference solutions the optimizers are measured against: max-margin directions, the
//! least-nuclear-norm matrix completion and the interpolants of sparse regression.
//!
//! The dashboard's whole point is to show that an optimizer converges to one particular solution
//! among infinitely many, so the reference must be trustworthy to far below what a plot can show
//! (users compare against cvxpy to about 1e-7). Each solver therefore certifies its answer
//! (KKT conditions, primal and dual residuals) and, when that is out of reach, says so instead of
//! being quietly wrong.
//!
//! - `margin`: the max-margin LPs and QPs, solved by clarabel and polished on the active set;
//!   its child `lp_norm` the ℓP problems, by clarabel's power cone and a dual Newton polish.
//! - `nuclear`: the least-nuclear-norm completion, by ADMM, a small interior point and Newton.
//! - `svd`: the checked SVD both of them factor with.
//! - `sparse`: least-ℓ1 (LP), least-ℓ2 (pseudo-inverse) and the diagonal networks' implicit
//!   target (Newton on its dual).

mod margin;
mod nuclear;
mod sparse;
mod svd;

pub use margin::{Exponent, MarginNorm, MaxMarginReference, ReferenceError, max_margin, separable};
pub use nuclear::{NuclearReference, min_nuclear_norm};
pub use sparse::{
    ImplicitTarget, InterpolationError, MinL1Interpolant, effective_target, implicit_target,
    min_l1_interpolant, min_l2_interpolant,
};

/// Plain ‖a‖₂ = √(Σ aᵢ²). Deliberately not [`crate::core::experiment::norm2`], which rescales
/// by the largest entry first and so rounds differently; the solvers' tolerances were set
/// against this one.
fn norm2(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}
