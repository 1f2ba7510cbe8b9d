//! The sharpness of a network's loss: its largest Hessian eigenvalues, from exact
//! Hessian-vector products and Lanczos; and the preconditioned sharpness of adaptive methods.
//!
//! For GD the edge of stability is λ_max(H) = 2/η. For a method stepping θ ← θ − η P⁻¹ ∇L with
//! a diagonal preconditioner P (Adam's √v̂ + ε, RMSprop's), the quantity that meets the threshold
//! is λ_max(P⁻¹H) (Cohen et al. 2022), which equals λ_max(P^{−½} H P^{−½}): a symmetric
//! operator, so the same Lanczos applies.
//!
//! Where a run stops on an exact zero gradient, the least eigenvalue tells a minimum from a
//! saddle ([`has_negative_curvature`]): Lanczos on −∇²L finds it as the largest.

use crate::core::lanczos::{LanczosError, LanczosOptions, largest_eigenpairs};

/// How far below zero, relative to λmax(∇²L), the least eigenvalue may be and still count as 0:
/// rounding in the products, which Lanczos's 1e-8 residual is far above.
const NEGATIVE_CURVATURE: f64 = 1e-6;

use super::Network;

/// The largest eigenvalues found and what the next estimate can start from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sharpness {
    /// The largest eigenvalues, largest first (the sharpness is `values[0]`).
    pub values: Vec<f64>,
    /// The top eigenvector: the next estimate's warm start.
    pub vector: Vec<f64>,
    /// Hessian-vector products taken.
    pub products: usize,
    /// Whether Lanczos met its tolerance.
    pub converged: bool,
}

/// λ_max of ∇²L at `params` (and the next `options.count − 1`), from the Krylov space of `start`
/// (a seeded random vector, or the previous estimate's [`Sharpness::vector`]).
///
/// # Errors
/// A zero start, or a Hessian product that is not finite (a diverged run).
pub fn sharpness(
    network: &mut Network,
    params: &[f64],
    start: &[f64],
    options: LanczosOptions,
) -> Result<Sharpness, LanczosError> {
    preconditioned_sharpness(network, params, None, start, options)
}

/// λ_max of P⁻¹∇²L for the diagonal preconditioner `diagonal` (every entry > 0), or of ∇²L
/// when `None`.
///
/// # Errors
/// A zero start, or a product that is not finite.
pub fn preconditioned_sharpness(
    network: &mut Network,
    params: &[f64],
    diagonal: Option<&[f64]>,
    start: &[f64],
    options: LanczosOptions,
) -> Result<Sharpness, LanczosError> {
    let count = params.len();
    let mut gradient = vec![0.0; count];
    let mut scaled = vec![0.0; count];
    let inverse_root: Option<Vec<f64>> =
        diagonal.map(|p| p.iter().map(|x| x.sqrt().recip()).collect());
    let found = largest_eigenpairs(start, options, |v, out| match &inverse_root {
        None => {
            network.hessian_vector(params, v, &mut gradient, out);
        }
        Some(s) => {
            for ((x, vi), si) in scaled.iter_mut().zip(v).zip(s) {
                *x = vi * si;
            }
            network.hessian_vector(params, &scaled, &mut gradient, out);
            for (o, si) in out.iter_mut().zip(s) {
                *o *= si;
            }
        }
    })?;
    Ok(Sharpness {
        vector: found.vectors[0].clone(),
        values: found.values,
        products: found.products,
        converged: found.converged,
    })
}

/// Whether ∇²L at `params` has an eigenvalue below −[`NEGATIVE_CURVATURE`]·λmax(∇²L) (below 0
/// when λmax ≤ 0): a direction the loss falls along, so a point of zero gradient there is a
/// saddle or a maximum, not a minimum. `start` must be a random vector: an eigenvector of the
/// top, such as a warm start, can be orthogonal to the bottom one and then finds nothing else.
/// A Hessian that is 0 (a higher-order saddle such as a deep net's all-zero start) has none.
///
/// # Errors
/// A zero start, or a Hessian product that is not finite.
pub fn has_negative_curvature(
    network: &mut Network,
    params: &[f64],
    start: &[f64],
) -> Result<bool, LanczosError> {
    let options = LanczosOptions::default();
    let mut gradient = vec![0.0; params.len()];
    let top = largest_eigenpairs(start, options, |v, out| {
        network.hessian_vector(params, v, &mut gradient, out);
    })?
    .values[0];
    let bottom = -largest_eigenpairs(start, options, |v, out| {
        network.hessian_vector(params, v, &mut gradient, out);
        for x in out.iter_mut() {
            *x = -*x;
        }
    })?
    .values[0];
    Ok(bottom < -NEGATIVE_CURVATURE * top.max(0.0))
}
