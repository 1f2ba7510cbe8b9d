//! What `run` prints, field by field, for every shipped preset: the real binary's JSON and
//! `--trace` CSV against the engine's own results through the library API.
//!
//! Independent computation: the preset is loaded with `implicit_bias::preset::load` and an
//! [`Experiment`] is stepped in this process to the same steps; its snapshot is the expected
//! value. Tolerance: none — every number must read back bit-identical (`f64::to_bits`), because
//! the JSON is printed with shortest round-trip floats and the trace with `{:?}`. JSON is parsed
//! by serde_json with `float_roundtrip` (exact parsing) and the trace by `str::parse::<f64>`
//! (exact). Every object must have exactly the documented keys, so a value under a wrong or an
//! extra key fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use implicit_bias::core::experiment::{Experiment, RunStatus, SnapshotBody};
use implicit_bias::core::kinds::diagonal::{DiagonalRunSnapshot, DiagonalSnapshot};
use implicit_bias::core::kinds::linear::{LinearRunSnapshot, LinearSnapshot};
use implicit_bias::core::kinds::matrix::{MatrixRunSnapshot, MatrixSnapshot};
use implicit_bias::core::kinds::network::NetworkSnapshot;

/// The binary under test, as cargo built it for this test run.
const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");

/// Steps per preset: enough for every run to move (and the sgd-vs-adam SGD run to freeze at
/// step 2), few enough to stay quick in a debug build.
const STEPS: u64 = 300;

/// Every shipped preset file, sorted.
fn shipped_presets() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut presets: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("presets/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    presets.sort();
    assert!(presets.len() >= 7, "presets missing: {presets:?}");
    presets
}

/// Runs `run PRESET --steps STEPS --trace FILE` and returns (JSON, trace text).
fn run_binary(preset: &Path) -> (Value, String) {
    let stem = preset.file_stem().unwrap().to_string_lossy().into_owned();
    let trace = std::env::temp_dir().join(format!(
        "implicit-bias-contents-{stem}-{}.csv",
        std::process::id()
    ));
    let output = Command::new(BIN)
        .args([
            "run",
            &preset.to_string_lossy(),
            "--steps",
            &STEPS.to_string(),
        ])
        .arg("--trace")
        .arg(&trace)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{stem}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let text = std::fs::read_to_string(&trace).expect("the trace was written");
    std::fs::remove_file(&trace).ok();
    (json, text)
}

/// Asserts that `object` has exactly the keys `expected`.
fn assert_keys(object: &Value, expected: &[&str], what: &str) {
    let keys: BTreeSet<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {object}"))
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(keys, expected, "{what}: keys");
}

/// A JSON number equal to `expected` bit for bit; a non-finite value must be `null`.
fn assert_number(value: &Value, expected: f64, what: &str) {
    if expected.is_finite() {
        let got = value
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: expected {expected:?}, got {value}"));
        assert_eq!(
            got.to_bits(),
            expected.to_bits(),
            "{what}: {got:?} vs engine {expected:?}"
        );
    } else {
        assert!(
            value.is_null(),
            "{what}: expected null for {expected}, got {value}"
        );
    }
}

fn assert_numbers(value: &Value, expected: &[f64], what: &str) {
    let list = value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a list: {value}"));
    assert_eq!(list.len(), expected.len(), "{what}: length");
    for (k, (got, want)) in list.iter().zip(expected).enumerate() {
        assert_number(got, *want, &format!("{what}[{k}]"));
    }
}

/// `status` and `status_step` as the engine has them.
fn assert_status(run: &Value, status: RunStatus, what: &str) {
    assert_eq!(run["status"], status.name(), "{what}: status");
    match status.step() {
        Some(step) => assert_eq!(run["status_step"], step, "{what}: status_step"),
        None => assert!(run["status_step"].is_null(), "{what}: status_step"),
    }
}

/// The warnings: one per missing reference and per stopped run, naming it.
fn assert_warnings(json: &Value, missing: &[&str], stopped: &[(usize, RunStatus)], extra: usize) {
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .expect("warnings is a list")
        .iter()
        .map(|w| w.as_str().expect("a warning is a string"))
        .collect();
    assert_eq!(
        warnings.len(),
        missing.len() + stopped.len() + extra,
        "{warnings:?}"
    );
    for name in missing {
        assert!(
            warnings.iter().any(|w| w.starts_with(&format!("{name}: "))),
            "{name}: {warnings:?}"
        );
    }
    for (index, status) in stopped {
        let expected = format!("{} at step {}", status.name(), status.step().unwrap());
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&format!("run {} (", index + 1)) && w.contains(&expected)),
            "run {}: {expected}: {warnings:?}",
            index + 1
        );
    }
}

fn check_linear_json(json: &Value, spec_title: &str, s: &LinearSnapshot) {
    assert_keys(
        json,
        &[
            "experiment",
            "title",
            "steps",
            "loss",
            "bias",
            "references",
            "reference_margins",
            "warnings",
            "runs",
        ],
        "linear report",
    );
    assert_eq!(json["experiment"], "linear");
    assert_eq!(json["title"], spec_title);
    assert_eq!(json["steps"], STEPS);
    assert_eq!(json["loss"], s.loss.name());
    assert_eq!(json["bias"], s.bias);
    let present: Vec<_> = s
        .references
        .iter()
        .filter_map(|(norm, r)| r.as_ref().ok().map(|r| (norm.name().into_owned(), r)))
        .collect();
    let names: Vec<&str> = present.iter().map(|(name, _)| name.as_str()).collect();
    let keys: Vec<&str> = json["references"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, names, "references, in preset order");
    assert_keys(&json["reference_margins"], &names, "reference_margins");
    for (name, reference) in &present {
        assert_numbers(
            &json["references"][name],
            &reference.direction,
            &format!("references.{name}"),
        );
        assert_number(
            &json["reference_margins"][name],
            reference.margin,
            &format!("reference_margins.{name}"),
        );
    }
    let runs = json["runs"].as_array().expect("runs is a list");
    assert_eq!(runs.len(), s.runs.len());
    for (i, (run, want)) in runs.iter().zip(&s.runs).enumerate() {
        check_linear_run(run, want, &names, &format!("run {}", i + 1));
    }
    let missing: Vec<String> = s
        .references
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(norm, _)| norm.name().into_owned())
        .collect();
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    let stopped: Vec<_> = s
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.status.is_ok())
        .map(|(i, r)| (i, r.status))
        .collect();
    assert_warnings(json, &missing, &stopped, 0);
}

fn check_linear_run(run: &Value, want: &LinearRunSnapshot, references: &[&str], what: &str) {
    let mut keys = vec![
        "optimizer",
        "label",
        "lr",
        "init",
        "direction",
        "norm",
        "loss",
        "margin",
        "angles",
        "predicted",
        "status",
        "status_step",
    ];
    if want.bias.is_some() {
        keys.push("bias");
    }
    let options = want.optimizer.hyper_parameters();
    keys.extend(options.iter().map(|(name, _)| *name));
    assert_keys(run, &keys, what);
    assert_eq!(run["label"], want.optimizer.label(), "{what}.label");
    assert_eq!(run["optimizer"], want.optimizer.kind().name(), "{what}");
    assert_number(&run["lr"], want.optimizer.lr, &format!("{what}.lr"));
    assert_numbers(&run["init"], &want.init, &format!("{what}.init"));
    assert_numbers(
        &run["direction"],
        &want.direction,
        &format!("{what}.direction"),
    );
    assert_number(&run["norm"], want.norm, &format!("{what}.norm"));
    if let Some(bias) = want.bias {
        assert_number(&run["bias"], bias, &format!("{what}.bias"));
    }
    assert_number(&run["loss"], want.loss, &format!("{what}.loss"));
    assert_number(&run["margin"], want.margin, &format!("{what}.margin"));
    let angle_names: Vec<String> = want
        .angles
        .iter()
        .map(|(n, _)| n.name().into_owned())
        .collect();
    let angle_names: Vec<&str> = angle_names.iter().map(String::as_str).collect();
    let shown: Vec<&str> = references
        .iter()
        .copied()
        .filter(|name| angle_names.contains(name))
        .collect();
    assert_eq!(angle_names, shown, "{what}: angles follow the references");
    assert_keys(&run["angles"], &angle_names, &format!("{what}.angles"));
    for (norm, angle) in &want.angles {
        assert_number(
            &run["angles"][norm.name().as_ref()],
            *angle,
            &format!("{what}.angles.{}", norm.name()),
        );
    }
    match want.predicted {
        Some(norm) => assert_eq!(run["predicted"], norm.name().as_ref(), "{what}.predicted"),
        None => assert!(run["predicted"].is_null(), "{what}.predicted"),
    }
    assert_status(run, want.status, what);
}

fn check_matrix_json(json: &Value, spec_title: &str, s: &MatrixSnapshot) {
    assert_keys(
        json,
        &[
            "experiment",
            "title",
            "steps",
            "runs",
            "references",
            "warnings",
        ],
        "matrix report",
    );
    assert_eq!(json["experiment"], "matrix");
    assert_eq!(json["title"], spec_title);
    assert_eq!(json["steps"], STEPS);
    let runs = json["runs"].as_array().expect("runs is a list");
    assert_eq!(runs.len(), s.runs.len());
    for (i, (run, want)) in runs.iter().zip(&s.runs).enumerate() {
        check_matrix_run(run, want, &format!("run {}", i + 1));
    }
    match s.reference.solved() {
        Some(reference) => {
            assert_keys(&json["references"], &["min-nuclear-norm"], "references");
            let r = &json["references"]["min-nuclear-norm"];
            assert_keys(
                r,
                &["singular_values", "test_error", "nuclear_norm", "converged"],
                "min-nuclear-norm",
            );
            assert_numbers(&r["singular_values"], &reference.singular_values, "σ*");
            assert_number(
                &r["test_error"],
                reference.test_error,
                "reference test_error",
            );
            assert_number(&r["nuclear_norm"], reference.nuclear_norm, "reference ‖·‖*");
            assert_eq!(r["converged"], reference.converged);
        }
        None => assert_keys(&json["references"], &[], "references"),
    }
    let stopped: Vec<_> = s
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.status.is_ok())
        .map(|(i, r)| (i, r.status))
        .collect();
    let not_converged = s.reference.solved().is_some_and(|r| !r.converged);
    let extra = usize::from(s.reference.is_skipped()) + usize::from(not_converged);
    assert_warnings(json, &[], &stopped, extra);
}

fn check_matrix_run(run: &Value, want: &MatrixRunSnapshot, what: &str) {
    let mut keys = vec![
        "optimizer",
        "label",
        "lr",
        "init_scale",
        "depth",
        "singular_values",
        "train_loss",
        "test_error",
        "nuclear_norm",
        "effective_rank",
        "status",
        "status_step",
    ];
    let options = want.optimizer.hyper_parameters();
    keys.extend(options.iter().map(|(name, _)| *name));
    assert_keys(run, &keys, what);
    assert_eq!(run["label"], want.optimizer.label(), "{what}.label");
    assert_eq!(run["optimizer"], want.optimizer.kind().name(), "{what}");
    assert_number(&run["lr"], want.optimizer.lr, &format!("{what}.lr"));
    assert_number(
        &run["init_scale"],
        want.init_scale,
        &format!("{what}.init_scale"),
    );
    assert_eq!(run["depth"], want.depth, "{what}.depth");
    assert_numbers(
        &run["singular_values"],
        &want.singular_values,
        &format!("{what}.singular_values"),
    );
    assert_number(
        &run["train_loss"],
        want.train_loss,
        &format!("{what}.train_loss"),
    );
    assert_number(
        &run["test_error"],
        want.test_error,
        &format!("{what}.test_error"),
    );
    assert_number(
        &run["nuclear_norm"],
        want.nuclear_norm,
        &format!("{what}.nuclear_norm"),
    );
    assert_number(
        &run["effective_rank"],
        want.effective_rank,
        &format!("{what}.effective_rank"),
    );
    assert_status(run, want.status, what);
}

fn check_diagonal_json(json: &Value, spec_title: &str, s: &DiagonalSnapshot) {
    assert_keys(
        json,
        &[
            "experiment",
            "title",
            "steps",
            "references",
            "warnings",
            "runs",
        ],
        "diagonal report",
    );
    assert_eq!(json["experiment"], "diagonal");
    assert_eq!(json["title"], spec_title);
    assert_eq!(json["steps"], STEPS);
    let present: Vec<(&str, &Vec<f64>)> = [
        ("min-l1", &s.references.min_l1),
        ("min-l2", &s.references.min_l2),
    ]
    .into_iter()
    .filter_map(|(name, r)| r.as_ref().ok().map(|w| (name, w)))
    .collect();
    let names: Vec<&str> = present.iter().map(|(name, _)| *name).collect();
    assert_keys(&json["references"], &names, "references");
    for (name, w) in &present {
        assert_numbers(&json["references"][name], w, &format!("references.{name}"));
    }
    let runs = json["runs"].as_array().expect("runs is a list");
    assert_eq!(runs.len(), s.runs.len());
    for (i, (run, want)) in runs.iter().zip(&s.runs).enumerate() {
        check_diagonal_run(run, want, &format!("run {}", i + 1));
    }
    let stopped: Vec<_> = s
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.status.is_ok())
        .map(|(i, r)| (i, r.status))
        .collect();
    // Shipped diagonal data interpolate: every reference exists, so the other warnings are
    // one per run whose step flipped a factor, each naming it.
    assert_eq!(names.len(), 2, "shipped diagonal data interpolate");
    let flipped: Vec<String> = s
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.effective.as_ref().is_some_and(|e| e.flipped.is_some()))
        .map(|(i, _)| format!("run {} (", i + 1))
        .collect();
    for run in &flipped {
        let said = json["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| {
                w.as_str()
                    .is_some_and(|w| w.starts_with(run) && w.contains("flipped"))
            });
        assert!(said, "a flip warning for {run}");
    }
    assert_warnings(json, &[], &stopped, flipped.len());
}

fn check_diagonal_run(run: &Value, want: &DiagonalRunSnapshot, what: &str) {
    let mut keys = vec![
        "optimizer",
        "label",
        "lr",
        "init_scale",
        "depth",
        "w",
        "train_loss",
        "l1_norm",
        "l2_norm",
        "implicit",
        "effective_alpha",
        "effective_delta",
        "effective_target",
        "distances",
        "status",
        "status_step",
    ];
    let options = want.optimizer.hyper_parameters();
    keys.extend(options.iter().map(|(name, _)| *name));
    assert_keys(run, &keys, what);
    assert_eq!(run["label"], want.label(), "{what}.label");
    assert_eq!(run["optimizer"], want.optimizer.kind().name(), "{what}");
    assert_number(&run["lr"], want.optimizer.lr, &format!("{what}.lr"));
    assert_number(
        &run["init_scale"],
        want.init_scale,
        &format!("{what}.init_scale"),
    );
    assert_eq!(run["depth"], want.depth, "{what}.depth");
    // A diverged run's computed numbers are null (NaN expects null) and its distances `{}`.
    let diverged = matches!(want.status, RunStatus::Diverged { .. });
    let shown = |v: f64| if diverged { f64::NAN } else { v };
    let w: Vec<f64> = want.w.iter().map(|&v| shown(v)).collect();
    assert_numbers(&run["w"], &w, &format!("{what}.w"));
    assert_number(
        &run["train_loss"],
        shown(want.train_loss),
        &format!("{what}.train_loss"),
    );
    assert_number(
        &run["l1_norm"],
        shown(want.l1_norm),
        &format!("{what}.l1_norm"),
    );
    assert_number(
        &run["l2_norm"],
        shown(want.l2_norm),
        &format!("{what}.l2_norm"),
    );
    let implicit = want.implicit.as_ref().expect("shipped data interpolate");
    assert_numbers(&run["implicit"], implicit, &format!("{what}.implicit"));
    check_effective(run, want, diverged, what);
    let distances = [
        ("min-l1", want.distances.min_l1),
        ("min-l2", want.distances.min_l2),
        ("implicit", want.distances.implicit),
        ("effective", want.distances.effective),
    ];
    let names: Vec<&str> = distances
        .iter()
        .filter(|(_, d)| d.is_some() && !diverged)
        .map(|(name, _)| *name)
        .collect();
    assert_keys(&run["distances"], &names, &format!("{what}.distances"));
    for (name, distance) in distances {
        if let (Some(d), false) = (distance, diverged) {
            assert_number(
                &run["distances"][name],
                d,
                &format!("{what}.distances.{name}"),
            );
        }
    }
    assert_status(run, want.status, what);
}

/// A diagonal run's effective-target keys: α∞, δ and the target where known, else null.
fn check_effective(run: &Value, want: &DiagonalRunSnapshot, diverged: bool, what: &str) {
    let shown = |v: f64| if diverged { f64::NAN } else { v };
    match &want.effective {
        Some(effective) => {
            let alpha: Vec<f64> = effective.alpha.iter().map(|&v| shown(v)).collect();
            assert_numbers(
                &run["effective_alpha"],
                &alpha,
                &format!("{what}.effective_alpha"),
            );
            let delta: Vec<f64> = effective.delta.iter().map(|&v| shown(v)).collect();
            assert_numbers(
                &run["effective_delta"],
                &delta,
                &format!("{what}.effective_delta"),
            );
            match (&effective.weights, diverged) {
                (Ok(target), false) => assert_numbers(
                    &run["effective_target"],
                    target,
                    &format!("{what}.effective_target"),
                ),
                _ => assert!(run["effective_target"].is_null(), "{what}.effective_target"),
            }
        }
        None => {
            for key in ["effective_alpha", "effective_delta", "effective_target"] {
                assert!(
                    run[key].is_null(),
                    "{what}.{key} without an effective target"
                );
            }
        }
    }
}

/// A trace cell read back: empty for a missing or non-finite value (the JSON's null), else
/// exactly the engine's bits.
fn assert_cell(cell: &str, expected: Option<f64>, what: &str) {
    match expected.filter(|v| v.is_finite()) {
        None => assert_eq!(cell, "", "{what}: a missing value is an empty cell"),
        Some(want) => {
            let got: f64 = cell
                .parse()
                .unwrap_or_else(|e| panic!("{what}: {cell:?} is not a number: {e}"));
            let same = got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
            assert!(same, "{what}: trace {cell} vs engine {want:?}");
        }
    }
}

/// The header the README documents, from the snapshot's shape.
fn expected_header(body: &SnapshotBody) -> String {
    let mut columns: Vec<String> = ["step", "run", "label", "optimizer"]
        .map(String::from)
        .to_vec();
    match body {
        SnapshotBody::Linear(s) => {
            columns.extend(["loss", "norm", "margin", "status"].map(String::from));
            columns.extend(
                s.references
                    .iter()
                    .map(|(n, _)| format!("angle_{}", n.name())),
            );
            columns.extend((1..=s.dim).map(|j| format!("w{j}")));
            if s.bias {
                columns.push("b".to_owned());
            }
            columns.extend((1..=s.dim).map(|j| format!("d{j}")));
        }
        SnapshotBody::Matrix(s) => {
            columns.extend(
                [
                    "train_loss",
                    "test_error",
                    "nuclear_norm",
                    "effective_rank",
                    "status",
                ]
                .map(String::from),
            );
            let count = s.runs[0].singular_values.len();
            columns.extend((1..=count).map(|j| format!("sigma{j}")));
        }
        SnapshotBody::Diagonal(_) => columns.extend(
            [
                "init_scale",
                "depth",
                "train_loss",
                "l1_norm",
                "l2_norm",
                "distance_min-l1",
                "distance_min-l2",
                "distance_implicit",
                "distance_effective",
                "effective_alpha_min",
                "effective_alpha_gmean",
                "effective_alpha_max",
                "status",
            ]
            .map(String::from),
        ),
        SnapshotBody::Network(s) => {
            columns
                .extend(["lr", "train_loss", "sharpness", "threshold", "status"].map(String::from));
            if s.runs.iter().any(|r| r.preconditioned_sharpness.is_some()) {
                columns.push("preconditioned_sharpness".to_owned());
            }
        }
    }
    columns.join(",")
}

/// A network trace row's label, status and numbers for run `index` at `step`: the sharpness
/// cells hold a measurement taken at this very step, else nothing.
fn network_row(
    s: &NetworkSnapshot,
    index: usize,
    step: u64,
) -> (String, RunStatus, Vec<Option<f64>>) {
    let run = &s.runs[index];
    let here = run.curvature.as_ref().filter(|e| e.step == step);
    let mut numbers = vec![
        Some(run.lr),
        Some(run.train_loss),
        here.map(|e| e.eigenvalues[0]),
        run.threshold,
    ];
    if s.runs.iter().any(|r| r.preconditioned_sharpness.is_some()) {
        numbers.push(here.and_then(|e| e.preconditioned));
    }
    (run.label.clone(), run.status, numbers)
}

/// One trace row against the engine's run `index` at the same step.
fn check_trace_row(cells: &[&str], body: &SnapshotBody, index: usize, what: &str) {
    let (label, status, numbers): (String, RunStatus, Vec<Option<f64>>) = match body {
        SnapshotBody::Linear(s) => {
            let run = &s.runs[index];
            let mut numbers = vec![Some(run.loss), Some(run.norm), Some(run.margin)];
            numbers.extend(s.references.iter().map(|(norm, _)| {
                run.angles
                    .iter()
                    .find(|(n, _)| n == norm)
                    .map(|(_, angle)| *angle)
            }));
            numbers.extend(run.weights.iter().map(|v| Some(*v)));
            numbers.extend(run.bias.map(Some));
            numbers.extend(run.direction.iter().map(|v| Some(*v)));
            (run.optimizer.label(), run.status, numbers)
        }
        SnapshotBody::Matrix(s) => {
            let run = &s.runs[index];
            let mut numbers = vec![
                Some(run.train_loss),
                Some(run.test_error),
                Some(run.nuclear_norm),
                Some(run.effective_rank),
            ];
            numbers.extend(run.singular_values.iter().map(|v| Some(*v)));
            (run.optimizer.label(), run.status, numbers)
        }
        SnapshotBody::Diagonal(s) => {
            let run = &s.runs[index];
            let mut numbers = vec![
                Some(run.init_scale),
                Some(f64::from(run.depth)),
                Some(run.train_loss),
                Some(run.l1_norm),
                Some(run.l2_norm),
                run.distances.min_l1,
                run.distances.min_l2,
                run.distances.implicit,
                run.distances.effective,
            ];
            // α∞'s minimum, geometric mean and maximum, recomputed here from the vector.
            let alpha = run.effective.as_ref().map(|e| e.alpha.clone());
            numbers.extend(match alpha {
                Some(alpha) => {
                    let mean =
                        (alpha.iter().map(|a| a.ln()).sum::<f64>() / alpha.len() as f64).exp();
                    [
                        Some(alpha.iter().copied().fold(f64::INFINITY, f64::min)),
                        Some(mean),
                        Some(alpha.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
                    ]
                }
                None => [None; 3],
            });
            (run.label(), run.status, numbers)
        }
        SnapshotBody::Network(s) => network_row(s, index, cells[0].parse().expect("a step")),
    };
    let status_column = match body {
        SnapshotBody::Linear(_) => 7,
        SnapshotBody::Matrix(_) | SnapshotBody::Network(_) => 8,
        SnapshotBody::Diagonal(_) => 16,
    };
    let optimizer = match body {
        SnapshotBody::Linear(s) => s.runs[index].optimizer.kind().name(),
        SnapshotBody::Matrix(s) => s.runs[index].optimizer.kind().name(),
        SnapshotBody::Diagonal(s) => s.runs[index].optimizer.kind().name(),
        SnapshotBody::Network(s) => s.runs[index].optimizer.kind().name(),
    };
    // A diverged run's computed numbers are all empty: none of them means anything (README);
    // what the preset gave (a diagonal run's init_scale and depth, a network run's lr, its
    // first ones) stays.
    let given = match body {
        SnapshotBody::Diagonal(_) => 2,
        SnapshotBody::Network(_) => 1,
        _ => 0,
    };
    let diverged = matches!(status, RunStatus::Diverged { .. });
    let numbers: Vec<Option<f64>> = numbers
        .into_iter()
        .enumerate()
        .map(|(k, n)| n.filter(|_| k < given || !diverged))
        .collect();
    assert_eq!(cells.len(), 4 + numbers.len() + 1, "{what}: column count");
    assert_eq!(cells[1], (index + 1).to_string(), "{what}: run");
    assert_eq!(cells[2], label, "{what}: label");
    assert_eq!(cells[3], optimizer, "{what}: optimizer");
    assert_eq!(cells[status_column], status.name(), "{what}: status");
    let number_cells = cells[4..]
        .iter()
        .enumerate()
        .filter(|(k, _)| k + 4 != status_column)
        .map(|(_, cell)| *cell);
    for (k, (cell, want)) in number_cells.zip(numbers).enumerate() {
        assert_cell(cell, want, &format!("{what}: column {}", k + 5));
    }
}

/// Replays the trace's steps on the engine and compares every row, then the final JSON.
fn check_preset(preset: &Path) {
    let name = preset.file_stem().unwrap().to_string_lossy().into_owned();
    let spec = implicit_bias::preset::load(preset).expect("a shipped preset loads");
    let title = spec.title.clone();
    let (json, trace) = run_binary(preset);
    let mut experiment = Experiment::new(spec);
    let mut lines = trace.lines();
    let header = lines.next().expect("a header");
    assert_eq!(
        header,
        expected_header(&experiment.snapshot().body),
        "{name}: header"
    );
    let mut steps_seen = vec![];
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    let mut snapshot = experiment.snapshot();
    let mut next_index = 0;
    for row in &rows {
        let step: u64 = row[0].parse().expect("the step is a whole number");
        if steps_seen.last() != Some(&step) {
            assert!(
                steps_seen.last().is_none_or(|&last| last < step),
                "{name}: steps go up"
            );
            assert!(step <= STEPS, "{name}: step {step} past the end");
            experiment.step(step - experiment.steps_done());
            snapshot = experiment.snapshot();
            steps_seen.push(step);
            next_index = 0;
        }
        check_trace_row(
            row,
            &snapshot.body,
            next_index,
            &format!("{name} step {step}"),
        );
        next_index += 1;
    }
    assert_eq!(
        steps_seen.first(),
        Some(&0),
        "{name}: the trace starts at step 0"
    );
    assert_eq!(
        steps_seen.last(),
        Some(&STEPS),
        "{name}: the trace ends at the last step"
    );
    assert!(steps_seen.len() > 10, "{name}: a log grid has many rows");
    let runs = match &snapshot.body {
        SnapshotBody::Linear(s) => s.runs.len(),
        SnapshotBody::Matrix(s) => s.runs.len(),
        SnapshotBody::Diagonal(s) => s.runs.len(),
        SnapshotBody::Network(s) => s.runs.len(),
    };
    assert_eq!(
        rows.len(),
        steps_seen.len() * runs,
        "{name}: one row per run per step"
    );
    match &snapshot.body {
        SnapshotBody::Linear(s) => check_linear_json(&json, &title, s),
        SnapshotBody::Matrix(s) => check_matrix_json(&json, &title, s),
        SnapshotBody::Diagonal(s) => check_diagonal_json(&json, &title, s),
        SnapshotBody::Network(s) => check_network_json(&json, &title, s),
    }
}

/// The network JSON: the documented keys per run, each number the engine's.
fn check_network_json(json: &Value, spec_title: &str, s: &NetworkSnapshot) {
    assert_eq!(json["experiment"], "network");
    assert_eq!(json["title"], spec_title);
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), s.runs.len());
    for (run, want) in runs.iter().zip(&s.runs) {
        let what = format!("{spec_title} {}", want.label);
        assert_eq!(run["optimizer"], want.optimizer.kind().name(), "{what}");
        assert_eq!(run["label"], want.label.as_str(), "{what}");
        assert_number(&run["lr"], want.lr, &format!("{what} lr"));
        assert_number(&run["train_loss"], want.train_loss, &format!("{what} loss"));
        assert_number(
            &run["sharpness"],
            want.sharpness,
            &format!("{what} sharpness"),
        );
        match want.threshold {
            Some(t) => assert_number(&run["threshold"], t, &format!("{what} threshold")),
            None => assert!(run["threshold"].is_null(), "{what}"),
        }
        assert_eq!(
            run.get("preconditioned_sharpness").is_some(),
            want.preconditioned_sharpness.is_some(),
            "{what}: preconditioned_sharpness only for Adam and RMSprop"
        );
        assert_status(run, want.status, &what);
    }
}

#[test]
fn every_preset_s_json_and_trace_are_the_engine_s_numbers() {
    for preset in shipped_presets() {
        check_preset(&preset);
    }
}
