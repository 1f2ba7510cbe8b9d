//! `implicit-bias plot`: a sweep's CSV (a header, then one row per run) as an SVG figure that
//! never averages rows which ran different set-ups.
//!
//! A sweep's header is `point`, the swept keys, `seed`, `run`, `label`, `optimizer`, `lr`, the
//! run's set-up, its metrics. Rows that differ only in `point` or `seed` are repeats: they are
//! averaged, and the caption says over how many seeds. Rows that differ in `run`, in a swept key
//! (a `runs.K.…` key concerns run K alone), or in `label`, `optimizer` or `lr` ran different
//! set-ups: a heat map draws one panel per run, lines draw one line per run, and any other such
//! difference inside one cell or point is refused with the column's values and the `--where`
//! that keeps one. `--where COL=VALUE` keeps the matching rows first.
//!
//! Lines (`lines.rs`): the mean of `--y` at each `--x`, sorted by x, with the min–max over the
//! repeats as a shaded band; the legend sits beside the plotting area. Heat map (`heat.rs`): with
//! `--value`, one cell per (x, y) pair coloured by the mean. An axis goes logarithmic where its
//! values are positive and span more than [`LOG_SPAN`]. Empty cells (a diverged run's null) are
//! skipped; any other text where a number belongs is an error naming the line.

mod heat;
mod lines;

use std::fmt::Write as _;
use std::path::Path;

/// A ratio of largest to smallest value beyond which an axis goes logarithmic (two decades).
pub const LOG_SPAN: f64 = 100.0;
/// Columns that number repeats of one set-up: averaged over, never a reason to split.
const REPEAT_COLUMNS: [&str; 2] = ["point", "seed"];
/// Columns every sweep row has that describe its run's set-up (the rest follow from the swept
/// keys and `run`), so two of them differing means two set-ups.
const RUN_COLUMNS: [&str; 3] = ["label", "optimizer", "lr"];
/// Columns at most that a run's title adds to its label.
const TITLE_COLUMNS: usize = 2;

/// What to draw from the CSV.
#[derive(Debug, Clone, Default)]
pub struct PlotRequest {
    /// The column on the horizontal axis.
    pub x: String,
    /// The column on the vertical axis.
    pub y: String,
    /// Lines: one per value of this column.
    pub group: Option<String>,
    /// Heat map: the column that colours the (x, y) cells.
    pub value: Option<String>,
    /// Only the rows matching all of these are drawn.
    pub filters: Vec<Filter>,
}

/// `--where COL=VALUE`: keep the rows whose COL is VALUE, so one figure shows one set-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The column's name.
    pub column: String,
    /// The value as typed; numbers match numerically (`1e-3` keeps `0.001`).
    pub value: String,
}

impl Filter {
    /// Parses `COL=VALUE` (split at the first `=`).
    ///
    /// # Errors
    /// Text without `=` or with an empty column name, with the form to use.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('=') {
            Some((column, value)) if !column.trim().is_empty() => Ok(Self {
                column: column.trim().to_owned(),
                value: value.trim().to_owned(),
            }),
            _ => Err(format!(
                "`{text}` is not COL=VALUE; write e.g. --where run=2"
            )),
        }
    }

    /// True when `cell` holds this value, as the same text or the same number.
    fn matches(&self, cell: &str) -> bool {
        let cell = cell.trim();
        cell == self.value
            || matches!(
                (cell.parse::<f64>(), self.value.parse::<f64>()),
                (Ok(a), Ok(b)) if a == b
            )
    }
}

/// A sweep's CSV: its column names and rows of cells (as text).
#[derive(Debug, Clone)]
pub struct Table {
    /// The file, for messages.
    name: String,
    /// The header's column names.
    columns: Vec<String>,
    /// Rows as (line number, cells).
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Parses CSV text (commas, RFC 4180 quotes) with a header line.
    ///
    /// # Errors
    /// An empty file, a file with a header and no rows, or a row whose cell count is not the
    /// header's, each worded with the file (and line) and the fix.
    pub fn parse(name: &str, text: &str) -> Result<Self, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(format!(
                "{name}: the file is empty; give a sweep's CSV (a header line, then rows)"
            ));
        };
        let columns: Vec<String> = split_row(header)
            .into_iter()
            .map(|c| c.trim().to_owned())
            .collect();
        let mut rows = Vec::new();
        for (index, line) in lines {
            let cells = split_row(line);
            if cells.len() != columns.len() {
                return Err(format!(
                    "{name}:{}: {} cells where the header has {} columns; every row needs one \
                     cell per column (commas separate cells)",
                    index + 1,
                    cells.len(),
                    columns.len()
                ));
            }
            rows.push((index + 1, cells));
        }
        if rows.is_empty() {
            return Err(format!(
                "{name}: a header and no rows; run the sweep first, or give a CSV with rows"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            columns,
            rows,
        })
    }

    /// Reads and parses a CSV file.
    ///
    /// # Errors
    /// An unreadable file, or any error of [`Table::parse`].
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The index of column `name`, or an error that suggests the nearest column.
    fn column(&self, name: &str, flag: &str) -> Result<usize, String> {
        if let Some(i) = self.index(name) {
            return Ok(i);
        }
        let nearest = self
            .columns
            .iter()
            .map(|c| (strsim::jaro_winkler(name, c), c))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let hint = nearest.map_or_else(String::new, |(_, c)| format!(" (did you mean `{c}`?)"));
        Err(format!(
            "{}: {flag} {name}: no such column{hint}; the columns are: {}",
            self.name,
            self.columns.join(", ")
        ))
    }

    /// The index of column `name`, if the header has it.
    fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Column `index` as numbers, `None` for empty cells (null values).
    fn numbers(&self, index: usize, flag: &str) -> Result<Vec<Option<f64>>, String> {
        self.rows
            .iter()
            .map(|(line, cells)| {
                let cell = cells[index].trim();
                if cell.is_empty() {
                    return Ok(None);
                }
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Some(v)),
                    _ => Err(format!(
                        "{}:{line}: {flag} {}: `{cell}` is not a number; plot a numeric column",
                        self.name, self.columns[index]
                    )),
                }
            })
            .collect()
    }

    /// The cell of column `index` in row `row`, trimmed.
    fn cell(&self, row: usize, index: usize) -> &str {
        self.rows[row].1[index].trim()
    }

    /// The distinct cells of column `index` among `rows`: in numeric order when all are
    /// numbers, else in order of first appearance.
    fn values(&self, index: usize, rows: impl Iterator<Item = usize>) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for row in rows {
            let cell = self.cell(row, index);
            if !out.contains(&cell) {
                out.push(cell);
            }
        }
        let numbers: Option<Vec<f64>> = out.iter().map(|v| v.parse::<f64>().ok()).collect();
        if let Some(numbers) = numbers {
            let mut pairs: Vec<(f64, &str)> = numbers.into_iter().zip(out).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            out = pairs.into_iter().map(|p| p.1).collect();
        }
        out
    }

    /// The rows that match every filter, in file order.
    ///
    /// # Errors
    /// An unknown column, or a filter no remaining row matches, listing the column's values.
    fn keep(mut self, filters: &[Filter]) -> Result<Self, String> {
        for filter in filters {
            let index = self.column(&filter.column, "--where")?;
            let kept: Vec<(usize, Vec<String>)> = self
                .rows
                .iter()
                .filter(|(_, cells)| filter.matches(&cells[index]))
                .cloned()
                .collect();
            if kept.is_empty() {
                return Err(format!(
                    "{}: --where {}={}: no row has that value; the rows have {} = {}",
                    self.name,
                    filter.column,
                    filter.value,
                    filter.column,
                    self.values(index, 0..self.rows.len()).join(", ")
                ));
            }
            self.rows = kept;
        }
        Ok(self)
    }
}

/// Splits one CSV line into cells, honouring double quotes (`""` inside quotes is a quote).
fn split_row(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells.last_mut().expect("starts with one cell");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cell.push(c),
        }
    }
    cells
}

/// The figure for `request` as SVG text.
///
/// # Errors
/// A missing column (with a did-you-mean), a `--where` that keeps nothing, a non-numeric
/// value, `--group` with `--value`, rows of different set-ups in one cell or point, or nothing
/// left to draw.
pub fn plot_svg(table: &Table, request: &PlotRequest) -> Result<String, String> {
    let table = table.clone().keep(&request.filters)?;
    let x = table.numbers(table.column(&request.x, "--x")?, "--x")?;
    let y = table.numbers(table.column(&request.y, "--y")?, "--y")?;
    match (&request.value, &request.group) {
        (Some(_), Some(_)) => {
            Err("--group draws lines and --value a heat map; give one of them".to_owned())
        }
        (Some(value), None) => {
            let values = table.numbers(table.column(value, "--value")?, "--value")?;
            heat::heat_map(&table, request, &x, &y, &values)
        }
        (None, group) => {
            let group = match group {
                Some(g) => Some(table.column(g, "--group")?),
                None => None,
            };
            lines::lines(&table, request, &x, &y, group)
        }
    }
}

/// The columns whose differing values mean different set-ups, and which rows each concerns.
struct SetUps {
    /// (column index, the run it concerns: `Some("2")` for a swept `runs.2.…` key).
    columns: Vec<(usize, Option<String>)>,
    /// The `run` column, if the CSV has one.
    run: Option<usize>,
}

impl SetUps {
    /// Reads the roles from the header: the swept keys sit between `point` and `seed`.
    fn of(table: &Table) -> Self {
        let run = table.index("run");
        let mut columns: Vec<(usize, Option<String>)> = Vec::new();
        if let (Some(point), Some(seed)) = (table.index("point"), table.index("seed")) {
            for index in point + 1..seed {
                let mut parts = table.columns[index].split('.');
                let concerns = match (parts.next(), parts.next()) {
                    (Some("runs"), Some(k)) if k.parse::<usize>().is_ok() => Some(k.to_owned()),
                    _ => None,
                };
                columns.push((index, concerns));
            }
        }
        columns.extend(run.map(|r| (r, None)));
        columns.extend(
            RUN_COLUMNS
                .iter()
                .filter_map(|c| table.index(c).map(|i| (i, None))),
        );
        Self { columns, run }
    }

    /// Refuses when the rows of one bin (a heat map cell or a point of a line) hold different
    /// values of a set-up column other than those in `drawn` (already on an axis or split).
    ///
    /// `bins` holds (where, rows); `also` words how else the user may split by a column.
    fn check(
        &self,
        table: &Table,
        bins: &[(String, Vec<usize>)],
        drawn: &[usize],
        also: &dyn Fn(&str) -> String,
    ) -> Result<(), String> {
        for (index, concerns) in &self.columns {
            if drawn.contains(index) {
                continue;
            }
            for (place, rows) in bins {
                let applies = rows
                    .iter()
                    .copied()
                    .filter(|&row| match (concerns, self.run) {
                        (Some(k), Some(run)) => table.cell(row, run) == k,
                        _ => true,
                    });
                let here = table.values(*index, applies);
                if here.len() > 1 {
                    let name = &table.columns[*index];
                    let all = table.values(*index, 0..table.rows.len());
                    return Err(format!(
                        "{}: {place} would average different set-ups ({name} = {}); keep one \
                         with --where {name}={}{} ({name} takes {})",
                        table.name,
                        here.join(", "),
                        here[0],
                        also(name),
                        all.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The caption's note on repeats, e.g. `mean over 3 seeds`, or `None` when no bin holds more
/// than one row. Seeds are counted where the CSV has a `seed` column, rows otherwise.
fn repeats_note(table: &Table, bins: &[(String, Vec<usize>)]) -> Option<String> {
    let seed = table.index(REPEAT_COLUMNS[1]);
    let counts = bins.iter().map(|(_, rows)| match seed {
        Some(s) => table.values(s, rows.iter().copied()).len(),
        None => rows.len(),
    });
    let (low, high) = counts.fold((usize::MAX, 0), |(lo, hi), n| (lo.min(n), hi.max(n)));
    let what = if seed.is_some() { "seeds" } else { "rows" };
    match (low, high) {
        (_, 0 | 1) => None,
        (low, high) if low == high => Some(format!("mean over {high} {what}")),
        (low, high) => Some(format!("mean over {low}–{high} {what}")),
    }
}

/// Names each run's part, e.g. `run 2: gd lr=0.01 · init_scale 0.5`: its label (first … last
/// when a swept key changes it), then up to [`TITLE_COLUMNS`] columns that hold one value within
/// each part but differ between parts, since labels need not say what sets two runs apart.
/// `parts` are (run, rows); `skip` are the columns already on the figure's axes.
fn run_titles(table: &Table, parts: &[(String, Vec<usize>)], skip: &[usize]) -> Vec<String> {
    let label = table.index("label");
    let telling: Vec<usize> = (0..table.columns.len())
        .filter(|i| !skip.contains(i) && Some(*i) != label)
        .filter(|i| !REPEAT_COLUMNS.contains(&table.columns[*i].as_str()))
        .filter(|&i| {
            let each: Vec<Vec<&str>> = parts
                .iter()
                .map(|(_, rows)| table.values(i, rows.iter().copied()))
                .collect();
            each.iter().all(|v| v.len() == 1) && each.iter().any(|v| v != &each[0])
        })
        .take(TITLE_COLUMNS)
        .collect();
    parts
        .iter()
        .map(|(run, rows)| {
            let labels = label
                .map(|l| table.values(l, rows.iter().copied()))
                .unwrap_or_default();
            let mut title = match labels.as_slice() {
                [] => format!("run {run}"),
                [one] => format!("run {run}: {one}"),
                [first, .., last] => format!("run {run}: {first} … {last}"),
            };
            for &i in &telling {
                // An empty cell is an option this run's rule does not have.
                let cell = match table.cell(rows[0], i) {
                    "" => "—",
                    cell => cell,
                };
                write!(title, " · {} {cell}", table.columns[i]).ok();
            }
            title
        })
        .collect()
}

/// The distinct values of a column, sorted.
fn distinct(values: &[Option<f64>]) -> Vec<f64> {
    let mut out: Vec<f64> = values.iter().flatten().copied().collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// Splits `rows` by the cell of column `index`, in the order of [`Table::values`].
fn split_by(table: &Table, index: usize, rows: &[usize]) -> Vec<(String, Vec<usize>)> {
    table
        .values(index, rows.iter().copied())
        .into_iter()
        .map(|value| {
            let part = rows
                .iter()
                .copied()
                .filter(|&row| table.cell(row, index) == value)
                .collect();
            (value.to_owned(), part)
        })
        .collect()
}

/// True when `values` are all positive and span more than [`LOG_SPAN`].
fn wants_log(values: impl Iterator<Item = f64> + Clone) -> bool {
    let min = values.clone().fold(f64::INFINITY, f64::min);
    let max = values.fold(f64::NEG_INFINITY, f64::max);
    min > 0.0 && max / min > LOG_SPAN
}

/// A range around `[min, max]` with a margin (multiplicative on a log axis).
fn padded(min: f64, max: f64, log: bool) -> std::ops::Range<f64> {
    if log {
        min / 1.3..max * 1.3
    } else if max > min {
        let pad = (max - min) * 0.05;
        min - pad..max + pad
    } else {
        min - 1.0..max + 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cells_keep_their_commas_and_quotes() {
        assert_eq!(
            split_row(r#"1,"gd, lr=0.1","say ""hi""",,x"#),
            ["1", "gd, lr=0.1", r#"say "hi""#, "", "x"]
        );
    }

    #[test]
    fn an_axis_goes_logarithmic_past_two_decades_of_positive_values() {
        // The edges of LOG_SPAN = 100: exactly 100 stays linear, just above goes log.
        assert!(!wants_log([1.0, 100.0].into_iter()));
        assert!(wants_log([1.0, 100.001].into_iter()));
        assert!(
            !wants_log([0.0, 1e6].into_iter()),
            "zero cannot be on a log axis"
        );
        assert!(!wants_log([-1e-3, 1.0].into_iter()));
    }

    #[test]
    fn a_filter_matches_the_same_text_or_the_same_number() {
        let filter = Filter::parse("runs.*.init_scale=1e-3").expect("parses");
        assert_eq!(filter.column, "runs.*.init_scale");
        assert!(filter.matches("0.001") && filter.matches(" 1e-3"));
        assert!(!filter.matches("0.01") && !filter.matches(""));
        assert!(
            Filter::parse("label=gd lr=0.1")
                .expect("parses")
                .matches("gd lr=0.1")
        );
        assert!(Filter::parse("run").is_err() && Filter::parse("=2").is_err());
    }

    #[test]
    fn a_swept_runs_k_key_concerns_run_k_alone() {
        let table = Table::parse(
            "t.csv",
            "point,runs.1.lr,data.n,seed,run,label,test_error\n0,0.1,5,1,1,a,0.5\n",
        )
        .expect("parses");
        let setups = SetUps::of(&table);
        assert_eq!(
            setups.columns,
            [(1, Some("1".to_owned())), (2, None), (4, None), (5, None)]
        );
    }
}
