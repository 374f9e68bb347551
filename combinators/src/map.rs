//! `map`: Python's `Executor.map`, lazy and windowed by default.
//!
//! * [`Map`], the iterator of results in input order, and its options;
//! * [`MapExt`], `executor.map(closure, inputs)` for every in-process executor;
//! * [`CallMapExt`], `executor.map_calls(function, inputs)` for every portable executor;
//! * [`MapError`], an element's failure or the map's deadline.

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroUsize;

use cfut_core::{
    CallExecutor, CallRoute, ChunkResults, Error, Executor, Future, JobExecutor, MapTarget,
    Portable, PortableRoute, RouteVisitor,
};

use crate::group::Head;
use crate::inputs::Inputs;
use crate::loom::sync::Arc;
use crate::submitter::{ClosureSubmitter, RouteSubmitter, Submitter};

/// Python's `executor.map(fn, inputs)`, on every executor: runs `call` on each input and
/// yields the results in input order.
///
/// Which calls an executor takes is the same as for [`Submit`](cfut_core::Submit): an
/// in-process executor (thread pools, the inline executor, `&dyn JobExecutor`) maps any
/// `Fn(A) -> T + Send + Sync` closure; a process or cluster pool maps a plain function or a
/// closure that captures nothing, over serde values ([`PortableFn`](cfut_core::PortableFn)).
/// See [`Map`] for the options (`chunksize`, `timeout`, window, eager mode, progress).
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_combinators::MapExt;
///
/// let executor = InlineExecutor::new();
/// let squares: Vec<u64> = executor.map(|x: u64| x * x, 1..=4).map(Result::unwrap).collect();
/// assert_eq!(squares, [1, 4, 9, 16]);
///
/// // Several inputs: zip them (the shortest wins, as in Python).
/// let sums: Vec<_> = executor
///     .map(|(a, b): (i32, i32)| a + b, [1, 2, 3].into_iter().zip([10, 20]))
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(sums, [11, 22]);
/// ```
pub trait MapExt: Executor {
    /// Maps `call` over `inputs` on this executor. Nothing is submitted until the first
    /// `next()` (or [`Map::eager`]); see [`Map`].
    ///
    /// # Examples
    ///
    /// See [`MapExt`].
    fn map<'a, F, A, T, I>(&'a self, call: F, inputs: I) -> Map<'a, A, T>
    where
        Self: MapTarget<F, A, T>,
        A: 'a,
        T: 'a,
        I: IntoIterator<Item = A>,
        I::IntoIter: 'a,
    {
        let submitter = self.route(call, Build);
        Map::new(submitter, self.max_workers(), inputs.into_iter())
    }
}

impl<E: Executor + ?Sized> MapExt for E {}

/// Builds a map's submitter for the way its executor runs calls.
struct Build;

impl<'a, A: 'a, T: 'a> RouteVisitor<'a, A, T> for Build {
    type Output = Box<dyn Submitter<A, T> + 'a>;

    fn in_process<E, F>(self, executor: &'a E, call: F) -> Self::Output
    where
        E: JobExecutor + ?Sized,
        F: Fn(A) -> T + Send + Sync + 'static,
        A: Send + 'static,
        T: Send + 'static,
    {
        Box::new(ClosureSubmitter {
            executor,
            call: Arc::new(call),
            #[cfg(not(cfut_loom))]
            timing: Arc::default(),
        })
    }

    fn portable(self, route: Box<dyn PortableRoute<A, T> + 'a>) -> Self::Output {
        Box::new(RouteSubmitter { route })
    }
}

/// Python's `Executor.map` for generic code at the portable level ([`CallExecutor`]): a
/// plain function over serde values, so the same code runs on threads, processes or a
/// cluster. With [`Map::chunksize`], one call carries a chunk of inputs, and results stay
/// per element. Concrete executors have [`MapExt::map`]; this one serves code written
/// against `E: CallExecutor`.
///
/// # Examples
///
/// ```
/// use std::num::NonZeroUsize;
/// use cfut_core::{CallExecutor, InlineExecutor};
/// use cfut_combinators::CallMapExt;
///
/// fn invert(x: i32) -> i32 { 60 / x }
///
/// fn inverses(executor: &impl CallExecutor) -> Vec<Result<i32, cfut_combinators::MapError>> {
///     executor.map_calls(invert, [1, 0, 3]).chunksize(NonZeroUsize::new(3).unwrap()).collect()
/// }
/// let results = inverses(&InlineExecutor::new());
/// assert_eq!(results[0], Ok(60));
/// assert!(results[1].is_err(), "a panic fails only its own element");
/// assert_eq!(results[2], Ok(20));
/// ```
pub trait CallMapExt: CallExecutor {
    /// Maps `call` over `inputs` on this executor; see [`Map`].
    ///
    /// # Examples
    ///
    /// See [`CallMapExt`].
    fn map_calls<'a, A, T, I>(&'a self, call: fn(A) -> T, inputs: I) -> Map<'a, A, T>
    where
        A: Portable,
        T: Portable,
        I: IntoIterator<Item = A>,
        I::IntoIter: 'a,
    {
        let route = Box::new(CallRoute::new(self, call));
        Map::new(
            Box::new(RouteSubmitter { route }),
            self.max_workers(),
            inputs.into_iter(),
        )
    }
}

impl<E: CallExecutor + ?Sized> CallMapExt for E {}

/// Maps `call` over `inputs` on `executor`: the free-function form of [`MapExt::map`].
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
///
/// let executor = InlineExecutor::new();
/// let lengths: Vec<_> = cfut_combinators::map(&executor, |s: &str| s.len(), ["a", "bcd"])
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(lengths, [1, 3]);
/// ```
pub fn map<'a, E, F, A, T, I>(executor: &'a E, call: F, inputs: I) -> Map<'a, A, T>
where
    E: MapTarget<F, A, T> + ?Sized,
    A: 'a,
    T: 'a,
    I: IntoIterator<Item = A>,
    I::IntoIter: 'a,
{
    MapExt::map(executor, call, inputs)
}

/// Why an element of a [`Map`] has no value.
///
/// An element's own failure ([`MapError::Call`]) is never confused with the map's deadline
/// ([`MapError::Deadline`]), even when the call itself timed out (CPython's gh-155852).
///
/// # Examples
///
/// ```
/// use cfut_core::{Error, InlineExecutor};
/// use cfut_combinators::{MapError, MapExt};
///
/// let results: Vec<_> = InlineExecutor::new().map(|x: u8| 10 / x, [2, 0]).collect();
/// assert_eq!(results[0], Ok(5));
/// assert!(matches!(&results[1], Err(MapError::Call(Error::Panicked { .. }))));
/// assert_eq!(MapError::Deadline.to_string(), "the map's deadline passed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// This element's call failed (panicked, was cancelled, its worker died, …). The map goes
    /// on with the next element (CPython main, gh-108518).
    Call(Error),
    /// The map's deadline passed before this element finished. The element's call and every
    /// later one were cancelled (those already running run to completion, their results
    /// discarded), and the map ends.
    Deadline,
}

impl MapError {
    /// The element's own error, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    /// use cfut_combinators::MapError;
    ///
    /// assert_eq!(MapError::Call(Error::Cancelled).into_call_error(), Some(Error::Cancelled));
    /// assert_eq!(MapError::Deadline.into_call_error(), None);
    /// ```
    pub fn into_call_error(self) -> Option<Error> {
        match self {
            MapError::Call(error) => Some(error),
            MapError::Deadline => None,
        }
    }
}

impl From<Error> for MapError {
    fn from(error: Error) -> Self {
        MapError::Call(error)
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Call(error) => write!(f, "a mapped call failed: {error}"),
            MapError::Deadline => f.write_str("the map's deadline passed"),
        }
    }
}

impl std::error::Error for MapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MapError::Call(error) => Some(error),
            MapError::Deadline => None,
        }
    }
}

/// A unit of submitted work: one call, one chunk of `len` calls, or an automatic group
/// (`group.rs`) whose calls from the head's next on are not yielded yet.
enum Unit<A, T> {
    One(Future<T>),
    Chunk(Future<ChunkResults<T>>, usize),
    Group(Head<A, T>),
}

impl<A, T> Unit<A, T> {
    /// How many inputs the unit carries (not yet yielded).
    fn len(&self) -> usize {
        match self {
            Unit::One(_) => 1,
            Unit::Chunk(_, len) => *len,
            Unit::Group(head) => head.remaining(),
        }
    }

    /// Is the unit's next element ready?
    fn is_done(&self) -> bool {
        match self {
            Unit::One(future) => future.is_done(),
            Unit::Chunk(future, _) => future.is_done(),
            Unit::Group(head) => head.is_done(),
        }
    }

    /// Cancels every call of the unit that has not started.
    fn cancel(&self) {
        match self {
            Unit::One(future) => {
                future.cancel();
            }
            Unit::Chunk(future, _) => {
                future.cancel();
            }
            Unit::Group(head) => head.cancel(),
        }
    }

    /// Waits until the unit's next element is ready.
    fn wait(&self) {
        match self {
            Unit::One(future) => future.wait(),
            Unit::Chunk(future, _) => future.wait(),
            Unit::Group(head) => head.wait(),
        }
    }

    /// Waits until the unit's next element is ready or `deadline` passes; `false` if it
    /// passed first.
    #[cfg(not(cfut_loom))]
    fn wait_until(&self, deadline: std::time::Instant) -> bool {
        let left = || deadline.saturating_duration_since(std::time::Instant::now());
        match self {
            Unit::One(future) => future.wait_timeout(left()),
            Unit::Chunk(future, _) => future.wait_timeout(left()),
            Unit::Group(head) => head.wait_until(deadline),
        }
    }
}

/// The default window: [`WINDOW_PER_WORKER`](crate::tuning::WINDOW_PER_WORKER) calls per
/// worker, within [`MIN_WINDOW`](crate::tuning::MIN_WINDOW) and
/// [`MAX_WINDOW`](crate::tuning::MAX_WINDOW).
fn default_window(max_workers: usize) -> usize {
    use crate::tuning::{MAX_WINDOW, MIN_WINDOW, WINDOW_PER_WORKER};
    max_workers
        .saturating_mul(WINDOW_PER_WORKER)
        .clamp(MIN_WINDOW, MAX_WINDOW)
}

/// The results of a `map`, in input order: [`MapExt::map`] (and [`CallMapExt::map_calls`]).
///
/// **Lazy and windowed** by default: nothing is submitted until the first `next()`; then at
/// most [`window`](Self::window) inputs (or chunks, with an explicit
/// [`chunksize`](Self::chunksize)) are in flight — submitted and not yet yielded — so an
/// endless input works and memory stays bounded. Tiny calls are grouped by themselves
/// (see [`chunksize`](Self::chunksize)), so they do not each pay a dispatch — without ever
/// costing parallelism or latency: each call still has its own result, yielded as soon as
/// it is done, and no worker idles while a call waits inside a group. Each `next()` waits for
/// the oldest unit; before that, it tops the window up from the input whenever half the window
/// or less is in flight, or the oldest unit is not done yet (refilling in batches, and instead
/// of sleeping, keeps the workers busy). [`eager`](Self::eager) gives
/// Python's behaviour instead: every input consumed and submitted at once.
///
/// **Errors**: each element is `Ok(value)` or `Err(MapError::Call(error))`, and the map goes
/// on after an error (CPython main, gh-108518). With a [`timeout`](Self::timeout), once the
/// deadline (measured from the `map` call) passes while waiting, the element yields
/// `Err(MapError::Deadline)`, every call not yet yielded is cancelled, and the map ends.
///
/// **Dropping** the map cancels every call it submitted that has not started (running calls
/// finish; their results are dropped), and consumes no more input. A yielded value is no
/// longer referenced by the map.
///
/// # Examples
///
/// ```
/// use std::num::NonZeroUsize;
/// use cfut_core::InlineExecutor;
/// use cfut_combinators::MapExt;
///
/// let executor = InlineExecutor::new();
/// // An endless input: only what the window needs is consumed.
/// let first: Vec<u64> = executor
///     .map(|n: u64| n * 2, 0..)
///     .window(NonZeroUsize::new(2).unwrap())
///     .take(3)
///     .map(Result::unwrap)
///     .collect();
/// assert_eq!(first, [0, 2, 4]);
/// ```
pub struct Map<'a, A, T> {
    /// `None` once exhausted, or after the deadline.
    inputs: Option<Box<dyn Inputs<A> + 'a>>,
    /// The inputs of the next group, gathered before it is built (kept for its buffer).
    #[cfg(not(cfut_loom))]
    args: Vec<A>,
    submitter: Box<dyn Submitter<A, T> + 'a>,
    queue: VecDeque<Unit<A, T>>,
    /// Results of the chunk being yielded.
    current: VecDeque<Result<T, Error>>,
    window: usize,
    chunksize: usize,
    /// Inputs submitted and not yet yielded.
    in_flight: usize,
    /// How many more outcomes `next` may take from the front group, a group, without a look
    /// at the window or the queue (set where an outcome is taken from a group, `0` otherwise):
    /// the front group's outcomes but its last (its removal), as long as more than half the
    /// window stays in flight (or the inputs are exhausted). Keeps `next` small enough to be
    /// inlined into the caller's loop.
    ready: usize,
    /// `Some(group)` while `map` groups tiny calls by itself (no explicit `chunksize`, not
    /// eager, an executor that runs calls in-process): the current group size, 0 before the
    /// first call timing (then the [`group_limit`](Self::group_limit), after one call alone).
    group: Option<usize>,
    /// Whether the first call went out alone, timed (see [`submit_next`](Self::submit_next)).
    #[cfg(not(cfut_loom))]
    probed: bool,
    /// How many call timings the group size has followed so far.
    #[cfg(not(cfut_loom))]
    samples_seen: u64,
    max_workers: usize,
    eager: bool,
    finished: bool,
    #[cfg(not(cfut_loom))]
    started: std::time::Instant,
    #[cfg(not(cfut_loom))]
    deadline: Option<std::time::Instant>,
}

impl<'a, A, T> Map<'a, A, T> {
    fn new(
        submitter: Box<dyn Submitter<A, T> + 'a>,
        max_workers: usize,
        inputs: impl Iterator<Item = A> + 'a,
    ) -> Self {
        Map {
            inputs: Some(Box::new(inputs)),
            #[cfg(not(cfut_loom))]
            args: Vec::new(),
            submitter,
            queue: VecDeque::new(),
            current: VecDeque::new(),
            window: default_window(max_workers),
            chunksize: 1,
            in_flight: 0,
            ready: 0,
            group: cfg!(not(cfut_loom)).then_some(0),
            #[cfg(not(cfut_loom))]
            probed: false,
            #[cfg(not(cfut_loom))]
            samples_seen: 0,
            max_workers: max_workers.max(1),
            eager: false,
            finished: false,
            #[cfg(not(cfut_loom))]
            started: std::time::Instant::now(),
            #[cfg(not(cfut_loom))]
            deadline: None,
        }
    }

    /// At most `window` inputs (or chunks, with an explicit [`chunksize`](Self::chunksize))
    /// in flight. Default: 4096 per worker of the executor ([`Executor::max_workers`]), at least
    /// 4096 and at most 65 536. (Python's `buffersize`; a zero window cannot be written.)
    ///
    /// [`Executor::max_workers`]: cfut_core::Executor::max_workers
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use cfut_core::InlineExecutor;
    /// use cfut_combinators::MapExt;
    ///
    /// let executor = InlineExecutor::new();
    /// let mut consumed = 0;
    /// let inputs = std::iter::from_fn(|| { consumed += 1; Some(consumed) });
    /// let mut map = executor.map(|x: i32| x, inputs).window(NonZeroUsize::new(3).unwrap());
    /// assert_eq!(map.next(), Some(Ok(1)));
    /// drop(map);
    /// assert_eq!(consumed, 3, "the first next() filled the window of 3");
    /// ```
    pub fn window(mut self, window: NonZeroUsize) -> Self {
        self.window = window.get();
        self
    }

    /// The largest group automatic grouping may form: a quarter of the window (so that the
    /// window, refilled once half of it is yielded, holds a few groups), and at most
    /// [`MAX_GROUP`](crate::tuning::MAX_GROUP). Every worker can join every group, so its
    /// size costs no parallelism.
    #[cfg(not(cfut_loom))]
    fn group_limit(&self) -> usize {
        (self.window / 4).clamp(1, crate::tuning::MAX_GROUP)
    }

    /// Sizes automatic groups from the newest call timing, if one arrived since the last
    /// adjustment: as many calls as fit in [`GROUP_WORK`](crate::tuning::GROUP_WORK), at least
    /// one and at most the [`group_limit`](Self::group_limit).
    #[cfg(not(cfut_loom))]
    fn adapt(&mut self) {
        if self.group.is_none() {
            return;
        }
        let Some((samples, per_call)) = self.submitter.timing().map(|timing| timing.latest())
        else {
            return;
        };
        if samples == self.samples_seen {
            return;
        }
        self.samples_seen = samples;
        let fits = crate::tuning::GROUP_WORK.as_nanos() / per_call.as_nanos().max(1);
        self.group = Some(
            usize::try_from(fits)
                .map_or(usize::MAX, |fits| fits)
                .clamp(1, self.group_limit()),
        );
    }

    /// Python's default behaviour: consume the whole input and submit every call now.
    /// Never returns on an endless input.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_combinators::MapExt;
    ///
    /// let executor = InlineExecutor::new();
    /// let mut consumed = 0;
    /// let inputs = std::iter::from_fn(|| (consumed < 5).then(|| { consumed += 1; consumed }));
    /// let map = executor.map(|x: i32| x * 10, inputs).eager();
    /// drop(map);
    /// assert_eq!(consumed, 5);
    /// ```
    pub fn eager(mut self) -> Self {
        self.eager = true;
        self.group = None;
        self.fill(true);
        self
    }

    /// Groups `chunksize` inputs into one call, with one result per element (a panic fails
    /// only its element). The window then counts chunks. Fewer, larger units amortize the
    /// per-call cost of small calls — and of a process boundary.
    ///
    /// An explicit chunk is one job: its calls run one after another on one worker, and its
    /// results come together when the last of them is done.
    ///
    /// Without it, a lazy `map` on an in-process executor groups by itself: it sends the
    /// first call alone, times the calls where they run, and sizes each group to about 50 µs
    /// of calls as measured (up to 2048, and a quarter of the window; the largest size until
    /// the first timing comes back) — so tiny calls do not pay a dispatch each, and calls
    /// over 50 µs go one per job. Unlike an explicit chunk, an automatic group never costs
    /// parallelism or latency: it is run by up to one job per worker
    /// ([`Executor::max_workers`]), each starting the group's calls one at a time, taken
    /// from the front in blocks of a few microseconds of calls (one call while calls are
    /// slow, so that they start in input order), and, once nothing is left to take, half of
    /// what another has not started, so an idle worker always finds the group's unstarted
    /// calls; and each call's result is yielded as soon as that call is done. `chunksize(1)` turns grouping off; so does
    /// [`eager`](Self::eager): each call is then its own job with its own future, handed to
    /// the executor a few hundred at a time ([`JobExecutor::execute_all`]: on the thread
    /// pool, one admission and one round of wake-ups for all of them), where the calls still
    /// start in input order. At the portable level the default is one call per job.
    ///
    /// [`JobExecutor::execute_all`]: cfut_core::JobExecutor::execute_all
    ///
    /// [`Executor::max_workers`]: cfut_core::Executor::max_workers
    ///
    /// # Examples
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use cfut_core::InlineExecutor;
    /// use cfut_combinators::MapExt;
    ///
    /// let executor = InlineExecutor::new();
    /// let out: Vec<_> = executor
    ///     .map(|x: u8| x + 1, 0..10)
    ///     .chunksize(NonZeroUsize::new(4).unwrap())
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(out, (1..=10).collect::<Vec<u8>>());
    /// ```
    pub fn chunksize(mut self, chunksize: NonZeroUsize) -> Self {
        self.chunksize = chunksize.get();
        self.group = None;
        self
    }

    /// Sets a deadline `timeout` after the `map` call (Python's `timeout`). When it passes
    /// while an element is awaited, that element yields `Err(MapError::Deadline)`, every call
    /// not yet yielded is cancelled and the map ends. Elements already done are still
    /// yielded after the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use cfut_core::InlineExecutor;
    /// use cfut_combinators::MapExt;
    ///
    /// let executor = InlineExecutor::new();
    /// let out: Vec<_> = executor.map(|x: u8| x, [1, 2]).timeout(Duration::from_secs(5)).collect();
    /// assert_eq!(out, [Ok(1), Ok(2)]);
    /// ```
    #[cfg(not(cfut_loom))]
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.deadline = self.started.checked_add(timeout);
        self
    }

    /// Shows a tqdm-style progress bar (count, elapsed time and rate in calls/s, and for
    /// inputs of known length the percentage and remaining time; name it with
    /// [`Progress::label`](crate::Progress::label)) on stderr while iterating, if stderr is a
    /// terminal; silent otherwise. The last line stays on screen. Only available when the
    /// `indicatif` feature is activated.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_combinators::MapExt;
    ///
    /// let executor = InlineExecutor::new();
    /// assert_eq!(executor.map(|x: u8| x, 0..3).progress().count(), 3);
    /// ```
    #[cfg(feature = "indicatif")]
    #[cfg_attr(docsrs, doc(cfg(feature = "indicatif")))]
    pub fn progress(self) -> crate::Progress<Self> {
        let total = match self.size_hint() {
            (low, Some(high)) if low == high => Some(low as u64),
            _ => None,
        };
        crate::Progress::new(self, total)
    }

    /// Once half the window or less is in flight (or at once, with `force`), submits inputs
    /// until the window is full (everything, in eager mode).
    fn fill(&mut self, force: bool) {
        if self.inputs.is_none() || (!force && !self.eager && self.load() > self.window / 2) {
            return;
        }
        // Taken out while submitting, so that `submit_next` may adjust the rest of `self`.
        let Some(mut inputs) = self.inputs.take() else {
            return;
        };
        while self.eager || self.load() < self.window {
            let submitted = if self.group.is_none() && self.chunksize == 1 {
                self.submit_batch(&mut inputs)
            } else {
                self.submit_next(&mut inputs)
            };
            if !submitted {
                // Exhausted: `inputs` stays `None`.
                return;
            }
        }
        self.inputs = Some(inputs);
    }

    /// One call per input (no grouping, no chunks): submits up to
    /// [`SUBMIT_BATCH`](crate::tuning::SUBMIT_BATCH) inputs, as many as the window has room
    /// for, handed to the executor together; `false` once the inputs are exhausted.
    fn submit_batch(&mut self, inputs: &mut Box<dyn Inputs<A> + 'a>) -> bool {
        let room = if self.eager {
            crate::tuning::SUBMIT_BATCH
        } else {
            (self.window - self.load()).min(crate::tuning::SUBMIT_BATCH)
        };
        let mut submitted = 0;
        self.submitter
            .many(&mut inputs.by_ref().take(room), &mut |future| {
                self.queue.push_back(Unit::One(future));
                submitted += 1;
            });
        self.in_flight += submitted;
        submitted == room
    }

    /// What counts against the window: inputs in flight under automatic grouping, units
    /// otherwise.
    fn load(&self) -> usize {
        if self.group.is_some() {
            self.in_flight
        } else {
            self.queue.len()
        }
    }

    /// Submits the next unit from `inputs` (under automatic grouping, the next group) and
    /// queues it; `false` once the inputs are exhausted.
    fn submit_next(&mut self, inputs: &mut Box<dyn Inputs<A> + 'a>) -> bool {
        #[cfg(not(cfut_loom))]
        self.adapt();
        #[cfg(not(cfut_loom))]
        if let Some(group) = self.group {
            let size = if group == 0 {
                self.group_limit()
            } else {
                group
            };
            // The first call goes out alone, timed where it runs: on an executor that runs
            // it at once (inline), the timing decides the very next submission, and calls
            // longer than a group's work never share a job. On a pool, the timing takes a
            // worker's wake-up to come back; meanwhile the window fills with groups of the
            // largest size, which cost no parallelism (`group.rs`), where single calls
            // would each pay a dispatch.
            if !self.probed || size == 1 {
                self.probed = true;
                let Some(arg) = inputs.next() else {
                    return false;
                };
                match self.submitter.timed_one(arg) {
                    Ok(future) => self.push(Unit::One(future)),
                    Err(arg) => {
                        // This executor cannot time calls where they run: one call per job.
                        self.group = None;
                        let future = self.submitter.one(arg);
                        self.push(Unit::One(future));
                    }
                }
                return true;
            }
            if self.submitter.timing().is_some() {
                // Through the box to the iterator's own loop: the box is an iterator too,
                // whose `take_into` would call `next` through the box once per input.
                (**inputs).take_into(size, &mut self.args);
                if self.args.is_empty() {
                    return false;
                }
                // At most one runner per worker: more could never run at once.
                let head = self.submitter.group(&mut self.args, self.max_workers);
                self.push(Unit::Group(head));
                return true;
            }
            // This executor cannot time calls where they run: one call per job.
            self.group = None;
        }
        let unit = if self.chunksize == 1 {
            inputs.next().map(|arg| Unit::One(self.submitter.one(arg)))
        } else {
            let args: Vec<A> = inputs.by_ref().take(self.chunksize).collect();
            (!args.is_empty()).then(|| self.chunk_or_one(args))
        };
        match unit {
            Some(unit) => {
                self.push(unit);
                true
            }
            None => false,
        }
    }

    /// Queues a submitted unit.
    fn push(&mut self, unit: Unit<A, T>) {
        self.in_flight += unit.len();
        self.queue.push_back(unit);
    }

    /// One unit for `args` (not empty): a single call, or a chunk.
    fn chunk_or_one(&self, mut args: Vec<A>) -> Unit<A, T> {
        if args.len() == 1 && self.chunksize == 1 {
            let arg = args.pop().expect("one argument");
            Unit::One(self.submitter.one(arg))
        } else {
            let len = args.len();
            Unit::Chunk(self.submitter.chunk(args), len)
        }
    }

    /// Ends the map: cancels every call not yielded, consumes no more input.
    fn finish(&mut self) {
        self.finished = true;
        self.inputs = None;
        self.in_flight = 0;
        self.ready = 0;
        self.current.clear();
        for unit in self.queue.drain(..) {
            unit.cancel();
        }
    }

    /// If the front unit is a group: takes its next call's outcome if that call is done (or
    /// in any case, with `done`: the caller waited for it).
    #[cfg(not(cfut_loom))]
    #[inline]
    fn take_from_group(&mut self, done: bool) -> Option<Result<T, Error>> {
        let Some(Unit::Group(head)) = self.queue.front_mut() else {
            return None;
        };
        let outcome = if done {
            head.take_next()
        } else {
            head.try_next()?.map_err(|error| *error)
        };
        self.in_flight -= 1;
        let remaining = head.remaining();
        if remaining == 0 {
            self.queue.pop_front();
        } else if self.current.is_empty() {
            let room = if self.inputs.is_none() {
                usize::MAX
            } else {
                self.in_flight.saturating_sub(self.window / 2)
            };
            self.ready = (remaining - 1).min(room);
        }
        Some(outcome)
    }

    /// `false` if the deadline passed before `unit`'s next element was ready.
    fn wait_for(&self, unit: &Unit<A, T>) -> bool {
        #[cfg(not(cfut_loom))]
        if let Some(deadline) = self.deadline {
            return unit.wait_until(deadline);
        }
        unit.wait();
        true
    }
}

impl<A, T> Iterator for Map<'_, A, T> {
    type Item = Result<T, MapError>;

    // The common cases, small enough to be inlined where the map is consumed: the front
    // group's next call is done and `ready` says the window needs no refill, or a decoded
    // chunk has a result left. The front single call is `next_single`'s, everything else
    // `next_slow`'s. (Inlined, the group case took 72 instructions per element on the
    // consuming thread, the input loop's included, against 120 before: callgrind of a no-op
    // `map` over 100 000 inputs on 2 workers.)
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        #[cfg(not(cfut_loom))]
        if self.ready > 0
            && let Some(Unit::Group(head)) = self.queue.front_mut()
            && let Some(outcome) = head.try_next()
        {
            self.ready -= 1;
            self.in_flight -= 1;
            return Some(outcome.map_err(|error| MapError::Call(*error)));
        }
        // The next result of a chunk already decoded (`finish` empties `current`).
        if let Some(outcome) = self.current.pop_front() {
            return Some(outcome.map_err(MapError::Call));
        }
        self.next_single()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.finished {
            return (0, Some(0));
        }
        let queued = self.current.len() + self.queue.iter().map(Unit::len).sum::<usize>();
        match &self.inputs {
            None => (queued, Some(queued)),
            Some(inputs) => {
                let (low, high) = inputs.size_hint();
                (
                    queued.saturating_add(low),
                    high.and_then(|h| h.checked_add(queued)),
                )
            }
        }
    }
}

impl<A, T> Map<'_, A, T> {
    /// [`next`](Iterator::next) past its first case: the front single call is done and the
    /// window needs no refill (without grouping, one call per unit: `chunksize(1)`), or
    /// [`next_slow`](Self::next_slow).
    #[inline(never)]
    fn next_single(&mut self) -> Option<Result<T, MapError>> {
        if (self.load() > self.window / 2 || self.inputs.is_none())
            && self.current.is_empty()
            && let Some(Unit::One(future)) = self.queue.front()
            && future.is_done()
            && let Some(Unit::One(future)) = self.queue.pop_front()
        {
            self.in_flight -= 1;
            return Some(future.result().map_err(MapError::Call));
        }
        self.next_slow()
    }

    /// [`next`](Iterator::next) in every case.
    #[inline(never)]
    fn next_slow(&mut self) -> Option<Result<T, MapError>> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(outcome) = self.current.pop_front() {
                return Some(outcome.map_err(MapError::Call));
            }
            self.fill(false);
            #[cfg(not(cfut_loom))]
            if let Some(outcome) = self.take_from_group(false) {
                // A group's next call is done: no wait.
                return Some(outcome.map_err(MapError::Call));
            }
            if self.queue.front().is_some_and(|unit| !unit.is_done()) {
                // Rather than sleep at once, use the time to fill the whole window.
                self.fill(true);
            }
            let Some(unit) = self.queue.front() else {
                self.finished = true;
                return None;
            };
            if !self.wait_for(unit) {
                self.finish();
                return Some(Err(MapError::Deadline));
            }
            #[cfg(not(cfut_loom))]
            if let Some(outcome) = self.take_from_group(true) {
                return Some(outcome.map_err(MapError::Call));
            }
            let unit = self
                .queue
                .pop_front()
                .expect("the front unit, just waited for");
            self.in_flight -= unit.len();
            match unit {
                Unit::One(future) => return Some(future.result().map_err(MapError::Call)),
                Unit::Chunk(future, len) => match future.result().and_then(ChunkResults::decode) {
                    Ok(results) => self.current = results.into(),
                    // The whole chunk failed (cancelled, shut down, worker died): the error
                    // is each element's.
                    Err(error) => self.current = std::iter::repeat_n(error, len).map(Err).collect(),
                },
                Unit::Group(_) => unreachable!("groups are yielded above"),
            }
        }
    }
}

impl<A, T> std::iter::FusedIterator for Map<'_, A, T> {}

impl<A, T> Drop for Map<'_, A, T> {
    /// Cancels every call submitted and not started (Python's `close()` of the generator).
    fn drop(&mut self) {
        self.finish();
    }
}

impl<A, T> fmt::Debug for Map<'_, A, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.queue.len())
            .field("window", &self.window)
            .field("chunksize", &self.chunksize)
            .field("eager", &self.eager)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}
