//! RMSprop as torch.optim.RMSprop (no momentum, not centred):
//! v ← α v + (1−α) g²; θ ← θ − η g / (√v + ε).

use super::{Optimizer, Update, divide_by_root, in_halves};

/// torch.optim.RMSprop state.
#[derive(Debug, Clone)]
pub struct RmsProp {
    lr: f64,
    alpha: f64,
    eps: f64,
    square_avg: Vec<f64>,
    /// Whether it has updated once (before, it has no preconditioner).
    stepped: bool,
}

impl RmsProp {
    /// RMSprop with learning rate `lr`, smoothing `alpha` and `eps`.
    #[must_use]
    pub fn new(lr: f64, alpha: f64, eps: f64, parameters: usize) -> Self {
        Self {
            lr,
            alpha,
            eps,
            square_avg: vec![0.0; parameters],
            stepped: false,
        }
    }
}

impl Optimizer for RmsProp {
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }

    fn preconditioner(&self) -> Option<Vec<f64>> {
        self.stepped.then(|| {
            self.square_avg
                .iter()
                .map(|a| a.sqrt() + self.eps)
                .collect()
        })
    }

    fn step_checked(&mut self, params: &mut [f64], grad: &[f64]) -> Update {
        self.stepped = true;
        let alpha = self.alpha;
        divide_by_root(
            (self.lr, self.eps),
            params,
            grad,
            &mut self.square_avg,
            move |v, g| v * alpha + (1.0 - alpha) * g * g,
        )
    }

    fn step_in_halves(&mut self, params: &mut [f64], grad: &[f64], at: usize) -> Update {
        self.stepped = true;
        let alpha = self.alpha;
        let rule = (self.lr, self.eps);
        let state = self.square_avg.split_at_mut(at);
        in_halves(params, grad, state, at, |p, g, a| {
            divide_by_root(rule, p, g, a, move |v, g| v * alpha + (1.0 - alpha) * g * g)
        })
    }
}
