//! TEMPORARY interface stub while the solver module is written in parallel; replaced before commit.
#![allow(missing_docs, clippy::all, clippy::pedantic)]
use super::data::{LinearData, MatrixData};
use nalgebra::DMatrix;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarginNorm {
    L2,
    L2Intercept,
    Linf,
    L1,
}
impl MarginNorm {
    pub const ALL: [MarginNorm; 4] = [
        MarginNorm::L2,
        MarginNorm::L2Intercept,
        MarginNorm::Linf,
        MarginNorm::L1,
    ];
    pub fn name(self) -> &'static str {
        match self {
            MarginNorm::L2 => "l2",
            MarginNorm::L2Intercept => "l2-intercept",
            MarginNorm::Linf => "linf",
            MarginNorm::L1 => "l1",
        }
    }
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }
    pub fn describe(self) -> &'static str {
        ""
    }
}
#[derive(Debug, Clone, PartialEq)]
pub struct MaxMarginReference {
    pub norm: MarginNorm,
    pub direction: Vec<f64>,
    pub solution: Vec<f64>,
    pub margin: f64,
}
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceError {
    NotSeparable(String),
    SolverFailed(String),
}
impl std::fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
impl std::error::Error for ReferenceError {}
pub fn max_margin(
    _data: &LinearData,
    _norm: MarginNorm,
    _bias: bool,
) -> Result<MaxMarginReference, ReferenceError> {
    Err(ReferenceError::SolverFailed("stub".into()))
}
#[derive(Debug, Clone, PartialEq)]
pub struct NuclearReference {
    pub completion: DMatrix<f64>,
    pub singular_values: Vec<f64>,
    pub test_error: f64,
    pub nuclear_norm: f64,
    pub converged: bool,
    pub iterations: usize,
    pub primal_residual: f64,
    pub dual_residual: f64,
}
pub fn min_nuclear_norm(data: &MatrixData) -> NuclearReference {
    NuclearReference {
        completion: data.target.clone(),
        singular_values: vec![],
        test_error: 0.0,
        nuclear_norm: 0.0,
        converged: false,
        iterations: 0,
        primal_residual: 0.0,
        dual_residual: 0.0,
    }
}
