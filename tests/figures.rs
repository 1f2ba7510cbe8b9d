//! Figures: the experiment's SVG (linear, matrix and diagonal) and `plot`'s lines and heat map parse as
//! XML and hold what they promise, counted element by element: one trajectory line per run (plus
//! its legend sample), one hollow start point per run, one filled arrow head per reference; for
//! the heat map one panel per run titled with its label and one cell per (x, y) pair coloured by
//! the mean over its seeds; for lines the means (computed here from the CSV) sorted by x, the
//! min–max band, and a key outside the plotting area. Rows of different set-ups in one cell are
//! refused with the column's values, and `--where` keeps one.

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

/// [`plot`] that must succeed (the stderr is the failure's message): the SVG it wrote.
fn plot_ok(dir: &Path, csv: &str, args: &[&str]) -> String {
    let (output, svg) = plot(dir, csv, args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    svg.expect("the figure is written")
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
    let svg = plot_ok(
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
    let svg = plot_ok(
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

/// The texts of the SVG, trimmed.
fn texts<'a>(doc: &'a roxmltree::Document<'_>) -> Vec<&'a str> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect()
}

/// Points of a `points="x,y x,y "` attribute.
fn points(node: roxmltree::Node<'_, '_>) -> Vec<(f64, f64)> {
    node.attribute("points")
        .unwrap_or_default()
        .split_whitespace()
        .map(|pair| {
            let (x, y) = pair.split_once(',').expect("x,y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// A two-run sweep as `sweep` writes it: axes data.n and data.noise, three seeds. test_error is
/// n/10 + 4·noise + seed/10 for run 1 (gd) and the same plus 10 for run 2 (adam), so run 1 holds
/// the least cell mean and run 2 the largest.
fn two_run_csv() -> String {
    let mut csv = String::from(
        "point,data.n,data.noise,seed,run,label,optimizer,lr,test_error,status,status_step\n",
    );
    let mut point = 0;
    for n in [10, 20] {
        for noise in [0.0, 0.5] {
            for seed in [1, 2, 3] {
                for (run, label, optimizer, lr) in [
                    (1, "gd lr=0.1", "gd", 0.1),
                    (2, "adam lr=0.01", "adam", 0.01),
                ] {
                    let error = f64::from(n) / 10.0
                        + 4.0 * noise
                        + f64::from(seed) / 10.0
                        + if run == 2 { 10.0 } else { 0.0 };
                    writeln!(
                        csv,
                        "{point},{n},{noise},{seed},{run},{label},{optimizer},{lr},{error},ok,"
                    )
                    .unwrap();
                }
                point += 1;
            }
        }
    }
    csv
}

/// Filled rectangles of the heat map that are not the white background, as (x, fill).
fn cells(doc: &roxmltree::Document<'_>) -> Vec<(f64, String)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| n.attribute("fill").is_some_and(|f| f != "#FFFFFF"))
        .map(|n| {
            (
                n.attribute("x").unwrap().parse().unwrap(),
                n.attribute("fill").unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_two_run_heat_map_draws_a_panel_per_run_on_one_colour_scale() {
    let dir = temp_dir("panels");
    let svg = plot_ok(
        &dir,
        &two_run_csv(),
        &[
            "--x",
            "data.n",
            "--y",
            "data.noise",
            "--value",
            "test_error",
        ],
    );
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let texts = texts(&doc);
    // Each panel is titled with its run and label; the runs' other columns (optimizer, lr)
    // tell them apart too.
    let title = |run: &str| texts.iter().filter(|t| t.starts_with(run)).count();
    assert_eq!(title("run 1: gd lr=0.1"), 1, "{texts:?}");
    assert_eq!(title("run 2: adam lr=0.01"), 1, "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("mean over 3 seeds")),
        "{texts:?}"
    );
    let cells = cells(&doc);
    assert_eq!(
        cells.len(),
        2 * 4 + 64,
        "four cells a panel and the legend's 64 bars"
    );
    // One scale: the least mean (run 1, n 10, noise 0) and the largest (run 2, n 20, noise 0.5)
    // take the ramp's two ends, in the left and the right panel.
    let least: Vec<_> = cells.iter().filter(|c| c.1 == "#440154").collect();
    let largest: Vec<_> = cells.iter().filter(|c| c.1 == "#FDE725").collect();
    assert_eq!((least.len(), largest.len()), (1, 1));
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        least[0].0 < width / 3.0 && largest[0].0 > width / 3.0,
        "{least:?} {largest:?}"
    );
}

#[test]
fn where_keeps_one_run_and_one_panel() {
    let dir = temp_dir("where");
    let svg = plot_ok(
        &dir,
        &two_run_csv(),
        &[
            "--x",
            "data.n",
            "--y",
            "data.noise",
            "--value",
            "test_error",
            "--where",
            "run=2",
        ],
    );
    let doc = roxmltree::Document::parse(&svg).expect("XML");
    let texts = texts(&doc);
    assert!(texts.contains(&"run 2: adam lr=0.01"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.starts_with("run 1")), "{texts:?}");
    assert_eq!(cells(&doc).len(), 4 + 64);
    // A number matches numerically; a value no row has lists the column's values.
    let (output, _) = plot(
        &dir,
        &two_run_csv(),
        &[
            "--x",
            "data.n",
            "--y",
            "test_error",
            "--where",
            "data.noise=5e-1",
            "--where",
            "run=1",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (output, _) = plot(
        &dir,
        &two_run_csv(),
        &[
            "--x",
            "data.n",
            "--y",
            "test_error",
            "--where",
            "data.noise=0.25",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "sweep.csv: --where data.noise=0.25: no row has that value; the rows have \
             data.noise = 0, 0.5"
        ),
        "{stderr}"
    );
    let (output, _) = plot(
        &dir,
        &two_run_csv(),
        &["--x", "data.n", "--y", "test_error", "--where", "runn=1"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--where runn: no such column (did you mean `run`?)"),
        "{stderr}"
    );
}

#[test]
fn rows_of_different_set_ups_in_one_cell_are_refused_with_the_column_and_its_values() {
    let dir = temp_dir("mixing");
    // data.noise is neither drawn nor a repeat: a cell over (n, seed) would average both noises.
    let (output, svg) = plot(
        &dir,
        &two_run_csv(),
        &["--x", "data.n", "--y", "seed", "--value", "test_error"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(svg.is_none(), "nothing is written");
    assert!(
        stderr.contains(
            "would average different set-ups (data.noise = 0, 0.5); keep one with --where \
             data.noise=0, or put data.noise on --x or --y (data.noise takes 0, 0.5)"
        ),
        "{stderr}"
    );
    // Lines grouped by status (`ok` everywhere) would put both runs on one line: refused,
    // naming run.
    let (output, _) = plot(
        &dir,
        &two_run_csv(),
        &[
            "--x",
            "data.n",
            "--y",
            "test_error",
            "--group",
            "status",
            "--where",
            "data.noise=0",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "(run = 1, 2); keep one with --where run=1, or draw a line each with --group run"
        ),
        "{stderr}"
    );
}

/// Lines data, rows in shuffled x order: at each n the three seeds give y values whose mean,
/// least and largest differ from their median and from file order. Run 2 is run 1 plus 10.
const LINE_VALUES: [(u32, [f64; 3]); 4] = [
    (30, [3.0, 3.0, 3.0]),
    (10, [1.0, 4.0, 1.0]),
    (40, [9.0, 0.0, 6.0]),
    (20, [5.0, 2.0, 5.0]),
];

fn lines_csv() -> String {
    let mut csv = String::from("point,data.n,seed,run,label,test_error\n");
    for (k, (n, ys)) in LINE_VALUES.iter().enumerate() {
        for (s, y) in ys.iter().enumerate() {
            for run in [1, 2] {
                let y = y + if run == 2 { 10.0 } else { 0.0 };
                writeln!(csv, "{},{n},{s},{run},r{run},{y}", 3 * k + s).unwrap();
            }
        }
    }
    csv
}

#[test]
fn lines_go_through_the_means_sorted_by_x_over_a_min_max_band_with_the_key_outside() {
    let dir = temp_dir("means");
    let svg = plot_ok(&dir, &lines_csv(), &["--x", "data.n", "--y", "test_error"]);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    // Expected from the table, sorted by n: (n, mean, least, largest) for run 1.
    let mut expected: Vec<(f64, f64, f64, f64)> = LINE_VALUES
        .iter()
        .map(|(n, ys)| {
            let mean = ys.iter().sum::<f64>() / 3.0;
            let least = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let largest = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (f64::from(*n), mean, least, largest)
        })
        .collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Pixels are whole numbers: y in pixels is affine in the value, checked to 1.5 px.
    let mut pixel_of = None;
    for run in 0..2 {
        let colour = hex(run_hue(run));
        let shift = 10.0 * run as f64;
        let line = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&colour))
            .map(points)
            .find(|p| p.len() == 4)
            .expect("the mean line: one point per n");
        assert!(
            line.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted by x: {line:?}"
        );
        let (first, last) = (line[0], line[3]);
        let (m0, m3) = (expected[0].1 + shift, expected[3].1 + shift);
        let to_pixel = *pixel_of.get_or_insert_with(|| {
            let slope = (last.1 - first.1) / (m3 - m0);
            (first.1 - slope * m0, slope)
        });
        let at = |v: f64| to_pixel.0 + to_pixel.1 * v;
        for (point, (_, mean, _, _)) in line.iter().zip(&expected) {
            assert!(
                (point.1 - at(mean + shift)).abs() < 1.5,
                "run {run}: {line:?} vs means"
            );
        }
        let band: Vec<(f64, f64)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polygon") && n.attribute("fill") == Some(&colour))
            .map(points)
            .next()
            .expect("the band");
        assert_eq!(band.len(), 8, "up along the largest, back along the least");
        for (k, (_, _, least, largest)) in expected.iter().enumerate() {
            assert!((band[k].1 - at(largest + shift)).abs() < 1.5, "{band:?}");
            assert!((band[7 - k].1 - at(least + shift)).abs() < 1.5, "{band:?}");
        }
    }
    // The plotting area is what the mesh and the axes span; the key lies wholly right of it.
    let area_right = doc
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .flat_map(|n| ["x1", "x2"].map(|a| n.attribute(a).unwrap().parse::<f64>().unwrap()))
        .fold(f64::NEG_INFINITY, f64::max);
    let key: Vec<roxmltree::Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter(|n| {
            n.text()
                .is_some_and(|t| t.contains("run ") || t.contains("min–max over"))
        })
        .collect();
    assert_eq!(key.len(), 3, "two runs and the band");
    for node in key {
        let x: f64 = node.attribute("x").unwrap().parse().unwrap();
        assert_eq!(node.attribute("text-anchor"), Some("start"));
        assert!(
            x > area_right,
            "{:?} at x {x} is inside the area (right edge {area_right})",
            node.text()
        );
    }
    let samples = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(&hex(run_hue(0))))
        .map(points)
        .filter(|p| p.len() == 2)
        .collect::<Vec<_>>();
    assert_eq!(samples.len(), 1, "one key sample");
    assert!(samples[0].iter().all(|p| p.0 > area_right), "{samples:?}");
    assert!(texts(&doc).iter().any(|t| t.contains("mean over 3 seeds")));
}
