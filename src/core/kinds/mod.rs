//! The experiment kinds: one folder each, and the one table that lists them.
//!
//! A kind is everything one family of experiments needs, in its own folder here: its checked
//! preset section (`preset.rs`), its problem and engine (data, model, runs, exact references),
//! its snapshot and the reports made from it (`run` JSON, trace CSV, sweep rows, `report.rs`)
//! and its SVG figure (`figure.rs`); its dashboard panes live in `tui/view/<kind>/`. It plugs in
//! through three traits: [`KindProblem`] (what a preset becomes, and how it starts running),
//! [`Engine`] (the running state) and [`KindSnapshot`] (what is reported and drawn).
//!
//! [`with_kinds!`] is the table. Everything that depends on the list of kinds (the
//! [`Problem`] and [`SnapshotBody`] enums, the names a preset may give, the dashboard's
//! dispatch to each kind's panes) is generated from it, so adding a kind is a folder here and
//! its `mod` line, a folder of panes and its `mod` line in `tui/view/mod.rs`, and one line in
//! the table.

pub(crate) mod check;
pub(crate) mod convergence;
pub mod figure;
pub mod report;
pub(crate) mod run;

// The kinds, one folder each (declared here, not by the table's macro, so that rustfmt and
// every other tool that follows `mod` lines sees their files).
pub mod diagonal;
pub mod linear;
pub mod matrix;
pub mod network;

use std::io::{self, Write};

pub use self::figure::{Caption, FigureError};
pub use self::report::RunRow;
pub use self::run::RunStatus;

use serde::de::DeserializeOwned;
use toml::de::DeTable;

use crate::core::config::raw::{RunKeys, ShowKeys, TableKeys};
use crate::core::config::{Checker, PresetError, Tables};
use crate::core::experiment::{ExperimentSpec, Layout};
use crate::core::par::Threads;

/// The table of experiment kinds: `Variant(module, problem type, snapshot type)`, one line each. It calls
/// `$callback!` with the list, so each place that needs every kind generates its code from
/// this one list: the enums and dispatch here, the panes in `tui/view/mod.rs`.
macro_rules! with_kinds {
    ($callback:ident) => {
        $callback! {
            Linear(linear, LinearProblem, LinearSnapshot),
            Matrix(matrix, MatrixProblem, MatrixSnapshot),
            Diagonal(diagonal, DiagonalProblem, DiagonalSnapshot),
            Network(network, NetworkProblem, NetworkSnapshot),
        }
    };
}
pub(crate) use with_kinds;

/// Whether the runs record their bounded trails over time (what the dashboard and figures
/// draw) or only their current state (what `run`'s JSON and `sweep`'s rows report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trails {
    /// Record the trails.
    Record,
    /// Keep the current state only.
    Skip,
}

/// What a kind's problem (its checked preset section) offers: its name in presets, the check
/// that makes it from a preset's tables, and the engine that runs it.
pub(crate) trait KindProblem: Sized + KindChoices {
    /// The name a preset gives in `experiment = "…"`.
    const NAME: &'static str;
    /// The running state.
    type Engine: Engine<Snapshot = Self::Snapshot>;
    /// The owned picture of the running state.
    type Snapshot: KindSnapshot;
    /// Its `[data]` table as written: the keys it accepts are this type's fields.
    type Data: DeserializeOwned;
    /// Its `[model]` table as written.
    type Model: DeserializeOwned;
    /// Each of its `[[runs]]` as written (declared with `run_table!`).
    type Run: DeserializeOwned + RunKeys;
    /// Its `[show]` table as written (declared with `show_table!`).
    type Show: DeserializeOwned + ShowKeys;

    /// Checks the preset's tables into this kind's problem, its `[show]` choices included.
    ///
    /// # Errors
    /// Anything unusable, worded through `c` with the file, line, key and fix.
    fn check(
        c: &Checker<'_>,
        tables: &Tables<'_, Self::Data, Self::Model, Self::Run, Self::Show>,
    ) -> Result<Self, PresetError>;

    /// What to write instead of `key` of `table` (`"runs"`, `"model"`, …), a key of another
    /// kind that this one does not take, when there is something to say: the refusal then
    /// reads "does not apply to … (HINT); remove it".
    fn key_hint(_table: &str, _key: &str) -> Option<&'static str> {
        None
    }

    /// The engine for `spec` (whose problem is this one), its references computed.
    fn build(&self, spec: &ExperimentSpec, trails: Trails) -> Self::Engine;

    /// What `check` says of a valid preset: data, model and runs in a few words.
    fn describe(&self) -> String;

    /// Trace rows every this many steps beside the log grid (matrix spectra every
    /// `svd_every`); `None` for the log grid alone. Each kind states it in its `report.rs`: a
    /// default here once let the matrix kind's rows go missing unnoticed.
    fn trace_stride(&self) -> Option<u64>;
}

/// The `[show]` choices only some kinds have, with what the others mean by default: a kind
/// without such choices writes an empty `impl`.
pub(crate) trait KindChoices {
    /// How the dashboard arranges the runs.
    fn layout(&self) -> Layout {
        Layout::Overlay
    }

    /// True when `other` (the same kind) reports the same columns: what a sweep, whose rows
    /// share one header, needs of every point (the linear kind's columns follow its
    /// references).
    fn same_columns(&self, _other: &Self) -> bool {
        true
    }

    /// Stops computing what no sweep column shows (the matrix kind's min-nuclear-norm
    /// completion, a solver run per point).
    fn skip_unreported(&mut self) {}
}

/// What the experiment asks of every kind's running state.
pub trait Engine: Send {
    /// The owned picture of this state.
    type Snapshot;
    /// Advances every run from step `start` by `n` steps (stopped runs stay where they are),
    /// keeping at most `threads` threads busy.
    fn step(&mut self, start: u64, n: u64, threads: Threads);
    /// Records every run's trail at `step`, whether or not its spacing wants it (the start).
    fn record_all(&mut self, step: u64);
    /// True when every run has stopped (frozen, converged or diverged).
    fn all_stopped(&self) -> bool;
    /// The owned picture of the current state.
    fn snapshot(&self) -> Self::Snapshot;
}

/// What is reported and drawn of a kind's snapshot, beside its own panes.
pub trait KindSnapshot {
    /// How many runs it shows.
    fn run_count(&self) -> usize;
    /// `run`'s JSON report, `"interrupted": true` after its keys when `interrupted`.
    ///
    /// # Errors
    /// Never in practice: reports hold only strings, numbers and lists.
    fn report_json(&self, title: &str, step: u64, interrupted: bool) -> serde_json::Result<String>;
    /// Appends the kind's trace columns to `header` (which holds the shared key columns).
    fn trace_header(&self, header: &mut String);
    /// Writes one trace row per run at `step`.
    ///
    /// # Errors
    /// When `out` fails.
    fn trace_rows(&self, out: &mut dyn Write, step: u64) -> io::Result<()>;
    /// Trace rows rebuilt from the bounded histories, as (step, run, row).
    fn history_rows(&self) -> Vec<(u64, usize, String)>;
    /// One sweep row per run.
    fn sweep_rows(&self) -> Vec<RunRow>;
    /// The SVG figure.
    ///
    /// # Errors
    /// When plotters fails to lay the figure out (worded for the user).
    fn svg(&self, caption: Caption<'_>) -> Result<String, FigureError>;
}

/// The trait impls every kind writes the same way, from its folder's parts: `preset::{Data,
/// Model, Run, Show, check, key_hint}`, `report::{report, trace_header, trace_rows,
/// history_rows, sweep_rows, describe}`, `figure::svg`, and its engine's constructor
/// `$engine::$build(problem, spec, trails)`. A kind's `mod.rs` invokes it once.
macro_rules! kind_impls {
    ($name:literal, $problem:ident, $engine:ident::$build:ident, $snapshot:ident) => {
        impl $crate::core::kinds::KindProblem for $problem {
            const NAME: &'static str = $name;
            type Engine = $engine;
            type Snapshot = $snapshot;
            type Data = preset::Data;
            type Model = preset::Model;
            type Run = preset::Run;
            type Show = preset::Show;

            fn check(
                c: &$crate::core::config::Checker<'_>,
                tables: &$crate::core::config::Tables<
                    '_,
                    preset::Data,
                    preset::Model,
                    preset::Run,
                    preset::Show,
                >,
            ) -> Result<Self, $crate::core::config::PresetError> {
                preset::check(c, tables)
            }

            fn key_hint(table: &str, key: &str) -> Option<&'static str> {
                preset::key_hint(table, key)
            }

            fn build(
                &self,
                spec: &$crate::core::experiment::ExperimentSpec,
                trails: $crate::core::kinds::Trails,
            ) -> $engine {
                $engine::$build(self, spec, trails)
            }

            fn describe(&self) -> String {
                report::describe(self)
            }

            fn trace_stride(&self) -> Option<u64> {
                report::trace_stride(self)
            }
        }

        impl $crate::core::kinds::KindSnapshot for $snapshot {
            fn run_count(&self) -> usize {
                self.runs.len()
            }

            fn report_json(
                &self,
                title: &str,
                step: u64,
                interrupted: bool,
            ) -> serde_json::Result<String> {
                $crate::core::kinds::report::pretty(report::report(title, step, self), interrupted)
            }

            fn trace_header(&self, header: &mut String) {
                report::trace_header(header, self);
            }

            fn trace_rows(
                &self,
                mut out: &mut dyn std::io::Write,
                step: u64,
            ) -> std::io::Result<()> {
                report::trace_rows(&mut out, step, self)
            }

            fn history_rows(&self) -> Vec<(u64, usize, String)> {
                report::history_rows(self)
            }

            fn sweep_rows(&self) -> Vec<$crate::core::kinds::RunRow> {
                report::sweep_rows(self)
            }

            fn svg(
                &self,
                caption: $crate::core::kinds::Caption<'_>,
            ) -> Result<String, $crate::core::kinds::FigureError> {
                figure::svg(self, caption)
            }
        }
    };
}
use kind_impls;

/// Generates, from the table, the enums that hold any kind and their dispatch.
macro_rules! declare_kinds {
    ($($variant:ident($module:ident, $problem:ident, $snapshot:ident),)*) => {
        /// A checked problem of any kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Problem {
            $(
                #[doc = concat!("A `", stringify!($module), "` experiment.")]
                $variant($module::$problem),
            )*
        }

        /// The per-kind part of a snapshot.
        #[derive(Debug, Clone)]
        pub enum SnapshotBody {
            $(
                #[doc = concat!("A `", stringify!($module), "` experiment.")]
                $variant($module::$snapshot),
            )*
        }

        /// The running state of any kind.
        pub(crate) enum Body {
            $($variant(Box<<$module::$problem as KindProblem>::Engine>),)*
        }

        $(
            impl From<$module::$problem> for Problem {
                fn from(problem: $module::$problem) -> Self {
                    Self::$variant(problem)
                }
            }
        )*

        /// The names a preset may give in `experiment`, in table order.
        pub const NAMES: &[&str] = &[$(<$module::$problem as KindProblem>::NAME,)*];

        /// The keys of every kind's tables, read from their types, by kind name.
        fn every_kinds_keys() -> Vec<(&'static str, TableKeys)> {
            vec![$((
                <$module::$problem as KindProblem>::NAME,
                TableKeys::of::<
                    <$module::$problem as KindProblem>::Data,
                    <$module::$problem as KindProblem>::Model,
                    <$module::$problem as KindProblem>::Run,
                    <$module::$problem as KindProblem>::Show,
                >(),
            ),)*]
        }

        /// The `[model]` keys that kind `kind`'s runs may also set for themselves (see
        /// [`TableKeys::shadowed`]); none for a kind that does not exist.
        pub(crate) fn shadowed_keys(kind: &str) -> Vec<&'static str> {
            every_kinds_keys()
                .into_iter()
                .find(|(name, _)| *name == kind)
                .map_or_else(Vec::new, |(_, keys)| keys.shadowed())
        }

        /// Checks a preset's document as the kind it names in `experiment` asks.
        ///
        /// # Errors
        /// A missing or unknown kind (with the near miss), a key of the wrong table or kind,
        /// or the kind's own errors.
        pub(crate) fn check_document(
            c: &Checker<'_>,
            document: toml::Spanned<DeTable<'_>>,
        ) -> Result<ExperimentSpec, PresetError> {
            let every = every_kinds_keys();
            let top = every.first().map_or(&[][..], |(_, keys)| keys.top);
            let experiment = check::experiment(c, &document, NAMES, top)?;
            match experiment.get_ref().as_str() {
                $(<$module::$problem as KindProblem>::NAME => {
                    check::check_preset::<$module::$problem>(c, document, &every)
                })*
                _ => Err(c.unknown_name(&experiment, "experiment", "an experiment", NAMES)),
            }
        }

        impl Problem {
            /// What `check` says of it.
            #[must_use]
            pub fn describe(&self) -> String {
                match self {
                    $(Self::$variant(p) => p.describe(),)*
                }
            }

            /// See [`KindProblem::trace_stride`].
            #[must_use]
            pub fn trace_stride(&self) -> Option<u64> {
                match self {
                    $(Self::$variant(p) => p.trace_stride(),)*
                }
            }

            /// See [`KindChoices::layout`].
            #[must_use]
            pub fn layout(&self) -> Layout {
                match self {
                    $(Self::$variant(p) => p.layout(),)*
                }
            }

            /// True when `other` is the same kind and reports the same columns (see
            /// [`KindChoices::same_columns`]).
            #[must_use]
            pub fn same_columns(&self, other: &Problem) -> bool {
                match (self, other) {
                    $((Self::$variant(p), Self::$variant(q)) => p.same_columns(q),)*
                    #[allow(unreachable_patterns, reason = "reached with two kinds or more")]
                    _ => false,
                }
            }

            /// See [`KindChoices::skip_unreported`].
            pub fn skip_unreported(&mut self) {
                match self {
                    $(Self::$variant(p) => p.skip_unreported(),)*
                }
            }

            pub(crate) fn build(&self, spec: &ExperimentSpec, trails: Trails) -> Body {
                match self {
                    $(Self::$variant(p) => Body::$variant(Box::new(p.build(spec, trails))),)*
                }
            }
        }

        impl Body {
            pub(crate) fn step(&mut self, start: u64, n: u64, threads: Threads) {
                match self {
                    $(Self::$variant(e) => e.step(start, n, threads),)*
                }
            }

            pub(crate) fn record_all(&mut self, step: u64) {
                match self {
                    $(Self::$variant(e) => e.record_all(step),)*
                }
            }

            pub(crate) fn all_stopped(&self) -> bool {
                match self {
                    $(Self::$variant(e) => e.all_stopped(),)*
                }
            }

            pub(crate) fn snapshot(&self) -> SnapshotBody {
                match self {
                    $(Self::$variant(e) => SnapshotBody::$variant(e.snapshot()),)*
                }
            }
        }

        impl SnapshotBody {
            /// The kind's snapshot, for what every kind reports.
            #[must_use]
            pub fn kind(&self) -> &dyn KindSnapshot {
                match self {
                    $(Self::$variant(s) => s,)*
                }
            }
        }
    };
}

self::with_kinds!(declare_kinds);
