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
//! - Each call's outcome is stored the moment the call returns, in its runner's *outbox*:
//!   a finished result never waits for another element's call. The `map` takes whole
//!   outboxes at once (swapping in an empty one) and yields the outcomes in input order.
//!   Only when the one it needs is not there yet does it wait: a short spin, then a
//!   [`Promise`] the runner completes (so waiting is the core's: deadlines, and a pool
//!   worker running its own queued calls meanwhile).
//! - A group of `n` calls is run by `min(n, max_workers)` *runner* jobs, submitted together.
//!   A runner takes the next unstarted call, runs it, and repeats until none is left; it
//!   takes a call only when it can start it at once. Runners alternate ends: the first (and
//!   every other one) takes calls from the front, the second (and every other one) from the
//!   back, so that two runners of a group do not touch the same cache lines on every call;
//!   they stop where they meet (each argument has its own small mutex, which decides). So while a group holds an unstarted
//!   call, either one of its runners is still queued — and an idle worker takes it and joins
//!   in — or all of them have started, each on its own worker, and then `max_workers` workers
//!   are busy: no worker idles while a call of the `map` waits inside a group. That is the
//!   guarantee of rayon's adaptive splitting (a unit hands its unstarted tail to an idle
//!   thief), reached without a runner having to submit more runners, which it could not:
//!   jobs are `'static`, and the `map` only borrows its executor.
//! - The cost: up to `max_workers - 1` extra dispatches per group (runners that find the list
//!   empty), against groups of about 50 µs of calls (`tuning.rs`, `GROUP_WORK`); two
//!   uncontended lock/unlock pairs per call on the runner's side, and on the `map`'s one
//!   lock per run of done calls. Groups of one call are plain jobs. The `map_100k_grouped`
//!   row of `cargo run --release -p cfut-bench --bin compare -- combinators` measures it
//!   (`tuning.rs` gives the figures).
//!
//! A runner that is never run (cancelled by a cancelling shutdown, rejected after shutdown,
//! dropped by its executor) settles the group's calls only if it is the last of the group's
//! runners to be settled and none of them ran: then no runner will take the calls, and each
//! gets the runner's fate (cancelled, or the runner's error). A runner that ran takes every
//! call of the group, so nothing is left for the others. A `map` that ends (dropped, or its
//! deadline passed) marks the calls no runner started as gone; runners stop at them.
//! `group/tests/loom_group.rs` model-checks these races.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};

use cfut_core::{Error, Future, Job, JobExecutor, Promise, promise};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
#[cfg(not(cfut_loom))]
use crate::submitter::Timing;

#[cfg(all(test, cfut_loom))]
mod tests;

/// A call's outcome inside a group; the error boxed, so that outcomes stay small on their way
/// from a runner to the `map`.
type Outcome<T> = Result<T, Box<Error>>;

/// Outcomes a runner stored and the `map` did not receive yet: `(index, outcome)`.
type Outbox<T> = Vec<(usize, Outcome<T>)>;

/// The calls of one group, shared by its runners and the `map`.
pub(crate) struct Group<A, T, F> {
    call: Arc<F>,
    /// Each call's argument until a runner starts it (or the `map` cancels it).
    args: Box<[Mutex<Option<A>>]>,
    /// How many calls were claimed from the front, and from the back.
    front: AtomicUsize,
    back: AtomicUsize,
    /// Runners started so far; the `k`-th takes calls from the front if `k` is even, from
    /// the back if odd, and stores its outcomes in `outboxes[k]`.
    started: AtomicUsize,
    /// One outbox per runner: a runner's pushes stay on its own cache lines, and the `map`
    /// takes a whole outbox at once.
    outboxes: Box<[Mutex<Outbox<T>>]>,
    /// The `map`'s side: outcomes received from the outboxes, by index, and an empty outbox
    /// to swap in. Only the `map` locks it.
    inbox: Mutex<Inbox<T>>,
    /// `index + 1` of the call the `map` waits for; 0 while it does not wait.
    wanted: AtomicUsize,
    /// The `map`'s wake-up while it waits.
    waiter: Mutex<Option<Promise<()>>>,
    /// Set by the first runner that runs, before it takes a call.
    ran: AtomicBool,
    /// Runners neither run nor settled otherwise yet.
    unsettled: AtomicUsize,
    /// Where the runners record how long their calls took (`map` adapts the group size).
    #[cfg(not(cfut_loom))]
    timing: Arc<Timing>,
}

struct Inbox<T> {
    received: Vec<Option<Outcome<T>>>,
    spare: Outbox<T>,
}

impl<A, T, F> Group<A, T, F>
where
    F: Fn(A) -> T,
{
    /// A group of calls of `call` over `args`, to be run by up to `max_runners` runners
    /// (at least one; no more than calls).
    pub(crate) fn new(
        call: Arc<F>,
        args: impl IntoIterator<Item = A>,
        max_runners: usize,
        #[cfg(not(cfut_loom))] timing: Arc<Timing>,
    ) -> Self {
        let args = args.into_iter();
        // Sized up front: a `Take` of a boxed iterator may not know its length, and growing
        // the list by doubling would allocate (and free) it several times per group.
        let mut slots = Vec::with_capacity(args.size_hint().1.unwrap_or(0));
        slots.extend(args.map(|arg| Mutex::new(Some(arg))));
        let args = slots.into_boxed_slice();
        let runners = max_runners.clamp(1, args.len().max(1));
        Group {
            call,
            front: AtomicUsize::new(0),
            back: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
            outboxes: (0..runners).map(|_| Mutex::new(Vec::new())).collect(),
            inbox: Mutex::new(Inbox {
                received: (0..args.len()).map(|_| None).collect(),
                spare: Vec::new(),
            }),
            args,
            wanted: AtomicUsize::new(0),
            waiter: Mutex::new(None),
            ran: AtomicBool::new(false),
            unsettled: AtomicUsize::new(runners),
            #[cfg(not(cfut_loom))]
            timing,
        }
    }

    /// Claims the next call from one end; `None` past the other end.
    fn claim(&self, from_back: bool) -> Option<usize> {
        let len = self.args.len();
        // ORDERING: only the uniqueness of each index matters; the argument's mutex hands it
        // over, and decides between the two ends where they meet.
        if from_back {
            let taken = self.back.fetch_add(1, Ordering::Relaxed);
            (taken < len).then(|| len - 1 - taken)
        } else {
            let taken = self.front.fetch_add(1, Ordering::Relaxed);
            (taken < len).then_some(taken)
        }
    }

    /// Stores a call's outcome in `outbox`; `true` if the `map` waits for that call (then
    /// [`wake`](Self::wake) it).
    fn store(&self, outbox: usize, index: usize, outcome: Outcome<T>) -> bool {
        self.outboxes[outbox].lock().push((index, outcome));
        // No lost wake-up: the `map` writes `wanted`, then looks in every outbox under its
        // lock. If it locked this outbox after the push, it sees the outcome; if before,
        // that lock's release comes before this push's acquire, so this read sees `wanted`.
        // ORDERING: the mutex orders it (above); Acquire also makes the waiter visible.
        self.wanted.load(Ordering::Acquire) == index + 1
    }

    /// Wakes the `map` if it waits.
    fn wake(&self) {
        if let Some(waiter) = self.waiter.lock().take() {
            waiter.set_result(());
        }
    }

    /// A runner's body: runs the group's calls one at a time, from its end, until none is
    /// left, storing each call's outcome as soon as it returns.
    pub(crate) fn run(&self) {
        // ORDERING: SeqCst with `settle_unrun`: the runner that settles last sees `ran` if
        // any runner ran (the store comes before this runner's decrement).
        self.ran.store(true, Ordering::SeqCst);
        self.unsettled.fetch_sub(1, Ordering::SeqCst);
        // ORDERING: only hands out distinct runner numbers; nothing is published with it.
        let me = self.started.fetch_add(1, Ordering::Relaxed);
        let from_back = me % 2 == 1;
        #[cfg(not(cfut_loom))]
        let start = std::time::Instant::now();
        // Time spent waking the `map`, left out of the call timing: a wake-up is not the
        // call's cost, and would keep groups of one call from ever growing.
        #[cfg(not(cfut_loom))]
        let mut waking = std::time::Duration::ZERO;
        let mut calls = 0;
        while let Some(index) = self.claim(from_back) {
            // Gone: the other end took it (they met), or the `map` ended.
            let Some(arg) = self.args[index].lock().take() else {
                break;
            };
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (self.call)(arg)))
                .map_err(|payload| Box::new(Error::from_panic(payload)));
            calls += 1;
            if self.store(me, index, outcome) {
                #[cfg(not(cfut_loom))]
                let woken = std::time::Instant::now();
                self.wake();
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
        for (index, arg) in self.args.iter().enumerate() {
            if arg.lock().take().is_some() {
                self.outboxes[0]
                    .lock()
                    .push((index, Err(Box::new(error.clone()))));
            }
        }
        // Whichever call the `map` waits for is settled now (as in `store`, through the
        // outbox's lock).
        self.wake();
    }
}

impl<A, T, F> Group<A, T, F> {
    /// Moves every stored outcome into the `map`'s inbox.
    fn receive(&self, inbox: &mut Inbox<T>) {
        for outbox in self.outboxes.iter() {
            {
                let mut outbox = outbox.lock();
                if outbox.is_empty() {
                    continue;
                }
                std::mem::swap(&mut *outbox, &mut inbox.spare);
            }
            for (index, outcome) in inbox.spare.drain(..) {
                inbox.received[index] = Some(outcome);
            }
        }
    }

    /// Is call `index`'s outcome received (after receiving what is stored)?
    fn received(&self, index: usize) -> bool {
        let mut inbox = self.inbox.lock();
        if inbox.received[index].is_none() {
            self.receive(&mut inbox);
        }
        inbox.received[index].is_some()
    }

    /// Waits until call `index` is done, or `timed_out()` says to stop waiting (given the
    /// future to wait on); `false` if it stopped first.
    fn wait_with(&self, index: usize, wait: impl Fn(&Future<()>) -> bool) -> bool {
        // Tiny calls finish within a few hundred nanoseconds of each other: a short spin
        // finds them without a promise and a wake-up per call.
        #[cfg(not(cfut_loom))]
        for round in 0..crate::tuning::WAIT_SPIN_ROUNDS {
            if self.received(index) {
                return true;
            }
            for _ in 0..1_u32 << round {
                std::hint::spin_loop();
            }
        }
        loop {
            if self.received(index) {
                return true;
            }
            let (producer, future) = promise();
            *self.waiter.lock() = Some(producer);
            // Before looking in the outboxes again: see `store`.
            // ORDERING: Release (SeqCst) publishes the waiter set just above.
            self.wanted.store(index + 1, Ordering::SeqCst);
            let done = self.received(index) || wait(&future);
            // ORDERING: SeqCst like the store above; a runner that still sees the old value
            // at most wakes a later wait early, which then looks again.
            self.wanted.store(0, Ordering::SeqCst);
            drop(self.waiter.lock().take());
            if !done {
                return self.received(index);
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
    /// Moves the outcomes of the calls from `index` on that are done, up to the first that
    /// is not, to the back of `ready`; how many it moved. (One lock for a run of done calls:
    /// the `map` then yields them without touching the group.)
    fn take_ready(&self, index: usize, ready: &mut VecDeque<Result<T, Error>>) -> usize;
    /// Takes the outcome of call `index`, which is done. A call that is not (the `map`
    /// cancelled it) gives [`Error::Cancelled`].
    fn take(&self, index: usize) -> Result<T, Error>;
    /// The `map` ended: calls that no runner started are gone, and will not run.
    fn cancel(&self);
}

impl<A, T, F> Outcomes<T> for Arc<Group<A, T, F>> {
    fn is_done(&self, index: usize) -> bool {
        self.received(index)
    }

    fn wait(&self, index: usize) {
        self.wait_with(index, |future| {
            future.wait();
            true
        });
    }

    #[cfg(not(cfut_loom))]
    fn wait_until(&self, index: usize, deadline: std::time::Instant) -> bool {
        self.wait_with(index, |future| {
            future.wait_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        })
    }

    fn take_ready(&self, index: usize, ready: &mut VecDeque<Result<T, Error>>) -> usize {
        let mut inbox = self.inbox.lock();
        if inbox.received[index].is_none() {
            self.receive(&mut inbox);
        }
        let before = ready.len();
        for outcome in inbox.received[index..].iter_mut() {
            match outcome.take() {
                Some(outcome) => ready.push_back(outcome.map_err(|error| *error)),
                None => break,
            }
        }
        ready.len() - before
    }

    fn take(&self, index: usize) -> Result<T, Error> {
        let mut inbox = self.inbox.lock();
        if inbox.received[index].is_none() {
            self.receive(&mut inbox);
        }
        match inbox.received[index].take() {
            Some(outcome) => outcome.map_err(|error| *error),
            None => Err(Error::Cancelled),
        }
    }

    fn cancel(&self) {
        for arg in self.args.iter() {
            drop(arg.lock().take());
        }
    }
}

/// A submitted group, as the `map` holds it: its outcomes, and how many calls it holds.
pub(crate) type Submitted<T> = (Box<dyn Outcomes<T>>, usize);

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
) -> Option<Submitted<T>>
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    let group = Group::new(
        Arc::clone(call),
        inputs.take(size),
        max_runners,
        #[cfg(not(cfut_loom))]
        Arc::clone(timing),
    );
    let len = group.args.len();
    if len == 0 {
        return None;
    }
    let runners = group.outboxes.len();
    let group = Arc::new(group);
    for _ in 0..runners {
        executor.execute(runner(&group));
    }
    Some((Box::new(group), len))
}
