//! [`Future`], the consumer half: wait for, inspect, cancel and take a call's outcome.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::help;
use crate::inner::{CANCELLED, FAILED, Inner, READY, RUNNING};
use crate::loom::sync::{Arc, TaskArc};
use crate::task::Completion;
use crate::waiter::Waiter;
use crate::{Error, Job};

/// The result of a call that may not have finished yet: Python's `concurrent.futures.Future`.
///
/// Every executor hands out this one type, completed through its [`Promise`]. A future is
/// *pending* until its executor starts the call, then *running*, then *finished* with a value
/// or an [`Error`]; a pending future can instead be *cancelled*. Cancelled and finished
/// futures are *done*.
///
/// A `Future` is the unique handle to its outcome (like a `JoinHandle`): taking the value
/// ([`result`](Self::result), [`result_timeout`](Self::result_timeout),
/// [`try_result`](Self::try_result), `.await`) needs it by value or `&mut`, while
/// inspecting, waiting, cancelling and callbacks work through `&Future`. Dropping a future
/// does not cancel its call.
///
/// # Examples
///
/// ```
/// use cfut_core::{InlineExecutor, Spawn};
///
/// let executor = InlineExecutor::new();
/// let future = executor.spawn(|| 6 * 7);
/// assert!(future.is_done());
/// assert_eq!(future.result(), Ok(42));
/// ```
///
/// It is also a [`std::future::Future`], so async code can `.await` a pool's result under any
/// runtime:
///
/// ```
/// use cfut_core::promise;
///
/// let (producer, future) = promise();
/// std::thread::spawn(move || producer.set_result("hello"));
/// assert_eq!(futures::executor::block_on(future), Ok("hello"));
/// ```
///
/// # Guarantees
///
/// - Completing a future *happens before* every `result`, `wait` or callback that observes it.
/// - Done-callbacks run exactly once, in registration order.
/// - No future stays pending forever because its producer vanished: a dropped [`Promise`]
///   completes it with [`Error::Abandoned`].
/// - Waiting never busy-waits for long: a blocked caller watches the future for about 50 µs,
///   then sleeps until completion or its deadline. It sleeps at once if the executor marked
///   the call as waiting for a thread start ([`Job::hint_thread_start`]).
///
/// [`Job::hint_thread_start`]: crate::Job::hint_thread_start
///
/// [`Promise`]: crate::Promise
pub struct Future<T> {
    handle: Handle<T>,
    /// Makes `Future<T>` `Send` only for `T: Send` and `Sync` only for `T: Sync`: shared
    /// handles hand out `&T` to callbacks on several threads.
    _value: PhantomData<T>,
}

/// How a future reaches its completion state.
enum Handle<T> {
    /// Its own allocation: [`promise`](crate::promise), [`Future::from_result`].
    Plain(Arc<Inner<T>>),
    /// Inside `Spawn::spawn`'s task, shared with the job (`task.rs`); names `T` but not the
    /// call's type. (Only constructible for `T: 'static`.)
    Task(TaskArc<dyn Completion<T>>),
}

/// Where a future is in its life, as returned by [`Future::state`].
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, State};
///
/// let (producer, future) = promise::<u8>();
/// assert_eq!(future.state(), State::Pending);
/// assert!(producer.set_running_or_notify_cancel());
/// assert_eq!(future.state(), State::Running);
/// producer.set_result(1);
/// assert_eq!(future.state(), State::Succeeded);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Not started; can still be cancelled.
    Pending,
    /// The executor started the call.
    Running,
    /// Cancelled before it started. Done.
    Cancelled,
    /// Finished with a value. Done.
    Succeeded,
    /// Finished with an error. Done.
    Failed,
}

impl State {
    pub(crate) fn from_bits(bits: u16) -> Self {
        if bits & READY == 0 {
            // `RESOLVED` without `READY` is the resolver's brief window before the outcome is
            // written: still pending or running as far as observers are concerned.
            if bits & RUNNING != 0 {
                State::Running
            } else {
                State::Pending
            }
        } else if bits & CANCELLED != 0 {
            State::Cancelled
        } else if bits & FAILED != 0 {
            State::Failed
        } else {
            State::Succeeded
        }
    }

    /// `true` for the done states: cancelled, succeeded, failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::State;
    /// assert!(State::Cancelled.is_done());
    /// assert!(!State::Running.is_done());
    /// ```
    pub fn is_done(self) -> bool {
        matches!(self, State::Cancelled | State::Succeeded | State::Failed)
    }
}

impl<T> Future<T> {
    pub(crate) fn from_inner(inner: Arc<Inner<T>>) -> Self {
        Future {
            handle: Handle::Plain(inner),
            _value: PhantomData,
        }
    }

    pub(crate) fn from_task(task: TaskArc<dyn Completion<T>>) -> Self {
        Future {
            handle: Handle::Task(task),
            _value: PhantomData,
        }
    }

    pub(crate) fn inner(&self) -> &Inner<T> {
        match &self.handle {
            Handle::Plain(inner) => inner,
            Handle::Task(task) => task.inner(),
        }
    }

    /// A future that is already done with `outcome` (CPython's finished-future fixtures).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Error, Future, State};
    ///
    /// assert_eq!(Future::from_result(Ok(5)).result(), Ok(5));
    /// let failed = Future::<u8>::from_result(Err(Error::Shutdown));
    /// assert_eq!(failed.state(), State::Failed);
    /// assert_eq!(Future::<u8>::from_result(Err(Error::Cancelled)).state(), State::Cancelled);
    /// ```
    pub fn from_result(outcome: Result<T, Error>) -> Self {
        Future::from_inner(Arc::new(Inner::resolved(outcome)))
    }

    /// Where the future is in its life.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, State};
    ///
    /// let (_producer, future) = promise::<()>();
    /// future.cancel();
    /// assert_eq!(future.state(), State::Cancelled);
    /// ```
    pub fn state(&self) -> State {
        State::from_bits(self.inner().state())
    }

    /// `true` once the future is cancelled or finished (Python's `done()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    ///
    /// let (producer, future) = promise();
    /// assert!(!future.is_done());
    /// producer.set_result(());
    /// assert!(future.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.inner().is_done()
    }

    /// `true` while the executor runs the call (Python's `running()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    ///
    /// let (producer, future) = promise::<()>();
    /// assert!(!future.is_running());
    /// producer.set_running_or_notify_cancel();
    /// assert!(future.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.state() == State::Running
    }

    /// `true` if the future was cancelled (Python's `cancelled()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    ///
    /// let (_producer, future) = promise::<()>();
    /// assert!(future.cancel());
    /// assert!(future.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.state() == State::Cancelled
    }

    /// Cancels the call if it has not started; `true` if the future is (now) cancelled.
    ///
    /// A running or finished call cannot be cancelled (`false`), as in Python. Cancelling
    /// runs the done-callbacks and wakes every waiter, including `wait`/`as_completed`
    /// (unlike CPython, where they can hang: gh-92001).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, Error};
    ///
    /// let (producer, future) = promise::<u8>();
    /// assert!(future.cancel());
    /// assert!(future.cancel(), "cancelling twice still reports cancelled");
    /// assert!(!producer.set_running_or_notify_cancel(), "the executor must not run it");
    /// assert_eq!(future.result(), Err(Error::Cancelled));
    ///
    /// let (producer, running) = promise::<u8>();
    /// producer.set_running_or_notify_cancel();
    /// assert!(!running.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner().cancel()
    }

    /// Blocks until the future is done and takes its outcome (Python's `result()`).
    ///
    /// Called from a worker of a thread pool on a future of that pool, the pool may run the
    /// worker's own queued work while waiting (see the thread pool's docs); otherwise the
    /// thread sleeps.
    ///
    /// # Errors
    ///
    /// The call's failure: [`Error::Panicked`], [`Error::Cancelled`], [`Error::Shutdown`], …
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    ///
    /// let (producer, future) = promise();
    /// std::thread::spawn(move || producer.set_result(42));
    /// assert_eq!(future.result(), Ok(42));
    /// ```
    pub fn result(self) -> Result<T, Error> {
        if !self.is_done() {
            let queued = help::help_or_take(self.key(), &|| !self.inner().is_done());
            if let Some(job) = queued {
                return self.run_inline(job);
            }
            self.inner().block();
        }
        self.inner().take()
    }

    /// The key of this future's call (see [`Job::key`]): for a future made with its job by
    /// `Spawn::spawn`, the same as the job's; otherwise a key no job has (the address of the
    /// future's own allocation).
    fn key(&self) -> usize {
        match &self.handle {
            Handle::Task(task) => std::ptr::from_ref(&**task).cast::<()>() as usize,
            Handle::Plain(inner) => Arc::as_ptr(inner).cast::<()>() as usize,
        }
    }

    /// Runs `job`, this future's own (a wait helper handed it back still queued), on this
    /// thread and returns the outcome: the fork-join fast path. Nobody else can reach a task
    /// whose both halves are here and whose state word holds nothing but the thread-start
    /// hint (no waiter, callback, waker or arbiter registered, not cancelled), so the call's
    /// outcome is returned directly, without being published in the future; otherwise the
    /// job runs the usual way.
    fn run_inline(self, job: Job) -> Result<T, Error> {
        if let Handle::Task(task) = &self.handle {
            if self.inner().is_untouched() {
                // SAFETY: `job` is this task's unique job side (its key), unacted, and
                // `self` is its unique future, held by value; the state word holds nothing
                // but the hint, which registers no party.
                let outcome = unsafe { task.run_inline() };
                job.discard_spent();
                return outcome;
            }
        }
        job.run();
        self.inner().take()
    }

    /// Waits at most `timeout`, then takes the outcome if the future is done.
    ///
    /// On timeout the future is unchanged and can be waited on again.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] if the future is not done in time; otherwise the call's failure,
    /// or [`Error::Consumed`] if the value was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cfut_core::{promise, Error};
    ///
    /// let (producer, mut future) = promise();
    /// assert_eq!(future.result_timeout(Duration::ZERO), Err(Error::TimedOut));
    /// producer.set_result(7);
    /// assert_eq!(future.result_timeout(Duration::from_secs(1)), Ok(7));
    /// assert_eq!(future.result_timeout(Duration::ZERO), Err(Error::Consumed));
    /// ```
    #[cfg(not(cfut_loom))]
    pub fn result_timeout(&mut self, timeout: std::time::Duration) -> Result<T, Error> {
        if self.inner().block_timeout(timeout) {
            self.inner().take()
        } else {
            Err(Error::TimedOut)
        }
    }

    /// Takes the outcome if the future is done, without blocking; `None` if it is not.
    ///
    /// (If the future's done-callbacks are still running on the completing thread, this waits
    /// for them to finish: they hold a reference to the outcome.)
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    ///
    /// let (producer, mut future) = promise();
    /// assert_eq!(future.try_result(), None);
    /// producer.set_result('x');
    /// assert_eq!(future.try_result(), Some(Ok('x')));
    /// ```
    pub fn try_result(&mut self) -> Option<Result<T, Error>> {
        self.is_done().then(|| self.inner().take())
    }

    /// Blocks until the future is done, without taking its outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    ///
    /// let (producer, future) = promise();
    /// std::thread::spawn(move || producer.set_result(1));
    /// future.wait();
    /// assert!(future.is_done());
    /// ```
    pub fn wait(&self) {
        if self.is_done() {
            return;
        }
        help::help_while(&|| !self.inner().is_done());
        self.inner().block();
    }

    /// Blocks until the future is done or `timeout` passes; `true` if it is done.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cfut_core::promise;
    ///
    /// let (_producer, future) = promise::<()>();
    /// assert!(!future.wait_timeout(Duration::from_millis(5)));
    /// ```
    #[cfg(not(cfut_loom))]
    pub fn wait_timeout(&self, timeout: std::time::Duration) -> bool {
        self.inner().block_timeout(timeout)
    }

    /// Runs `callback` with the outcome once the future is done — at once, on this thread, if
    /// it already is; otherwise on the thread that completes or cancels it.
    ///
    /// Callbacks run exactly once, in registration order. A panicking callback is caught and
    /// reported on stderr; the others still run. A cancelled future passes
    /// `Err(&Error::Cancelled)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use cfut_core::promise;
    ///
    /// let (producer, future) = promise::<u32>();
    /// let (tx, rx) = mpsc::channel();
    /// future.add_done_callback(move |outcome| tx.send(outcome.map(|v| *v).map_err(Clone::clone)).unwrap());
    /// producer.set_result(5);
    /// assert_eq!(rx.recv().unwrap(), Ok(5));
    /// ```
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(Result<&T, &Error>) + Send + 'static,
    {
        self.inner().add_callback(Box::new(callback));
    }

    /// Registers `waiter` to receive `token` once this future is done (at once if it is).
    ///
    /// See [`Waiter`]. Registering the same waiter twice delivers the token twice.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{Future, Waiter};
    ///
    /// let waiter = Waiter::new();
    /// Future::from_result(Ok(1)).watch(&waiter, 9);
    /// let mut ready = Vec::new();
    /// assert!(waiter.try_wait_into(&mut ready));
    /// assert_eq!(ready, [9]);
    /// ```
    pub fn watch(&self, waiter: &Waiter, token: usize) {
        self.inner().watch(&waiter.shared, token);
    }

    /// Removes every registration of `waiter` from this future.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, Waiter};
    ///
    /// let (producer, future) = promise();
    /// let waiter = Waiter::new();
    /// future.watch(&waiter, 0);
    /// future.unwatch(&waiter);
    /// producer.set_result(());
    /// assert!(!waiter.try_wait_into(&mut Vec::new()));
    /// ```
    pub fn unwatch(&self, waiter: &Waiter) {
        self.inner().unwatch(&waiter.shared);
    }
}

/// The type-erased view of a [`Future`], for code that handles futures of different result
/// types together (`wait`, `as_completed` over a mixed set).
///
/// # Examples
///
/// ```
/// use cfut_core::{AnyFuture, Future, State};
///
/// let number = Future::from_result(Ok(1_u8));
/// let text = Future::from_result(Ok("one"));
/// let mixed: [&dyn AnyFuture; 2] = [&number, &text];
/// assert!(mixed.iter().all(|f| f.state() == State::Succeeded));
/// ```
pub trait AnyFuture {
    /// See [`Future::state`].
    fn state(&self) -> State;
    /// See [`Future::is_done`].
    fn is_done(&self) -> bool;
    /// See [`Future::cancel`].
    fn cancel(&self) -> bool;
    /// See [`Future::watch`].
    fn watch(&self, waiter: &Waiter, token: usize);
    /// See [`Future::unwatch`].
    fn unwatch(&self, waiter: &Waiter);
    /// See [`Future::wait`].
    fn wait(&self);
    /// See [`Future::wait_timeout`].
    #[cfg(not(cfut_loom))]
    fn wait_timeout(&self, timeout: std::time::Duration) -> bool;
}

impl<T> AnyFuture for Future<T> {
    fn state(&self) -> State {
        Future::state(self)
    }
    fn is_done(&self) -> bool {
        Future::is_done(self)
    }
    fn cancel(&self) -> bool {
        Future::cancel(self)
    }
    fn watch(&self, waiter: &Waiter, token: usize) {
        Future::watch(self, waiter, token)
    }
    fn unwatch(&self, waiter: &Waiter) {
        Future::unwatch(self, waiter)
    }
    fn wait(&self) {
        Future::wait(self)
    }
    #[cfg(not(cfut_loom))]
    fn wait_timeout(&self, timeout: std::time::Duration) -> bool {
        Future::wait_timeout(self, timeout)
    }
}

impl<T> std::future::Future for Future<T> {
    type Output = Result<T, Error>;

    /// Ready with the outcome once done. The last waker given is woken exactly once, on
    /// completion; polling again after `Ready` gives `Err(Error::Consumed)`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.inner().register_waker(cx.waker()) {
            Poll::Ready(self.inner().take())
        } else {
            Poll::Pending
        }
    }
}

// The handle is a pointer; pinning it pins nothing.
impl<T> Unpin for Future<T> {}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Future")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
