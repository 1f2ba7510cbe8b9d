//! Losses and their gradients: a linear classifier with exponential or logistic loss, and a
//! factorised matrix M = U Vᵀ fitted on observed entries.
//!
//! These are the hot loops of the tool, so they work on flat slices with preallocated buffers
//! and never allocate per step. They follow the article's formulas (sum, not mean, over points;
//! ½‖(U Vᵀ − M*) ⊙ mask‖²) so that a run can be replayed against numpy to rounding error.

use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut, Dyn, MatrixView};

use super::data::{LinearData, MatrixData};

/// The classification loss ℓ(m) of a margin m = yᵢ f(xᵢ); both have exponential tails, which is
/// what makes gradient descent drift towards a max-margin direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// ℓ(m) = exp(−m), the article's loss.
    Exp,
    /// ℓ(m) = log(1 + exp(−m)), the loss of logistic regression.
    Logistic,
}

impl Loss {
    /// ℓ(m), computed without overflow for large |m| where the true value is finite.
    #[must_use]
    pub fn value(self, margin: f64) -> f64 {
        match self {
            Loss::Exp => (-margin).exp(),
            Loss::Logistic if margin > 0.0 => (-margin).exp().ln_1p(),
            Loss::Logistic => -margin + margin.exp().ln_1p(),
        }
    }

    /// −ℓ′(m) ≥ 0, the weight of a point in the gradient.
    #[must_use]
    pub fn weight(self, margin: f64) -> f64 {
        match self {
            Loss::Exp => (-margin).exp(),
            Loss::Logistic => 1.0 / (1.0 + margin.exp()),
        }
    }

    /// The name used in presets and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Loss::Exp => "exp",
            Loss::Logistic => "logistic",
        }
    }
}

/// f(x) = ⟨w, x⟩ (+ b) with loss Σᵢ ℓ(yᵢ f(xᵢ)). Parameters θ = (w, b) when `bias`, else w.
#[derive(Debug, Clone)]
pub struct LinearModel {
    loss: Loss,
    bias: bool,
    width: usize,
    /// Row-major rows zᵢ = yᵢ·(xᵢ, 1): the margin of point i is ⟨θ, zᵢ⟩.
    signed_rows: Vec<f64>,
}

impl LinearModel {
    /// Builds the model for `data`; the parameter vector has `data.dim + bias` entries.
    #[must_use]
    pub fn new(data: &LinearData, loss: Loss, bias: bool) -> Self {
        Self {
            loss,
            bias,
            width: data.dim + usize::from(bias),
            signed_rows: data.signed_rows(bias),
        }
    }

    /// Number of parameters.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the last parameter is an intercept.
    #[must_use]
    pub fn has_bias(&self) -> bool {
        self.bias
    }

    /// The loss function.
    #[must_use]
    pub fn loss_kind(&self) -> Loss {
        self.loss
    }

    /// Number of training points.
    #[must_use]
    pub fn points(&self) -> usize {
        self.signed_rows.len() / self.width
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.signed_rows[i * self.width..(i + 1) * self.width]
    }

    /// Margins ⟨θ, zᵢ⟩ of every point, in order.
    pub fn margins<'a>(&'a self, theta: &'a [f64]) -> impl Iterator<Item = f64> + 'a {
        self.signed_rows
            .chunks_exact(self.width)
            .map(move |z| dot(theta, z))
    }

    /// Σᵢ ℓ(⟨θ, zᵢ⟩).
    #[must_use]
    pub fn loss(&self, theta: &[f64]) -> f64 {
        self.margins(theta).map(|m| self.loss.value(m)).sum()
    }

    /// Writes ∇L(θ) = −Σᵢ w(mᵢ) zᵢ into `grad` over all points.
    pub fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        grad.fill(0.0);
        if self.width == 2 {
            // The article's case, unrolled: this loop is the whole cost of a 2-D step.
            let (mut g0, mut g1) = (0.0, 0.0);
            for z in self.signed_rows.chunks_exact(2) {
                let c = self.loss.weight(theta[0] * z[0] + theta[1] * z[1]);
                g0 -= c * z[0];
                g1 -= c * z[1];
            }
            grad[0] = g0;
            grad[1] = g1;
            return;
        }
        for z in self.signed_rows.chunks_exact(self.width) {
            let c = self.loss.weight(dot(theta, z));
            for (g, &zj) in grad.iter_mut().zip(z) {
                *g -= c * zj;
            }
        }
    }

    /// Writes the gradient of the loss summed over the points in `batch` only.
    pub fn batch_gradient(&self, theta: &[f64], batch: &[usize], grad: &mut [f64]) {
        grad.fill(0.0);
        for &i in batch {
            let z = self.row(i);
            let c = self.loss.weight(dot(theta, z));
            for (g, &zj) in grad.iter_mut().zip(z) {
                *g -= c * zj;
            }
        }
    }
}

/// ⟨a, b⟩ summed left to right, as numpy does for short vectors.
#[must_use]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// M = U Vᵀ fitted to the observed entries of M* with loss ½‖(U Vᵀ − M*) ⊙ mask‖²_F.
///
/// Parameters are one flat vector: U (rows × width, column-major) then V (cols × width).
#[derive(Debug, Clone)]
pub struct MatrixModel {
    target: DMatrix<f64>,
    mask: DMatrix<f64>,
    width: usize,
    /// Workspace for the masked residual, reused every step so the loop never allocates.
    residual: DMatrix<f64>,
}

/// rows · cols · k from which the two gradient products are offered to a second core: below it a
/// product takes under ~40 µs, and on a shared 2-core machine waking a worker then cost more
/// than it saved (measured at N = 100: 80 µs a step with `join`, 68 µs without).
const TWO_THREAD_MIN_WORK: usize = 128 * 128 * 128;

/// A matrix read through arbitrary strides: how a transpose is seen without copying it.
type StridedView<'a> = MatrixView<'a, f64, Dyn, Dyn, Dyn, Dyn>;

/// Aᵀ for a column-major `rows × cols` matrix A stored in `data`, as a view (no copy).
///
/// nalgebra hands products of dynamic matrices to `matrixmultiply`, which packs its operands
/// from any strides; a transposed view therefore costs nothing, where `transpose_to` copied the
/// matrix and `tr_mul_to` fell back to one dot product per entry (70 % of a step at N = 100).
fn transposed(data: &[f64], rows: usize, cols: usize) -> StridedView<'_> {
    StridedView::from_slice_with_strides(data, cols, rows, rows, 1)
}

/// nalgebra 0.35 multiplies dynamic matrices with `matrixmultiply` only when every dimension
/// exceeds this; its fallback for smaller ones walks a row-strided left operand as if it were
/// contiguous and reads past it. A transposed view is only ever a left operand above it.
const NALGEBRA_SMALL_DIM: usize = 5;

/// `out` = Aᵀ B: through `matrixmultiply` with A read transposed in place when every dimension
/// allows it, else (tiny matrices, where speed does not matter) with nalgebra's dot products.
fn transposed_times(a: &DMatrix<f64>, b: &DMatrixView<'_, f64>, out: &mut DMatrixViewMut<'_, f64>) {
    let (rows, cols) = a.shape();
    if rows.min(cols).min(b.ncols()) > NALGEBRA_SMALL_DIM {
        transposed(a.as_slice(), rows, cols).mul_to(b, out);
    } else {
        a.tr_mul_to(b, out);
    }
}

impl MatrixModel {
    /// Builds the model for `data` with inner width k = `width`.
    #[must_use]
    pub fn new(data: &MatrixData, width: usize) -> Self {
        let (rows, cols) = data.target.shape();
        Self {
            target: data.target.clone(),
            mask: data.mask.clone(),
            width,
            residual: DMatrix::zeros(rows, cols),
        }
    }

    /// (rows, cols) of M.
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        self.target.shape()
    }

    /// Inner width k of the factorisation.
    #[must_use]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Total number of parameters, (rows + cols) · k.
    #[must_use]
    pub fn parameter_count(&self) -> usize {
        (self.target.nrows() + self.target.ncols()) * self.width
    }

    /// Views of U and V inside the flat parameter vector.
    #[must_use]
    pub fn factors<'a>(&self, params: &'a [f64]) -> (DMatrixView<'a, f64>, DMatrixView<'a, f64>) {
        let (rows, cols) = self.shape();
        let (u, v) = params.split_at(rows * self.width);
        (
            DMatrixView::from_slice(u, rows, self.width),
            DMatrixView::from_slice(v, cols, self.width),
        )
    }

    /// M = U Vᵀ for the given parameters.
    #[must_use]
    pub fn product(&self, params: &[f64]) -> DMatrix<f64> {
        let (u, v) = self.factors(params);
        u * v.transpose()
    }

    /// Writes ∇_U = R V and ∇_V = Rᵀ U, with R = (U Vᵀ − M*) ⊙ mask, both from the same
    /// iterate, and returns the loss ½‖R‖² at that iterate.
    ///
    /// Three products through `matrixmultiply` and one pass over R; no transpose is copied.
    pub fn gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        let (rows, cols) = self.shape();
        let (u, v) = self.factors(params);
        let (_, v_data) = params.split_at(rows * self.width);
        u.mul_to(&transposed(v_data, cols, self.width), &mut self.residual);
        let mut loss = 0.0;
        for ((r, &t), &m) in self
            .residual
            .as_mut_slice()
            .iter_mut()
            .zip(self.target.as_slice())
            .zip(self.mask.as_slice())
        {
            *r = (*r - t) * m;
            loss += *r * *r;
        }
        let (grad_u, grad_v) = grad.split_at_mut(rows * self.width);
        let mut grad_u = DMatrixViewMut::from_slice(grad_u, rows, self.width);
        let mut grad_v = DMatrixViewMut::from_slice(grad_v, cols, self.width);
        let residual = &self.residual;
        if rows * cols * self.width >= TWO_THREAD_MIN_WORK {
            // R V and Rᵀ U read the same R and write disjoint halves of `grad`: an idle core
            // takes one. Each product is computed exactly as on one thread, so results do not
            // depend on the machine or on which core ran what.
            rayon::join(
                || residual.mul_to(&v, &mut grad_u),
                || transposed_times(residual, &u, &mut grad_v),
            );
        } else {
            residual.mul_to(&v, &mut grad_u);
            transposed_times(residual, &u, &mut grad_v);
        }
        0.5 * loss
    }

    /// ½‖(M − M*) ⊙ mask‖² for a given M.
    #[must_use]
    pub fn train_loss(&self, product: &DMatrix<f64>) -> f64 {
        let mut loss = 0.0;
        for ((&p, &t), &m) in product.iter().zip(self.target.iter()).zip(self.mask.iter()) {
            let r = (p - t) * m;
            loss += r * r;
        }
        0.5 * loss
    }

    /// ‖(M − M*) ⊙ (1 − mask)‖_F / ‖M* ⊙ (1 − mask)‖_F: the error on held-out entries
    /// (0 when nothing is held out, as there is nothing to get wrong).
    #[must_use]
    pub fn test_error(&self, product: &DMatrix<f64>) -> f64 {
        held_out_error(product, &self.target, &self.mask)
    }
}

/// ‖(M − M*) ⊙ (1 − mask)‖_F / ‖M* ⊙ (1 − mask)‖_F, shared by runs and the nuclear-norm
/// reference so both are measured the same way.
#[must_use]
pub fn held_out_error(product: &DMatrix<f64>, target: &DMatrix<f64>, mask: &DMatrix<f64>) -> f64 {
    let (mut err, mut norm) = (0.0, 0.0);
    for ((&p, &t), &m) in product.iter().zip(target.iter()).zip(mask.iter()) {
        let hidden = 1.0 - m;
        err += ((p - t) * hidden).powi(2);
        norm += (t * hidden).powi(2);
    }
    if norm == 0.0 {
        err.sqrt()
    } else {
        (err / norm).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central finite difference of `f` at `x` along coordinate `j`.
    fn finite_difference(f: &dyn Fn(&[f64]) -> f64, x: &[f64], j: usize) -> f64 {
        let h = 1e-6 * (1.0 + x[j].abs());
        let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
        plus[j] += h;
        minus[j] -= h;
        (f(&plus) - f(&minus)) / (2.0 * h)
    }

    fn small_data() -> LinearData {
        LinearData {
            dim: 3,
            points: vec![
                1.0, 0.5, -0.2, 0.3, 1.2, 0.7, -0.8, -0.1, 0.4, -0.5, -1.1, 0.2,
            ],
            labels: vec![1.0, 1.0, -1.0, -1.0],
        }
    }

    #[test]
    fn linear_gradient_matches_finite_differences() {
        for loss in [Loss::Exp, Loss::Logistic] {
            for bias in [false, true] {
                let model = LinearModel::new(&small_data(), loss, bias);
                let theta: Vec<f64> = [0.3, -0.7, 0.2, 0.4][..model.width()].to_vec();
                let mut grad = vec![0.0; model.width()];
                model.gradient(&theta, &mut grad);
                for (j, g) in grad.iter().enumerate() {
                    let fd = finite_difference(&|t| model.loss(t), &theta, j);
                    assert!((g - fd).abs() < 1e-7, "{loss:?} bias={bias} j={j}");
                }
            }
        }
    }

    #[test]
    fn two_dimensional_fast_path_matches_general_loop() {
        let data = LinearData {
            dim: 2,
            points: vec![1.0, 0.5, 0.3, 1.2, -0.8, -0.1],
            labels: vec![1.0, -1.0, 1.0],
        };
        let model = LinearModel::new(&data, Loss::Logistic, false);
        let theta = [0.4, -1.3];
        let mut fast = [0.0; 2];
        model.gradient(&theta, &mut fast);
        let mut general = [0.0; 2];
        model.batch_gradient(&theta, &[0, 1, 2], &mut general);
        assert_eq!(fast, general);
    }

    #[test]
    fn logistic_loss_is_stable_at_extreme_margins() {
        assert_eq!(Loss::Logistic.value(-1000.0), 1000.0);
        assert!(Loss::Logistic.value(1000.0) >= 0.0);
        assert_eq!(Loss::Logistic.weight(-1000.0), 1.0);
        assert_eq!(Loss::Logistic.weight(1000.0), 0.0);
        assert!((Loss::Logistic.value(0.0) - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn matrix_gradient_matches_finite_differences() {
        let target = DMatrix::from_row_slice(3, 2, &[1.0, -2.0, 0.5, 0.3, -1.0, 2.0]);
        let mask = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
        let data = MatrixData { target, mask };
        let mut model = MatrixModel::new(&data, 2);
        let params: Vec<f64> = (0..model.parameter_count())
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let mut grad = vec![0.0; params.len()];
        let loss = model.gradient(&params, &mut grad);
        let reference = model.clone();
        let f = |p: &[f64]| reference.train_loss(&reference.product(p));
        assert!((loss - f(&params)).abs() < 1e-14);
        for (j, g) in grad.iter().enumerate() {
            let fd = finite_difference(&f, &params, j);
            assert!((g - fd).abs() < 1e-7, "j={j}: {g} vs {fd}");
        }
    }

    /// ∇_U = R V and ∇_V = Rᵀ U with R = (U Vᵀ − M*) ⊙ mask, by plain loops over the formula.
    fn gradient_by_loops(model: &MatrixModel, params: &[f64]) -> Vec<f64> {
        let (rows, cols) = model.shape();
        let k = model.width();
        let (u, v) = params.split_at(rows * k);
        let residual = |i: usize, j: usize| {
            let uv: f64 = (0..k).map(|l| u[i + l * rows] * v[j + l * cols]).sum();
            (uv - model.target[(i, j)]) * model.mask[(i, j)]
        };
        let r: Vec<Vec<f64>> = (0..rows)
            .map(|i| (0..cols).map(|j| residual(i, j)).collect())
            .collect();
        let mut grad = vec![0.0; params.len()];
        for l in 0..k {
            for i in 0..rows {
                grad[i + l * rows] = (0..cols).map(|j| r[i][j] * v[j + l * cols]).sum();
            }
            for j in 0..cols {
                grad[rows * k + j + l * cols] = (0..rows).map(|i| r[i][j] * u[i + l * rows]).sum();
            }
        }
        grad
    }

    #[test]
    fn matrix_gradient_matches_plain_loops_on_every_kernel_path() {
        // Shapes on each side of nalgebra's small-matrix fallback (every dimension > 5 or not)
        // and above the size where the two products go to two threads.
        for (rows, cols, k) in [(3, 2, 2), (7, 6, 5), (6, 7, 6), (9, 12, 8), (129, 128, 128)] {
            let target = DMatrix::from_fn(rows, cols, |i, j| ((i * 7 + j * 3) as f64).sin());
            let mask = DMatrix::from_fn(rows, cols, |i, j| f64::from((i * 13 + j * 5) % 10 < 6));
            let mut model = MatrixModel::new(&MatrixData { target, mask }, k);
            let params: Vec<f64> = (0..model.parameter_count())
                .map(|i| (i as f64 * 0.37).sin())
                .collect();
            let mut grad = vec![0.0; params.len()];
            model.gradient(&params, &mut grad);
            let want = gradient_by_loops(&model, &params);
            let scale = want.iter().fold(1.0_f64, |m, g| m.max(g.abs()));
            for (j, (g, w)) in grad.iter().zip(&want).enumerate() {
                // Only the summation order differs: a few ulps of the largest entry.
                assert!(
                    (g - w).abs() <= 1e-12 * scale,
                    "{rows}×{cols} k={k} j={j}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn held_out_error_is_relative_on_hidden_entries() {
        let target = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        let mask = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
        let guess = DMatrix::from_row_slice(2, 2, &[9.0, 2.0, 0.0, 9.0]);
        // Only the 3 is wrong among the hidden {2, 3}: error 3 / √13.
        assert!((held_out_error(&guess, &target, &mask) - 3.0 / 13f64.sqrt()).abs() < 1e-15);
    }
}
