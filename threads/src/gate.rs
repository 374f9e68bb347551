//! The pool's admission [`Gate`]: whether submissions are accepted, and a count of the ones in
//! progress, so that shutting down never strands a call pushed concurrently.
//!
//! # Implementation description
//!
//! One atomic word: three flag bits and, above them, the number of passes in use — submitters
//! between [`Gate::enter`] and the drop of their [`Pass`], and workers starting a thread for
//! queued calls ([`Gate::enter_to_start_thread`]). A submitter adds itself *before* checking
//! the flags; closing sets a flag and then waits until the count is zero. A worker submitting
//! from inside a task (to its own deque: the fork-join path, one submission per child) does
//! not touch that shared word, which every worker would then write on every submission: it
//! raises a flag of its own ([`Gate::enter_local`]), issues `fence(SeqCst)` and reads the word;
//! closing sets its flag bit, issues `fence(SeqCst)` and waits until every worker's flag is
//! down as well (a Dekker pair: at least one side sees the other). So after
//! [`Gate::close`] returns, every accepted call has been pushed (and its wake-up sent), and
//! every later one is rejected. Only then is `TERMINATE` set (waiting again for thread starts
//! in progress), which is what lets idle workers exit: a worker that sees it and then finds
//! the queues empty can leave for good, and every thread that will ever exist is registered.

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use crate::loom::thread;
use crate::padded::Padded;

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
    /// Worker `i`'s flag at index `i`: up while it submits to its own deque. Padded, so
    /// that raising it costs the worker no line transfer.
    locals: Box<[Padded<AtomicBool>]>,
}

/// An accepted submission from a worker to its own deque; dropping it marks it complete.
#[derive(Debug)]
pub(crate) struct LocalPass<'a> {
    flag: &'a AtomicBool,
}

/// An accepted submitter; dropping it marks the submission complete.
#[derive(Debug)]
pub(crate) struct Pass<'a> {
    gate: &'a Gate,
}

impl Gate {
    /// A gate for a pool of `workers` workers (each may take a [`LocalPass`]).
    pub(crate) fn new(workers: usize) -> Self {
        Gate {
            state: AtomicUsize::new(0),
            locals: (0..workers)
                .map(|_| Padded(AtomicBool::new(false)))
                .collect(),
        }
    }

    /// Admits worker `index` submitting to its own deque, as [`enter`](Self::enter) does
    /// (the same answers), with its own flag instead of the shared count.
    pub(crate) fn enter_local(&self, index: usize) -> Result<LocalPass<'_>, Closed> {
        let flag = &*self.locals[index];
        // ORDERING: the fence orders raising the flag before reading the word (the
        // submitter's half of the Dekker pair with `wait_for_submitters`).
        flag.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let state = self.state.load(Ordering::Relaxed);
        if state & (SHUTDOWN | BROKEN) == 0 {
            return Ok(LocalPass { flag });
        }
        // ORDERING: nothing was pushed; `Release` as in the pass's drop.
        flag.store(false, Ordering::Release);
        if state & BROKEN != 0 {
            Err(Closed::Broken)
        } else {
            Err(Closed::Shutdown)
        }
    }

    /// Waits until no pass of either kind is in use. Called after setting a flag bit.
    fn wait_for_submitters(&self) {
        // ORDERING: the closer's half of the Dekker pair with `enter_local`: the flag bit,
        // set by the caller, is ordered before the reads of the workers' flags.
        fence(Ordering::SeqCst);
        // Submitters never block while admitted (no user code, no locks held for long), so
        // this wait is short: at most a thread start.
        while self.state.load(Ordering::SeqCst) >= SUBMITTER
            // ORDERING: `Acquire` pairs with the pass's `Release`: its push is visible.
            || self.locals.iter().any(|local| local.load(Ordering::Acquire))
        {
            thread::yield_now();
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
        self.wait_for_submitters();
    }

    /// Lets idle workers exit. Call after [`close`](Self::close)`(false)`. Waits until no
    /// thread start admitted by [`enter_to_start_thread`](Self::enter_to_start_thread) is in
    /// progress, so that every started thread is registered when this returns.
    pub(crate) fn terminate(&self) {
        self.state.fetch_or(TERMINATE, Ordering::SeqCst);
        self.wait_for_submitters();
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

impl Drop for LocalPass<'_> {
    fn drop(&mut self) {
        // ORDERING: `Release` publishes the push to the closer that sees the flag down.
        self.flag.store(false, Ordering::Release);
    }
}
