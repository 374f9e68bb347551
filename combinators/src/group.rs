//! `map`'s automatic grouping of tiny calls, built so that it never costs parallelism or
//! latency (issue 11).
//!
//! * [`submit`], which hands a group of calls to an executor;
//! * [`Group`], the shared list of calls that the group's runner jobs take one at a time,
//!   and where each call's outcome waits for the `map`;
//! * [`Outcomes`], the `map`'s view of a group: one outcome per call, in input order.
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
//! - Each call has its own slot, where its outcome is stored the moment the call returns:
//!   a finished result never waits for another element's call. The `map` takes outcomes
//!   from the slots in input order; only when the one it needs is not there yet does it
//!   leave a [`Promise`] in that slot and wait on its future (so waiting is the core's:
//!   deadlines, and a pool worker running its own queued calls meanwhile).
//! - A group of `n` calls is run by `min(n, max_workers)` *runner* jobs, submitted together.
//!   A runner takes the next unstarted call, runs it, and repeats until none is left; it
//!   takes a call only when it can start it at once. Runners alternate ends: the first (and
//!   every other one) takes calls from the front, the second (and every other one) from the
//!   back, so that two runners of a group do not write the same cache lines on every call;
//!   they stop where they meet. So while a group holds an unstarted
//!   call, either one of its runners is still queued — and an idle worker takes it and joins
//!   in — or all of them have started, each on its own worker, and then `max_workers` workers
//!   are busy: no worker idles while a call of the `map` waits inside a group. That is the
//!   guarantee of rayon's adaptive splitting (a unit hands its unstarted tail to an idle
//!   thief), reached without a runner having to submit more runners, which it could not:
//!   jobs are `'static`, and the `map` only borrows its executor.
//! - The cost: up to `max_workers - 1` extra dispatches per group (runners that find the list
//!   empty), against groups of up to 256 calls; and two short lock/unlock pairs per call on
//!   the runner's side and one on the `map`'s (`try_take`, when the call is done).
//!   `compare -- combinators` (`map_100k`) measures it.
//!
//! A runner that is never run (cancelled by a cancelling shutdown, rejected after shutdown,
//! dropped by its executor) settles the group's calls only if it is the last of the group's
//! runners to be settled and none of them ran: then no runner will take the calls, and each
//! gets the runner's fate (cancelled, or the runner's error). A runner that ran takes every
//! call of the group, so nothing is left for the others. A `map` that ends (dropped, or its
//! deadline passed) marks the calls no runner started as gone; runners stop at them.
//! `group/tests/loom_group.rs` model-checks these races.

use std::panic::{self, AssertUnwindSafe};

use cfut_core::{Error, Job, JobExecutor, Promise, promise};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
#[cfg(not(cfut_loom))]
use crate::submitter::Timing;

#[cfg(all(test, cfut_loom))]
mod tests;

/// One call of a group.
enum Slot<A, T> {
    /// Not started; the `map`'s wake-up if it waits for this call.
    Pending(A, Option<Promise<()>>),
    /// A runner runs it.
    Running(Option<Promise<()>>),
    /// Its value, for the `map` to take.
    Done(T),
    /// Its failure (a panic), boxed: slots stay small, so that more of them share a cache
    /// line on their way from a runner to the `map`.
    Failed(Box<Error>),
    /// Taken by the `map`, or cancelled by it before any runner started it.
    Gone,
}

/// The calls of one group, shared by its runners and the `map`.
pub(crate) struct Group<A, T, F> {
    call: Arc<F>,
    slots: Box<[Mutex<Slot<A, T>>]>,
    /// How many slots were claimed from the front, and from the back.
    front: AtomicUsize,
    back: AtomicUsize,
    /// Runners started so far: even ones take calls from the front, odd ones from the back.
    started: AtomicUsize,
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
    /// A group of calls of `call` over `args` (not empty), to be run by `runners` runners.
    pub(crate) fn new(
        call: Arc<F>,
        args: impl IntoIterator<Item = A>,
        runners: usize,
        #[cfg(not(cfut_loom))] timing: Arc<Timing>,
    ) -> Self {
        Group {
            call,
            slots: args
                .into_iter()
                .map(|arg| Mutex::new(Slot::Pending(arg, None)))
                .collect(),
            front: AtomicUsize::new(0),
            back: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            ran: AtomicBool::new(false),
            unsettled: AtomicUsize::new(runners),
            #[cfg(not(cfut_loom))]
            timing,
        }
    }

    /// Claims the next slot from one end; `None` past the other end.
    fn claim(&self, from_back: bool) -> Option<usize> {
        let len = self.slots.len();
        // ORDERING: only the uniqueness of each index matters; the slot's mutex hands its
        // contents over, and decides between the two ends where they meet.
        if from_back {
            let taken = self.back.fetch_add(1, Ordering::Relaxed);
            (taken < len).then(|| len - 1 - taken)
        } else {
            let taken = self.front.fetch_add(1, Ordering::Relaxed);
            (taken < len).then_some(taken)
        }
    }

    /// Starts call `index` if nobody did: its argument.
    fn start(&self, index: usize) -> Option<A> {
        let mut slot = self.slots[index].lock();
        match std::mem::replace(&mut *slot, Slot::Gone) {
            Slot::Pending(arg, waiter) => {
                *slot = Slot::Running(waiter);
                Some(arg)
            }
            other => {
                *slot = other;
                None
            }
        }
    }

    /// Stores the outcome of call `index`; gives the `map`'s wake-up, if it waits.
    fn store(&self, index: usize, outcome: Result<T, Error>) -> Option<Promise<()>> {
        let done = match outcome {
            Ok(value) => Slot::Done(value),
            Err(error) => Slot::Failed(Box::new(error)),
        };
        let mut slot = self.slots[index].lock();
        match std::mem::replace(&mut *slot, done) {
            Slot::Running(waiter) | Slot::Pending(_, waiter) => waiter,
            Slot::Done(_) | Slot::Failed(_) | Slot::Gone => None,
        }
    }

    /// A runner's body: runs the group's calls one at a time, from its end, until none is
    /// left, storing each call's outcome as soon as it returns.
    pub(crate) fn run(&self) {
        // ORDERING: SeqCst with `settle_unrun`: the runner that settles last sees `ran` if
        // any runner ran (the store comes before this runner's decrement).
        self.ran.store(true, Ordering::SeqCst);
        self.unsettled.fetch_sub(1, Ordering::SeqCst);
        // ORDERING: only alternates the ends; nothing is published through it.
        let from_back = self.started.fetch_add(1, Ordering::Relaxed) % 2 == 1;
        #[cfg(not(cfut_loom))]
        let start = std::time::Instant::now();
        // Time spent waking the `map`, left out of the call timing: a wake-up is not the
        // call's cost, and would keep groups of one call from ever growing.
        #[cfg(not(cfut_loom))]
        let mut waking = std::time::Duration::ZERO;
        let mut calls = 0;
        while let Some(index) = self.claim(from_back) {
            // Not pending: the other end took it (they met), or the `map` ended.
            let Some(arg) = self.start(index) else { break };
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (self.call)(arg)))
                .map_err(Error::from_panic);
            calls += 1;
            if let Some(waiter) = self.store(index, outcome) {
                #[cfg(not(cfut_loom))]
                let woken = std::time::Instant::now();
                waiter.set_result(());
                #[cfg(not(cfut_loom))]
                {
                    waking += woken.elapsed();
                }
            }
        }
        #[cfg(not(cfut_loom))]
        if calls > 0 {
            self.timing
                .record(start.elapsed().saturating_sub(waking), calls);
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
        for index in 0..self.slots.len() {
            if self.start(index).is_some() {
                if let Some(waiter) = self.store(index, Err(error.clone())) {
                    waiter.set_result(());
                }
            }
        }
    }
}

/// The `map`'s view of a group: the outcome of each call, by index in the group.
pub(crate) trait Outcomes<T> {
    /// Is call `index` done (its outcome stored)?
    fn is_done(&self, index: usize) -> bool;
    /// Blocks until call `index` is done.
    fn wait(&self, index: usize);
    /// Blocks until call `index` is done or `deadline` passes; `false` if it passed first.
    #[cfg(not(cfut_loom))]
    fn wait_until(&self, index: usize, deadline: std::time::Instant) -> bool;
    /// Takes the outcome of call `index` if it is done.
    fn try_take(&self, index: usize) -> Option<Result<T, Error>>;
    /// Takes the outcome of call `index`, which is done. A call that is not (the `map`
    /// cancelled it) gives [`Error::Cancelled`].
    fn take(&self, index: usize) -> Result<T, Error>;
    /// The `map` ended: calls that no runner started are gone, and will not run.
    fn cancel(&self);
}

impl<A, T, F> Group<A, T, F> {
    /// The future to wait on for call `index`, unless it is done already.
    fn waiter(&self, index: usize) -> Option<cfut_core::Future<()>> {
        let mut slot = self.slots[index].lock();
        let waiter = match &mut *slot {
            Slot::Pending(_, waiter) | Slot::Running(waiter) => waiter,
            Slot::Done(_) | Slot::Failed(_) | Slot::Gone => return None,
        };
        let (producer, future) = promise();
        *waiter = Some(producer);
        Some(future)
    }
}

impl<A, T, F> Outcomes<T> for Arc<Group<A, T, F>> {
    fn is_done(&self, index: usize) -> bool {
        matches!(
            *self.slots[index].lock(),
            Slot::Done(_) | Slot::Failed(_) | Slot::Gone
        )
    }

    fn wait(&self, index: usize) {
        if let Some(future) = self.waiter(index) {
            future.wait();
        }
    }

    #[cfg(not(cfut_loom))]
    fn wait_until(&self, index: usize, deadline: std::time::Instant) -> bool {
        match self.waiter(index) {
            None => true,
            Some(future) => {
                future.wait_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            }
        }
    }

    fn try_take(&self, index: usize) -> Option<Result<T, Error>> {
        let mut slot = self.slots[index].lock();
        if !matches!(*slot, Slot::Done(_) | Slot::Failed(_)) {
            return None;
        }
        Some(outcome(std::mem::replace(&mut *slot, Slot::Gone)))
    }

    fn take(&self, index: usize) -> Result<T, Error> {
        outcome(std::mem::replace(
            &mut *self.slots[index].lock(),
            Slot::Gone,
        ))
    }

    fn cancel(&self) {
        for slot in self.slots.iter() {
            let mut slot = slot.lock();
            if let Slot::Pending(..) = *slot {
                *slot = Slot::Gone;
            }
        }
    }
}

/// The outcome a slot taken out of a group holds: its value or error, or (a call not done,
/// which the `map` only takes after cancelling it) [`Error::Cancelled`].
fn outcome<A, T>(slot: Slot<A, T>) -> Result<T, Error> {
    match slot {
        Slot::Done(value) => Ok(value),
        Slot::Failed(error) => Err(*error),
        Slot::Pending(..) | Slot::Running(_) | Slot::Gone => Err(Error::Cancelled),
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

/// Submits `call` over the next `size` inputs of `inputs` to `executor` as one group run by
/// at most `max_runners` jobs; gives the `map` its view of the group and how many calls it
/// holds, or `None` if `inputs` is exhausted.
pub(crate) fn submit<E, F, A, T>(
    executor: &E,
    call: &Arc<F>,
    inputs: &mut dyn Iterator<Item = A>,
    size: usize,
    max_runners: usize,
    #[cfg(not(cfut_loom))] timing: &Arc<Timing>,
) -> Option<(Box<dyn Outcomes<T>>, usize)>
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    // Unknown runners yet: set below, before any runner exists.
    let mut group = Group::new(
        Arc::clone(call),
        inputs.take(size),
        0,
        #[cfg(not(cfut_loom))]
        Arc::clone(timing),
    );
    let len = group.slots.len();
    if len == 0 {
        return None;
    }
    let runners = max_runners.clamp(1, len);
    group.unsettled = AtomicUsize::new(runners);
    let group = Arc::new(group);
    for _ in 0..runners {
        executor.execute(runner(&group));
    }
    Some((Box::new(group), len))
}
