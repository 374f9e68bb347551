//! [`Backoff`]: poll hot for a moment, then sleep, never for more than a fraction of the time
//! already waited: 1/8 up to 1 ms, and 1/100 once idle for long.

use std::time::{Duration, Instant};

use crate::tuning::{
    DEEP_AFTER, DEEP_SLEEP_FRACTION, FIRST_SLEEP, MAX_DEEP_SLEEP, MAX_SLEEP, SLEEP_FRACTION, SPIN,
};

/// The idle policy of a polling loop: after the last useful poll, [`SPIN`] of polls without
/// sleeping; then sleeps of 1/[`SLEEP_FRACTION`] of the time idle so far, between
/// [`FIRST_SLEEP`] and [`MAX_SLEEP`]; once idle for [`DEEP_AFTER`], sleeps of
/// 1/[`DEEP_SLEEP_FRACTION`] of it, up to [`MAX_DEEP_SLEEP`]. A message that arrives during a
/// sleep therefore waits at most that fraction of the time already spent waiting for it (or
/// the bound).
#[derive(Debug)]
pub(crate) struct Backoff {
    active: Instant,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            active: Instant::now(),
        }
    }

    /// Something happened: spin again.
    pub(crate) fn reset(&mut self) {
        self.active = Instant::now();
    }

    /// `true` while the last activity is less than [`SPIN`] plus `extra` ago: a driving
    /// thread's poll window, longer while blocks are crossing (see
    /// [`Driver::transfer_time`](crate::driver::Driver::transfer_time)).
    pub(crate) fn polling(&self, extra: Duration) -> bool {
        let polling = self.active.elapsed() < SPIN.saturating_add(extra);
        if polling {
            std::hint::spin_loop();
        }
        polling
    }

    /// Nothing happened: how long to sleep before the next poll (`None`: poll again now).
    pub(crate) fn idle(&mut self) -> Option<Duration> {
        let idle = self.active.elapsed();
        if idle < SPIN {
            std::hint::spin_loop();
            return None;
        }
        Some(if idle < DEEP_AFTER {
            (idle / SLEEP_FRACTION).clamp(FIRST_SLEEP, MAX_SLEEP)
        } else {
            (idle / DEEP_SLEEP_FRACTION).clamp(MAX_SLEEP, MAX_DEEP_SLEEP)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_grow_with_the_wait_to_the_bound() {
        let mut backoff = Backoff::new();
        assert_eq!(backoff.idle(), None, "spins right after activity");
        backoff.active = Instant::now() - SPIN;
        let first = backoff.idle().unwrap();
        assert!(first >= FIRST_SLEEP && first <= SPIN / SLEEP_FRACTION + FIRST_SLEEP);
        backoff.active = Instant::now() - DEEP_AFTER / 2;
        assert_eq!(backoff.idle(), Some(MAX_SLEEP));
        // Idle for long: a hundredth of the wait, up to the deep bound.
        backoff.active = Instant::now() - DEEP_AFTER * 3;
        let deep = backoff.idle().unwrap();
        assert!(deep >= DEEP_AFTER * 3 / DEEP_SLEEP_FRACTION && deep < DEEP_AFTER / 20);
        backoff.active = Instant::now() - Duration::from_secs(3600);
        assert_eq!(backoff.idle(), Some(MAX_DEEP_SLEEP));
        backoff.reset();
        assert_eq!(backoff.idle(), None);
    }

    #[test]
    fn a_poll_window_lasts_the_spin_plus_the_transfer() {
        let mut backoff = Backoff::new();
        assert!(backoff.polling(Duration::ZERO));
        backoff.active = Instant::now() - SPIN;
        assert!(!backoff.polling(Duration::ZERO));
        assert!(backoff.polling(Duration::from_secs(1)));
        backoff.active = Instant::now() - SPIN - Duration::from_secs(2);
        assert!(!backoff.polling(Duration::from_secs(1)));
    }
}
