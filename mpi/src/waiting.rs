//! [`DrivingWait`]: how a driving thread (the root's thread inside [`run`](crate::run), or
//! any thread holding a [`DrivingGuard`]) waits for a result — by driving the root itself
//! ([`crate::driver`]) while a result may come soon, instead of leaving every MPI call to the
//! manager thread.
//!
//! A round trip through the manager needs three threads to take turns (caller, manager,
//! worker rank), plus the manager's wake-up; with fewer cores than that, the answer waits
//! for a core. A caller that drives sends its call and receives the answer itself: two
//! threads (caller, worker rank), no hand-over. The manager stands aside meanwhile, and is
//! woken if the caller gives up driving while its result is still due.

use std::cell::Cell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::time::Instant;

use cfut_core::{WaitHelper, WaitHelperGuard};
use cfut_processes::backend::Call;

use crate::driver::{self, Seat};
use crate::inbox::Inbox;
use crate::loom::sync::Arc;
use crate::tuning::SEAT_WAIT;

thread_local! {
    /// The inbox (its address) of the pool this thread drives, 0 for none.
    static DRIVES: Cell<usize> = const { Cell::new(0) };
}

/// `true` on a thread that holds a [`DrivingGuard`] of the pool whose inbox is `inbox`: its
/// submissions queue quietly and send their calls themselves.
pub(crate) fn drives_here(inbox: &Arc<Inbox<Call>>) -> bool {
    DRIVES.with(Cell::get) == Arc::as_ptr(inbox) as usize
}

/// The guard of [`MpiPoolExecutor::drive_here`](crate::MpiPoolExecutor::drive_here): while
/// it lives, the thread that made it drives the pool's MPI calls itself when it submits and
/// while it waits. Dropping it restores what the thread did before (another pool's guard, or
/// nothing).
///
/// # Examples
///
/// ```no_run
/// let pool = cfut_mpi::Builder::new().max_workers(1).spawn()?;
/// {
///     let _driving = pool.drive_here();
///     assert_eq!(pool.submit(|x: u8| x + 1, 1).result(), Ok(2));
/// }
/// // The manager thread drives again for this thread's calls.
/// assert_eq!(pool.submit(|x: u8| x + 1, 2).result(), Ok(3));
/// # Ok::<(), cfut_mpi::StartError>(())
/// ```
///
/// The guard belongs to its thread (it installed that thread's wait helper):
///
/// ```compile_fail,E0277
/// fn must_send<T: Send>(_: T) {}
/// let pool = cfut_mpi::Builder::new().max_workers(1).spawn().unwrap();
/// must_send(pool.drive_here());
/// ```
#[must_use = "the thread drives only while the guard lives"]
pub struct DrivingGuard<'pool> {
    previous: usize,
    _helper: WaitHelperGuard,
    /// Tied to the pool, and to this thread (the wait helper is the thread's own).
    _pool: PhantomData<(&'pool (), Rc<()>)>,
}

impl<'pool> DrivingGuard<'pool> {
    pub(crate) fn new(inbox: &'pool Arc<Inbox<Call>>, seat: &'pool Arc<Seat>) -> Self {
        let helper = cfut_core::install_wait_helper(Rc::new(DrivingWait {
            inbox: Arc::clone(inbox),
            seat: Arc::clone(seat),
        }));
        DrivingGuard {
            previous: DRIVES.with(|drives| drives.replace(Arc::as_ptr(inbox) as usize)),
            _helper: helper,
            _pool: PhantomData,
        }
    }
}

impl Drop for DrivingGuard<'_> {
    fn drop(&mut self) {
        DRIVES.with(|drives| drives.set(self.previous));
    }
}

impl std::fmt::Debug for DrivingGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrivingGuard").finish_non_exhaustive()
    }
}

/// The wait helper of a driving thread: drives the root while the awaited future is
/// pending, calls are in flight and the last progress is recent (the driver's spin,
/// [`SPIN`](crate::tuning::SPIN), longer while blocks cross: [`Driver::transfer_time`]); then
/// leaves the rest of the wait to the manager and to the future's own (a short spin, then
/// sleep).
///
/// [`Driver::transfer_time`]: crate::driver::Driver::transfer_time
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
                // came back recently (or their blocks may still be crossing: a 1 MiB echo
                // took 0.24-0.39 ms polled here against 0.62-1.0 ms handed over to the
                // manager after the spin). A wait for another kind of future, with nothing of
                // this pool in flight, leaves at once for that future's own wait.
                while pending()
                    && (driver.step(&self.inbox)
                        || (driver.in_flight() > 0
                            && driver.backoff.polling(driver.transfer_time())))
                {}
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
