//! The thread budget a computation may use, decided once by its caller and passed down as a
//! value, as faer passes its `Par`: nothing in the core asks the pool how big it is or assumes
//! two cores.
//!
//! `main` decides it (`--threads`, else `RAYON_NUM_THREADS`, else every core the process may
//! use: [`Threads::decide`]); `sweep` divides it among the points it runs at once; an experiment
//! hands its share to its runs, and a run to its model's products. Results never depend on it,
//! bit for bit: only the speed does.

use std::num::NonZeroUsize;

/// How many threads a computation may keep busy at once (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Threads(NonZeroUsize);

impl Threads {
    /// The calling thread alone: everything runs where it is called.
    pub const ONE: Threads = Threads(NonZeroUsize::MIN);

    /// A budget of `count` threads.
    #[must_use]
    pub fn new(count: NonZeroUsize) -> Self {
        Self(count)
    }

    /// Every core this process may use (`std::thread::available_parallelism`), or one when the
    /// system cannot say.
    #[must_use]
    pub fn available() -> Self {
        std::thread::available_parallelism().map_or(Self::ONE, Self)
    }

    /// The budget from the command line's `--threads` (`flag`), else from `RAYON_NUM_THREADS`
    /// (`env`, read by the caller) when it is a whole number from 1 up, else
    /// [`Threads::available`]. As rayon itself does, an environment value of 0 or one that is
    /// not a number means "no limit set".
    #[must_use]
    pub fn decide(flag: Option<NonZeroUsize>, env: Option<&str>) -> Self {
        flag.or_else(|| env.and_then(|text| text.trim().parse().ok()))
            .map_or_else(Self::available, Self)
    }

    /// The number of threads.
    #[must_use]
    pub fn get(self) -> usize {
        self.0.get()
    }

    /// True when a second thread may take half of a piece of work.
    #[must_use]
    pub fn has_two(self) -> bool {
        self.get() >= 2
    }

    /// Each one's share when `parts` jobs run at once on this budget: an even share, at least
    /// one thread.
    #[must_use]
    pub fn share(self, parts: usize) -> Self {
        NonZeroUsize::new(self.get() / parts.max(1)).map_or(Self::ONE, Self)
    }
}

impl Default for Threads {
    /// [`Threads::available`]: a library caller that says nothing gets the whole machine, as
    /// before budgets were passed in.
    fn default() -> Self {
        Self::available()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads(count: usize) -> Threads {
        Threads::new(NonZeroUsize::new(count).expect("a positive count"))
    }

    #[test]
    fn the_flag_wins_over_the_environment_which_wins_over_the_cores() {
        let flag = NonZeroUsize::new(3);
        assert_eq!(Threads::decide(flag, Some("5")), threads(3));
        assert_eq!(Threads::decide(None, Some("5")), threads(5));
        assert_eq!(Threads::decide(None, Some(" 7 ")), threads(7));
        for ignored in [None, Some("0"), Some(""), Some("many"), Some("-2")] {
            assert_eq!(Threads::decide(None, ignored), Threads::available());
        }
    }

    #[test]
    fn shares_are_even_and_never_empty() {
        assert_eq!(threads(16).share(16), Threads::ONE);
        assert_eq!(threads(16).share(4), threads(4));
        assert_eq!(threads(16).share(5), threads(3));
        assert_eq!(threads(2).share(3), Threads::ONE);
        assert_eq!(threads(2).share(0), threads(2));
        assert!(threads(2).has_two() && !Threads::ONE.has_two());
    }
}
