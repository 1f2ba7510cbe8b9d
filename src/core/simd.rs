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

/// Runs `op` compiled for AVX-512 or else AVX2 + FMA when this CPU has them, else as it is.
/// `op` and everything it calls must be `#[inline(always)]` (a closure can say so:
/// `widest(#[inline(always)] || …)`) to be compiled that way: LLVM does not always inline a
/// closure with a loop on its own.
#[inline(always)]
pub fn widest<R>(op: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(op)
}

#[cfg(test)]
mod tests {
    use super::*;

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
