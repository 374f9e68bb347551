//! [`wait_async`]: [`wait`](crate::wait()) for async code (the `async` feature).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::wait::{DoneAndNotDone, ReturnWhen, Watch, partition};
use crate::waitable::{Waitable, collect_unique};

/// [`wait`](crate::wait()) for async code: a future that completes with `(done, not_done)`
/// once `return_when` holds, without blocking a thread. Python's `asyncio.wait(fs,
/// return_when=...)` over `concurrent.futures` futures.
///
/// Everything [`wait`](crate::wait()) promises holds: futures from any executor, mixed result
/// types through [`Waitable`], duplicates collapsed, a cancelled future counts as done. It
/// works under any runtime (tokio, `futures::executor`, ...): nothing polls in a loop; the
/// futures' completions wake the task through one any-of-N
/// waiter (`cfut_core::Waiter`), on the completing thread. Like every Rust future it does
/// nothing until polled; dropping it before it completes unregisters it and leaves the
/// futures untouched. For a deadline, race it against your runtime's timer (e.g.
/// `tokio::time::timeout`).
///
/// It is named `wait_async` rather than `wait` so that the prelude can offer both.
/// Only available when the `async` feature is activated.
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, Future};
/// use cfut_combinators::{wait_async, ReturnWhen};
///
/// let (producer, pending) = promise::<u32>();
/// let futures = vec![pending, Future::from_result(Ok(1))];
/// let finisher = std::thread::spawn(move || producer.set_result(2));
/// let (done, not_done) = futures::executor::block_on(wait_async(futures, ReturnWhen::AllCompleted));
/// assert!(not_done.is_empty());
/// let sum: u32 = done.into_iter().map(|f| f.result().unwrap()).sum();
/// assert_eq!(sum, 3);
/// finisher.join().unwrap();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub fn wait_async<F, I>(futures: I, return_when: ReturnWhen) -> WaitAsync<F>
where
    F: Waitable,
    I: IntoIterator<Item = F>,
{
    WaitAsync {
        futures: Some(collect_unique(futures)),
        return_when,
        watch: None,
    }
}

/// The future returned by [`wait_async`].
///
/// # Panics
///
/// Polling it again after it completed panics (as an `async fn`'s future does).
///
/// # Examples
///
/// ```
/// use cfut_core::{promise, Future};
/// use cfut_combinators::{wait_async, ReturnWhen};
///
/// let (_producer, never) = promise::<u8>();
/// let wait = wait_async(vec![never, Future::from_result(Ok(1))], ReturnWhen::FirstCompleted);
/// let (done, not_done) = futures::executor::block_on(wait);
/// assert_eq!((done.len(), not_done.len()), (1, 1));
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub struct WaitAsync<F: Waitable> {
    /// `None` once the output was handed over.
    futures: Option<Vec<F>>,
    return_when: ReturnWhen,
    /// Registered at the first poll that could not complete at once.
    watch: Option<Watch>,
}

impl<F: Waitable> std::future::Future for WaitAsync<F> {
    type Output = DoneAndNotDone<F>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.poll_satisfied(cx) {
            Poll::Ready(()) => Poll::Ready(this.finish()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Waitable> WaitAsync<F> {
    /// `Ready` once `return_when` holds; registers the waiter at the first poll that cannot
    /// complete at once.
    fn poll_satisfied(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let futures = self
            .futures
            .as_deref()
            .expect("`WaitAsync` polled after it completed");
        let watch = match &mut self.watch {
            Some(watch) => watch,
            None => match Watch::start(futures, self.return_when) {
                Some(watch) => self.watch.insert(watch),
                None => return Poll::Ready(()),
            },
        };
        loop {
            if watch.waiter.poll_into(cx, &mut watch.tokens).is_pending() {
                return Poll::Pending;
            }
            if watch.absorb(futures, self.return_when) {
                return Poll::Ready(());
            }
        }
    }

    /// Unregisters and splits the futures.
    fn finish(&mut self) -> DoneAndNotDone<F> {
        let futures = self.futures.take().unwrap_or_default();
        if let Some(mut watch) = self.watch.take() {
            watch.stop(&futures);
        }
        partition(futures)
    }
}

// Nothing in it is pinned: the futures are moved out by value.
impl<F: Waitable> Unpin for WaitAsync<F> {}

impl<F: Waitable> Drop for WaitAsync<F> {
    /// Unregisters from the futures not done yet (they are dropped with it).
    fn drop(&mut self) {
        if let (Some(futures), Some(watch)) = (&self.futures, &mut self.watch) {
            watch.stop(futures);
        }
    }
}

impl<F: Waitable> fmt::Debug for WaitAsync<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitAsync")
            .field("return_when", &self.return_when)
            .field("futures", &self.futures.as_ref().map(Vec::len))
            .field("started", &self.watch.is_some())
            .finish_non_exhaustive()
    }
}
