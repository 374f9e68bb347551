//! The single-allocation job of [`Spawn::spawn`]: the future's state and the user's call in
//! one `Arc`.
//!
//! # Implementation description
//!
//! [`Job::with_promise`] costs two allocations per call: the future's `Arc<Inner<T>>` and the
//! boxed closure that captures the [`Promise`] and the call. The box is allocated by the
//! submitter and freed on a worker: a cross-thread free per call, which profiles of tiny calls
//! showed near the top (glibc's free paths and arena lock). `submit` instead allocates one
//! [`Task<T, F>`]: the completion state
//! machine ([`Inner<T>`]) and the call (`UnsafeCell<Option<F>>`) side by side. Two
//! type-erased views share that allocation:
//!
//! * the [`Job`] holds it as `Arc<dyn Runnable>` and is the only party that ever touches the
//!   call cell: it takes `F` out exactly once, to run it, or to drop it unrun when the job is
//!   cancelled, rejected or dropped (a dropped job completes the future with
//!   [`Error::Abandoned`], as a dropped promise does);
//! * the [`Future<T>`] holds it as `Arc<dyn Completion<T>>`, which names `T` but not `F`, and
//!   only ever reaches the `Inner<T>`.
//!
//! The job side does exactly what [`Promise::run`], [`Promise::cancel`] and
//! [`Promise::set_error`] do on the same `Inner<T>`, so the state machine and its proofs (see
//! `inner.rs`) are unchanged. The handle is the facade's `TaskArc`: std's `Arc`, paired under loom with
//! a loom reference count so that the models track every handle and report a leaked task.
//!
//! [`Spawn::spawn`]: crate::Spawn::spawn
//! [`Job::with_promise`]: crate::Job::with_promise
//! [`Promise`]: crate::Promise
//! [`Promise::run`]: crate::Promise::run
//! [`Promise::cancel`]: crate::Promise::cancel
//! [`Promise::set_error`]: crate::Promise::set_error

use crate::inner::Inner;
use crate::job::Action;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::{TaskArc, unsize};
use crate::{Error, Future, Job, unwind};

/// The future's view of a task: its completion state, whatever the call's type.
pub(crate) trait Completion<T>: Send + Sync {
    fn inner(&self) -> &Inner<T>;

    /// Takes the call out of the task and runs it here, returning its outcome without
    /// publishing it: the inline path of a wait that holds both halves (`Future::result`).
    /// The state machine is never touched, so it stays pending; the caller drops both halves
    /// afterwards (acting on the emptied job is a no-op).
    ///
    /// # Safety
    ///
    /// The caller must hold the task's unique [`Job`] (unacted) and the unique [`Future`] by
    /// value, and must have seen nothing but the thread-start hint in the state word
    /// (`Inner::is_untouched`: no registration, not cancelled): then no other party can
    /// reach the task, and the call cell is still full.
    unsafe fn run_inline(&self) -> Result<T, Error>;
}

/// The job's view of a task: the call, type-erased.
pub(crate) trait Runnable: Send + Sync {
    /// Takes the call out of the task and does `action` with it.
    ///
    /// # Safety
    ///
    /// No two calls may overlap: the caller must be the unique owner of the task's job side
    /// (the one [`Job`] made by [`spawn`]), which calls this at most once.
    unsafe fn act(&self, action: Action);

    /// Marks the future as waiting for a thread start (`Job::hint_thread_start`); a task
    /// without a future of its own ignores it.
    fn hint_thread_start(&self) {}

    /// `true` if the future was marked by [`hint_thread_start`](Self::hint_thread_start).
    fn thread_start_hinted(&self) -> bool {
        false
    }
}

/// The future's state and the call, in one allocation.
struct Task<T, F> {
    inner: Inner<T>,
    /// `Some` until the job acts; only the job touches it.
    call: UnsafeCell<Option<F>>,
}

// SAFETY: `Inner<T>` is `Sync` for `T: Send` (see its impl). The call cell is only accessed
// through `Runnable::act`, whose contract makes the unique job its only user, one call at a
// time; moving that job between threads moves `F`, so `F: Send` suffices (no `&F` is ever
// shared). Dropping the task drops the cell's contents on whichever thread drops the last
// `Arc`, after the `Arc`'s own synchronisation: again only a move of `F`. `Send` is derived.
unsafe impl<T: Send, F: Send> Sync for Task<T, F> {}

impl<T, F> Completion<T> for Task<T, F>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    fn inner(&self) -> &Inner<T> {
        &self.inner
    }

    unsafe fn run_inline(&self) -> Result<T, Error> {
        // SAFETY: by this method's contract the caller holds the unique job, unacted, so no
        // other access to the cell can overlap this one and the call is still in it.
        let call = self.call.with_mut(|cell| unsafe { (*cell).take() });
        let call = call.expect("an unacted job's task still holds its call");
        unwind::halt_unwinding(call).map_err(Error::from_panic)
    }
}

impl<T, F> Runnable for Task<T, F>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    unsafe fn act(&self, action: Action) {
        // SAFETY: by this method's contract the caller is the unique job, acting once, so no
        // other access to the cell overlaps this one; the future side never touches it.
        let call = self.call.with_mut(|cell| unsafe { (*cell).take() });
        let Some(call) = call else {
            return;
        };
        // Like `Promise`: the future is resolved first, then an unrun call is dropped, so a
        // panicking destructor in the call cannot leave the future pending.
        match action {
            Action::Run => {
                if self.inner.set_running() {
                    let outcome = unwind::halt_unwinding(call).map_err(Error::from_panic);
                    self.inner.resolve(outcome, false);
                } else {
                    // Cancelled by the user first: the call must not run.
                    drop(call);
                }
            }
            Action::Cancel => {
                self.inner.resolve(Err(Error::Cancelled), true);
                drop(call);
            }
            Action::Reject(error) => {
                self.inner.resolve(Err(error), false);
                drop(call);
            }
            Action::Abandon => {
                self.inner.resolve(Err(Error::Abandoned), false);
                drop(call);
            }
        }
    }

    fn hint_thread_start(&self) {
        self.inner.hint_thread_start();
    }

    fn thread_start_hinted(&self) -> bool {
        self.inner.thread_start_hinted()
    }
}

/// A call of [`Job::new`] or [`Job::with_promise`]: `call` gets the action, once.
///
/// [`Job::new`]: crate::Job::new
/// [`Job::with_promise`]: crate::Job::with_promise
struct Once<C>(UnsafeCell<Option<C>>);

// SAFETY: the cell is only accessed through `Runnable::act`, whose contract makes the unique
// job its only user, one call at a time; no `&C` is ever shared, so `C: Send` suffices (as
// for `Task`). `Send` is derived.
unsafe impl<C: Send> Sync for Once<C> {}

impl<C> Runnable for Once<C>
where
    C: FnOnce(Action) + Send,
{
    unsafe fn act(&self, action: Action) {
        // SAFETY: by this method's contract the caller is the unique job, acting once.
        if let Some(call) = self.0.with_mut(|cell| unsafe { (*cell).take() }) {
            call(action);
        }
    }
}

/// A job-side task around `call`, which must handle every [`Action`] (`Abandon`: the job was
/// dropped).
pub(crate) fn once<'a, C>(call: C) -> TaskArc<dyn Runnable + 'a>
where
    C: FnOnce(Action) + Send + 'a,
{
    let task = TaskArc::new(Once(UnsafeCell::new(Some(call))));
    unsize(task, |task| task as _)
}

/// A pending future and the job that runs `call` into it, in one allocation: what
/// [`Job::with_promise`] does with a fresh [`promise`], minus the second allocation.
///
/// [`Job::with_promise`]: crate::Job::with_promise
/// [`promise`]: crate::promise
pub(crate) fn spawn<T, F>(call: F) -> (Job, Future<T>)
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    // Built in place: `Arc::new(Task { .. })` built the task on the stack and copied it into
    // the allocation, which profiles of tiny calls showed as a store-forwarding stall (3.5–4 %
    // of all samples, pinned to one CPU).
    let mut task = TaskArc::<Task<T, F>>::new_uninit();
    // SAFETY: the `Arc` was just made, so it is unique and `get_mut` succeeds; every field
    // of the task is written before `assume_init`.
    let task = unsafe {
        let place = TaskArc::get_mut(&mut task)
            .expect("a new Arc is unique")
            .as_mut_ptr();
        Inner::init(&raw mut (*place).inner);
        (&raw mut (*place).call).write(UnsafeCell::new(Some(call)));
        task.assume_init()
    };
    let completion = unsize(TaskArc::clone(&task), |task| task as _);
    (
        Job::from_task(unsize(task, |task| task as _)),
        Future::from_task(completion),
    )
}
