//! [`Backoff`]: poll hot for a moment, then sleep longer and longer, bounded.

use std::time::{Duration, Instant};

use crate::tuning::{FIRST_SLEEP, MAX_SLEEP, SPIN};

/// The idle policy of a polling loop: after the last useful poll, [`SPIN`] of polls without
/// sleeping, then sleeps from [`FIRST_SLEEP`] doubling up to [`MAX_SLEEP`].
#[derive(Debug)]
pub(crate) struct Backoff {
    active: Instant,
    sleep: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            active: Instant::now(),
            sleep: FIRST_SLEEP,
        }
    }

    /// Something happened: spin again.
    pub(crate) fn reset(&mut self) {
        self.active = Instant::now();
        self.sleep = FIRST_SLEEP;
    }

    /// Nothing happened: how long to sleep before the next poll (`None`: poll again now).
    pub(crate) fn idle(&mut self) -> Option<Duration> {
        if self.active.elapsed() < SPIN {
            std::hint::spin_loop();
            return None;
        }
        let sleep = self.sleep;
        self.sleep = (self.sleep * 2).min(MAX_SLEEP);
        Some(sleep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_grow_to_the_bound() {
        let mut backoff = Backoff::new();
        backoff.active = Instant::now() - SPIN;
        let sleeps: Vec<_> = (0..12).map(|_| backoff.idle().unwrap()).collect();
        assert_eq!(sleeps[0], FIRST_SLEEP);
        assert!(sleeps.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*sleeps.last().unwrap(), MAX_SLEEP);
        backoff.reset();
        assert_eq!(backoff.idle(), None, "spins right after activity");
    }
}
