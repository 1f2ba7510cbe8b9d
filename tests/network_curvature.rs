//! The network model's exact derivatives against independent computations: gradients against
//! central finite differences of the loss, Hessian-vector products against central differences
//! of the gradient, Lanczos against a dense Hessian's symmetric eigensolver, a GD replay against
//! a plain loop written here from the formulas, and the scalar network's edge-of-stability claim
//! against its closed form.

use nalgebra::{DMatrix, SymmetricEigen};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use implicit_bias::core::data::RegressionData;
use implicit_bias::core::kinds::network::{
    Activation, Architecture, Network, NetworkLoss, chebyshev, preconditioned_sharpness, sharpness,
};
use implicit_bias::core::lanczos::LanczosOptions;

fn gaussian(count: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..count)
        .map(|_| StandardNormal.sample(&mut *rng))
        .collect()
}

/// A random small problem: `inputs` features, 7 points, targets N(0,1) or ±1.
fn problem(
    inputs: usize,
    hidden: &[usize],
    bias: bool,
    activation: Activation,
    loss: NetworkLoss,
    seed: u64,
) -> (Network, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 7;
    let points = gaussian(n * inputs, &mut rng);
    let targets = match loss {
        NetworkLoss::Squared => gaussian(n, &mut rng),
        NetworkLoss::Logistic => (0..n)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect(),
    };
    let architecture = Architecture::new(inputs, hidden, bias, activation, loss);
    // Non-zero biases too, so their derivatives are exercised away from 0.
    let params = gaussian(architecture.parameter_count(), &mut rng)
        .into_iter()
        .map(|x| 0.7 * x)
        .collect();
    let data = RegressionData {
        dim: inputs,
        points,
        targets,
        planted: None,
    };
    (Network::new(architecture, data), params)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn relative_gap(a: &[f64], b: &[f64]) -> f64 {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&diff) / norm(b).max(1e-300)
}

/// Every activation, both losses, with and without biases, one and two hidden layers.
fn cases() -> Vec<(Activation, NetworkLoss, bool, Vec<usize>)> {
    let mut cases = vec![];
    for activation in Activation::ALL {
        for loss in [NetworkLoss::Squared, NetworkLoss::Logistic] {
            cases.push((activation, loss, true, vec![4, 3]));
            cases.push((activation, loss, false, vec![5]));
        }
    }
    cases
}

#[test]
fn gradients_match_central_differences_of_the_loss() {
    for (k, (activation, loss, bias, hidden)) in cases().into_iter().enumerate() {
        let (mut net, params) = problem(3, &hidden, bias, activation, loss, k as u64);
        let mut grad = vec![0.0; params.len()];
        let value = net.gradient(&params, &mut grad);
        assert!((value - net.loss(&params)).abs() <= 1e-15 * value.abs().max(1.0));
        let h = 1e-6;
        let numeric: Vec<f64> = (0..params.len())
            .map(|j| {
                let mut plus = params.clone();
                let mut minus = params.clone();
                plus[j] += h;
                minus[j] -= h;
                (net.loss(&plus) - net.loss(&minus)) / (2.0 * h)
            })
            .collect();
        let gap = relative_gap(&grad, &numeric);
        assert!(
            gap < 1e-7,
            "{} {} bias={bias}: gradient off by {gap:e}",
            activation.name(),
            loss.name()
        );
    }
}

#[test]
fn hessian_vector_products_match_central_differences_of_the_gradient() {
    for (k, (activation, loss, bias, hidden)) in cases().into_iter().enumerate() {
        let (mut net, params) = problem(2, &hidden, bias, activation, loss, 100 + k as u64);
        let mut rng = StdRng::seed_from_u64(7 + k as u64);
        let v = gaussian(params.len(), &mut rng);
        let mut grad = vec![0.0; params.len()];
        let mut hv = vec![0.0; params.len()];
        net.hessian_vector(&params, &v, &mut grad, &mut hv);
        let mut plain = vec![0.0; params.len()];
        net.gradient(&params, &mut plain);
        assert_eq!(grad, plain, "the R-operator's gradient is the gradient");
        let h = 1e-5;
        let shifted = |sign: f64, net: &mut Network| {
            let p: Vec<f64> = params
                .iter()
                .zip(&v)
                .map(|(x, d)| x + sign * h * d)
                .collect();
            let mut g = vec![0.0; p.len()];
            net.gradient(&p, &mut g);
            g
        };
        let (up, down) = (shifted(1.0, &mut net), shifted(-1.0, &mut net));
        let numeric: Vec<f64> = up
            .iter()
            .zip(&down)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect();
        let gap = relative_gap(&hv, &numeric);
        assert!(
            gap < 1e-7,
            "{} {} bias={bias}: H v off by {gap:e}",
            activation.name(),
            loss.name()
        );
    }
}

/// The dense Hessian, column j = H eⱼ.
fn dense_hessian(net: &mut Network, params: &[f64]) -> DMatrix<f64> {
    let p = params.len();
    let mut grad = vec![0.0; p];
    let mut column = vec![0.0; p];
    let mut h = DMatrix::zeros(p, p);
    for j in 0..p {
        let mut e = vec![0.0; p];
        e[j] = 1.0;
        net.hessian_vector(params, &e, &mut grad, &mut column);
        for i in 0..p {
            h[(i, j)] = column[i];
        }
    }
    h
}

#[test]
fn the_hessian_is_symmetric_and_lanczos_finds_its_top_eigenvalues() {
    for (k, activation) in Activation::ALL.into_iter().enumerate() {
        let (mut net, params) = problem(
            2,
            &[6, 5],
            true,
            activation,
            NetworkLoss::Squared,
            300 + k as u64,
        );
        let h = dense_hessian(&mut net, &params);
        let asymmetry = (&h - h.transpose()).abs().max();
        assert!(
            asymmetry <= 1e-12 * h.abs().max(),
            "asymmetric by {asymmetry:e}"
        );
        let symmetric = (&h + h.transpose()) * 0.5;
        let mut eigenvalues: Vec<f64> = SymmetricEigen::new(symmetric)
            .eigenvalues
            .iter()
            .copied()
            .collect();
        eigenvalues.sort_by(|a, b| b.total_cmp(a));
        let mut rng = StdRng::seed_from_u64(9);
        let start = gaussian(params.len(), &mut rng);
        let options = LanczosOptions {
            count: 3,
            tolerance: 1e-10,
            max_products: params.len(),
        };
        let found = sharpness(&mut net, &params, &start, options).expect("finite");
        assert!(found.converged, "{} did not converge", activation.name());
        for (got, want) in found.values.iter().zip(&eigenvalues) {
            assert!(
                (got - want).abs() <= 1e-10 * want.abs().max(eigenvalues[0].abs()),
                "{}: {got} vs dense {want}",
                activation.name()
            );
        }
    }
}

#[test]
fn preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_h() {
    let (mut net, params) = problem(2, &[5], true, Activation::Tanh, NetworkLoss::Squared, 41);
    let h = dense_hessian(&mut net, &params);
    let mut rng = StdRng::seed_from_u64(3);
    let diagonal: Vec<f64> = (0..params.len())
        .map(|_| 0.1 + rng.random::<f64>())
        .collect();
    // P⁻¹H is not symmetric: its eigenvalues from the general solver (all real, as P⁻¹H is
    // similar to the symmetric P^{-1/2} H P^{-1/2}).
    let p_inverse_h = DMatrix::from_fn(h.nrows(), h.ncols(), |i, j| h[(i, j)] / diagonal[i]);
    let top = p_inverse_h
        .complex_eigenvalues()
        .iter()
        .map(|z| z.re)
        .fold(f64::NEG_INFINITY, f64::max);
    let start = gaussian(params.len(), &mut rng);
    let options = LanczosOptions {
        count: 1,
        tolerance: 1e-11,
        max_products: params.len(),
    };
    let found =
        preconditioned_sharpness(&mut net, &params, Some(&diagonal), &start, options).unwrap();
    assert!(
        (found.values[0] - top).abs() <= 1e-8 * top.abs(),
        "{} vs {top}",
        found.values[0]
    );
}

#[test]
fn gd_replays_a_plain_loop_of_a_one_hidden_layer_tanh_network() {
    // f(x) = Σₖ cₖ tanh(aₖ x + bₖ) + d on 5 points, L = 1/(2n) Σ (f − y)², written out by hand.
    let xs = [-1.0, -0.4, 0.1, 0.5, 0.9];
    let ys = [0.3, -0.2, 0.8, 0.1, -0.5];
    let (mut a, mut b, mut c, mut d) = ([0.5, -1.2, 0.8], [0.1, 0.0, -0.3], [0.7, 0.4, -0.9], 0.05);
    let architecture = Architecture::new(1, &[3], true, Activation::Tanh, NetworkLoss::Squared);
    // Layout: W1 (3×1), b1 (3), W2 (1×3), b2 (1).
    let mut params: Vec<f64> = a.iter().chain(&b).chain(&c).copied().chain([d]).collect();
    let data = RegressionData {
        dim: 1,
        points: xs.to_vec(),
        targets: ys.to_vec(),
        planted: None,
    };
    let mut net = Network::new(architecture, data);
    let lr = 0.3;
    let n = xs.len() as f64;
    let mut grad = vec![0.0; params.len()];
    for step in 0..100 {
        // The plain loop.
        let (mut ga, mut gb, mut gc, mut gd) = ([0.0; 3], [0.0; 3], [0.0; 3], 0.0);
        let mut loss = 0.0;
        for (&x, &y) in xs.iter().zip(&ys) {
            let h: Vec<f64> = (0..3).map(|k| (a[k] * x + b[k]).tanh()).collect();
            let f: f64 = (0..3).map(|k| c[k] * h[k]).sum::<f64>() + d;
            let r = f - y;
            loss += 0.5 * r * r / n;
            gd += r / n;
            for k in 0..3 {
                gc[k] += r * h[k] / n;
                let back = r * c[k] * (1.0 - h[k] * h[k]) / n;
                ga[k] += back * x;
                gb[k] += back;
            }
        }
        let engine_loss = net.gradient(&params, &mut grad);
        assert!(
            (engine_loss - loss).abs() <= 1e-13 * loss,
            "step {step}: loss {engine_loss} vs {loss}"
        );
        for (p, g) in params.iter_mut().zip(&grad) {
            *p -= lr * g;
        }
        for k in 0..3 {
            a[k] -= lr * ga[k];
            b[k] -= lr * gb[k];
            c[k] -= lr * gc[k];
        }
        d -= lr * gd;
    }
    let plain: Vec<f64> = a.iter().chain(&b).chain(&c).copied().chain([d]).collect();
    assert!(relative_gap(&params, &plain) < 1e-12);
}

#[test]
fn gd_on_the_scalar_net_ends_where_the_sharpness_is_below_two_over_eta() {
    // f = a·b·x on x = 1, y = 1, no biases, linear: L = ½(ab − 1)². Gradient flow keeps
    // a² − b² = 8.91 and would end at sharpness a² + b² = √(8.91² + 4) ≈ 9.13 on ab = 1; GD with
    // η = 0.4 cannot stay where the sharpness exceeds 2/η = 5 and ends at a flatter minimum.
    let architecture = Architecture::new(1, &[1], false, Activation::Linear, NetworkLoss::Squared);
    let data = RegressionData {
        dim: 1,
        points: vec![1.0],
        targets: vec![1.0],
        planted: None,
    };
    let mut net = Network::new(architecture, data);
    let mut params = vec![0.3, 3.0]; // b (first layer), a (second layer)
    let mut grad = vec![0.0; 2];
    for _ in 0..2000 {
        net.gradient(&params, &mut grad);
        params[0] -= 0.4 * grad[0];
        params[1] -= 0.4 * grad[1];
    }
    let (b, a) = (params[0], params[1]);
    assert!(
        (a * b - 1.0).abs() < 1e-9,
        "not at a minimum: ab = {}",
        a * b
    );
    let closed_form = a * a + b * b; // λ_max of [[b², 1], [1, a²]] on ab = 1
    assert!(closed_form <= 5.0, "sharpness {closed_form} above 2/η");
    let found = sharpness(&mut net, &params, &[1.0, 0.5], LanczosOptions::default()).unwrap();
    assert!((found.values[0] - closed_form).abs() < 1e-8 * closed_form);
    let flow = (8.91f64 * 8.91 + 4.0).sqrt();
    assert!((flow - 9.13).abs() < 0.01, "the flow's end {flow}");
}

#[test]
fn chebyshev_gd_at_eta_0_2_hovers_at_the_edge_of_stability() {
    // The setting: T₆ on 20 points, tanh 1 → 30 → 20 → 1 with biases, LeCun-normal init,
    // η = 0.2: the sharpness rises to 2/η = 10 and stays near it.
    let architecture =
        Architecture::new(1, &[30, 20], true, Activation::Tanh, NetworkLoss::Squared);
    let mut rng = StdRng::seed_from_u64(0);
    let mut params = architecture.lecun_normal(1.0, &mut rng);
    let mut net = Network::new(architecture, chebyshev(20, 6));
    let eta = 0.2;
    let mut grad = vec![0.0; params.len()];
    let mut start = gaussian(params.len(), &mut rng);
    let mut late = vec![];
    let mut first_loss = None;
    let mut last_loss = 0.0;
    for step in 0..5000 {
        if step % 10 == 0 && step >= 4000 {
            let found = sharpness(&mut net, &params, &start, LanczosOptions::default()).unwrap();
            late.push(found.values[0]);
            start = found.vector;
        }
        last_loss = net.gradient(&params, &mut grad);
        first_loss.get_or_insert(last_loss);
        for (p, g) in params.iter_mut().zip(&grad) {
            *p -= eta * g;
        }
    }
    late.sort_by(f64::total_cmp);
    let median = late[late.len() / 2];
    assert!(
        (median - 2.0 / eta).abs() <= 0.1 * 2.0 / eta,
        "median sharpness over the last 1,000 steps {median}, 2/η = {}",
        2.0 / eta
    );
    assert!(
        last_loss < first_loss.unwrap() / 10.0,
        "the loss kept falling: {last_loss}"
    );
}
