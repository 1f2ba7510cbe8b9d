//! The one proptest configuration of the property tests, so that CI is deterministic and a
//! failure found anywhere is replayed everywhere.
//!
//! - Seeded: by default every property test draws its cases from ChaCha seeded with [`SEED`],
//!   so CI runs the same cases on every machine and a red run reproduces with the same command.
//! - Regressions committed: a failing case's seed is appended to
//!   `tests/<file>.proptest-regressions` beside the test file (proptest's `WithSource`), and
//!   those files are committed, so the case is replayed first in every later run, CI included,
//!   whatever the seed.
//! - Unseeded locally: `PROPTEST_RNG_SEED=random cargo test --release --test properties` draws
//!   fresh cases (proptest also prints a note that it could not parse "random" as a number —
//!   expected); `PROPTEST_RNG_SEED=123` explores another fixed stream; `PROPTEST_CASES=2000`
//!   runs more cases than the file's own count. A failure found that way lands in the
//!   regressions file: commit it with the fix.

use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, RngSeed};

/// The seed of the default, deterministic case stream (any fixed number does; this one is
/// the project's name in hex-speak).
pub const SEED: u64 = 0x1b1a_5eed;

/// `cases` cases (unless `PROPTEST_CASES` asks for another count), seeded with [`SEED`] unless
/// `PROPTEST_RNG_SEED` is a number or `random`, failures persisted beside the test file.
///
/// # Panics
/// When `PROPTEST_RNG_SEED` is neither a number nor `random`: a typo must not silently turn a
/// seeded run into an unseeded one or the reverse.
#[must_use]
pub fn config(cases: u32) -> Config {
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED") {
        Err(_) => RngSeed::Fixed(SEED),
        Ok(value) if value.eq_ignore_ascii_case("random") => RngSeed::Random,
        Ok(value) => RngSeed::Fixed(value.parse().unwrap_or_else(|_| {
            panic!("PROPTEST_RNG_SEED={value:?}: give a number (u64) or `random`")
        })),
    };
    // `Config::default()` has read PROPTEST_CASES (and the other PROPTEST_* variables).
    let defaults = Config::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        defaults.cases
    } else {
        cases
    };
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..defaults
    }
}
