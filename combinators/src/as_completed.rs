//! [`as_completed`] and [`as_completed_timeout`]: Python's `concurrent.futures.as_completed`.
//!
//! * [`AsCompleted`], the iterator of futures in completion order;
//! * [`AsCompletedTimeout`], the same with a deadline, ending in an [`UnfinishedError`].

use std::collections::VecDeque;
use std::fmt;

use cfut_core::Waiter;

use crate::waitable::{Waitable, collect_unique};

/// Yields `futures` as they complete: those already done first (in the order given), then
/// the others in completion order, each exactly once.
///
/// Futures may come from different executors and, through the type-erased view (see
/// [`Waitable`]), have different result types. Duplicates (the same borrowed future twice)
/// are yielded once. A cancelled future counts as completed and is yielded at once (CPython
/// never yields a user-cancelled future and can hang forever, gh-92001; we fix that on
/// purpose). The iterator blocks on one any-of-N [`Waiter`] (no polling), keeps no reference
/// to a future it has yielded, and dropping it leaves the remaining futures untouched.
///
/// # Examples
///
/// ```
/// use cfut_core::promise;
/// use cfut_combinators::as_completed;
///
/// let (slow, slow_future) = promise::<&str>();
/// let (fast, fast_future) = promise::<&str>();
/// fast.set_result("fast"); // done before the call: yielded first
/// let mut it = as_completed(vec![slow_future, fast_future]);
/// assert_eq!(it.next().unwrap().result(), Ok("fast"));
/// let finisher = std::thread::spawn(move || slow.set_result("slow"));
/// assert_eq!(it.next().unwrap().result(), Ok("slow"), "blocks until it completes");
/// assert!(it.next().is_none());
/// finisher.join().unwrap();
/// ```
pub fn as_completed<F, I>(futures: I) -> AsCompleted<F>
where
    F: Waitable,
    I: IntoIterator<Item = F>,
{
    AsCompleted {
        tracker: Tracker::new(futures),
    }
}

/// Like [`as_completed`], with a deadline `timeout` after this call: once it passes with
/// futures still unfinished, the iterator yields one `Err(UnfinishedError)` saying how many
/// (of how many) are unfinished, and ends. Nothing is cancelled; the unfinished futures can
/// be taken back with [`AsCompletedTimeout::into_remaining`].
///
/// (Python measures the timeout from the first `next()`, against its documentation; we
/// measure it from the call, as documented there.)
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_core::{promise, Future};
/// use cfut_combinators::as_completed_timeout;
///
/// let (_producer, never) = promise::<u8>();
/// let mut it = as_completed_timeout(vec![Future::from_result(Ok(1)), never], Duration::from_millis(10));
/// assert_eq!(it.next().unwrap().unwrap().result(), Ok(1));
/// let error = it.next().unwrap().unwrap_err();
/// assert_eq!(error.to_string(), "1 (of 2) futures unfinished");
/// assert!(it.next().is_none());
/// assert_eq!(it.into_remaining().len(), 1);
/// ```
#[cfg(not(cfut_loom))]
pub fn as_completed_timeout<F, I>(futures: I, timeout: std::time::Duration) -> AsCompletedTimeout<F>
where
    F: Waitable,
    I: IntoIterator<Item = F>,
{
    let deadline = std::time::Instant::now().checked_add(timeout);
    AsCompletedTimeout {
        tracker: Tracker::new(futures),
        deadline,
        expired: false,
    }
}

/// The iterator returned by [`as_completed`]: futures in completion order.
///
/// # Examples
///
/// ```
/// use cfut_core::Future;
/// use cfut_combinators::as_completed;
///
/// let mut it = as_completed(vec![Future::from_result(Ok(1)), Future::from_result(Ok(2))]);
/// assert_eq!(it.len(), 2);
/// assert_eq!(it.next().unwrap().result(), Ok(1));
/// assert_eq!(it.len(), 1);
/// ```
pub struct AsCompleted<F: Waitable> {
    tracker: Tracker<F>,
}

impl<F: Waitable> AsCompleted<F> {
    /// Stops tracking and gives back the futures not yielded yet, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::promise;
    /// use cfut_combinators::as_completed;
    ///
    /// let (_producer, pending) = promise::<()>();
    /// let it = as_completed(vec![pending]);
    /// assert_eq!(it.into_remaining().len(), 1);
    /// ```
    pub fn into_remaining(mut self) -> Vec<F> {
        self.tracker.take_remaining()
    }

    /// Shows a tqdm-style progress bar (percentage, count, elapsed and remaining time, rate
    /// in calls/s; name it with [`Progress::label`](crate::Progress::label)) on stderr while
    /// iterating, if stderr is a terminal; silent otherwise. The last line stays on screen.
    /// Only available when the `indicatif` feature is activated.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Future;
    /// use cfut_combinators::as_completed;
    ///
    /// let n = as_completed(vec![Future::from_result(Ok(()))]).progress().count();
    /// assert_eq!(n, 1);
    /// ```
    #[cfg(feature = "indicatif")]
    #[cfg_attr(docsrs, doc(cfg(feature = "indicatif")))]
    pub fn progress(self) -> crate::Progress<Self> {
        let total = self.tracker.remaining as u64;
        crate::Progress::new(self, Some(total))
    }

    /// The same futures as an async [`Stream`](https://docs.rs/futures-core/0.3/futures_core/stream/trait.Stream.html), for async code: see
    /// [`AsCompletedStream`](crate::AsCompletedStream). Only available when the `async`
    /// feature is activated.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Future;
    /// use cfut_combinators::as_completed;
    /// use futures::StreamExt;
    ///
    /// let futures = vec![Future::from_result(Ok(1)), Future::from_result(Ok(2))];
    /// let values: Vec<u32> = futures::executor::block_on(
    ///     as_completed(futures).into_stream().map(|f| f.result().unwrap()).collect(),
    /// );
    /// assert_eq!(values, [1, 2]);
    /// ```
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    pub fn into_stream(self) -> crate::AsCompletedStream<F> {
        crate::AsCompletedStream::new(self.tracker)
    }
}

impl<F: Waitable> Iterator for AsCompleted<F> {
    type Item = F;

    fn next(&mut self) -> Option<F> {
        self.tracker.next_with(|waiter, ready| {
            waiter.wait_into(ready);
            true
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.tracker.remaining, Some(self.tracker.remaining))
    }
}

impl<F: Waitable> ExactSizeIterator for AsCompleted<F> {}

impl<F: Waitable> std::iter::FusedIterator for AsCompleted<F> {}

impl<F: Waitable> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.tracker.remaining)
            .field("total", &self.tracker.total)
            .finish_non_exhaustive()
    }
}

/// The iterator returned by [`as_completed_timeout`]: `Ok` futures in completion order, then,
/// if the deadline passes first, one `Err(UnfinishedError)`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_core::Future;
/// use cfut_combinators::as_completed_timeout;
///
/// let it = as_completed_timeout(vec![Future::from_result(Ok(5))], Duration::from_secs(5));
/// let values: Vec<_> = it.map(|f| f.unwrap().result().unwrap()).collect();
/// assert_eq!(values, [5]);
/// ```
#[cfg(not(cfut_loom))]
pub struct AsCompletedTimeout<F: Waitable> {
    tracker: Tracker<F>,
    deadline: Option<std::time::Instant>,
    expired: bool,
}

#[cfg(not(cfut_loom))]
impl<F: Waitable> AsCompletedTimeout<F> {
    /// Stops tracking and gives back the futures not yielded yet, in the order given — after
    /// an [`UnfinishedError`], the unfinished ones.
    ///
    /// # Examples
    ///
    /// See [`as_completed_timeout`].
    pub fn into_remaining(mut self) -> Vec<F> {
        self.tracker.take_remaining()
    }

    /// Shows a tqdm-style progress bar (percentage, count, elapsed and remaining time, rate
    /// in calls/s; name it with [`Progress::label`](crate::Progress::label)) on stderr while
    /// iterating, if stderr is a terminal; silent otherwise. The last line stays on screen.
    /// Only available when the `indicatif` feature is activated.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cfut_core::Future;
    /// use cfut_combinators::as_completed_timeout;
    ///
    /// let it = as_completed_timeout(vec![Future::from_result(Ok(()))], Duration::from_secs(1));
    /// assert_eq!(it.progress().filter(Result::is_ok).count(), 1);
    /// ```
    #[cfg(feature = "indicatif")]
    #[cfg_attr(docsrs, doc(cfg(feature = "indicatif")))]
    pub fn progress(self) -> crate::Progress<Self> {
        let total = self.tracker.remaining as u64;
        crate::Progress::new(self, Some(total))
    }
}

#[cfg(not(cfut_loom))]
impl<F: Waitable> Iterator for AsCompletedTimeout<F> {
    type Item = Result<F, UnfinishedError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.expired {
            return None;
        }
        let deadline = self.deadline;
        let mut timed_out = false;
        let next = self.tracker.next_with(|waiter, ready| match deadline {
            Some(deadline) => {
                timed_out = !waiter.wait_deadline_into(ready, deadline);
                !timed_out
            }
            None => {
                waiter.wait_into(ready);
                true
            }
        });
        if timed_out {
            self.expired = true;
            return Some(Err(UnfinishedError {
                unfinished: self.tracker.remaining,
                total: self.tracker.total,
            }));
        }
        next.map(Ok)
    }
}

#[cfg(not(cfut_loom))]
impl<F: Waitable> std::iter::FusedIterator for AsCompletedTimeout<F> {}

#[cfg(not(cfut_loom))]
impl<F: Waitable> fmt::Debug for AsCompletedTimeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("remaining", &self.tracker.remaining)
            .field("total", &self.tracker.total)
            .field("expired", &self.expired)
            .finish_non_exhaustive()
    }
}

/// The deadline of [`as_completed_timeout`] passed with futures unfinished (Python's
/// `TimeoutError("2 (of 4) futures unfinished")`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_core::promise;
/// use cfut_combinators::as_completed_timeout;
///
/// let (_p, pending) = promise::<()>();
/// let error = as_completed_timeout(vec![pending], Duration::ZERO).next().unwrap().unwrap_err();
/// assert_eq!((error.unfinished(), error.total()), (1, 1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnfinishedError {
    unfinished: usize,
    total: usize,
}

impl UnfinishedError {
    /// How many futures were not done at the deadline.
    ///
    /// # Examples
    ///
    /// See [`UnfinishedError`].
    pub fn unfinished(&self) -> usize {
        self.unfinished
    }

    /// How many (distinct) futures were given.
    ///
    /// # Examples
    ///
    /// See [`UnfinishedError`].
    pub fn total(&self) -> usize {
        self.total
    }
}

impl fmt::Display for UnfinishedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (of {}) futures unfinished",
            self.unfinished, self.total
        )
    }
}

impl std::error::Error for UnfinishedError {}

/// The shared machinery: the futures not yet yielded, the ready queue and the waiter.
pub(crate) struct Tracker<F: Waitable> {
    /// `None` once yielded (so the iterator keeps no reference to it, bpo-27144).
    slots: Vec<Option<F>>,
    /// Indices of done futures not yet yielded, in the order to yield them.
    ready: VecDeque<usize>,
    /// Futures not yet yielded.
    pub(crate) remaining: usize,
    pub(crate) total: usize,
    waiter: Waiter,
    /// Scratch space for the tokens the waiter hands over.
    tokens: Vec<usize>,
}

impl<F: Waitable> Tracker<F> {
    fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let futures = collect_unique(futures);
        let total = futures.len();
        let waiter = Waiter::new();
        let mut ready = VecDeque::new();
        // One pass: a future done when we look at it is yielded first, in the order given;
        // the others are watched, and their tokens are taken only once those are yielded (a
        // future completing in between is handed over by `watch` at once). One pass, not a
        // look at all then a watch of the rest: with many futures the second pass would
        // fetch every future's state from memory again.
        for (index, future) in futures.iter().enumerate() {
            let future = future.as_any_future();
            if future.is_done() {
                ready.push_back(index);
            } else {
                future.watch(&waiter, index);
            }
        }
        Tracker {
            slots: futures.into_iter().map(Some).collect(),
            ready,
            remaining: total,
            total,
            waiter,
            tokens: Vec::new(),
        }
    }

    /// The next future to yield; `sleep` blocks until tokens are ready (`false`: deadline).
    pub(crate) fn next_with(
        &mut self,
        mut sleep: impl FnMut(&Waiter, &mut Vec<usize>) -> bool,
    ) -> Option<F> {
        loop {
            if let Some(index) = self.ready.pop_front() {
                let future = self.slots[index].take();
                debug_assert!(future.is_some(), "a future is handed over once");
                if let Some(future) = future {
                    self.remaining -= 1;
                    return Some(future);
                }
                continue;
            }
            if self.remaining == 0 {
                return None;
            }
            if !sleep(&self.waiter, &mut self.tokens) {
                return None;
            }
            self.ready.extend(self.tokens.drain(..));
        }
    }

    pub(crate) fn take_remaining(&mut self) -> Vec<F> {
        self.unwatch_all();
        self.remaining = 0;
        self.ready.clear();
        self.slots.drain(..).flatten().collect()
    }

    fn unwatch_all(&self) {
        if self.remaining == 0 {
            return;
        }
        for future in self.slots.iter().flatten() {
            future.as_any_future().unwatch(&self.waiter);
        }
    }
}

impl<F: Waitable> Drop for Tracker<F> {
    /// Removes the waiter from every future still tracked (CPython's cleanup).
    fn drop(&mut self) {
        self.unwatch_all();
    }
}
