//! Experiment kinds that live in a folder of their own: model, data and curvature together.
//!
//! The older kinds (linear, matrix, diagonal) still sit in `core::experiment` and its
//! registries; the network kind starts here, in the shape the house issue asks of every kind.

pub mod network;
