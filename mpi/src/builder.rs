//! [`Builder`], the pool's options, and the three ways to get worker ranks: [`run`] (static
//! mode), [`Builder::on`] (over an existing communicator) and [`Builder::spawn`].

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use cfut_core::Error;
use cfut_processes::backend::{self, Call};
use mpi::Threading;
use mpi::raw::AsRaw;
use mpi::topology::SimpleCommunicator;

use crate::driver::Seat;
use crate::inbox::Inbox;
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread;
use crate::manager::Manager;
use crate::transport::{self, Comm, MAX_MESSAGE};
use crate::tuning::DEFAULT_WINDOW;
use crate::{MpiPoolExecutor, StartError, serve, spawn};

/// Exit status of a job whose root panicked (Rust's own status for a panicking `main`).
const EXIT_ROOT_PANICKED: i32 = 101;

/// The options of an MPI pool, then how it gets its workers.
///
/// # Examples
///
/// ```no_run
/// fn connect() { /* open a database, load a model: once per worker rank */ }
///
/// cfut_mpi::Builder::new()
///     .window(16)
///     .initializer(connect)
///     .run(|pool| assert_eq!(pool.submit(|x: u8| x + 1, 1).result(), Ok(2)))?;
/// # Ok::<(), cfut_mpi::StartError>(())
/// ```
#[derive(Clone)]
pub struct Builder {
    window: usize,
    initializer: Option<fn()>,
    max_workers: Option<usize>,
}

impl Builder {
    /// The defaults: a window of 8 calls per worker, no initializer.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_mpi::Builder::new().check().is_ok());
    /// ```
    pub fn new() -> Self {
        Builder {
            window: DEFAULT_WINDOW,
            initializer: None,
            max_workers: None,
        }
    }

    /// How many calls each worker rank may have in flight (sent, not yet answered). Default
    /// 8. More hides the round trip behind the worker's work; 1 keeps every waiting call in
    /// the root, cancellable, until a worker is free (mpi4py's behaviour). Must be at least 1.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_mpi::Builder::new().window(1).check().is_ok());
    /// assert!(cfut_mpi::Builder::new().window(0).check().is_err());
    /// ```
    pub fn window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// A function every worker rank runs once before serving (Python's `initializer`). If it
    /// panics on any rank, the pool is broken: every pending and later call fails with
    /// [`Error::Broken`] naming the rank and the panic, and no call crosses.
    ///
    /// # Examples
    ///
    /// ```
    /// fn setup() {}
    /// assert!(cfut_mpi::Builder::new().initializer(setup).check().is_ok());
    /// ```
    pub fn initializer(mut self, initializer: fn()) -> Self {
        self.initializer = Some(initializer);
        self
    }

    /// How many workers [`spawn`](Self::spawn) starts. Default: the MPI universe size minus
    /// the processes already running (mpi4py's default; Open MPI reads it from
    /// `OMPI_UNIVERSE_SIZE` or the host list), and 1 when the universe size is unknown or
    /// exhausted. Static modes take every other rank and ignore it. Must be at least 1.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_mpi::Builder::new().max_workers(4).check().is_ok());
    /// assert!(cfut_mpi::Builder::new().max_workers(0).check().is_err());
    /// ```
    pub fn max_workers(mut self, max_workers: usize) -> Self {
        self.max_workers = Some(max_workers);
        self
    }

    /// Checks the options without starting anything; every way of starting runs it first.
    ///
    /// # Errors
    ///
    /// [`StartError`] for a window or `max_workers` of 0, or an initializer that does not
    /// live in the executable itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = cfut_mpi::Builder::new().window(0).check().unwrap_err();
    /// assert!(error.to_string().contains("window"));
    /// ```
    pub fn check(&self) -> Result<(), StartError> {
        self.setup().map(drop)
    }

    /// The `SETUP` frame, after the option checks (the same on every rank).
    fn setup(&self) -> Result<Vec<u8>, StartError> {
        if self.window == 0 {
            return Err(StartError::new(
                "the window must be at least 1 call per worker",
            ));
        }
        if self.max_workers == Some(0) {
            return Err(StartError::new("max_workers must be at least 1"));
        }
        backend::setup_frame(self.initializer, MAX_MESSAGE).map_err(|error| match error {
            Error::Broken { reason } => StartError::new(reason),
            other => StartError::new(other.to_string()),
        })
    }

    /// Static mode, as `mpirun -n N ./app` (mpi4py's `python -m mpi4py.futures`): initializes
    /// MPI; rank 0 runs `f` with a pool over ranks 1..N-1 and returns its value after the
    /// pool shut down (waiting for every call, as Python's `with` block) and MPI finalized;
    /// every other rank serves calls until then and **exits the process** with status 0,
    /// so code after `run` runs on rank 0 only.
    ///
    /// A panic in `f` ends the whole job through `MPI_Abort` (status 101) once the panic
    /// message is printed: the other ranks are never left waiting.
    ///
    /// # Errors
    ///
    /// [`StartError`] on every rank alike if MPI was already initialized (use
    /// [`on`](Self::on) then), lacks `MPI_THREAD_SERIALIZED`, the job has a single rank, or
    /// an option is invalid.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let ranks = cfut_mpi::Builder::new().window(2).run(|pool| pool.worker_ranks().to_vec())?;
    /// assert!(!ranks.is_empty());
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn run<R>(self, f: impl FnOnce(&MpiPoolExecutor) -> R) -> Result<R, StartError> {
        let setup = self.setup()?;
        let universe = initialize()?;
        let world = universe.world();
        match self.start(&world, 0, setup) {
            Ok(Some(pool)) => match panic::catch_unwind(AssertUnwindSafe(|| {
                // This thread sends its calls and, while it waits, receives results itself.
                let _driving = pool.drive_here();
                f(&pool)
            })) {
                Ok(value) => {
                    drop(pool);
                    drop(universe);
                    Ok(value)
                }
                Err(_) => {
                    // The panic message was printed by the hook. Unwinding further would drop
                    // the pool (waiting on calls) and finalize MPI, which waits for ranks
                    // that wait for us: end the job instead.
                    eprintln!("cfut-mpi: the root rank panicked; ending the MPI job");
                    transport::abort(EXIT_ROOT_PANICKED)
                }
            },
            Ok(None) => {
                drop(universe);
                std::process::exit(0)
            }
            Err(error) => Err(error),
        }
    }

    /// Static mode over a communicator the program already has (mpi4py's
    /// `MPICommExecutor(comm, root)`): collective over `comm`. On `root` it returns the pool
    /// over the other ranks of `comm`; on the others it serves calls until the root's pool
    /// shuts down, then returns `None`. The pool talks over a duplicate of `comm`, so its
    /// messages never meet the program's own.
    ///
    /// MPI must be initialized with at least `Threading::Serialized` (the pool's manager
    /// thread makes the MPI calls), and the program must make no MPI call on the root while
    /// the pool lives unless MPI provides `Threading::Multiple`.
    ///
    /// # Errors
    ///
    /// [`StartError`] on every rank alike if MPI's thread support is too low, `root` is not
    /// a rank of `comm`, `comm` has no other rank, or an option is invalid.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use mpi::traits::*;
    ///
    /// let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Multiple).unwrap();
    /// let world = universe.world();
    /// if let Some(pool) = cfut_mpi::Builder::new().on(&world, 0)? {
    ///     assert_eq!(pool.submit(|x: u32| x * 3, 5).result(), Ok(15));
    /// }
    /// // Every rank gets here once the root's pool is dropped.
    /// world.barrier();
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn on(
        self,
        comm: &SimpleCommunicator,
        root: i32,
    ) -> Result<Option<MpiPoolExecutor>, StartError> {
        let setup = self.setup()?;
        if mpi::environment::threading_support() < Threading::Serialized {
            return Err(StartError::new(
                "MPI was initialized without MPI_THREAD_SERIALIZED; the pool's manager thread \
                 needs it (initialize with mpi::Threading::Multiple or Serialized)",
            ));
        }
        self.start(comm, root, setup)
    }

    fn start(
        &self,
        comm: &SimpleCommunicator,
        root: i32,
        setup: Vec<u8>,
    ) -> Result<Option<MpiPoolExecutor>, StartError> {
        use mpi::traits::Communicator;

        let size = comm.size();
        if root < 0 || root >= size {
            return Err(StartError::new(format!(
                "the root {root} is not a rank of the communicator (size {size})"
            )));
        }
        if size < 2 {
            return Err(StartError::new(
                "the communicator has no rank besides the root to run calls: start the program \
                 with `mpirun -n 2` or more",
            ));
        }
        // SAFETY: `comm` is a live communicator of an initialized MPI.
        let comm = unsafe { Comm::duplicate(comm.as_raw()) };
        if comm.rank() != root {
            serve::serve(&comm, root);
            return Ok(None);
        }
        let workers = (0..size).filter(|&rank| rank != root).collect();
        Ok(Some(self.manage(comm, workers, setup)))
    }

    /// Starts the manager thread over `comm` for `workers`.
    pub(crate) fn manage(&self, comm: Comm, workers: Vec<i32>, setup: Vec<u8>) -> MpiPoolExecutor {
        let inbox: Arc<Inbox<Call>> = Arc::new(Inbox::new());
        let seat: Arc<Seat> = Arc::new(Mutex::new(None));
        let manager = Manager {
            comm,
            workers: Vec::clone(&workers),
            inbox: inbox.clone(),
            seat: seat.clone(),
            setup,
            window: self.window,
        };
        let spawned = thread::Builder::new()
            .name("cfut-mpi-manager".to_owned())
            .spawn(move || manager.run());
        match spawned {
            Ok(handle) => MpiPoolExecutor::new(inbox, seat, handle, workers),
            Err(error) => {
                // The workers wait for the handshake: end the job rather than leave them.
                eprintln!("cfut-mpi: the pool's manager thread could not start ({error})");
                transport::abort(EXIT_ROOT_PANICKED)
            }
        }
    }

    /// Spawn mode (mpi4py's `MPIPoolExecutor`): starts the workers with `MPI_Comm_spawn` —
    /// [`max_workers`](Self::max_workers) copies of this same executable — and returns the
    /// pool over them. For a program started alone (`./app`, or `mpirun -n 1 ./app`);
    /// initializes MPI if the program has not (and finalizes it when the process exits).
    /// The spawned copies never run `main`: a constructor sees their marker argument first,
    /// serves, and exits once the pool shuts down.
    ///
    /// Open MPI counts one slot per core: with more processes than cores, set
    /// `OMPI_MCA_rmaps_base_oversubscribe=1` or the spawn fails ("not enough slots").
    ///
    /// # Errors
    ///
    /// [`StartError`] if MPI's thread support is too low, an option is invalid, or the
    /// spawn fails (under MPI's default error handler a failing spawn ends the job instead).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let pool = cfut_mpi::Builder::new().max_workers(2).spawn()?;
    /// assert_eq!(pool.max_workers(), 2);
    /// assert_eq!(pool.submit(|x: u64| x * x, 9).result(), Ok(81));
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn spawn(self) -> Result<MpiPoolExecutor, StartError> {
        let setup = self.setup()?;
        spawn::keep_constructor();
        let (comm, workers) = spawn::spawn(self.max_workers)?;
        Ok(self.manage(comm, workers, setup))
    }
}

/// Initializes MPI for [`Builder::run`], with the most thread support offered.
fn initialize() -> Result<mpi::environment::Universe, StartError> {
    let (universe, threading) =
        mpi::initialize_with_threading(Threading::Multiple).ok_or_else(|| {
            StartError::new(
                "MPI is already initialized: make the pool with Builder::on over your \
                 communicator",
            )
        })?;
    if threading < Threading::Serialized {
        return Err(StartError::new(format!(
            "MPI offers only {threading:?} thread support; the pool's manager thread needs \
             MPI_THREAD_SERIALIZED"
        )));
    }
    Ok(universe)
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("window", &self.window)
            .field("initializer", &self.initializer.map(|_| "<fn>"))
            .field("max_workers", &self.max_workers)
            .finish()
    }
}

/// Static mode with the default options: [`Builder::run`].
///
/// Start the program as `mpirun -n N ./app`: rank 0 runs `f` with a pool over ranks 1..N-1;
/// the other ranks serve and exit the process when the pool shuts down.
///
/// # Errors
///
/// See [`Builder::run`].
///
/// # Examples
///
/// ```no_run
/// fn square(x: u64) -> u64 { x * x }
///
/// let squares = cfut_mpi::run(|pool| {
///     (1..=4).map(|i| pool.submit(square, i)).map(|f| f.result().unwrap()).collect::<Vec<_>>()
/// })?;
/// assert_eq!(squares, [1, 4, 9, 16]);
/// # Ok::<(), cfut_mpi::StartError>(())
/// ```
pub fn run<R>(f: impl FnOnce(&MpiPoolExecutor) -> R) -> Result<R, StartError> {
    Builder::new().run(f)
}
