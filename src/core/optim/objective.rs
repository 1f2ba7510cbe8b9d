//! What an optimizer may ask of the function it minimises, beyond a plain gradient.
//!
//! Most rules need only ∇L(θ), and [`Objective::gradient`] is all they call. Normalized descent
//! needs a direction that survives when every exp(−margin) underflows: its updates ∇L/‖∇L‖ and
//! ∇L/L do not change when ∇L and L are multiplied by one constant c > 0, so the model may hand
//! out ∇L/c and L/c with c chosen to keep them representable (for the linear classifier,
//! c = exp(−smallest margin): the shifted exponentials).

/// The loss being minimised, at whatever parameters the optimizer asks about.
pub trait Objective {
    /// Writes ∇L(θ) at `params` into `grad`.
    fn gradient(&mut self, params: &[f64], grad: &mut [f64]);

    /// Writes ∇L(θ)/c into `grad` and returns L(θ)/c, for one c > 0 chosen so that neither
    /// underflows nor overflows where the ratio ∇L/L is representable. The default is c = 1.
    fn scaled_gradient(&mut self, params: &[f64], grad: &mut [f64]) -> f64;
}
