//! [`InlineExecutor`]: runs each call on the caller's thread.

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::{Error, Executor, Job, JobExecutor, Shutdown};

/// The simplest backend: `submit` runs the call at once, on the calling thread, and returns a
/// future that is already done.
///
/// Useful to run code written for executors without any concurrency (debugging, tests,
/// deterministic runs) and as the reference backend of the conformance kit. After
/// [`shutdown`](Executor::shutdown), submissions fail with [`Error::Shutdown`].
///
/// # Examples
///
/// ```
/// use cfut_core::{Error, Executor, InlineExecutor, Shutdown, Spawn};
///
/// let executor = InlineExecutor::new();
/// let caller = std::thread::current().id();
/// assert_eq!(executor.spawn(move || std::thread::current().id() == caller).result(), Ok(true));
///
/// executor.shutdown(Shutdown::new());
/// assert_eq!(executor.spawn(|| 1).result(), Err(Error::Shutdown));
/// ```
#[derive(Debug)]
pub struct InlineExecutor {
    shut_down: AtomicBool,
}

impl InlineExecutor {
    /// A new, running inline executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{InlineExecutor, Spawn};
    /// assert_eq!(InlineExecutor::new().spawn(|| "now").result(), Ok("now"));
    /// ```
    pub fn new() -> Self {
        InlineExecutor {
            shut_down: AtomicBool::new(false),
        }
    }
}

impl Default for InlineExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl Executor for InlineExecutor {
    /// One: calls run one at a time, on the caller's thread.
    fn max_workers(&self) -> usize {
        1
    }

    /// Marks the executor shut down. Nothing is ever pending, so the options change nothing.
    fn shutdown(&self, _how: Shutdown) {
        // ORDERING: a plain flag; calls already made are done, later ones must see it only
        // eventually relative to other threads (there is no queue to hand over).
        self.shut_down.store(true, Ordering::Release);
    }
}

impl JobExecutor for InlineExecutor {
    fn execute(&self, job: Job) {
        // ORDERING: pairs with the `Release` in `shutdown`.
        if self.shut_down.load(Ordering::Acquire) {
            job.reject(Error::Shutdown);
        } else {
            job.run();
        }
    }
}
