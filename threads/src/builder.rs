//! [`ThreadPoolBuilder`]: Python's `ThreadPoolExecutor(...)` arguments as a builder.

use std::fmt;

use crate::error::{BuildError, Kind};
use crate::loom::thread;
use crate::registry::{Config, Initializer, Registry};
use crate::{ThreadPoolExecutor, loom::sync::Arc};

/// Configures and builds a [`ThreadPoolExecutor`]. Every option has Python's default.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use cfut_threads::ThreadPoolExecutor;
///
/// thread_local!(static READY: Cell<bool> = const { Cell::new(false) });
///
/// let pool = ThreadPoolExecutor::builder()
///     .max_workers(2)
///     .thread_name_prefix("resizer")
///     .initializer(|| READY.with(|ready| ready.set(true)))
///     .build()?;
/// let future = pool.spawn(|| (std::thread::current().name().map(str::to_owned), READY.with(Cell::get)));
/// assert_eq!(future.result(), Ok((Some("resizer-0".to_owned()), true)));
/// # Ok::<(), cfut_threads::BuildError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
#[derive(Default)]
pub struct ThreadPoolBuilder {
    max_workers: Option<usize>,
    thread_name_prefix: Option<String>,
    initializer: Option<Initializer>,
    stack_size: Option<usize>,
}

impl ThreadPoolBuilder {
    /// A builder with every option at its default.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolBuilder::new().build()?;
    /// assert!(pool.max_workers() >= 5);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The most threads the pool will run. Default: `min(32, cpus + 4)`, Python's, with
    /// `cpus` = [`std::thread::available_parallelism`]. Threads start lazily, one per submit
    /// while no worker is idle. Zero is rejected by [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::builder().max_workers(3).build()?;
    /// assert_eq!(pool.max_workers(), 3);
    /// assert!(cfut_threads::ThreadPoolExecutor::builder().max_workers(0).build().is_err());
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn max_workers(mut self, max_workers: usize) -> Self {
        self.max_workers = Some(max_workers);
        self
    }

    /// Threads are named `<prefix>-<n>`, `n` counting from 0 in start order. Default prefix:
    /// `ThreadPoolExecutor-<k>`, `k` counting the pools of the process. A prefix containing a
    /// NUL byte is rejected by [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::builder().thread_name_prefix("io").build()?;
    /// let name = pool.spawn(|| std::thread::current().name().unwrap().to_owned());
    /// assert_eq!(name.result().as_deref(), Ok("io-0"));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// Runs `initializer` at the start of each worker thread, before it takes any call.
    /// Default: none. For an initializer that takes an argument (Python's `initargs`), see
    /// [`initializer_with`](Self::initializer_with). If it panics, the pool is *broken*: every queued call and every later
    /// submission fails with [`Error::Broken`] (Python's `BrokenThreadPool`).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    ///
    /// let pool = cfut_threads::ThreadPoolExecutor::builder()
    ///     .initializer(|| panic!("no database"))
    ///     .build()?;
    /// assert!(matches!(pool.spawn(|| 1).result(), Err(Error::Broken { .. })));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    ///
    /// [`Error::Broken`]: cfut_core::Error::Broken
    pub fn initializer<F>(mut self, initializer: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.initializer = Some(Box::new(initializer));
        self
    }

    /// Like [`initializer`](Self::initializer), with an argument (Python's `initargs`):
    /// each worker thread runs `initializer(arg.clone())` before it takes any call. Default:
    /// none.
    ///
    /// Each worker gets its own clone, as each worker process of a process pool gets its own
    /// copy (see `cfut_processes::Builder::initializer_with`), so one initializer reads the
    /// same on both pools; to share one value instead, pass an `Arc`. If it panics, the pool
    /// is *broken* as with [`initializer`](Self::initializer). Setting one replaces the
    /// other.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use cfut_threads::ThreadPoolExecutor;
    ///
    /// thread_local!(static DATABASE: RefCell<String> = const { RefCell::new(String::new()) });
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .max_workers(2)
    ///     .initializer_with(|url: String| DATABASE.with(|db| *db.borrow_mut() = url), "sqlite://jobs".to_owned())
    ///     .build()?;
    /// let url = pool.spawn(|| DATABASE.with(|db| db.borrow().clone()));
    /// assert_eq!(url.result().as_deref(), Ok("sqlite://jobs"));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn initializer_with<A, F>(self, initializer: F, arg: A) -> Self
    where
        F: Fn(A) + Send + Sync + 'static,
        A: Clone + Send + Sync + 'static,
    {
        self.initializer(move || initializer(arg.clone()))
    }

    /// The stack size of each worker thread, in bytes. Default: Rust's default for spawned
    /// threads (2 MiB, or `RUST_MIN_STACK`). Zero is rejected by [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::builder().stack_size(8 << 20).build()?;
    /// assert_eq!(pool.spawn(|| [0_u8; 4 << 20].len()).result(), Ok(4 << 20));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Builds the pool. No thread starts until the first submission.
    ///
    /// # Errors
    ///
    /// [`BuildError`] if `max_workers` or `stack_size` is zero or the prefix contains a NUL
    /// byte.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::builder().max_workers(2).build()?;
    /// assert_eq!(pool.threads_started(), 0);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn build(self) -> Result<ThreadPoolExecutor, BuildError> {
        let max_workers = self
            .max_workers
            .unwrap_or_else(|| (thread::available_parallelism() + 4).min(32));
        if max_workers == 0 {
            return Err(BuildError::new(Kind::ZeroWorkers));
        }
        if self.stack_size == Some(0) {
            return Err(BuildError::new(Kind::ZeroStackSize));
        }
        let thread_name_prefix = match self.thread_name_prefix {
            Some(prefix) if prefix.contains('\0') => {
                return Err(BuildError::new(Kind::NulInPrefix));
            }
            Some(prefix) => prefix,
            None => format!("ThreadPoolExecutor-{}", next_pool_number()),
        };
        Ok(ThreadPoolExecutor::from_registry(Arc::new(Registry::new(
            Config {
                max_workers,
                thread_name_prefix,
                stack_size: self.stack_size,
                initializer: self.initializer,
            },
        ))))
    }
}

/// The `k` of the default prefix `ThreadPoolExecutor-<k>`.
fn next_pool_number() -> usize {
    // A process-wide name counter, not synchronization; loom atomics cannot live in statics,
    // hence `core`'s atomic here and not the facade's.
    static POOLS: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
    // ORDERING: only uniqueness matters, which every ordering gives.
    POOLS.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.thread_name_prefix)
            .field(
                "initializer",
                &self.initializer.as_ref().map(|_| "<closure>"),
            )
            .field("stack_size", &self.stack_size)
            .finish()
    }
}
