//! Work-while-waiting: how a pool lets a blocked worker run its own queued calls.
//!
//! A thread pool installs a [`WaitHelper`] on each of its worker threads. When code on that
//! thread blocks in [`Future::result`] or [`Future::wait`], the helper gets the chance to run
//! queued work while the future is pending — so a task that submits a child and waits for it
//! cannot deadlock a one-worker pool. Timed waits never help: a helped call could overrun the
//! deadline.
//!
//! [`Future::result`]: crate::Future::result
//! [`Future::wait`]: crate::Future::wait

use std::fmt;

use crate::Job;

/// Runs queued work on the current thread while a future it waits for is pending.
///
/// Implemented by executors, installed per thread with [`install_wait_helper`].
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use cfut_core::{install_wait_helper, promise, WaitHelper};
///
/// // A helper holding one queued call: the promise's completion.
/// struct RunsOne(Cell<Option<cfut_core::Promise<u8>>>);
/// impl WaitHelper for RunsOne {
///     fn help_while(&self, pending: &dyn Fn() -> bool) {
///         if pending() {
///             if let Some(promise) = self.0.take() {
///                 promise.set_result(1);
///             }
///         }
///     }
/// }
///
/// let (promise, future) = promise();
/// let _guard = install_wait_helper(Rc::new(RunsOne(Cell::new(Some(promise)))));
/// assert_eq!(future.result(), Ok(1), "would block forever without the helper");
/// ```
pub trait WaitHelper {
    /// Runs queued work while `pending()` is true; returns when it is false or when there is
    /// nothing suitable left to run (the caller then sleeps until the future is done).
    fn help_while(&self, pending: &dyn Fn() -> bool);

    /// Like [`help_while`](Self::help_while), for `result()` on the future of one call whose
    /// key is `awaited`: a queued job with that [`key`](Job::key) is that very call, and is
    /// handed back instead of being run, so that the waiting code runs it inline and takes its value directly
    /// (the fast path of a fork-join: no publication, no hand-off). Returns `None` when
    /// `pending()` turned false or nothing suitable is left to run. The default helps with
    /// [`help_while`](Self::help_while) and hands nothing back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use std::sync::{Arc, Mutex};
    /// use cfut_core::{install_wait_helper, Executor, Job, JobExecutor, Shutdown, Spawn, WaitHelper};
    ///
    /// // A queue of jobs, newest last, as a pool worker's own deque; its helper runs them.
    /// type Queue = Arc<Mutex<Vec<Job>>>;
    /// struct Helper(Queue);
    /// impl WaitHelper for Helper {
    ///     fn help_while(&self, pending: &dyn Fn() -> bool) {
    ///         while pending() {
    ///             let Some(job) = self.0.lock().unwrap().pop() else { break };
    ///             job.run();
    ///         }
    ///     }
    ///     fn help_or_take(&self, awaited: usize, pending: &dyn Fn() -> bool) -> Option<Job> {
    ///         while pending() {
    ///             let job = self.0.lock().unwrap().pop()?;
    ///             if job.key() == awaited {
    ///                 return Some(job);
    ///             }
    ///             job.run();
    ///         }
    ///         None
    ///     }
    /// }
    /// // An executor that only queues.
    /// struct Deferred(Queue);
    /// impl Executor for Deferred {
    ///     fn max_workers(&self) -> usize { 1 }
    ///     fn shutdown(&self, _: Shutdown) {}
    /// }
    /// impl JobExecutor for Deferred {
    ///     fn execute(&self, job: Job) { self.0.lock().unwrap().push(job) }
    /// }
    ///
    /// let queue = Queue::default();
    /// let _guard = install_wait_helper(Rc::new(Helper(Arc::clone(&queue))));
    /// let executor = Deferred(queue);
    /// let first = executor.spawn(|| 1);
    /// let second = executor.spawn(|| 2);
    /// assert_eq!(first.result(), Ok(1), "handed back and run inline");
    /// assert!(second.is_done(), "queued above `first`, so run before it was reached");
    /// assert_eq!(second.result(), Ok(2));
    ///     /// ```
    fn help_or_take(&self, awaited: usize, pending: &dyn Fn() -> bool) -> Option<Job> {
        let _ = awaited;
        self.help_while(pending);
        None
    }
}

/// Restores the previous helper of this thread when dropped.
#[must_use = "the helper is uninstalled when the guard is dropped"]
pub struct WaitHelperGuard {
    previous: Option<std::rc::Rc<dyn WaitHelper>>,
}

impl fmt::Debug for WaitHelperGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("WaitHelperGuard { .. }")
    }
}

#[cfg(not(cfut_loom))]
mod slot {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::WaitHelper;

    thread_local! {
        static HELPER: RefCell<Option<Rc<dyn WaitHelper>>> = const { RefCell::new(None) };
    }

    pub(super) fn replace(helper: Option<Rc<dyn WaitHelper>>) -> Option<Rc<dyn WaitHelper>> {
        HELPER.with(|slot| slot.replace(helper))
    }

    pub(super) fn current() -> Option<Rc<dyn WaitHelper>> {
        // The `Rc` is cloned out so that a helped call that waits again can re-enter.
        HELPER.with(|slot| slot.borrow().clone())
    }
}

// Loom runs its model threads on one OS thread, so the slot is loom's thread-local there
// (one per model thread; loom's `thread_local!` takes no `const` initializer). Core's own
// models never install helpers; the thread pool's models do, through its workers.
#[cfg(cfut_loom)]
mod slot {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::WaitHelper;

    loom::thread_local! {
        static HELPER: RefCell<Option<Rc<dyn WaitHelper>>> = RefCell::new(None);
    }

    pub(super) fn replace(helper: Option<Rc<dyn WaitHelper>>) -> Option<Rc<dyn WaitHelper>> {
        HELPER.with(|slot| slot.replace(helper))
    }

    pub(super) fn current() -> Option<Rc<dyn WaitHelper>> {
        HELPER.with(|slot| slot.borrow().clone())
    }
}

/// Installs `helper` for blocking waits on the current thread until the guard is dropped.
///
/// # Examples
///
/// See [`WaitHelper`].
pub fn install_wait_helper(helper: std::rc::Rc<dyn WaitHelper>) -> WaitHelperGuard {
    WaitHelperGuard {
        previous: slot::replace(Some(helper)),
    }
}

impl Drop for WaitHelperGuard {
    fn drop(&mut self) {
        slot::replace(self.previous.take());
    }
}

/// Lets this thread's helper, if any, run work while `pending()`, handing back the queued job
/// whose key is `awaited` (see [`WaitHelper::help_or_take`]).
pub(crate) fn help_or_take(awaited: usize, pending: &dyn Fn() -> bool) -> Option<Job> {
    slot::current().and_then(|helper| helper.help_or_take(awaited, pending))
}

/// Lets this thread's helper, if any, run work while `pending()`.
pub(crate) fn help_while(pending: &dyn Fn() -> bool) {
    if let Some(helper) = slot::current() {
        helper.help_while(pending);
    }
}
