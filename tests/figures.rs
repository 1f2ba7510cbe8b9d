//! Figures: the experiment's SVG (linear, matrix and diagonal) and `plot`'s lines and heat map parse as
//! XML and hold what they promise, counted element by element: one trajectory line per run (plus
//! its legend sample), one hollow start point per run, one filled arrow head per reference, and
//! for the heat map one cell per (x, y) pair coloured by the mean over its rows.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use implicit_bias::core::experiment::{Experiment, SnapshotBody};
use implicit_bias::figure::experiment_svg;
use implicit_bias::palette::{Hue, reference_hue, run_hue};
use implicit_bias::preset;

const BIN: &str = env!("CARGO_BIN_EXE_implicit-bias");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn hex(hue: Hue) -> String {
    let (r, g, b) = hue.print_rgb();
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// Elements named `tag` whose attribute `attribute` is `value`.
fn count(doc: &roxmltree::Document<'_>, tag: &str, attribute: &str, value: &str) -> usize {
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attribute) == Some(value))
        .count()
}

fn svg_of(name: &str, steps: u64) -> (String, Experiment) {
    let spec = preset::load(&root().join(format!("presets/{name}.toml"))).expect("loads");
    let title = spec.title.clone();
    let mut experiment = Experiment::new(spec);
    experiment.step(steps);
    (
        experiment_svg(&experiment.snapshot(), &title).expect("draws"),
        experiment,
    )
}

#[test]
fn the_linear_figure_has_a_line_and_a_start_per_run_and_a_head_per_reference() {
    let (svg, experiment) = svg_of("geometry", 2000);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let SnapshotBody::Linear(s) = experiment.snapshot().body else {
        panic!("geometry is linear")
    };
    for i in 0..s.runs.len() {
        let color = hex(run_hue(i));
        // The trajectory and its legend sample.
        assert_eq!(count(&doc, "polyline", "stroke", &color), 2, "run {i}");
        let hollow = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .filter(|n| {
                n.attribute("stroke") == Some(&color) && n.attribute("fill") == Some("none")
            })
            .count();
        assert_eq!(hollow, 1, "one start point for run {i}");
    }
    let references: Vec<_> = s.references.iter().filter(|(_, r)| r.is_ok()).collect();
    assert!(!references.is_empty());
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .count(),
        references.len(),
        "one arrow head per reference"
    );
    for (norm, _) in references {
        assert_eq!(
            count(&doc, "polygon", "fill", &hex(reference_hue(*norm))),
            1
        );
    }
    let texts: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(texts.iter().any(|t| t.contains("step 2000")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("1 gd lr=0.1")),
        "legend labels: {texts:?}"
    );
    assert!(
        texts.contains(&"ℓ2") && texts.contains(&"ℓ1"),
        "reference names: {texts:?}"
    );
}

#[test]
fn the_matrix_figure_has_each_run_in_its_colour_and_the_reference_levels() {
    let (svg, _) = svg_of("large-init", 400);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    for i in 0..2 {
        assert!(
            count(&doc, "polyline", "stroke", &hex(run_hue(i))) >= 2,
            "run {i}"
        );
    }
    assert!(
        count(&doc, "polyline", "stroke", &hex(Hue::Red)) >= 2,
        "dashed reference level"
    );
    let texts: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("min-nuclear-norm")),
        "{texts:?}"
    );
}

#[test]
fn the_diagonal_figure_has_a_path_per_run_per_panel_and_the_references() {
    // kernel-vs-rich at 3,000 steps: 100 coordinates of which 40 are drawn; min-ℓ1 has 3
    // nonzeros (the planted support), min-ℓ2 is dense. Counted independently from the snapshot.
    let (svg, experiment) = svg_of("kernel-vs-rich", 3000);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let SnapshotBody::Diagonal(s) = experiment.snapshot().body else {
        panic!("kernel-vs-rich is diagonal")
    };
    let shown = s.dim.min(40);
    for i in 0..s.runs.len() {
        // Its coordinates (left), its ‖w‖₁ path (right) and its legend sample.
        assert_eq!(
            count(&doc, "polyline", "stroke", &hex(run_hue(i))),
            3,
            "run {i}"
        );
    }
    let order = s.coordinate_order();
    let l1 = s.references.min_l1.as_ref().expect("min-ℓ1 exists");
    let support = order[..shown].iter().filter(|&&j| l1[j] != 0.0).count();
    assert_eq!(support, 3, "the planted support leads the order");
    // One dot per stem and one per drawn coordinate of min-ℓ2, plus each legend marker.
    assert_eq!(
        count(&doc, "circle", "fill", &hex(Hue::LightGreen)),
        support + 1
    );
    assert_eq!(
        count(&doc, "circle", "fill", &hex(Hue::LightRed)),
        shown + 1
    );
    // The stems, and the dashed min-ℓ1 level (several dashes).
    assert!(count(&doc, "polyline", "stroke", &hex(Hue::LightGreen)) > support + 2);
    let texts: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(texts.iter().any(|t| t.contains("step 3000")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("3 gd lr=0.0005 α=1 D=2")),
        "legend labels: {texts:?}"
    );
    let level: f64 = l1.iter().map(|v| v.abs()).sum();
    assert!(
        texts.contains(&format!("min-ℓ1: ‖w‖₁ = {level:.3}").as_str()),
        "the min-ℓ1 level, labelled: {texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("largest |min-ℓ1| first")),
        "{texts:?}"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ib-figures-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn plot(dir: &Path, csv: &str, args: &[&str]) -> (Output, Option<String>) {
    let input = dir.join("sweep.csv");
    std::fs::write(&input, csv).unwrap();
    let output_path = dir.join("plot.svg");
    let _ = std::fs::remove_file(&output_path);
    let output = Command::new(BIN)
        .arg("plot")
        .arg(&input)
        .args(args)
        .arg("--svg")
        .arg(&output_path)
        .output()
        .expect("runs");
    (output, std::fs::read_to_string(&output_path).ok())
}

/// A sweep over lr × init_scale, two seeds each: test_error = (lr index + 3 · scale index) +
/// seed / 10, so the six cell means are evenly spread and distinct.
fn sweep_csv() -> String {
    let mut csv = String::from("point,model.init_scale,lr,seed,run,label,test_error,status\n");
    let mut point = 0;
    for (k, scale) in [0.001, 0.5].into_iter().enumerate() {
        for (j, lr) in [0.001, 0.01, 0.1].into_iter().enumerate() {
            for seed in [1, 2] {
                point += 1;
                let error = (j + 3 * k) as f64 + f64::from(seed) / 10.0;
                writeln!(
                    csv,
                    "{point},{scale},{lr},{seed},1,\"gd, scale {scale}\",{error},ok"
                )
                .unwrap();
            }
        }
    }
    csv
}

#[test]
fn plot_draws_one_line_per_group() {
    let dir = temp_dir("lines");
    let (output, svg) = plot(
        &dir,
        &sweep_csv(),
        &[
            "--x",
            "lr",
            "--y",
            "test_error",
            "--group",
            "model.init_scale",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = svg.expect("written");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    for i in 0..2 {
        assert_eq!(
            count(&doc, "polyline", "stroke", &hex(run_hue(i))),
            2,
            "group {i}"
        );
    }
    assert_eq!(
        count(&doc, "polyline", "stroke", &hex(run_hue(2))),
        0,
        "only two groups"
    );
}

#[test]
fn plot_draws_a_heat_map_of_means_with_a_colour_legend() {
    let dir = temp_dir("heat");
    let (output, svg) = plot(
        &dir,
        &sweep_csv(),
        &[
            "--x",
            "lr",
            "--y",
            "model.init_scale",
            "--value",
            "test_error",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = svg.expect("written");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    // The ramp's two ends: the largest mean (lr 0.1, scale 0.5) and the smallest (0.001, 0.001)
    // get exactly one cell each; the legend's 64 bars sit strictly between the ends.
    assert_eq!(count(&doc, "rect", "fill", "#FDE725"), 1);
    assert_eq!(count(&doc, "rect", "fill", "#440154"), 1);
    let filled = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") != Some("#FFFFFF"))
        .count();
    assert_eq!(filled, 6 + 64, "six cells and the legend's bars");
}

#[test]
fn plot_errors_name_the_column_the_line_and_the_fix() {
    let dir = temp_dir("errors");
    let (output, _) = plot(&dir, &sweep_csv(), &["--x", "lrr", "--y", "test_error"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("--x lrr: no such column (did you mean `lr`?)"),
        "{stderr}"
    );
    let (output, _) = plot(&dir, &sweep_csv(), &["--x", "lr", "--y", "status"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sweep.csv:2: --y status: `ok` is not a number"),
        "{stderr}"
    );
    let (output, _) = plot(&dir, "", &["--x", "lr", "--y", "test_error"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the file is empty"), "{stderr}");
    let (output, _) = plot(&dir, "lr,test_error\n", &["--x", "lr", "--y", "test_error"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a header and no rows"), "{stderr}");
}
