//! [`Builder`], the options of a [`ProcessPoolExecutor`].

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use cfut_core::Portable;

use crate::initializer::Initializer;
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::loom::thread;
use crate::state::{Config, Shared, State};
use crate::{BuildError, ProcessPoolExecutor, image, wire, worker};

/// Options of a [`ProcessPoolExecutor`]: Python's `ProcessPoolExecutor(max_workers,
/// initializer=..., max_tasks_per_child=...)`, plus a per-call timeout.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_processes::ProcessPoolExecutor;
///
/// fn setup() {}
///
/// let pool = ProcessPoolExecutor::builder()
///     .max_workers(2)
///     .initializer(setup)
///     .max_tasks_per_child(100)
///     .call_timeout(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(pool.max_workers(), 2);
/// # Ok::<(), cfut_processes::BuildError>(())
/// ```
#[derive(Clone, Default)]
pub struct Builder {
    max_workers: Option<usize>,
    initializer: Option<Initializer>,
    max_tasks_per_child: Option<usize>,
    call_timeout: Option<Duration>,
    max_frame_size: Option<usize>,
}

impl Builder {
    /// A builder with Python's defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::Builder::new().build().unwrap();
    /// assert!(pool.max_workers() >= 1);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How many worker processes may run at once. Default: the number of CPUs this process
    /// may use (Python's `os.process_cpu_count()`). Must be at least 1. Workers start on
    /// demand, one when a call waits and no worker is idle.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::ProcessPoolExecutor::builder().max_workers(3).build().unwrap();
    /// assert_eq!(pool.max_workers(), 3);
    /// ```
    pub fn max_workers(mut self, workers: usize) -> Self {
        self.max_workers = Some(workers);
        self
    }

    /// A function each worker runs once, before its first call. If it panics (or the worker
    /// dies in it), the pool is *broken*: pending and later calls fail with
    /// [`Error::Broken`], and no replacement worker is started. Default: none.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    /// use cfut_processes::ProcessPoolExecutor;
    ///
    /// fn failing() { panic!("no database") }
    ///
    /// let pool = ProcessPoolExecutor::builder().max_workers(1).initializer(failing).build().unwrap();
    /// let outcome = pool.submit(|x: u8| x, 1).result();
    /// assert!(matches!(outcome, Err(Error::Broken { reason }) if reason.contains("no database")));
    /// ```
    ///
    /// [`Error::Broken`]: cfut_core::Error::Broken
    pub fn initializer(mut self, initializer: fn()) -> Self {
        self.initializer = Some(Initializer::plain(initializer));
        self
    }

    /// Like [`initializer`](Self::initializer), with an argument (Python's `initargs`):
    /// each worker runs `initializer(arg)` once, before its first call, on its own copy of
    /// `arg`. Default: none. Setting one replaces the other.
    ///
    /// `arg` is encoded once, here, and travels to each worker process in its set-up frame
    /// (a [`Portable`] value, as a call's argument is). As with
    /// [`initializer`](Self::initializer), a panic in it (say, on a bad value) breaks the
    /// pool: pending and later calls fail with [`Error::Broken`] naming the panic.
    ///
    /// # Errors
    ///
    /// [`build`](Self::build) fails if `arg` cannot be encoded (or is too large for a frame).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_processes::ProcessPoolExecutor;
    ///
    /// static SCALE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    ///
    /// fn set_scale(scale: u64) {
    ///     SCALE.set(scale).unwrap();
    /// }
    ///
    /// let pool = ProcessPoolExecutor::builder()
    ///     .max_workers(2)
    ///     .initializer_with(set_scale, 1000)
    ///     .build()?;
    /// let scaled = pool.submit(|x: u64| x * SCALE.get().unwrap(), 7);
    /// assert_eq!(scaled.result(), Ok(7000));
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    ///
    /// [`Portable`]: cfut_core::Portable
    /// [`Error::Broken`]: cfut_core::Error::Broken
    pub fn initializer_with<A: Portable>(mut self, initializer: fn(A), arg: A) -> Self {
        self.initializer = Some(Initializer::with_arg(initializer, &arg));
        self
    }

    /// How many calls a worker runs before it exits and a fresh one replaces it (a batch of
    /// `map` counts as one call). Default: unlimited. Must be at least 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::ProcessPoolExecutor::builder()
    ///     .max_workers(1)
    ///     .max_tasks_per_child(1)
    ///     .build()
    ///     .unwrap();
    /// let first = pool.submit(|_: ()| std::process::id(), ()).result().unwrap();
    /// let second = pool.submit(|_: ()| std::process::id(), ()).result().unwrap();
    /// assert_ne!(first, second, "each call ran in a fresh worker");
    /// ```
    pub fn max_tasks_per_child(mut self, tasks: usize) -> Self {
        self.max_tasks_per_child = Some(tasks);
        self
    }

    /// The longest a call may run in its worker. A call that runs longer fails with
    /// [`Error::TimedOut`]; its worker is killed and replaced, and the other calls go on.
    /// The clock starts when the worker starts the call, not at submission. Default: none.
    /// Must be longer than zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cfut_core::Error;
    ///
    /// let pool = cfut_processes::ProcessPoolExecutor::builder()
    ///     .max_workers(1)
    ///     .call_timeout(Duration::from_millis(200))
    ///     .build()
    ///     .unwrap();
    /// let stuck = pool.submit(|_: ()| std::thread::sleep(Duration::from_secs(60)), ());
    /// assert_eq!(stuck.result(), Err(Error::TimedOut));
    /// assert_eq!(pool.submit(|x: u32| x + 1, 1).result(), Ok(2), "a new worker took over");
    /// ```
    ///
    /// [`Error::TimedOut`]: cfut_core::Error::TimedOut
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = Some(timeout);
        self
    }

    /// The longest frame, in bytes, that carries a call's argument to a worker or its result
    /// back (the encoded value plus a header of 25 bytes or less). A call whose argument
    /// encodes longer fails at submission, one whose result encodes longer fails when the
    /// worker sends it, both with [`Error::Serialization`] naming the size and the limit; the
    /// worker lives on. It also bounds what either side allocates for a frame it receives.
    /// Default: 1 GiB. Must be between 4 KiB and 4 GiB − 64 bytes (the length prefix is a
    /// `u32`).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    ///
    /// let pool = cfut_processes::ProcessPoolExecutor::builder()
    ///     .max_workers(1)
    ///     .max_frame_size(64 * 1024)
    ///     .build()?;
    /// let big = pool.submit(|v: Vec<u8>| v.len(), vec![0; 100_000]);
    /// assert!(matches!(big.result(), Err(Error::Serialization { message })
    ///     if message.contains("100") && message.contains("65536")));
    /// let grows = pool.submit(|n: usize| vec![1_u8; n], 100_000);
    /// assert!(matches!(grows.result(), Err(Error::Serialization { .. })));
    /// assert_eq!(pool.submit(|v: Vec<u8>| v.len(), vec![0; 1000]).result(), Ok(1000));
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    ///
    /// [`Error::Serialization`]: cfut_core::Error::Serialization
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = Some(bytes);
        self
    }

    /// Builds the pool. No process starts yet: workers start on demand.
    ///
    /// # Errors
    ///
    /// [`BuildError`] if an option is out of range, or if this platform or process cannot
    /// re-execute itself (no `/proc/self/exe`, or the process is a worker whose set-up did
    /// not run — see [`init`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = cfut_processes::ProcessPoolExecutor::builder()
    ///     .max_tasks_per_child(0)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error.to_string(), "max_tasks_per_child must be >= 1");
    /// ```
    ///
    /// [`init`]: crate::init
    pub fn build(self) -> Result<ProcessPoolExecutor, BuildError> {
        let max_workers = match self.max_workers {
            Some(0) => return Err(BuildError::zero_workers()),
            Some(n) => n,
            None => thread::available_parallelism().map_or(1, NonZeroUsize::get),
        };
        let max_tasks_per_child = match self.max_tasks_per_child {
            Some(n) => Some(NonZeroUsize::new(n).ok_or_else(BuildError::zero_tasks_per_child)?),
            None => None,
        };
        if self.call_timeout == Some(Duration::ZERO) {
            return Err(BuildError::zero_timeout());
        }
        let max_frame = self.max_frame_size.unwrap_or(wire::DEFAULT_MAX_FRAME);
        if !(wire::MIN_MAX_FRAME..=wire::MAX_MAX_FRAME).contains(&max_frame) {
            return Err(BuildError::frame_size(max_frame));
        }
        if std::env::var_os(worker::WORKER_ENV).is_some() {
            return Err(BuildError::unsupported(
                "this process was started as a worker but cfut_processes::init() did not run; \
                 call it first thing in main",
            ));
        }
        worker::keep_constructor();
        let executable = PathBuf::from("/proc/self/exe");
        if !executable.exists() {
            return Err(BuildError::unsupported("/proc/self/exe is not readable"));
        }
        let build: fn(Builder) -> Result<ProcessPoolExecutor, BuildError> = Builder::build;
        if !image::contains(build as usize) {
            return Err(BuildError::unsupported(
                "the executable's own code could not be located (dl_iterate_phdr)",
            ));
        }
        let config = Config {
            max_workers,
            initializer: self.initializer,
            max_tasks_per_child,
            call_timeout: self.call_timeout,
            executable,
            identity: image::identity(),
            max_frame,
        };
        if let Some(initializer) = &config.initializer {
            initializer.check().map_err(BuildError::initializer)?;
        }
        Ok(ProcessPoolExecutor::from_shared(Arc::new(Shared {
            config,
            state: Mutex::new(State::new()),
            finished: Condvar::new(),
        })))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_workers", &self.max_workers)
            .field("initializer", &self.initializer)
            .field("max_tasks_per_child", &self.max_tasks_per_child)
            .field("call_timeout", &self.call_timeout)
            .field("max_frame_size", &self.max_frame_size)
            .finish()
    }
}
