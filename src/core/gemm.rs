//! The matrix products of the matrix model, through faer's kernels, on one or two cores.
//!
//! The factors and workspaces stay nalgebra matrices (the API everywhere else); only the hot
//! products go through faer, whose kernels pick AVX-512, AVX2 or SSE at run time and reach
//! ~120 GFLOP/s on one core at N = 100–200 where nalgebra's `matrixmultiply` reaches ~90.
//! Operands are faer views of the same column-major storage, so a transpose is free.
//!
//! Two cores share a product by taking half of its output's columns each: every output entry is
//! still one dot product over the full inner dimension in the kernel's own order, so the result
//! is the same bits whichever core runs a half, or one core both. Whether a product is split
//! depends on its size and on the thread budget it is given ([`Threads`]), never on timing.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::cores::join;
use super::par::Threads;

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
/// cores share ([`multiply_then`]).
///
/// With plain storage (stride = rows) a column of 100 rows is 800 bytes, so every other column
/// starts inside a cache line, where the kernel's vector loads straddle two lines and the two
/// cores' column halves may meet in one line that both write. Padding each column to whole
/// lines avoids both. It came in for a split in row bands, since retired, and stays because
/// every speed in `docs/performance.md` was measured with it (its worth for the column split
/// alone has not been measured).
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

/// `out` = `a` · `b`, on two cores (half of `out`'s columns each) when `threads` has two and
/// the product is large enough.
pub fn multiply(out: MatMut<'_, f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>, threads: Threads) {
    // A vector of a zero-sized type allocates nothing: no column has anything to note.
    let mut nothing = vec![(); b.ncols()];
    multiply_then(out, a, b, threads, &mut nothing, |_, _, _| ());
}

/// [`multiply`], then `finish` on each part of the output while it is still in the cache of
/// the core that computed it: `finish(part, first_col, notes)` gets the part (whole columns of
/// `out`), where it starts and the entries of `per_column` (one per column of `out`) for its
/// columns, to note what it found without sharing anything with the other core.
///
/// # Panics
/// If `per_column` does not have one entry per column of `out`.
pub fn multiply_then<T: Send>(
    out: MatMut<'_, f64>,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    threads: Threads,
    per_column: &mut [T],
    finish: impl Fn(MatMut<'_, f64>, usize, &mut [T]) + Sync,
) {
    let (rows, cols) = (a.nrows(), b.ncols());
    assert_eq!(per_column.len(), cols, "one note per column of the output");
    let part = |mut entries: MatMut<'_, f64>, first_col: usize, notes: &mut [T]| {
        let width = entries.ncols();
        if width == 0 {
            return;
        }
        multiply_here(entries.as_mut(), a, b.subcols(first_col, width));
        finish(entries, first_col, notes);
    };
    if !(threads.has_two() && worth_two_cores(rows, cols, a.ncols()) && cols >= 2) {
        part(out, 0, per_column);
        return;
    }
    let half = cols / 2;
    let (left, right) = out.split_at_col_mut(half);
    let (left_notes, right_notes) = per_column.split_at_mut(half);
    join(
        || part(left, 0, left_notes),
        || part(right, half, right_notes),
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

    /// Budgets of one and two threads, each run in a pool of one and of two threads: a half
    /// handed over in a pool of one runs on the same thread afterwards.
    fn on_every_budget(mut check: impl FnMut(Threads) + Send) {
        let two = Threads::new(std::num::NonZeroUsize::new(2).expect("two is positive"));
        for pool_size in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(pool_size)
                .build()
                .expect("a thread pool");
            pool.install(|| {
                for threads in [Threads::ONE, two] {
                    check(threads);
                }
            });
        }
    }

    #[test]
    fn products_and_transposed_products_match_the_definition_on_one_and_two_cores() {
        // 7×5 · 5×3 stays on one core; the others are shared when the budget allows.
        assert!(worth_two_cores(90, 65, 70) && !worth_two_cores(7, 3, 5));
        let sizes = [
            (7, 5, 3),
            (90, 70, 65),
            (1, 64, 1),
            (64, 64, 1),
            (100, 60, 70),
            (150, 40, 99),
        ];
        on_every_budget(|threads| {
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
                for (left, right) in cases {
                    let expected = by_definition(left, right);
                    let mut got = vec![f64::NAN; rows * cols];
                    multiply(view_mut(&mut got, rows, cols), left, right, threads);
                    for (g, e) in got.iter().zip(&expected) {
                        assert!((g - e).abs() <= 1e-12 * (1.0 + e.abs()), "{g} vs {e}");
                    }
                }
            }
        });
    }

    #[test]
    fn a_shared_product_has_the_bits_of_one_computed_alone() {
        // An odd number of columns, and an inner dimension long enough for the kernel to cut
        // it into blocks.
        for (rows, inner, cols) in [
            (70, 90, 80),
            (100, 100, 100),
            (203, 64, 151),
            (130, 700, 96),
        ] {
            assert!(worth_two_cores(rows, cols, inner));
            let a = filled(rows * inner, 5.0);
            let b = filled(inner * cols, 6.0);
            let (a, b) = (view(&a, rows, inner), view(&b, inner, cols));
            let mut alone = vec![0.0; rows * cols];
            multiply_here(view_mut(&mut alone, rows, cols), a, b);
            on_every_budget(|threads| {
                let mut shared = Workspace::zeros(rows, cols, true);
                multiply(shared.view_mut(), a, b, threads);
                for j in 0..cols {
                    for i in 0..rows {
                        let (got, want) = (shared.view()[(i, j)], alone[i + j * rows]);
                        assert_eq!(got.to_bits(), want.to_bits(), "{threads:?} ({i}, {j})");
                    }
                }
            });
        }
    }

    #[test]
    fn finish_sees_every_column_once_with_its_own_note() {
        let (rows, inner, cols) = (150, 64, 91);
        let a = filled(rows * inner, 7.0);
        let b = filled(inner * cols, 8.0);
        on_every_budget(|threads| {
            let mut seen = vec![0_u32; cols];
            let mut out = Workspace::zeros(rows, cols, true);
            multiply_then(
                out.view_mut(),
                view(&a, rows, inner),
                view(&b, inner, cols),
                threads,
                &mut seen,
                |part, first_col, notes| {
                    assert_eq!(part.nrows(), rows);
                    assert_eq!(part.ncols(), notes.len());
                    assert!(first_col + notes.len() <= cols);
                    for note in notes {
                        *note += 1;
                    }
                },
            );
            assert!(seen.iter().all(|&count| count == 1), "{threads:?}");
        });
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
