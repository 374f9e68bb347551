//! [`DrivingWait`]: how the root's thread waits for a result inside [`run`](crate::run) — by
//! driving the root itself ([`crate::driver`]) while a result may come soon, instead of
//! leaving every MPI call to the manager thread.
//!
//! A round trip through the manager needs three threads to take turns (caller, manager,
//! worker rank), plus the manager's wake-up; with fewer cores than that, the answer waits
//! for a core. A caller that drives sends its call and receives the answer itself: two
//! threads (caller, worker rank), no hand-over. The manager stands aside meanwhile, and is
//! woken if the caller gives up driving while its result is still due.

use std::time::Instant;

use cfut_core::WaitHelper;
use cfut_processes::backend::Call;

use crate::driver::{self, Seat};
use crate::inbox::Inbox;
use crate::loom::sync::Arc;
use crate::tuning::SEAT_WAIT;

/// The wait helper of the root's thread in [`run`](crate::run): drives the root while the
/// awaited future is pending, calls are in flight and the last progress is recent (the
/// driver's spin, [`SPIN`](crate::tuning::SPIN)); then leaves the rest of the wait to the
/// manager and to the future's own (a short spin, then sleep).
#[derive(Debug)]
pub(crate) struct DrivingWait {
    pub(crate) inbox: Arc<Inbox<Call>>,
    pub(crate) seat: Arc<Seat>,
}

impl WaitHelper for DrivingWait {
    fn help_while(&self, pending: &dyn Fn() -> bool) {
        if !pending() {
            return;
        }
        if driver::driving_here() {
            // A done-callback waits while this thread drives (it holds the seat): nothing to
            // drive from here; the future's own wait follows.
            return;
        }
        self.inbox.enter_drive();
        let start = Instant::now();
        while pending() {
            if let Some(mut seat) = self.seat.try_lock() {
                let Some(driver) = seat.as_mut() else {
                    // Before the handshake, or after the workers were stopped.
                    break;
                };
                // Drive while it pays: a step did something, or calls are in flight and one
                // came back recently. A wait for another kind of future, with nothing of this
                // pool in flight, leaves at once for that future's own wait.
                while pending()
                    && (driver.step(&self.inbox)
                        || (driver.in_flight() > 0 && driver.backoff.idle().is_none()))
                {
                }
                break;
            }
            // The manager is in the middle of a step: it stands aside after it.
            if start.elapsed() >= SEAT_WAIT {
                break;
            }
            crate::loom::thread::yield_now();
        }
        // Handed over only if its own result is still due: then this thread sleeps on it.
        self.inbox.leave_drive(pending());
    }
}

#[cfg(all(test, not(cfut_loom)))]
mod tests {
    use std::rc::Rc;
    use std::time::Duration;

    use cfut_core::{install_wait_helper, promise};

    use super::*;
    use crate::loom::sync::Mutex;

    fn helper() -> DrivingWait {
        DrivingWait {
            inbox: Arc::new(Inbox::new()),
            seat: Arc::new(Mutex::new(None)),
        }
    }

    #[test]
    fn a_wait_with_nothing_seated_is_the_futures_own() {
        let helper = helper();
        let inbox = Arc::clone(&helper.inbox);
        let _guard = install_wait_helper(Rc::new(helper));
        let (producer, future) = promise();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            producer.set_result(5)
        });
        assert_eq!(future.result(), Ok(5));
        assert!(setter.join().unwrap());
        assert!(!inbox.driven(), "the waiter stopped counting as a driver");
    }

    #[test]
    fn a_wait_on_a_busy_seat_gives_up_driving_and_still_ends() {
        let helper = helper();
        let inbox = Arc::clone(&helper.inbox);
        let seat = Arc::clone(&helper.seat);
        let (producer, future) = promise();
        let held = seat.lock();
        let waiter = std::thread::spawn(move || {
            let _guard = install_wait_helper(Rc::new(helper));
            future.result()
        });
        std::thread::sleep(SEAT_WAIT + Duration::from_millis(20));
        assert!(producer.set_result(6));
        assert_eq!(waiter.join().unwrap(), Ok(6));
        drop(held);
        assert!(!inbox.driven(), "the waiter stopped counting as a driver");
    }
}
