//! [`Job`], the unit of work an in-process executor runs.

use std::fmt;

use crate::{Error, Promise};

/// What to do with a job.
enum Action {
    Run,
    Cancel,
    Reject(Error),
}

/// A boxed call handed to a [`JobExecutor`], usually carrying the [`Promise`] of a future.
///
/// The executor must eventually do exactly one of: [`run`](Self::run) it,
/// [`cancel`](Self::cancel) it (a call it will never start, e.g. drained by a cancelling
/// shutdown), or [`reject`](Self::reject) it with an error (e.g. [`Error::Shutdown`]).
/// A job that is simply dropped completes its future with [`Error::Abandoned`], so even a
/// careless executor cannot leave a future pending forever.
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, Error, Job};
///
/// let (producer, future) = promise();
/// let job = Job::with_promise(producer, || 2 + 2);
/// job.run();
/// assert_eq!(future.result(), Ok(4));
///
/// let (producer, future) = promise::<i32>();
/// Job::with_promise(producer, || 0).reject(Error::Shutdown);
/// assert_eq!(future.result(), Err(Error::Shutdown));
/// ```
///
/// [`JobExecutor`]: crate::JobExecutor
pub struct Job {
    call: Box<dyn FnOnce(Action) + Send + 'static>,
}

impl Job {
    /// A job that runs `call` and has no future: cancelling or rejecting it drops `call`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&ran);
    /// cfut_core::Job::new(move || flag.store(true, Ordering::SeqCst)).run();
    /// assert!(ran.load(Ordering::SeqCst));
    /// ```
    pub fn new<F>(call: F) -> Self
    where
        F: FnOnce() + Send + 'static,
    {
        Job {
            call: Box::new(move |action| {
                if let Action::Run = action {
                    call();
                }
            }),
        }
    }

    /// A job that runs `call` under `promise`'s protocol ([`Promise::run`]): skipped if the
    /// future was cancelled, a panic caught into [`Error::Panicked`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (producer, future) = cfut_core::promise::<u8>();
    /// let job = cfut_core::Job::with_promise(producer, || 1);
    /// job.cancel();
    /// assert!(future.is_cancelled());
    /// ```
    pub fn with_promise<T, F>(promise: Promise<T>, call: F) -> Self
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        Job {
            call: Box::new(move |action| match action {
                Action::Run => promise.run(call),
                Action::Cancel => {
                    promise.cancel();
                }
                Action::Reject(error) => {
                    promise.set_error(error);
                }
            }),
        }
    }

    /// Runs the call on this thread. Never unwinds from a job made by
    /// [`with_promise`](Self::with_promise); a [`new`](Self::new) job's panic propagates.
    ///
    /// # Examples
    ///
    /// See [`Job`].
    pub fn run(self) {
        (self.call)(Action::Run);
    }

    /// Cancels the call: its future becomes cancelled without the call running.
    ///
    /// # Examples
    ///
    /// See [`with_promise`](Self::with_promise).
    pub fn cancel(self) {
        (self.call)(Action::Cancel);
    }

    /// Fails the call with `error` without running it.
    ///
    /// # Examples
    ///
    /// See [`Job`].
    pub fn reject(self, error: Error) {
        (self.call)(Action::Reject(error));
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Job { .. }")
    }
}
