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

// Loom runs its model threads on one OS thread, so a thread-local would leak between them;
// models never install helpers.
#[cfg(cfut_loom)]
mod slot {
    use std::rc::Rc;

    use super::WaitHelper;

    pub(super) fn replace(_: Option<Rc<dyn WaitHelper>>) -> Option<Rc<dyn WaitHelper>> {
        None
    }

    pub(super) fn current() -> Option<Rc<dyn WaitHelper>> {
        None
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

/// Lets this thread's helper, if any, run work while `pending()`.
pub(crate) fn help_while(pending: &dyn Fn() -> bool) {
    if let Some(helper) = slot::current() {
        helper.help_while(pending);
    }
}
