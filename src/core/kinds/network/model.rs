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

use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use crate::core::data::RegressionData;

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
                let t = z.tanh();
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
        match self {
            Self::Tanh => {
                let t = z.tanh();
                -2.0 * t * (1.0 - t * t)
            }
            Self::Relu | Self::Linear => 0.0,
            Self::Gelu => normal_cdf_pdf(z).1 * (2.0 - z * z),
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

/// A network bound to its data, with the buffers one evaluation needs (allocated once).
#[derive(Debug, Clone)]
pub struct Network {
    architecture: Architecture,
    layers: Vec<LayerShape>,
    data: RegressionData,
    /// Per layer: pre-activations z (n × fan_out); for hidden layers also σ(z), σ'(z).
    pre: Vec<Vec<f64>>,
    post: Vec<Vec<f64>>,
    slope: Vec<Vec<f64>>,
    /// Backward: δ of the layer being processed and of the one below.
    delta: Vec<f64>,
    delta_below: Vec<f64>,
    /// R-operator buffers: R z and R a per layer, R δ and Rδ below.
    r_pre: Vec<Vec<f64>>,
    r_post: Vec<Vec<f64>>,
    r_delta: Vec<f64>,
    r_delta_below: Vec<f64>,
}

impl Network {
    /// Binds `architecture` to `data` (whose `dim` must be its input size).
    ///
    /// # Panics
    /// When `data.dim` differs from the architecture's input size (a caller's bug: the preset
    /// check matches them).
    #[must_use]
    pub fn new(architecture: Architecture, data: RegressionData) -> Self {
        assert_eq!(
            data.dim, architecture.sizes[0],
            "data and network inputs differ"
        );
        let layers = architecture.layers();
        let n = data.len();
        let widest = architecture.sizes.iter().copied().max().unwrap_or(1);
        let per_layer = |layers: &[LayerShape]| -> Vec<Vec<f64>> {
            layers.iter().map(|l| vec![0.0; n * l.fan_out]).collect()
        };
        Self {
            pre: per_layer(&layers),
            post: per_layer(&layers),
            slope: per_layer(&layers),
            r_pre: per_layer(&layers),
            r_post: per_layer(&layers),
            delta: vec![0.0; n * widest],
            delta_below: vec![0.0; n * widest],
            r_delta: vec![0.0; n * widest],
            r_delta_below: vec![0.0; n * widest],
            architecture,
            layers,
            data,
        }
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

    /// Forward pass at `params`: fills z, σ(z), σ'(z) for every layer and returns the loss.
    fn forward(&mut self, params: &[f64]) -> f64 {
        let n = self.data.len();
        let bias = self.architecture.bias;
        let activation = self.architecture.activation;
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let weights = &params[layer.offset..layer.offset + layer.fan_in * layer.fan_out];
            let biases = &params[layer.offset + layer.fan_in * layer.fan_out..];
            let (below, here) = self.post.split_at_mut(l);
            let input: &[f64] = if l == 0 {
                &self.data.points
            } else {
                &below[l - 1]
            };
            let pre = &mut self.pre[l];
            for i in 0..n {
                let x = &input[i * layer.fan_in..(i + 1) * layer.fan_in];
                for o in 0..layer.fan_out {
                    let row = &weights[o * layer.fan_in..(o + 1) * layer.fan_in];
                    let b = if bias { biases[o] } else { 0.0 };
                    pre[i * layer.fan_out + o] = b + dot(row, x);
                }
            }
            if l < last {
                let post = &mut here[0];
                let slope = &mut self.slope[l];
                for ((z, a), s) in pre.iter().zip(post.iter_mut()).zip(slope.iter_mut()) {
                    (*a, *s) = activation.value_and_slope(*z);
                }
            }
        }
        let loss = self.architecture.loss;
        let outputs = &self.pre[last];
        let total: f64 = outputs
            .iter()
            .zip(&self.data.targets)
            .map(|(&f, &y)| loss.per_point(f, y).0)
            .sum();
        total / n as f64
    }

    /// The loss at `params`.
    #[must_use]
    pub fn loss(&mut self, params: &[f64]) -> f64 {
        self.forward(params)
    }

    /// Writes ∇L(params) into `grad` and returns L, both from one forward pass.
    pub fn gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64 {
        let value = self.forward(params);
        self.output_delta(None);
        self.backward(params, None, grad, None);
        value
    }

    /// Writes the Hessian-vector product ∇²L(params)·v into `hv` (and the gradient into `grad`,
    /// which the R-operator computes on the way) and returns L.
    pub fn hessian_vector(
        &mut self,
        params: &[f64],
        v: &[f64],
        grad: &mut [f64],
        hv: &mut [f64],
    ) -> f64 {
        let value = self.forward(params);
        self.r_forward(params, v);
        self.output_delta(Some(()));
        self.backward(params, Some(v), grad, Some(hv));
        value
    }

    /// R z and R a, forward: R z_l = V_l a_{l−1} + R b_l + W_l R a_{l−1}, R a_l = σ'(z_l) R z_l.
    fn r_forward(&mut self, params: &[f64], v: &[f64]) {
        let n = self.data.len();
        let bias = self.architecture.bias;
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let size = layer.fan_in * layer.fan_out;
            let weights = &params[layer.offset..layer.offset + size];
            let v_weights = &v[layer.offset..layer.offset + size];
            let v_biases = &v[layer.offset + size..];
            let input: &[f64] = if l == 0 {
                &self.data.points
            } else {
                &self.post[l - 1]
            };
            let (below, here) = self.r_post.split_at_mut(l);
            let r_pre = &mut self.r_pre[l];
            for i in 0..n {
                let x = &input[i * layer.fan_in..(i + 1) * layer.fan_in];
                for o in 0..layer.fan_out {
                    let rows = o * layer.fan_in..(o + 1) * layer.fan_in;
                    let mut r = dot(&v_weights[rows.clone()], x);
                    if l > 0 {
                        let r_x = &below[l - 1][i * layer.fan_in..(i + 1) * layer.fan_in];
                        r += dot(&weights[rows], r_x);
                    }
                    if bias {
                        r += v_biases[o];
                    }
                    r_pre[i * layer.fan_out + o] = r;
                }
            }
            if l < last {
                for ((ra, rz), s) in here[0].iter_mut().zip(r_pre.iter()).zip(&self.slope[l]) {
                    *ra = s * rz;
                }
            }
        }
    }

    /// δ at the output, ℓ'(fᵢ)/n, and with `r` also R δ = ℓ''(fᵢ) R fᵢ / n.
    fn output_delta(&mut self, r: Option<()>) {
        let n = self.data.len();
        let loss = self.architecture.loss;
        let last = self.layers.len() - 1;
        for i in 0..n {
            let (_, first, second) = loss.per_point(self.pre[last][i], self.data.targets[i]);
            self.delta[i] = first / n as f64;
            if r.is_some() {
                self.r_delta[i] = second * self.r_pre[last][i] / n as f64;
            }
        }
    }

    /// Backpropagation from the output δ (and R δ when `v` is given) down to the input layer,
    /// writing the gradient (and H v).
    fn backward(
        &mut self,
        params: &[f64],
        v: Option<&[f64]>,
        grad: &mut [f64],
        mut hv: Option<&mut [f64]>,
    ) {
        let n = self.data.len();
        let bias = self.architecture.bias;
        let activation = self.architecture.activation;
        for (l, layer) in self.layers.iter().enumerate().rev() {
            let (fan_in, fan_out) = (layer.fan_in, layer.fan_out);
            let size = fan_in * fan_out;
            let input: &[f64] = if l == 0 {
                &self.data.points
            } else {
                &self.post[l - 1]
            };
            // ∂W_l = Σᵢ δᵢ a_{l−1,i}ᵀ, ∂b_l = Σᵢ δᵢ.
            let (g_weights, g_rest) = grad[layer.offset..].split_at_mut(size);
            g_weights.fill(0.0);
            let g_biases = &mut g_rest[..if bias { fan_out } else { 0 }];
            g_biases.fill(0.0);
            for i in 0..n {
                let x = &input[i * fan_in..(i + 1) * fan_in];
                for o in 0..fan_out {
                    let d = self.delta[i * fan_out + o];
                    axpy(d, x, &mut g_weights[o * fan_in..(o + 1) * fan_in]);
                    if bias {
                        g_biases[o] += d;
                    }
                }
            }
            if let Some(hv) = hv.as_deref_mut() {
                // R ∂W_l = Σᵢ R δᵢ a_{l−1,i}ᵀ + δᵢ R a_{l−1,i}ᵀ, R ∂b_l = Σᵢ R δᵢ.
                let (h_weights, h_rest) = hv[layer.offset..].split_at_mut(size);
                h_weights.fill(0.0);
                let h_biases = &mut h_rest[..if bias { fan_out } else { 0 }];
                h_biases.fill(0.0);
                for i in 0..n {
                    let x = &input[i * fan_in..(i + 1) * fan_in];
                    for o in 0..fan_out {
                        let rd = self.r_delta[i * fan_out + o];
                        let row = &mut h_weights[o * fan_in..(o + 1) * fan_in];
                        axpy(rd, x, row);
                        if l > 0 {
                            let r_x = &self.r_post[l - 1][i * fan_in..(i + 1) * fan_in];
                            axpy(self.delta[i * fan_out + o], r_x, row);
                        }
                        if bias {
                            h_biases[o] += rd;
                        }
                    }
                }
            }
            if l == 0 {
                break;
            }
            // g = W_lᵀ δ, δ_{l−1} = σ'(z_{l−1}) g; with v: R g = V_lᵀ δ + W_lᵀ R δ and
            // R δ_{l−1} = σ''(z_{l−1}) R z_{l−1} g + σ'(z_{l−1}) R g.
            let weights = &params[layer.offset..layer.offset + size];
            let below = &mut self.delta_below[..n * fan_in];
            below.fill(0.0);
            for i in 0..n {
                let out = &mut below[i * fan_in..(i + 1) * fan_in];
                for o in 0..fan_out {
                    axpy(
                        self.delta[i * fan_out + o],
                        &weights[o * fan_in..(o + 1) * fan_in],
                        out,
                    );
                }
            }
            if let Some(v) = v {
                let v_weights = &v[layer.offset..layer.offset + size];
                let r_below = &mut self.r_delta_below[..n * fan_in];
                r_below.fill(0.0);
                for i in 0..n {
                    let out = &mut r_below[i * fan_in..(i + 1) * fan_in];
                    for o in 0..fan_out {
                        let rows = o * fan_in..(o + 1) * fan_in;
                        axpy(self.delta[i * fan_out + o], &v_weights[rows.clone()], out);
                        axpy(self.r_delta[i * fan_out + o], &weights[rows], out);
                    }
                }
                let pre = &self.pre[l - 1];
                let r_pre = &self.r_pre[l - 1];
                let slope = &self.slope[l - 1];
                for k in 0..n * fan_in {
                    r_below[k] =
                        activation.curvature(pre[k]) * r_pre[k] * below[k] + slope[k] * r_below[k];
                }
                std::mem::swap(&mut self.r_delta, &mut self.r_delta_below);
            }
            for (d, s) in below.iter_mut().zip(&self.slope[l - 1]) {
                *d *= s;
            }
            std::mem::swap(&mut self.delta, &mut self.delta_below);
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// y += a·x.
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}
