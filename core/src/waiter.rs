//! The any-of-N waiter that `wait` and `as_completed` block on.

use std::fmt;

use crate::help;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::spin;

/// Blocks one thread until any of several futures completes.
///
/// Register it on each future with [`Future::watch`] under a *token* of your choosing (an
/// index, usually); each future, once done, hands its token to the waiter exactly once —
/// at once if it is already done. [`Waiter::wait_into`] then blocks (after the same bounded
/// spin as [`Future::wait`], then asleep) until at least one token is ready and moves every ready token out, in completion order.
/// Registration and removal ([`Future::unwatch`]) cost O(1) per future.
///
/// This is the primitive under `wait` and `as_completed` (CPython's `_Waiter`); it is public
/// so that other combinators and backends can build on it.
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, Waiter};
///
/// let (first, f1) = promise::<u32>();
/// let (second, f2) = promise::<u32>();
/// let waiter = Waiter::new();
/// f1.watch(&waiter, 1);
/// f2.watch(&waiter, 2);
///
/// std::thread::spawn(move || second.set_result(20));
/// let mut ready = Vec::new();
/// waiter.wait_into(&mut ready);
/// assert_eq!(ready, [2]);
///
/// f1.unwatch(&waiter);
/// drop(first); // completes `f1` with `Error::Abandoned`, but nobody is watching any more
/// assert!(!waiter.try_wait_into(&mut ready));
/// ```
///
/// [`Future::watch`]: crate::Future::watch
/// [`Future::unwatch`]: crate::Future::unwatch
/// [`Future::wait`]: crate::Future::wait
pub struct Waiter {
    pub(crate) shared: Arc<WaiterShared>,
}

pub(crate) struct WaiterShared {
    ready: Mutex<Ready>,
    condvar: Condvar,
    /// How many tokens `ready.tokens` holds, readable without the lock by a waiting thread
    /// that spins or helps before it sleeps. Written under the lock.
    queued: AtomicUsize,
}

struct Ready {
    tokens: Vec<usize>,
    /// Threads blocked in `wait_into`/`wait_deadline_into` (a `Waiter` is `Sync`).
    sleepers: usize,
    /// Sleepers already sent a wake-up that they have not consumed yet. Completions that
    /// arrive while the woken thread is still getting up add their token without another
    /// system call. Every thread that wakes, for whatever reason, consumes one, so the count
    /// can only err towards an extra wake-up, never a lost one.
    signalled: usize,
}

impl WaiterShared {
    /// Called by a future when it is done.
    pub(crate) fn notify(&self, token: usize) {
        let mut ready = self.ready.lock();
        ready.tokens.push(token);
        // ORDERING: pairs with the `Acquire` in `has_tokens`; the tokens themselves are read
        // under the lock.
        self.queued.store(ready.tokens.len(), Ordering::Release);
        // One token is enough to release one sleeper (it takes every ready token).
        let wake = ready.sleepers > ready.signalled;
        if wake {
            ready.signalled += 1;
        }
        drop(ready);
        if wake {
            self.condvar.notify_one();
        }
    }

    fn has_tokens(&self) -> bool {
        // ORDERING: see `notify`.
        self.queued.load(Ordering::Acquire) > 0
    }

    /// Moves every ready token to `out`. Caller holds the lock.
    fn drain(&self, ready: &mut Ready, out: &mut Vec<usize>) {
        out.append(&mut ready.tokens);
        // ORDERING: see `notify`.
        self.queued.store(0, Ordering::Release);
    }
}

impl Waiter {
    /// A waiter with no tokens ready.
    ///
    /// # Examples
    ///
    /// ```
    /// let waiter = cfut_core::Waiter::new();
    /// let mut ready = Vec::new();
    /// assert!(!waiter.try_wait_into(&mut ready));
    /// ```
    pub fn new() -> Self {
        Waiter {
            shared: Arc::new(WaiterShared {
                ready: Mutex::new(Ready {
                    tokens: Vec::new(),
                    sleepers: 0,
                    signalled: 0,
                }),
                condvar: Condvar::new(),
                queued: AtomicUsize::new(0),
            }),
        }
    }

    /// Blocks until at least one token is ready, then appends every ready token to `out`.
    ///
    /// Blocks forever if no watched future ever completes. Like [`Future::wait`], on a
    /// thread pool's worker it may run that worker's own queued calls while it waits.
    ///
    /// [`Future::wait`]: crate::Future::wait
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Future, Waiter};
    ///
    /// let done = Future::from_result(Ok(1));
    /// let waiter = Waiter::new();
    /// done.watch(&waiter, 7);
    /// let mut ready = Vec::new();
    /// waiter.wait_into(&mut ready);
    /// assert_eq!(ready, [7]);
    /// ```
    pub fn wait_into(&self, out: &mut Vec<usize>) {
        let shared = &*self.shared;
        if !spin::spin_until(|| shared.has_tokens()) {
            // On a pool's worker, run the worker's own queued calls meanwhile (the futures
            // watched may be among them), exactly as `Future::wait` does.
            help::help_while(&|| !shared.has_tokens());
        }
        let mut ready = shared.ready.lock();
        while ready.tokens.is_empty() {
            ready.sleepers += 1;
            ready = shared.condvar.wait(ready);
            ready.sleepers -= 1;
            ready.signalled = ready.signalled.saturating_sub(1);
        }
        shared.drain(&mut ready, out);
    }

    /// Like [`wait_into`](Self::wait_into), but gives up at `deadline`; `true` if it appended
    /// any token.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use cfut_core::{promise, Waiter};
    ///
    /// let (_promise, future) = promise::<()>();
    /// let waiter = Waiter::new();
    /// future.watch(&waiter, 0);
    /// let mut ready = Vec::new();
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// assert!(!waiter.wait_deadline_into(&mut ready, deadline));
    /// assert!(ready.is_empty());
    /// ```
    #[cfg(not(cfut_loom))]
    pub fn wait_deadline_into(&self, out: &mut Vec<usize>, deadline: std::time::Instant) -> bool {
        let shared = &*self.shared;
        spin::spin_until(|| shared.has_tokens());
        let mut ready = shared.ready.lock();
        while ready.tokens.is_empty() {
            let left = match deadline.checked_duration_since(std::time::Instant::now()) {
                Some(left) if !left.is_zero() => left,
                _ => return false,
            };
            ready.sleepers += 1;
            ready = shared.condvar.wait_timeout(ready, left).0;
            ready.sleepers -= 1;
            ready.signalled = ready.signalled.saturating_sub(1);
        }
        shared.drain(&mut ready, out);
        true
    }

    /// Appends every token ready now to `out`, without blocking; `true` if there was any.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Future, Waiter};
    ///
    /// let waiter = Waiter::new();
    /// let mut ready = Vec::new();
    /// assert!(!waiter.try_wait_into(&mut ready));
    /// Future::from_result(Ok(())).watch(&waiter, 3);
    /// assert!(waiter.try_wait_into(&mut ready));
    /// assert_eq!(ready, [3]);
    /// ```
    pub fn try_wait_into(&self, out: &mut Vec<usize>) -> bool {
        let mut ready = self.shared.ready.lock();
        let any = !ready.tokens.is_empty();
        self.shared.drain(&mut ready, out);
        any
    }
}

impl Default for Waiter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Waiter { .. }")
    }
}
