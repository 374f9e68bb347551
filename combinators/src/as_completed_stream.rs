//! [`AsCompletedStream`]: [`as_completed`](crate::as_completed()) for async code (the `async`
//! feature).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::stream::FusedStream;

use crate::as_completed::Tracker;
use crate::waitable::Waitable;

/// [`as_completed`](crate::as_completed()) as an async [`Stream`]: the futures in completion
/// order, done ones first, each exactly once, without blocking a thread. Made by
/// [`AsCompleted::into_stream`](crate::AsCompleted::into_stream).
///
/// Each future it yields is done, so its [`result`](cfut_core::Future::result) returns at
/// once: map the stream to get results instead of futures
/// (`stream.map(|f| f.result())` with `futures::StreamExt`). It works under any runtime
/// (tokio, `futures::executor`, ...): nothing polls in a loop; each completion wakes the task
/// through one any-of-N waiter (`cfut_core::Waiter`), on the completing thread. A cancelled
/// future counts as completed. Dropping the stream midway unregisters it from the futures
/// not yielded and leaves them untouched; [`into_remaining`](Self::into_remaining) gives them
/// back. For a deadline, use your runtime's timer (e.g. `tokio::time::timeout` around each
/// `next()`).
///
/// Why a separate type rather than `Stream` on [`AsCompleted`](crate::AsCompleted) itself:
/// `AsCompleted` is an `Iterator`, and with `futures::StreamExt` in scope a type that is both
/// would make every `it.next()` ambiguous.
///
/// Only available when the `async` feature is activated.
///
/// [`Stream`]: https://docs.rs/futures-core/0.3/futures_core/stream/trait.Stream.html
///
/// # Examples
///
/// ```
/// use cfut_core::promise;
/// use cfut_combinators::as_completed;
/// use futures::StreamExt;
///
/// let (slow, slow_future) = promise::<&str>();
/// let (fast, fast_future) = promise::<&str>();
/// fast.set_result("fast");
/// let mut stream = as_completed(vec![slow_future, fast_future]).into_stream();
/// futures::executor::block_on(async {
///     assert_eq!(stream.next().await.unwrap().result(), Ok("fast"));
///     let finisher = std::thread::spawn(move || slow.set_result("slow"));
///     assert_eq!(stream.next().await.unwrap().result(), Ok("slow"));
///     assert!(stream.next().await.is_none());
///     finisher.join().unwrap();
/// });
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub struct AsCompletedStream<F: Waitable> {
    tracker: Tracker<F>,
}

impl<F: Waitable> AsCompletedStream<F> {
    pub(crate) fn new(tracker: Tracker<F>) -> Self {
        AsCompletedStream { tracker }
    }

    /// Stops tracking and gives back the futures not yielded yet, in the order given.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{promise, Future};
    /// use cfut_combinators::as_completed;
    /// use futures::StreamExt;
    ///
    /// let (_producer, pending) = promise::<u8>();
    /// let mut stream = as_completed(vec![Future::from_result(Ok(1)), pending]).into_stream();
    /// assert!(futures::executor::block_on(stream.next()).is_some());
    /// assert_eq!(stream.into_remaining().len(), 1);
    /// ```
    pub fn into_remaining(mut self) -> Vec<F> {
        self.tracker.take_remaining()
    }
}

impl<F: Waitable> Stream for AsCompletedStream<F> {
    type Item = F;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F>> {
        let mut pending = false;
        let next = self.get_mut().tracker.next_with(|waiter, ready| {
            pending = waiter.poll_into(cx, ready).is_pending();
            !pending
        });
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(next)
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.tracker.remaining, Some(self.tracker.remaining))
    }
}

impl<F: Waitable> FusedStream for AsCompletedStream<F> {
    fn is_terminated(&self) -> bool {
        self.tracker.remaining == 0
    }
}

// Nothing in it is pinned: futures are moved out by value.
impl<F: Waitable> Unpin for AsCompletedStream<F> {}

impl<F: Waitable> fmt::Debug for AsCompletedStream<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedStream")
            .field("remaining", &self.tracker.remaining)
            .field("total", &self.tracker.total)
            .finish_non_exhaustive()
    }
}
