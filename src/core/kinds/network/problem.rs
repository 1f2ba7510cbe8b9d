//! What a network experiment is, as plain values: data, architecture, start, runs and how often
//! the curvature is measured. The preset layer builds a [`NetworkProblem`] from a `[data]`,
//! `[model]`, `[[runs]]` and `[show]` section; the engine runs it.
//!
//! Starts are deterministic: LeCun-normal weights drawn from the experiment's seed (every run the
//! same draw, so runs differ only in what their spec changes), or matrices read from CSV files
//! ([`load_init`]), checked against the architecture with the file and shape named.
//!
//! A run may have its own hidden widths (`runs.N.widths`): it trains a network of that shape
//! with the same activation, biases, loss and data. Its LeCun start is drawn the way the shared
//! one is — a fresh generator seeded with the experiment's seed, one standard normal per weight,
//! layer after layer, row-major, times `init_scale`/√fan_in, biases 0 — only for its own
//! shape, so runs of the `[model]` shape keep their bits and a replay needs nothing but the seed.
//! Init files describe the `[model]` shape, so a run of another shape cannot start from them.

use std::fmt::Write as _;
use std::path::PathBuf;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::Architecture;
use crate::core::data::{DataError, RegressionData, load_matrix_csv};
use crate::core::optim::OptimizerSpec;

/// A network experiment: the data, the network, its start and the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkProblem {
    /// The points and their targets (±1 labels for the logistic loss).
    pub data: RegressionData,
    /// Layer sizes, activation, biases and loss; its input size is the data's `dim`.
    pub architecture: Architecture,
    /// Where every run starts, before its own `init_scale`.
    pub init: NetworkInit,
    /// The runs, in preset order.
    pub runs: Vec<NetworkRunSpec>,
    /// The sharpness is measured every this many steps (and at step 0); 0 turns it off.
    pub sharpness_every: u64,
    /// How many of the largest Hessian eigenvalues each measurement finds (≥ 1).
    pub top_k: usize,
}

/// What [`NetworkProblem::check`] finds inconsistent, worded as a sentence (runs counted
/// from 1, as presets count them).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Inconsistent {
    /// A layer of the `[model]` shape without units, or no output layer.
    #[error("every layer needs at least one unit; the sizes are {0:?}")]
    EmptyLayer(Vec<usize>),
    /// Points of another dimension than the network's inputs.
    #[error("the data have {data} input(s) but the network takes {network}")]
    Inputs {
        /// The points' dimension.
        data: usize,
        /// The network's inputs.
        network: usize,
    },
    /// No data points.
    #[error("the data have no points")]
    NoPoints,
    /// No runs.
    #[error("there are no runs")]
    NoRuns,
    /// `top_k = 0`.
    #[error("top_k is 0; ask for at least the largest eigenvalue")]
    NoEigenvalues,
    /// An explicit start of the wrong length.
    #[error("the init holds {numbers} numbers but the network has {parameters} parameters")]
    InitLength {
        /// The numbers in the start.
        numbers: usize,
        /// The network's parameters.
        parameters: usize,
    },
    /// A LeCun scale that is not a positive number (the `[model]` one, or a run's).
    #[error("{}init_scale {scale} is not a positive number", run_prefix(*.run))]
    InitScale {
        /// The run whose scale it is; `None` for `[model]`'s.
        run: Option<usize>,
        /// The scale.
        scale: f64,
    },
    /// A mini-batch larger than the data, or empty.
    #[error("run {run}: batch {batch} is not between 1 and the {points} points")]
    Batch {
        /// The run.
        run: usize,
        /// Its batch size.
        batch: usize,
        /// The data's points.
        points: usize,
    },
    /// A run's own widths with an empty layer.
    #[error("run {run}: widths {widths:?} have an empty layer; every layer needs a unit")]
    RunEmptyLayer {
        /// The run.
        run: usize,
        /// Its widths.
        widths: Vec<usize>,
    },
    /// A run of its own shape where init files give the start of the `[model]` shape.
    #[error("run {run}: widths {widths:?} differ from the [model] shape the init files describe")]
    RunShape {
        /// The run.
        run: usize,
        /// Its widths.
        widths: Vec<usize>,
    },
}

/// `run N: ` for a run's problem, nothing for the `[model]`'s.
fn run_prefix(run: Option<usize>) -> String {
    run.map_or_else(String::new, |run| format!("run {run}: "))
}

impl NetworkProblem {
    /// `[show] sharpness_every` when the preset does not say: often enough to see the sharpness
    /// settle at 2/η, cheap enough (a warm-started estimate every 10 steps) to run at full speed.
    pub const DEFAULT_SHARPNESS_EVERY: u64 = 10;
    /// Top eigenvalues found by default: the sharpness alone.
    pub const DEFAULT_TOP_K: usize = 1;

    /// A problem with the default curvature schedule ([`Self::DEFAULT_SHARPNESS_EVERY`],
    /// [`Self::DEFAULT_TOP_K`]).
    #[must_use]
    pub fn new(
        data: RegressionData,
        architecture: Architecture,
        init: NetworkInit,
        runs: Vec<NetworkRunSpec>,
    ) -> Self {
        Self {
            data,
            architecture,
            init,
            runs,
            sharpness_every: Self::DEFAULT_SHARPNESS_EVERY,
            top_k: Self::DEFAULT_TOP_K,
        }
    }

    /// Whether the parts fit together: what [`super::NetworkExperiment::new`] relies on. The
    /// preset layer checks each value's range and wording; this says what is still inconsistent.
    ///
    /// # Errors
    /// The first inconsistency found (see [`Inconsistent`]).
    pub fn check(&self) -> Result<(), Inconsistent> {
        self.check_shapes()?;
        let sizes = &self.architecture.sizes;
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Inconsistent::EmptyLayer(sizes.clone()));
        }
        if self.data.dim != sizes[0] {
            return Err(Inconsistent::Inputs {
                data: self.data.dim,
                network: sizes[0],
            });
        }
        if self.data.is_empty() {
            return Err(Inconsistent::NoPoints);
        }
        if self.runs.is_empty() {
            return Err(Inconsistent::NoRuns);
        }
        if self.top_k == 0 {
            return Err(Inconsistent::NoEigenvalues);
        }
        let count = self.architecture.parameter_count();
        match &self.init {
            NetworkInit::Explicit(params) if params.len() != count => {
                return Err(Inconsistent::InitLength {
                    numbers: params.len(),
                    parameters: count,
                });
            }
            NetworkInit::LeCun { scale } if !(scale.is_finite() && *scale > 0.0) => {
                return Err(Inconsistent::InitScale {
                    run: None,
                    scale: *scale,
                });
            }
            _ => {}
        }
        for (i, run) in self.runs.iter().enumerate() {
            if let Some(scale) = run.init_scale
                && !(scale.is_finite() && scale > 0.0)
            {
                return Err(Inconsistent::InitScale {
                    run: Some(i + 1),
                    scale,
                });
            }
            if let Some(batch) = run.optimizer.batch
                && (batch == 0 || batch > self.data.len())
            {
                return Err(Inconsistent::Batch {
                    run: i + 1,
                    batch,
                    points: self.data.len(),
                });
            }
        }
        Ok(())
    }

    /// What [`Self::check`] says of the runs' own widths: no empty layer (no widths at all is
    /// a network without hidden layers, as `[model]` may be), and none other than the
    /// `[model]` shape when the start is explicit (the files hold that shape's parameters).
    fn check_shapes(&self) -> Result<(), Inconsistent> {
        for (i, run) in self.runs.iter().enumerate() {
            let Some(widths) = &run.widths else { continue };
            if widths.contains(&0) {
                return Err(Inconsistent::RunEmptyLayer {
                    run: i + 1,
                    widths: widths.clone(),
                });
            }
            if matches!(self.init, NetworkInit::Explicit(_)) && self.has_own_architecture(i) {
                return Err(Inconsistent::RunShape {
                    run: i + 1,
                    widths: widths.clone(),
                });
            }
        }
        Ok(())
    }

    /// The network run `index` trains: the `[model]` architecture with the run's own hidden
    /// widths when it has them (same inputs, activation, biases and loss).
    ///
    /// # Panics
    /// When `index` is not a run.
    #[must_use]
    pub fn architecture_of(&self, index: usize) -> Architecture {
        let mut architecture = self.architecture.clone();
        if let Some(widths) = &self.runs[index].widths {
            let inputs = architecture.sizes[0];
            architecture.sizes = std::iter::once(inputs)
                .chain(widths.iter().copied())
                .chain(std::iter::once(1))
                .collect();
        }
        architecture
    }

    /// Whether run `index` trains another shape than the `[model]` one: what reports and labels
    /// name (a run that repeats the `[model]` widths is the shared network, named as such).
    ///
    /// # Panics
    /// When `index` is not a run.
    #[must_use]
    pub fn has_own_architecture(&self, index: usize) -> bool {
        self.architecture_of(index).sizes != self.architecture.sizes
    }

    /// Run `index`'s name: [`NetworkRunSpec::label`], then its hidden widths where they differ
    /// from the `[model]` ones (`gd lr=0.2 widths=[10]`), so runs that differ only in shape are
    /// told apart in tables, legends and traces. A label the preset gave is kept as written.
    ///
    /// # Panics
    /// When `index` is not a run.
    #[must_use]
    pub fn label(&self, index: usize) -> String {
        let run = &self.runs[index];
        let mut label = run.label();
        if run.optimizer.label.is_none() && self.has_own_architecture(index) {
            let sizes = &self.architecture_of(index).sizes;
            label.push_str(&widths_label(&sizes[1..sizes.len() - 1]));
        }
        label
    }

    /// Where run `index` starts: the LeCun draw from `seed` for the run's own architecture
    /// ([`Self::architecture_of`]; a fresh generator per run, so every shape draws as the
    /// shared one does) at the run's scale (its own `init_scale`, else the problem's), or the
    /// explicit parameters times the run's `init_scale` (1 when it has none).
    ///
    /// # Panics
    /// When `index` is not a run.
    #[must_use]
    pub fn start(&self, index: usize, seed: u64) -> Vec<f64> {
        let run = &self.runs[index];
        match &self.init {
            NetworkInit::LeCun { scale } => {
                let scale = run.init_scale.unwrap_or(*scale);
                self.architecture_of(index)
                    .lecun_normal(scale, &mut StdRng::seed_from_u64(seed))
            }
            NetworkInit::Explicit(params) => match run.init_scale {
                Some(scale) => params.iter().map(|p| scale * p).collect(),
                None => params.clone(),
            },
        }
    }

    /// The scale run `index` starts at: its own `init_scale`, else the problem's LeCun scale
    /// (1 for an explicit init, which is used as written).
    ///
    /// # Panics
    /// When `index` is not a run.
    #[must_use]
    pub fn init_scale(&self, index: usize) -> f64 {
        self.runs[index].init_scale.unwrap_or(match self.init {
            NetworkInit::LeCun { scale } => scale,
            NetworkInit::Explicit(_) => 1.0,
        })
    }
}

/// Where the runs start.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkInit {
    /// Weights N(0, 1/fan_in)·`scale` (LeCun-normal) drawn from the experiment's seed layer
    /// after layer in row-major order, biases 0 ([`Architecture::lecun_normal`]).
    LeCun {
        /// The multiplier of the standard deviation (`[model] init_scale`, 1 by default).
        scale: f64,
    },
    /// The flat parameter vector as [`load_init`] reads it from the `[model] init` files.
    Explicit(Vec<f64>),
}

/// One run of a network experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRunSpec {
    /// The optimizer, with its schedule; its `batch` (when set and below the number of points)
    /// makes the run mini-batch SGD over shuffled batches, reshuffled every epoch, as linear
    /// runs do.
    pub optimizer: OptimizerSpec,
    /// This run's start scale, replacing the problem's (`runs.N.init_scale`).
    pub init_scale: Option<f64>,
    /// This run's hidden widths, replacing the `[model]` ones (`runs.N.widths`): the run
    /// trains a network of that shape ([`NetworkProblem::architecture_of`]).
    pub widths: Option<Vec<usize>>,
}

impl NetworkRunSpec {
    /// A run of `optimizer` from the problem's start.
    #[must_use]
    pub fn new(optimizer: OptimizerSpec) -> Self {
        Self {
            optimizer,
            init_scale: None,
            widths: None,
        }
    }

    /// The run's name as far as the run alone says it: its optimizer's label, and its init
    /// scale when it has its own (`gd lr=0.2 init=0.5`), so two runs that differ only there are
    /// told apart. Whether its widths differ needs the `[model]` shape:
    /// [`NetworkProblem::label`] adds them.
    #[must_use]
    pub fn label(&self) -> String {
        let mut label = self.optimizer.label();
        if self.optimizer.label.is_none()
            && let Some(scale) = self.init_scale
        {
            write!(label, " init={scale}").ok();
        }
        label
    }
}

/// ` widths=[10,5]`: hidden widths as a label suffix, without spaces so a run table's name
/// column stays narrow.
fn widths_label(widths: &[usize]) -> String {
    let list: Vec<String> = widths.iter().map(ToString::to_string).collect();
    format!(" widths=[{}]", list.join(","))
}

/// Reads an explicit start from one CSV file per layer (input side first): plain numbers, no
/// header, fan_out rows of fan_in + 1 columns whose last is the bias (fan_in columns without
/// biases), into the flat parameter vector of `architecture`.
///
/// # Errors
/// The wrong number of files; a file that cannot be read or holds something other than a
/// table of numbers (file and line, as [`load_matrix_csv`] says it); a table of the wrong shape,
/// with the file, the layer and the shape it needs.
pub fn load_init(files: &[PathBuf], architecture: &Architecture) -> Result<Vec<f64>, DataError> {
    let layers = architecture.layers();
    if files.len() != layers.len() {
        return Err(DataError {
            path: None,
            line: None,
            message: format!(
                "init names {} file(s) but the network has {} layers; give one file per layer, \
                 input side first",
                files.len(),
                layers.len()
            ),
        });
    }
    let bias = usize::from(architecture.bias);
    let mut params = vec![0.0; architecture.parameter_count()];
    for (number, (path, layer)) in files.iter().zip(&layers).enumerate() {
        let matrix = load_matrix_csv(path)?;
        let wanted = (layer.fan_out, layer.fan_in + bias);
        if matrix.shape() != wanted {
            let columns = if architecture.bias {
                format!("{} + 1 (the last column the bias)", layer.fan_in)
            } else {
                format!("{} (no bias column: bias = false)", layer.fan_in)
            };
            return Err(DataError {
                path: Some(path.clone()),
                line: None,
                message: format!(
                    "layer {} ({} → {}) needs {} rows × {columns} columns, {}×{}; the file \
                     has {}×{}",
                    number + 1,
                    layer.fan_in,
                    layer.fan_out,
                    layer.fan_out,
                    wanted.0,
                    wanted.1,
                    matrix.nrows(),
                    matrix.ncols()
                ),
            });
        }
        let size = layer.fan_in * layer.fan_out;
        for o in 0..layer.fan_out {
            for k in 0..layer.fan_in {
                params[layer.offset + o * layer.fan_in + k] = matrix[(o, k)];
            }
            if architecture.bias {
                params[layer.offset + size + o] = matrix[(o, layer.fan_in)];
            }
        }
    }
    Ok(params)
}
