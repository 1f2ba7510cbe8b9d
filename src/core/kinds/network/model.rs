//! A fully connected network f(x) = W_L σ(… σ(W₁ x + b₁) …) + b_L with one output, its loss,
//! its exact gradient (backpropagation) and exact Hessian-vector products (Pearlmutter's
//! R-operator: forward-mode differentiation of the backward pass).
//!
//! Why exact curvature: the edge of stability is a statement about the top Hessian eigenvalue
//! sitting at 2/η; finite-difference Hessian products carry an O(h) bias and, with ReLU, jump
//! across kinks and draw spurious spikes. The R-operator costs about two gradients, has no step
//! size, and with ReLU gives the Hessian of the piecewise-quadratic loss on the current piece.
//!
//! Parameters are one flat vector, layer after layer: the weights of layer l as a fan_out ×
//! fan_in row-major matrix, then (with biases) its fan_out biases. The data are a
//! [`RegressionData`]: n points of d inputs, one real target each (±1 for the logistic loss).
//!
//! The layers run point-major (one row of activations per point, padded to whole registers)
//! through the products of [`super::kernel`]; a mini-batch step runs the same code on the rows
//! of its points ([`Network::batch_gradient`]), its loss the mean over the batch. A whole pass
//! (the loss; the gradient; the Hessian-vector product) is one dispatch to the widest
//! registers ([`widest_lanes`]), so that the copies and loops between the products are
//! compiled for them too and no product pays a dispatch of its own. Between the products
//! nothing calls the C library: a copy or a fill of a run-time length is a call to it, which at
//! 1–30 values a row cost more than the work ([`copy_short`] moves whole registers instead).
//! Every buffer starts on a cache line ([`Lines`]), so no register's load or store straddles
//! two, and with biases each layer's inputs carry a column of ones ([`ones_column`]) that
//! makes ∂b part of ∂W's product.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::kernel::{Finish, Left, PAD, Product, Shape, Start, copy_short, padded, tanh};
use super::lines::Lines;
use crate::core::data::RegressionData;
use crate::core::simd::{WithLanes, widest_lanes};

/// The hidden layers' nonlinearity (the output layer is linear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// tanh z.
    Tanh,
    /// max(z, 0), with derivative 0 at 0 (as torch has it).
    Relu,
    /// The exact GELU z·Φ(z) (torch's default, not the tanh approximation).
    Gelu,
    /// z: a deep linear network.
    Linear,
}

impl Activation {
    /// Every activation, for tests and error messages.
    pub const ALL: [Activation; 4] = [Self::Tanh, Self::Relu, Self::Gelu, Self::Linear];

    /// The preset's name for it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Tanh => "tanh",
            Self::Relu => "relu",
            Self::Gelu => "gelu",
            Self::Linear => "linear",
        }
    }

    /// σ(z) and σ'(z).
    #[inline]
    #[must_use]
    pub fn value_and_slope(self, z: f64) -> (f64, f64) {
        match self {
            Self::Tanh => {
                let t = tanh(z);
                (t, 1.0 - t * t)
            }
            Self::Relu if z > 0.0 => (z, 1.0),
            Self::Relu => (0.0, 0.0),
            Self::Gelu => {
                let (cdf, pdf) = normal_cdf_pdf(z);
                (z * cdf, cdf + z * pdf)
            }
            Self::Linear => (z, 1.0),
        }
    }

    /// σ''(z).
    #[inline]
    #[must_use]
    pub fn curvature(self, z: f64) -> f64 {
        let (value, slope) = self.value_and_slope(z);
        self.curvature_from(z, value, slope)
    }

    /// σ''(z) given σ(z) and σ'(z) already computed: tanh'' = −2σσ' needs no second tanh.
    #[inline]
    #[must_use]
    pub fn curvature_from(self, z: f64, value: f64, slope: f64) -> f64 {
        match self {
            Self::Tanh => -2.0 * value * slope,
            Self::Relu | Self::Linear => 0.0,
            Self::Gelu => normal_cdf_pdf(z).1 * (2.0 - z * z),
        }
    }

    /// σ and σ' of every value of `pre`, into `post` and `slope`, one by one: for the
    /// activations whose product does not finish them itself (tanh's does, [`Finish::Tanh`]).
    #[inline(always)]
    fn apply(self, pre: &[f64], post: &mut [f64], slope: &mut [f64]) {
        for ((z, a), s) in pre.iter().zip(post.iter_mut()).zip(slope.iter_mut()) {
            (*a, *s) = self.value_and_slope(*z);
        }
    }

    /// σ'' of every value of `pre` into `curve`, from σ and σ' there already.
    #[inline(always)]
    fn curve(self, pre: &[f64], post: &[f64], slope: &[f64], curve: &mut [f64]) {
        for (((c, z), a), s) in curve.iter_mut().zip(pre).zip(post).zip(slope) {
            *c = self.curvature_from(*z, *a, *s);
        }
    }
}

/// Φ(z) and φ(z) of the standard normal.
fn normal_cdf_pdf(z: f64) -> (f64, f64) {
    let cdf = 0.5 * (1.0 + libm::erf(z * std::f64::consts::FRAC_1_SQRT_2));
    let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (cdf, pdf)
}

/// The training loss, averaged over the n points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkLoss {
    /// L = 1/(2n) Σ (f(xᵢ) − yᵢ)².
    Squared,
    /// L = 1/n Σ log(1 + e^{−yᵢ f(xᵢ)}), labels ±1.
    Logistic,
}

impl NetworkLoss {
    /// The preset's name for it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Squared => "squared",
            Self::Logistic => "logistic",
        }
    }

    /// One point's ℓ(f, y) and its first two derivatives in f (before the 1/n). Always inlined:
    /// the pass that calls it per point is too large for LLVM to inline it on its own.
    #[inline(always)]
    #[must_use]
    pub fn per_point(self, f: f64, y: f64) -> (f64, f64, f64) {
        match self {
            Self::Squared => {
                let r = f - y;
                (0.5 * r * r, r, 1.0)
            }
            Self::Logistic => {
                let margin = y * f;
                // log(1 + e^{−m}) without overflow either way.
                let loss = if margin > 0.0 {
                    (-margin).exp().ln_1p()
                } else {
                    -margin + margin.exp().ln_1p()
                };
                let wrong = sigmoid(-margin);
                (loss, -y * wrong, y * y * wrong * (1.0 - wrong))
            }
        }
    }
}

/// 1/(1 + e^{−t}), accurate for large |t|.
fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// The shape of a network: layer sizes from the input to the single output.
#[derive(Debug, Clone, PartialEq)]
pub struct Architecture {
    /// d, the hidden widths, then 1.
    pub sizes: Vec<usize>,
    /// Whether every layer has biases.
    pub bias: bool,
    /// The hidden layers' activation.
    pub activation: Activation,
    /// The loss.
    pub loss: NetworkLoss,
}

/// Where one layer's parameters sit in the flat vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerShape {
    /// Inputs of the layer.
    pub fan_in: usize,
    /// Outputs of the layer.
    pub fan_out: usize,
    /// Index of its first weight (row-major fan_out × fan_in); its biases follow.
    pub offset: usize,
}

impl Architecture {
    /// A network with `inputs`, the `hidden` widths and one output.
    #[must_use]
    pub fn new(
        inputs: usize,
        hidden: &[usize],
        bias: bool,
        activation: Activation,
        loss: NetworkLoss,
    ) -> Self {
        let mut sizes = vec![inputs];
        sizes.extend_from_slice(hidden);
        sizes.push(1);
        Self {
            sizes,
            bias,
            activation,
            loss,
        }
    }

    /// Each layer's place in the parameter vector, input side first.
    #[must_use]
    pub fn layers(&self) -> Vec<LayerShape> {
        let mut offset = 0;
        self.sizes
            .windows(2)
            .map(|pair| {
                let shape = LayerShape {
                    fan_in: pair[0],
                    fan_out: pair[1],
                    offset,
                };
                offset += pair[0] * pair[1] + if self.bias { pair[1] } else { 0 };
                shape
            })
            .collect()
    }

    /// How many numbers the parameter vector holds.
    #[must_use]
    pub fn parameter_count(&self) -> usize {
        self.layers().last().map_or(0, |l| {
            l.offset + l.fan_in * l.fan_out + if self.bias { l.fan_out } else { 0 }
        })
    }

    /// `d → h₁ → … → 1 activation`, e.g. `1→30→20→1 tanh`, for one-line descriptions.
    #[must_use]
    pub fn summary(&self) -> String {
        let sizes: Vec<String> = self.sizes.iter().map(ToString::to_string).collect();
        format!("{} {}", sizes.join("→"), self.activation.name())
    }

    /// f(x) at each of `points` (row-major, d values each), one point at a time with a few
    /// buffers of its own: for grids a view draws, where a `&self` is all there is. Uses the
    /// same σ as the layers, so f agrees with [`Network::outputs`] to rounding.
    #[must_use]
    pub fn outputs(&self, params: &[f64], points: &[f64]) -> Vec<f64> {
        let inputs = self.sizes[0].max(1);
        let layers = self.layers();
        let last = layers.len() - 1;
        let mut below = Vec::new();
        let mut here = Vec::new();
        points
            .chunks_exact(inputs)
            .map(|x| {
                below.clear();
                below.extend_from_slice(x);
                for (l, layer) in layers.iter().enumerate() {
                    let size = layer.fan_in * layer.fan_out;
                    let weights = &params[layer.offset..layer.offset + size];
                    here.clear();
                    for (o, row) in weights.chunks_exact(layer.fan_in).enumerate() {
                        let bias = if self.bias {
                            params[layer.offset + size + o]
                        } else {
                            0.0
                        };
                        let z = row
                            .iter()
                            .zip(&below)
                            .fold(bias, |sum, (w, a)| w.mul_add(*a, sum));
                        here.push(if l < last {
                            self.activation.value_and_slope(z).0
                        } else {
                            z
                        });
                    }
                    std::mem::swap(&mut below, &mut here);
                }
                below[0]
            })
            .collect()
    }

    /// LeCun-normal weights N(0, 1/fan_in) times `scale`, zero biases, drawn from `rng` layer
    /// after layer in row-major order (what torch's `normal_(0, 1/√fan_in)` draws, given the
    /// same stream).
    #[must_use]
    pub fn lecun_normal(&self, scale: f64, rng: &mut StdRng) -> Vec<f64> {
        let mut params = vec![0.0; self.parameter_count()];
        for layer in self.layers() {
            let sd = scale / (layer.fan_in as f64).sqrt();
            for w in &mut params[layer.offset..layer.offset + layer.fan_in * layer.fan_out] {
                let z: f64 = StandardNormal.sample(rng);
                *w = sd * z;
            }
        }
        params
    }
}

/// The column, just after a row's `width` values, where a network with biases keeps a 1 in
/// every row of a layer's inputs (the data, or σ(z) of the layer below, whose σ' is 0 there).
/// Then the product that sums ∂W = Σᵢ δᵢ aᵢᵀ sums ∂b = Σᵢ δᵢ · 1 in that column at no cost,
/// where a product of its own (1ᵀδ: one row of sums, each a chain of fused multiply-adds over
/// the points) took ~3 % of a step. δ · 1 + s rounds as δ + s, so ∂b has the bits of a loop of
/// additions in the order i = 0, 1, …; no other product reads the column (each sums over a
/// layer's real inputs only).
fn ones_column(width: usize) -> usize {
    width
}

/// The row stride of a layer's inputs or outputs of `width` values: whole registers
/// ([`padded`]), with room for the [`ones_column`] when the network has biases.
fn row_stride(width: usize, bias: bool) -> usize {
    padded(width + usize::from(bias))
}

/// One layer's buffers, rows padded to whole vectors ([`padded`]).
#[derive(Debug, Clone)]
struct Layer {
    shape: LayerShape,
    /// Row stride of the layer's inputs (the layer below's outputs) and of its outputs.
    in_stride: usize,
    out_stride: usize,
    /// W (fan_out × in_stride), for δ going down, and Wᵀ (fan_in × out_stride), for going up.
    weights: Lines,
    weights_t: Lines,
    /// The direction V of a Hessian-vector product, laid out as W and Wᵀ.
    direction: Lines,
    direction_t: Lines,
    /// Per point (rows × out_stride): z, σ(z), σ'(z), σ''(z), R z, R σ(z). A tanh layer
    /// leaves z unwritten (its σ' and σ'' come from σ), the others' are all kept.
    pre: Lines,
    post: Lines,
    slope: Lines,
    curve: Lines,
    r_pre: Lines,
    r_post: Lines,
    /// ∂W and ∂b (or R ∂W and R ∂b) before they are copied, unpadded, into the caller's
    /// vector: fan_out × in_stride with ∂b in the [`ones_column`], or, when
    /// `transposed_gradient`, ∂Wᵀ (fan_in × out_stride) with ∂b as the row after it.
    scratch: Lines,
    /// Whether the layer has biases (and its inputs the [`ones_column`]).
    bias: bool,
    /// Whether ∂W is computed as ∂Wᵀ = Σᵢ a_{l−1,i} δᵢᵀ: fewer blocks of registers when the
    /// layer has fewer inputs than outputs (1 → 30: one row of 32 columns instead of 30 rows
    /// of one column padded to a register). The same bits either way (each entry sums the
    /// same products in the same order i = 0, 1, …).
    transposed_gradient: bool,
    /// The biases (or their direction) then zeros to `out_stride`: where every row of z (or
    /// R z) starts its sum ([`Product`] from `Start::Row`), so no row is filled before its product.
    bias_row: Lines,
}

impl Layer {
    /// The buffers of a layer of `shape` for `points` points; with `bias`, every row has a
    /// column more than the layer's width, the inputs' [`ones_column`].
    fn new(shape: LayerShape, points: usize, bias: bool) -> Self {
        let (in_stride, out_stride) = (
            row_stride(shape.fan_in, bias),
            row_stride(shape.fan_out, bias),
        );
        let rows = Lines::zeros(points * out_stride);
        Self {
            shape,
            in_stride,
            out_stride,
            weights: Lines::zeros(shape.fan_out * in_stride),
            weights_t: Lines::zeros(shape.fan_in * out_stride),
            direction: Lines::zeros(shape.fan_out * in_stride),
            direction_t: Lines::zeros(shape.fan_in * out_stride),
            pre: rows.clone(),
            post: rows.clone(),
            slope: rows.clone(),
            curve: rows.clone(),
            r_pre: rows.clone(),
            r_post: rows,
            scratch: Lines::zeros((shape.fan_out * in_stride).max((shape.fan_in + 1) * out_stride)),
            bias,
            transposed_gradient: (shape.fan_in + usize::from(bias)) * out_stride
                < shape.fan_out * in_stride,
            bias_row: Lines::zeros(out_stride),
        }
    }

    /// Copies the layer's weights out of the flat `params` into W and Wᵀ (or, with
    /// `direction`, into V and Vᵀ).
    #[inline(always)]
    fn load<const LANES: usize>(&mut self, params: &[f64], direction: bool) {
        let (shape, in_stride, out_stride) = (self.shape, self.in_stride, self.out_stride);
        // Slices, not the vectors: a store through a `&mut Vec` may (for LLVM) change the
        // vector's own pointer, which it then reloads at every store.
        let (rows, columns): (&mut [f64], &mut [f64]) = if direction {
            (&mut self.direction, &mut self.direction_t)
        } else {
            (&mut self.weights, &mut self.weights_t)
        };
        let weights = &params[shape.offset..shape.offset + shape.fan_in * shape.fan_out];
        copy_weights::<LANES>(shape, weights, (rows, in_stride), (columns, out_stride));
    }

    /// Σᵢ δ[i, o] a[i, s] over the `points` first rows of `delta` (stride `out_stride`) and
    /// `input` (stride `in_stride`), from `start`, into `scratch`: ∂W as δᵀ·a (rows o, lanes
    /// s) or, with `transposed_gradient`, ∂Wᵀ as aᵀ·δ (rows s, lanes o); with biases, s runs
    /// on to the input's [`ones_column`], whose sums are ∂b.
    #[inline(always)]
    fn gradient_term<const LANES: usize>(
        &mut self,
        start: Start<'_>,
        (delta, input): (&[f64], &[f64]),
        points: usize,
    ) {
        let (delta, input) = ((delta, self.out_stride), (input, self.in_stride));
        let (left, right, rows) = if self.transposed_gradient {
            (input, delta, self.shape.fan_in + usize::from(self.bias))
        } else {
            (delta, input, self.shape.fan_out)
        };
        Product {
            start,
            c: &mut self.scratch,
            c_stride: right.1,
            a: Left::Transposed {
                data: left.0,
                stride: left.1,
            },
            b: right.0,
            b_stride: right.1,
            shape: Shape {
                rows,
                inner: points,
                width: right.1,
            },
            finish: Finish::Store,
        }
        .run::<LANES>();
    }

    /// Copies the layer's padded ∂W or ∂Wᵀ and (with biases) ∂b, all in its `scratch`, into
    /// their places in `out`: no library call (a copy of a run-time length is one, and at 1–30
    /// values a row the calls cost more than the work).
    #[inline(always)]
    fn unpad<const LANES: usize>(&self, out: &mut [f64]) {
        let shape = self.shape;
        let (weights, biases) = out[shape.offset..].split_at_mut(shape.fan_in * shape.fan_out);
        if self.transposed_gradient {
            if shape.fan_in == 1 {
                copy_short::<LANES>(weights, &self.scratch[..shape.fan_out]);
            } else {
                let padded_rows = self
                    .scratch
                    .chunks_exact(self.out_stride)
                    .take(shape.fan_in);
                for (s, padded_row) in padded_rows.enumerate() {
                    for (o, &entry) in padded_row[..shape.fan_out].iter().enumerate() {
                        weights[o * shape.fan_in + s] = entry;
                    }
                }
            }
            if self.bias {
                let sums = &self.scratch[shape.fan_in * self.out_stride..];
                copy_short::<LANES>(&mut biases[..shape.fan_out], &sums[..shape.fan_out]);
            }
        } else {
            let padded_rows = self.scratch.chunks_exact(self.in_stride);
            let rows = weights.chunks_exact_mut(shape.fan_in).zip(padded_rows);
            for (o, (row, padded_row)) in rows.enumerate() {
                copy_short::<LANES>(row, &padded_row[..shape.fan_in]);
                if self.bias {
                    biases[o] = padded_row[shape.fan_in];
                }
            }
        }
    }

    /// Writes the layer's biases in `params` into `bias_row` (without biases it stays zeros,
    /// as its padding always does).
    #[inline(always)]
    fn load_biases<const LANES: usize>(&mut self, params: &[f64]) {
        if self.bias {
            let start = self.shape.offset + self.shape.fan_in * self.shape.fan_out;
            let fan_out = self.shape.fan_out;
            copy_short::<LANES>(
                &mut self.bias_row[..fan_out],
                &params[start..start + fan_out],
            );
        }
    }
}

/// Which points the buffers hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    All,
    Batch,
}

/// A network bound to its data, with the buffers one evaluation needs (allocated once).
#[derive(Debug, Clone)]
pub struct Network {
    architecture: Architecture,
    layers: Vec<Layer>,
    data: Arc<RegressionData>,
    /// The points in the buffers (rows × padded d) and their targets: every point, or a batch.
    rows: Rows,
    count: usize,
    /// Row stride of `input`: d padded ([`padded`]).
    input_stride: usize,
    input: Lines,
    targets: Vec<f64>,
    /// The backward pass's per-point buffers.
    deltas: Deltas,
}

impl Network {
    /// Binds `architecture` to `data` (whose `dim` must be its input size).
    ///
    /// # Panics
    /// When `data.dim` differs from the architecture's input size (a caller's bug: the preset
    /// check matches them).
    #[must_use]
    pub fn new(architecture: Architecture, data: RegressionData) -> Self {
        Self::sharing(architecture, Arc::new(data))
    }

    /// [`Network::new`] on data other networks (the other runs) share.
    ///
    /// # Panics
    /// As [`Network::new`].
    #[must_use]
    pub fn sharing(architecture: Architecture, data: Arc<RegressionData>) -> Self {
        assert_eq!(
            data.dim, architecture.sizes[0],
            "data and network inputs differ"
        );
        let n = data.len();
        let bias = architecture.bias;
        let layers: Vec<Layer> = architecture
            .layers()
            .into_iter()
            .map(|shape| Layer::new(shape, n, bias))
            .collect();
        let widest = architecture
            .sizes
            .iter()
            .map(|&s| row_stride(s, bias))
            .max();
        let input_stride = row_stride(data.dim, bias);
        let mut network = Self {
            input_stride,
            input: Lines::zeros(n * input_stride),
            targets: vec![0.0; n],
            rows: Rows::Batch,
            count: 0,
            deltas: Deltas::new(n * widest.unwrap_or(PAD)),
            architecture,
            layers,
            data,
        };
        network.use_all();
        network
    }

    /// The architecture.
    #[must_use]
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The data it is trained on.
    #[must_use]
    pub fn data(&self) -> &RegressionData {
        &self.data
    }

    /// Puts every point in the buffers (a no-op when they are there already).
    fn use_all(&mut self) {
        if self.rows == Rows::All {
            return;
        }
        let n = self.data.len();
        self.fill_input(0..n);
        self.rows = Rows::All;
    }

    /// Puts the points of `batch` in the buffers, in its order.
    fn use_batch(&mut self, batch: &[usize]) {
        self.fill_input(batch.iter().copied());
        self.rows = Rows::Batch;
    }

    fn fill_input(&mut self, points: impl Iterator<Item = usize>) {
        let (dim, stride) = (self.data.dim, self.input_stride);
        let mut count = 0;
        for (row, i) in points.enumerate() {
            self.input[row * stride..row * stride + dim].copy_from_slice(self.data.point(i));
            if self.architecture.bias {
                self.input[row * stride + ones_column(dim)] = 1.0;
            }
            self.targets[row] = self.data.targets[i];
            count += 1;
        }
        self.count = count;
    }

    /// Forward pass at `params` over the points in the buffers: z, σ(z), σ'(z) (and σ''(z)
    /// with `curvature`) for every layer; returns the mean loss.
    #[inline(always)]
    fn forward<const LANES: usize>(&mut self, params: &[f64], curvature: bool) -> f64 {
        let rows = self.count;
        let activation = self.architecture.activation;
        let last = self.layers.len() - 1;
        let input_stride = self.input_stride;
        for l in 0..self.layers.len() {
            let (below, here) = self.layers.split_at_mut(l);
            let layer = &mut here[0];
            layer.load::<LANES>(params, false);
            let (input, stride) = match below.last() {
                None => (&self.input[..], input_stride),
                Some(previous) => (&previous.post[..], previous.out_stride),
            };
            layer.load_biases::<LANES>(params);
            let hidden = l < last;
            let fused = hidden && activation == Activation::Tanh;
            Product {
                start: Start::Row(&layer.bias_row),
                // tanh's finish replaces z by σ(z) in place: a tanh layer keeps no z.
                c: if fused {
                    &mut layer.post
                } else {
                    &mut layer.pre
                },
                c_stride: layer.out_stride,
                a: Left::Rows {
                    data: input,
                    stride,
                },
                b: &layer.weights_t,
                b_stride: layer.out_stride,
                shape: Shape {
                    rows,
                    inner: layer.shape.fan_in,
                    width: layer.out_stride,
                },
                finish: if fused {
                    Finish::Tanh(&mut layer.slope)
                } else {
                    Finish::Store
                },
            }
            .run::<LANES>();
            if hidden {
                let size = rows * layer.out_stride;
                let (pre, post, slope) = (
                    &layer.pre[..size],
                    &mut layer.post[..size],
                    &mut layer.slope[..size],
                );
                if !fused {
                    activation.apply(pre, post, slope);
                }
                if curvature {
                    activation.curve(pre, post, slope, &mut layer.curve[..size]);
                }
                if layer.bias {
                    let column = ones_column(layer.shape.fan_out);
                    for i in 0..rows {
                        post[i * layer.out_stride + column] = 1.0;
                        slope[i * layer.out_stride + column] = 0.0;
                    }
                }
            }
        }
        let loss = self.architecture.loss;
        let output = &self.layers[last];
        let total: f64 = (0..rows)
            .map(|i| {
                loss.per_point(output.pre[i * output.out_stride], self.targets[i])
                    .0
            })
            .sum();
        total / rows as f64
    }

    /// The loss at `params`, over every point.
    #[must_use]
    pub fn loss(&mut self, params: &[f64]) -> f64 {
        self.use_all();
        self.pass(params, Pass::Loss)
    }

    /// f(xᵢ) at `params` for every data point, in order.
    #[must_use]
    pub fn outputs(&mut self, params: &[f64]) -> Vec<f64> {
        self.use_all();
        self.pass(params, Pass::Loss);
        let output = &self.layers[self.layers.len() - 1];
        (0..self.count)
            .map(|i| output.pre[i * output.out_stride])
            .collect()
    }

    /// Writes ∇L(params) into `grad` and returns L, both from one forward pass over every point.
    pub fn gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.use_all();
        self.pass(params, Pass::Gradient(grad))
    }

    /// The loss over the points of `batch` only, L_B = 1/|B| Σ_{i∈B} ℓ(f(xᵢ), yᵢ) (the mean,
    /// as torch's losses take it): writes ∇L_B into `grad` and returns L_B.
    pub fn batch_gradient(&mut self, params: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        self.use_batch(batch);
        self.pass(params, Pass::Gradient(grad))
    }

    /// Writes the Hessian-vector product ∇²L(params)·v into `hv` (and the gradient into `grad`,
    /// which the R-operator computes on the way) and returns L, over every point.
    pub fn hessian_vector(
        &mut self,
        params: &[f64],
        v: &[f64],
        grad: &mut [f64],
        hv: &mut [f64],
    ) -> f64 {
        self.use_all();
        self.pass(params, Pass::HessianVector { v, grad, hv })
    }

    /// Runs `pass` at `params` over the points in the buffers, compiled for the widest
    /// registers as one whole ([`widest_lanes`]): one dispatch a pass instead of one a
    /// product, and the copies and loops between the products compiled for those registers
    /// too. Returns the loss.
    fn pass(&mut self, params: &[f64], pass: Pass<'_>) -> f64 {
        widest_lanes(Passing {
            network: self,
            params,
            pass,
        })
    }

    /// R z and R a, forward: R z_l = V_l a_{l−1} + R b_l + W_l R a_{l−1}, R a_l = σ'(z_l) R z_l.
    #[inline(always)]
    fn r_forward<const LANES: usize>(&mut self, v: &[f64]) {
        let rows = self.count;
        let last = self.layers.len() - 1;
        let input_stride = self.input_stride;
        for l in 0..self.layers.len() {
            let (below, here) = self.layers.split_at_mut(l);
            let layer = &mut here[0];
            layer.load::<LANES>(v, true);
            layer.load_biases::<LANES>(v);
            let shape = Shape {
                rows,
                inner: layer.shape.fan_in,
                width: layer.out_stride,
            };
            let (input, stride) = match below.last() {
                None => (&self.input[..], input_stride),
                Some(previous) => (&previous.post[..], previous.out_stride),
            };
            let left = |data| Left::Rows { data, stride };
            Product {
                start: Start::Row(&layer.bias_row),
                c: &mut layer.r_pre,
                c_stride: layer.out_stride,
                a: left(input),
                b: &layer.direction_t,
                b_stride: layer.out_stride,
                shape,
                finish: Finish::Store,
            }
            .run::<LANES>();
            if let Some(previous) = below.last() {
                Product {
                    start: Start::Current,
                    c: &mut layer.r_pre,
                    c_stride: layer.out_stride,
                    a: left(&previous.r_post),
                    b: &layer.weights_t,
                    b_stride: layer.out_stride,
                    shape,
                    finish: Finish::Store,
                }
                .run::<LANES>();
            }
            if l < last {
                let size = rows * layer.out_stride;
                let (r_pre, slope) = (&layer.r_pre[..size], &layer.slope[..size]);
                for ((ra, rz), s) in layer.r_post[..size].iter_mut().zip(r_pre).zip(slope) {
                    *ra = s * rz;
                }
            }
        }
    }

    /// δ at the output, ℓ'(fᵢ)/n, and with `r` also R δ = ℓ''(fᵢ) R fᵢ / n (n the points in
    /// the buffers); the padding of each row is zero.
    #[inline(always)]
    fn output_delta(&mut self, r: bool) {
        let rows = self.count;
        let loss = self.architecture.loss;
        let output = &self.layers[self.layers.len() - 1];
        let stride = output.out_stride;
        for i in 0..rows {
            let row = i * stride..(i + 1) * stride;
            let (_, first, second) = loss.per_point(output.pre[i * stride], self.targets[i]);
            // The padding a whole vector at a time, not by `fill`: a fixed-size store, where
            // `fill` of a run-time length is a library call per row.
            for chunk in self.deltas.delta[row.clone()].chunks_exact_mut(PAD) {
                chunk.copy_from_slice(&[0.0; PAD]);
            }
            self.deltas.delta[i * stride] = first / rows as f64;
            if r {
                for chunk in self.deltas.r_delta[row].chunks_exact_mut(PAD) {
                    chunk.copy_from_slice(&[0.0; PAD]);
                }
                self.deltas.r_delta[i * stride] = second * output.r_pre[i * stride] / rows as f64;
            }
        }
    }

    /// Backpropagation from the output δ (and R δ with `r`) down to the input layer, writing
    /// the gradient (and H v into `hv`).
    #[inline(always)]
    fn backward<const LANES: usize>(
        &mut self,
        r: bool,
        grad: &mut [f64],
        mut hv: Option<&mut [f64]>,
    ) {
        let rows = self.count;
        let input_stride = self.input_stride;
        for l in (0..self.layers.len()).rev() {
            let (below, here) = self.layers.split_at_mut(l);
            let layer = &mut here[0];
            let input = match below.last() {
                None => (&self.input[..], None, input_stride),
                Some(previous) => (
                    &previous.post[..],
                    Some(&previous.r_post[..]),
                    previous.out_stride,
                ),
            };
            self.deltas
                .weight_gradient::<LANES>(layer, input, rows, grad, hv.as_deref_mut());
            let Some(previous) = below.last() else {
                break;
            };
            self.deltas.propagate::<LANES>(layer, previous, rows, r);
        }
    }
}

/// What a pass over the layers computes besides the loss.
enum Pass<'a> {
    /// The loss alone (and the outputs, in the buffers).
    Loss,
    /// The gradient, into the slice.
    Gradient(&'a mut [f64]),
    /// The Hessian-vector product ∇²L·v into `hv`, and the gradient into `grad`.
    HessianVector {
        /// The direction v.
        v: &'a [f64],
        /// ∇L.
        grad: &'a mut [f64],
        /// ∇²L·v.
        hv: &'a mut [f64],
    },
}

/// One [`Pass`] of a network at `params`, for [`widest_lanes`].
struct Passing<'n, 'a> {
    network: &'n mut Network,
    params: &'a [f64],
    pass: Pass<'a>,
}

impl WithLanes for Passing<'_, '_> {
    type Output = f64;

    #[inline(always)]
    fn run<const LANES: usize>(self) -> f64 {
        let Self {
            network,
            params,
            pass,
        } = self;
        match pass {
            Pass::Loss => network.forward::<LANES>(params, false),
            Pass::Gradient(grad) => {
                let value = network.forward::<LANES>(params, false);
                network.output_delta(false);
                network.backward::<LANES>(false, grad, None);
                value
            }
            Pass::HessianVector { v, grad, hv } => {
                let value = network.forward::<LANES>(params, true);
                network.r_forward::<LANES>(v);
                network.output_delta(true);
                network.backward::<LANES>(true, grad, Some(hv));
                value
            }
        }
    }
}

/// The per-point buffers of the backward pass (each rows × a padded width).
#[derive(Debug, Clone)]
struct Deltas {
    /// δ of the layer being processed and of the one below.
    delta: Lines,
    below: Lines,
    /// Wᵀδ before σ'.
    back: Lines,
    /// R δ, R δ below, R(Wᵀδ).
    r_delta: Lines,
    r_below: Lines,
    r_back: Lines,
}

impl Deltas {
    fn new(size: usize) -> Self {
        let zeros = Lines::zeros(size);
        Self {
            delta: zeros.clone(),
            below: zeros.clone(),
            back: zeros.clone(),
            r_delta: zeros.clone(),
            r_below: zeros.clone(),
            r_back: zeros,
        }
    }

    /// ∂W_l = Σᵢ δᵢ a_{l−1,i}ᵀ and ∂b_l = Σᵢ δᵢ into `grad`; with `hv` also
    /// R ∂W_l = Σᵢ R δᵢ a_{l−1,i}ᵀ + δᵢ R a_{l−1,i}ᵀ and R ∂b_l = Σᵢ R δᵢ. `input` is the
    /// layer's input a_{l−1}, R a_{l−1} (none for the data) and their row stride. The biases'
    /// sums come with the weights' from the inputs' [`ones_column`] (where R a_{l−1} is 0).
    #[inline(always)]
    fn weight_gradient<const LANES: usize>(
        &self,
        layer: &mut Layer,
        (input, r_input, stride): (&[f64], Option<&[f64]>, usize),
        rows: usize,
        grad: &mut [f64],
        hv: Option<&mut [f64]>,
    ) {
        debug_assert_eq!(stride, layer.in_stride);
        layer.gradient_term::<LANES>(Start::Zero, (&self.delta, input), rows);
        layer.unpad::<LANES>(grad);
        if let Some(hv) = hv {
            layer.gradient_term::<LANES>(Start::Zero, (&self.r_delta, input), rows);
            if let Some(r_input) = r_input {
                layer.gradient_term::<LANES>(Start::Current, (&self.delta, r_input), rows);
            }
            layer.unpad::<LANES>(hv);
        }
    }

    /// δ one layer down: g = W_lᵀ δ, δ_{l−1} = σ'(z_{l−1}) g; with `r` also
    /// R g = V_lᵀ δ + W_lᵀ R δ and R δ_{l−1} = σ''(z_{l−1}) R z_{l−1} g + σ'(z_{l−1}) R g.
    #[inline(always)]
    fn propagate<const LANES: usize>(
        &mut self,
        layer: &Layer,
        previous: &Layer,
        rows: usize,
        r: bool,
    ) {
        let stride = layer.in_stride;
        let size = rows * stride;
        let down = Shape {
            rows,
            inner: layer.shape.fan_out,
            width: stride,
        };
        let plain = |data| Left::Rows {
            data,
            stride: layer.out_stride,
        };
        let delta = plain(&self.delta);
        if !r {
            // δ_{l−1} as the product finishes: g is needed nowhere else.
            Product {
                start: Start::Zero,
                c: &mut self.below,
                c_stride: stride,
                a: delta,
                b: &layer.weights,
                b_stride: stride,
                shape: down,
                finish: Finish::Scale(&previous.slope),
            }
            .run::<LANES>();
            std::mem::swap(&mut self.delta, &mut self.below);
            return;
        }
        Product {
            start: Start::Zero,
            c: &mut self.back,
            c_stride: stride,
            a: delta,
            b: &layer.weights,
            b_stride: stride,
            shape: down,
            finish: Finish::Store,
        }
        .run::<LANES>();
        let r_delta = plain(&self.r_delta);
        Product {
            start: Start::Zero,
            c: &mut self.r_back,
            c_stride: stride,
            a: delta,
            b: &layer.direction,
            b_stride: stride,
            shape: down,
            finish: Finish::Store,
        }
        .run::<LANES>();
        Product {
            start: Start::Current,
            c: &mut self.r_back,
            c_stride: stride,
            a: r_delta,
            b: &layer.weights,
            b_stride: stride,
            shape: down,
            finish: Finish::Store,
        }
        .run::<LANES>();
        let terms = previous.curve[..size]
            .iter()
            .zip(&previous.r_pre[..size])
            .zip(&self.back[..size])
            .zip(&previous.slope[..size])
            .zip(&self.r_back[..size]);
        for (out, ((((c, rz), g), s), rg)) in self.r_below[..size].iter_mut().zip(terms) {
            *out = c * rz * g + s * rg;
        }
        std::mem::swap(&mut self.r_delta, &mut self.r_below);
        let terms = self.back[..size].iter().zip(&previous.slope[..size]);
        for (out, (g, s)) in self.below[..size].iter_mut().zip(terms) {
            *out = g * s;
        }
        std::mem::swap(&mut self.delta, &mut self.below);
    }
}

/// W (`fan_out` rows of stride `in_stride`) and Wᵀ (`fan_in` rows of stride `out_stride`) from
/// the layer's weights in the flat parameters, for [`Layer::load`].
#[inline(always)]
fn copy_weights<const LANES: usize>(
    shape: LayerShape,
    weights: &[f64],
    (rows, in_stride): (&mut [f64], usize),
    (columns, out_stride): (&mut [f64], usize),
) {
    let (fan_in, fan_out) = (shape.fan_in, shape.fan_out);
    let padded_rows = rows.chunks_exact_mut(in_stride);
    for (padded_row, row) in padded_rows.zip(weights.chunks_exact(fan_in)) {
        // Fixed-size moves: at 1–30 values a row, a `copy_from_slice` (or a loop with the
        // transpose's store, which LLVM split off into one) is a library call that costs
        // more than the copy.
        copy_short::<LANES>(&mut padded_row[..fan_in], row);
    }
    if fan_in == 1 {
        // Wᵀ is one row, W's one column.
        copy_short::<LANES>(&mut columns[..fan_out], weights);
        return;
    }
    // Four rows of W at a time: each column of theirs is four consecutive entries of Wᵀ,
    // one store and one bounds check for four values.
    let mut quads = weights.chunks_exact(4 * fan_in);
    for (q, quad) in (&mut quads).enumerate() {
        let (first, rest) = quad.split_at(fan_in);
        let (second, rest) = rest.split_at(fan_in);
        let (third, fourth) = rest.split_at(fan_in);
        let values = first.iter().zip(second).zip(third).zip(fourth);
        for (s, (((a, b), c), d)) in values.enumerate() {
            let at = s * out_stride + 4 * q;
            let entries: &mut [f64; 4] = (&mut columns[at..at + 4]).try_into().expect("4");
            *entries = [*a, *b, *c, *d];
        }
    }
    let done = (fan_out / 4) * 4;
    for (o, row) in quads.remainder().chunks_exact(fan_in).enumerate() {
        for (s, &w) in row.iter().enumerate() {
            columns[s * out_stride + done + o] = w;
        }
    }
}
