//! The network's inner loops: the small dense products of its layers and a tanh that
//! vectorises.
//!
//! A step of the edge-of-stability network (1 → 30 → 20 → 1 on 20 points) is ~38,000
//! multiply-adds and 1,000 tanh; numpy takes ~30 µs for it, so the 10× means ~3 µs.
//! Per-point dot products (the first version) spend their time in horizontal sums and library
//! calls to `tanh`. Here every product has one shape, C[r, ·] = start + Σₛ A(r, s)·B[s, ·] with
//! B and C row-major ([`Product`]), written for registers of `LANES` doubles and run by the
//! network's pass under [`widest_lanes`](crate::core::simd::widest_lanes): 8 with AVX-512 (one
//! zmm), 4 otherwise. Rows are padded to whole registers ([`padded`]); four rows of C share
//! each load of B and up to four registers of columns share each broadcast of A, sixteen sums
//! in registers (AVX-512 has 32 of them).
//!
//! Multiply-adds are fused (`mul_add`): one rounding instead of two, and the same bits whether
//! the CPU has FMA (one instruction) or not (the C library's exact `fma`, slower), so a result
//! never depends on the machine. Lanes run across the columns of C, never across the summed
//! index: each C entry sums its terms in the order s = 0, 1, …, whatever the register width,
//! the blocking or the padding, so the bits do not depend on the path either.
//!
//! Register-blocked loops are written as small arrays (`[[f64; L]; V]` per row) that LLVM turns
//! into registers; shapes it handles badly were measured and avoided: one array of a whole
//! row's width (it keeps a loop and the sums in memory), eight rows one register wide (it
//! splits rows into half registers), a narrower register for a last [`PAD`] of columns (the
//! padding to `LANES` makes it unneeded), tanh unrolled over a block's registers (it stays
//! scalar: the finish runs as a loop over the finished rows instead, [`Finish`]), eight rows
//! three registers wide (twice as slow: the sums spill), the scaling finish applied to the
//! sums before their store (it too spills them: twice as slow), a zip of A's and B's rows
//! (no faster than indexing A), Wᵀ copied in 4 × 4 tiles (slower than four rows' columns).
//!
//! Measured on this machine's AVX2 path: a gradient 20 → 7 µs, a Hessian-vector product
//! 50 → 17 µs; then sums started from the bias row ([`Start`]) and a one-path tanh ([`tanh`])
//! took a GD step from ~7.5 to ~6 µs. AVX-512 (pulp 0.22's `x86-v4`, stable) with eight-lane
//! blocks, finishes in the products, no library calls between them and one dispatch a pass
//! took it to ~4 µs; B's rows as chunks of its stride (no bounds check in the inner loop),
//! buffers on cache lines, tanh four registers at a time ([`tanh_and_slope`]) and in place, to
//! ~3.4 µs: see `docs/performance.md`. What is left is ~30 % tanh (its division, 16 cycles a
//! register, and ~33 other operations on the two ports AVX-512 issues to), ~35 % products and
//! ~12 % the copies of W, Wᵀ and ∂W.

use crate::core::simd::{WithLanes, lanes};

/// Doubles every width is a multiple of: one AVX2 register, half an AVX-512 one.
pub(super) const PAD: usize = 4;

/// Rows of C that share each load of B.
const ROWS: usize = 4;

/// `width` rounded up to whole registers of the widest path ([`lanes`]: 8 doubles with
/// AVX-512, else 4): the row stride of every padded buffer, so that no product of the
/// network needs a narrower register for its last columns.
#[must_use]
pub(super) fn padded(width: usize) -> usize {
    width.next_multiple_of(lanes())
}

/// The left factor A (rows × inner) of a product: a row-major matrix, or the transpose of one
/// (so δᵀ·A needs no transposed copy of δ).
#[derive(Debug, Clone, Copy)]
pub(super) enum Left<'a> {
    /// A(r, s) = `data[r·stride + s]`.
    Rows {
        /// The entries.
        data: &'a [f64],
        /// Distance between A(r, s) and A(r + 1, s).
        stride: usize,
    },
    /// A(r, s) = `data[s·stride + r]`.
    Transposed {
        /// The entries.
        data: &'a [f64],
        /// Distance between A(r, s) and A(r, s + 1).
        stride: usize,
    },
}

/// The sizes of a product C (rows × width) += A (rows × inner) · B (inner × width).
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    /// Rows of A and C.
    pub rows: usize,
    /// Columns of A, rows of B.
    pub inner: usize,
    /// Columns of B and C that are computed: a multiple of [`PAD`], at most both strides.
    pub width: usize,
}

/// Where the sums of a product start: each C entry is its start plus its terms in the order
/// s = 0, 1, …, so the three give the bits of filling C first and then adding.
#[derive(Debug, Clone, Copy)]
pub(super) enum Start<'a> {
    /// At zero: C = A·B.
    Zero,
    /// At C's own values: C += A·B.
    Current,
    /// At the same row for every r of C (a layer's biases, then zeros to the padded width):
    /// C[r, ·] = row + A·B without writing the row into C first, which at these sizes cost
    /// two library calls (a fill and a copy) per row of every layer.
    Row(&'a [f64]),
}

/// What a product does with C once every sum is written: a pass over C while it is in the
/// cache, in the product's own dispatch, instead of a pass of its own.
#[derive(Debug)]
pub(super) enum Finish<'a> {
    /// Nothing more.
    Store,
    /// Multiplies each entry by the entry of `factor` at the same place (`factor` has C's
    /// stride): the backward pass's δ = σ'(z) ⊙ Wᵀδ.
    Scale(&'a [f64]),
    /// Replaces each entry z by tanh z and writes 1 − tanh² z into the slice (C's stride):
    /// the forward pass's activation, in place, so that z takes no buffer of its own (the
    /// network's buffers outgrow the L1 cache as it is).
    Tanh(&'a mut [f64]),
}

/// One product C[r, ..width] = start + Σ_{s < inner} A(r, s) · B[s, ..width] for every
/// r < rows, with C and B row-major: where the sums begin (zero, C's own values, or a bias row)
/// and what becomes of them ([`Finish`]) say how it starts and ends without a pass over C of
/// its own.
#[derive(Debug)]
pub(super) struct Product<'a, 'c> {
    /// Where the sums start.
    pub start: Start<'a>,
    /// C.
    pub c: &'c mut [f64],
    /// Distance between C[r, j] and C[r + 1, j].
    pub c_stride: usize,
    /// A.
    pub a: Left<'a>,
    /// B.
    pub b: &'a [f64],
    /// Distance between B[s, j] and B[s + 1, j].
    pub b_stride: usize,
    /// The sizes.
    pub shape: Shape,
    /// What becomes of the sums.
    pub finish: Finish<'c>,
}

impl WithLanes for Product<'_, '_> {
    type Output = ();

    /// Blocks of four registers of columns while they fit with `LANES` = 8 (AVX-512 has 32
    /// registers; AVX2's 16 take blocks of two), then one block of the whole registers left,
    /// then (when the width is not a multiple of `LANES`, which [`padded`] widths are) the last
    /// [`PAD`] of columns; four rows a block. Four rows by two or more registers are eight or
    /// more independent sums, enough to keep the fused multiply-adds (latency 4, two a cycle)
    /// busy. Then the finish.
    #[inline(always)]
    fn run<const LANES: usize>(mut self) {
        let width = self.shape.width;
        let mut column = 0;
        let widest = if LANES == 8 { 4 } else { 2 };
        while column + widest * LANES <= width {
            if LANES == 8 {
                self.rows_of::<4, LANES>(column);
            } else {
                self.rows_of::<2, LANES>(column);
            }
            column += widest * LANES;
        }
        match (width - column) / LANES {
            0 => {}
            1 => self.rows_of::<1, LANES>(column),
            2 => self.rows_of::<2, LANES>(column),
            _ => self.rows_of::<3, LANES>(column),
        }
        column = width - (width - column) % LANES;
        if column < width {
            self.rows_of::<1, PAD>(column);
        }
        self.finish::<LANES>();
    }
}

impl Product<'_, '_> {
    /// Every row of C, `V` registers of `L` columns from `column`: four rows at a time, then
    /// one. (Eight rows one register wide would halve the latency-bound products of one
    /// output; LLVM splits them into half registers.)
    #[inline(always)]
    fn rows_of<const V: usize, const L: usize>(&mut self, column: usize) {
        let mut r = 0;
        while r + ROWS <= self.shape.rows {
            self.block::<ROWS, V, L>(r, column);
            r += ROWS;
        }
        while r < self.shape.rows {
            self.block::<1, V, L>(r, column);
            r += 1;
        }
    }

    /// The finish, once every sum is stored: a loop over C's entries that LLVM vectorises
    /// (tanh's too; unrolled over a block's registers it does not), over all rows at once when
    /// nothing lies between them.
    #[inline(always)]
    fn finish<const LANES: usize>(&mut self) {
        let (stride, width, rows) = (self.c_stride, self.shape.width, self.shape.rows);
        let (runs, length) = if stride == width {
            (1, rows * width)
        } else {
            (rows, width)
        };
        for run in 0..runs {
            let at = run * stride;
            let c = &mut self.c[at..at + length];
            match &mut self.finish {
                Finish::Store => {}
                Finish::Scale(factor) => {
                    for (entry, f) in c.iter_mut().zip(&factor[at..at + length]) {
                        *entry *= f;
                    }
                }
                Finish::Tanh(slope) => {
                    let slope = &mut slope[at..at + length];
                    if LANES == 8 {
                        tanh_runs::<32>(c, slope);
                    } else {
                        tanh_runs::<16>(c, slope);
                    }
                }
            }
        }
    }

    /// `R` rows of C from `first`, `V` registers of `L` columns from `column`: the sums stay
    /// in registers through the sum over s. A's `R` values for one s are one slice when A is
    /// transposed, else one value from each of `R` row slices.
    #[inline(always)]
    fn block<const R: usize, const V: usize, const L: usize>(
        &mut self,
        first: usize,
        column: usize,
    ) {
        let (a, b, b_stride, inner) = (self.a, self.b, self.b_stride, self.shape.inner);
        let c_stride = self.c_stride;
        let mut sums = [[[0.0; L]; V]; R];
        match self.start {
            Start::Zero => {}
            // One slice (one bounds check) per row of the block, in registers' chunks.
            Start::Current => {
                for (q, sum) in sums.iter_mut().enumerate() {
                    let start = (first + q) * c_stride + column;
                    let values = self.c[start..start + V * L].chunks_exact(L);
                    for (vector, values) in sum.iter_mut().zip(values) {
                        vector.copy_from_slice(values);
                    }
                }
            }
            Start::Row(row) => {
                let values = &row[column..column + V * L];
                for sum in &mut sums {
                    for (vector, values) in sum.iter_mut().zip(values.chunks_exact(L)) {
                        vector.copy_from_slice(values);
                    }
                }
            }
        }
        // B's row is sliced before A's values are read, so that no bounds check falls
        // between a value's load and its broadcast: in one basic block they are one
        // instruction (a broadcast from memory, on a load port), in two they are a load and a
        // broadcast on the port the fused multiply-adds need.
        // B's rows as whole chunks of its stride: the check that a row holds the block's
        // columns is the same for every s, which LLVM then makes once.
        let b_rows = b[..inner * b_stride].chunks_exact(b_stride);
        match a {
            Left::Transposed { data, stride } => {
                let a_rows = data[..inner * stride].chunks_exact(stride);
                for (b_row, a_row) in b_rows.zip(a_rows) {
                    let row = &b_row[column..column + V * L];
                    let xs: &[f64; R] = a_row[first..].first_chunk().expect("R values of A");
                    add::<R, V, L>(&mut sums, row, *xs);
                }
            }
            Left::Rows { data, stride } => {
                // Rows of exactly `inner` values: reading value s < inner needs no check.
                // A loop rather than `array::from_fn`, which LLVM may leave a call (and the
                // lengths with it).
                let mut rows = [&data[..0]; R];
                for (q, values) in rows.iter_mut().enumerate() {
                    *values = &data[(first + q) * stride..][..inner];
                }
                for (s, b_row) in b_rows.enumerate() {
                    let row = &b_row[column..column + V * L];
                    // A loop rather than `rows.map`, which LLVM may leave a call.
                    let mut xs = [0.0; R];
                    for (x, values) in xs.iter_mut().zip(&rows) {
                        *x = values[s];
                    }
                    add::<R, V, L>(&mut sums, row, xs);
                }
            }
        }
        for (q, sum) in sums.iter().enumerate() {
            let start = (first + q) * c_stride + column;
            let entries = self.c[start..start + V * L].chunks_exact_mut(L);
            for (entries, vector) in entries.zip(sum) {
                entries.copy_from_slice(vector);
            }
        }
    }
}

/// sums[q] += xs[q]·row for every q (`row` has V·L values): one s of a [`Product::block`]. Always inlined:
/// called on its own, its fused multiply-adds would be calls to the C library's `fma`.
#[inline(always)]
fn add<const R: usize, const V: usize, const L: usize>(
    sums: &mut [[[f64; L]; V]; R],
    row: &[f64],
    xs: [f64; R],
) {
    for (sum, x) in sums.iter_mut().zip(xs) {
        for (vector, ys) in sum.iter_mut().zip(row.chunks_exact(L)) {
            for (total, y) in vector.iter_mut().zip(ys) {
                *total = x.mul_add(*y, *total);
            }
        }
    }
}

/// [`tanh_and_slope`] of `values` in place, the slopes into `slopes` (of equal length), `N`
/// values at a time (four registers), then one by one.
#[inline(always)]
fn tanh_runs<const N: usize>(values: &mut [f64], slopes: &mut [f64]) {
    let runs = values.chunks_exact_mut(N).zip(slopes.chunks_exact_mut(N));
    for (value, slope) in runs {
        let z: [f64; N] = (&*value).try_into().expect("N values");
        tanh_and_slope::<N>(
            &z,
            value.try_into().expect("N values"),
            slope.try_into().expect("N values"),
        );
    }
    let done = values.len() - values.len() % N;
    for (value, slope) in values[done..].iter_mut().zip(&mut slopes[done..]) {
        let (mut t, mut s) = ([0.0], [0.0]);
        tanh_and_slope(&[*value], &mut t, &mut s);
        (*value, *slope) = (t[0], s[0]);
    }
}

/// `dst` = `src` (of equal length) in moves of `WIDE` values (a register of the pass's
/// width) while at least that many are left, else of [`PAD`], the last move overlapping the one
/// before it when the length is not a multiple, and value by value below one [`PAD`]:
/// fixed-size moves only, where `copy_from_slice` of a run-time length is a library call.
#[inline(always)]
pub(super) fn copy_short<const WIDE: usize>(dst: &mut [f64], src: &[f64]) {
    let n = dst.len();
    assert_eq!(n, src.len(), "copies between equal lengths");
    if n >= WIDE {
        overlapping_moves::<WIDE>(dst, src);
    } else if n >= PAD {
        overlapping_moves::<PAD>(dst, src);
    } else {
        // One value at a time, unrolled: LLVM turns a loop of them into a library call.
        for at in 0..PAD - 1 {
            if at < n {
                dst[at] = src[at];
            }
        }
    }
}

/// [`copy_short`] of at least `M` values in moves of `M`, then (when `M` does not divide the
/// length) one more that ends at the end, overlapping the one before.
#[inline(always)]
fn overlapping_moves<const M: usize>(dst: &mut [f64], src: &[f64]) {
    let n = dst.len();
    let mut at = 0;
    while at + M <= n {
        let to: &mut [f64; M] = (&mut dst[at..at + M]).try_into().expect("M values");
        *to = src[at..at + M].try_into().expect("M values");
        at += M;
    }
    if at < n {
        let to: &mut [f64; M] = (&mut dst[n - M..n]).try_into().expect("M values");
        *to = src[n - M..n].try_into().expect("M values");
    }
}

/// Beyond this |z| tanh z rounds to ±1 (e^{2|z|} > 2⁵⁴): m is computed at most this far.
const TANH_FLAT: f64 = 20.0;
/// 1.5·2⁵²: adding it to 0 ≤ v < 2⁵¹ rounds v to an integer held in the low bits of the sum.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// ln 2 in two parts (fdlibm's): k·LN2_HI is exact for the k used here.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1/j! for j = 13 down to 2: expm1(r) = r + r²·Σ rʲ⁻²/j!, whose remainder r¹⁴/14! < 5·10⁻¹⁸
/// for |r| ≤ ln2/2.
const EXP_TAYLOR: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
];

/// tanh z = sign(z)·m/(m + 2) with m = e^{2|z|} − 1 computed without cancellation as
/// 2ᵏ·expm1(r) + (2ᵏ − 1), where 2|z| = k ln2 + r, |r| ≤ ln2/2, expm1(r) from its Taylor
/// polynomial ([`EXP_TAYLOR`], Horner, fused) and 2ᵏ built in the exponent bits: one path for
/// every z, where Cephes' form evaluates both a rational function (|z| < 0.625) and
/// 1 − 2/(e + 1) and selects, ~40 % more arithmetic for the same one division. Within ~2 ulp of
/// exact, as the C library's tanh (tested against both); ±∞ give ±1, NaN gives NaN, −0 gives −0.
#[inline(always)]
#[must_use]
pub(super) fn tanh(z: f64) -> f64 {
    let (mut value, mut slope) = ([0.0], [0.0]);
    tanh_and_slope(&[z], &mut value, &mut slope);
    value[0]
}

/// [`tanh`] and 1 − tanh² of `N` values, each step of the formula taken for all `N` before
/// the next: a value's steps form one chain ~100 cycles long, and the scheduler holds too few
/// instructions to overlap enough of them when each value's chain comes whole (a loop of
/// [`tanh`]), so `N` of four registers runs ~12 % faster. The same bits as [`tanh`].
#[inline(always)]
pub(super) fn tanh_and_slope<const N: usize>(
    z: &[f64; N],
    value: &mut [f64; N],
    slope: &mut [f64; N],
) {
    let mut x = [0.0; N];
    for (x, z) in x.iter_mut().zip(z) {
        let size = z.abs();
        // A comparison, not `min`, so that NaN stays NaN.
        *x = 2.0 * if size > TANH_FLAT { TANH_FLAT } else { size };
    }
    let mut shifted = [0.0; N];
    let mut r = [0.0; N];
    for ((shifted, r), x) in shifted.iter_mut().zip(&mut r).zip(&x) {
        *shifted = x.mul_add(std::f64::consts::LOG2_E, ROUND);
        let k = *shifted - ROUND;
        *r = k.mul_add(-LN2_LO, k.mul_add(-LN2_HI, *x));
    }
    // Horner from the first coefficient: the same bits as from 0 (0·r + c = c for every
    // finite r, and a NaN r makes a NaN either way), one multiply-add fewer.
    let mut poly = [EXP_TAYLOR[0]; N];
    for coefficient in &EXP_TAYLOR[1..] {
        for (sum, r) in poly.iter_mut().zip(&r) {
            *sum = sum.mul_add(*r, *coefficient);
        }
    }
    for q in 0..N {
        let expm1_r = (poly[q] * r[q]).mul_add(r[q], r[q]);
        let power = shifted[q].to_bits().wrapping_sub(ROUND.to_bits());
        let two_k = f64::from_bits(power.wrapping_add(1023) << 52);
        let m = two_k.mul_add(expm1_r, two_k - 1.0);
        let t = (m / (m + 2.0)).copysign(z[q]);
        value[q] = t;
        slope[q] = 1.0 - t * t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::simd::widest_lanes;

    /// Against exact values (40-digit decimal arithmetic, (e^{2x} − 1)/(e^{2x} + 1), rounded to
    /// the nearest double): within 2.4·10⁻¹⁶ relative (Cephes' bound, which the previous form met).
    #[test]
    fn tanh_is_within_cephes_bound_of_exact_values() {
        let exact = [
            (0.3, 0.291_312_612_451_590_9),
            (0.5608, 0.508_570_758_796_519_7),
            (0.9438, 0.736_963_283_673_907_7),
            (1.7, 0.935_409_070_603_099),
            (-4.25, -0.999_593_146_043_889_6),
            (0.001, 0.000_999_999_666_666_8),
        ];
        for (z, want) in exact {
            let error = (tanh(z) - want).abs() / want.abs();
            assert!(
                error <= 2.4e-16,
                "tanh({z}) = {:?}, exact {want:?}",
                tanh(z)
            );
        }
    }

    /// Over the range and at its edges, within the two functions' errors of `f64::tanh`: each is
    /// ~2 ulp from exact at worst (the library's at z = −0.20832 is 1.8 ulp, ours 2.1 ulp, in
    /// opposite directions), so the gap reaches 5.1·10⁻¹⁶ relative there.
    #[test]
    fn tanh_agrees_with_the_library_over_its_range() {
        let relative = |z: f64| (tanh(z) - z.tanh()).abs() / z.tanh().abs();
        let mut worst: f64 = 0.0;
        for i in -200_000..=200_000 {
            let z = f64::from(i) * 1e-4 + 1e-9;
            worst = worst.max(relative(z));
        }
        assert!(worst <= 6e-16, "worst relative gap {worst:e}");
        for z in [1e-300, -1e-20, 1e-8, 0.624_999, 0.625, 19.0, 400.0, 1e308] {
            assert!(relative(z) <= 6e-16, "tanh({z}) = {}", tanh(z));
        }
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(0.0), 0.0);
    }

    /// Every shape the blocking splits differently (rows around the block of four, widths
    /// through four registers, three, two, one and the last [`PAD`] of either width), both
    /// layouts of A, every start and every finish, on the path this CPU takes and on both
    /// register widths run directly: each entry the bits of a plain loop of fused multiply-adds
    /// in the order s = 0, 1, …, then of the finish's formula.
    #[test]
    fn products_match_a_plain_triple_loop() {
        let value = |i: usize, scale: f64| ((i as f64 + 0.5) * scale).sin() * 3.0;
        for rows in 1..=17 {
            for inner in 1..=4 {
                for width in (PAD..=68).step_by(PAD) {
                    check_product(rows, inner, width, value);
                }
            }
        }
    }

    /// [`products_match_a_plain_triple_loop`] at one shape.
    fn check_product(rows: usize, inner: usize, width: usize, value: impl Fn(usize, f64) -> f64) {
        // Strides wider than the width, as a padded buffer can be.
        let (b_stride, c_stride) = (width + PAD, width + 2 * PAD);
        let b: Vec<f64> = (0..inner * b_stride).map(|i| value(i, 0.9)).collect();
        let bias: Vec<f64> = (0..width).map(|i| value(i, 0.3)).collect();
        let initial: Vec<f64> = (0..rows * c_stride).map(|i| value(i, 0.7)).collect();
        let factor: Vec<f64> = (0..rows * c_stride).map(|i| value(i, 0.11)).collect();
        let a: Vec<f64> = (0..rows * inner).map(|i| value(i, 0.37)).collect();
        // A row-major (rows × inner) and the same entries as a transpose.
        let a_t: Vec<f64> = (0..inner * rows)
            .map(|i| a[(i % rows) * inner + i / rows])
            .collect();
        let lefts = [
            Left::Rows {
                data: &a,
                stride: inner,
            },
            Left::Transposed {
                data: &a_t,
                stride: rows,
            },
        ];
        let ways: [fn(Product<'_, '_>); 3] =
            [|p| widest_lanes(p), |p| p.run::<8>(), |p| p.run::<4>()];
        let starts = [Start::Zero, Start::Current, Start::Row(&bias)];
        for (left, start) in lefts.iter().flat_map(|l| starts.map(|s| (*l, s))) {
            let sum = |r: usize, j: usize| {
                let first = match start {
                    Start::Zero => 0.0,
                    Start::Current => initial[r * c_stride + j],
                    Start::Row(row) => row[j],
                };
                (0..inner).fold(first, |sum: f64, s| {
                    a[r * inner + s].mul_add(b[s * b_stride + j], sum)
                })
            };
            for (way, run) in ways.iter().enumerate() {
                for finish in 0..3 {
                    let (mut c, mut slope) = (initial.clone(), initial.clone());
                    run(Product {
                        start,
                        c: &mut c,
                        c_stride,
                        a: left,
                        b: &b,
                        b_stride,
                        shape: Shape { rows, inner, width },
                        finish: match finish {
                            0 => Finish::Store,
                            1 => Finish::Scale(&factor),
                            _ => Finish::Tanh(&mut slope),
                        },
                    });
                    let at =
                        format!("way {way}, {rows}×{inner}×{width}, {start:?}, finish {finish}");
                    for r in 0..rows {
                        for j in 0..width {
                            let (z, i) = (sum(r, j), r * c_stride + j);
                            let want = match finish {
                                0 => z,
                                1 => z * factor[i],
                                _ => tanh(z),
                            };
                            assert_eq!(c[i].to_bits(), want.to_bits(), "{at}: C[{r}, {j}]");
                            if finish == 2 {
                                let t = tanh(z);
                                assert_eq!(slope[i].to_bits(), (1.0 - t * t).to_bits(), "{at}");
                            }
                        }
                        let beyond = r * c_stride + width..(r + 1) * c_stride;
                        for written in [&c, &slope] {
                            assert_eq!(written[beyond.clone()], initial[beyond.clone()], "{at}");
                        }
                    }
                }
            }
        }
    }
}
