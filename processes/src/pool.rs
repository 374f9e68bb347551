//! [`ProcessPoolExecutor`], the handle users hold.

use std::fmt;
use std::io;
use std::os::fd::AsFd;
use std::time::Instant;

use cfut_core::{
    CallExecutor, ChunkResults, Error, Executor, Future, Portable, PortableFn, Shutdown, promise,
};

use crate::block::Block;
use crate::direct::Handed;
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::state::{Phase, Shared};
use crate::task::{self, PendingCall, Trampoline, Typed};
use crate::{BuildError, Builder, manager, wire};

/// Python's `ProcessPoolExecutor`: runs calls `fn(A) -> T` in worker processes, which are
/// re-executions of the running binary.
///
/// A call is a plain function or a non-capturing closure with a serde argument and result
/// (a [`Portable`] value): `pool.submit(square, 7)`. Its future is the same
/// [`cfut_core::Future`] every executor gives, so the combinators mix it with thread-pool
/// futures.
///
/// - *On demand*: no process starts before the first call; a worker starts when a call waits
///   and no worker is idle, up to [`max_workers`](Builder::max_workers).
/// - *Cancellable while waiting*: a call can be cancelled until a worker starts it, also when
///   it was sent ahead to a busy worker (see the crate docs' guarantees).
/// - *Faults stay local*: a panic fails only its call ([`Error::Panicked`]; the worker lives
///   on); a worker that dies (abort, segfault, `exit`, a signal) fails only the call it ran
///   ([`Error::WorkerDied`] with the status or signal) and is replaced; a value that cannot
///   be encoded or decoded fails its call ([`Error::Serialization`]). CPython breaks the
///   whole pool in these cases; here only a failing initializer breaks it.
/// - *Drop* is leaving Python's `with` block: no new calls, wait for the submitted ones, reap
///   the workers.
///
/// Worker processes inherit standard output and error, so a call's prints reach the
/// terminal; their standard input is `/dev/null`.
///
/// # Examples
///
/// ```
/// use cfut_processes::ProcessPoolExecutor;
///
/// fn square(x: u64) -> u64 { x * x }
///
/// let pool = ProcessPoolExecutor::new(2)?;
/// let future = pool.submit(square, 7);
/// assert_eq!(future.result(), Ok(49));
///
/// // `map` comes from `cfut-combinators` (or `use cfut::prelude::*`), as on every executor.
/// use cfut_combinators::MapExt;
/// let squares: Vec<u64> = pool.map(square, 1..=5).map(Result::unwrap).collect();
/// assert_eq!(squares, [1, 4, 9, 16, 25]);
/// # Ok::<(), cfut_processes::BuildError>(())
/// ```
pub struct ProcessPoolExecutor {
    shared: Arc<Shared>,
}

impl ProcessPoolExecutor {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        ProcessPoolExecutor { shared }
    }

    /// A pool of at most `max_workers` worker processes, other options at their defaults.
    ///
    /// # Errors
    ///
    /// [`BuildError`] if `max_workers` is 0 or the platform cannot re-execute this binary.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::ProcessPoolExecutor::new(4)?;
    /// assert_eq!(pool.max_workers(), 4);
    /// assert!(pool.worker_pids().is_empty(), "workers start on demand");
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn new(max_workers: usize) -> Result<Self, BuildError> {
        Builder::new().max_workers(max_workers).build()
    }

    /// A [`Builder`] with the defaults (Python's).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::ProcessPoolExecutor::builder().max_workers(1).build()?;
    /// assert_eq!(pool.max_workers(), 1);
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Schedules `call(arg)` in a worker and returns the future of its result (Python's
    /// `submit(fn, arg)`; the same as [`Submit::submit`](cfut_core::Submit::submit)).
    ///
    /// `call` must be a plain function or a closure that captures nothing ([`PortableFn`]);
    /// whatever it needs travels in `arg` (several values as a tuple). After shutdown the
    /// future fails with [`Error::Shutdown`], once the pool is broken with [`Error::Broken`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    ///
    /// let pool = cfut_processes::ProcessPoolExecutor::new(1)?;
    /// let sum = pool.submit(|(a, b): (i64, i64)| a + b, (40, 2));
    /// assert_eq!(sum.result(), Ok(42));
    ///
    /// let failing = pool.submit(|x: u32| -> u32 { panic!("odd {x}") }, 7);
    /// assert!(matches!(failing.result(), Err(Error::Panicked { message, .. }) if message == "odd 7"));
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    ///
    /// A closure that captures a value cannot travel; the compiler says what to do instead:
    ///
    /// ```compile_fail,E0277
    /// let pool = cfut_processes::ProcessPoolExecutor::new(1).unwrap();
    /// let greeting = String::from("hello");
    /// pool.submit(move |n: usize| greeting.len() + n, 1);
    /// ```
    pub fn submit<F, A, T>(&self, call: F, arg: A) -> Future<T>
    where
        F: PortableFn<A, T>,
        A: Portable,
        T: Portable,
    {
        cfut_core::submit_portable(self, call, arg)
    }

    /// How many worker processes may run at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cfut_processes::ProcessPoolExecutor::new(2)?.max_workers(), 2);
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn max_workers(&self) -> usize {
        self.shared.config.max_workers
    }

    /// The process ids of the live workers (Python's `_processes`), for monitoring.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::ProcessPoolExecutor::new(1)?;
    /// let pid = pool.submit(|_: ()| std::process::id(), ()).result().unwrap();
    /// assert_eq!(pool.worker_pids(), [pid]);
    /// pool.shutdown(cfut_core::Shutdown::new());
    /// assert!(pool.worker_pids().is_empty());
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn worker_pids(&self) -> Vec<u32> {
        self.shared.state.lock().pids.clone()
    }

    /// How many worker processes this pool ever started (replacements included).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_processes::ProcessPoolExecutor::new(3)?;
    /// for _ in 0..3 {
    ///     pool.submit(|x: u8| x, 0).result().unwrap();
    /// }
    /// assert_eq!(pool.workers_started(), 1, "an idle worker is reused");
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn workers_started(&self) -> usize {
        self.shared.state.lock().started
    }

    /// Python's `shutdown(wait, cancel_futures)`: stop accepting calls; optionally cancel the
    /// ones not yet started by a worker (calls sent ahead to a busy worker included: none of
    /// them starts once this returns, and their futures show cancelled as soon as the
    /// manager thread has looked); optionally wait until every other call finished and
    /// every worker exited. Calling it again is harmless. Called from one of this pool's
    /// done-callbacks (which run on the pool's manager thread), it does not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Error, Shutdown};
    ///
    /// let pool = cfut_processes::ProcessPoolExecutor::new(1)?;
    /// let done = pool.submit(|x: u8| x * 2, 4);
    /// pool.shutdown(Shutdown::new());
    /// assert_eq!(done.result(), Ok(8));
    /// assert_eq!(pool.submit(|x: u8| x, 1).result(), Err(Error::Shutdown));
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) {
        let cancelled: Vec<PendingCall> = {
            let mut state = self.shared.state.lock();
            if state.closed.is_none() {
                state.closed = Some(Error::Shutdown);
            }
            state.stopping = true;
            if state.phase == Phase::NotStarted {
                state.phase = Phase::Finished;
            }
            let cancelled = if how.cancels_pending() {
                state.cancel_not_started()
            } else {
                Vec::new()
            };
            state.wake();
            cancelled
        };
        for call in cancelled {
            call.slot.cancel();
        }
        if how.waits() {
            self.join();
        }
    }

    /// Python's `terminate_workers()`: shuts down, cancels every call not yet taken by a
    /// worker, and sends `SIGTERM` to every worker. Calls running in them fail with
    /// [`Error::WorkerDied`]. Returns at once; [`shutdown`](Self::shutdown) or drop waits
    /// until the workers are reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Error, Exit};
    ///
    /// let pool = cfut_processes::ProcessPoolExecutor::new(1)?;
    /// let running = pool.submit(|_: ()| std::thread::sleep(std::time::Duration::from_secs(60)), ());
    /// while !running.is_running() || pool.worker_pids().is_empty() {
    ///     std::thread::yield_now();
    /// }
    /// std::thread::sleep(std::time::Duration::from_millis(50));
    /// pool.terminate_workers();
    /// assert_eq!(running.result(), Err(Error::WorkerDied(Exit::Signal(15))), "SIGTERM");
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn terminate_workers(&self) {
        self.force(libc::SIGTERM);
    }

    /// Python's `kill_workers()`: as [`terminate_workers`](Self::terminate_workers), with
    /// `SIGKILL`, which a worker cannot catch.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Shutdown;
    ///
    /// let pool = cfut_processes::ProcessPoolExecutor::new(2)?;
    /// let pid = pool.submit(|_: ()| std::process::id(), ()).result().unwrap();
    /// pool.kill_workers();
    /// pool.shutdown(Shutdown::new());
    /// assert!(pool.worker_pids().is_empty());
    /// // The worker is gone, reaped: not even a zombie is left.
    /// assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    /// # Ok::<(), cfut_processes::BuildError>(())
    /// ```
    pub fn kill_workers(&self) {
        self.force(libc::SIGKILL);
    }

    fn force(&self, signal: i32) {
        let cancelled: Vec<PendingCall> = {
            let mut state = self.shared.state.lock();
            if state.closed.is_none() {
                state.closed = Some(Error::Shutdown);
            }
            state.stopping = true;
            state.forced = Some(signal);
            if state.phase == Phase::NotStarted {
                state.phase = Phase::Finished;
            }
            state.signal_workers(signal);
            state.wake();
            state.pending.drain(..).collect()
        };
        for call in cancelled {
            call.slot.cancel();
        }
    }

    /// Waits for the manager thread to finish, unless called on it.
    fn join(&self) {
        let mut state = self.shared.state.lock();
        if state.manager_thread == Some(thread::current().id()) {
            return;
        }
        while state.phase == Phase::Running {
            state = self.shared.finished.wait(state);
        }
        let handle = state.join.take();
        drop(state);
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    /// Queues an encoded call (its frame, and its argument's block if it travels as one);
    /// the future fails at once if the pool is closed.
    fn enqueue<R: Send + 'static>(
        &self,
        parts: Result<(Vec<u8>, Option<Block>), Error>,
        decode: task::Decode<R>,
    ) -> Future<R> {
        let limit = self.shared.config.max_frame;
        let (frame, block) = match parts.and_then(|(frame, block)| {
            // A block's frame holds its bytes and the kind byte.
            let block_frame = block.as_ref().map_or(0, |b| 1 + b.len());
            wire::check_limit(block_frame.max(frame.len() - 4), limit)
                .map(|()| (frame, block))
                .map_err(|message| Error::Serialization {
                    message: format!("cannot send the argument: {message}"),
                })
        }) {
            Ok(parts) => parts,
            Err(error) => return Future::from_result(Err(error)),
        };
        let (promise, future) = promise();
        let mut call = PendingCall {
            frame,
            block: block.map(crate::loom::sync::BlockArc::new),
            slot: Box::new(Typed { promise, decode }),
        };
        let mut state = self.shared.state.lock();
        if let Some(error) = state.closed.clone() {
            drop(state);
            call.slot.fail(error);
            return future;
        }
        if state.pending.is_empty() {
            // An idle worker and nothing queued ahead: write the call to it ourselves, under
            // the lock (see `direct.rs`); the manager only reads the result.
            if let Some(direct) = state.direct.iter_mut().find(|d| d.lane.is_open()) {
                // The future has not been given out yet, so it cannot be cancelled.
                if call.slot.set_running() {
                    let id = direct.lane.claim().expect("found open");
                    call.frame[wire::ID_AT..wire::ID_AT + 8].copy_from_slice(&id.to_le_bytes());
                    let since = Instant::now();
                    let mut sent = 0;
                    let mut gone = false;
                    while sent < call.len() {
                        match call.send(direct.socket.as_fd(), sent) {
                            Ok(n) => sent += n,
                            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                            Err(_) => {
                                gone = true;
                                break;
                            }
                        }
                    }
                    if gone {
                        // The worker is gone (it died while idle, and the manager has not
                        // seen it yet). It never received a whole frame, so the call never
                        // ran: queue it for the manager, which buries the worker, starts a
                        // replacement and hands the call on. The lane stays closed.
                        state.pending.push_back(call);
                        state.wake();
                        return future;
                    }
                    let complete = sent == call.len();
                    direct.lane.hand(Handed { call, sent, since });
                    // The manager must write the rest, or arm the call's timeout.
                    if !complete || self.shared.config.call_timeout.is_some() {
                        state.wake();
                    }
                }
                return future;
            }
        }
        // Queued behind other calls (or a worker's start): a caller that waits for it spins
        // on a CPU that the workers and the manager need (`Promise::hint_queued`).
        call.slot.hint_queued();
        state.pending.push_back(call);
        match state.phase {
            Phase::Running => state.wake(),
            Phase::NotStarted => {
                if let Err(error) = manager::start(&self.shared, &mut state) {
                    let error = Error::Broken {
                        reason: format!("the pool's manager thread could not start: {error}"),
                    };
                    state.closed = Some(error.clone());
                    state.stopping = true;
                    state.phase = Phase::Finished;
                    let failed: Vec<PendingCall> = state.pending.drain(..).collect();
                    drop(state);
                    for call in failed {
                        call.slot.fail(error.clone());
                    }
                }
            }
            Phase::Finished => unreachable!("a finished pool is closed"),
        }
        future
    }
}

impl Executor for ProcessPoolExecutor {
    fn max_workers(&self) -> usize {
        ProcessPoolExecutor::max_workers(self)
    }

    fn shutdown(&self, how: Shutdown) {
        ProcessPoolExecutor::shutdown(self, how);
    }
}

impl CallExecutor for ProcessPoolExecutor {
    fn submit_call<A, T>(&self, call: fn(A) -> T, arg: A) -> Future<T>
    where
        A: Portable,
        T: Portable,
    {
        let parts = task::call_parts(task::run_one::<A, T> as Trampoline, call as usize, arg);
        self.enqueue(parts, task::decode_one::<T>)
    }

    /// The results stay encoded until the thread that consumes them calls
    /// [`ChunkResults::decode`]: the pool's manager thread only moves bytes (it was the
    /// bottleneck of chunked maps when it decoded them).
    fn submit_batch<A, T>(&self, call: fn(A) -> T, args: Vec<A>) -> Future<ChunkResults<T>>
    where
        A: Portable,
        T: Portable,
    {
        if args.is_empty() {
            let closed = self.shared.state.lock().closed.clone();
            return Future::from_result(closed.map_or(Ok(ChunkResults::ready(Vec::new())), Err));
        }
        let frame = task::call_frame(task::run_batch::<A, T> as Trampoline, call as usize, &args);
        drop(args);
        let parts = frame.map(|frame| (frame, None));
        self.enqueue(parts, crate::backend::defer_batch::<T>)
    }
}

cfut_core::portable_executor!(ProcessPoolExecutor);

impl Drop for ProcessPoolExecutor {
    /// Leaving Python's `with` block: `shutdown(wait=True)`.
    fn drop(&mut self) {
        self.shutdown(Shutdown::new());
    }
}

impl fmt::Debug for ProcessPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPoolExecutor")
            .field("max_workers", &self.shared.config.max_workers)
            .finish_non_exhaustive()
    }
}
