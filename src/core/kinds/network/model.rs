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
//! The layers run point-major (one row of activations per point, padded to whole vectors) through
//! the products of [`super::kernel`]; a mini-batch step runs the same code on the rows of its
//! points ([`Network::batch_gradient`]), its loss the mean over the batch.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::kernel::{LANE, Left, Shape, Start, multiply, padded, tanh};
use crate::core::data::RegressionData;
use crate::core::simd::widest;

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

    /// σ, σ' (and σ'' into `curve` when given) of every value of `pre`, into `post` and `slope`:
    /// tanh in a loop the compiler vectorises (see [`tanh`]), the others one by one.
    fn apply(self, pre: &[f64], post: &mut [f64], slope: &mut [f64], curve: Option<&mut [f64]>) {
        match self {
            Self::Tanh => widest(
                #[inline(always)]
                || {
                    for ((z, a), s) in pre.iter().zip(post.iter_mut()).zip(slope.iter_mut()) {
                        let t = tanh(*z);
                        *a = t;
                        *s = 1.0 - t * t;
                    }
                },
            ),
            _ => {
                for ((z, a), s) in pre.iter().zip(post.iter_mut()).zip(slope.iter_mut()) {
                    (*a, *s) = self.value_and_slope(*z);
                }
            }
        }
        if let Some(curve) = curve {
            for (((c, z), a), s) in curve.iter_mut().zip(pre).zip(&*post).zip(&*slope) {
                *c = self.curvature_from(*z, *a, *s);
            }
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

    /// One point's ℓ(f, y) and its first two derivatives in f (before the 1/n).
    #[inline]
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

/// One layer's buffers, rows padded to whole vectors ([`padded`]).
#[derive(Debug, Clone)]
struct Layer {
    shape: LayerShape,
    /// Row stride of the layer's inputs (the layer below's outputs) and of its outputs.
    in_stride: usize,
    out_stride: usize,
    /// W (fan_out × in_stride), for δ going down, and Wᵀ (fan_in × out_stride), for going up.
    weights: Vec<f64>,
    weights_t: Vec<f64>,
    /// The direction V of a Hessian-vector product, laid out as W and Wᵀ.
    direction: Vec<f64>,
    direction_t: Vec<f64>,
    /// Per point (rows × out_stride): z, σ(z), σ'(z), σ''(z), R z, R σ(z).
    pre: Vec<f64>,
    post: Vec<f64>,
    slope: Vec<f64>,
    curve: Vec<f64>,
    r_pre: Vec<f64>,
    r_post: Vec<f64>,
    /// ∂W (or R ∂W) before it is copied, unpadded, into the caller's vector.
    scratch: Vec<f64>,
    /// The biases (or their direction) then zeros to `out_stride`: where every row of z (or
    /// R z) starts its sum ([`multiply`] from `Start::Row`), so no row is filled before its product.
    bias_row: Vec<f64>,
}

impl Layer {
    fn new(shape: LayerShape, points: usize) -> Self {
        let (in_stride, out_stride) = (padded(shape.fan_in), padded(shape.fan_out));
        let rows = vec![0.0; points * out_stride];
        Self {
            shape,
            in_stride,
            out_stride,
            weights: vec![0.0; shape.fan_out * in_stride],
            weights_t: vec![0.0; shape.fan_in * out_stride],
            direction: vec![0.0; shape.fan_out * in_stride],
            direction_t: vec![0.0; shape.fan_in * out_stride],
            pre: rows.clone(),
            post: rows.clone(),
            slope: rows.clone(),
            curve: rows.clone(),
            r_pre: rows.clone(),
            r_post: rows,
            scratch: vec![0.0; shape.fan_out * in_stride],
            bias_row: vec![0.0; out_stride],
        }
    }

    /// Copies the layer's weights out of the flat `params` into W and Wᵀ (or V and Vᵀ).
    fn load(shape: LayerShape, params: &[f64], rows: &mut [f64], columns: &mut [f64]) {
        let (in_stride, out_stride) = (padded(shape.fan_in), padded(shape.fan_out));
        let weights = &params[shape.offset..shape.offset + shape.fan_in * shape.fan_out];
        // Element by element rather than a `copy_from_slice` per row: at 1–30 values a row,
        // the library call that copy becomes costs more than the copy.
        // Iterators rather than indices: no bounds check on the row side, one on the column.
        let padded_rows = rows.chunks_exact_mut(in_stride);
        for (o, (padded_row, row)) in padded_rows
            .zip(weights.chunks_exact(shape.fan_in))
            .enumerate()
        {
            let entries = padded_row
                .iter_mut()
                .zip(columns.chunks_exact_mut(out_stride));
            for ((entry, column), &w) in entries.zip(row) {
                *entry = w;
                column[o] = w;
            }
        }
    }

    /// Writes the layer's biases in `params` (zeros without biases) into `bias_row`.
    fn load_biases(&mut self, params: &[f64], bias: bool) {
        let start = self.shape.offset + self.shape.fan_in * self.shape.fan_out;
        let count = if bias { self.shape.fan_out } else { 0 };
        for (j, entry) in self.bias_row.iter_mut().enumerate() {
            *entry = if j < count { params[start + j] } else { 0.0 };
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
    input: Vec<f64>,
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
        let layers: Vec<Layer> = architecture
            .layers()
            .into_iter()
            .map(|shape| Layer::new(shape, n))
            .collect();
        let widest = architecture.sizes.iter().map(|&s| padded(s)).max();
        let mut network = Self {
            input: vec![0.0; n * padded(data.dim)],
            targets: vec![0.0; n],
            rows: Rows::Batch,
            count: 0,
            deltas: Deltas::new(n * widest.unwrap_or(LANE)),
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
        let (dim, stride) = (self.data.dim, padded(self.data.dim));
        let mut count = 0;
        for (row, i) in points.enumerate() {
            self.input[row * stride..row * stride + dim].copy_from_slice(self.data.point(i));
            self.targets[row] = self.data.targets[i];
            count += 1;
        }
        self.count = count;
    }

    /// Forward pass at `params` over the points in the buffers: z, σ(z), σ'(z) (and σ''(z)
    /// with `curvature`) for every layer; returns the mean loss.
    fn forward(&mut self, params: &[f64], curvature: bool) -> f64 {
        let rows = self.count;
        let bias = self.architecture.bias;
        let activation = self.architecture.activation;
        let last = self.layers.len() - 1;
        let input_stride = padded(self.data.dim);
        for l in 0..self.layers.len() {
            let (below, here) = self.layers.split_at_mut(l);
            let layer = &mut here[0];
            Layer::load(
                layer.shape,
                params,
                &mut layer.weights,
                &mut layer.weights_t,
            );
            let (input, stride) = match below.last() {
                None => (&self.input[..], input_stride),
                Some(previous) => (&previous.post[..], previous.out_stride),
            };
            layer.load_biases(params, bias);
            multiply(
                Start::Row(&layer.bias_row),
                &mut layer.pre,
                layer.out_stride,
                Left {
                    data: input,
                    row: stride,
                    column: 1,
                },
                &layer.weights_t,
                layer.out_stride,
                Shape {
                    rows,
                    inner: layer.shape.fan_in,
                    width: layer.out_stride,
                },
            );
            if l < last {
                let size = rows * layer.out_stride;
                activation.apply(
                    &layer.pre[..size],
                    &mut layer.post[..size],
                    &mut layer.slope[..size],
                    curvature.then_some(&mut layer.curve[..size]),
                );
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
        self.forward(params, false)
    }

    /// f(xᵢ) at `params` for every data point, in order.
    #[must_use]
    pub fn outputs(&mut self, params: &[f64]) -> Vec<f64> {
        self.use_all();
        self.forward(params, false);
        let output = &self.layers[self.layers.len() - 1];
        (0..self.count)
            .map(|i| output.pre[i * output.out_stride])
            .collect()
    }

    /// Writes ∇L(params) into `grad` and returns L, both from one forward pass over every point.
    pub fn gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        self.use_all();
        self.gradient_here(params, grad)
    }

    /// The loss over the points of `batch` only, L_B = 1/|B| Σ_{i∈B} ℓ(f(xᵢ), yᵢ) (the mean,
    /// as torch's losses take it): writes ∇L_B into `grad` and returns L_B.
    pub fn batch_gradient(&mut self, params: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        self.use_batch(batch);
        self.gradient_here(params, grad)
    }

    fn gradient_here(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        let value = self.forward(params, false);
        self.output_delta(false);
        self.backward(false, grad, None);
        value
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
        let value = self.forward(params, true);
        self.r_forward(v);
        self.output_delta(true);
        self.backward(true, grad, Some(hv));
        value
    }

    /// R z and R a, forward: R z_l = V_l a_{l−1} + R b_l + W_l R a_{l−1}, R a_l = σ'(z_l) R z_l.
    fn r_forward(&mut self, v: &[f64]) {
        let rows = self.count;
        let bias = self.architecture.bias;
        let last = self.layers.len() - 1;
        let input_stride = padded(self.data.dim);
        for l in 0..self.layers.len() {
            let (below, here) = self.layers.split_at_mut(l);
            let layer = &mut here[0];
            Layer::load(layer.shape, v, &mut layer.direction, &mut layer.direction_t);
            layer.load_biases(v, bias);
            let shape = Shape {
                rows,
                inner: layer.shape.fan_in,
                width: layer.out_stride,
            };
            let (input, stride) = match below.last() {
                None => (&self.input[..], input_stride),
                Some(previous) => (&previous.post[..], previous.out_stride),
            };
            let left = |data| Left {
                data,
                row: stride,
                column: 1,
            };
            multiply(
                Start::Row(&layer.bias_row),
                &mut layer.r_pre,
                layer.out_stride,
                left(input),
                &layer.direction_t,
                layer.out_stride,
                shape,
            );
            if let Some(previous) = below.last() {
                multiply(
                    Start::Current,
                    &mut layer.r_pre,
                    layer.out_stride,
                    left(&previous.r_post),
                    &layer.weights_t,
                    layer.out_stride,
                    shape,
                );
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
            for chunk in self.deltas.delta[row.clone()].chunks_exact_mut(LANE) {
                chunk.copy_from_slice(&[0.0; LANE]);
            }
            self.deltas.delta[i * stride] = first / rows as f64;
            if r {
                for chunk in self.deltas.r_delta[row].chunks_exact_mut(LANE) {
                    chunk.copy_from_slice(&[0.0; LANE]);
                }
                self.deltas.r_delta[i * stride] = second * output.r_pre[i * stride] / rows as f64;
            }
        }
    }

    /// Backpropagation from the output δ (and R δ with `r`) down to the input layer, writing
    /// the gradient (and H v into `hv`).
    fn backward(&mut self, r: bool, grad: &mut [f64], mut hv: Option<&mut [f64]>) {
        let rows = self.count;
        let bias = self.architecture.bias;
        let input_stride = padded(self.data.dim);
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
                .weight_gradient(layer, input, (rows, bias), grad, hv.as_deref_mut());
            let Some(previous) = below.last() else {
                break;
            };
            self.deltas.propagate(layer, previous, rows, r);
        }
    }
}

/// The per-point buffers of the backward pass (each rows × a padded width).
#[derive(Debug, Clone)]
struct Deltas {
    /// δ of the layer being processed and of the one below.
    delta: Vec<f64>,
    below: Vec<f64>,
    /// Wᵀδ before σ'.
    back: Vec<f64>,
    /// R δ, R δ below, R(Wᵀδ).
    r_delta: Vec<f64>,
    r_below: Vec<f64>,
    r_back: Vec<f64>,
}

impl Deltas {
    fn new(size: usize) -> Self {
        let zeros = vec![0.0; size];
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
    /// layer's input a_{l−1}, R a_{l−1} (none for the data) and their row stride.
    fn weight_gradient(
        &self,
        layer: &mut Layer,
        (input, r_input, stride): (&[f64], Option<&[f64]>, usize),
        (rows, bias): (usize, bool),
        grad: &mut [f64],
        hv: Option<&mut [f64]>,
    ) {
        debug_assert_eq!(stride, layer.in_stride);
        let transposed = |data| Left {
            data,
            row: 1,
            column: layer.out_stride,
        };
        let outer = Shape {
            rows: layer.shape.fan_out,
            inner: rows,
            width: layer.in_stride,
        };
        let delta = transposed(&self.delta);
        multiply(
            Start::Zero,
            &mut layer.scratch,
            stride,
            delta,
            input,
            stride,
            outer,
        );
        unpad(layer, &self.delta, rows, bias, grad);
        if let Some(hv) = hv {
            let r_delta = transposed(&self.r_delta);
            multiply(
                Start::Zero,
                &mut layer.scratch,
                stride,
                r_delta,
                input,
                stride,
                outer,
            );
            if let Some(r_input) = r_input {
                multiply(
                    Start::Current,
                    &mut layer.scratch,
                    stride,
                    delta,
                    r_input,
                    stride,
                    outer,
                );
            }
            unpad(layer, &self.r_delta, rows, bias, hv);
        }
    }

    /// δ one layer down: g = W_lᵀ δ, δ_{l−1} = σ'(z_{l−1}) g; with `r` also
    /// R g = V_lᵀ δ + W_lᵀ R δ and R δ_{l−1} = σ''(z_{l−1}) R z_{l−1} g + σ'(z_{l−1}) R g.
    fn propagate(&mut self, layer: &Layer, previous: &Layer, rows: usize, r: bool) {
        let stride = layer.in_stride;
        let size = rows * stride;
        let down = Shape {
            rows,
            inner: layer.shape.fan_out,
            width: stride,
        };
        let plain = |data| Left {
            data,
            row: layer.out_stride,
            column: 1,
        };
        let delta = plain(&self.delta);
        multiply(
            Start::Zero,
            &mut self.back,
            stride,
            delta,
            &layer.weights,
            stride,
            down,
        );
        if r {
            let r_delta = plain(&self.r_delta);
            multiply(
                Start::Zero,
                &mut self.r_back,
                stride,
                delta,
                &layer.direction,
                stride,
                down,
            );
            multiply(
                Start::Current,
                &mut self.r_back,
                stride,
                r_delta,
                &layer.weights,
                stride,
                down,
            );
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
        }
        let terms = self.back[..size].iter().zip(&previous.slope[..size]);
        for (out, (g, s)) in self.below[..size].iter_mut().zip(terms) {
            *out = g * s;
        }
        std::mem::swap(&mut self.delta, &mut self.below);
    }
}

/// Copies a layer's padded ∂W (in its `scratch`) into its place in `out`, and its ∂b = Σᵢ δᵢ
/// (δ's rows of stride `out_stride`) after it.
fn unpad(layer: &Layer, delta: &[f64], rows: usize, bias: bool, out: &mut [f64]) {
    let scratch = &layer.scratch;
    let shape = layer.shape;
    let weights = &mut out[shape.offset..shape.offset + shape.fan_in * shape.fan_out];
    for (o, row) in weights.chunks_exact_mut(shape.fan_in).enumerate() {
        row.copy_from_slice(&scratch[o * layer.in_stride..o * layer.in_stride + shape.fan_in]);
    }
    if bias {
        // Σᵢ δᵢ row by row (each sum still in the order i = 0, 1, …), which vectorises.
        let start = shape.offset + shape.fan_in * shape.fan_out;
        let sums = &mut out[start..start + shape.fan_out];
        sums.fill(0.0);
        for row in delta.chunks_exact(layer.out_stride).take(rows) {
            for (sum, d) in sums.iter_mut().zip(row) {
                *sum += d;
            }
        }
    }
}
