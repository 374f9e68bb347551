//! The any-of-N waiter that `wait` and `as_completed` block on.

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::help;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use crate::loom::sync::{Arc, Condvar, Mutex, MutexGuard};
use crate::spin;
use crate::tokens::Tokens;

/// Blocks one thread until any of several futures completes.
///
/// Register it on each future with [`Future::watch`] under a *token* of your choosing (an
/// index, usually); each future, once done, hands its token to the waiter exactly once —
/// at once if it is already done. [`Waiter::wait_into`] then blocks (after a bounded spin of
/// about 50 µs that yields the CPU to the workers, then asleep) until at least one token is ready, and moves every
/// ready token out, in completion order. Registration and removal ([`Future::unwatch`]) cost
/// O(1) per future; completions on several threads hand over their tokens without a lock.
///
/// This is the primitive under `wait` and `as_completed` (CPython's `_Waiter`); it is public
/// so that other combinators and backends can build on it. Async code waits on it with
/// [`Waiter::poll_into`] instead, which registers the task's waker rather than blocking.
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

/// The state shared by a [`Waiter`] and the futures it watches.
///
/// # Implementation description
///
/// Completing futures push their tokens into a lock-free queue ([`Tokens`]), so futures
/// completing on several threads at once never wait for each other or for the waiting
/// thread. Sleeping follows the same Dekker pair as the thread pool's workers: a *notifier*
/// pushes, issues `fence(SeqCst)`, then reads `sleeping`, and only if a thread sleeps (or is
/// about to) takes the lock to wake one; a *sleeper* takes the lock, counts itself in
/// `sleeping`, issues `fence(SeqCst)`, and looks at the queue once more before it waits, still
/// holding the lock until the wait releases it. At least one side sees the other, so a token
/// is never left queued while its waiter sleeps; and a notifier that saw a sleeper takes the
/// lock only after that sleeper waits. `src/tests/loom_waiter.rs` model-checks it.
///
/// An async poller ([`Waiter::poll_into`]) is the same pair with a waker instead of a
/// sleeping thread: it stores its waker and sets `polled` under the lock, issues
/// `fence(SeqCst)`, and looks at the queue once more; a notifier that reads `polled` after
/// its push-and-fence takes the waker out under the lock and hands it back to its caller,
/// which wakes it once it holds no lock of its own (waking may run the task's code, or drop
/// the task and with it the stream that watches the future whose lock the completing thread
/// holds). `src/tests/loom_waiter_poll.rs` model-checks it.
pub(crate) struct WaiterShared {
    tokens: Tokens,
    /// Threads in `wait_into`/`wait_deadline_into` counted as sleeping (a `Waiter` is
    /// `Sync`). Changed only under `sleep`'s lock; read without it by notifiers.
    sleeping: AtomicUsize,
    /// An async poller's waker is stored in `sleep`. Changed only under `sleep`'s lock; read
    /// without it by notifiers.
    polled: AtomicBool,
    sleep: Mutex<Sleep>,
    condvar: Condvar,
}

/// What `WaiterShared::sleep` guards.
struct Sleep {
    /// Sleepers already sent a wake-up that they have not consumed yet. Completions that
    /// arrive while the woken thread is still getting up add their token without another
    /// system call. Every thread that wakes, for whatever reason, consumes one, so the count
    /// can only err towards an extra wake-up, never a lost one.
    signalled: usize,
    /// The waker of the last async poll that found no token (`polled` says it is there).
    waker: Option<Waker>,
}

impl WaiterShared {
    /// Called by a future when it is done. Returns the waker of an async poller to wake:
    /// the caller wakes it once it holds no lock (see the implementation description).
    #[must_use = "the returned waker must be woken"]
    pub(crate) fn notify(&self, token: usize) -> Option<Waker> {
        self.tokens.push(token);
        // The notifier's half of the Dekker pair: the push is ordered before the reads.
        fence(Ordering::SeqCst);
        let polled = self.polled.load(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) == 0 && !polled {
            return None;
        }
        let mut sleep = self.sleep.lock();
        // One token is enough to release one sleeper (it takes every ready token).
        let wake = self.sleeping.load(Ordering::SeqCst) > sleep.signalled;
        if wake {
            sleep.signalled += 1;
        }
        let waker = if self.polled.load(Ordering::SeqCst) {
            self.polled.store(false, Ordering::SeqCst);
            sleep.waker.take()
        } else {
            None
        };
        drop(sleep);
        if wake {
            self.condvar.notify_one();
        }
        waker
    }

    /// The poller's side: stores `waker` to be woken by the next token, then looks at the
    /// queue once more; `true` if tokens are there (the waker may then be woken needlessly
    /// later, which the `Waker` contract allows).
    fn register_waker(&self, waker: &Waker) -> bool {
        let mut sleep = self.sleep.lock();
        match &sleep.waker {
            Some(old) if old.will_wake(waker) => {}
            _ => sleep.waker = Some(waker.clone()),
        }
        self.polled.store(true, Ordering::SeqCst);
        drop(sleep);
        // The poller's half of the Dekker pair: registered before the last look.
        fence(Ordering::SeqCst);
        self.has_tokens()
    }

    fn has_tokens(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Blocks until there may be tokens; returns at once if tokens are queued.
    fn sleep_until_tokens(&self) {
        self.sleep_with(|guard| (self.condvar.wait(guard), true));
    }

    /// Like [`sleep_until_tokens`](Self::sleep_until_tokens), but `false` if `deadline` had
    /// passed before it could wait.
    #[cfg(not(cfut_loom))]
    fn sleep_until_tokens_or(&self, deadline: std::time::Instant) -> bool {
        self.sleep_with(|guard| {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                (guard, false)
            } else {
                (self.condvar.wait_timeout(guard, left).0, true)
            }
        })
    }

    /// The sleeper's side of the protocol around `wait`, which blocks on the condition
    /// variable and gives the guard back, with `false` if the deadline had passed so that it
    /// did not block. Returns that flag (`true` if tokens were already there).
    fn sleep_with(
        &self,
        wait: impl FnOnce(MutexGuard<'_, Sleep>) -> (MutexGuard<'_, Sleep>, bool),
    ) -> bool {
        let sleep = self.sleep.lock();
        self.sleeping.fetch_add(1, Ordering::SeqCst);
        // The sleeper's half of the Dekker pair: counted as sleeping before the last look.
        fence(Ordering::SeqCst);
        let (sleep, in_time) = if self.has_tokens() {
            (sleep, true)
        } else {
            let (mut sleep, waited) = wait(sleep);
            if waited {
                sleep.signalled = sleep.signalled.saturating_sub(1);
            }
            (sleep, waited)
        };
        self.sleeping.fetch_sub(1, Ordering::SeqCst);
        drop(sleep);
        in_time
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
                tokens: Tokens::new(),
                sleeping: AtomicUsize::new(0),
                polled: AtomicBool::new(false),
                sleep: Mutex::new(Sleep {
                    signalled: 0,
                    waker: None,
                }),
                condvar: Condvar::new(),
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
        if !spin::spin_then_yield_until(|| shared.has_tokens()) {
            // On a pool's worker, run the worker's own queued calls meanwhile (the futures
            // watched may be among them), exactly as `Future::wait` does.
            help::help_while(&|| !shared.has_tokens());
        }
        while !shared.tokens.drain_into(out) {
            shared.sleep_until_tokens();
        }
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
        spin::spin_then_yield_until(|| shared.has_tokens());
        loop {
            if shared.tokens.drain_into(out) {
                return true;
            }
            if !shared.sleep_until_tokens_or(deadline) {
                // The deadline passed; tokens that came meanwhile still count.
                return shared.tokens.drain_into(out);
            }
        }
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
        self.shared.tokens.drain_into(out)
    }

    /// The async form of [`wait_into`](Self::wait_into): appends every ready token to `out`
    /// and returns `Ready`, or, if none is ready, registers the task's waker and returns
    /// `Pending`; the next token wakes it (once), from the thread that completes the future.
    ///
    /// No polling and no blocking: a `Pending` poll costs a lock and a waker clone (none if
    /// the waker is the one already registered). One task polls a waiter at a time: a poll
    /// replaces the waker of the previous one. A stale waker may be woken once needlessly,
    /// as the [`Waker`] contract allows.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use cfut_core::{promise, Waiter};
    ///
    /// let (producer, future) = promise::<u8>();
    /// let waiter = Waiter::new();
    /// future.watch(&waiter, 4);
    /// std::thread::spawn(move || producer.set_result(1));
    /// let mut ready = Vec::new();
    /// futures::executor::block_on(poll_fn(|cx| waiter.poll_into(cx, &mut ready)));
    /// assert_eq!(ready, [4]);
    /// ```
    pub fn poll_into(&self, cx: &mut Context<'_>, out: &mut Vec<usize>) -> Poll<()> {
        let shared = &*self.shared;
        if shared.tokens.drain_into(out)
            || (shared.register_waker(cx.waker()) && shared.tokens.drain_into(out))
        {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Waiter {
    /// Drops the waker of an async poll at once; the rest of the shared state lives on in the
    /// futures still watched until they complete or are unwatched.
    fn drop(&mut self) {
        let waker = {
            let mut sleep = self.shared.sleep.lock();
            self.shared.polled.store(false, Ordering::SeqCst);
            sleep.waker.take()
        };
        drop(waker);
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
