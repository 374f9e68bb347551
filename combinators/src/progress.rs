//! [`Progress`]: a progress bar over a long `map` or `as_completed` (the `indicatif` feature).

use std::fmt;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// An iterator that advances a progress bar — count, rate and, when the total is known, ETA —
/// for each item it yields: what tqdm's `thread_map`/`process_map` give Python users.
///
/// Made by `Map::progress`, `AsCompleted::progress` and `AsCompletedTimeout::progress`. The
/// bar is drawn on stderr only when stderr is a terminal, and cleared when the iterator is
/// exhausted or dropped. Only available when the `indicatif` feature is activated.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_combinators::MapExt;
///
/// let executor = InlineExecutor::new();
/// let total: u32 = executor.map(|x: u32| x, 1..=100).progress().map(Result::unwrap).sum();
/// assert_eq!(total, 5050);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "indicatif")))]
pub struct Progress<I> {
    inner: I,
    bar: ProgressBar,
}

impl<I: Iterator> Progress<I> {
    pub(crate) fn new(inner: I, total: Option<u64>) -> Self {
        let bar = match total {
            Some(total) => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(
                    "{wide_bar} {pos}/{len} [{elapsed_precise}<{eta_precise}, {per_sec}]",
                ) {
                    bar.set_style(style);
                }
                bar
            }
            None => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} {pos} [{elapsed_precise}, {per_sec}]")
                {
                    bar.set_style(style);
                }
                bar
            }
        };
        Progress { inner, bar }
    }

    /// The wrapped iterator.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Future;
    /// use cfut_combinators::as_completed;
    ///
    /// let it = as_completed(vec![Future::from_result(Ok(1))]).progress();
    /// assert_eq!(it.get_ref().len(), 1);
    /// ```
    pub fn get_ref(&self) -> &I {
        &self.inner
    }
}

impl<I: Iterator> Iterator for Progress<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next();
        match item {
            Some(_) => self.bar.inc(1),
            None => self.bar.finish_and_clear(),
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<I> Drop for Progress<I> {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

impl<I: fmt::Debug> fmt::Debug for Progress<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("inner", &self.inner)
            .field("position", &self.bar.position())
            .finish_non_exhaustive()
    }
}
