//! The sleep/wake protocol: how idle workers go to sleep without ever missing work, and how
//! submitters wake them without waking anyone who is already awake.
//!
//! * [`Sleep`], the counters and per-worker sleeping places of one pool;
//! * [`Sleep::search`], what a worker that ran out of work does (search, spin, sleep);
//! * [`Sleep::notify_work`], what a submitter does after pushing a call.
//!
//! # Implementation description
//!
//! Two counters: `searching` (workers awake and looking for work, including ones just woken)
//! and `sleepers` (workers registered as asleep and not yet woken). Each worker has a slot: a
//! `Mutex<bool>` ("blocked") and a condition variable. The design follows rayon's (RFC #5:
//! counters, a `SeqCst` fence pair, a last look at the queues before blocking) with tokio's
//! "searching" rule, simplified to two counters.
//!
//! - A *submitter* pushes, issues `fence(SeqCst)`, then reads the counters. If a worker is
//!   searching, correctness needs nothing more: that searcher will find the call, or will
//!   look again before sleeping; the submitter only wakes one more sleeper if more calls are
//!   queued than workers search (so a burst to an idle pool wakes a worker per call, as
//!   CPython's submit takes an idle thread per call, instead of one at a time). Otherwise,
//!   if a worker sleeps, it wakes exactly one. So a stream of submissions to busy or
//!   spinning workers makes no system call.
//! - A *worker going to sleep* locks its slot, moves itself from `searching` to `sleepers`,
//!   issues `fence(SeqCst)`, and looks at the queues (and the terminate flag) once more; only
//!   if they are empty does it set `blocked` and wait, still holding the lock until the wait
//!   releases it.
//! - The two fences make "push, then read the counters" and "count myself asleep, then read
//!   the queues" a Dekker pair: at least one side sees the other, so a call is never left
//!   queued while every worker sleeps (the lost wake-up).
//! - The *waker* moves the woken worker from `sleepers` back to `searching` itself, under
//!   that worker's slot lock, so later submitters see it searching at once and do not wake a
//!   second thread for the same call (only for a further one). Taking the slot lock also
//!   closes the window between a sleeper counting itself and actually waiting.
//! - A *searcher that finds work* leaves `searching`; if it was the last searcher it issues
//!   `fence(SeqCst)` and, if work is still visible and someone sleeps, wakes one (submitters
//!   may have skipped the wake because it was searching). Among workers, wake-ups thus
//!   chain one at a time instead of stampeding. If nobody sleeps, it tells its caller
//!   (`on_unclaimed`), and the pool starts another thread if it may: so every call queued
//!   behind a task that blocks gets a thread while fewer than `max_workers` run, as Python's
//!   one-idle-token-per-submit rule ensures.
//!
//! `src/sleep/tests/loom_sleep.rs` model-checks this with loom against a lock-based stand-in
//! queue: submit vs park, two submitters vs one sleeper, submit vs shutdown.

use crate::loom::hint;
use crate::loom::sync::atomic::{AtomicUsize, Ordering, fence};
use crate::loom::sync::{Condvar, Mutex};
use crate::loom::thread;
use crate::tuning::{SEARCH_ROUNDS, SPIN_ONLY};

#[cfg(all(test, cfut_loom))]
mod tests;

/// The sleep state of one pool.
#[derive(Debug)]
pub(crate) struct Sleep {
    searching: AtomicUsize,
    sleepers: AtomicUsize,
    slots: Box<[Slot]>,
}

/// Where one worker sleeps.
#[derive(Debug)]
struct Slot {
    /// `true` while the worker waits; cleared only by a waker.
    blocked: Mutex<bool>,
    condvar: Condvar,
}

impl Sleep {
    /// Sleeping places for workers `0..workers`.
    pub(crate) fn new(workers: usize) -> Self {
        Sleep {
            searching: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            slots: (0..workers)
                .map(|_| Slot {
                    blocked: Mutex::new(false),
                    condvar: Condvar::new(),
                })
                .collect(),
        }
    }

    /// Workers awake without work (searching, spinning) or asleep.
    pub(crate) fn idle_workers(&self) -> usize {
        self.searching.load(Ordering::SeqCst) + self.sleepers.load(Ordering::SeqCst)
    }

    /// Workers registered as asleep and not yet woken (a snapshot).
    pub(crate) fn sleepers(&self) -> usize {
        self.sleepers.load(Ordering::SeqCst)
    }

    /// After a push: makes sure some idle worker will see the new work, and wakes one more
    /// sleeper while fewer workers search than calls are queued (`queued()`; asked only
    /// then). Returns `false` if no worker is idle at all (every started worker is busy), so
    /// the pool may start one more.
    pub(crate) fn notify_work(&self, queued: impl FnOnce() -> usize) -> bool {
        // The submitter's half of the Dekker pair: the push is ordered before the reads.
        fence(Ordering::SeqCst);
        let searching = self.searching.load(Ordering::SeqCst);
        if searching > 0 {
            // Correctness needs nothing more: a searcher will find the call. But a burst of
            // submissions to an idle pool would otherwise wake one worker and leave the others
            // asleep until that one runs and passes the duty on — a full wake-up latency per
            // worker, and on a virtual machine whose other vCPUs are halted, that first
            // worker may not run for a millisecond. So, as CPython's submit takes one idle
            // thread per call, each call queued beyond the searchers wakes one more sleeper.
            if self.sleepers.load(Ordering::SeqCst) > 0 && queued() > searching {
                self.wake_one();
            }
            return true;
        }
        if self.sleepers.load(Ordering::SeqCst) > 0 {
            // If the sleeper withdrew meanwhile, it did so because it saw the work.
            self.wake_one();
            return true;
        }
        false
    }

    /// Counts a worker as searching; it then enters [`search`](Self::search).
    pub(crate) fn add_searcher(&self) {
        self.searching.fetch_add(1, Ordering::SeqCst);
    }

    /// A searcher leaves without having found work (it exits).
    fn remove_searcher(&self) {
        self.searching.fetch_sub(1, Ordering::SeqCst);
    }

    /// A worker counted as searching looks for work with `find` (spinning briefly), else
    /// sleeps until woken, and repeats. Returns the work found, or `None` once `terminated()`
    /// and nothing is left (`has_work()` false): the worker should exit. Either way it no
    /// longer counts as searching.
    ///
    /// `has_work` must report everything `find` can take; `terminated` must only become true
    /// once no more work can be pushed. `on_unclaimed` is called when this worker found work,
    /// more is queued, and no other worker is idle to take it.
    pub(crate) fn search<J>(
        &self,
        index: usize,
        mut find: impl FnMut() -> Option<J>,
        has_work: impl Fn() -> bool,
        terminated: impl Fn() -> bool,
        on_unclaimed: impl FnOnce(),
    ) -> Option<J> {
        loop {
            for round in 0..SEARCH_ROUNDS {
                if let Some(job) = find() {
                    self.stop_searching(&has_work, on_unclaimed);
                    return Some(job);
                }
                // Once the rounds yield (each a system call), a shutdown is worth noticing
                // before each yield: the caller's join waits for this thread. Spinning
                // rounds do not look, so as not to pull in the gate's line, which
                // submitters write.
                if round >= SPIN_ONLY && terminated() && !has_work() {
                    self.remove_searcher();
                    return None;
                }
                if round + 1 < SEARCH_ROUNDS {
                    backoff(round);
                }
            }
            // `terminated` first: once it is true, no push can still be on its way, so an
            // empty look afterwards is final.
            if terminated() && !has_work() {
                self.remove_searcher();
                return None;
            }
            self.sleep(index, || has_work() || terminated());
        }
    }

    /// A searcher found work; if it was the last one, it passes on the duty to wake for
    /// work still queued (submitters skipped waking because it was searching).
    fn stop_searching(&self, has_work: &impl Fn() -> bool, on_unclaimed: impl FnOnce()) {
        if self.searching.fetch_sub(1, Ordering::SeqCst) == 1 {
            fence(Ordering::SeqCst);
            if has_work() && (self.sleepers.load(Ordering::SeqCst) == 0 || !self.wake_one()) {
                on_unclaimed();
            }
        }
    }

    /// Blocks worker `index` unless `should_wake()` says otherwise after it counted itself
    /// asleep. On return the worker counts as searching again.
    fn sleep(&self, index: usize, should_wake: impl Fn() -> bool) {
        let slot = &self.slots[index];
        let mut blocked = slot.blocked.lock();
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        self.searching.fetch_sub(1, Ordering::SeqCst);
        // The sleeper's half of the Dekker pair: counted asleep before the last look.
        fence(Ordering::SeqCst);
        if should_wake() {
            self.searching.fetch_add(1, Ordering::SeqCst);
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        *blocked = true;
        while *blocked {
            blocked = slot.condvar.wait(blocked);
        }
    }

    /// Wakes one sleeping worker, if there is one; `true` if it did.
    pub(crate) fn wake_one(&self) -> bool {
        self.slots.iter().any(|slot| self.wake(slot))
    }

    /// Wakes every sleeping worker (shutdown, broken pool).
    pub(crate) fn wake_all(&self) {
        for slot in self.slots.iter() {
            self.wake(slot);
        }
    }

    fn wake(&self, slot: &Slot) -> bool {
        let mut blocked = slot.blocked.lock();
        if !*blocked {
            return false;
        }
        *blocked = false;
        // Searching first, so that no reader sees the worker as neither idle nor asleep.
        self.searching.fetch_add(1, Ordering::SeqCst);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
        drop(blocked);
        slot.condvar.notify_one();
        true
    }
}

/// Pause between two looks for work: exponential spinning for the first [`SPIN_ONLY`]
/// rounds, then yielding the CPU.
fn backoff(round: u32) {
    if round < SPIN_ONLY {
        for _ in 0..1_u32 << round {
            hint::spin_loop();
        }
    } else {
        thread::yield_now();
    }
}
