//! `map`'s automatic grouping of tiny calls, built so that it never costs parallelism or
//! latency (issue 11).
//!
//! * [`submit`], which hands a group of calls to an executor and gives one future per call;
//! * [`Group`], the shared list of calls that the group's runner jobs take one at a time.
//!
//! # Why this shape
//!
//! Grouping exists because a dispatch (a job queued, taken, run) costs a few hundred
//! nanoseconds, more than a tiny call. The first design put a group's calls in one job with
//! one future for the whole list, which had two faults once a group held slow calls: the job
//! ran them one after another on one worker while the others idled (a 16-worker pool took
//! ten times longer than `chunksize(1)` on 1 000 instant calls followed by 400 sleeps of
//! 5 ms), and a finished call's result waited behind the unfinished calls of its group (a
//! `map` with a deadline reported `Deadline` for an element that had finished at once).
//!
//! Here:
//!
//! - Each call has its own [`Promise`], completed the moment the call returns: a finished
//!   result never waits for another element's call.
//! - A group of `n` calls is run by `min(n, max_workers)` *runner* jobs, submitted together.
//!   A runner takes the next unstarted call, runs it, and repeats until none is left; it
//!   takes a call only when it can start it at once. So while a group holds an unstarted
//!   call, either one of its runners is still queued — and an idle worker takes it and joins
//!   in — or all of them have started, each on its own worker, and then `max_workers` workers
//!   are busy: no worker idles while a call of the `map` waits inside a group. That is the
//!   guarantee of rayon's adaptive splitting (a unit hands its unstarted tail to an idle
//!   thief), reached without a runner having to submit more runners, which it could not:
//!   jobs are `'static`, and the `map` only borrows its executor.
//! - The cost: up to `max_workers - 1` extra dispatches per group (runners that find the list
//!   empty), against groups of up to 256 calls; and one promise per call rather than one per
//!   group. `compare -- combinators` (`map_100k`) measures it against `chunksize(1)`.
//!
//! A runner that is never run (cancelled by a cancelling shutdown, rejected after shutdown,
//! dropped by its executor) settles the group's calls only if it is the last of the group's
//! runners to be settled and none of them ran: then no runner will take the calls, and each
//! gets the runner's fate (cancelled, or the runner's error). A runner that ran takes every
//! call of the group, so nothing is left for the others. `group/tests/loom_group.rs`
//! model-checks that race.

use cfut_core::{Error, Future, Job, JobExecutor, Promise, promise};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
#[cfg(not(cfut_loom))]
use crate::submitter::Timing;

#[cfg(all(test, cfut_loom))]
mod tests;

/// One call waiting in a group: its argument and the promise of its future.
type Slot<A, T> = Mutex<Option<(A, Promise<T>)>>;

/// The calls of one group, shared by its runners.
pub(crate) struct Group<A, T, F> {
    call: Arc<F>,
    /// The calls in input order; a slot is emptied by the runner that takes its call.
    slots: Box<[Slot<A, T>]>,
    /// The index of the next slot to take.
    next: AtomicUsize,
    /// Set by the first runner that runs, before it takes a call.
    ran: AtomicBool,
    /// Runners neither run nor settled otherwise yet.
    unsettled: AtomicUsize,
    /// Where the runners record how long their calls took (`map` adapts the group size).
    #[cfg(not(cfut_loom))]
    timing: Arc<Timing>,
}

impl<A, T, F> Group<A, T, F>
where
    F: Fn(A) -> T,
{
    /// A group of calls of `call` over `args`, to be run by `runners` runners, and the
    /// future of each call, in input order.
    pub(crate) fn new(
        call: Arc<F>,
        args: Vec<A>,
        runners: usize,
        #[cfg(not(cfut_loom))] timing: Arc<Timing>,
    ) -> (Self, Vec<Future<T>>) {
        let mut futures = Vec::with_capacity(args.len());
        let slots = args
            .into_iter()
            .map(|arg| {
                let (producer, future) = promise();
                futures.push(future);
                Mutex::new(Some((arg, producer)))
            })
            .collect();
        let group = Group {
            call,
            slots,
            next: AtomicUsize::new(0),
            ran: AtomicBool::new(false),
            unsettled: AtomicUsize::new(runners),
            #[cfg(not(cfut_loom))]
            timing,
        };
        (group, futures)
    }

    /// Takes the next call nobody took yet.
    fn take(&self) -> Option<(A, Promise<T>)> {
        loop {
            // ORDERING: only the uniqueness of each index matters; the slot's mutex hands its
            // contents over.
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            if let Some(taken) = self.slots.get(index)?.lock().take() {
                return Some(taken);
            }
        }
    }

    /// A runner's body: runs the group's calls one at a time until none is left, completing
    /// each call's future as soon as it returns.
    pub(crate) fn run(&self) {
        // ORDERING: SeqCst with `settle_unrun`: the runner that settles last sees `ran` if
        // any runner ran (the store comes before this runner's decrement).
        self.ran.store(true, Ordering::SeqCst);
        self.unsettled.fetch_sub(1, Ordering::SeqCst);
        #[cfg(not(cfut_loom))]
        let start = std::time::Instant::now();
        let mut calls = 0;
        while let Some((arg, producer)) = self.take() {
            producer.run(|| (self.call)(arg));
            calls += 1;
        }
        #[cfg(not(cfut_loom))]
        if calls > 0 {
            self.timing.record(start.elapsed(), calls);
        }
        #[cfg(cfut_loom)]
        let _ = calls;
    }

    /// A runner will never run (its job was cancelled, rejected with `error`, or dropped).
    /// If it is the last runner settled and none ran, nobody will take the calls left: each
    /// gets this runner's fate.
    pub(crate) fn settle_unrun(&self, error: &Error) {
        // ORDERING: see `run`.
        if self.unsettled.fetch_sub(1, Ordering::SeqCst) != 1 || self.ran.load(Ordering::SeqCst) {
            return;
        }
        while let Some((_, producer)) = self.take() {
            if matches!(error, Error::Cancelled) {
                producer.cancel();
            } else {
                producer.set_error(error.clone());
            }
        }
    }
}

/// A runner job for `group`: runs it, or settles it if the executor never runs the job.
pub(crate) fn runner<A, T, F>(group: &Arc<Group<A, T, F>>) -> Job
where
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    let (producer, fate) = promise::<()>();
    let unrun = Arc::clone(group);
    fate.add_done_callback(move |outcome| {
        if let Err(error) = outcome {
            unrun.settle_unrun(error);
        }
    });
    let group = Arc::clone(group);
    Job::with_promise(producer, move || group.run())
}

/// Submits `call` over `args` (not empty) to `executor` as one group run by at most
/// `max_runners` jobs; gives the future of each call, in input order.
pub(crate) fn submit<E, F, A, T>(
    executor: &E,
    call: &Arc<F>,
    args: Vec<A>,
    max_runners: usize,
    #[cfg(not(cfut_loom))] timing: &Arc<Timing>,
) -> Vec<Future<T>>
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    let runners = max_runners.clamp(1, args.len().max(1));
    let (group, futures) = Group::new(
        Arc::clone(call),
        args,
        runners,
        #[cfg(not(cfut_loom))]
        Arc::clone(timing),
    );
    let group = Arc::new(group);
    for _ in 0..runners {
        executor.execute(runner(&group));
    }
    futures
}
