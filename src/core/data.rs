//! Datasets: seeded Gaussian clusters and low-rank matrices, or CSV files a user brings.
//!
//! Everything here is deterministic for a seed, and every CSV problem is reported with the file,
//! the line and the cell, because users replay their own data through the tool and need to know
//! exactly which cell to fix.

use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal, Uniform};

/// Largest number of labelled points or matrix cells we accept, so a typo cannot exhaust memory.
pub const MAX_CELLS: usize = 4_000_000;
/// Largest CSV file we read, for the same reason.
pub const MAX_CSV_BYTES: u64 = 256 * 1024 * 1024;

/// Labelled points for a linear classifier, stored row-major for a tight gradient loop.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearData {
    /// Number of features per point (d ≥ 1).
    pub dim: usize,
    /// Row-major n × d feature matrix.
    pub points: Vec<f64>,
    /// One label per point, each exactly −1 or +1.
    pub labels: Vec<f64>,
}

impl LinearData {
    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Point `i` as a slice of `dim` features.
    #[must_use]
    pub fn point(&self, i: usize) -> &[f64] {
        &self.points[i * self.dim..(i + 1) * self.dim]
    }

    /// Row-major rows zᵢ = yᵢ·xᵢ (with a trailing yᵢ when the model has a bias), so that the
    /// margin of point i is simply ⟨θ, zᵢ⟩ for the parameter vector θ.
    #[must_use]
    pub fn signed_rows(&self, bias: bool) -> Vec<f64> {
        let width = self.dim + usize::from(bias);
        let mut rows = Vec::with_capacity(self.len() * width);
        for (i, &y) in self.labels.iter().enumerate() {
            rows.extend(self.point(i).iter().map(|&x| y * x));
            if bias {
                rows.push(y);
            }
        }
        rows
    }
}

/// A matrix-completion problem: the full target M* and the 0/1 mask of observed entries.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixData {
    /// The ground-truth matrix M*.
    pub target: DMatrix<f64>,
    /// 1.0 where an entry is observed, 0.0 where it is held out for the test error.
    pub mask: DMatrix<f64>,
}

/// A problem with a data file or with generated-data parameters, named precisely for the user:
/// `file:line: message`, as far as they are known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", located(path.as_deref(), *line))]
pub struct DataError {
    /// The file at fault, when the data came from a file.
    pub path: Option<PathBuf>,
    /// 1-based line in that file, when one line is at fault.
    pub line: Option<usize>,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl DataError {
    fn file(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            path: Some(path.to_path_buf()),
            line,
            message: message.into(),
        }
    }
}

/// `file:line: `, `file: ` or nothing: where an error is, before what it is.
fn located(path: Option<&Path>, line: Option<usize>) -> String {
    match (path, line) {
        (Some(path), Some(line)) => format!("{}:{line}: ", path.display()),
        (Some(path), None) => format!("{}: ", path.display()),
        _ => String::new(),
    }
}

/// Two Gaussian clouds: `per_class` points around `center` labelled +1 and `per_class` around
/// `−center` labelled −1, each coordinate with standard deviation `spread`. The positive class
/// comes first, as in the article.
#[must_use]
pub fn gaussian_clusters(per_class: usize, spread: f64, center: &[f64], seed: u64) -> LinearData {
    let mut rng = StdRng::seed_from_u64(seed);
    let dim = center.len();
    let mut points = Vec::with_capacity(2 * per_class * dim);
    let mut labels = Vec::with_capacity(2 * per_class);
    for sign in [1.0, -1.0] {
        for _ in 0..per_class {
            for &c in center {
                let noise: f64 = StandardNormal.sample(&mut rng);
                points.push(noise * spread + sign * c);
            }
            labels.push(sign);
        }
    }
    LinearData {
        dim,
        points,
        labels,
    }
}

/// A seeded rank-`rank` `size`×`size` matrix U Vᵀ (standard normal factors) and a mask that
/// observes each entry independently with probability `observed`.
///
/// # Panics
/// Never: the only `expect` is on the constant range 0..1.
#[must_use]
pub fn low_rank(size: usize, rank: usize, observed: f64, seed: u64) -> MatrixData {
    let mut rng = StdRng::seed_from_u64(seed);
    let left = gaussian_matrix(size, rank, 1.0, &mut rng);
    let right = gaussian_matrix(size, rank, 1.0, &mut rng);
    let target = &left * right.transpose();
    let uniform = Uniform::new(0.0, 1.0).expect("0 < 1 is a valid range");
    let mask = DMatrix::from_fn(size, size, |_, _| {
        if uniform.sample(&mut rng) < observed {
            1.0
        } else {
            0.0
        }
    });
    MatrixData { target, mask }
}

/// A `rows`×`cols` matrix of independent N(0, scale²) entries, filled row by row.
pub fn gaussian_matrix(rows: usize, cols: usize, scale: f64, rng: &mut StdRng) -> DMatrix<f64> {
    let values: Vec<f64> = (0..rows * cols)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            z * scale
        })
        .collect();
    DMatrix::from_row_slice(rows, cols, &values)
}

/// Reads a whole CSV file as text, refusing missing, oversized, binary or empty files.
fn read_csv_text(path: &Path) -> Result<String, DataError> {
    let unreadable = |e: std::io::Error| {
        let message = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            format!("cannot read the file: {e}")
        };
        DataError::file(path, None, message)
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(DataError::file(path, None, "is a folder; give a CSV file"));
    }
    if meta.len() > MAX_CSV_BYTES {
        return Err(DataError::file(
            path,
            None,
            format!(
                "file is {} bytes; at most {MAX_CSV_BYTES} are accepted",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        DataError::file(
            path,
            None,
            "not a text file (invalid UTF-8); expected a CSV of numbers",
        )
    })?;
    if text.trim().is_empty() {
        return Err(DataError::file(
            path,
            None,
            "the file is empty; expected CSV rows of numbers",
        ));
    }
    Ok(text)
}

/// Non-blank lines with their 1-based line numbers (a trailing blank line is common and fine).
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_start_matches('\u{feff}').trim()))
        .filter(|(_, line)| !line.is_empty())
}

/// At most 40 characters of `text`, so a pasted megabyte cannot flood the terminal.
pub(crate) fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// Refuses a row holding a `;`, which no number has: the file was most likely saved with
/// semicolons between cells (and maybe decimal commas), as some spreadsheets do, and naming that
/// helps more than "'1;2;1' is not a number".
fn refuse_semicolons(path: &Path, line: usize, row: &str) -> Result<(), DataError> {
    if row.contains(';') {
        return Err(DataError::file(
            path,
            Some(line),
            "the file looks semicolon-separated; use commas between cells \
             (and a dot for decimals: 0.5, not 0,5)",
        ));
    }
    Ok(())
}

/// Parses one CSV cell as a finite number, naming the line and column when it is not one.
fn parse_cell(path: &Path, line: usize, column: usize, cell: &str) -> Result<f64, DataError> {
    let cell = cell.trim();
    let error = |message: String| DataError::file(path, Some(line), message);
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(error(format!(
            "column {column}: '{cell}' is not finite; use a finite number"
        ))),
        Err(_) if cell.is_empty() => Err(error(format!(
            "column {column}: the cell is empty; use a number, e.g. 0.5"
        ))),
        Err(_) => Err(error(format!(
            "column {column}: '{}' is not a number; use one like -1.5 or 2e-3",
            shorten(cell)
        ))),
    }
}

/// Parses one CSV row into `values`, checking its length against `expected` (when known) before
/// anything is stored and the running total against [`MAX_CELLS`], so that a single gigantic
/// line cannot exhaust memory. Returns the number of cells.
fn parse_row(
    path: &Path,
    line: usize,
    row: &str,
    expected: Option<(usize, &str)>,
    values: &mut Vec<f64>,
) -> Result<usize, DataError> {
    refuse_semicolons(path, line, row)?;
    let cells = row.split(',').count();
    if let Some((wanted, what)) = expected
        && cells != wanted
    {
        return Err(DataError::file(
            path,
            Some(line),
            format!("{cells} cells, but {what} has {wanted}; every row needs {wanted}"),
        ));
    }
    if values.len() + cells > MAX_CELLS {
        return Err(DataError::file(
            path,
            Some(line),
            format!("more than {MAX_CELLS} cells in all; use a smaller data set"),
        ));
    }
    for (column, cell) in row.split(',').enumerate() {
        values.push(parse_cell(path, line, column + 1, cell)?);
    }
    Ok(cells)
}

/// The last column of a feature table: its header name and how messages describe it.
struct LastColumn {
    /// The header name, matched without case: `label`, `y`.
    name: &'static str,
    /// What the header error calls it: "a label column".
    described: &'static str,
    /// A data row to suggest when there is none: `1.0,2.0,1`.
    example_row: &'static str,
}

/// Reads a CSV `x1,...,xd,LAST` (d ≥ 1): the features row-major and the last column, with
/// `check_last(line, row, value)` refusing a bad last value. One reader for labelled points
/// and regression targets, so both files get the same header, semicolon, size and row checks.
fn read_feature_table(
    path: &Path,
    last: &LastColumn,
    check_last: impl Fn(usize, &str, f64) -> Result<(), DataError>,
) -> Result<(usize, Vec<f64>, Vec<f64>), DataError> {
    let text = read_csv_text(path)?;
    let mut lines = numbered_lines(&text);
    let Some((header_line, header)) = lines.next() else {
        return Err(DataError::file(
            path,
            None,
            "the file is empty; expected CSV rows of numbers",
        ));
    };
    refuse_semicolons(path, header_line, header)?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    if names.iter().all(|n| n.parse::<f64>().is_ok()) {
        return Err(DataError::file(
            path,
            Some(header_line),
            format!(
                "the first line holds numbers, not the header; add a first line x1,...,xd,{}",
                last.name
            ),
        ));
    }
    if names.len() < 2
        || !names
            .last()
            .is_some_and(|n| n.eq_ignore_ascii_case(last.name))
    {
        return Err(DataError::file(
            path,
            Some(header_line),
            format!(
                "header '{}' must be x1,...,xd,{} (features, then {})",
                shorten(header),
                last.name,
                last.described
            ),
        ));
    }
    let dim = names.len() - 1;
    let mut points = Vec::new();
    let mut values = Vec::new();
    let mut row_values = Vec::with_capacity(dim + 1);
    for (line, row) in lines {
        row_values.clear();
        if points.len() + dim > MAX_CELLS {
            return Err(DataError::file(
                path,
                Some(line),
                format!("more than {MAX_CELLS} feature cells; use a smaller data set"),
            ));
        }
        parse_row(
            path,
            line,
            row,
            Some((dim + 1, "the header")),
            &mut row_values,
        )?;
        check_last(line, row, row_values[dim])?;
        points.extend_from_slice(&row_values[..dim]);
        values.push(row_values[dim]);
    }
    if values.is_empty() {
        return Err(DataError::file(
            path,
            None,
            format!(
                "no data rows after the header; add rows like {}",
                last.example_row
            ),
        ));
    }
    Ok((dim, points, values))
}

/// Loads labelled points from a CSV with header `x1,...,xd,label` (d ≥ 1, labels −1 or 1).
///
/// # Errors
/// Names the file and line for a missing file, a bad header, ragged rows, non-numeric cells,
/// labels other than ±1, or too many points.
pub fn load_labelled_csv(path: &Path) -> Result<LinearData, DataError> {
    let last = LastColumn {
        name: "label",
        described: "a label column",
        example_row: "1.0,2.0,1",
    };
    let (dim, points, labels) = read_feature_table(path, &last, |line, row, label| {
        if label == 1.0 || label == -1.0 {
            return Ok(());
        }
        let written = row.rsplit(',').next().unwrap_or_default().trim();
        Err(DataError::file(
            path,
            Some(line),
            format!(
                "column {}: label '{}' must be -1 or 1",
                row.split(',').count(),
                shorten(written)
            ),
        ))
    })?;
    Ok(LinearData {
        dim,
        points,
        labels,
    })
}

/// A regression problem with (typically) more features than points: y ≈ X w, for the diagonal
/// networks. X is stored row-major, like [`LinearData`], for a tight gradient loop.
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionData {
    /// Number of features d ≥ 1.
    pub dim: usize,
    /// Row-major n × d design matrix X.
    pub points: Vec<f64>,
    /// One target per point.
    pub targets: Vec<f64>,
    /// The planted w* the targets were generated from, when the data are synthetic.
    pub planted: Option<Vec<f64>>,
}

impl RegressionData {
    /// Number of points n.
    #[must_use]
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True when there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Row i of X as a slice of `dim` features.
    #[must_use]
    pub fn point(&self, i: usize) -> &[f64] {
        &self.points[i * self.dim..(i + 1) * self.dim]
    }

    /// X as an n × d matrix, for the references' factorisations.
    #[must_use]
    pub fn design(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.len(), self.dim, &self.points)
    }
}

/// A seeded sparse regression problem: X with independent N(0, 1) entries, a planted w* with
/// `nonzeros` entries on a uniformly random support, each +1 or −1 with equal odds, and
/// y = X w* + `noise`·N(0, 1). Equal magnitudes keep every planted coordinate equally visible
/// (a N(0, 1) value can be tiny and read as "missed"), and |w*ᵢ| = 1 puts the two regimes of a
/// diagonal network at round init scales: α = 1 is large (|w*ᵢ| < 2α², the kernel regime ends
/// near the least-ℓ2 fit) and α = 0.01 small (|w*ᵢ| ≫ 2α², the rich regime ends near least-ℓ1).
///
/// # Panics
/// Never for `nonzeros` ≤ `features`; the preset check guarantees it.
#[must_use]
pub fn sparse_regression(
    points: usize,
    features: usize,
    nonzeros: usize,
    noise: f64,
    seed: u64,
) -> RegressionData {
    let mut rng = StdRng::seed_from_u64(seed);
    let design = gaussian_matrix(points, features, 1.0, &mut rng);
    let mut planted = vec![0.0; features];
    let support = rand::seq::index::sample(&mut rng, features, nonzeros);
    let coin = Uniform::new(0.0, 1.0).expect("0 < 1 is a valid range");
    for index in support {
        let sign = if coin.sample(&mut rng) < 0.5 {
            -1.0
        } else {
            1.0
        };
        planted[index] = sign;
    }
    let points_row_major: Vec<f64> = (0..points)
        .flat_map(|i| (0..features).map(move |j| (i, j)))
        .map(|(i, j)| design[(i, j)])
        .collect();
    let targets = (0..points)
        .map(|i| {
            let z: f64 = StandardNormal.sample(&mut rng);
            let row = &points_row_major[i * features..(i + 1) * features];
            row.iter().zip(&planted).map(|(x, w)| x * w).sum::<f64>() + noise * z
        })
        .collect();
    RegressionData {
        dim: features,
        points: points_row_major,
        targets,
        planted: Some(planted),
    }
}

/// Loads regression data from a CSV with header `x1,...,xd,y` (d ≥ 1).
///
/// # Errors
/// Names the file and line for a missing file, a bad header, ragged rows, non-numeric or
/// non-finite cells, or too many cells.
pub fn load_regression_csv(path: &Path) -> Result<RegressionData, DataError> {
    let last = LastColumn {
        name: "y",
        described: "a target column y",
        example_row: "1.0,2.0,0.5",
    };
    let (dim, points, targets) = read_feature_table(path, &last, |_, _, _| Ok(()))?;
    Ok(RegressionData {
        dim,
        points,
        targets,
        planted: None,
    })
}

/// Loads a numeric matrix from a CSV without header; every row must have the same length.
///
/// # Errors
/// Names the file and line for a missing or empty file, ragged rows or non-numeric cells.
pub fn load_matrix_csv(path: &Path) -> Result<DMatrix<f64>, DataError> {
    load_matrix_lines(path).map(|(matrix, _)| matrix)
}

/// [`load_matrix_csv`], also returning the file line of each matrix row.
fn load_matrix_lines(path: &Path) -> Result<(DMatrix<f64>, Vec<usize>), DataError> {
    let text = read_csv_text(path)?;
    let mut values = Vec::new();
    let mut cols = 0;
    let mut lines = Vec::new();
    for (line, row) in numbered_lines(&text) {
        let expected = (!lines.is_empty()).then_some((cols, "the first row"));
        cols = parse_row(path, line, row, expected, &mut values)?;
        lines.push(line);
    }
    Ok((DMatrix::from_row_slice(lines.len(), cols, &values), lines))
}

/// Loads a 0/1 mask CSV and checks it has the target's shape.
///
/// # Errors
/// As [`load_matrix_csv`], plus cells other than 0 or 1 and a shape unlike `shape`.
pub fn load_mask_csv(path: &Path, shape: (usize, usize)) -> Result<DMatrix<f64>, DataError> {
    let (mask, lines) = load_matrix_lines(path)?;
    if mask.shape() != shape {
        return Err(DataError::file(
            path,
            None,
            format!(
                "mask is {}×{} but the matrix is {}×{}; they must have the same shape",
                mask.nrows(),
                mask.ncols(),
                shape.0,
                shape.1
            ),
        ));
    }
    for (i, row) in mask.row_iter().enumerate() {
        if let Some((j, v)) = row
            .iter()
            .enumerate()
            .find(|(_, v)| **v != 0.0 && **v != 1.0)
        {
            return Err(DataError::file(
                path,
                Some(lines[i]),
                format!("column {}: {v} is not 0 (hidden) or 1 (observed)", j + 1),
            ));
        }
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_seeded_and_centred() {
        let a = gaussian_clusters(200, 0.1, &[2.0, -1.0, 0.5], 7);
        assert_eq!(a, gaussian_clusters(200, 0.1, &[2.0, -1.0, 0.5], 7));
        assert_ne!(a, gaussian_clusters(200, 0.1, &[2.0, -1.0, 0.5], 8));
        assert_eq!((a.dim, a.len()), (3, 400));
        let mean_pos: f64 = (0..200).map(|i| a.point(i)[0]).sum::<f64>() / 200.0;
        let mean_neg: f64 = (200..400).map(|i| a.point(i)[0]).sum::<f64>() / 200.0;
        // Standard error of the mean is 0.1/√200 ≈ 0.007: 0.05 is seven of them.
        assert!((mean_pos - 2.0).abs() < 0.05 && (mean_neg + 2.0).abs() < 0.05);
        assert!(a.labels[..200].iter().all(|&y| y == 1.0));
        assert!(a.labels[200..].iter().all(|&y| y == -1.0));
    }

    #[test]
    fn signed_rows_carry_label_and_bias() {
        let data = LinearData {
            dim: 2,
            points: vec![1.0, 2.0, 3.0, 4.0],
            labels: vec![1.0, -1.0],
        };
        assert_eq!(data.signed_rows(false), vec![1.0, 2.0, -3.0, -4.0]);
        assert_eq!(
            data.signed_rows(true),
            vec![1.0, 2.0, 1.0, -3.0, -4.0, -1.0]
        );
    }

    #[test]
    fn low_rank_has_the_asked_rank() {
        let data = low_rank(12, 2, 0.5, 3);
        let sv = data.target.clone().singular_values();
        assert!(sv[1] > 1e-6 && sv[2] < 1e-10 * sv[0], "{sv}");
        let observed = data.mask.iter().sum::<f64>() / 144.0;
        assert!(observed > 0.3 && observed < 0.7);
    }
}
