//! The pool's admission [`Gate`]: whether submissions are accepted, and a count of the ones in
//! progress, so that shutting down never strands a call pushed concurrently.
//!
//! # Implementation description
//!
//! One atomic word: three flag bits and, above them, the number of passes in use — submitters
//! between [`Gate::enter`] and the drop of their [`Pass`], and workers starting a thread for
//! queued calls ([`Gate::enter_to_start_thread`]). A submitter adds itself *before* checking
//! the flags; closing sets a flag and then waits until the count is zero. So after
//! [`Gate::close`] returns, every accepted call has been pushed (and its wake-up sent), and
//! every later one is rejected. Only then is `TERMINATE` set (waiting again for thread starts
//! in progress), which is what lets idle workers exit: a worker that sees it and then finds
//! the queues empty can leave for good, and every thread that will ever exist is registered.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::thread;

/// No new calls are accepted.
const SHUTDOWN: usize = 1;
/// The pool is broken (an initializer failed): new calls fail with the broken error.
const BROKEN: usize = 2;
/// All accepted calls are queued: idle workers may exit once the queues are empty.
const TERMINATE: usize = 4;
/// One submitter in progress.
const SUBMITTER: usize = 8;

/// Why the gate refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    Shutdown,
    Broken,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Gate {
    state: AtomicUsize,
}

/// An accepted submitter; dropping it marks the submission complete.
#[derive(Debug)]
pub(crate) struct Pass<'a> {
    gate: &'a Gate,
}

impl Gate {
    pub(crate) fn new() -> Self {
        Gate {
            state: AtomicUsize::new(0),
        }
    }

    /// Admits a submitter, unless the pool is broken or shut down (broken wins, as in
    /// CPython, where the broken check precedes the shutdown check).
    pub(crate) fn enter(&self) -> Result<Pass<'_>, Closed> {
        let previous = self.state.fetch_add(SUBMITTER, Ordering::SeqCst);
        if previous & (SHUTDOWN | BROKEN) == 0 {
            return Ok(Pass { gate: self });
        }
        self.state.fetch_sub(SUBMITTER, Ordering::SeqCst);
        if previous & BROKEN != 0 {
            Err(Closed::Broken)
        } else {
            Err(Closed::Shutdown)
        }
    }

    /// Admits a worker that is about to start another thread for calls already queued: allowed
    /// after shutdown (the queued calls must still run, and one may be what a running call
    /// waits for), refused once the pool is broken or terminating.
    pub(crate) fn enter_to_start_thread(&self) -> Option<Pass<'_>> {
        let previous = self.state.fetch_add(SUBMITTER, Ordering::SeqCst);
        if previous & (TERMINATE | BROKEN) == 0 {
            return Some(Pass { gate: self });
        }
        self.state.fetch_sub(SUBMITTER, Ordering::SeqCst);
        None
    }

    /// Stops admitting (`broken`: with the broken error, else the shut-down one) and waits
    /// until every admitted submitter has finished. Never call it while holding a [`Pass`].
    pub(crate) fn close(&self, broken: bool) {
        let flag = if broken { BROKEN } else { SHUTDOWN };
        self.state.fetch_or(flag, Ordering::SeqCst);
        // Submitters never block while admitted (no user code, no locks held for long), so
        // this wait is short: at most a thread start.
        while self.state.load(Ordering::SeqCst) >= SUBMITTER {
            thread::yield_now();
        }
    }

    /// Lets idle workers exit. Call after [`close`](Self::close)`(false)`. Waits until no
    /// thread start admitted by [`enter_to_start_thread`](Self::enter_to_start_thread) is in
    /// progress, so that every started thread is registered when this returns.
    pub(crate) fn terminate(&self) {
        self.state.fetch_or(TERMINATE, Ordering::SeqCst);
        while self.state.load(Ordering::SeqCst) >= SUBMITTER {
            thread::yield_now();
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state.load(Ordering::SeqCst) & TERMINATE != 0
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.gate.state.fetch_sub(SUBMITTER, Ordering::SeqCst);
    }
}
