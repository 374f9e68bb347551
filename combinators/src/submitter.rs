//! How `map` hands one input, or a chunk of inputs, to an executor — at the in-process level
//! (a shared closure) or at the portable level (a `fn` pointer and serde values).

use std::panic::{self, AssertUnwindSafe};

use cfut_core::{ChunkResults, Error, Future, JobExecutor, PortableRoute, Spawn};

#[cfg(not(cfut_loom))]
use crate::group::{self, Head};
use crate::loom::sync::Arc;
#[cfg(not(cfut_loom))]
use crate::loom::sync::atomic::{AtomicU64, Ordering};

/// Submits the calls of one `map`.
pub(crate) trait Submitter<A, T> {
    /// One call on `arg`.
    fn one(&self, arg: A) -> Future<T>;
    /// One call per input of `args`, handed to the executor together where it takes many
    /// at once; each future goes to `each`, in input order.
    fn many(&self, args: &mut dyn Iterator<Item = A>, each: &mut dyn FnMut(Future<T>));
    /// One unit of work over `args`, with one result per element (a panic fails only its
    /// element).
    fn chunk(&self, args: Vec<A>) -> Future<ChunkResults<T>>;
    /// The calls over `args` (drained; not empty) as one automatic group, run by at most
    /// `max_runners` jobs that take the calls one at a time (`group.rs`); gives the group,
    /// where the outcome of each call waits by index. The runners record how long their
    /// calls took in [`timing`](Self::timing) — what `map`'s automatic grouping of tiny
    /// calls reads. Only called where [`timing`](Self::timing) is `Some`: where the time
    /// cannot be measured on the executor's side (the portable level: the call may run in
    /// another process), there is no grouping.
    #[cfg(not(cfut_loom))]
    fn group(&self, args: &mut Vec<A>, max_runners: usize) -> Head<A, T>;
    /// One call on `arg`, timed where it runs like a group's calls (a group of one needs no
    /// runner). Gives `arg` back where the time cannot be measured (as `group`).
    #[cfg(not(cfut_loom))]
    fn timed_one(&self, arg: A) -> Result<Future<T>, A>;
    /// The latest measurement of [`group`](Self::group)'s and
    /// [`timed_one`](Self::timed_one)'s calls.
    #[cfg(not(cfut_loom))]
    fn timing(&self) -> Option<&Timing>;
}

/// The average time per call of the latest two group runners (or timed single calls),
/// written by the workers that ran them.
#[cfg(not(cfut_loom))]
#[derive(Debug)]
pub(crate) struct Timing {
    /// The latest two samples (`u64::MAX` before there are).
    latest: AtomicU64,
    previous: AtomicU64,
    samples: AtomicU64,
}

#[cfg(not(cfut_loom))]
impl Default for Timing {
    fn default() -> Self {
        Timing {
            latest: AtomicU64::new(u64::MAX),
            previous: AtomicU64::new(u64::MAX),
            samples: AtomicU64::new(0),
        }
    }
}

#[cfg(not(cfut_loom))]
impl Timing {
    pub(crate) fn record(&self, took: std::time::Duration, calls: usize) {
        let per_call = u64::try_from(took.as_nanos() / calls.max(1) as u128).unwrap_or(u64::MAX);
        // ORDERING: the values are published by the `Release` increment below.
        let before = self.latest.swap(per_call, Ordering::Relaxed);
        self.previous.store(before, Ordering::Relaxed);
        // ORDERING: pairs with the `Acquire` in `latest`.
        self.samples.fetch_add(1, Ordering::Release);
    }

    /// The number of measurements so far, and the shorter of the latest two (the only one
    /// while there is one): a runner that was preempted while it ran (its worker's core
    /// taken by another process, which makes calls look milliseconds long) does not turn
    /// grouping off on its own, while calls that really are long do after two samples, or
    /// the very first.
    pub(crate) fn latest(&self) -> (u64, std::time::Duration) {
        // ORDERING: see `record`. A racing record may pair a count with the next values,
        // which only makes the reader adapt to a slightly newer sample.
        let samples = self.samples.load(Ordering::Acquire);
        let nanos = self
            .latest
            .load(Ordering::Relaxed)
            .min(self.previous.load(Ordering::Relaxed));
        (samples, std::time::Duration::from_nanos(nanos))
    }
}

/// Runs `call` over `args`, catching each element's panic separately.
fn run_each<A, T>(call: &impl Fn(A) -> T, args: Vec<A>) -> Vec<Result<T, Error>> {
    args.into_iter()
        .map(|arg| panic::catch_unwind(AssertUnwindSafe(|| call(arg))).map_err(Error::from_panic))
        .collect()
}

/// The in-process level: a closure shared by every call.
pub(crate) struct ClosureSubmitter<'a, E: ?Sized, F> {
    pub(crate) executor: &'a E,
    pub(crate) call: Arc<F>,
    #[cfg(not(cfut_loom))]
    pub(crate) timing: Arc<Timing>,
}

impl<E, F, A, T> Submitter<A, T> for ClosureSubmitter<'_, E, F>
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    fn one(&self, arg: A) -> Future<T> {
        let call = Arc::clone(&self.call);
        self.executor.spawn(move || call(arg))
    }

    fn many(&self, args: &mut dyn Iterator<Item = A>, each: &mut dyn FnMut(Future<T>)) {
        // The calls of the batch share a handle of their own: its count is raised here, on a
        // cache line no worker touches until the batch is queued, where raising the count of
        // `self.call` once per call contends with the workers dropping the previous batches'
        // handles (the `lock inc` was over half of `spawn_all`'s samples in `perf record` of
        // `map_100k`).
        let batch = Arc::new(Arc::clone(&self.call));
        let calls = args.map(|arg| {
            let call = Arc::clone(&batch);
            move || call(arg)
        });
        self.executor.spawn_all(calls, each);
    }

    fn chunk(&self, args: Vec<A>) -> Future<ChunkResults<T>> {
        let call = Arc::clone(&self.call);
        self.executor
            .spawn(move || ChunkResults::ready(run_each(&*call, args)))
    }

    #[cfg(not(cfut_loom))]
    fn group(&self, args: &mut Vec<A>, max_runners: usize) -> Head<A, T> {
        group::submit(self.executor, &self.call, args, max_runners, &self.timing)
    }

    #[cfg(not(cfut_loom))]
    fn timed_one(&self, arg: A) -> Result<Future<T>, A> {
        let call = Arc::clone(&self.call);
        let timing = Arc::clone(&self.timing);
        Ok(self.executor.spawn(move || {
            let start = std::time::Instant::now();
            let value = call(arg);
            timing.record(start.elapsed(), 1);
            value
        }))
    }

    #[cfg(not(cfut_loom))]
    fn timing(&self) -> Option<&Timing> {
        Some(&self.timing)
    }
}

/// The portable level: a function bound to a backend that sends calls elsewhere.
pub(crate) struct RouteSubmitter<'a, A, T> {
    pub(crate) route: Box<dyn PortableRoute<A, T> + 'a>,
}

impl<A, T> Submitter<A, T> for RouteSubmitter<'_, A, T> {
    fn one(&self, arg: A) -> Future<T> {
        self.route.one(arg)
    }

    fn many(&self, args: &mut dyn Iterator<Item = A>, each: &mut dyn FnMut(Future<T>)) {
        for arg in args {
            each(self.route.one(arg));
        }
    }

    fn chunk(&self, args: Vec<A>) -> Future<ChunkResults<T>> {
        self.route.chunk(args)
    }

    #[cfg(not(cfut_loom))]
    fn group(&self, _args: &mut Vec<A>, _max_runners: usize) -> Head<A, T> {
        unreachable!("no grouping without a timing (`Submitter::group`)")
    }

    #[cfg(not(cfut_loom))]
    fn timed_one(&self, arg: A) -> Result<Future<T>, A> {
        Err(arg)
    }

    #[cfg(not(cfut_loom))]
    fn timing(&self) -> Option<&Timing> {
        None
    }
}
