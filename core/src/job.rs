//! [`Job`], the unit of work an in-process executor runs.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use crate::loom::sync::TaskArc;
use crate::task::{self, Runnable};
use crate::{Error, Promise};

/// What to do with a job.
pub(crate) enum Action {
    Run,
    Cancel,
    Reject(Error),
    /// The job was dropped unrun.
    Abandon,
}

/// A call handed to a [`JobExecutor`], usually carrying the [`Promise`] of a future (a job
/// made by `submit` shares one allocation with its future).
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
    /// `None` once acted on (or being dropped). This is the task's only job-side handle, which
    /// `Runnable::act`'s contract requires: every constructor makes a fresh task, and `Job`
    /// is not `Clone`. One pointer pair, so queues of jobs stay as small as boxed calls.
    task: Option<TaskArc<dyn Runnable>>,
    /// Keeps `Job` `!Sync`, as the boxed call it used to be: a `&Job` offers nothing, and
    /// promising `Sync` would be API.
    _not_sync: PhantomData<Cell<()>>,
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
            task: Some(task::once(move |action| {
                if let Action::Run = action {
                    call();
                }
            })),
            _not_sync: PhantomData,
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
            task: Some(task::once(move |action| match action {
                Action::Run => promise.run(call),
                Action::Cancel => {
                    promise.cancel();
                }
                Action::Reject(error) => {
                    promise.set_error(error);
                }
                Action::Abandon => drop(promise),
            })),
            _not_sync: PhantomData,
        }
    }

    /// Like [`with_promise`](Self::with_promise), for a call and result that borrow data of
    /// lifetime `'a`: what scoped submissions (`ThreadPoolExecutor::scope`) build on.
    /// `finished` runs last, once the job has been acted on (run, cancelled, rejected) or
    /// dropped and the job side no longer holds the call, the promise or the result — the
    /// moment a scope may stop counting the job.
    ///
    /// # Safety
    ///
    /// The caller must not let `'a` end before `finished` has been called: the job erases
    /// `'a` from its type, so nothing else keeps the borrowed data alive while the job holds
    /// the call. (A result left in the future is the future's, whose type still carries `'a`.)
    /// A job that is leaked never calls `finished`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// let words = vec!["scoped", "call"];
    /// let finished = AtomicBool::new(false);
    /// let (producer, future) = cfut_core::promise::<usize>();
    /// // SAFETY: the job runs right here, while `words` and `finished` are alive.
    /// let job = unsafe {
    ///     cfut_core::Job::with_promise_unchecked(producer, || words.len(), || {
    ///         finished.store(true, Ordering::Release)
    ///     })
    /// };
    /// job.run();
    /// assert!(finished.load(Ordering::Acquire));
    /// assert_eq!(future.result(), Ok(2));
    /// ```
    pub unsafe fn with_promise_unchecked<'a, T, F, D>(
        promise: Promise<T>,
        call: F,
        finished: D,
    ) -> Self
    where
        T: Send + 'a,
        F: FnOnce() -> T + Send + 'a,
        D: FnOnce() + Send + 'a,
    {
        let task: TaskArc<dyn Runnable + 'a> = task::once(move |action| {
            match action {
                Action::Run => promise.run(call),
                Action::Cancel => {
                    promise.cancel();
                }
                Action::Reject(error) => {
                    promise.set_error(error);
                }
                Action::Abandon => drop((promise, call)),
            }
            finished();
        });
        // SAFETY: the two types differ only in the trait object's lifetime bound, so they
        // have the same layout; the caller guarantees the task is acted on or dropped before
        // `'a` ends, which is all that bound promised.
        let task = unsafe {
            std::mem::transmute::<TaskArc<dyn Runnable + 'a>, TaskArc<dyn Runnable>>(task)
        };
        Job::from_task(task)
    }

    /// The job side of a fresh task (`task::spawn`), which holds no other job-side handle.
    pub(crate) fn from_task(task: TaskArc<dyn Runnable>) -> Self {
        Job {
            task: Some(task),
            _not_sync: PhantomData,
        }
    }

    /// A number that identifies this job's call while the job (or, for a job made by
    /// `Spawn::spawn`, its future) is alive: the address of the call's allocation. A
    /// [`WaitHelper`] is handed the key of the awaited call and compares it with the keys
    /// of the jobs it meets. Keys of calls that no longer exist may be reused.
    ///
    /// # Examples
    ///
    /// ```
    /// let first = cfut_core::Job::new(|| ());
    /// let second = cfut_core::Job::new(|| ());
    /// assert_ne!(first.key(), second.key());
    /// assert_eq!(first.key(), first.key());
    /// ```
    ///
    /// [`WaitHelper`]: crate::WaitHelper
    pub fn key(&self) -> usize {
        self.task
            .as_deref()
            .map_or(0, |task| std::ptr::from_ref(task).cast::<()>() as usize)
    }

    /// Tells the job's future that the call waits for a worker thread to start: the executor
    /// queued it while starting a thread for it (or while one was starting) and no worker was
    /// idle to take it. A blocking wait on that future (`result()`, `wait()`) then sleeps at
    /// once instead of first spinning for about 50 µs: a spinning caller can hold the very
    /// CPU on which the operating system queued the new thread, which then starts only once
    /// the spin is over. Nothing else changes: running, cancelling, rejecting or dropping the
    /// job, and every outcome, are the same with or without the hint. It stays set.
    ///
    /// Public for every in-process executor, not only this workspace's: any pool that starts
    /// its threads on demand (as Python's does) meets the same case, and only the executor
    /// knows when a call waits for a thread start. Call it before handing the job to a
    /// thread; after start-up, when no call waits for a thread, never call it, so that short
    /// calls keep the spin that spares their callers a sleep and wake-up.
    ///
    /// Only jobs made by [`Spawn::spawn`] (every `submit`) carry the hint; on a job made by
    /// [`new`](Self::new) (no future) or [`with_promise`](Self::with_promise) (the
    /// promise's future is out of the job's reach) it does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use cfut_core::{Executor, Job, JobExecutor, Shutdown, Spawn};
    ///
    /// // A pool that has not started its thread yet: the first call waits for that start.
    /// struct Lazy(Mutex<Vec<Job>>);
    /// impl Executor for Lazy {
    ///     fn max_workers(&self) -> usize { 1 }
    ///     fn shutdown(&self, _: Shutdown) {}
    /// }
    /// impl JobExecutor for Lazy {
    ///     fn execute(&self, job: Job) {
    ///         job.hint_thread_start();
    ///         self.0.lock().unwrap().push(job);
    ///     }
    /// }
    ///
    /// let pool = Lazy(Mutex::new(Vec::new()));
    /// let future = pool.spawn(|| 6 * 7);
    /// let job = pool.0.lock().unwrap().pop().unwrap();
    /// assert!(job.thread_start_hinted());
    /// std::thread::spawn(move || job.run()); // the thread that starts
    /// assert_eq!(future.result(), Ok(42), "the same outcome; the wait slept at once");
    ///
    /// let plain = Job::new(|| ());
    /// plain.hint_thread_start();
    /// assert!(!plain.thread_start_hinted(), "no future to tell");
    /// ```
    ///
    /// [`Spawn::spawn`]: crate::Spawn::spawn
    pub fn hint_thread_start(&self) {
        if let Some(task) = &self.task {
            task.hint_thread_start();
        }
    }

    /// `true` if [`hint_thread_start`](Self::hint_thread_start) marked this job's future: what
    /// an executor's tests check.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use cfut_core::{Executor, Job, JobExecutor, Shutdown, Spawn};
    ///
    /// struct Queue(Mutex<Vec<Job>>);
    /// impl Executor for Queue {
    ///     fn max_workers(&self) -> usize { 1 }
    ///     fn shutdown(&self, _: Shutdown) {}
    /// }
    /// impl JobExecutor for Queue {
    ///     fn execute(&self, job: Job) { self.0.lock().unwrap().push(job) }
    /// }
    ///
    /// let queue = Queue(Mutex::new(Vec::new()));
    /// let future = queue.spawn(|| 1);
    /// let job = queue.0.lock().unwrap().pop().unwrap();
    /// assert!(!job.thread_start_hinted());
    /// job.hint_thread_start();
    /// assert!(job.thread_start_hinted());
    /// job.run();
    /// assert_eq!(future.result(), Ok(1));
    /// ```
    pub fn thread_start_hinted(&self) -> bool {
        self.task
            .as_deref()
            .is_some_and(|task| task.thread_start_hinted())
    }

    /// Drops a job whose call its future already took out and ran (`Future::result`'s
    /// inline path): there is nothing left to act on, so no `Abandon` is dispatched.
    pub(crate) fn discard_spent(mut self) {
        drop(self.task.take());
    }

    fn act(mut self, action: Action) {
        let task = self
            .task
            .take()
            .expect("a job is acted on once: `act` consumes it");
        // SAFETY: `task` is the task's only job-side handle (see the field), moved out of
        // `self` here, so this is the task's one and only `act`.
        unsafe { task.act(action) };
    }

    /// Runs the call on this thread. Never unwinds from a job made by
    /// [`with_promise`](Self::with_promise); a [`new`](Self::new) job's panic propagates.
    ///
    /// # Examples
    ///
    /// See [`Job`].
    pub fn run(self) {
        self.act(Action::Run);
    }

    /// Cancels the call: its future becomes cancelled without the call running.
    ///
    /// # Examples
    ///
    /// See [`with_promise`](Self::with_promise).
    pub fn cancel(self) {
        self.act(Action::Cancel);
    }

    /// Fails the call with `error` without running it.
    ///
    /// # Examples
    ///
    /// See [`Job`].
    pub fn reject(self, error: Error) {
        self.act(Action::Reject(error));
    }
}

impl Drop for Job {
    /// A job dropped unrun completes its future with [`Error::Abandoned`] and drops its call.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // SAFETY: as in `act`: this job held the task's only job-side handle and moved it
            // out, so this is the task's one `act`.
            unsafe { task.act(Action::Abandon) };
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Job { .. }")
    }
}
