//! `merge`: the shards of a sweep (`sweep --shard K/N` on Slurm array tasks or GNU parallel
//! jobs) back into one CSV, byte-identical to the sweep run in one go.
//!
//! The checks are the ones a lost or doubled job would break: every file has the same header,
//! no point is in two files (or twice in one), and no point is missing. Each shard's file opens
//! with `# implicit-bias sweep shard K/N of P points` ([`super::sweep::shard_line`]), so a set
//! with any shard missing — the first, a middle or the last — is refused by name; that line is
//! not written to the merged CSV, which is byte-identical to the sweep run in one go. Files
//! without it (from before it existed) are checked for gaps below their highest point only.
//! Rows keep their order within a point and are written sorted by point.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::sweep::SHARD_MARK;
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
    let read_files = files
        .iter()
        .map(|f| read(f))
        .collect::<Result<Vec<(Option<ShardInfo>, String)>, HeadlessError>>()?;
    let (infos, texts): (Vec<Option<ShardInfo>>, Vec<String>) = read_files.into_iter().unzip();
    let total = check_shards(files, &infos)?;
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
    check_complete(&points, total)?;
    writeln!(out, "{header}").map_err(|e| csv_write_error(&e))?;
    for point in points.values() {
        for row in &point.rows {
            writeln!(out, "{row}").map_err(|e| csv_write_error(&e))?;
        }
    }
    out.flush().map_err(|e| csv_write_error(&e))
}

/// What a shard's first line says: which shard of how many, of how many points in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ShardInfo {
    index: u64,
    count: u64,
    points: u64,
}

impl ShardInfo {
    /// Parses the rest of a line after [`SHARD_MARK`]: `K/N of P points`.
    fn parse(rest: &str) -> Option<Self> {
        let (shard, points) = rest.split_once(" of ")?;
        let (index, count) = shard.split_once('/')?;
        Some(Self {
            index: index.trim().parse().ok()?,
            count: count.trim().parse().ok()?,
            points: points.trim().strip_suffix(" points")?.parse().ok()?,
        })
    }
}

/// Checks that the files are every shard of one sweep, once each, when they say which shard
/// they are; returns the sweep's number of points then.
fn check_shards(
    files: &[PathBuf],
    infos: &[Option<ShardInfo>],
) -> Result<Option<u64>, HeadlessError> {
    let Some(first) = infos.iter().flatten().next().copied() else {
        return Ok(None);
    };
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for (position, (file, info)) in files.iter().zip(infos).enumerate() {
        let Some(info) = info else {
            return Err(HeadlessError::Message(format!(
                "{}: has no `{SHARD_MARK}K/N` line while the other files do; merge the files of one sweep --shard command",
                file.display()
            )));
        };
        if info.count != first.count || info.points != first.points {
            return Err(HeadlessError::Message(format!(
                "{}: shard {}/{} of {} points does not belong with shard {}/{} of {} points; merge the shards of one sweep command",
                file.display(),
                info.index,
                info.count,
                info.points,
                first.index,
                first.count,
                first.points
            )));
        }
        if let Some(&other) = seen.get(&info.index) {
            return Err(HeadlessError::Message(format!(
                "shard {}/{} is given twice: {} and {}; merge each shard once",
                info.index,
                info.count,
                files[other].display(),
                file.display()
            )));
        }
        seen.insert(info.index, position);
    }
    let missing: Vec<u64> = (0..first.count).filter(|k| !seen.contains_key(k)).collect();
    if let Some(&shard) = missing.first() {
        let points: Vec<String> = (shard..first.points)
            .step_by(first.count as usize)
            .take(LISTED_POINTS)
            .map(|p| p.to_string())
            .collect();
        let others = if missing.len() > 1 {
            format!(" (and {} more shards)", missing.len() - 1)
        } else {
            String::new()
        };
        return Err(HeadlessError::Message(format!(
            "shard {shard}/{count} is missing{others} (its points: {}); run the sweep with \
             --shard {shard}/{count} and merge again",
            if points.is_empty() {
                "none".to_owned()
            } else {
                points.join(", ")
            },
            count = first.count
        )));
    }
    Ok(Some(first.points))
}

/// A shard's text without its shard line, and what that line said; refused when unreadable
/// or without a header.
fn read(file: &Path) -> Result<(Option<ShardInfo>, String), HeadlessError> {
    let mut text = std::fs::read_to_string(file).map_err(|e| {
        HeadlessError::Message(format!("{}: cannot read the shard: {e}", file.display()))
    })?;
    let mut info = None;
    if let Some(rest) = text.strip_prefix(SHARD_MARK) {
        let (line, _) = rest.split_once('\n').unwrap_or((rest, ""));
        info = Some(ShardInfo::parse(line).ok_or_else(|| {
            HeadlessError::Message(format!(
                "{}:1: `{SHARD_MARK}{line}` is not `K/N of P points`; give the files `implicit-bias sweep` wrote, unedited",
                file.display()
            ))
        })?);
        text = text[SHARD_MARK.len() + line.len()..]
            .trim_start_matches('\n')
            .to_owned();
    }
    if !text.starts_with("point,") {
        return Err(HeadlessError::Message(format!(
            "{}: not a sweep CSV (its first line does not start with `point,`); give the files \
             `implicit-bias sweep` wrote",
            file.display()
        )));
    }
    Ok((info, text))
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

/// Refuses gaps: every point below `total` (when the shards say it), else from 0 to the highest,
/// must be there.
fn check_complete(
    points: &BTreeMap<u64, PointRows<'_>>,
    total: Option<u64>,
) -> Result<(), HeadlessError> {
    let end = total.or_else(|| points.keys().next_back().map(|h| h + 1));
    let missing: Vec<u64> = (0..end.unwrap_or(0))
        .filter(|p| !points.contains_key(p))
        .collect();
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
