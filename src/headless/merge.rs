//! `merge`: the shards of a sweep (`sweep --shard K/N` on Slurm array tasks or GNU parallel
//! jobs) back into one CSV, byte-identical to the sweep run in one go.
//!
//! The checks are the ones a lost or doubled job would break: every file has the same header,
//! no point is in two files (or twice in one), and no point below the highest one is missing.
//! Rows keep their order within a point and are written sorted by point.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{HeadlessError, csv_write_error};

/// Most points a merge reports by number before it says "and N more".
const LISTED_POINTS: usize = 10;

/// One point's rows and the file they came from.
struct PointRows<'a> {
    file: usize,
    rows: Vec<&'a str>,
}

/// Merges the shard files into `out`.
///
/// # Errors
/// No files, an unreadable or empty file, headers that differ, a row without a point number,
/// points duplicated or missing (naming them and the files), or a failed write.
pub fn merge(files: &[PathBuf], out: &mut impl Write) -> Result<(), HeadlessError> {
    if files.is_empty() {
        return Err(HeadlessError::Message(
            "no files to merge; give the shard CSVs, e.g. implicit-bias merge shard-*.csv".into(),
        ));
    }
    let texts = files
        .iter()
        .map(|f| read(f))
        .collect::<Result<Vec<String>, HeadlessError>>()?;
    let header = texts[0].lines().next().unwrap_or_default();
    for (file, text) in files.iter().zip(&texts).skip(1) {
        if text.lines().next() != Some(header) {
            return Err(HeadlessError::Message(format!(
                "{}: its header differs from {}'s; merge only shards of one sweep command \
                 (same preset, --set keys and kind)",
                file.display(),
                files[0].display()
            )));
        }
    }
    let points = collect_points(files, &texts)?;
    check_complete(&points)?;
    writeln!(out, "{header}").map_err(|e| csv_write_error(&e))?;
    for point in points.values() {
        for row in &point.rows {
            writeln!(out, "{row}").map_err(|e| csv_write_error(&e))?;
        }
    }
    out.flush().map_err(|e| csv_write_error(&e))
}

/// A shard's text, refused when unreadable or without a header.
fn read(file: &Path) -> Result<String, HeadlessError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        HeadlessError::Message(format!("{}: cannot read the shard: {e}", file.display()))
    })?;
    if !text.starts_with("point,") {
        return Err(HeadlessError::Message(format!(
            "{}: not a sweep CSV (its first line does not start with `point,`); give the files \
             `implicit-bias sweep` wrote",
            file.display()
        )));
    }
    Ok(text)
}

/// The rows of every file by point, refusing a point found in two files or in two places.
fn collect_points<'a>(
    files: &[PathBuf],
    texts: &'a [String],
) -> Result<BTreeMap<u64, PointRows<'a>>, HeadlessError> {
    let mut points: BTreeMap<u64, PointRows<'a>> = BTreeMap::new();
    for (file, text) in texts.iter().enumerate() {
        let mut previous = None;
        for (line_index, row) in text.lines().enumerate().skip(1) {
            let field = row.split(',').next().unwrap_or_default();
            let point: u64 = field.parse().map_err(|_| {
                HeadlessError::Message(format!(
                    "{}:{}: `{field}` is not a point number; give the files `implicit-bias \
                     sweep` wrote, unedited",
                    files[file].display(),
                    line_index + 1
                ))
            })?;
            let entry = points
                .entry(point)
                .or_insert(PointRows { file, rows: vec![] });
            if entry.file != file || (previous != Some(point) && !entry.rows.is_empty()) {
                return Err(HeadlessError::Message(format!(
                    "point {point} is duplicated: in {} and {}; merge each shard once",
                    files[entry.file].display(),
                    files[file].display()
                )));
            }
            entry.rows.push(row);
            previous = Some(point);
        }
    }
    Ok(points)
}

/// Refuses gaps: every point from 0 to the highest must be there.
fn check_complete(points: &BTreeMap<u64, PointRows<'_>>) -> Result<(), HeadlessError> {
    let highest = points.keys().next_back().copied();
    let missing: Vec<u64> = match highest {
        Some(highest) => (0..=highest).filter(|p| !points.contains_key(p)).collect(),
        None => vec![],
    };
    if missing.is_empty() {
        return Ok(());
    }
    let mut listed: Vec<String> = missing
        .iter()
        .take(LISTED_POINTS)
        .map(ToString::to_string)
        .collect();
    if missing.len() > LISTED_POINTS {
        listed.push(format!("and {} more", missing.len() - LISTED_POINTS));
    }
    Err(HeadlessError::Message(format!(
        "point(s) {} missing; merge every shard's file (a shard K/N holds the points with \
         point mod N = K)",
        listed.join(", ")
    )))
}
