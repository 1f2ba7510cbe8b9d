//! Adagrad as torch.optim.Adagrad (no learning-rate decay):
//! s ← s + g²; θ ← θ − η g / (√s + ε).

use super::{Optimizer, Update, divide_by_root, in_halves};

/// torch.optim.Adagrad state.
#[derive(Debug, Clone)]
pub struct Adagrad {
    lr: f64,
    eps: f64,
    sum_squares: Vec<f64>,
}

impl Adagrad {
    /// Adagrad with learning rate `lr` and `eps`.
    #[must_use]
    pub fn new(lr: f64, eps: f64, parameters: usize) -> Self {
        Self {
            lr,
            eps,
            sum_squares: vec![0.0; parameters],
        }
    }
}

impl Optimizer for Adagrad {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        divide_by_root(
            (self.lr, self.eps),
            params,
            grad,
            &mut self.sum_squares,
            |s, g| s + g * g,
        )
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        let rule = (self.lr, self.eps);
        let state = self.sum_squares.split_at_mut(at);
        in_halves(params, grad, state, at, |p, g, a| {
            divide_by_root(rule, p, g, a, |s, g| s + g * g)
        })
    }
}
