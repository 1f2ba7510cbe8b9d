//! The diagonal kind, whole: its engine (`engine.rs`), its preset section (`preset.rs`), its
//! reports (`report.rs`: `run` JSON, trace CSV, sweep rows) and its SVG figure (`figure.rs`),
//! plugged into the table of kinds by the trait impls below.

mod engine;
mod figure;
mod preset;
mod report;

use std::io::{self, Write};

pub use self::engine::*;

use super::figure::FigureError;
use super::{Caption, KindProblem, KindSnapshot, RunRow, Trails};
use crate::core::config::{Checker, KindSpec, PresetError, Tables};
use crate::core::experiment::ExperimentSpec;

impl KindProblem for DiagonalProblem {
    const NAME: &'static str = "diagonal";
    type Engine = DiagonalExperiment;
    type Snapshot = DiagonalSnapshot;
    type Data = preset::Data;
    type Model = preset::Model;
    type Run = preset::Run;
    type Show = preset::Show;

    fn check(
        c: &Checker<'_>,
        tables: &Tables<'_, preset::Data, preset::Model, preset::Run, preset::Show>,
    ) -> Result<KindSpec, PresetError> {
        preset::check(c, tables)
    }

    fn key_hint(table: &str, key: &str) -> Option<&'static str> {
        preset::key_hint(table, key)
    }

    fn build(&self, spec: &ExperimentSpec, trails: Trails) -> DiagonalExperiment {
        DiagonalExperiment::new(self, spec, trails)
    }

    fn describe(&self) -> String {
        report::describe(self)
    }
}

impl KindSnapshot for DiagonalSnapshot {
    fn run_count(&self) -> usize {
        self.runs.len()
    }

    fn report_json(&self, title: &str, step: u64, interrupted: bool) -> serde_json::Result<String> {
        super::report::pretty(report::report(title, step, self), interrupted)
    }

    fn trace_header(&self, header: &mut String) {
        report::trace_header(header);
    }

    fn trace_rows(&self, mut out: &mut dyn Write, step: u64) -> io::Result<()> {
        report::trace_rows(&mut out, step, self)
    }

    fn history_rows(&self) -> Vec<(u64, usize, String)> {
        report::history_rows(self)
    }

    fn sweep_rows(&self) -> Vec<RunRow> {
        report::sweep_rows(self)
    }

    fn svg(&self, caption: Caption<'_>) -> Result<String, FigureError> {
        figure::svg(self, caption)
    }
}
