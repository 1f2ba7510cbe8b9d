//! The scalar network f(x) = a·b·x: the smallest network with an edge of stability, and one
//! whose minima and their sharpness are known exactly, so the dashboard can draw them.
//!
//! One input, one hidden unit (`widths = [1]`), a linear activation, no biases and one output
//! make two parameters: b, the first layer's weight, and a, the output weight (the flat vector
//! is `[b, a]`, layer after layer). With the squared loss on data (xᵢ, yᵢ),
//!
//! ```text
//! L(a, b) = 1/(2n) Σ (ab·xᵢ − yᵢ)² = ½ m (ab − c)² + L*,   m = mean(xᵢ²),  c = Σxᵢyᵢ / Σxᵢ²
//! ```
//!
//! (c is the least-squares slope, L* its residual), so every point of the hyperbola ab = c is
//! a minimum, and there ∇²L = m·[[b², ab], [ab, a²]], whose eigenvalues are 0 (along the curve)
//! and m(a² + b²): the sharpness. A rule whose threshold τ bounds λmax(∇²L) (GD's 2/η,
//! momentum's) can only settle where m(a² + b²) ≤ τ, on the part of the curve inside the circle
//! a² + b² = τ/m. Gradient flow keeps a² − b² (ȧ = −m(ab − c)b and ḃ = −m(ab − c)a) and ends
//! where that hyperbola meets ab = c; small steps follow it, large ones bounce across the curve
//! until they reach its stable part. With the logistic loss there is no curve of minima, so
//! there is no [`ScalarNet`] for it.

use super::{Activation, Architecture, NetworkLoss};
use crate::core::data::RegressionData;

/// The exact minima of a scalar network's squared loss on its data: the curve ab = c, with
/// sharpness m(a² + b²) at each of its points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarNet {
    /// c = Σxᵢyᵢ / Σxᵢ², the least-squares slope: the minima are the curve ab = c.
    pub slope: f64,
    /// m = mean(xᵢ²): the Hessian at a minimum is m·[[b², ab], [ab, a²]].
    pub mean_square: f64,
}

impl ScalarNet {
    /// Whether `architecture` is f(x) = a·b·x (1 → 1 → 1, linear, no biases), whatever its loss.
    #[must_use]
    pub fn is_scalar(architecture: &Architecture) -> bool {
        architecture.sizes == [1, 1, 1]
            && !architecture.bias
            && architecture.activation == Activation::Linear
    }

    /// The minima of `architecture` on `data`, when it is a scalar network with the squared loss
    /// and some xᵢ is not 0 (else every (a, b) fits equally well and there is no curve).
    #[must_use]
    pub fn of(architecture: &Architecture, data: &RegressionData) -> Option<Self> {
        if !Self::is_scalar(architecture) || architecture.loss != NetworkLoss::Squared {
            return None;
        }
        let squares: f64 = data.points.iter().map(|x| x * x).sum();
        let products: f64 = data
            .points
            .iter()
            .zip(&data.targets)
            .map(|(x, y)| x * y)
            .sum();
        let net = Self {
            slope: products / squares,
            mean_square: squares / data.len() as f64,
        };
        (net.slope.is_finite() && net.mean_square > 0.0 && net.mean_square.is_finite())
            .then_some(net)
    }

    /// (a, b) of a scalar network's parameters `[b, a]`.
    ///
    /// # Panics
    /// When `params` has fewer than two entries (not a scalar network's).
    #[must_use]
    pub fn factors(params: &[f64]) -> (f64, f64) {
        (params[1], params[0])
    }

    /// The radius of the circle a² + b² = τ/m: the minima inside it have sharpness at most
    /// `threshold` τ, so a rule with that threshold on λmax(∇²L) can stay there.
    #[must_use]
    pub fn stable_radius(self, threshold: f64) -> f64 {
        (threshold / self.mean_square).sqrt()
    }

    /// Where gradient flow from (a, b) ends: the point of ab = c with the same a² − b² (on
    /// the side a or b keeps, whichever cannot cross zero); the saddle at the origin when the
    /// flow runs into it (a² = b² with ab·c ≤ 0).
    #[must_use]
    pub fn flow_limit(self, a: f64, b: f64) -> (f64, f64) {
        let c = self.slope;
        let gap = a * a - b * b;
        if gap == 0.0 && a * b * c <= 0.0 {
            return (0.0, 0.0);
        }
        // The end's a² and b² solve a² − b² = gap, a²b² = c².
        let root = gap.hypot(2.0 * c);
        if gap >= 0.0 {
            let a_end = f64::midpoint(gap, root).sqrt().copysign(a);
            (a_end, c / a_end)
        } else {
            let b_end = f64::midpoint(root, -gap).sqrt().copysign(b);
            (c / b_end, b_end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Network;
    use super::*;

    fn squared() -> Architecture {
        Architecture::new(1, &[1], false, Activation::Linear, NetworkLoss::Squared)
    }

    /// The scalar net's exact minima on [`data`], and the network itself bound to that data.
    fn scalar_net() -> (ScalarNet, Network) {
        let data = data();
        let net = ScalarNet::of(&squared(), &data).expect("a scalar net");
        (net, Network::new(squared(), data))
    }

    /// Data no formula here was written for: uneven points, noisy targets (so L* > 0).
    fn data() -> RegressionData {
        RegressionData {
            dim: 1,
            points: vec![0.5, -1.25, 2.0, 0.75, -0.3],
            targets: vec![0.9, -0.7, 1.6, 0.1, 0.4],
            planted: None,
        }
    }

    /// The dense Hessian of the network's loss at `params`, column by column from its exact
    /// Hessian-vector products.
    fn dense_hessian(network: &mut Network, params: &[f64]) -> [[f64; 2]; 2] {
        let mut columns = [[0.0; 2]; 2];
        let mut grad = [0.0; 2];
        for (j, column) in columns.iter_mut().enumerate() {
            let mut unit = [0.0; 2];
            unit[j] = 1.0;
            network.hessian_vector(params, &unit, &mut grad, column);
        }
        columns
    }

    /// The larger eigenvalue of a symmetric 2 × 2 matrix, from its trace and determinant.
    fn top_eigenvalue(h: [[f64; 2]; 2]) -> f64 {
        let trace = h[0][0] + h[1][1];
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        0.5 * (trace + (trace * trace - 4.0 * det).max(0.0).sqrt())
    }

    #[test]
    fn only_the_scalar_network_with_the_squared_loss_has_a_curve() {
        let data = data();
        assert!(ScalarNet::of(&squared(), &data).is_some());
        let logistic = Architecture::new(1, &[1], false, Activation::Linear, NetworkLoss::Logistic);
        assert!(ScalarNet::is_scalar(&logistic));
        assert!(ScalarNet::of(&logistic, &data).is_none());
        for other in [
            Architecture::new(1, &[1], true, Activation::Linear, NetworkLoss::Squared),
            Architecture::new(1, &[2], false, Activation::Linear, NetworkLoss::Squared),
            Architecture::new(1, &[1], false, Activation::Tanh, NetworkLoss::Squared),
            Architecture::new(1, &[1, 1], false, Activation::Linear, NetworkLoss::Squared),
        ] {
            assert!(!ScalarNet::is_scalar(&other), "{}", other.summary());
            assert!(ScalarNet::of(&other, &data).is_none());
        }
        let zeros = RegressionData {
            points: vec![0.0, 0.0],
            targets: vec![1.0, 2.0],
            ..data
        };
        assert!(
            ScalarNet::of(&squared(), &zeros).is_none(),
            "no x, no curve"
        );
    }

    /// On ab = c the network's own gradient vanishes (to rounding) and the top eigenvalue of its
    /// dense Hessian is m(a² + b²), so the stable radius for τ is where that reaches τ; off the
    /// curve the gradient does not vanish. Tolerance: 1e-12 relative, a few roundings of sums of
    /// five terms.
    #[test]
    fn the_curve_holds_the_networks_minima_and_their_sharpness() {
        let (net, mut network) = scalar_net();
        let mut grad = [0.0; 2];
        for a in [-3.0, -0.4, 0.7, 1.0, 2.5, 6.0] {
            let b = net.slope / a;
            let params = [b, a];
            network.gradient(&params, &mut grad);
            let scale = a.abs().max(b.abs()) * net.mean_square * net.slope.abs();
            assert!(
                grad.iter().all(|g| g.abs() <= 1e-12 * scale),
                "a = {a}: ∇L = {grad:?} on the curve"
            );
            let sharpness = top_eigenvalue(dense_hessian(&mut network, &params));
            let radius_squared = a * a + b * b;
            assert!(
                (sharpness - net.mean_square * radius_squared).abs() <= 1e-12 * sharpness,
                "a = {a}: λmax {sharpness} vs m(a² + b²)"
            );
            assert!(
                (net.stable_radius(sharpness).powi(2) - radius_squared).abs()
                    <= 1e-12 * radius_squared,
                "a = {a}: the stable radius for its own sharpness"
            );
            network.gradient(&[1.1 * b, a], &mut grad);
            assert!(
                grad.iter().any(|g| g.abs() > 1e-3),
                "off the curve: {grad:?}"
            );
        }
    }

    /// The flow's end against the flow itself: the network's gradient integrated by RK4 in
    /// steps of 0.0025 up to t = 50, where the slowest start is 1e-30 from its end. Tolerance
    /// 1e-6: the integration's error. (A start with a² = b² that the theory sends to the saddle
    /// is not integrated: the gradient's rounding breaks its symmetry and the flow escapes.)
    #[test]
    fn the_flow_ends_where_the_theory_says() {
        let (net, mut network) = scalar_net();
        let mut velocity = |p: [f64; 2]| {
            let mut grad = [0.0; 2];
            network.gradient(&p, &mut grad);
            [-grad[0], -grad[1]]
        };
        for (a, b) in [
            (3.0, 0.3),
            (0.2, 2.0),
            (-1.5, 0.1),
            (3.0, -0.3),
            (1.0, -4.0),
        ] {
            let mut p = [b, a];
            let dt = 2.5e-3;
            for _ in 0..20_000 {
                let k1 = velocity(p);
                let k2 = velocity([p[0] + 0.5 * dt * k1[0], p[1] + 0.5 * dt * k1[1]]);
                let k3 = velocity([p[0] + 0.5 * dt * k2[0], p[1] + 0.5 * dt * k2[1]]);
                let k4 = velocity([p[0] + dt * k3[0], p[1] + dt * k3[1]]);
                for i in 0..2 {
                    p[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                }
            }
            let (a_end, b_end) = net.flow_limit(a, b);
            let (a_flow, b_flow) = ScalarNet::factors(&p);
            assert!(
                (a_end - a_flow).abs() < 1e-6 && (b_end - b_flow).abs() < 1e-6,
                "from ({a}, {b}): theory ({a_end}, {b_end}), flow ({a_flow}, {b_flow})"
            );
        }
        assert_eq!(net.flow_limit(0.0, 0.0), (0.0, 0.0), "the saddle stays");
    }
}
