//! The network's inner loops: the small dense products of its layers and a tanh that
//! vectorises.
//!
//! A step of the edge-of-stability network (1 → 30 → 20 → 1 on 20 points) is ~38,000
//! multiply-adds and 1,000 tanh; numpy takes ~34 µs for it, so matching the 10× means
//! a few µs. Per-point dot products (the first version) spend their time in horizontal sums and
//! library calls to `tanh`. Here every product has one shape, C[r, ·] += Σₛ A(r, s)·B[s, ·] with
//! B and C row-major and their rows padded to whole 4-double vectors ([`padded`]), run under
//! [`widest`] so the four lanes of a row chunk are one AVX2 register and four rows of C share
//! each load of B.
//!
//! Multiply-adds are fused (`mul_add`): one rounding instead of two, and the same bits whether
//! the CPU has FMA (one instruction) or not (the C library's exact `fma`, slower), so a result
//! never depends on the machine. Each C entry sums its terms in the order s = 0, 1, …, whatever
//! the blocking, so the bits do not depend on how the rows are grouped either.
//!
//! Measured on this machine's AVX2 path: a gradient 20 → 7 µs, a Hessian-vector product
//! 50 → 17 µs; then sums started from the bias row ([`Start`]) and a one-path tanh ([`tanh`])
//! took a GD step from ~7.5 to ~6 µs. What is left is about half products and a quarter tanh.
//! AVX-512 is not reachable on stable Rust here: pulp 0.21's `x86-v4` is its
//! `nightly-x86-v4` feature (it enables `#![feature(stdarch_x86_avx512)]`), and a dispatch of
//! our own would need `unsafe`, which the crate forbids.

use crate::core::simd::widest;

/// Doubles per vector register (AVX2): the unit every padded row is a multiple of.
pub(super) const LANE: usize = 4;

/// Rows of C that share each load of B.
const ROWS: usize = 4;

/// `width` rounded up to whole vectors: the row stride of every padded buffer.
#[must_use]
pub(super) fn padded(width: usize) -> usize {
    width.next_multiple_of(LANE)
}

/// The left factor A (rows × inner) of a product, A(r, s) = `data[r·row + s·column]`: a
/// row-major matrix (`row` = its stride, `column` = 1) or the transpose of one (`row` = 1,
/// `column` = its stride), so δᵀ·A needs no transposed copy of δ.
#[derive(Debug, Clone, Copy)]
pub(super) struct Left<'a> {
    /// The entries.
    pub data: &'a [f64],
    /// Distance between A(r, s) and A(r + 1, s).
    pub row: usize,
    /// Distance between A(r, s) and A(r, s + 1).
    pub column: usize,
}

/// The sizes of a product C (rows × width) += A (rows × inner) · B (inner × width).
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    /// Rows of A and C.
    pub rows: usize,
    /// Columns of A, rows of B.
    pub inner: usize,
    /// Columns of B and C that are computed: a multiple of [`LANE`], at most both strides.
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

/// C[r, ..width] = start + Σ_{s < inner} A(r, s) · B[s, ..width] for every r < rows, with C and
/// B row-major (strides `c_stride`, `b_stride`); `start` says where the sums begin (zero, C's
/// own values, or a bias row) without writing C first.
pub(super) fn multiply(
    start: Start<'_>,
    c: &mut [f64],
    c_stride: usize,
    a: Left<'_>,
    b: &[f64],
    b_stride: usize,
    shape: Shape,
) {
    debug_assert_eq!(shape.width % LANE, 0);
    widest(
        #[inline(always)]
        || {
            let mut column = 0;
            // Two vectors of columns by four rows: eight independent sums, enough to keep the
            // fused multiply-adds (latency 4, two a cycle) busy.
            while column + 2 * LANE <= shape.width {
                rows_of::<2>(start, c, c_stride, a, b, b_stride, (column, shape));
                column += 2 * LANE;
            }
            if column < shape.width {
                rows_of::<1>(start, c, c_stride, a, b, b_stride, (column, shape));
            }
        },
    );
}

/// Every row of C, `V` vectors of columns from `column`: four rows at a time, then one.
#[inline(always)]
fn rows_of<const V: usize>(
    start: Start<'_>,
    c: &mut [f64],
    c_stride: usize,
    a: Left<'_>,
    b: &[f64],
    b_stride: usize,
    (column, shape): (usize, Shape),
) {
    let mut r = 0;
    while r + ROWS <= shape.rows {
        block::<ROWS, V>(start, c, c_stride, a, b, b_stride, (r, column, shape.inner));
        r += ROWS;
    }
    while r < shape.rows {
        block::<1, V>(start, c, c_stride, a, b, b_stride, (r, column, shape.inner));
        r += 1;
    }
}

/// `R` rows of C from `first`, `V` vectors of columns from `column`: the sums stay in
/// registers through the sum over s. A's `R` values for one s are one slice when A is a
/// transpose (`row` = 1), else one value from each of `R` row slices.
#[inline(always)]
fn block<const R: usize, const V: usize>(
    start: Start<'_>,
    c: &mut [f64],
    c_stride: usize,
    a: Left<'_>,
    b: &[f64],
    b_stride: usize,
    (first, column, inner): (usize, usize, usize),
) {
    let mut sums = [[[0.0; LANE]; V]; R];
    match start {
        Start::Zero => {}
        Start::Current => {
            for (q, sum) in sums.iter_mut().enumerate() {
                let start = (first + q) * c_stride + column;
                for (v, vector) in sum.iter_mut().enumerate() {
                    vector.copy_from_slice(&c[start + v * LANE..start + (v + 1) * LANE]);
                }
            }
        }
        Start::Row(row) => {
            for sum in &mut sums {
                for (v, vector) in sum.iter_mut().enumerate() {
                    let at = column + v * LANE;
                    vector.copy_from_slice(&row[at..at + LANE]);
                }
            }
        }
    }
    if a.row == 1 {
        for s in 0..inner {
            let start = s * a.column + first;
            let xs: [f64; R] = a.data[start..start + R]
                .try_into()
                .expect("a slice of R values");
            add::<R, V>(&mut sums, &b[s * b_stride + column..], xs);
        }
    } else {
        let rows: [&[f64]; R] = std::array::from_fn(|q| {
            let start = (first + q) * a.row;
            &a.data[start..start + inner * a.column]
        });
        for s in 0..inner {
            let xs = rows.map(|row| row[s * a.column]);
            add::<R, V>(&mut sums, &b[s * b_stride + column..], xs);
        }
    }
    for (q, sum) in sums.iter().enumerate() {
        let start = (first + q) * c_stride + column;
        for (v, vector) in sum.iter().enumerate() {
            c[start + v * LANE..start + (v + 1) * LANE].copy_from_slice(vector);
        }
    }
}

/// sums[q] += xs[q]·row[..V·LANE] for every q: one s of a [`block`]. Always inlined: called
/// on its own, its fused multiply-adds would be calls to the C library's `fma`.
#[inline(always)]
fn add<const R: usize, const V: usize>(
    sums: &mut [[[f64; LANE]; V]; R],
    row: &[f64],
    xs: [f64; R],
) {
    let row = &row[..V * LANE];
    for (sum, x) in sums.iter_mut().zip(xs) {
        for (vector, ys) in sum.iter_mut().zip(row.chunks_exact(LANE)) {
            for (total, y) in vector.iter_mut().zip(ys) {
                *total = x.mul_add(*y, *total);
            }
        }
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
/// polynomial ([`EXP_TAYLOR`], Horner, fused) and 2ᵏ built in the exponent bits: one path for every z, where Cephes'
/// form evaluates both a rational function (|z| < 0.625) and 1 − 2/(e + 1) and selects, ~40 %
/// more arithmetic for the same one division. Within ~2 ulp of exact, as the C library's tanh
/// (tested against both); ±∞ give ±1, NaN gives NaN, −0 gives −0.
#[inline(always)]
#[must_use]
pub(super) fn tanh(z: f64) -> f64 {
    let size = z.abs();
    // A comparison, not `min`, so that NaN stays NaN.
    let x = 2.0 * if size > TANH_FLAT { TANH_FLAT } else { size };
    let shifted = x.mul_add(std::f64::consts::LOG2_E, ROUND);
    let k = shifted - ROUND;
    let r = k.mul_add(-LN2_LO, k.mul_add(-LN2_HI, x));
    let poly = EXP_TAYLOR
        .iter()
        .fold(0.0, |sum: f64, &coefficient| sum.mul_add(r, coefficient));
    let expm1_r = (poly * r).mul_add(r, r);
    let power = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let two_k = f64::from_bits(power.wrapping_add(1023) << 52);
    let m = two_k.mul_add(expm1_r, two_k - 1.0);
    (m / (m + 2.0)).copysign(z)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn products_match_a_plain_triple_loop() {
        // A (5 × 3) as a transpose (row 1, column 5), B (3 × 8), C (5 × 8) starting at 1.
        let a: Vec<f64> = (0..15).map(|i| f64::from(i) * 0.37 - 2.0).collect();
        let b: Vec<f64> = (0..24).map(|i| (f64::from(i) * 0.9).sin()).collect();
        let mut c = vec![1.0; 40];
        let left = Left {
            data: &a,
            row: 1,
            column: 5,
        };
        let shape = Shape {
            rows: 5,
            inner: 3,
            width: 8,
        };
        multiply(Start::Current, &mut c, 8, left, &b, 8, shape);
        for r in 0..5 {
            for j in 0..8 {
                let want = (0..3).fold(1.0, |sum: f64, s| a[r + 5 * s].mul_add(b[s * 8 + j], sum));
                assert_eq!(c[r * 8 + j].to_bits(), want.to_bits(), "C[{r}, {j}]");
            }
        }
    }
}
