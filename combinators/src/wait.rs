//! [`wait`] and [`wait_timeout`]: Python's `concurrent.futures.wait`.

use cfut_core::{State, Waiter};

use crate::waitable::{Waitable, collect_unique};

/// When [`wait`] returns: Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`.
///
/// A cancelled future counts as *completed* (so it ends a `FirstCompleted` wait), but not as
/// an exception.
///
/// # Examples
///
/// ```
/// use cfut_combinators::ReturnWhen;
/// assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted, "Python's default");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any future is done (finished or cancelled).
    FirstCompleted,
    /// As soon as any future fails (an error other than a cancellation), or when all are done.
    FirstException,
    /// When every future is done.
    #[default]
    AllCompleted,
}

/// What [`wait`] returns: `(done, not_done)`, Python's `DoneAndNotDoneFutures` named tuple,
/// destructured the same way: `let (done, not_done) = wait(futures, ReturnWhen::FirstCompleted);`.
///
/// Every future given (less duplicates) is in exactly one of the two, in the order given.
/// Futures in `done` are done (finished or cancelled); a future in `not_done` may have
/// completed right after the split was taken.
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, Future};
/// use cfut_combinators::{wait, DoneAndNotDone, ReturnWhen};
///
/// let (_producer, pending) = promise::<u8>();
/// let ready = Future::from_result(Ok(1_u8));
/// let (done, not_done): DoneAndNotDone<_> = wait(vec![pending, ready], ReturnWhen::FirstCompleted);
/// assert_eq!(done.len(), 1);
/// assert_eq!(not_done.len(), 1);
/// ```
pub type DoneAndNotDone<F> = (Vec<F>, Vec<F>);

/// Blocks until `return_when` is satisfied, then splits `futures` into done and not done.
///
/// Futures may come from different executors and, through the type-erased view (see
/// [`Waitable`]), have different result types. Duplicates (the same borrowed future twice)
/// are collapsed. No polling: `FirstCompleted` and `FirstException` block on one any-of-N
/// [`Waiter`]; `AllCompleted` blocks on each future in turn (so, called on a worker of a
/// thread pool, it lets the pool run queued work meanwhile).
///
/// Unlike CPython, a future cancelled by its user (or by a cancelling shutdown) counts as done
/// at once: CPython can hang forever on it (gh-92001, gh-109934); we fix that on purpose.
///
/// # Examples
///
/// ```
/// use cfut_core::promise;
/// use cfut_combinators::{wait, ReturnWhen};
///
/// let (first, f1) = promise::<u32>();
/// let (second, f2) = promise::<u32>();
/// std::thread::spawn(move || {
///     first.set_result(1);
///     second.set_result(2);
/// });
/// let (done, not_done) = wait(vec![f1, f2], ReturnWhen::AllCompleted);
/// assert!(not_done.is_empty());
/// let sum: u32 = done.into_iter().map(|f| f.result().unwrap()).sum();
/// assert_eq!(sum, 3);
/// ```
pub fn wait<F, I>(futures: I, return_when: ReturnWhen) -> DoneAndNotDone<F>
where
    F: Waitable,
    I: IntoIterator<Item = F>,
{
    let futures = collect_unique(futures);
    if return_when == ReturnWhen::AllCompleted {
        // Every future must be done: block on each in turn, on its own parking primitive. That
        // needs no any-of-N waiter (whose sleeper is woken by every completion), and lets a
        // pool worker that waits run queued work meanwhile (the pool's wait helper).
        for future in &futures {
            future.as_any_future().wait();
        }
    } else {
        block(&futures, return_when, |waiter, ready| {
            waiter.wait_into(ready);
            true
        });
    }
    partition(futures)
}

/// Like [`wait`], but returns at the latest after `timeout` with the partition at that
/// moment: a timeout is not an error (Python's `wait(fs, timeout)`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_core::{promise, Future};
/// use cfut_combinators::{wait_timeout, ReturnWhen};
///
/// let (_producer, never) = promise::<()>();
/// let ready = Future::from_result(Ok(()));
/// let (done, not_done) = wait_timeout(vec![ready, never], ReturnWhen::AllCompleted, Duration::from_millis(20));
/// assert_eq!((done.len(), not_done.len()), (1, 1));
/// ```
#[cfg(not(cfut_loom))]
pub fn wait_timeout<F, I>(
    futures: I,
    return_when: ReturnWhen,
    timeout: std::time::Duration,
) -> DoneAndNotDone<F>
where
    F: Waitable,
    I: IntoIterator<Item = F>,
{
    let deadline = std::time::Instant::now().checked_add(timeout);
    let futures = collect_unique(futures);
    block(&futures, return_when, |waiter, ready| match deadline {
        Some(deadline) => waiter.wait_deadline_into(ready, deadline),
        // A timeout too large to represent is a wait without a deadline.
        None => {
            waiter.wait_into(ready);
            true
        }
    });
    partition(futures)
}

/// `true` if the state alone satisfies an early return for `return_when`.
fn satisfied(return_when: ReturnWhen, states: impl Iterator<Item = State>) -> bool {
    let mut all_done = true;
    for state in states {
        match (return_when, state) {
            (_, State::Pending | State::Running) => all_done = false,
            (ReturnWhen::FirstCompleted, _) => return true,
            (ReturnWhen::FirstException, State::Failed) => return true,
            _ => {}
        }
    }
    all_done
}

/// Waits until `return_when` holds. `sleep` blocks for ready tokens; `false` means the
/// deadline passed.
fn block<F: Waitable>(
    futures: &[F],
    return_when: ReturnWhen,
    mut sleep: impl FnMut(&Waiter, &mut Vec<usize>) -> bool,
) {
    let Some(mut watch) = Watch::start(futures, return_when) else {
        return;
    };
    while sleep(&watch.waiter, &mut watch.tokens) {
        if watch.absorb(futures, return_when) {
            break;
        }
    }
    watch.stop(futures);
}

/// A wait in progress: one any-of-N waiter registered on the futures that were not done.
/// Shared by the blocking [`wait`]/[`wait_timeout`] and the async `wait_async`.
pub(crate) struct Watch {
    pub(crate) waiter: Waiter,
    /// Registered futures whose token has not come yet.
    pending: usize,
    /// Tokens the waiter handed over and `absorb` has not looked at yet.
    pub(crate) tokens: Vec<usize>,
}

impl Watch {
    /// Registers a waiter on every future not done, or `None` if the states alone satisfy
    /// `return_when` already.
    pub(crate) fn start<F: Waitable>(futures: &[F], return_when: ReturnWhen) -> Option<Self> {
        if satisfied(
            return_when,
            futures.iter().map(|f| f.as_any_future().state()),
        ) {
            return None;
        }
        let waiter = Waiter::new();
        let mut pending = 0_usize;
        for (index, future) in futures.iter().enumerate() {
            let future = future.as_any_future();
            if !future.is_done() {
                future.watch(&waiter, index);
                pending += 1;
            }
        }
        Some(Watch {
            waiter,
            pending,
            tokens: Vec::new(),
        })
    }

    /// Takes in the tokens handed over; `true` once `return_when` holds.
    pub(crate) fn absorb<F: Waitable>(&mut self, futures: &[F], return_when: ReturnWhen) -> bool {
        self.pending -= self.tokens.len();
        let failed = self
            .tokens
            .drain(..)
            .any(|index| futures[index].as_any_future().state() == State::Failed);
        self.pending == 0
            || match return_when {
                ReturnWhen::FirstCompleted => true,
                ReturnWhen::FirstException => failed,
                ReturnWhen::AllCompleted => false,
            }
    }

    /// Unregisters the waiter from the futures whose token has not come.
    pub(crate) fn stop<F: Waitable>(&mut self, futures: &[F]) {
        if self.pending > 0 {
            for future in futures {
                future.as_any_future().unwatch(&self.waiter);
            }
            self.pending = 0;
        }
    }
}

/// Splits by the state now. Done is monotonic, so everything in `done` really is done.
pub(crate) fn partition<F: Waitable>(futures: Vec<F>) -> DoneAndNotDone<F> {
    futures
        .into_iter()
        .partition(|f| f.as_any_future().is_done())
}
