//! [`Progress`]: a tqdm-style progress bar over a long `map` or `as_completed` (the
//! `indicatif` feature).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The bar's line when the total is known, tqdm's layout with a label, the percentage, the
/// bar, the count, elapsed and remaining time and the rate:
/// `hashing:  45%|████▌     | 45/100 [1.2s<1.4s, 38.2 calls/s]`.
const BAR_TEMPLATE: &str = "{prefix}{percent:>3}%|{wide_bar}| {pos}/{len} [{took}<{left}, {rate}]";

/// The line when the total is unknown: `hashing: ⠙ 45 calls [1.2s, 38.2 calls/s]`.
const COUNT_TEMPLATE: &str = "{prefix}{spinner} {pos} calls [{took}, {rate}]";

/// tqdm's Unicode bar: full blocks, one eighth-step partial block, then blanks.
const BAR_CHARS: &str = "█▉▊▋▌▍▎▏ ";

/// An iterator that advances a progress bar for each item it yields, laid out as tqdm's:
/// an optional label, the percentage, the bar, the count, elapsed and remaining time, and the
/// rate in calls per second — what tqdm's `thread_map`/`process_map` give Python users.
///
/// Made by `Map::progress`, `AsCompleted::progress` and `AsCompletedTimeout::progress`; name
/// the work with [`label`](Self::label). Times read in seconds with a tenth below a minute
/// (`0.4s`, `12.5s`), then `3m05s` and `1h02m`; a rate below one call per second reads as
/// seconds per call (`2.50s/call`), as tqdm's `s/it`; the remaining time reads `?` until the
/// first item (tqdm's `<?`). The bar is drawn on stderr only when stderr is a terminal; when
/// the iterator ends, or is dropped before it ends, the last line stays on screen with the
/// final count, elapsed time and average rate (tqdm's default `leave=True`), not cleared.
/// Only available when the `indicatif` feature is activated.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_combinators::MapExt;
///
/// let executor = InlineExecutor::new();
/// let total: u32 = executor.map(|x: u32| x, 1..=100).progress().label("summing").map(Result::unwrap).sum();
/// assert_eq!(total, 5050);
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "indicatif")))]
pub struct Progress<I> {
    inner: I,
    bar: ProgressBar,
}

impl<I: Iterator> Progress<I> {
    pub(crate) fn new(inner: I, total: Option<u64>) -> Self {
        Self::with_target(inner, total, ProgressDrawTarget::stderr())
    }

    fn with_target(inner: I, total: Option<u64>, target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(total, target);
        bar.set_style(style(total.is_some()));
        Progress { inner, bar }
    }

    /// Names the work on the left of the bar, as tqdm's `desc`: `hashing:  45%|████▌ ...`.
    /// Default: no label.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Future;
    /// use cfut_combinators::as_completed;
    ///
    /// let it = as_completed(vec![Future::from_result(Ok(1))]).progress().label("hashing");
    /// assert_eq!(it.get_label(), "hashing");
    /// assert_eq!(it.count(), 1);
    /// ```
    pub fn label(self, label: impl Into<Cow<'static, str>>) -> Self {
        let label = label.into();
        if label.is_empty() {
            self.bar.set_prefix("");
        } else {
            self.bar.set_prefix(format!("{label}: "));
        }
        self
    }

    /// The label set with [`label`](Self::label); empty if none.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Future;
    /// use cfut_combinators::as_completed;
    ///
    /// let it = as_completed(vec![Future::from_result(Ok(()))]).progress();
    /// assert_eq!(it.get_label(), "");
    /// ```
    pub fn get_label(&self) -> String {
        let prefix = self.bar.prefix();
        prefix.strip_suffix(": ").unwrap_or(&prefix).to_owned()
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

/// The bar's style: [`BAR_TEMPLATE`] for a known total, [`COUNT_TEMPLATE`] otherwise.
fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        BAR_TEMPLATE
    } else {
        COUNT_TEMPLATE
    };
    ProgressStyle::with_template(template)
        .expect("the templates are valid (tested)")
        .progress_chars(BAR_CHARS)
        .with_key("took", |state: &ProgressState, w: &mut dyn fmt::Write| {
            let _ = w.write_str(&short_duration(state.elapsed()));
        })
        .with_key("left", |state: &ProgressState, w: &mut dyn fmt::Write| {
            let _ = w.write_str(&remaining(state));
        })
        .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
            let _ = w.write_str(&rate(state.pos(), average_rate(state)));
        })
}

/// Calls per second over the whole run so far (tqdm's `smoothing=0`). Not indicatif's own
/// estimate: that one starts from zero and lags, so that 0.6 s into the example (4 threads,
/// 15 ms calls, 266 calls/s possible) it read 99.1 calls/s and 1.6 s remaining for 1.2 s of
/// work in all (`cargo run --release --example progress --features progress`).
fn average_rate(state: &ProgressState) -> f64 {
    state.pos() as f64 / state.elapsed().as_secs_f64()
}

/// The remaining time at the average rate; `?` before the first item (tqdm's `<?`).
fn remaining(state: &ProgressState) -> String {
    let (Some(len), pos) = (state.len(), state.pos()) else {
        return "?".to_owned();
    };
    let rate = average_rate(state);
    if pos >= len || state.is_finished() {
        short_duration(Duration::ZERO)
    } else if pos == 0 || !rate.is_finite() || rate <= 0.0 {
        "?".to_owned()
    } else {
        Duration::try_from_secs_f64((len - pos) as f64 / rate)
            .map_or_else(|_| "?".to_owned(), short_duration)
    }
}

/// A duration as tqdm users read it, legible below a second: `0.4s`, `59.9s`, `3m05s`,
/// `1h02m`.
fn short_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    // Rounded as the tenths are, so that 59.96 s reads `1m00s`, not `0m59s`.
    let whole = seconds.round() as u64;
    if seconds < 59.95 {
        format!("{seconds:.1}s")
    } else if whole < 3600 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h{:02}m", whole / 3600, whole % 3600 / 60)
    }
}

/// A rate with its unit: `38.2 calls/s`, or, below one call per second, `2.50s/call`; `?`
/// before the first item.
fn rate(pos: u64, per_sec: f64) -> String {
    if pos == 0 || !per_sec.is_finite() || per_sec <= 0.0 {
        "? calls/s".to_owned()
    } else if per_sec >= 100.0 {
        format!("{per_sec:.0} calls/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1} calls/s")
    } else {
        format!("{:.2}s/call", 1.0 / per_sec)
    }
}

impl<I: Iterator> Iterator for Progress<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next();
        match item {
            Some(_) => self.bar.inc(1),
            // Leaves the last line on screen, with the final figures (tqdm's `leave=True`).
            None if !self.bar.is_finished() => self.bar.abandon(),
            None => {}
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<I> Drop for Progress<I> {
    /// Leaves the bar where it stopped, on screen (tqdm's `leave=True`).
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.abandon();
        }
    }
}

impl<I: fmt::Debug> fmt::Debug for Progress<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("inner", &self.inner)
            .field("label", &self.bar.prefix())
            .field("position", &self.bar.position())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
