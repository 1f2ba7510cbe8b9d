//! exp of a few values at once, without a library call: the linear classifier's hot loop.
//!
//! A 2-D gradient step on the article's 20 points is 20 exps and little else, and the C
//! library's `exp` (a call per value, with its special cases) was two thirds of it.
//! [`exp_lanes`] is the table-driven algorithm of glibc and ARM's optimized-routines (Szabolcs
//! Nagy's `exp`), written out in safe Rust for [`LANES`] values with no branch inside a lane:
//!
//! x = (k/N)·ln2 + r with N = 128, |r| ≤ ln2/256, then eˣ = 2^(k/N)·eʳ where 2^(j/N), j = k mod
//! N, comes from a table as a double s plus a relative correction t (2^(j/N) = s·(1 + t), t
//! carried to ~2⁻¹⁰⁶), and eʳ − 1 from its degree-5 Taylor polynomial (remainder < 2⁻⁶⁰). The
//! reduction is exact (ln2/N is split in two, the first part's product with k has no rounding)
//! and the last step is s + s·(t + r + …), so the result is within ~0.51 ulp of eˣ; the tests
//! measure ≤ 1 ulp from `f64::exp` (itself within 0.51 ulp), 99.9 % bit-identical.
//!
//! Arguments with |x| > 708 (results that overflow, or are near or below the smallest normal)
//! and NaN take `f64::exp` for their whole block of lanes: the table path has no special cases.
//! Only IEEE additions and multiplications are used (no fused multiply-add, no `target-cpu`),
//! so the results do not depend on the CPU's features: a Slurm node without AVX computes the
//! same bits as a laptop with it.

use std::sync::LazyLock;

/// How many values [`exp_lanes`] computes at once (independent chains the out-of-order core
/// overlaps; the callers' lane-wise sums use the same width).
pub const LANES: usize = 4;

/// log₂ of the table size N.
const TABLE_BITS: u32 = 7;
/// N, the number of table entries: 2^(j/N) for j = 0 … N − 1.
const TABLE_SIZE: usize = 1 << TABLE_BITS;
/// N/ln 2.
const N_OVER_LN2: f64 = std::f64::consts::LOG2_E * TABLE_SIZE as f64;
/// ln2/N in two parts (fdlibm's `ln2HI`, `ln2LO`, divided by N exactly): the first has 32
/// significant bits, so k·LN2_HI_N is exact for every |k| < 2²¹, and x − k·LN2_HI_N is exact
/// (Sterbenz) once k is x·N/ln2 rounded; the second carries ln 2 to ~85 bits.
const LN2_HI_N: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000) / TABLE_SIZE as f64;
const LN2_LO_N: f64 = f64::from_bits(0x3dea_39ef_3579_3c76) / TABLE_SIZE as f64;
/// 1.5·2⁵²: adding it to |v| < 2⁵¹ rounds v to the nearest integer, which then sits in the low
/// bits of the sum (how the float k becomes the integer k without a conversion instruction).
const ROUND: f64 = 6_755_399_441_055_744.0;
/// Largest |x| the table path takes: beyond it 2^(k/N) leaves the normal range.
const TABLE_RANGE: f64 = 708.0;

/// Per j: the bits of s ≈ 2^(j/N) less j·2^(52−TABLE_BITS) (so that adding k·2^(52−TABLE_BITS)
/// puts ⌊k/N⌋ into the exponent), and t with 2^(j/N) = s·(1 + t).
static TABLE: LazyLock<[(u64, f64); TABLE_SIZE]> = LazyLock::new(|| {
    std::array::from_fn(|j| {
        let (scale, tail) = power_of_two_fraction(j);
        let bits = scale
            .to_bits()
            .wrapping_sub((j as u64) << (52 - TABLE_BITS));
        (bits, tail)
    })
});

/// s = 2^(j/N) as `f64::exp2` rounds it and t = 2^(j/N)/s − 1, from s^N in double-double
/// arithmetic (each product exact to ~2⁻¹⁰⁴ through `mul_add`): (1 + t)^N = 2ʲ/s^N, so
/// t = (2ʲ − s^N)/(N·s^N) to first order (the second-order term is below 2⁻⁹⁰·t).
fn power_of_two_fraction(j: usize) -> (f64, f64) {
    let scale = (j as f64 / TABLE_SIZE as f64).exp2();
    let mut power = (scale, 0.0);
    for _ in 0..TABLE_BITS {
        power = double_double_product(power, power);
    }
    let target = 2_f64.powi(j as i32);
    // target and power.0 agree to ~2⁻⁴⁵: their difference is exact.
    let tail = ((target - power.0) - power.1) / (power.0 * TABLE_SIZE as f64);
    (scale, tail)
}

/// (a_hi + a_lo)·(b_hi + b_lo) as a normalised double-double.
fn double_double_product((a_hi, a_lo): (f64, f64), (b_hi, b_lo): (f64, f64)) -> (f64, f64) {
    let product = a_hi * b_hi;
    let error = a_hi.mul_add(b_hi, -product) + (a_hi * b_lo + a_lo * b_hi);
    let sum = product + error;
    (sum, error - (sum - product))
}

/// eˣ for each lane, within 1 ulp of `f64::exp` (see the module notes): +∞ on overflow, 0 and
/// subnormals on underflow, exp(±∞) and NaN as `f64::exp` gives them.
#[must_use]
// Measured: left to LLVM this stays a call, and the gradient waits on its result through the
// stack (70 → 58 ns a 2-D step once inlined).
#[inline(always)]
pub fn exp_lanes(x: [f64; LANES]) -> [f64; LANES] {
    // Folded without short-circuit (one branch per block); NaN fails the test too.
    let in_range = x.iter().fold(true, |all, v| all & (v.abs() <= TABLE_RANGE));
    if !in_range {
        return x.map(f64::exp);
    }
    let table = &*TABLE;
    let mut out = [0.0; LANES];
    for (out, &x) in out.iter_mut().zip(&x) {
        let shifted = x * N_OVER_LN2 + ROUND;
        let k_bits = shifted.to_bits();
        let k = shifted - ROUND;
        let r = (x - k * LN2_HI_N) - k * LN2_LO_N;
        let (bits, tail) = table[(k_bits % TABLE_SIZE as u64) as usize];
        // k_bits = bits of ROUND (low 19 bits zero) + k: shifted left, only k·2^45 remains.
        let scale = f64::from_bits(bits.wrapping_add(k_bits << (52 - TABLE_BITS)));
        let r2 = r * r;
        let poly = tail + r + r2 * (0.5 + r * (1.0 / 6.0)) + r2 * r2 * (1.0 / 24.0 + r / 120.0);
        *out = scale + scale * poly;
    }
    out
}

/// The sum of the lanes, added pairwise (lane i with lane i + LANES/2, halving until one is
/// left): how lane-wise partial sums become one number.
#[must_use]
#[inline]
pub fn sum_lanes(mut lanes: [f64; LANES]) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            lanes[i] += lanes[i + width];
        }
    }
    lanes[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairwise sum against the plain left-to-right sum, on values whose sum is exact in
    /// any order (small integers): equal.
    #[test]
    fn lanes_sum_to_their_total() {
        let lanes: [f64; LANES] = std::array::from_fn(|i| (i * i + 1) as f64);
        assert_eq!(sum_lanes(lanes), lanes.iter().sum::<f64>());
    }

    /// The table against the identity 2^(a/N)·2^(b/N) = 2^((a+b)/N), which its construction
    /// (N-th powers) does not use: for every a + b < N, s_a(1 + t_a)·s_b(1 + t_b) = s_{a+b}(1 +
    /// t_{a+b}) to 2⁻⁹⁵ relative, with s_a·s_b exact as a double-double. Tolerance: the
    /// neglected t_a·t_b (< 2⁻¹⁰⁶) and the tails' own error (~2⁻¹⁰⁰), with margin; a table
    /// without tails (t = 0) would miss by up to 2⁻⁵³.
    #[test]
    fn table_entries_multiply_as_powers_of_two() {
        let entries: Vec<(f64, f64)> = (0..TABLE_SIZE).map(power_of_two_fraction).collect();
        let mut worst = 0.0_f64;
        for (a, &(scale_a, tail_a)) in entries.iter().enumerate() {
            for (b, &(scale_b, tail_b)) in entries.iter().enumerate().take(TABLE_SIZE - a) {
                let (scale_sum, tail_sum) = entries[a + b];
                let product = scale_a * scale_b;
                let error = scale_a.mul_add(scale_b, -product);
                let relative = ((product - scale_sum) + error) / scale_sum;
                worst = worst.max((relative + tail_a + tail_b - tail_sum).abs());
                assert!(tail_a.abs() <= f64::EPSILON, "|t| must be below an ulp");
            }
        }
        assert!(worst < 2_f64.powi(-95), "worst mismatch {worst:e}");
        assert!(
            entries.iter().any(|(_, t)| t.abs() > 2_f64.powi(-60)),
            "the tails are not all zero"
        );
    }

    /// Distance in units in the last place between two finite (or equal) doubles of one sign.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        assert!(a.is_finite() && b.is_finite(), "{a} vs {b}");
        assert_eq!(a.is_sign_negative(), b.is_sign_negative());
        a.to_bits().abs_diff(b.to_bits())
    }

    /// The largest ulp distance to `f64::exp` (glibc: < 0.51 ulp from the exact value) over
    /// `xs`, four at a time.
    fn worst_ulps(xs: &[f64]) -> (u64, f64) {
        let mut worst = (0, f64::NAN);
        for chunk in xs.chunks(LANES) {
            let mut lanes = [0.0; LANES];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let got = exp_lanes(lanes);
            for (&x, &e) in chunk.iter().zip(&got) {
                let d = ulps(e, x.exp());
                if d > worst.0 {
                    worst = (d, x);
                }
            }
        }
        worst
    }

    /// A dense grid over the whole range that has a finite non-zero result, plus its ends:
    /// at most 1 ulp from `f64::exp` (the two are within 1 ulp and 0.51 ulp of the truth).
    #[test]
    fn within_one_ulp_of_std_over_the_whole_range() {
        let n = 2_000_000;
        let xs: Vec<f64> = (0..=n)
            .map(|i| -746.0 + 1456.0 * f64::from(i) / f64::from(n))
            .collect();
        let (worst, at) = worst_ulps(&xs);
        assert!(worst <= 1, "{worst} ulps at x = {at}");
    }

    /// Random arguments of every scale (uniform exponent and mantissa bits) in the range,
    /// including the tiny ones where exp(x) = 1 + x: at most 1 ulp from `f64::exp`.
    #[test]
    fn within_one_ulp_of_std_at_random_scales() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let xs: Vec<f64> = (0..2_000_000)
            .map(|_| {
                let bits = next();
                // exponent from 2^-60 to 2^9, either sign
                let exponent = 1023 - 60 + (bits >> 52) % 70;
                f64::from_bits((bits & 0x800F_FFFF_FFFF_FFFF) | (exponent << 52))
            })
            .filter(|x| (-746.0..=710.0).contains(x))
            .collect();
        assert!(xs.len() > 1_000_000);
        let (worst, at) = worst_ulps(&xs);
        assert!(worst <= 1, "{worst} ulps at x = {at}");
    }

    /// The edges against `f64::exp` exactly: the largest finite result and the first overflow,
    /// the subnormal results down to the last one and the first 0, ±0, ±∞, NaN and huge values.
    #[test]
    fn edges_overflow_underflow_infinities_and_nan_match_std() {
        let largest_finite = 709.782_712_893_383_9_f64;
        let mut xs = vec![
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            largest_finite,
            largest_finite.next_up(),
            710.0,
            1e300,
            f64::MAX,
            f64::INFINITY,
            -708.39,
            -708.4,
            -720.0,
            -740.0,
            -744.44,
            -745.13,
            -745.133_219_101_941_1,
            -745.14,
            -746.0,
            -1e300,
            f64::MIN,
            f64::NEG_INFINITY,
        ];
        // Every subnormal result's neighbourhood: steps of 1e-3 through [−745.2, −708].
        xs.extend((0..=37_200).map(|i| -745.2 + f64::from(i) * 1e-3));
        for chunk in xs.chunks(LANES) {
            let mut lanes = [0.0; LANES];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let got = exp_lanes(lanes);
            for (&x, &e) in chunk.iter().zip(&got) {
                let want = x.exp();
                if want == 0.0 || want.is_infinite() || x == 0.0 {
                    assert_eq!(e.to_bits(), want.to_bits(), "exp({x}) = {e}, std {want}");
                } else {
                    assert!(ulps(e, want) <= 1, "exp({x}) = {e:e}, std {want:e}");
                }
            }
        }
        let nan = exp_lanes([f64::NAN, -f64::NAN, 1.0, f64::NAN]);
        assert!(nan[0].is_nan() && nan[1].is_nan() && nan[3].is_nan());
        assert!(ulps(nan[2], 1.0_f64.exp()) <= 1);
    }
}
