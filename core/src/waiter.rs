//! The any-of-N waiter that `wait` and `as_completed` block on.

use std::fmt;

use crate::loom::sync::{Arc, Condvar, Mutex};

/// Blocks one thread until any of several futures completes.
///
/// Register it on each future with [`Future::watch`] under a *token* of your choosing (an
/// index, usually); each future, once done, hands its token to the waiter exactly once —
/// at once if it is already done. [`Waiter::wait_into`] then blocks, without spinning, until
/// at least one token is ready and moves every ready token out, in completion order.
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
pub struct Waiter {
    pub(crate) shared: Arc<WaiterShared>,
}

pub(crate) struct WaiterShared {
    ready: Mutex<Ready>,
    condvar: Condvar,
}

struct Ready {
    tokens: Vec<usize>,
    /// Threads blocked in `wait_into`/`wait_deadline_into` (a `Waiter` is `Sync`).
    sleepers: usize,
}

impl WaiterShared {
    /// Called by a future when it is done.
    pub(crate) fn notify(&self, token: usize) {
        let mut ready = self.ready.lock();
        ready.tokens.push(token);
        let sleepers = ready.sleepers;
        drop(ready);
        // One token is enough to release one sleeper (it takes every ready token); each
        // later token releases the next sleeper, which then finds it.
        if sleepers > 0 {
            self.condvar.notify_one();
        }
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
                }),
                condvar: Condvar::new(),
            }),
        }
    }

    /// Blocks until at least one token is ready, then appends every ready token to `out`.
    ///
    /// Blocks forever if no watched future ever completes.
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
        let mut ready = self.shared.ready.lock();
        while ready.tokens.is_empty() {
            ready.sleepers += 1;
            ready = self.shared.condvar.wait(ready);
            ready.sleepers -= 1;
        }
        out.append(&mut ready.tokens);
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
        let mut ready = self.shared.ready.lock();
        while ready.tokens.is_empty() {
            let left = match deadline.checked_duration_since(std::time::Instant::now()) {
                Some(left) if !left.is_zero() => left,
                _ => return false,
            };
            ready.sleepers += 1;
            ready = self.shared.condvar.wait_timeout(ready, left).0;
            ready.sleepers -= 1;
        }
        out.append(&mut ready.tokens);
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
        out.append(&mut ready.tokens);
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
