//! Losses and their gradients: a linear classifier with exponential or logistic loss, and a
//! factorised matrix M = U Vᵀ fitted on observed entries.
//!
//! These are the hot loops of the tool, so they work on flat slices with preallocated buffers
//! and never allocate per step. They follow the article's formulas (sum, not mean, over points;
//! ½‖(U Vᵀ − M*) ⊙ mask‖²) so that a run can be replayed against numpy to rounding error.

use faer::{MatMut, MatRef};
use nalgebra::{DMatrix, DMatrixView};

use super::gemm::{
    Workspace, both, multiply, multiply_here, multiply_then, view, view_mut, worth_two_cores,
};
use super::par::Threads;
use super::simd::widest;

use super::data::{LinearData, MatrixData};
use super::lanes::{LANES, exp_lanes, sum_lanes};

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

    /// [`Loss::weight`] of [`LANES`] margins at once, through [`exp_lanes`] (within 1 ulp of
    /// `f64::exp`, so each weight is within ~2 ulps of the scalar one): the gradient's hot loop.
    #[must_use]
    // As `exp_lanes`: a call here costs a fifth of the step.
    #[inline(always)]
    pub fn weights(self, margins: [f64; LANES]) -> [f64; LANES] {
        match self {
            Loss::Exp => exp_lanes(margins.map(|m| -m)),
            Loss::Logistic => exp_lanes(margins).map(|e| 1.0 / (1.0 + e)),
        }
    }

    /// (−ℓ′(m), ℓ(m)) divided by c = exp(−`shift`), for a shift no larger than m (and ≥ 0 for
    /// the logistic loss): the shifted exponentials, which stay representable when ℓ(m) itself
    /// underflows. For logistic m ≥ 0 with x = exp(−m): −ℓ′/c = e^{−(m−shift)}/(1 + x) and
    /// ℓ/c = e^{−(m−shift)}·ln(1 + x)/x (→ 1 as x underflows).
    #[must_use]
    pub fn scaled_weight_and_value(self, margin: f64, shift: f64) -> (f64, f64) {
        let shifted = (shift - margin).exp();
        match self {
            Loss::Exp => (shifted, shifted),
            Loss::Logistic if margin >= 0.0 => {
                let x = (-margin).exp();
                let ratio = if x == 0.0 { 1.0 } else { x.ln_1p() / x };
                (shifted / (1.0 + x), shifted * ratio)
            }
            // Here shift = 0 (the smallest margin is negative): no scaling is needed.
            Loss::Logistic => (self.weight(margin), self.value(margin)),
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
    /// The same zᵢ column by column (coordinate j of every point, then j + 1): what the 2-D
    /// gradient reads [`LANES`] points at a time.
    signed_columns: Vec<f64>,
}

impl LinearModel {
    /// Builds the model for `data`; the parameter vector has `data.dim + bias` entries.
    #[must_use]
    pub fn new(data: &LinearData, loss: Loss, bias: bool) -> Self {
        let width = data.dim + usize::from(bias);
        let signed_rows = data.signed_rows(bias);
        let signed_columns = (0..width)
            .flat_map(|j| signed_rows.iter().skip(j).step_by(width).copied())
            .collect();
        Self {
            loss,
            bias,
            width,
            signed_rows,
            signed_columns,
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

    /// Writes ∇L(θ) = −Σᵢ w(mᵢ) zᵢ into `grad` over all points, the weights [`LANES`] points
    /// at a time ([`Loss::weights`]).
    pub fn gradient(&self, theta: &[f64], grad: &mut [f64]) {
        if self.width == 2 {
            // AVX2 or AVX-512 when the CPU has it: the same bits, ~8 % less time a max-margin
            // step (measured on AVX2).
            let (w1, w2) = (theta[0], theta[1]);
            grad.copy_from_slice(&widest(
                #[inline(always)]
                || self.gradient_2d(w1, w2),
            ));
            return;
        }
        grad.fill(0.0);
        let blocks = self.signed_rows.chunks_exact(LANES * self.width);
        let tail = blocks.remainder();
        for block in blocks {
            let mut margins = [0.0; LANES];
            for (m, z) in margins.iter_mut().zip(block.chunks_exact(self.width)) {
                *m = dot(theta, z);
            }
            let weights = self.loss.weights(margins);
            for (c, z) in weights.iter().zip(block.chunks_exact(self.width)) {
                for (g, &zj) in grad.iter_mut().zip(z) {
                    *g -= c * zj;
                }
            }
        }
        for z in tail.chunks_exact(self.width) {
            let c = self.loss.weight(dot(theta, z));
            for (g, &zj) in grad.iter_mut().zip(z) {
                *g -= c * zj;
            }
        }
    }

    /// The article's case, θ = (w₁, w₂): this loop is the whole cost of a step. Each of the
    /// [`LANES`] lanes sums its own points (i ≡ lane mod LANES), so the sums vectorise and no
    /// long chain of dependent additions bounds the speed; the lanes are added pairwise at
    /// the end. Points past the last full block are added one by one.
    #[inline(always)]
    fn gradient_2d(&self, w1: f64, w2: f64) -> [f64; 2] {
        let (first, second) = self.signed_columns.split_at(self.points());
        let (mut sum1, mut sum2) = ([0.0; LANES], [0.0; LANES]);
        let blocks = first.chunks_exact(LANES).zip(second.chunks_exact(LANES));
        for (z1, z2) in blocks {
            let mut margins = [0.0; LANES];
            for ((m, a), b) in margins.iter_mut().zip(z1).zip(z2) {
                *m = w1 * a + w2 * b;
            }
            let weights = self.loss.weights(margins);
            for (lane, c) in weights.iter().enumerate() {
                sum1[lane] -= c * z1[lane];
                sum2[lane] -= c * z2[lane];
            }
        }
        let (mut g1, mut g2) = (sum_lanes(sum1), sum_lanes(sum2));
        let full = first.len() - first.len() % LANES;
        for (a, b) in first[full..].iter().zip(&second[full..]) {
            let c = self.loss.weight(w1 * a + w2 * b);
            g1 -= c * a;
            g2 -= c * b;
        }
        [g1, g2]
    }

    /// Writes ∇L(θ)/c into `grad` and returns L(θ)/c, over `batch` (all points when `None`),
    /// with c = exp(−m_min) for the smallest margin m_min (exp loss; max(m_min, 0) for
    /// logistic): the shifted exponentials, so neither underflows when every exp(−mᵢ) would.
    /// Only normalized descent asks for this, since only its update is invariant to c.
    pub fn scaled_gradient(&self, theta: &[f64], batch: Option<&[usize]>, grad: &mut [f64]) -> f64 {
        let mut least = f64::INFINITY;
        self.for_each_row(batch, |z| least = least.min(dot(theta, z)));
        let shift = match self.loss {
            Loss::Exp => least,
            Loss::Logistic => least.max(0.0),
        };
        grad.fill(0.0);
        let mut loss = 0.0;
        self.for_each_row(batch, |z| {
            let (weight, value) = self.loss.scaled_weight_and_value(dot(theta, z), shift);
            loss += value;
            for (g, &zj) in grad.iter_mut().zip(z) {
                *g -= weight * zj;
            }
        });
        loss
    }

    /// Writes ∇L(θ) into `grad` (as [`LinearModel::gradient`] computes it, up to summation
    /// order) and into `scale` a bound on its rounding error per coordinate, in units of ε:
    /// Σᵢ |zᵢⱼ|·(wᵢ·(n + 2) + |ℓ″(mᵢ)|·Σₖ|θₖzᵢₖ|·(d + 2)), the error of summing n terms plus
    /// that of each weight from a margin computed with d products. A gradient within a small
    /// multiple of this is zero to working precision: the run is at a minimiser.
    pub fn gradient_with_rounding(&self, theta: &[f64], grad: &mut [f64], scale: &mut [f64]) {
        let terms = self.points() as f64 + 2.0;
        let products = self.width as f64 + 2.0;
        grad.fill(0.0);
        scale.fill(0.0);
        self.for_each_row(None, |z| {
            let margin = dot(theta, z);
            let weight = self.loss.weight(margin);
            // ℓ″ = ℓ for exp; σ(1 − σ) ≤ the weight for logistic.
            let curvature = match self.loss {
                Loss::Exp => weight,
                Loss::Logistic => weight * (1.0 - weight),
            };
            let spread: f64 = theta.iter().zip(z).map(|(t, zk)| (t * zk).abs()).sum();
            let size = weight * terms + curvature * spread * products;
            for ((g, s), &zj) in grad.iter_mut().zip(scale.iter_mut()).zip(z) {
                *g -= weight * zj;
                *s += zj.abs() * size;
            }
        });
    }

    /// Calls `visit` on the row zᵢ of every point in `batch` (every point when `None`).
    fn for_each_row(&self, batch: Option<&[usize]>, mut visit: impl FnMut(&[f64])) {
        match batch {
            Some(batch) => batch.iter().for_each(|&i| visit(self.row(i))),
            None => self.signed_rows.chunks_exact(self.width).for_each(visit),
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

/// M = A₁ ⋯ A_L = U C₁ ⋯ C_{L−2} Vᵀ fitted to the observed entries of M* with loss
/// ½‖(M − M*) ⊙ mask‖²_F; depth L = 2 is the article's U Vᵀ.
///
/// Parameters are one flat vector, every factor column-major: U (rows × k), then C₁, …, C_{L−2}
/// (k × k each), then V (cols × k). With Pⱼ = A₁⋯Aⱼ the prefix products and R the masked
/// residual, the gradient is ∇Aⱼ = Pⱼ₋₁ᵀ R (Aⱼ₊₁⋯A_L)ᵀ. It is computed backwards through
/// Gⱼ = R (Aⱼ₊₁⋯A_L)ᵀ (rows × k): G_{L−1} = R V, Gⱼ = Gⱼ₊₁ Cⱼᵀ, so ∇U = G₁, ∇Cⱼ = Pⱼᵀ Gⱼ₊₁
/// and ∇V = Rᵀ P_{L−1}: 3(L − 1) products in all, two of them rows × cols × k, the others
/// rows × k × k, into buffers kept between steps.
#[derive(Debug, Clone)]
pub struct MatrixModel {
    target: DMatrix<f64>,
    mask: DMatrix<f64>,
    layout: FactorLayout,
    /// Workspace for the masked residual, reused every step so the loop never allocates.
    residual: Workspace,
    /// Σ r² of each column of the residual, noted by the core that masked the column (empty
    /// for a model too small to share its products, whose residual is masked in one pass).
    column_sums: Vec<f64>,
    /// P₂, …, P_{L−1} (rows × k each), the forward pass's prefix products (none at depth 2).
    prefixes: Vec<Workspace>,
    /// G₂, …, G_{L−1} (rows × k each), the backward pass's products (none at depth 2, where
    /// G₁ = R V is written straight into ∇U).
    backward: Vec<DMatrix<f64>>,
}

/// Where each factor lives in the flat parameter (and gradient) vector.
#[derive(Debug, Clone, Copy)]
struct FactorLayout {
    rows: usize,
    cols: usize,
    width: usize,
    depth: usize,
}

impl FactorLayout {
    fn u_len(self) -> usize {
        self.rows * self.width
    }

    fn middle_len(self) -> usize {
        self.width * self.width
    }

    fn len(self) -> usize {
        (self.rows + self.cols) * self.width + (self.depth - 2) * self.middle_len()
    }

    /// U, the first factor.
    fn u(self, params: &[f64]) -> DMatrixView<'_, f64> {
        DMatrixView::from_slice(&params[..self.u_len()], self.rows, self.width)
    }

    /// Cⱼ's entries, j = 1, …, L − 2.
    fn middle_slice(self, params: &[f64], j: usize) -> &[f64] {
        let start = self.u_len() + (j - 1) * self.middle_len();
        &params[start..start + self.middle_len()]
    }

    /// Cⱼ, j = 1, …, L − 2.
    fn middle(self, params: &[f64], j: usize) -> DMatrixView<'_, f64> {
        DMatrixView::from_slice(self.middle_slice(params, j), self.width, self.width)
    }

    /// V's entries (the last factor is Vᵀ).
    fn v_slice(self, params: &[f64]) -> &[f64] {
        &params[self.len() - self.cols * self.width..self.len()]
    }

    /// V, whose transpose is the last factor.
    fn v(self, params: &[f64]) -> DMatrixView<'_, f64> {
        DMatrixView::from_slice(self.v_slice(params), self.cols, self.width)
    }

    /// U as a faer view, for the products.
    fn u_ref(self, params: &[f64]) -> MatRef<'_, f64> {
        view(&params[..self.u_len()], self.rows, self.width)
    }

    /// Cⱼ as a faer view, j = 1, …, L − 2.
    fn middle_ref(self, params: &[f64], j: usize) -> MatRef<'_, f64> {
        view(self.middle_slice(params, j), self.width, self.width)
    }

    /// V as a faer view (its transpose, the last factor, is a free view of it).
    fn v_ref(self, params: &[f64]) -> MatRef<'_, f64> {
        view(self.v_slice(params), self.cols, self.width)
    }

    /// True when the largest product, M = P_{L−1} Vᵀ, is worth two cores.
    fn shares_cores(self) -> bool {
        worth_two_cores(self.rows, self.cols, self.width)
    }

    /// ∇U, the middle gradients (k² entries each, in order) and ∇V inside `grad`.
    fn split_mut(self, grad: &mut [f64]) -> (&mut [f64], &mut [f64], &mut [f64]) {
        let (grad_u, rest) = grad.split_at_mut(self.u_len());
        let (grad_middle, grad_v) = rest.split_at_mut((self.depth - 2) * self.middle_len());
        (grad_u, grad_middle, grad_v)
    }
}

impl MatrixModel {
    /// Builds the model for `data` with inner width k = `width` and `depth` L ≥ 2 factors.
    ///
    /// # Panics
    /// If `depth` < 2: a factorisation has at least U and V.
    #[must_use]
    pub fn new(data: &MatrixData, width: usize, depth: usize) -> Self {
        assert!(depth >= 2, "a factorisation has at least two factors");
        let (rows, cols) = data.target.shape();
        let layout = FactorLayout {
            rows,
            cols,
            width,
            depth,
        };
        // Only products two cores may share want their columns on whole cache lines.
        let shared = layout.shares_cores();
        Self {
            target: data.target.clone(),
            mask: data.mask.clone(),
            layout,
            residual: Workspace::zeros(rows, cols, shared),
            column_sums: vec![0.0; if shared { cols } else { 0 }],
            prefixes: (2..depth)
                .map(|_| Workspace::zeros(rows, width, shared))
                .collect(),
            backward: (2..depth).map(|_| DMatrix::zeros(rows, width)).collect(),
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
        self.layout.width
    }

    /// Number of factors L.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.layout.depth
    }

    /// Total number of parameters, (rows + cols) · k + (L − 2) · k².
    #[must_use]
    pub fn parameter_count(&self) -> usize {
        self.layout.len()
    }

    /// True when the step's largest product, M = P_{L−1} Vᵀ, is large enough to share between
    /// two cores: given a budget of two threads, the gradient is then computed on both, and the
    /// update is worth splitting too.
    #[must_use]
    pub fn shares_cores(&self) -> bool {
        self.layout.shares_cores()
    }

    /// The factors U, C₁, …, C_{L−2}, V as views inside the flat parameter vector.
    #[must_use]
    pub fn factors<'a>(&self, params: &'a [f64]) -> Vec<DMatrixView<'a, f64>> {
        let layout = self.layout;
        let mut factors = vec![layout.u(params)];
        factors.extend((1..layout.depth - 1).map(|j| layout.middle(params, j)));
        factors.push(layout.v(params));
        factors
    }

    /// M = U C₁ ⋯ C_{L−2} Vᵀ for the given parameters (the same products, bit for bit, as
    /// the gradient's forward pass), on the calling thread: it is taken for records and
    /// pictures, not every step.
    #[must_use]
    pub fn product(&self, params: &[f64]) -> DMatrix<f64> {
        let FactorLayout {
            rows, cols, width, ..
        } = self.layout;
        let mut prefix: Option<DMatrix<f64>> = None;
        for j in 1..self.layout.depth - 1 {
            let mut next = DMatrix::zeros(rows, width);
            let left = prefix.as_ref().map_or_else(
                || self.layout.u_ref(params),
                |p| view(p.as_slice(), rows, width),
            );
            multiply(
                view_mut(next.as_mut_slice(), rows, width),
                left,
                self.layout.middle_ref(params, j),
                Threads::ONE,
            );
            prefix = Some(next);
        }
        let left = prefix.as_ref().map_or_else(
            || self.layout.u_ref(params),
            |p| view(p.as_slice(), rows, width),
        );
        let mut product = DMatrix::zeros(rows, cols);
        multiply(
            view_mut(product.as_mut_slice(), rows, cols),
            left,
            self.layout.v_ref(params).transpose(),
            Threads::ONE,
        );
        product
    }

    /// Writes the gradient of every factor, all from the same iterate, and returns the loss
    /// ½‖R‖² at that iterate, R = (M − M*) ⊙ mask.
    ///
    /// At depth 2 this is ∇U = R V and ∇V = Rᵀ U: three products and one pass over R, with no
    /// transpose copied and nothing allocated. Large enough products use two cores when
    /// `threads` has two (the bits are the same on one).
    pub fn gradient(&mut self, params: &[f64], grad: &mut [f64], threads: Threads) -> f64 {
        self.forward(params, threads);
        let loss = self.masked_residual(params, threads);
        self.backward(params, grad, threads);
        0.5 * loss
    }

    /// The prefix products P₂, …, P_{L−1} (none at depth 2).
    fn forward(&mut self, params: &[f64], threads: Threads) {
        let layout = self.layout;
        for i in 0..self.prefixes.len() {
            let (done, rest) = self.prefixes.split_at_mut(i);
            let left = prefix_ref(layout, done, params, i + 1);
            multiply(
                rest[0].view_mut(),
                left,
                layout.middle_ref(params, i + 1),
                threads,
            );
        }
    }

    /// R = (P_{L−1} Vᵀ − M*) ⊙ mask into the residual buffer, and ‖R‖². When two cores may
    /// share the product, each masks the columns of R it computed while they are still in its
    /// cache and notes each column's sum of squares, added here in one fixed order, so the loss
    /// has the same bits whichever core took which columns; a smaller model masks R in one
    /// pass.
    fn masked_residual(&mut self, params: &[f64], threads: Threads) -> f64 {
        let layout = self.layout;
        let left = prefix_ref(layout, &self.prefixes, params, layout.depth - 1);
        let v_transposed = layout.v_ref(params).transpose();
        let (rows, cols) = (layout.rows, layout.cols);
        if let Some(entries) = self.residual.as_mut_slice() {
            // A model too small to share the cores (plain storage): one block, one pass.
            multiply_here(view_mut(entries, rows, cols), left, v_transposed);
            return mask_and_square(entries, self.target.as_slice(), self.mask.as_slice());
        }
        let target = view(self.target.as_slice(), rows, cols);
        let mask = view(self.mask.as_slice(), rows, cols);
        multiply_then(
            self.residual.view_mut(),
            left,
            v_transposed,
            threads,
            &mut self.column_sums,
            |columns, first_col, sums| {
                mask_and_square_columns(columns, first_col, target, mask, sums);
            },
        );
        sum_in_lanes(&self.column_sums)
    }

    /// ∇U, ∇C₁, …, ∇V from the masked residual and the prefix products. The two products of
    /// each level read the same matrix and write disjoint buffers: one per core.
    fn backward(&mut self, params: &[f64], grad: &mut [f64], threads: Threads) {
        let layout = self.layout;
        let (rows, cols, width) = (layout.rows, layout.cols, layout.width);
        let (grad_u, grad_middle, grad_v) = layout.split_mut(grad);
        let residual = self.residual.view();
        let prefixes = &self.prefixes;
        let last_prefix = prefix_ref(layout, prefixes, params, layout.depth - 1);
        // G_{L−1} = R V (∇U itself at depth 2) beside ∇V = Rᵀ P_{L−1}.
        let top: &mut [f64] = match self.backward.last_mut() {
            Some(top) => top.as_mut_slice(),
            None => &mut *grad_u,
        };
        both(
            threads.has_two() && worth_two_cores(rows, width, cols),
            || multiply_here(view_mut(top, rows, width), residual, layout.v_ref(params)),
            || {
                multiply_here(
                    view_mut(grad_v, cols, width),
                    residual.transpose(),
                    last_prefix,
                );
            },
        );
        // Gⱼ = Gⱼ₊₁ Cⱼᵀ (G₁ is ∇U) beside ∇Cⱼ = Pⱼᵀ Gⱼ₊₁, for j = L − 2, …, 1.
        for j in (1..layout.depth - 1).rev() {
            let (lower, upper) = self.backward.split_at_mut(j - 1);
            let next = view(upper[0].as_slice(), rows, width);
            let out: &mut [f64] = if j == 1 {
                &mut *grad_u
            } else {
                lower[j - 2].as_mut_slice()
            };
            let block = &mut grad_middle[(j - 1) * layout.middle_len()..j * layout.middle_len()];
            let prefix = prefix_ref(layout, prefixes, params, j);
            both(
                threads.has_two() && worth_two_cores(rows, width, width),
                || {
                    multiply_here(
                        view_mut(out, rows, width),
                        next,
                        layout.middle_ref(params, j).transpose(),
                    );
                },
                || multiply_here(view_mut(block, width, width), prefix.transpose(), next),
            );
        }
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

/// The prefix product Pⱼ = A₁⋯Aⱼ (rows × k), j = 1, …, L − 1: U itself for j = 1, else the
/// forward pass's buffer (`prefixes` holds P₂, P₃, …).
fn prefix_ref<'a>(
    layout: FactorLayout,
    prefixes: &'a [Workspace],
    params: &'a [f64],
    j: usize,
) -> MatRef<'a, f64> {
    if j == 1 {
        layout.u_ref(params)
    } else {
        prefixes[j - 2].view()
    }
}

/// Lanes of the sum of squares below: one running sum would chain every addition on the last
/// (4 cycles each, 15 µs of a 100×100 step); eight independent sums let them overlap.
const SUM_LANES: usize = 8;

/// rᵢ ← (rᵢ − tᵢ) mᵢ for every entry, returning Σ rᵢ² (summed in [`SUM_LANES`] lanes).
fn mask_and_square(residual: &mut [f64], target: &[f64], mask: &[f64]) -> f64 {
    widest(
        #[inline(always)]
        || mask_and_square_here(residual, target, mask),
    )
}

/// rᵢ ← (rᵢ − tᵢ) mᵢ for every entry of the columns of the residual from `first_col` on
/// (`target` and `mask` are whole), noting each column's Σ rᵢ² in `sums` (one per column).
fn mask_and_square_columns(
    mut residual: MatMut<'_, f64>,
    first_col: usize,
    target: MatRef<'_, f64>,
    mask: MatRef<'_, f64>,
    sums: &mut [f64],
) {
    widest(
        #[inline(always)]
        || {
            for (j, sum) in sums.iter_mut().enumerate() {
                let col = first_col + j;
                *sum = mask_and_square_here(
                    column_mut(residual.as_mut(), j),
                    column(target, col),
                    column(mask, col),
                );
            }
        },
    );
}

/// Σ of `values` in [`SUM_LANES`] lanes, in one fixed order.
fn sum_in_lanes(values: &[f64]) -> f64 {
    let mut lanes = [0.0; SUM_LANES];
    for (i, value) in values.iter().enumerate() {
        lanes[i % SUM_LANES] += value;
    }
    lanes.iter().sum()
}

/// Column `j` of a view of column-major storage, as a slice.
#[inline(always)]
fn column(matrix: MatRef<'_, f64>, j: usize) -> &[f64] {
    matrix
        .col(j)
        .try_as_col_major()
        .expect("views of column-major storage have contiguous columns")
        .as_slice()
}

/// Column `j` of a mutable view of column-major storage, as a slice.
#[inline(always)]
fn column_mut(matrix: MatMut<'_, f64>, j: usize) -> &mut [f64] {
    matrix
        .col_mut(j)
        .try_as_col_major_mut()
        .expect("views of column-major storage have contiguous columns")
        .as_slice_mut()
}

/// The loop of [`mask_and_square`] and [`mask_and_square_columns`], inlined into whichever
/// vector width runs it.
#[inline(always)]
fn mask_and_square_here(residual: &mut [f64], target: &[f64], mask: &[f64]) -> f64 {
    // Blocks of a compile-time length, so that each block is one set of vector instructions.
    let (residual_blocks, residual_tail) = residual.as_chunks_mut::<SUM_LANES>();
    let (target_blocks, target_tail) = target.as_chunks::<SUM_LANES>();
    let (mask_blocks, mask_tail) = mask.as_chunks::<SUM_LANES>();
    let mut lanes = [0.0; SUM_LANES];
    for ((r, t), m) in residual_blocks
        .iter_mut()
        .zip(target_blocks)
        .zip(mask_blocks)
    {
        *r = std::array::from_fn(|i| (r[i] - t[i]) * m[i]);
        lanes = std::array::from_fn(|i| lanes[i] + r[i] * r[i]);
    }
    let mut total: f64 = lanes.iter().sum();
    for ((r, t), m) in residual_tail.iter_mut().zip(target_tail).zip(mask_tail) {
        *r = (*r - t) * m;
        total += *r * *r;
    }
    total
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

    /// The lane-wise gradient (2-D path and general path, full blocks of four points and the
    /// remainder, exp and logistic loss) against −Σᵢ ℓ′(mᵢ) zᵢ written from the formula with
    /// `f64::exp`, point by point. Tolerance: 8 ε · Σᵢ |wᵢ zᵢⱼ| (each weight within ~2 ulps,
    /// plus two summation orders' rounding).
    #[test]
    fn lane_gradient_matches_the_formula_loop() {
        for points in [1, 3, 4, 9, 20, 23] {
            for dim in [2, 3] {
                let data = LinearData {
                    dim,
                    points: (0..points * dim)
                        .map(|i| ((i * 7 + 3) % 11) as f64 / 5.0 - 1.0)
                        .collect(),
                    labels: (0..points)
                        .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
                        .collect(),
                };
                for (loss, bias) in [
                    (Loss::Exp, false),
                    (Loss::Logistic, false),
                    (Loss::Exp, true),
                ] {
                    let model = LinearModel::new(&data, loss, bias);
                    let theta: Vec<f64> = [0.4, -1.3, 0.7, 0.2][..model.width()].to_vec();
                    let mut got = vec![0.0; model.width()];
                    model.gradient(&theta, &mut got);
                    let (mut want, mut size) = (vec![0.0; model.width()], vec![0.0; model.width()]);
                    for i in 0..points {
                        let mut z: Vec<f64> =
                            data.point(i).iter().map(|x| data.labels[i] * x).collect();
                        if bias {
                            z.push(data.labels[i]);
                        }
                        let margin: f64 = theta.iter().zip(&z).map(|(t, zj)| t * zj).sum();
                        let weight = match loss {
                            Loss::Exp => (-margin).exp(),
                            Loss::Logistic => 1.0 / (1.0 + margin.exp()),
                        };
                        for j in 0..z.len() {
                            want[j] -= weight * z[j];
                            size[j] += (weight * z[j]).abs();
                        }
                    }
                    for j in 0..got.len() {
                        assert!(
                            (got[j] - want[j]).abs() <= 8.0 * f64::EPSILON * size[j],
                            "{points} points, dim {dim}, {loss:?}, bias {bias}: {got:?} vs {want:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn logistic_loss_is_stable_at_extreme_margins() {
        assert_eq!(Loss::Logistic.value(-1000.0), 1000.0);
        // Closed form ln(1 + e⁻ᵐ) = x − x²/2 + O(x³), x = e⁻ᵐ: exactly 0.0 in f64 at m = 1000
        // (e⁻¹⁰⁰⁰ underflows), and x − x²/2 to 1e-15 relative at m = 30 and 700, where a naive
        // ln(1 + x) keeps only 3 digits (1 + 9e-14) or none.
        assert_eq!(Loss::Logistic.value(1000.0), 0.0);
        for margin in [30.0_f64, 700.0] {
            let x = (-margin).exp();
            let closed_form = x - x * x / 2.0;
            let value = Loss::Logistic.value(margin);
            assert!(
                (value - closed_form).abs() <= 1e-15 * closed_form,
                "{margin}: {value}"
            );
        }
        assert_eq!(Loss::Logistic.weight(-1000.0), 1.0);
        assert_eq!(Loss::Logistic.weight(1000.0), 0.0);
        assert!((Loss::Logistic.value(0.0) - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn matrix_gradient_matches_finite_differences_at_depths_2_3_4() {
        let target = DMatrix::from_row_slice(3, 2, &[1.0, -2.0, 0.5, 0.3, -1.0, 2.0]);
        let mask = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
        let data = MatrixData { target, mask };
        for depth in [2, 3, 4] {
            let mut model = MatrixModel::new(&data, 2, depth);
            let params: Vec<f64> = (0..model.parameter_count())
                .map(|i| (i as f64 * 0.37).sin())
                .collect();
            let mut grad = vec![0.0; params.len()];
            let loss = model.gradient(&params, &mut grad, Threads::ONE);
            let reference = model.clone();
            // The loss through `product` (allocating nalgebra products, no workspaces).
            let f = |p: &[f64]| reference.train_loss(&reference.product(p));
            assert!((loss - f(&params)).abs() < 1e-14, "depth {depth}");
            for (j, g) in grad.iter().enumerate() {
                // Central differences are exact to O(h²) ≈ 1e-12 plus rounding ≈ 1e-10 / h.
                let fd = finite_difference(&f, &params, j);
                assert!(
                    (g - fd).abs() < 1e-7 * g.abs().max(1.0),
                    "depth {depth} j={j}: {g} vs {fd}"
                );
            }
        }
    }

    /// ∇_U = R V and ∇_V = Rᵀ U with R = (U Vᵀ − M*) ⊙ mask, by plain loops over the formula.
    fn gradient_by_loops(model: &MatrixModel, params: &[f64]) -> Vec<f64> {
        assert_eq!(model.depth(), 2);
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

    /// ∇Aⱼ = (A₁⋯Aⱼ₋₁)ᵀ R (Aⱼ₊₁⋯A_L)ᵀ with A₁ = U, Aⱼ = Cⱼ₋₁, A_L = Vᵀ and
    /// R = (A₁⋯A_L − M*) ⊙ mask, straight from the formula with allocating nalgebra products
    /// (∇V is the transpose of ∇A_L), in the flat layout U, C₁, …, V.
    fn gradient_by_formula(model: &MatrixModel, params: &[f64]) -> Vec<f64> {
        let factors = model.factors(params);
        let depth = factors.len();
        let a: Vec<DMatrix<f64>> = factors
            .iter()
            .enumerate()
            .map(|(j, f)| {
                if j + 1 == depth {
                    f.transpose()
                } else {
                    f.clone_owned()
                }
            })
            .collect();
        let (rows, _) = model.shape();
        let product = |range: std::ops::Range<usize>, identity: usize| {
            a[range]
                .iter()
                .fold(DMatrix::identity(identity, identity), |p, f| p * f)
        };
        let residual = (product(0..depth, rows) - &model.target).component_mul(&model.mask);
        let mut grad = vec![];
        for (j, factor) in a.iter().enumerate() {
            let left = product(0..j, rows);
            let right = product(j + 1..depth, factor.ncols());
            let g = left.transpose() * &residual * right.transpose();
            let g = if j + 1 == depth { g.transpose() } else { g };
            grad.extend_from_slice(g.as_slice());
        }
        assert_eq!(grad.len(), params.len());
        grad
    }

    #[test]
    fn matrix_gradient_matches_plain_loops_on_every_kernel_path() {
        // Shapes on each side of nalgebra's small-matrix fallback (every dimension > 5 or not)
        // and above the size where the products go to two threads; depth 2 against plain loops
        // over indices, every depth against the formula with naive products.
        for (rows, cols, k) in [(3, 2, 2), (7, 6, 5), (6, 7, 6), (9, 12, 8), (129, 128, 128)] {
            let target = DMatrix::from_fn(rows, cols, |i, j| ((i * 7 + j * 3) as f64).sin());
            let mask = DMatrix::from_fn(rows, cols, |i, j| f64::from((i * 13 + j * 5) % 10 < 6));
            let data = MatrixData { target, mask };
            for depth in [2, 3, 4] {
                let mut model = MatrixModel::new(&data, k, depth);
                // Entries of size ~1/√k keep every product of order one at any depth.
                let params: Vec<f64> = (0..model.parameter_count())
                    .map(|i| (i as f64 * 0.37).sin() / (k as f64).sqrt())
                    .collect();
                let mut grad = vec![0.0; params.len()];
                model.gradient(&params, &mut grad, two_threads());
                let mut wants = vec![gradient_by_formula(&model, &params)];
                if depth == 2 {
                    wants.push(gradient_by_loops(&model, &params));
                }
                for want in wants {
                    let scale = want.iter().fold(1.0_f64, |m, g| m.max(g.abs()));
                    for (j, (g, w)) in grad.iter().zip(&want).enumerate() {
                        // Only the summation order differs: a few ulps of the largest entry.
                        assert!(
                            (g - w).abs() <= 1e-12 * scale,
                            "{rows}×{cols} k={k} depth {depth} j={j}: {g} vs {w}"
                        );
                    }
                }
            }
        }
    }

    fn two_threads() -> Threads {
        Threads::new(std::num::NonZeroUsize::new(2).expect("two is positive"))
    }

    #[test]
    fn gradient_and_loss_have_the_same_bits_whatever_the_budget_and_the_pool() {
        // An even and an odd number of columns, and a wide one with few rows.
        for (rows, cols, k, depth) in [(100, 100, 100, 3), (150, 131, 64, 2), (203, 97, 120, 3)] {
            let target = DMatrix::from_fn(rows, cols, |i, j| ((i * 7 + j * 3) as f64).sin());
            let mask = DMatrix::from_fn(rows, cols, |i, j| f64::from((i * 13 + j * 5) % 10 < 6));
            let data = MatrixData { target, mask };
            let count = MatrixModel::new(&data, k, depth).parameter_count();
            let params: Vec<f64> = (0..count)
                .map(|i| (i as f64 * 0.37).sin() / (k as f64).sqrt())
                .collect();
            let gradient = |budget: Threads, pool_size: usize| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(pool_size)
                    .build()
                    .expect("a thread pool");
                pool.install(|| {
                    let mut model = MatrixModel::new(&data, k, depth);
                    assert!(model.shares_cores());
                    let mut grad = vec![0.0; count];
                    let loss = model.gradient(&params, &mut grad, budget);
                    let bits: Vec<u64> = grad.iter().map(|g| g.to_bits()).collect();
                    (loss.to_bits(), bits)
                })
            };
            let alone = gradient(Threads::ONE, 1);
            for (budget, pool_size) in [(two_threads(), 2), (two_threads(), 1), (Threads::ONE, 2)] {
                assert!(
                    gradient(budget, pool_size) == alone,
                    "{rows}×{cols} {budget:?} in a pool of {pool_size}"
                );
            }
            // The loss is ½‖(M − M*) ⊙ mask‖², summed here in another order.
            let model = MatrixModel::new(&data, k, depth);
            let want = model.train_loss(&model.product(&params));
            let loss = f64::from_bits(alone.0);
            assert!((loss - want).abs() <= 1e-12 * want, "{loss} vs {want}");
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
