//! The matrix products of the matrix model, through faer's kernels, on one or two cores.
//!
//! The factors and workspaces stay nalgebra matrices (the API everywhere else); only the hot
//! products go through faer, whose kernels pick AVX-512, AVX2 or SSE at run time and reach
//! ~120 GFLOP/s on one core at N = 100–200 where nalgebra's `matrixmultiply` reaches ~90.
//! Operands are faer views of the same column-major storage, so a transpose is free.
//!
//! Two cores share a product by taking one part of its output each (halves of the columns, or
//! bands of rows and then halves of the columns below them: [`Split`]): every output entry is
//! still one dot product over the full inner dimension in the kernel's own order, so the result
//! is the same whichever way it is split and whichever core runs a part. Whether a product is
//! split depends on its size only.

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::cores::join;

/// rows · cols · inner from which a product is shared by two cores. Below it the hand-over
/// costs about what it saves, and on a virtual machine whose two cores are far apart it costs
/// far more: a 50×50 step measured 8.3 µs shared against 9.4 µs alone on one placement of this
/// machine's cores, and 17.7 µs shared on another; 64³ keeps N = 50 on one core.
pub const TWO_CORE_MIN_WORK: usize = 64 * 64 * 64;

/// A column-major `rows × cols` matrix stored in `data`, as a faer view.
#[must_use]
pub fn view(data: &[f64], rows: usize, cols: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(data, rows, cols)
}

/// A column-major `rows × cols` matrix stored in `data`, as a mutable faer view.
#[must_use]
pub fn view_mut(data: &mut [f64], rows: usize, cols: usize) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(data, rows, cols)
}

/// f64 entries in a 64-byte cache line.
const LINE: usize = 8;

/// A column-major workspace matrix, for the step's intermediate products: either plain (one
/// contiguous slice) or with every column starting on a cache line, for the products that two
/// cores write in bands of rows ([`multiply_then`]).
///
/// With plain storage (stride = rows) a band's last row shares a cache line with the next
/// band's first row in every other column (100 rows: 800-byte columns), and both cores write
/// those lines: when the VM's two cores sit on different dies, each such line crosses between
/// them, which cost a depth-3 step at N = 100 more than the bands saved. Padding each column to
/// whole lines keeps every core's writes on its own lines, as [`ROW_TILE`] is a whole number of
/// lines.
#[derive(Debug)]
pub struct Workspace {
    /// The entries: from index 0 when plain, from the first 64-byte boundary on when on lines
    /// (see [`Workspace::start`]).
    data: Vec<f64>,
    rows: usize,
    cols: usize,
    on_lines: bool,
}

impl Workspace {
    /// A `rows × cols` workspace of zeros, its columns on cache lines when `on_lines`.
    #[must_use]
    pub fn zeros(rows: usize, cols: usize, on_lines: bool) -> Self {
        let mut workspace = Self {
            data: Vec::new(),
            rows,
            cols,
            on_lines,
        };
        let slack = if on_lines { LINE - 1 } else { 0 };
        workspace.data = vec![0.0; workspace.stride() * cols + slack];
        workspace
    }

    /// Elements between the starts of two columns: whole cache lines when on lines.
    fn stride(&self) -> usize {
        if self.on_lines {
            self.rows.next_multiple_of(LINE)
        } else {
            self.rows
        }
    }

    /// Index of the first entry: on a 64-byte boundary when on lines (recomputed, as a clone's
    /// buffer lies elsewhere).
    fn start(&self) -> usize {
        if self.on_lines {
            let line_bytes = LINE * size_of::<f64>();
            self.data.as_ptr().align_offset(line_bytes).min(LINE - 1)
        } else {
            0
        }
    }

    /// The entries in column-major order, when the workspace is plain.
    #[must_use]
    pub fn as_mut_slice(&mut self) -> Option<&mut [f64]> {
        (!self.on_lines).then_some(self.data.as_mut_slice())
    }

    /// The matrix, as a faer view.
    #[must_use]
    pub fn view(&self) -> MatRef<'_, f64> {
        let (start, stride) = (self.start(), self.stride());
        MatRef::from_column_major_slice_with_stride(
            &self.data[start..],
            self.rows,
            self.cols,
            stride,
        )
    }

    /// The matrix, as a mutable faer view.
    #[must_use]
    pub fn view_mut(&mut self) -> MatMut<'_, f64> {
        let (start, stride) = (self.start(), self.stride());
        let (rows, cols) = (self.rows, self.cols);
        MatMut::from_column_major_slice_with_stride_mut(&mut self.data[start..], rows, cols, stride)
    }
}

impl Clone for Workspace {
    /// The same entries in a buffer of its own, whose first 64-byte boundary may lie elsewhere:
    /// the entries are copied through the views, not as raw storage.
    fn clone(&self) -> Self {
        let mut copy = Self::zeros(self.rows, self.cols, self.on_lines);
        copy.view_mut().copy_from(self.view());
        copy
    }
}

/// True when a product of `rows × inner` by `inner × cols` is worth two cores.
#[must_use]
pub fn worth_two_cores(rows: usize, cols: usize, inner: usize) -> bool {
    rows.saturating_mul(cols).saturating_mul(inner) >= TWO_CORE_MIN_WORK
}

/// How two cores share the output of one product. Either way every entry is the same dot
/// product over the full inner dimension in the kernel's own order, so the bits do not depend
/// on it: only the speed does, and that depends on where the machine put the two cores, so the
/// engine times both (see `experiment::matrix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Half of the columns each. Each part has every row tile, the part-filled last one too,
    /// but a core reads fewer of the entries the other just wrote: faster when this VM's two
    /// cores sit on different dies (a depth-3 step at N = 100: 106 µs against 112 µs).
    Columns,
    /// A band of [`ROW_TILE`]-multiple rows each, across all columns, and half the columns of
    /// the rows below both bands. No core ends in a part-filled tile, and a band of one
    /// product feeds the same band of the next: faster when the cores share a cache (the same
    /// step: 66 µs against 69 µs; a 100 × 100 product's half: 8.6 µs against 9.5 µs).
    Bands,
    /// [`Split::Bands`], each band computed and finished half its columns at a time: twice the
    /// kernel calls, but each half is finished (the masked residual) while it is still in the
    /// core's cache, and faer's kernel happens to run some shapes faster in halves. At N = 200
    /// (96-row bands) a step took 250 µs against 259 µs in whole bands; at N = 300 and 400 the
    /// halves were slower.
    BandHalves,
}

impl Split {
    /// Every split, in the order a run times them.
    pub const ALL: [Split; 3] = [Split::Columns, Split::Bands, Split::BandHalves];
}

/// Rows of `out` that each core takes across all columns when two share a product in
/// [`Split::Bands`]: a multiple of every kernel's row tile (faer's AVX-512 f64 kernel works on
/// 48 rows at once, its AVX2 and SSE kernels on divisors of 48), so neither band ends in a
/// part-filled tile. At N = 100 (48 + 48 + 4 rows) a column half ran the 4-row tail, which fills
/// half a vector register, over all its columns.
pub const ROW_TILE: usize = 48;

/// The row ranges [0, b), [b, 2b), [2b, rows) of a product's output with `rows` rows: the two
/// cores' bands in [`Split::Bands`] and the rows below them, whose columns are halved. b is the
/// largest [`ROW_TILE`] multiple with two bands in `rows` (0 below two tiles: all rows are
/// "below", as in [`Split::Columns`]). A block [`multiply_then`] finishes either spans whole
/// columns or lies within one of these ranges.
#[must_use]
pub fn row_ranges(rows: usize) -> [Range<usize>; 3] {
    let band = rows / (2 * ROW_TILE) * ROW_TILE;
    [0..band, band..2 * band, 2 * band..rows]
}

/// `out` = `a` · `b`, on two cores (a part of `out` each, as `split` says) when the product is
/// large enough.
pub fn multiply(out: MatMut<'_, f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>, split: Split) {
    multiply_then(out, a, b, split, |_, _, _| ());
}

/// [`multiply`], then `finish` on each block of finished entries while it is still in the cache
/// of the core that computed it: `finish(block, first_row, first_col)` gets the block (a
/// sub-matrix of `out`) and where it starts. A block that does not span whole columns lies
/// within one of the [`row_ranges`].
pub fn multiply_then(
    out: MatMut<'_, f64>,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    split: Split,
    finish: impl Fn(MatMut<'_, f64>, usize, usize) + Sync,
) {
    let (rows, cols) = (a.nrows(), b.ncols());
    let block = |mut entries: MatMut<'_, f64>, first_row: usize, first_col: usize| {
        let (height, width) = (entries.nrows(), entries.ncols());
        if height == 0 || width == 0 {
            return;
        }
        multiply_here(
            entries.as_mut(),
            a.subrows(first_row, height),
            b.subcols(first_col, width),
        );
        finish(entries, first_row, first_col);
    };
    if !(worth_two_cores(rows, cols, a.ncols()) && cols >= 2) {
        block(out, 0, 0);
        return;
    }
    let [_, second_band_rows, below_rows] = match split {
        Split::Columns => [0..0, 0..0, 0..rows],
        Split::Bands | Split::BandHalves => row_ranges(rows),
    };
    let half = cols / 2;
    let band = |entries: MatMut<'_, f64>, first_row: usize| {
        if split == Split::BandHalves {
            let (left, right) = entries.split_at_col_mut(half);
            block(left, first_row, 0);
            block(right, first_row, half);
        } else {
            block(entries, first_row, 0);
        }
    };
    let (bands, below) = out.split_at_row_mut(below_rows.start);
    let (first_band, second_band) = bands.split_at_row_mut(second_band_rows.start);
    let (first_below, second_below) = below.split_at_col_mut(half);
    join(
        || {
            band(first_band, 0);
            block(first_below, below_rows.start, 0);
        },
        || {
            band(second_band, second_band_rows.start);
            block(second_below, below_rows.start, half);
        },
    );
}

/// `out` = `a` · `b` on the calling thread.
pub fn multiply_here(out: MatMut<'_, f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    matmul(out, Accum::Replace, a, b, 1.0, Par::Seq);
}

/// Runs `first` and `second`, on two cores when `parallel` (each computed exactly as on one
/// thread, so results do not depend on which core ran what), and returns both results.
pub fn both<A: Send, B: Send>(
    parallel: bool,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    if parallel {
        join(first, second)
    } else {
        (first(), second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Σₗ a[i,l] b[l,j] by the definition, one entry at a time.
    fn by_definition(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; a.nrows() * b.ncols()];
        for j in 0..b.ncols() {
            for i in 0..a.nrows() {
                out[i + j * a.nrows()] = (0..a.ncols()).map(|l| a[(i, l)] * b[(l, j)]).sum();
            }
        }
        out
    }

    fn filled(len: usize, seed: f64) -> Vec<f64> {
        (0..len)
            .map(|i| ((i as f64 + seed) * 0.731).sin())
            .collect()
    }

    #[test]
    fn products_and_transposed_products_match_the_definition_on_one_and_two_cores() {
        // 7×5 · 5×3 stays on one core; the others are shared, 100 and 150 rows in bands too.
        assert!(worth_two_cores(90, 65, 70) && !worth_two_cores(7, 3, 5));
        assert_eq!(row_ranges(90), [0..0, 0..0, 0..90]);
        assert_eq!(row_ranges(100), [0..48, 48..96, 96..100]);
        assert_eq!(row_ranges(150), [0..48, 48..96, 96..150]);
        let sizes = [
            (7, 5, 3),
            (90, 70, 65),
            (1, 64, 1),
            (64, 64, 1),
            (100, 60, 70),
            (150, 40, 99),
        ];
        for (rows, inner, cols) in sizes {
            let a = filled(rows * inner, 1.0);
            let b = filled(inner * cols, 2.0);
            let a_t = filled(inner * rows, 3.0);
            let b_t = filled(cols * inner, 4.0);
            let cases = [
                (view(&a, rows, inner), view(&b, inner, cols)),
                (view(&a_t, inner, rows).transpose(), view(&b, inner, cols)),
                (view(&a, rows, inner), view(&b_t, cols, inner).transpose()),
            ];
            for ((left, right), split) in cases.into_iter().zip(Split::ALL) {
                let expected = by_definition(left, right);
                let mut got = vec![f64::NAN; rows * cols];
                multiply(view_mut(&mut got, rows, cols), left, right, split);
                for (g, e) in got.iter().zip(&expected) {
                    assert!((g - e).abs() <= 1e-12 * (1.0 + e.abs()), "{g} vs {e}");
                }
            }
        }
    }

    #[test]
    fn a_shared_product_has_the_bits_of_one_computed_alone_whatever_the_split() {
        // Fewer rows than two tiles (columns only), two tiles and a tail, several tiles a band,
        // and an inner dimension long enough for the kernel to cut it into blocks.
        for (rows, inner, cols) in [
            (70, 90, 80),
            (100, 100, 100),
            (203, 64, 150),
            (130, 700, 96),
        ] {
            assert!(worth_two_cores(rows, cols, inner));
            let a = filled(rows * inner, 5.0);
            let b = filled(inner * cols, 6.0);
            let (a, b) = (view(&a, rows, inner), view(&b, inner, cols));
            let mut alone = vec![0.0; rows * cols];
            multiply_here(view_mut(&mut alone, rows, cols), a, b);
            for split in Split::ALL {
                let mut shared = Workspace::zeros(rows, cols, true);
                multiply(shared.view_mut(), a, b, split);
                for j in 0..cols {
                    for i in 0..rows {
                        let (got, want) = (shared.view()[(i, j)], alone[i + j * rows]);
                        assert_eq!(got.to_bits(), want.to_bits(), "{split:?} ({i}, {j})");
                    }
                }
            }
        }
    }

    #[test]
    fn finish_sees_every_entry_once_in_blocks_that_keep_within_the_bands() {
        let (rows, inner, cols) = (150, 64, 90);
        let a = filled(rows * inner, 7.0);
        let b = filled(inner * cols, 8.0);
        let ranges = row_ranges(rows);
        for split in Split::ALL {
            let seen: Vec<std::sync::atomic::AtomicU32> = (0..rows * cols)
                .map(|_| std::sync::atomic::AtomicU32::new(0))
                .collect();
            let mut out = Workspace::zeros(rows, cols, true);
            multiply_then(
                out.view_mut(),
                view(&a, rows, inner),
                view(&b, inner, cols),
                split,
                |block, first_row, first_col| {
                    let last_row = first_row + block.nrows() - 1;
                    let whole_columns = block.nrows() == rows;
                    let range_of = |r: usize| ranges.iter().position(|range| range.contains(&r));
                    assert!(whole_columns || range_of(first_row) == range_of(last_row));
                    for j in 0..block.ncols() {
                        for i in 0..block.nrows() {
                            let index = first_row + i + (first_col + j) * rows;
                            seen[index].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                },
            );
            assert!(
                seen.iter()
                    .all(|count| count.load(std::sync::atomic::Ordering::Relaxed) == 1)
            );
        }
    }

    #[test]
    fn a_workspace_has_its_columns_on_cache_lines_and_keeps_them_when_cloned() {
        let mut plain = Workspace::zeros(100, 3, false);
        plain.view_mut()[(99, 2)] = 4.0;
        assert_eq!(plain.as_mut_slice().map(|entries| entries[299]), Some(4.0));
        let mut workspace = Workspace::zeros(100, 3, true);
        assert!(workspace.as_mut_slice().is_none());
        workspace.view_mut()[(99, 2)] = 4.0;
        let clone = workspace.clone();
        for matrix in [&workspace, &clone] {
            let view = matrix.view();
            assert_eq!(view[(99, 2)], 4.0);
            assert_eq!(view.col_stride(), 104);
            for j in 0..3 {
                assert_eq!(view.col(j).as_ptr().align_offset(64), 0);
            }
        }
    }
}
