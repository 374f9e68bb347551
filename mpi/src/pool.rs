//! [`MpiPoolExecutor`], the handle the root holds.

use std::fmt;

use cfut_core::{
    CallExecutor, ChunkResults, Error, Executor, Future, Portable, PortableFn, Shutdown,
};
use cfut_processes::backend::Call;

use crate::driver::{self, Seat};
use crate::inbox::Inbox;
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread::{self, JoinHandle, ThreadId};
use crate::transport::MAX_MESSAGE;
use crate::waiting::{self, DrivingGuard};

/// mpi4py's `MPIPoolExecutor` / `MPICommExecutor` in Rust: runs calls `fn(A) -> T` on MPI
/// worker ranks that run the same binary.
///
/// Made by [`run`](crate::run) (static mode: `mpirun -n N ./app`), [`Builder::on`] (over
/// a communicator the program already has) or [`Builder::spawn`] (spawn mode). A call is a
/// plain function or non-capturing closure with serde argument and result (a [`Portable`]
/// value), exactly as for the process pool; its future is the same [`cfut_core::Future`]
/// every cfut executor gives, so `map`, `as_completed` and `wait` work on it, mixed with
/// thread and process futures.
///
/// Calls wait in the root, cancellable, until they are sent (by the manager thread, or inside
/// [`run`](crate::run) by the root's own thread, see the crate docs); each worker has up to
/// [`window`](crate::Builder::window) calls in flight. Drop is leaving Python's `with`
/// block: no new calls, wait for the submitted ones, stop the workers.
///
/// # Examples
///
/// Under `mpirun -n 3` (not run as a doctest, which has no `mpirun`):
///
/// ```no_run
/// fn square(x: u64) -> u64 { x * x }
///
/// let sum = cfut_mpi::run(|pool| {
///     assert_eq!(pool.max_workers(), 2);
///     assert_eq!(pool.submit(square, 7).result(), Ok(49));
///     (1..=10).map(|i| pool.submit(square, i)).map(|f| f.result().unwrap()).sum::<u64>()
/// })?;
/// assert_eq!(sum, 385);
/// # Ok::<(), cfut_mpi::StartError>(())
/// ```
///
/// [`Builder::on`]: crate::Builder::on
/// [`Builder::spawn`]: crate::Builder::spawn
pub struct MpiPoolExecutor {
    pub(crate) inbox: Arc<Inbox<Call>>,
    pub(crate) seat: Arc<Seat>,
    manager: Mutex<Option<JoinHandle<()>>>,
    manager_thread: ThreadId,
    workers: Vec<i32>,
}

impl MpiPoolExecutor {
    pub(crate) fn new(
        inbox: Arc<Inbox<Call>>,
        seat: Arc<Seat>,
        manager: JoinHandle<()>,
        workers: Vec<i32>,
    ) -> Self {
        MpiPoolExecutor {
            inbox,
            seat,
            manager_thread: manager.thread().id(),
            manager: Mutex::new(Some(manager)),
            workers,
        }
    }

    /// Schedules `call(arg)` on a worker rank and returns the future of its result (Python's
    /// `submit(fn, arg)`; the same as [`Submit::submit`](cfut_core::Submit::submit)). `call` is a plain function or a
    /// closure that captures nothing ([`PortableFn`]); what it needs travels in `arg`.
    ///
    /// After shutdown the future fails with [`Error::Shutdown`]; once the pool is broken (a
    /// rank refused: another build, or its initializer panicked) with [`Error::Broken`]. A
    /// call whose encoded frame exceeds MPI's 2 GiB message limit fails with
    /// [`Error::Serialization`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use cfut_core::Error;
    ///
    /// cfut_mpi::run(|pool| {
    ///     assert_eq!(pool.submit(|(a, b): (i64, i64)| a + b, (40, 2)).result(), Ok(42));
    ///     let failing = pool.submit(|x: u32| -> u32 { panic!("odd {x}") }, 7);
    ///     assert!(matches!(failing.result(), Err(Error::Panicked { message, .. }) if message == "odd 7"));
    /// })?;
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn submit<F, A, T>(&self, call: F, arg: A) -> Future<T>
    where
        F: PortableFn<A, T>,
        A: Portable,
        T: Portable,
    {
        cfut_core::submit_portable(self, call, arg)
    }

    /// How many worker ranks run calls.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // mpirun -n 4 ./app: rank 0 submits, ranks 1..=3 serve.
    /// cfut_mpi::run(|pool| assert_eq!(pool.max_workers(), 3))?;
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn max_workers(&self) -> usize {
        self.workers.len()
    }

    /// The ranks of the workers, in the pool's communicator (the world for
    /// [`run`](crate::run); the spawned group in spawn mode).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// cfut_mpi::run(|pool| assert_eq!(pool.worker_ranks(), [1, 2]))?;
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn worker_ranks(&self) -> &[i32] {
        &self.workers
    }

    /// Makes the calling thread drive the pool's MPI calls itself while the guard lives: its
    /// submissions send their calls to the workers themselves, and while it waits for a
    /// result (of any future) with calls of this pool in flight, it receives the results
    /// itself instead of waiting for the manager thread to. A round trip then takes two
    /// threads (this one and the worker rank) instead of three, which counts when ranks and
    /// threads outnumber cores. [`run`](crate::run) does this for the root's thread; a pool
    /// made by [`Builder::on`](crate::Builder::on) or [`Builder::spawn`](crate::Builder::spawn)
    /// gets it from this guard, on the thread that submits and waits.
    ///
    /// While the guard lives, this pool's done-callbacks may run on this thread while it
    /// waits (as a thread pool's waiting caller runs queued calls). The manager thread still
    /// answers the calls nobody waits for, within a millisecond of their results. Several
    /// threads may drive at once (one of them at a time makes the MPI calls); the guard
    /// cannot leave its thread. It takes the place of the thread's wait helper while it
    /// lives: on a worker of a `cfut-threads` pool, that worker's waits then no longer run its
    /// own pool's queued calls (a one-thread pool waiting on its own child would hang), so
    /// hold it on a thread of your own, not inside a thread pool's calls.
    ///
    /// # Examples
    ///
    /// Under `mpirun -n 1` (spawn mode; not run as a doctest, which has no `mpirun`):
    ///
    /// ```no_run
    /// fn double(x: u64) -> u64 { x * 2 }
    ///
    /// let pool = cfut_mpi::Builder::new().max_workers(2).spawn()?;
    /// let _driving = pool.drive_here();
    /// for i in 0..1000 {
    ///     assert_eq!(pool.submit(double, i).result(), Ok(2 * i));
    /// }
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn drive_here(&self) -> DrivingGuard<'_> {
        DrivingGuard::new(&self.inbox, &self.seat)
    }

    /// Python's `shutdown(wait, cancel_futures)`: stop accepting calls; optionally cancel
    /// the ones not yet sent to a worker; optionally wait until every sent call finished and
    /// every worker rank was told to stop. Calling it again is harmless. Called from one of
    /// this pool's done-callbacks (which run on the manager thread, or inside
    /// [`run`](crate::run) on the root's thread while it waits), it does not wait.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use cfut_core::{Error, Shutdown};
    ///
    /// cfut_mpi::run(|pool| {
    ///     let done = pool.submit(|x: u8| x * 2, 4);
    ///     pool.shutdown(Shutdown::new());
    ///     assert_eq!(done.result(), Ok(8));
    ///     assert_eq!(pool.submit(|x: u8| x, 1).result(), Err(Error::Shutdown));
    /// })?;
    /// # Ok::<(), cfut_mpi::StartError>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) {
        for call in self.inbox.close(Error::Shutdown, how.cancels_pending()) {
            call.cancel();
        }
        let here = thread::current().id();
        // A done-callback runs on the manager thread or on a thread driving the root, which
        // the manager needs to finish: waiting there would never end.
        if how.waits() && here != self.manager_thread && !driver::driving_here() {
            let manager = self.manager.lock().take();
            if let Some(manager) = manager {
                // A panicking manager completed no future wrongly: its calls' promises were
                // dropped, failing them with `Abandoned`.
                let _ = manager.join();
            }
        }
    }

    fn enqueue<R>(&self, call: Call, future: Future<R>) -> Future<R> {
        let length = call.frame_len().max(call.block_len());
        if length > MAX_MESSAGE {
            call.fail(Error::Serialization {
                message: format!(
                    "a call of {length} bytes exceeds the {MAX_MESSAGE}-byte MPI message limit"
                ),
            });
        } else if waiting::drives_here(&self.inbox) {
            // A driving thread sends its call itself, unless the manager is in the middle of
            // a step (it then sees the call in its next one): no wake-up of the manager, which
            // a round trip cannot afford. The manager still looks within `MAX_SLEEP` if
            // nobody drives (a dormant one is woken), so a call nobody waits for is answered.
            if let Err((call, error)) = self.inbox.push_quiet(call) {
                call.fail(error);
            } else if let Some(mut seat) = self.seat.try_lock() {
                if let Some(driver) = seat.as_mut() {
                    driver.send_queued(&self.inbox);
                }
            }
        } else if let Err((call, error)) = self.inbox.push(call) {
            call.fail(error);
        }
        future
    }
}

impl Executor for MpiPoolExecutor {
    fn max_workers(&self) -> usize {
        MpiPoolExecutor::max_workers(self)
    }

    fn shutdown(&self, how: Shutdown) {
        MpiPoolExecutor::shutdown(self, how);
    }
}

impl CallExecutor for MpiPoolExecutor {
    fn submit_call<A, T>(&self, call: fn(A) -> T, arg: A) -> Future<T>
    where
        A: Portable,
        T: Portable,
    {
        match Call::with_blocks(call, arg) {
            Ok((call, future)) => self.enqueue(call, future),
            Err(error) => Future::from_result(Err(error)),
        }
    }

    /// The results stay encoded until the thread that consumes them calls
    /// [`ChunkResults::decode`]: the thread that receives them only moves bytes.
    fn submit_batch<A, T>(&self, call: fn(A) -> T, args: Vec<A>) -> Future<ChunkResults<T>>
    where
        A: Portable,
        T: Portable,
    {
        if args.is_empty() {
            let closed = self.inbox.closed();
            return Future::from_result(closed.map_or(Ok(ChunkResults::ready(Vec::new())), Err));
        }
        match Call::batch(call, args) {
            Ok((call, future)) => self.enqueue(call, future),
            Err(error) => Future::from_result(Err(error)),
        }
    }
}

cfut_core::portable_executor!(MpiPoolExecutor);

impl Drop for MpiPoolExecutor {
    /// Leaving Python's `with` block: `shutdown(wait=True)`.
    fn drop(&mut self) {
        self.shutdown(Shutdown::new());
    }
}

impl fmt::Debug for MpiPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpiPoolExecutor")
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}
