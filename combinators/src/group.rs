//! `map`'s automatic grouping of tiny calls, built so that it never costs parallelism or
//! latency (issue 11).
//!
//! * [`submit`], which hands a group of calls to an executor;
//! * [`Group`], the calls that the group's runner jobs share, and where each call's outcome
//!   waits for the `map`;
//! * [`Head`], the `map`'s handle on a group, which takes the outcomes in input order;
//! * `ranges.rs`, which calls each runner may start; `slot.rs`, one call's argument and
//!   outcome.
//!
//! # Why this shape
//!
//! Grouping exists because a dispatch (a job queued, taken, run) costs a few hundred
//! nanoseconds, more than a tiny call. The first design put a group's calls in one job with
//! one future for the whole list, which had two faults once a group held slow calls: the job
//! ran them one after another on one worker while the others idled (a 16-worker pool took
//! ten times longer than `chunksize(1)` on 1 000 instant calls followed by 400 sleeps of
//! 5 ms), and a finished call's result waited behind the unfinished calls of its group (a
//! `map` with a deadline reported `Deadline` for an element that had finished at once). The
//! second kept both guarantees with a shared list (a mutex per call, an outbox per runner,
//! groups of at most 256) at five atomic operations per call (a claim, then a lock and an
//! unlock of the call's mutex and of the runner's outbox), and single-call
//! jobs until the first timing came back: `map_100k_grouped` fell from 42.7 to 10.1 M calls/s
//! (issue 11's figures).
//!
//! Here:
//!
//! - A group of `n` calls is run by `min(n, max_workers)` *runner* jobs, submitted together.
//!   A runner starts the calls of its own range one at a time, each claimed with one atomic
//!   add, and when its range is empty it refills it with the oldest calls left: the front
//!   half of another runner's range, or else the next block of calls nobody took yet (one
//!   call while calls are slow, so that they start in input order), until none is left
//!   (`ranges.rs`). A runner never holds a call it cannot start now: every unstarted call
//!   is either unassigned or in a range that every runner can steal from. So while a group holds an unstarted call, either one of its
//!   runners is still queued — and an idle worker takes it and joins in — or all of them
//!   have started, each on its own worker, and then `max_workers` workers are busy: no worker
//!   idles while a call of the `map` waits inside a group. That is the guarantee of rayon's
//!   adaptive splitting (a unit hands its unstarted tail to an idle thief), reached without
//!   a runner having to submit more runners, which it could not: jobs are `'static`, and the
//!   `map` only borrows its executor.
//! - Each call's outcome is stored in the call's own slot of a buffer allocated with the
//!   group, and published the moment the call returns (`slot.rs`): a finished result never
//!   waits for another element's call. The `map` reads the slots in input order; only when
//!   the one it needs is not done does it wait: a short spin and a few yields (while calls
//!   measure under 10 µs), then a [`Promise`] the runner completes (so waiting is the core's: deadlines, and a pool worker running its own queued
//!   calls meanwhile).
//! - The cost: up to `max_workers - 1` extra dispatches per group (runners that find nothing
//!   left), against groups of about 50 µs of calls (`tuning.rs`, `GROUP_WORK`); two atomic
//!   operations per call on the runner's side (its claim and its publication), none shared
//!   with another runner while each has calls of its own, one lock per block of calls taken
//!   from the front (`tuning.rs`, `BLOCK_WORK`), and one atomic load per call on the
//!   `map`'s. Groups of one call are plain jobs. The `map_100k_grouped` row of
//!   `cargo run --release -p cfut-bench --bin compare -- combinators` measures it
//!   (`tuning.rs` gives the figures).
//!
//! A runner that is never run (cancelled by a cancelling shutdown, rejected after shutdown,
//! dropped by its executor) settles the group's calls only if it is the last of the group's
//! runners to be settled and none of them ran: then no runner will take the calls, and each
//! gets the runner's fate (cancelled, or the runner's error). A runner that ran takes every
//! call of the group, so nothing is left for the others. A `map` that ends (dropped, or its
//! deadline passed) empties the ranges, dropping the arguments of the calls no runner
//! started; those calls never run. `group/tests/loom_*.rs` model-check these races.

use std::panic::{self, AssertUnwindSafe};

use cfut_core::{Error, Future, Job, JobExecutor, Promise, promise};

use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
#[cfg(not(cfut_loom))]
use crate::submitter::Timing;

mod ranges;
mod slot;

#[cfg(all(test, cfut_loom))]
mod tests;

use self::ranges::Ranges;
use self::slot::{Outcome, Slot};

/// The calls of one group, shared by its runners and the `map`. (The mapped function is
/// not part of it: the `map` does not know its type, and reads the outcomes without a
/// virtual call.)
pub(crate) struct Group<A, T> {
    /// One slot per call: its argument, then its outcome.
    slots: Box<[Slot<A, T>]>,
    /// Which calls each runner may still start.
    ranges: Ranges,
    /// Runners started so far; the `k`-th owns range `k` first.
    started: AtomicUsize,
    /// The `map`'s wake-up while it waits.
    waiter: Mutex<Option<Promise<()>>>,
    /// Set by the first runner that runs, before it takes a call.
    ran: AtomicBool,
    /// How many outcomes the `map` took (the first ones), once its [`Head`] is dropped.
    taken: AtomicUsize,
    /// Runners neither run nor settled otherwise yet.
    unsettled: AtomicUsize,
    /// Where the runners record how long their calls took (`map` adapts the group size).
    #[cfg(not(cfut_loom))]
    timing: Arc<Timing>,
}

impl<A, T> Group<A, T> {
    /// A group of calls over `args`, to be run by up to `max_runners` runners (at least
    /// one; no more than calls).
    pub(crate) fn new(
        args: impl IntoIterator<Item = A>,
        max_runners: usize,
        #[cfg(not(cfut_loom))] timing: Arc<Timing>,
    ) -> Self {
        let slots: Vec<_> = args.into_iter().map(Slot::new).collect();
        let runners = max_runners.clamp(1, slots.len().max(1));
        Group {
            ranges: Ranges::new(slots.len(), runners),
            slots: slots.into_boxed_slice(),
            started: AtomicUsize::new(0),
            waiter: Mutex::new(None),
            ran: AtomicBool::new(false),
            taken: AtomicUsize::new(0),
            unsettled: AtomicUsize::new(runners),
            #[cfg(not(cfut_loom))]
            timing,
        }
    }

    /// Wakes the `map` if it waits.
    fn wake(&self) {
        if let Some(waiter) = self.waiter.lock().take() {
            waiter.set_result(());
        }
    }

    /// A runner's body: runs the calls of its range, then of stolen ones, until none is
    /// left, publishing each call's outcome as soon as it returns.
    pub(crate) fn run(&self, call: &impl Fn(A) -> T) {
        // ORDERING: SeqCst with `settle_unrun`: the runner that settles last sees `ran` if
        // any runner ran (the store comes before this runner's decrement).
        self.ran.store(true, Ordering::SeqCst);
        self.unsettled.fetch_sub(1, Ordering::SeqCst);
        // ORDERING: only hands out distinct runner numbers; nothing is published with it.
        let me = self.started.fetch_add(1, Ordering::Relaxed) % self.ranges.parts();
        #[cfg(not(cfut_loom))]
        let start = std::time::Instant::now();
        // Time spent waking the `map`, left out of the call timing: a wake-up is not the
        // call's cost, and would keep groups of one call from ever growing.
        #[cfg(not(cfut_loom))]
        let mut waking = std::time::Duration::ZERO;
        let mut calls = 0;
        // The size of the last block this runner took from the front (`ranges.rs`): at first
        // what the `map`'s latest timing says fits in `BLOCK_WORK` (nothing before the first
        // timing came back).
        #[cfg(not(cfut_loom))]
        let mut block = {
            let (samples, per_call) = self.timing.latest();
            if samples == 0 {
                0
            } else {
                fits_in_block(per_call.as_nanos(), 1)
            }
        };
        loop {
            // A block holds `BLOCK_WORK` of calls as this runner measured them so far, at
            // most twice the last one: one call first, then 2, 4, … while calls are tiny.
            #[cfg(not(cfut_loom))]
            let next_block = || {
                if calls > 0 {
                    let took = start.elapsed().saturating_sub(waking).as_nanos();
                    block = fits_in_block(took, calls).min(2 * block.max(1));
                }
                block.max(1)
            };
            #[cfg(cfut_loom)]
            let next_block = || 1;
            let Some(index) = self.ranges.next(me, next_block) else {
                break;
            };
            let slot = &self.slots[index];
            // SAFETY: this runner claimed call `index` (each call is claimed once).
            let arg = unsafe { slot.take_arg() };
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| call(arg)))
                .map_err(|payload| Box::new(Error::from_panic(payload)));
            calls += 1;
            // SAFETY: as above; the outcome is the `map`'s from here on.
            if unsafe { slot.store(outcome) } {
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
        let mut waited = false;
        self.ranges.take_all(|index| {
            let slot = &self.slots[index];
            // SAFETY: `take_all` gave this call's range to this thread alone, for good.
            unsafe {
                drop(slot.take_arg());
                waited |= slot.store(Err(Box::new(error.clone())));
            }
        });
        if waited {
            self.wake();
        }
    }

    /// Waits until call `index` is done, or `wait` says it stopped waiting (given the
    /// future to wait on); `false` if it stopped first.
    fn wait_with(&self, index: usize, wait: impl Fn(&Future<()>) -> bool) -> bool {
        let slot = &self.slots[index];
        // Tiny calls finish within a few hundred nanoseconds of each other: a short spin,
        // then a few yields, find them without a promise and a wake-up per call. Calls
        // measured longer than that would only burn the spin.
        #[cfg(not(cfut_loom))]
        if self.timing.latest().1 < crate::tuning::WAIT_SPIN_BELOW {
            for round in 0..crate::tuning::WAIT_SPIN_ROUNDS {
                if slot.is_done() {
                    return true;
                }
                for _ in 0..1_u32 << round {
                    std::hint::spin_loop();
                }
            }
            for _ in 0..crate::tuning::WAIT_YIELD_ROUNDS {
                if slot.is_done() {
                    return true;
                }
                crate::loom::thread::yield_now();
            }
        }
        loop {
            if slot.is_done() {
                return true;
            }
            let (producer, future) = promise();
            *self.waiter.lock() = Some(producer);
            // The mark, after the waiter: the runner that sees it finds the waiter.
            if !slot.wait_for() {
                drop(self.waiter.lock().take());
                return true;
            }
            if !wait(&future) {
                drop(self.waiter.lock().take());
                return slot.is_done();
            }
            // Woken: by this call's runner, or by another call marked in an earlier wait
            // that ended at its deadline; look again.
        }
    }

    /// How many calls the group holds.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The `map` ended: calls that no runner started are gone, and will not run.
    fn cancel(&self) {
        self.ranges.take_all(|index| {
            // SAFETY: `take_all` gave this call's range to this thread alone, for good.
            drop(unsafe { self.slots[index].take_arg() });
        });
    }
}

impl<A, T> Drop for Group<A, T> {
    /// Drops what the slots still hold: the arguments of calls nobody claimed (their ranges
    /// say which), and the outcomes the `map` did not take (those past `taken` that are
    /// done). A claimed call that is not done holds nothing (its runner took the argument).
    fn drop(&mut self) {
        self.cancel();
        // ORDERING: the `Head`'s store came before its release of the group, which comes
        // before this drop (the `Arc`'s count orders them).
        let taken = self.taken.load(Ordering::Relaxed);
        for slot in &self.slots[taken.min(self.slots.len())..] {
            // SAFETY: the group is being dropped, so this thread has every slot to itself,
            // and the `map` took only the outcomes before `taken`.
            unsafe { slot.drop_outcome() };
        }
    }
}

/// How many calls fit in [`BLOCK_WORK`](crate::tuning::BLOCK_WORK) when `calls` calls took
/// `took` nanoseconds; at least one.
#[cfg(not(cfut_loom))]
fn fits_in_block(took: u128, calls: usize) -> usize {
    let fits = crate::tuning::BLOCK_WORK.as_nanos() * calls as u128 / took.max(1);
    usize::try_from(fits).unwrap_or(usize::MAX).max(1)
}

/// The `map`'s handle on a group: takes the outcomes in input order, each once. Not
/// `Clone`: there is one reader. Dropping it tells the group how far it read.
pub(crate) struct Head<A, T> {
    group: Arc<Group<A, T>>,
    /// The next call whose outcome the `map` yields.
    next: usize,
}

impl<A, T> Head<A, T> {
    /// How many outcomes are left to take.
    pub(crate) fn remaining(&self) -> usize {
        self.group.len() - self.next
    }

    /// Is the next call done (its outcome stored)?
    pub(crate) fn is_done(&self) -> bool {
        self.group.slots[self.next].is_done()
    }

    /// Blocks until the next call is done.
    pub(crate) fn wait(&self) {
        self.group.wait_with(self.next, |future| {
            future.wait();
            true
        });
    }

    /// Blocks until the next call is done or `deadline` passes; `false` if it passed first.
    #[cfg(not(cfut_loom))]
    pub(crate) fn wait_until(&self, deadline: std::time::Instant) -> bool {
        self.group.wait_with(self.next, |future| {
            future.wait_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        })
    }

    /// Takes the next call's outcome and moves on, if that call is done; `None` if not.
    #[inline]
    pub(crate) fn try_next(&mut self) -> Option<Outcome<T>> {
        // SAFETY: only this handle takes outcomes (there is one per group), and it moves
        // past each one it took.
        let outcome = unsafe { self.group.slots[self.next].take() }?;
        self.next += 1;
        Some(outcome)
    }

    /// Takes the next call's outcome and moves on; a call that is not done (the `map`
    /// cancelled it) gives [`Error::Cancelled`].
    pub(crate) fn take_next(&mut self) -> Result<T, Error> {
        match self.try_next() {
            Some(outcome) => outcome.map_err(|error| *error),
            None => {
                self.next += 1;
                Err(Error::Cancelled)
            }
        }
    }

    /// The `map` ended: calls that no runner started are gone, and will not run.
    pub(crate) fn cancel(&self) {
        self.group.cancel();
    }
}

impl<A, T> Drop for Head<A, T> {
    fn drop(&mut self) {
        // ORDERING: read by the group's drop, after this handle's release of the group.
        self.group.taken.store(self.next, Ordering::Relaxed);
    }
}

/// A runner job for `group`: runs it, or settles it if the executor never runs the job.
pub(crate) fn runner<A, T, F>(group: &Arc<Group<A, T>>, call: &Arc<F>) -> Job
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
    let call = Arc::clone(call);
    Job::with_promise(producer, move || group.run(&*call))
}

/// Submits `call` over `args` (drained; not empty) to `executor` as one group run by at
/// most `max_runners` jobs; gives the `map` the group.
pub(crate) fn submit<E, F, A, T>(
    executor: &E,
    call: &Arc<F>,
    args: &mut Vec<A>,
    max_runners: usize,
    #[cfg(not(cfut_loom))] timing: &Arc<Timing>,
) -> Head<A, T>
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    let group = Group::new(
        args.drain(..),
        max_runners,
        #[cfg(not(cfut_loom))]
        Arc::clone(timing),
    );
    let runners = group.ranges.parts();
    let group = Arc::new(group);
    for _ in 0..runners {
        executor.execute(runner(&group, call));
    }
    Head { group, next: 0 }
}
