//! The pure core: no terminal, no channels, no I/O beyond reading data files.

pub mod config;
pub mod cores;
pub mod data;
pub mod experiment;
pub mod gemm;
pub mod history;
pub mod kinds;
pub mod lanczos;
pub mod lanes;
pub mod linalg;
pub mod model;
pub mod optim;
pub mod par;
pub mod reference;
pub mod simd;
