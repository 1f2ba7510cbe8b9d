//! Nonlinear networks and the edge of stability: a fully connected network with exact
//! gradients and Hessian-vector products, its sharpness by Lanczos, and the data it is shown on.
//!
//! Full-batch GD with step η raises the sharpness (the top Hessian eigenvalue) until it reaches
//! 2/η and then hovers there while the loss keeps falling (Cohen et al. 2021). Seeing that needs
//! the sharpness to be exact and cheap: one estimate is a few dozen Hessian-vector products by
//! the R-operator ([`Network::hessian_vector`]), each about two gradients.

mod data;
mod kernel;
mod model;
mod sharpness;

pub use data::chebyshev;
pub use model::{Activation, Architecture, LayerShape, Network, NetworkLoss};
pub use sharpness::{Sharpness, preconditioned_sharpness, sharpness};
