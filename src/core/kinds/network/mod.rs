//! Nonlinear networks and the edge of stability: a fully connected network with exact
//! gradients and Hessian-vector products, its sharpness by Lanczos, the data it is shown on,
//! and the engine that trains runs of it side by side while measuring their curvature.
//!
//! Full-batch GD with step η raises the sharpness (the top Hessian eigenvalue) until it reaches
//! 2/η and then hovers there while the loss keeps falling (Cohen et al. 2021). Seeing that needs
//! the sharpness to be exact and cheap: one estimate is a few dozen Hessian-vector products by
//! the R-operator ([`Network::hessian_vector`]), each about two gradients.
//!
//! What the kind table calls: [`NetworkProblem`] (built by the preset layer, with [`chebyshev`],
//! [`moons`], [`load_network_csv`] and [`load_init`]), [`NetworkExperiment`] (`new`, `step`,
//! `record_all`, `all_stopped`, `snapshot`, the registry's engine contract) and the report
//! functions of [`report`].

mod data;
mod engine;
mod kernel;
mod model;
mod problem;
pub mod report;
mod runs;
mod sharpness;

pub use data::{chebyshev, load_network_csv, moons};
pub use engine::{
    CurvatureEstimate, FunctionGrid, LINE_GRID, NETWORK_HISTORY_CAPACITY, NETWORK_HISTORY_FIELDS,
    NetworkExperiment, NetworkHistory, NetworkRunSnapshot, NetworkSnapshot, PLANE_GRID, threshold,
};
pub use model::{Activation, Architecture, LayerShape, Network, NetworkLoss};
pub use problem::{NetworkInit, NetworkProblem, NetworkRunSpec, load_init};
pub use sharpness::{Sharpness, preconditioned_sharpness, sharpness};
