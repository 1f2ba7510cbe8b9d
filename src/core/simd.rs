//! Loops compiled for the widest vectors the CPU has, chosen when the program runs.
//!
//! Release builds target plain x86-64 (SSE2, two doubles per instruction) so that one binary
//! runs on every machine a sweep may land on. The per-parameter loops (optimizer updates, the
//! finite check, the masked residual) are then a large share of a small matrix step: at N = 20
//! they were 70 % of it. `pulp` (already built for faer) runs a closure inside a function
//! compiled for AVX-512 (its `V4`: avx512f/dq/bw/vl/cd with AVX2 and FMA) or else AVX2 + FMA
//! (`V3`) when the CPU has them, where LLVM vectorises the same loop eight or four doubles
//! wide; AVX2 made such loops 4× faster on 800 parameters, 2× on 80,000 (memory-bound there).
//! Rust never fuses a multiply and an add on its own, and a fused one (`mul_add`) rounds once
//! on every path, so the results are the same bits on every path.
//!
//! [`widest`] suits loops LLVM vectorises by itself, whatever the width. A loop written for
//! a vector width (register-blocked products, whose sums are arrays held in registers) goes
//! through [`widest_lanes`] instead, which also says how many doubles a register holds.

/// Runs `op` compiled for AVX-512 or else AVX2 + FMA when this CPU has them, else as it is.
/// `op` and everything it calls must be `#[inline(always)]` (a closure can say so:
/// `widest(#[inline(always)] || …)`) to be compiled that way: LLVM does not always inline a
/// closure with a loop on its own.
#[inline(always)]
pub fn widest<R>(op: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(op)
}

/// An operation written for registers of `LANES` doubles, for [`widest_lanes`]: its arrays of
/// `LANES` doubles become one register each.
pub trait WithLanes {
    /// What it returns.
    type Output;
    /// Runs it with `LANES` doubles a register (8 or 4). Must be `#[inline(always)]`, as
    /// everything it calls, to be compiled for the path [`widest_lanes`] takes.
    fn run<const LANES: usize>(self) -> Self::Output;
}

/// Runs `op` as [`widest`] does, with `LANES` = 8 on the AVX-512 path and 4 on the others
/// (AVX2; and plain x86-64, where LLVM makes an array of 4 two SSE2 registers).
#[inline(always)]
pub fn widest_lanes<Op: WithLanes>(op: Op) -> Op::Output {
    pulp::Arch::new().dispatch(Registers(op))
}

/// The `LANES` that [`widest_lanes`] runs its operations with on this CPU: 8 or 4. Buffers
/// padded to a multiple of it keep every register of a row whole.
#[must_use]
pub fn lanes() -> usize {
    /// Asks for nothing but the width.
    struct Width;
    impl WithLanes for Width {
        type Output = usize;
        #[inline(always)]
        fn run<const LANES: usize>(self) -> usize {
            LANES
        }
    }
    widest_lanes(Width)
}

/// [`WithLanes`] as pulp's [`pulp::WithSimd`]: the register width read from the instruction
/// set pulp chose, a constant in each compiled path.
struct Registers<Op>(Op);

impl<Op: WithLanes> pulp::WithSimd for Registers<Op> {
    type Output = Op::Output;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) -> Op::Output {
        if S::F64_LANES >= 8 {
            self.0.run::<8>()
        } else {
            self.0.run::<4>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 8 doubles a register exactly where pulp takes its AVX-512 path (this machine and CI's).
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn lanes_follow_the_cpu() {
        let avx512 = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512cd")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl");
        assert_eq!(lanes(), if avx512 { 8 } else { 4 });
    }

    #[test]
    fn a_dispatched_loop_gives_the_bits_of_the_scalar_formula() {
        // Values where a fused multiply-add would round differently from a multiply then an
        // add, subnormals, signed zeros and non-finite ones.
        let params: Vec<f64> = (0..1003)
            .map(|i| match i % 7 {
                0 => 1.0 + f64::EPSILON * i as f64,
                1 => 5e-324 * i as f64,
                2 => -0.0,
                3 => f64::NAN,
                4 => f64::INFINITY,
                _ => (i as f64 * 0.37).sin() * 1e3,
            })
            .collect();
        let grad: Vec<f64> = (0..1003).map(|i| (i as f64 * 1.3).cos() / 3.0).collect();
        let lr = 0.1 + f64::EPSILON;
        let mut dispatched = params.clone();
        widest(
            #[inline(always)]
            || {
                for (p, g) in dispatched.iter_mut().zip(&grad) {
                    *p = *p * 0.9 - lr * g;
                }
            },
        );
        for ((got, p), g) in dispatched.iter().zip(&params).zip(&grad) {
            let product = std::hint::black_box(*p * 0.9);
            let want = product - std::hint::black_box(lr * g);
            assert_eq!(got.to_bits(), want.to_bits(), "{p} {g}");
        }
    }
}
