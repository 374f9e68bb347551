//! The manager thread of the root: shakes hands with every worker, then drives the root
//! ([`Driver`]) whenever no other thread does — hands calls out, completes futures from the
//! results — and stops the workers at shutdown.

use std::time::Instant;

use cfut_processes::backend::Call;

use crate::backoff::Backoff;
use crate::driver::{Driver, Seat};
use crate::inbox::{Inbox, Waiting, Wake};
use crate::loom::sync::Arc;
use crate::transport::Comm;
use crate::tuning::{DORMANT_AFTER, MAX_SLEEP, SPIN};

/// What the manager needs to run.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) comm: Comm,
    pub(crate) workers: Vec<i32>,
    pub(crate) inbox: Arc<Inbox<Call>>,
    pub(crate) seat: Arc<Seat>,
    pub(crate) setup: Vec<u8>,
    pub(crate) window: usize,
}

impl Manager {
    /// The manager's life: handshake, serve the pool, stop the workers.
    pub(crate) fn run(self) {
        let Manager {
            comm,
            workers,
            inbox,
            seat,
            setup,
            window,
        } = self;
        let mut driver = Driver::new(comm, &workers, &setup, window);
        if let Err(error) = driver.handshake() {
            // No call crosses: every pending and later call fails with the reason.
            for call in inbox.close(error.clone(), true) {
                call.fail(error.clone());
            }
            while inbox.wait(None, Waiting::Idle) != Wake::Stop {}
        } else {
            *seat.lock() = Some(driver);
            serve(&seat, &inbox);
            driver = seat
                .lock()
                .take()
                .expect("the manager takes the driver back once");
        }
        driver.stop();
    }
}

/// Drives the root whenever no other thread does, until the pool is closed and nothing is
/// in flight.
///
/// A thread that drives too ([`MpiPoolExecutor::drive_here`]) queues its calls without
/// waking the manager and sends them itself: so the manager never sleeps longer than
/// [`MAX_SLEEP`] while it may have to answer such a call, and sleeps without a limit only
/// once dormant, when every submission wakes it.
///
/// [`MpiPoolExecutor::drive_here`]: crate::MpiPoolExecutor::drive_here
fn serve(seat: &Seat, inbox: &Inbox<Call>) {
    // The manager's own activity: it polls without sleeping only right after it moved calls
    // itself. After another thread's (a caller driving in a round trip), spinning would take
    // the core that caller and the worker rank need.
    let mut own = Backoff::new();
    // Since when the manager has found nothing in flight, nobody driving and nothing to move
    // (`None` after any activity; the clock is read only when it is about to sleep idle): past
    // `DORMANT_AFTER` of that, it sleeps without a time limit.
    let mut idle_since: Option<Instant> = None;
    loop {
        if inbox.driven() {
            idle_since = None;
            // Another thread drives: stand aside until it hands calls over (or for
            // `MAX_SLEEP`, then look again).
            inbox.wait(Some(MAX_SLEEP), Waiting::ResultsDue);
            continue;
        }
        let mut guard = seat.lock();
        let driver = guard
            .as_mut()
            .expect("the driver is seated while the manager serves");
        if driver.step(inbox) {
            own.reset();
            idle_since = None;
            continue;
        }
        let in_flight = driver.in_flight();
        if in_flight > 0 {
            idle_since = None;
        }
        // Under the seat: no other thread can move a call into flight meanwhile.
        if in_flight == 0 && inbox.finished() {
            return;
        }
        // How long since anyone's progress says how long to sleep.
        let shared = driver.backoff.idle();
        let room = driver.has_room();
        drop(guard);
        if own.idle().is_none() {
            // Right after its own activity, look again at once: the next call of a round
            // trip comes within microseconds, and a wake-up costs more than that.
            continue;
        }
        if in_flight == 0 {
            // Nothing can arrive: sleep without MPI until a submission, a driver handing
            // calls over, or the shutdown; for at most `MAX_SLEEP` (a quiet submission does
            // not wake it) until it has been idle for `DORMANT_AFTER`, then without a limit,
            // woken by every submission.
            if idle_since.get_or_insert_with(Instant::now).elapsed() >= DORMANT_AFTER {
                inbox.wait(None, Waiting::Dormant);
            } else {
                inbox.wait(Some(MAX_SLEEP), Waiting::Idle);
            }
        } else if let Some(sleep) = shared {
            if room {
                // Results are due: poll again after a bounded sleep, cut short by a
                // submission.
                inbox.wait(Some(sleep), Waiting::ResultsDue);
            } else {
                // Every window is full: a submission could not be sent before a result.
                crate::loom::thread::sleep(sleep);
            }
        } else {
            // Another thread drove just now and may again: look back after the spin it
            // polls for (a driver handing calls over wakes the manager sooner).
            inbox.wait(Some(SPIN), Waiting::ResultsDue);
        }
    }
}
