//! The executor traits: [`Executor`] (what every backend is), [`JobExecutor`] (the
//! in-process level), [`Spawn`] (a closure's `submit`, built once on it) and [`Shutdown`].

use crate::{Future, Job};

/// What every executor is, whatever it runs calls on: it has a size and can be shut down.
///
/// The two levels build on it: [`JobExecutor`] (in-process: runs boxed closures) and
/// [`CallExecutor`] (portable: runs `fn(A) -> T` calls with serde values). Object-safe.
///
/// # Examples
///
/// ```
/// use cfut_core::{Executor, InlineExecutor, Shutdown};
///
/// let executor: &dyn Executor = &InlineExecutor::new();
/// assert_eq!(executor.max_workers(), 1);
/// executor.shutdown(Shutdown::new());
/// ```
///
/// [`CallExecutor`]: crate::CallExecutor
pub trait Executor: Send + Sync {
    /// How many calls can run at once. `map` sizes its default window from it.
    fn max_workers(&self) -> usize;

    /// Stops accepting calls; see [`Shutdown`] for the options. Calling it again is harmless.
    /// Afterwards every submission gives a future failed with [`Error::Shutdown`].
    ///
    /// [`Error::Shutdown`]: crate::Error::Shutdown
    fn shutdown(&self, how: Shutdown);
}

/// The in-process level: an executor that runs boxed jobs. Object-safe, so `&dyn JobExecutor`
/// works; [`Spawn::spawn`] is built on it once for every backend.
///
/// # Examples
///
/// A complete backend that runs each call on a new thread:
///
/// ```
/// use cfut_core::{Executor, Job, JobExecutor, Shutdown, Spawn};
///
/// struct ThreadPerCall;
/// impl Executor for ThreadPerCall {
///     fn max_workers(&self) -> usize { usize::MAX }
///     fn shutdown(&self, _how: Shutdown) {}
/// }
/// impl JobExecutor for ThreadPerCall {
///     fn execute(&self, job: Job) {
///         std::thread::spawn(move || job.run());
///     }
/// }
///
/// assert_eq!(ThreadPerCall.spawn(|| 1 + 1).result(), Ok(2));
/// ```
pub trait JobExecutor: Executor {
    /// Takes responsibility for `job`: run it, or cancel or reject it (see [`Job`]). Must not
    /// block for long and must not run the job inline unless the executor is documented to.
    fn execute(&self, job: Job);

    /// Takes responsibility for every job of `jobs`, in order, as [`execute`](Self::execute)
    /// does for one: what a `map` calls to hand many calls over at once. The default executes
    /// them one by one; an executor overrides it where one admission, one queue operation or
    /// one wake-up can serve many jobs (the thread pool admits a batch once and wakes its
    /// workers once). Jobs taken one at a time by the executor's workers still start in the
    /// order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, InlineExecutor, Job, JobExecutor};
    ///
    /// let (first, one) = promise();
    /// let (second, two) = promise();
    /// let mut jobs = [Job::with_promise(first, || 1), Job::with_promise(second, || 2)].into_iter();
    /// InlineExecutor::new().execute_all(&mut jobs);
    /// assert_eq!((one.result(), two.result()), (Ok(1), Ok(2)));
    /// ```
    fn execute_all(&self, jobs: &mut dyn Iterator<Item = Job>) {
        for job in jobs {
            self.execute(job);
        }
    }
}

/// `spawn(closure)`: the closure form of Python's `submit`, for every [`JobExecutor`]
/// (including `&dyn JobExecutor`). The closure may capture anything `Send`; it runs in this
/// process. [`Submit::submit`](crate::Submit::submit) is Python's `submit(fn, arg)`, on every
/// executor; a Rust method has one arity, so the closure form has its own name, as in
/// `std::thread::spawn`, `rayon::spawn` and `tokio::spawn`.
///
/// # Examples
///
/// ```
/// use cfut_core::{InlineExecutor, JobExecutor, Spawn};
///
/// let executor: &dyn JobExecutor = &InlineExecutor::new();
/// let name = String::from("cfut");
/// let future = executor.spawn(move || name.len());
/// assert_eq!(future.result(), Ok(4));
/// ```
pub trait Spawn: JobExecutor {
    /// Schedules `call` and returns the future of its result. A panic in `call` fails only
    /// this future, with [`Error::Panicked`]; after shutdown the future fails with
    /// [`Error::Shutdown`].
    ///
    /// [`Error::Panicked`]: crate::Error::Panicked
    /// [`Error::Shutdown`]: crate::Error::Shutdown
    fn spawn<F, T>(&self, call: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // One allocation for the future and the call (`task.rs`), where
        // `Job::with_promise(promise(), call)` would make two.
        let (job, future) = crate::task::spawn(call);
        self.execute(job);
        future
    }

    /// Schedules every call of `calls` as [`spawn`](Self::spawn) does, handed to the executor
    /// 64 at a time
    /// ([`JobExecutor::execute_all`]), and gives each call's future to `each`, in order, once
    /// its batch is scheduled. Each call is still its own job, with its own future.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{InlineExecutor, Spawn};
    ///
    /// let mut futures = Vec::new();
    /// InlineExecutor::new().spawn_all((1..=3).map(|n| move || n * 10), |f| futures.push(f));
    /// let values: Vec<_> = futures.into_iter().map(|f| f.result().unwrap()).collect();
    /// assert_eq!(values, [10, 20, 30]);
    /// ```
    fn spawn_all<I, F, T>(&self, calls: I, mut each: impl FnMut(Future<T>))
    where
        I: IntoIterator<Item = F>,
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        use crate::tuning::SPAWN_ALL_BATCH;
        let mut calls = calls.into_iter();
        loop {
            // On the stack: glibc serves a request of a kilobyte or more only after merging
            // every small free chunk (`malloc_consolidate`), and a map's calls free one per
            // call. crossbeam's injector already makes such a request per 63 calls (its
            // blocks; `malloc_consolidate` and `unlink_chunk` are 4–5 % of the samples of
            // `perf record` of `map_100k`); heap buffers here would add two per batch.
            let mut jobs: [Option<Job>; SPAWN_ALL_BATCH] = [const { None }; SPAWN_ALL_BATCH];
            let mut futures: [Option<Future<T>>; SPAWN_ALL_BATCH] =
                [const { None }; SPAWN_ALL_BATCH];
            let mut count = 0;
            // The slots first: `zip` takes from its first iterator first, and a call taken
            // with no slot left would be lost.
            for ((job, future), call) in jobs.iter_mut().zip(&mut futures).zip(calls.by_ref()) {
                let (new_job, new_future) = crate::task::spawn(call);
                *job = Some(new_job);
                *future = Some(new_future);
                count += 1;
            }
            if count == 0 {
                return;
            }
            self.execute_all(&mut jobs[..count].iter_mut().filter_map(Option::take));
            futures[..count]
                .iter_mut()
                .filter_map(Option::take)
                .for_each(&mut each);
            if count < SPAWN_ALL_BATCH {
                return;
            }
        }
    }
}

impl<E: JobExecutor + ?Sized> Spawn for E {}

/// How to shut an executor down: Python's `shutdown(wait=True, cancel_futures=False)` as a
/// value, so the call site says what it means.
///
/// # Examples
///
/// ```
/// use cfut_core::Shutdown;
///
/// let python_default = Shutdown::new();
/// assert!(python_default.waits() && !python_default.cancels_pending());
/// let abort = Shutdown::new().cancel_pending(true).wait(false);
/// assert!(!abort.waits() && abort.cancels_pending());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shutdown {
    wait: bool,
    cancel_pending: bool,
}

impl Shutdown {
    /// Python's default: wait for every submitted call (running and queued) to finish.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cfut_core::Shutdown::new(), cfut_core::Shutdown::default());
    /// ```
    pub const fn new() -> Self {
        Shutdown {
            wait: true,
            cancel_pending: false,
        }
    }

    /// Whether `shutdown` blocks until the running (and not cancelled) calls finished and the
    /// workers are gone. Default `true`. Without waiting, the calls still run in the
    /// background.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!cfut_core::Shutdown::new().wait(false).waits());
    /// ```
    pub const fn wait(self, wait: bool) -> Self {
        Shutdown { wait, ..self }
    }

    /// Whether calls not yet started are cancelled (their futures become cancelled, which
    /// `wait` and `as_completed` see as done). Default `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_core::Shutdown::new().cancel_pending(true).cancels_pending());
    /// ```
    pub const fn cancel_pending(self, cancel: bool) -> Self {
        Shutdown {
            cancel_pending: cancel,
            ..self
        }
    }

    /// See [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_core::Shutdown::new().waits());
    /// ```
    pub const fn waits(self) -> bool {
        self.wait
    }

    /// See [`cancel_pending`](Self::cancel_pending).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!cfut_core::Shutdown::new().cancels_pending());
    /// ```
    pub const fn cancels_pending(self) -> bool {
        self.cancel_pending
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}
