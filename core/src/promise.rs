//! [`Promise`], the producer half that an executor completes.

use std::fmt;

use crate::loom::sync::Arc;
use crate::unwind;
use crate::{Error, Future, inner::Inner};

/// Creates a pending [`Future`] and the [`Promise`] that completes it.
///
/// Executors call this once per call; users rarely need it, except to bridge another source
/// of results into `wait` or `as_completed`.
///
/// # Examples
///
/// ```
/// let (producer, future) = cfut_core::promise();
/// producer.set_result(3);
/// assert_eq!(future.result(), Ok(3));
/// ```
pub fn promise<T>() -> (Promise<T>, Future<T>) {
    let inner = Arc::new(Inner::new());
    (
        Promise {
            inner: Some(Arc::clone(&inner)),
        },
        Future::from_inner(inner),
    )
}

/// The producer half of a [`Future`]: what an executor holds while the call waits and runs.
///
/// The protocol follows Python's executor contract: call
/// [`set_running_or_notify_cancel`](Self::set_running_or_notify_cancel) just before running
/// the call — `false` means the future was cancelled and the call must not run — then
/// complete it once with [`set_result`](Self::set_result),
/// [`set_error`](Self::set_error) or [`complete`](Self::complete); [`run`](Self::run) does all
/// of it, catching a panic into [`Error::Panicked`]. Completing consumes the promise, so a
/// future cannot be completed twice (CPython's `InvalidStateError` cannot happen).
///
/// A promise dropped without completing completes its future with [`Error::Abandoned`]: no
/// future is ever left pending forever.
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, Error};
///
/// let (producer, future) = promise::<u32>();
/// let worker = std::thread::spawn(move || producer.run(|| panic!("bad input")));
/// worker.join().unwrap();
/// assert!(matches!(future.result(), Err(Error::Panicked { message, .. }) if message == "bad input"));
///
/// let (producer, future) = promise::<u32>();
/// drop(producer);
/// assert_eq!(future.result(), Err(Error::Abandoned));
/// ```
pub struct Promise<T> {
    /// `None` once completed (so that `Drop` knows).
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Promise<T> {
    fn inner(&self) -> &Inner<T> {
        self.inner
            .as_deref()
            .expect("a promise is only emptied by a consuming method")
    }

    /// Marks the future running; `false` if it was cancelled (the call must then not run).
    ///
    /// Calling it again on a running future returns `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise::<()>();
    /// assert!(producer.set_running_or_notify_cancel());
    /// assert!(future.is_running());
    /// assert!(!future.cancel(), "a running call cannot be cancelled");
    /// ```
    pub fn set_running_or_notify_cancel(&self) -> bool {
        self.inner().set_running()
    }

    /// Lets `arbiter` decide the future's [`cancel`](Future::cancel) while it is pending:
    /// for an executor that hands a call, before it starts, to a place it cannot take it
    /// back from (a worker process's queue). Returns `false`, installing nothing, if the
    /// future is no longer pending (cancelled: do not hand the call over).
    ///
    /// From then on, `cancel` on the pending future calls `arbiter` first. `arbiter` returns
    /// `true` if the call will never start where it was handed (the executor's record says
    /// so, atomically against the start): the future is cancelled, unless the executor set it
    /// running or resolved it meanwhile. `false` means it started: the future is marked
    /// running and `cancel` returns `false`. The executor marks the future running when it
    /// learns of the start ([`set_running_or_notify_cancel`](Self::set_running_or_notify_cancel)),
    /// and completes it as usual. Installing again replaces the arbiter (the call was handed
    /// elsewhere). The arbiter runs under the future's lock: it must not touch the future.
    /// It is dropped as the future settles, by the party that settles it (the executor
    /// completing it, or `cancel`), before that party returns: what it holds is released on
    /// that thread, not on whichever thread drops the future last.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU8, Ordering};
    /// use cfut_core::{promise, State};
    ///
    /// // The call waits in a queue the executor cannot reach; `cell` is what decides there:
    /// // 0 queued, 1 started, 2 cancelled.
    /// let cell = Arc::new(AtomicU8::new(0));
    /// let (producer, future) = promise::<u32>();
    /// let record = Arc::clone(&cell);
    /// let won = move || record.compare_exchange(0, 2, Ordering::AcqRel, Ordering::Acquire).is_ok();
    /// assert!(producer.set_cancel_arbiter(won));
    ///
    /// // The queue starts the call before the user cancels.
    /// assert!(cell.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire).is_ok());
    /// assert!(!future.cancel(), "it started");
    /// assert_eq!(future.state(), State::Running);
    /// producer.set_result(7);
    /// assert_eq!(Arc::strong_count(&cell), 1, "settled: the arbiter and its handle are gone");
    /// assert_eq!(future.result(), Ok(7));
    ///
    /// // Cancelled before it starts: the queue sees the cancellation and skips the call.
    /// let cell = Arc::new(AtomicU8::new(0));
    /// let (producer, future) = promise::<u32>();
    /// let record = Arc::clone(&cell);
    /// assert!(producer.set_cancel_arbiter(move || {
    ///     record.compare_exchange(0, 2, Ordering::AcqRel, Ordering::Acquire).is_ok()
    /// }));
    /// assert!(future.cancel());
    /// assert_eq!(cell.load(Ordering::Acquire), 2);
    /// assert!(!producer.set_cancel_arbiter(|| true), "no longer pending");
    /// ```
    pub fn set_cancel_arbiter<A>(&self, arbiter: A) -> bool
    where
        A: FnMut() -> bool + Send + 'static,
    {
        self.inner().set_arbiter(Box::new(arbiter))
    }

    /// Tells the future that its call waits in a queue behind other calls, whose running
    /// needs the machine's CPUs (a process pool's parent, all of whose workers are busy): a
    /// blocking wait on the future ([`Future::result`], [`Future::wait`]) then sleeps at once
    /// instead of spinning first, and leaves its CPU to that work. A hint: it changes no
    /// outcome, and a wait that starts after the future is done returns at once as usual.
    ///
    /// Spinning pays when the result comes within microseconds (one call handed to an idle
    /// worker); a call queued behind a batch comes much later, and a waiter spinning meanwhile
    /// takes a CPU from the threads and processes producing it. [`Job::hint_thread_start`]
    /// gives the same hint for a call that waits for a thread to start.
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise::<u32>();
    /// producer.hint_queued();
    /// let worker = std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(10)); // the calls ahead
    ///     producer.set_result(7);
    /// });
    /// assert_eq!(future.result(), Ok(7), "the same outcome; the wait slept at once");
    /// worker.join().unwrap();
    /// ```
    ///
    /// [`Job::hint_thread_start`]: crate::Job::hint_thread_start
    pub fn hint_queued(&self) {
        self.inner().hint_thread_start();
    }

    /// `true` if the future was cancelled: the call need not run.
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise::<()>();
    /// future.cancel();
    /// assert!(producer.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.inner().state() & crate::inner::CANCELLED != 0
    }

    /// Completes the future with `outcome`; `false` if it was already cancelled, in which
    /// case `outcome` is dropped (executors must tolerate that race, as in Python).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, Error};
    ///
    /// let (producer, future) = promise::<u8>();
    /// assert!(producer.complete(Err(Error::Shutdown)));
    /// assert_eq!(future.result(), Err(Error::Shutdown));
    ///
    /// let (producer, future) = promise::<u8>();
    /// future.cancel();
    /// assert!(!producer.complete(Ok(1)));
    /// ```
    pub fn complete(mut self, outcome: Result<T, Error>) -> bool {
        let inner = self.inner.take().expect("completed once");
        inner.resolve(outcome, false)
    }

    /// Completes the future with `value`. See [`complete`](Self::complete).
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise();
    /// assert!(producer.set_result(vec![1, 2]));
    /// assert_eq!(future.result(), Ok(vec![1, 2]));
    /// ```
    pub fn set_result(self, value: T) -> bool {
        self.complete(Ok(value))
    }

    /// Completes the future with `error`. See [`complete`](Self::complete).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, Error};
    ///
    /// let (producer, future) = promise::<()>();
    /// producer.set_error(Error::Broken { reason: "initializer failed".into() });
    /// assert!(matches!(future.result(), Err(Error::Broken { .. })));
    /// ```
    pub fn set_error(self, error: Error) -> bool {
        self.complete(Err(error))
    }

    /// Cancels the future on the executor's side: a call it will never run (for example
    /// drained by `shutdown` with cancellation). Works whether or not the call was marked
    /// running; `false` if the future was already done.
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise::<()>();
    /// assert!(producer.cancel());
    /// assert!(future.is_cancelled());
    /// ```
    pub fn cancel(mut self) -> bool {
        let inner = self.inner.take().expect("completed once");
        inner.resolve(Err(Error::Cancelled), true)
    }

    /// Runs `call` under the whole protocol: skips it if cancelled, marks the future running,
    /// catches a panic into [`Error::Panicked`], completes the future.
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise();
    /// producer.run(|| "ran");
    /// assert_eq!(future.result(), Ok("ran"));
    ///
    /// let (producer, future) = cfut_core::promise::<&str>();
    /// future.cancel();
    /// producer.run(|| unreachable!("a cancelled call never runs"));
    /// assert!(future.is_cancelled());
    /// ```
    pub fn run<F>(self, call: F)
    where
        F: FnOnce() -> T,
    {
        if !self.set_running_or_notify_cancel() {
            return;
        }
        let outcome = unwind::halt_unwinding(call).map_err(Error::from_panic);
        self.complete(outcome);
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.resolve(Err(Error::Abandoned), false);
        }
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Promise { .. }")
    }
}
