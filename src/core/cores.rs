//! Handing half of a step to a second core and taking it back, quicker than rayon does it
//! alone: at N = 100 a depth-3 step hands work over five times, every ~10 µs.
//!
//! rayon's idle worker, and a worker waiting for a half it lent out, yield to the OS between
//! looks for work (`sched_yield`, ~0.4 µs a call on this machine), so each hand-over waited out
//! a system call at each end: ~0.6 µs. Two remedies, in safe Rust on top of rayon:
//! [`with_partner_standing_by`] keeps a second thread looking for work without sleeping while a
//! run steps, and [`join`] waits for a lent half by spinning, as it ends within microseconds.
//!
//! Neither spins without bound: a partner that has found no work for [`PARTNER_SPIN`] sleeps
//! until the run is done (looking again every [`PARTNER_NAP`]), and a `join` whose lent half is
//! not back after [`JOIN_SPIN`] parks until the half's thread wakes it. An idle partner (a run
//! recording its spectrum, a paused dashboard) then costs almost nothing.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a standing-by partner keeps looking for work after the last piece it found: longer
/// than the gaps between two hand-overs within a step (a few µs at N = 100–200, where a step
/// takes 35–250 µs), short next to what a run does between steps now and then (an SVD).
pub const PARTNER_SPIN: Duration = Duration::from_micros(50);

/// How long a partner that stopped spinning sleeps between two looks for work: a half offered
/// meanwhile is run by its owner, as `rayon::join` does with a half nobody took.
pub const PARTNER_NAP: Duration = Duration::from_micros(200);

/// How long [`join`] spins for a lent half before it parks: the halves are balanced, so the
/// other one is usually back within a few µs.
pub const JOIN_SPIN: Duration = Duration::from_micros(20);

/// Spin-loop hints between two looks at the clock: the clock costs ~20 ns, a hint about as
/// much, so the spin stays short of its bound by a fraction of a µs.
const LOOKS_PER_CLOCK: u32 = 64;

/// Runs `work` on this thread while another thread of the pool stands by, taking each half that
/// `work` hands over ([`join`]) the moment it is offered.
///
/// `rayon::yield_now` steals work without ever sleeping, so the partner takes a half in ~0.1 µs.
/// Worth it only around many steps in a row; with one thread in the pool, `work` simply runs.
pub fn with_partner_standing_by<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let done = Signal::default();
    // Set even when `work` panics: `join` waits for the partner before passing the panic on.
    let finish = || {
        let _signal = SetOnDrop(&done);
        work()
    };
    let stand_by = || {
        done.wait_here();
        let mut idle = Spin::new(PARTNER_SPIN);
        while !done.flag.load(Ordering::Acquire) {
            if rayon::yield_now() == Some(rayon::Yield::Executed) {
                idle = Spin::new(PARTNER_SPIN);
            } else if !idle.go_on() {
                std::thread::park_timeout(PARTNER_NAP);
            }
        }
    };
    rayon::join(finish, stand_by).0
}

/// `rayon::join(first, second)`, but once `first` is done and another thread has taken
/// `second`, this thread waits for it spinning (for [`JOIN_SPIN`], then parked) rather than in
/// rayon's yielding loop.
///
/// A `second` nobody took runs here afterwards, as in `rayon::join`, so this never waits on a
/// thread that is not working for it.
pub fn join<A: Send, B: Send>(
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    let taken = AtomicBool::new(false);
    let returned = Signal::default();
    rayon::join(
        || {
            let result = first();
            if taken.load(Ordering::Acquire) {
                returned.wait_here();
                let mut spin = Spin::new(JOIN_SPIN);
                while !returned.flag.load(Ordering::Acquire) {
                    if !spin.go_on() {
                        // Woken by the half's thread when it is back (or at once if it already
                        // is: an unpark before the park is kept).
                        std::thread::park();
                    }
                }
            }
            result
        },
        || {
            taken.store(true, Ordering::Release);
            let _signal = SetOnDrop(&returned);
            second()
        },
    )
}

/// A flag one thread sets and another waits for, and the waiting thread, to wake it.
#[derive(Default)]
struct Signal {
    flag: AtomicBool,
    /// The thread that may be parked waiting for `flag`, once it has said so.
    waiter: OnceLock<Thread>,
}

impl Signal {
    /// Names the calling thread as the one to wake when the flag is set; call it before the
    /// first look at the flag that may end in a park.
    fn wait_here(&self) {
        self.waiter.get_or_init(std::thread::current);
        // With the fence in `SetOnDrop::drop`: either this thread sees the flag set, or the
        // setter sees this thread and wakes it (a store and a later load of another location
        // may otherwise pass each other, and both miss).
        fence(Ordering::SeqCst);
    }
}

/// Sets its signal's flag and wakes its waiter when dropped, however the scope that holds it
/// ends.
struct SetOnDrop<'a>(&'a Signal);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.flag.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        if let Some(waiter) = self.0.waiter.get() {
            waiter.unpark();
        }
    }
}

/// A spin that lasts at most a given time.
struct Spin {
    until: Option<Instant>,
    bound: Duration,
    looks: u32,
}

impl Spin {
    /// A spin of at most `bound`, the clock read only once it has started.
    fn new(bound: Duration) -> Self {
        Self {
            until: None,
            bound,
            looks: 0,
        }
    }

    /// One spin-loop hint, and true while the spin is within its bound.
    fn go_on(&mut self) -> bool {
        std::hint::spin_loop();
        // Wrapping: a partner may nap between looks for hours of a long batch.
        self.looks = self.looks.wrapping_add(1);
        if !self.looks.is_multiple_of(LOOKS_PER_CLOCK) {
            return true;
        }
        let now = Instant::now();
        *self.until.get_or_insert(now + self.bound) > now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_returns_both_results_in_and_out_of_the_pool() {
        assert_eq!(join(|| 1, || "two"), (1, "two"));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool of two threads");
        let sums = pool.install(|| {
            with_partner_standing_by(|| {
                (0..1000)
                    .map(|i| {
                        let (a, b) = join(|| i * 2, || i * 3);
                        a + b
                    })
                    .sum::<u64>()
            })
        });
        assert_eq!(sums, 5 * (0..1000).sum::<u64>());
    }

    #[test]
    fn a_slow_lent_half_and_a_napping_partner_lose_nothing() {
        // A lent half that takes far longer than `JOIN_SPIN` makes its owner park; a pause far
        // longer than `PARTNER_SPIN` sends the partner to nap; both must still finish, and the
        // hand-overs after the nap must still give every result.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool of two threads");
        let slow = JOIN_SPIN * 50;
        let (sums, (first, second)) = pool.install(|| {
            with_partner_standing_by(|| {
                std::thread::sleep(PARTNER_SPIN * 20);
                let sums: u64 = (0..200)
                    .map(|i| join(|| i, || i * 2))
                    .map(|(a, b)| a + b)
                    .sum();
                let halves = join(
                    || 1,
                    || {
                        std::thread::sleep(slow);
                        2
                    },
                );
                (sums, halves)
            })
        });
        assert_eq!(sums, 3 * (0..200).sum::<u64>());
        assert_eq!((first, second), (1, 2));
    }

    #[test]
    fn a_panic_in_either_half_reaches_the_caller_without_a_hang() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool of two threads");
        for first_panics in [true, false] {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    with_partner_standing_by(|| {
                        join(
                            || assert!(!first_panics, "first"),
                            || assert!(first_panics, "second"),
                        )
                    })
                })
            }));
            assert!(outcome.is_err());
        }
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool of one thread");
        assert_eq!(single.install(|| with_partner_standing_by(|| 7)), 7);
    }
}
