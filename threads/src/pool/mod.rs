//! [`ThreadPoolExecutor`], the handle users hold.

use std::fmt;

use cfut_core::{Executor, Future, Job, JobExecutor, Shutdown, Spawn};

use crate::loom::sync::Arc;
use crate::registry::Registry;
use crate::{BuildError, ThreadPoolBuilder, worker};

#[cfg(all(test, cfut_loom))]
mod tests;

/// Python's `concurrent.futures.ThreadPoolExecutor`, on a work-stealing scheduler.
///
/// [`submit`](Self::submit) a closure, get a [`Future`] of its result. Up to
/// [`max_workers`](Self::max_workers) threads run the calls; they start lazily (one per
/// submission while no worker is idle) and sleep when there is nothing to do.
///
/// The handle is not `Clone`: like Python's executor object it is the one owner of the pool.
/// Share it by reference (it is `Sync`) or in an `Arc`. Dropping it is leaving Python's `with`
/// block: no new calls are accepted, then the drop waits until every submitted call has
/// finished and the threads have exited — except when the handle is dropped on one of the
/// pool's own threads (inside a call), where waiting would wait for itself: then the drop
/// only shuts the pool down, and the threads finish the queued calls and exit by themselves.
///
/// It implements the core traits [`Executor`], [`JobExecutor`] and so [`Spawn`] and
/// `CallExecutor`: everything in `cfut-combinators` works on it.
///
/// # Examples
///
/// ```
/// use cfut_threads::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(4)?;
/// let futures: Vec<_> = (1..=10_u64).map(|n| pool.spawn(move || n * n)).collect();
/// let total: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
/// assert_eq!(total, 385);
/// # Ok::<(), cfut_threads::BuildError>(())
/// ```
///
/// Waiting inside the pool does not deadlock it: a task that submits a child and waits for it
/// runs the child itself if no other thread took it (CPython deadlocks here). A call can
/// capture the pool (in an `Arc`, as here) or reach the pool it runs on without a handle,
/// through [`with_current`](Self::with_current).
///
/// ```
/// use std::sync::Arc;
/// use cfut_threads::ThreadPoolExecutor;
///
/// let pool = Arc::new(ThreadPoolExecutor::new(1)?);
/// let inner = Arc::clone(&pool);
/// let parent = pool.spawn(move || inner.spawn(|| 20).result().unwrap() + 1);
/// assert_eq!(parent.result(), Ok(21));
/// # Ok::<(), cfut_threads::BuildError>(())
/// ```
// `repr(transparent)`: a worker lends its `Arc<Registry>` as a `&ThreadPoolExecutor`
// (`from_registry_ref`).
#[repr(transparent)]
pub struct ThreadPoolExecutor {
    registry: Arc<Registry>,
}

impl ThreadPoolExecutor {
    pub(crate) fn from_registry(registry: Arc<Registry>) -> Self {
        ThreadPoolExecutor { registry }
    }

    /// The pool that `registry` belongs to, borrowed: a view that cannot be dropped, so it
    /// never shuts the pool down.
    pub(crate) fn from_registry_ref(registry: &Arc<Registry>) -> &Self {
        // SAFETY: `ThreadPoolExecutor` is `repr(transparent)` over its one field, an
        // `Arc<Registry>`, so both types have the same layout and the pointer cast is valid;
        // the returned reference has `registry`'s lifetime and is shared, so the view is
        // never dropped (no `Drop::drop` shutting the pool down) nor moved out.
        unsafe { &*std::ptr::from_ref(registry).cast::<Self>() }
    }

    /// Runs `f` with the pool whose worker thread this is, and returns its result; `None`
    /// (without calling `f`) on any other thread. How a call reaches its own pool without
    /// capturing a handle — no `Arc` cloned per call, one thread-local load — as `rayon::join`
    /// and `rayon::spawn` use the current thread's pool.
    ///
    /// `f` gets a borrow: the pool's owner still decides when it ends. On its own thread, a
    /// call may also [`shutdown`](Self::shutdown) the pool through it, which then does not
    /// wait for that thread.
    ///
    /// # Examples
    ///
    /// A recursion that runs its first half as a separate call of the same pool and the second
    /// itself: `result()` on the pool's thread runs the child inline if no other thread took
    /// it (a fork-join).
    ///
    /// ```
    /// use cfut_threads::ThreadPoolExecutor;
    ///
    /// fn fib(n: u32) -> u64 {
    ///     if n < 2 {
    ///         return n.into();
    ///     }
    ///     let first = ThreadPoolExecutor::with_current(|pool| pool.spawn(move || fib(n - 1)))
    ///         .expect("fib runs on a pool thread");
    ///     let second = fib(n - 2);
    ///     first.result().unwrap() + second
    /// }
    ///
    /// let pool = ThreadPoolExecutor::new(2)?;
    /// assert_eq!(pool.spawn(|| fib(20)).result(), Ok(6765));
    /// let sizes = pool.spawn(|| ThreadPoolExecutor::with_current(|own| own.max_workers()));
    /// assert_eq!(sizes.result(), Ok(Some(2)));
    /// assert_eq!(ThreadPoolExecutor::with_current(|_| ()), None, "not a pool thread");
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn with_current<R>(f: impl FnOnce(&ThreadPoolExecutor) -> R) -> Option<R> {
        worker::with_current_registry(|registry| f(Self::from_registry_ref(registry)))
    }

    /// A pool of at most `max_workers` threads, with the other options at their defaults.
    ///
    /// # Errors
    ///
    /// [`BuildError`] if `max_workers` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// assert_eq!(pool.spawn(|| 2_u32.pow(8)).result(), Ok(256));
    /// assert!(cfut_threads::ThreadPoolExecutor::new(0).is_err());
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn new(max_workers: usize) -> Result<Self, BuildError> {
        ThreadPoolBuilder::new().max_workers(max_workers).build()
    }

    /// A builder for the other options: thread names, initializer, stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::builder().max_workers(1).build()?;
    /// assert_eq!(pool.max_workers(), 1);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    /// Python's `submit(fn, arg)`: schedules `call(arg)` and returns the future of its result.
    /// `call` is any `FnOnce(A) -> T + Send` — a function or a closure that captures what it
    /// likes — and runs in this process; nothing is serialized. The same as
    /// [`Submit::submit`](cfut_core::Submit::submit), which every executor has (the process pool's takes plain
    /// functions over serde values). [`spawn`](Self::spawn) is the closure form without an
    /// argument.
    ///
    /// # Examples
    ///
    /// ```
    /// fn foo(n: u64) -> u64 { n * 10 }
    ///
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// assert_eq!(pool.submit(foo, 5).result(), Ok(50));
    /// assert_eq!(pool.spawn(|| foo(4)).result(), Ok(40));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn submit<F, A, T>(&self, call: F, arg: A) -> Future<T>
    where
        F: FnOnce(A) -> T + Send + 'static,
        A: Send + 'static,
        T: Send + 'static,
    {
        Spawn::spawn(self, move || call(arg))
    }

    /// Schedules the closure `call` and returns the future of its result: the closure form of
    /// Python's `submit` (a Rust method has one arity; `std::thread::spawn`, `rayon::spawn`
    /// and `tokio::spawn` use the same name).
    ///
    /// From outside the pool the call goes to the shared queue, and calls from outside start
    /// in the order they were submitted (Python's FIFO: each free thread takes the oldest);
    /// from one of the pool's own threads, to that thread's deque, newest first (where a
    /// waiting parent can run it; idle threads steal the oldest). A panic in `call`
    /// fails only this future, with [`Error::Panicked`]; after [`shutdown`](Self::shutdown)
    /// the future fails with [`Error::Shutdown`]; on a broken pool with [`Error::Broken`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Error, Shutdown};
    ///
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// let failing = pool.spawn(|| -> u8 { panic!("bad input") });
    /// assert!(matches!(failing.result(), Err(Error::Panicked { message, .. }) if message == "bad input"));
    /// assert_eq!(pool.spawn(|| 1).result(), Ok(1), "the pool lives on");
    /// pool.shutdown(Shutdown::new());
    /// assert_eq!(pool.spawn(|| 1).result(), Err(Error::Shutdown));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    ///
    /// The call runs on another thread, so it must be `Send`:
    ///
    /// ```compile_fail,E0277
    /// let pool = cfut_threads::ThreadPoolExecutor::new(1).unwrap();
    /// let shared = std::rc::Rc::new(5);
    /// pool.spawn(move || *shared + 1);
    /// ```
    ///
    /// [`Error::Panicked`]: cfut_core::Error::Panicked
    /// [`Error::Shutdown`]: cfut_core::Error::Shutdown
    /// [`Error::Broken`]: cfut_core::Error::Broken
    pub fn spawn<F, T>(&self, call: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Spawn::spawn(self, call)
    }

    /// Python's `shutdown(wait, cancel_futures)`: stop accepting calls; with
    /// [`Shutdown::cancel_pending`], cancel every call not yet started (those futures are done
    /// and cancelled); with [`Shutdown::wait`] (the default), block until the other calls have
    /// finished and the threads have exited (joined). Calling it again is harmless.
    ///
    /// Called on one of the pool's own threads, it does not wait for that thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Shutdown;
    ///
    /// let pool = cfut_threads::ThreadPoolExecutor::new(1)?;
    /// let (release, gate) = std::sync::mpsc::channel::<()>();
    /// let running = pool.spawn(move || gate.recv().is_ok());
    /// let queued = pool.spawn(|| 2);
    /// while !running.is_running() { std::thread::yield_now(); }
    /// pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    /// assert!(queued.is_cancelled());
    /// release.send(()).unwrap();
    /// assert_eq!(running.result(), Ok(true));
    /// pool.shutdown(Shutdown::new()); // twice is harmless; this one joins the thread
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) {
        self.registry.shutdown(how);
    }

    /// The most threads this pool runs.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cfut_threads::ThreadPoolExecutor::new(3)?.max_workers(), 3);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn max_workers(&self) -> usize {
        self.registry.config.max_workers
    }

    /// How many threads the pool has started so far (they live until shutdown). Threads
    /// start lazily: sequential submit-then-wait calls use one thread; `n` calls that block
    /// start `min(n, max_workers)` threads (CPython's `test_idle_thread_reuse` and
    /// `test_saturation`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::new(4)?;
    /// assert_eq!(pool.threads_started(), 0);
    /// pool.spawn(|| ()).result().unwrap();
    /// assert_eq!(pool.threads_started(), 1);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn threads_started(&self) -> usize {
        self.registry.threads_started()
    }

    /// How many started threads are idle right now (looking for work or asleep): a snapshot,
    /// for tests and monitoring.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// assert_eq!(pool.idle_workers(), 0);
    /// pool.spawn(|| ()).result().unwrap();
    /// while pool.idle_workers() == 0 { std::thread::yield_now(); }
    /// assert_eq!(pool.idle_workers(), 1);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn idle_workers(&self) -> usize {
        self.registry.sleep.idle_workers()
    }
}

impl Executor for ThreadPoolExecutor {
    fn max_workers(&self) -> usize {
        ThreadPoolExecutor::max_workers(self)
    }

    fn shutdown(&self, how: Shutdown) {
        ThreadPoolExecutor::shutdown(self, how);
    }
}

impl JobExecutor for ThreadPoolExecutor {
    fn execute(&self, job: Job) {
        Registry::execute(&self.registry, job);
    }

    fn execute_all(&self, jobs: &mut dyn Iterator<Item = Job>) {
        Registry::execute_all(&self.registry, jobs);
    }
}

impl Drop for ThreadPoolExecutor {
    /// Leaving Python's `with` block: shut down, then wait for every submitted call — unless
    /// this is one of the pool's own threads, which cannot wait for itself.
    fn drop(&mut self) {
        let on_own_thread = worker::current_index(&self.registry).is_some();
        self.registry.shutdown(Shutdown::new().wait(!on_own_thread));
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolExecutor")
            .field("max_workers", &self.max_workers())
            .field("threads_started", &self.threads_started())
            .field("idle_workers", &self.idle_workers())
            .finish_non_exhaustive()
    }
}
