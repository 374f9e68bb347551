//! [`YieldingWait`]: how the root's thread waits for a result inside [`run`](crate::run) —
//! looking again after each yield of its CPU, for a bounded time, instead of spinning on it.
//!
//! Three threads take turns in a round trip: the caller, the manager, the worker rank (a
//! fourth, the other worker rank, wakes now and then); with fewer cores than that a caller
//! that spins holds a core the manager or the worker needs, and the answer comes only
//! once the caller's spin is spent and it sleeps, and then it pays a wake-up too. The
//! manager's and the workers' own polls yield already: Open MPI's `MPI_Iprobe` yields the
//! CPU when it finds nothing on an oversubscribed node (`mpi_yield_when_idle`).

use std::time::Instant;

use cfut_core::WaitHelper;

use crate::tuning::WAIT_YIELD;

/// The wait helper of the root's thread in [`run`](crate::run): yields the CPU between looks
/// at the awaited future for up to [`WAIT_YIELD`], then leaves the wait to the future's own
/// (a short spin, then sleep).
#[derive(Debug)]
pub(crate) struct YieldingWait;

impl WaitHelper for YieldingWait {
    fn help_while(&self, pending: &dyn Fn() -> bool) {
        let start = Instant::now();
        while pending() && start.elapsed() < WAIT_YIELD {
            crate::loom::thread::yield_now();
        }
    }
}

#[cfg(all(test, not(cfut_loom)))]
mod tests {
    use std::rc::Rc;
    use std::time::Duration;

    use cfut_core::{install_wait_helper, promise};

    use super::*;

    #[test]
    fn a_wait_still_ends_when_the_result_comes_late() {
        let _guard = install_wait_helper(Rc::new(YieldingWait));
        let (producer, future) = promise();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(WAIT_YIELD + Duration::from_millis(20));
            producer.set_result(5)
        });
        assert_eq!(
            future.result(),
            Ok(5),
            "the helper gave up, then the wait slept"
        );
        assert!(setter.join().unwrap());
    }

    #[test]
    fn a_wait_returns_as_soon_as_the_result_is_there() {
        let _guard = install_wait_helper(Rc::new(YieldingWait));
        let (producer, future) = promise();
        let setter = std::thread::spawn(move || producer.set_result(6));
        assert_eq!(future.result(), Ok(6));
        assert!(setter.join().unwrap());
    }
}
