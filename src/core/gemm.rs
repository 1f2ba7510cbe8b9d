//! The matrix products of the matrix model, through faer's kernels, on one or two cores.
//!
//! The factors and workspaces stay nalgebra matrices (the API everywhere else); only the hot
//! products go through faer, whose kernels pick AVX-512, AVX2 or SSE at run time and reach
//! ~120 GFLOP/s on one core at N = 100–200 where nalgebra's `matrixmultiply` reaches ~90.
//! Operands are faer views of the same column-major storage, so a transpose is free.
//!
//! Two cores share a product by taking one half of its output columns each: every output entry
//! is still one dot product over the full inner dimension in the kernel's own order, so the
//! result is the same whether a half runs on this core or the other. Whether a product is split
//! depends on its size only, so a run's bits never depend on the machine's load.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// rows · cols · inner from which a product is shared by two cores. Below it the hand-over
/// costs about what it saves, and on a virtual machine whose two cores are far apart it costs
/// far more: a 50×50 step measured 8.3 µs shared against 9.4 µs alone on one placement of this
/// machine's cores, and 17.7 µs shared on another; 64³ keeps N = 50 on one core.
pub const TWO_CORE_MIN_WORK: usize = 64 * 64 * 64;

/// A column-major `rows × cols` matrix stored in `data`, as a faer view.
#[must_use]
pub fn view(data: &[f64], rows: usize, cols: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(data, rows, cols)
}

/// A column-major `rows × cols` matrix stored in `data`, as a mutable faer view.
#[must_use]
pub fn view_mut(data: &mut [f64], rows: usize, cols: usize) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(data, rows, cols)
}

/// True when a product of `rows × inner` by `inner × cols` is worth two cores.
#[must_use]
pub fn worth_two_cores(rows: usize, cols: usize, inner: usize) -> bool {
    rows.saturating_mul(cols).saturating_mul(inner) >= TWO_CORE_MIN_WORK
}

/// `out` (column-major, `a.nrows()` × `b.ncols()`) = `a` · `b`, on two cores (half of `out`'s
/// columns each) when the product is large enough.
pub fn multiply(out: &mut [f64], a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    multiply_then(out, a, b, |_, _| 0.0);
}

/// [`multiply`], then `finish` on each block of finished columns while it is still in the
/// cache of the core that computed it: `finish(entries, first)` gets the block's entries and
/// the index of its first one in `out`. Returns the blocks' results, summed in column order.
pub fn multiply_then(
    out: &mut [f64],
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    finish: impl Fn(&mut [f64], usize) -> f64 + Sync,
) -> f64 {
    let (rows, cols) = (a.nrows(), b.ncols());
    let block = |entries: &mut [f64], first_col: usize, width: usize| {
        multiply_here(
            view_mut(entries, rows, width),
            a,
            b.subcols(first_col, width),
        );
        finish(entries, first_col * rows)
    };
    if worth_two_cores(rows, cols, a.ncols()) && cols >= 2 {
        let half = cols / 2;
        let (left, right) = out.split_at_mut(half * rows);
        let (first, second) =
            rayon::join(|| block(left, 0, half), || block(right, half, cols - half));
        first + second
    } else {
        block(out, 0, cols)
    }
}

/// `out` = `a` · `b` on the calling thread.
pub fn multiply_here(out: MatMut<'_, f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    matmul(out, Accum::Replace, a, b, 1.0, Par::Seq);
}

/// Runs `first` and `second`, on two cores when `parallel` (each computed exactly as on one
/// thread, so results do not depend on which core ran what), and returns both results.
pub fn both<A: Send, B: Send>(
    parallel: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    if parallel {
        rayon::join(first, second)
    } else {
        (first(), second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Σₗ a[i,l] b[l,j] by the definition, one entry at a time.
    fn by_definition(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; a.nrows() * b.ncols()];
        for j in 0..b.ncols() {
            for i in 0..a.nrows() {
                out[i + j * a.nrows()] = (0..a.ncols()).map(|l| a[(i, l)] * b[(l, j)]).sum();
            }
        }
        out
    }

    fn filled(len: usize, seed: f64) -> Vec<f64> {
        (0..len)
            .map(|i| ((i as f64 + seed) * 0.731).sin())
            .collect()
    }

    #[test]
    fn products_and_transposed_products_match_the_definition_on_one_and_two_cores() {
        // 7×5 · 5×3 stays on one core; 90×70 · 70×65 is split across two.
        assert!(worth_two_cores(90, 65, 70) && !worth_two_cores(7, 3, 5));
        for (rows, inner, cols) in [(7, 5, 3), (90, 70, 65), (1, 64, 1), (64, 64, 1)] {
            let a = filled(rows * inner, 1.0);
            let b = filled(inner * cols, 2.0);
            let a_t = filled(inner * rows, 3.0);
            let b_t = filled(cols * inner, 4.0);
            let cases = [
                (view(&a, rows, inner), view(&b, inner, cols)),
                (view(&a_t, inner, rows).transpose(), view(&b, inner, cols)),
                (view(&a, rows, inner), view(&b_t, cols, inner).transpose()),
            ];
            for (left, right) in cases {
                let expected = by_definition(left, right);
                let mut got = vec![f64::NAN; rows * cols];
                multiply(&mut got, left, right);
                for (g, e) in got.iter().zip(&expected) {
                    assert!((g - e).abs() <= 1e-12 * (1.0 + e.abs()), "{g} vs {e}");
                }
            }
        }
    }

    #[test]
    fn a_shared_product_has_the_bits_of_one_computed_alone() {
        let (rows, inner, cols) = (70, 90, 80);
        assert!(worth_two_cores(rows, cols, inner));
        let a = filled(rows * inner, 5.0);
        let b = filled(inner * cols, 6.0);
        let mut shared = vec![0.0; rows * cols];
        let mut alone = vec![0.0; rows * cols];
        multiply(&mut shared, view(&a, rows, inner), view(&b, inner, cols));
        multiply_here(
            view_mut(&mut alone, rows, cols),
            view(&a, rows, inner),
            view(&b, inner, cols),
        );
        assert_eq!(shared, alone);
    }
}
