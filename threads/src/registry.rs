//! The [`Registry`]: everything the workers of one pool share — the queues, the sleep state,
//! the admission gate, the threads — and the submit and shutdown paths.

use cfut_core::{Error, Job, Shutdown};

use crate::gate::{Closed, Gate};
use crate::live::Live;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
use crate::loom::thread::{self, JoinHandle};
use crate::padded::Padded;
use crate::queue::{Injector, Local, Stealer};
use crate::sleep::Sleep;
use crate::worker;

#[cfg(all(test, not(cfut_loom)))]
mod tests;

/// A per-thread start hook (Python's `initializer`).
pub(crate) type Initializer = Box<dyn Fn() + Send + Sync + 'static>;

/// The options a pool is built with.
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) thread_name_prefix: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) initializer: Option<Initializer>,
}

/// The shared state of one pool. See the crate docs for the design.
pub(crate) struct Registry {
    pub(crate) gate: Gate,
    pub(crate) sleep: Sleep,
    pub(crate) injector: Injector<Job>,
    /// The stealing end of worker `i`'s local deque, at index `i`.
    stealers: Box<[Stealer<Job>]>,
    /// At index `i`, the key (`Job::key`) of the call worker `i` last took from the injector
    /// or from another worker and is still working for (0: none): every call on its deque
    /// was submitted, directly or further down, by that call or by calls it waits for. A
    /// worker waiting for that call may take them (`steal_for`). A hint, read `Relaxed`: a
    /// stale key only makes a waiting worker run a call it did not need to.
    working_for: Box<[Padded<AtomicUsize>]>,
    /// Worker `i`'s local deque (for calls submitted by its own tasks) until its thread
    /// starts and takes it.
    deques: Mutex<Vec<Option<Local<Job>>>>,
    /// Threads started so far (never more than `max_workers`).
    started: AtomicUsize,
    /// Threads started but not yet looking for work (running the initializer), counted from
    /// before their start is decided ([`Registry::reserve_start`]) until they look. Not idle,
    /// as in Python: submitters still start threads meanwhile, while fewer are starting than
    /// calls are queued; workers do not start more for calls already queued, since a
    /// starting thread will take them.
    starting: AtomicUsize,
    /// Held while a thread start is decided ([`Registry::reserve_start`]).
    start_decision: Mutex<()>,
    /// Join handles, by worker index.
    threads: Mutex<Vec<Option<JoinHandle<()>>>>,
    /// Worker threads that have not exited yet.
    live: Live,
    broken_reason: Mutex<Option<String>>,
    pub(crate) config: Config,
}

impl Registry {
    pub(crate) fn new(config: Config) -> Self {
        let workers = config.max_workers;
        let mut deques = Vec::with_capacity(workers);
        let mut stealers = Vec::with_capacity(workers);
        for _ in 0..workers {
            let local = Local::new_lifo();
            stealers.push(local.stealer());
            deques.push(Some(local));
        }
        Registry {
            gate: Gate::new(workers),
            sleep: Sleep::new(workers),
            injector: Injector::new(),
            stealers: stealers.into_boxed_slice(),
            working_for: (0..workers).map(|_| Padded(AtomicUsize::new(0))).collect(),
            deques: Mutex::new(deques),
            started: AtomicUsize::new(0),
            starting: AtomicUsize::new(0),
            start_decision: Mutex::new(()),
            threads: Mutex::new((0..workers).map(|_| None).collect()),
            live: Live::new(),
            broken_reason: Mutex::new(None),
            config,
        }
    }

    /// How many worker threads were started (at most `max_workers`; they never retire).
    pub(crate) fn threads_started(&self) -> usize {
        // ORDERING: a statistic; it synchronizes nothing.
        self.started.load(Ordering::Relaxed)
    }

    /// Python's submit path: admit, queue, make sure an idle worker will see it, else start a
    /// thread if below `max_workers`. From one of our workers, the call goes to its own deque
    /// (`worker::submit_local`); from anywhere else, to the injector.
    pub(crate) fn execute(this: &Arc<Self>, job: Job) {
        let Err(job) = worker::submit_local(this, job) else {
            return;
        };
        let pass = match this.gate.enter() {
            Ok(pass) => pass,
            Err(closed) => return this.reject(job, closed),
        };
        if this.call_waits_for_thread_start() {
            job.hint_thread_start();
        }
        this.injector.push(job);
        if !this.sleep.notify_work(|| this.injector.len()) {
            Self::start_thread_for_submitted(this);
        }
        drop(pass);
    }

    /// `execute` for many jobs: from outside the pool, one gate pass for all of them, pushed
    /// to the injector in order, then one notification per job at most, and none once no
    /// sleeper is left to wake (`notify_work` wakes at most one each time). From one of our
    /// workers, each goes to its own deque as `execute` sends it.
    pub(crate) fn execute_all(this: &Arc<Self>, jobs: &mut dyn Iterator<Item = Job>) {
        if worker::current_index(this).is_some() {
            for job in jobs {
                Self::execute(this, job);
            }
            return;
        }
        let pass = match this.gate.enter() {
            Ok(pass) => pass,
            Err(closed) => {
                for job in jobs {
                    this.reject(job, closed);
                }
                return;
            }
        };
        let hint = this.call_waits_for_thread_start();
        let mut pushed = 0_usize;
        for job in jobs {
            if hint {
                job.hint_thread_start();
            }
            this.injector.push(job);
            pushed += 1;
        }
        // The same duty as `pushed` calls of `execute`: after the pushes, each notification
        // sees every one of them queued. One per call while a worker is asleep and more calls
        // are queued than workers search (or a thread may still start); at most one per
        // worker, since each wakes or starts a different one.
        for _ in 0..pushed.min(this.config.max_workers) {
            if this.sleep.notify_work(|| this.injector.len()) {
                if this.sleep.sleepers() == 0 {
                    break;
                }
            } else {
                Self::start_thread_for_submitted(this);
            }
        }
        drop(pass);
    }

    /// Whether a call queued from outside the pool now waits for a thread start: a thread is
    /// starting or may still be started (fewer than `max_workers` so far), and no worker is
    /// idle to take the call. Then the submit path marks the call's job
    /// (`Job::hint_thread_start`), so that a caller blocking on its future sleeps at once
    /// and leaves its CPU to the new thread instead of spinning on it.
    ///
    /// Read before the push, so a hint, like the idle count it reads: a worker that turns
    /// idle just before the push takes the call without a thread start (the hinted caller
    /// then sleeps where it could have spun), and one that turns busy makes the push start
    /// a thread for an unhinted call (the caller spins, as before the hint). Neither changes
    /// an outcome. Once every thread has started (all of them, in a pool past its warm-up),
    /// this is two loads of counters nobody writes any more, and no job is marked, so round
    /// trips keep their spin. Calls submitted by a worker to its own deque are never marked:
    /// their waits help on the worker's deque first.
    fn call_waits_for_thread_start(&self) -> bool {
        // ORDERING: a hint (see above); `starting` is `SeqCst` everywhere else.
        let may_start = self.started.load(Ordering::Relaxed) < self.config.max_workers
            || self.starting.load(Ordering::SeqCst) > 0;
        may_start && self.sleep.idle_workers() == 0
    }

    /// From a worker: queued work may have no idle worker to take it. Wakes one, or starts a
    /// thread if none is idle and fewer than `max_workers` run.
    pub(crate) fn wake_or_start(this: &Arc<Self>) {
        if !this.sleep.notify_work(|| this.injector.len()) {
            Self::start_thread_for_queued(this);
        }
    }

    /// From a worker: starts a thread for queued calls if fewer than `max_workers` run —
    /// also after shutdown, until the pool terminates: the queued calls must still run, and a
    /// running call may be waiting for one of them.
    pub(crate) fn start_thread_for_queued(this: &Arc<Self>) {
        // A thread about to look (starting), or looking (idle), will take the queued calls.
        // `starting` is read before the idle count and a new thread counts itself idle before
        // it leaves `starting` (`thread_ready`), so a thread between the two is seen.
        // Work still queued is looked at last: the calls that worker found may have been
        // taken since by one that has stopped looking.
        let unclaimed =
            |starting| starting == 0 && this.sleep.idle_workers() == 0 && this.has_work();
        if !this.reserve_start(unclaimed) {
            return;
        }
        if let Some(pass) = this.gate.enter_to_start_thread() {
            Self::start_thread(this);
            drop(pass);
        } else {
            this.starting.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// A submitter found no worker idle: starts a thread for its call unless, by now, as many
    /// threads are starting or idle as calls are queued (each takes one once it looks).
    /// CPython starts one thread per call that finds none idle. Without this check a worker
    /// passing on a queued call (`start_thread_for_queued`) and the call's submitter could
    /// both start one for it, and the submitter could start one after the thread started for
    /// its call had begun to look: one thread too many
    /// (`loom_pool::two_blocked_calls_start_two_threads`).
    fn start_thread_for_submitted(this: &Arc<Self>) {
        let takers_short = |starting| starting + this.sleep.idle_workers() < this.injector.len();
        if this.reserve_start(takers_short) {
            Self::start_thread(this);
        }
    }

    /// Counts one more thread as starting if `allowed(starting)`. Decisions are taken one at a
    /// time under `start_decision`, so that each decider sees what the ones before it saw and
    /// decided (a compare-and-swap on `starting` alone is not enough: the count can go back to
    /// a value a decider read while the queue it also read has changed). Once `max_workers`
    /// threads have started it answers `false` without the lock, so the lock is taken only
    /// while threads are still to start. `allowed` may read the idle count after `starting`:
    /// a new thread counts itself idle before it leaves `starting`.
    fn reserve_start(&self, allowed: impl Fn(usize) -> bool) -> bool {
        // ORDERING: a hint that skips the lock (and, for a worker, the gate); `start_thread`
        // re-checks. Once every thread started, a submit that finds them all busy stops here.
        if self.started.load(Ordering::Relaxed) >= self.config.max_workers {
            return false;
        }
        let _decision = self.start_decision.lock();
        // ORDERING: `SeqCst`, as everywhere for this counter (the lock orders the deciders).
        let starting = self.starting.load(Ordering::SeqCst);
        if !allowed(starting) {
            return false;
        }
        self.starting.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Fails `job` with the error of a closed gate.
    pub(crate) fn reject(&self, job: Job, closed: Closed) {
        match closed {
            Closed::Shutdown => job.reject(Error::Shutdown),
            Closed::Broken => {
                let reason = self.broken_reason.lock().clone().unwrap_or_default();
                job.reject(Error::Broken { reason });
            }
        }
    }

    /// Starts one more worker if fewer than `max_workers` were started. Called only with a
    /// gate pass (an admitted submitter, or a worker admitted to start a thread), so that
    /// shutdown finds every handle registered, and with the start reserved in `starting`
    /// ([`reserve_start`](Self::reserve_start)), which is given back if none is started.
    fn start_thread(this: &Arc<Self>) {
        // ORDERING: the counter only hands out distinct indices; the deque and the handle
        // are published through mutexes.
        let claimed = this
            .started
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < this.config.max_workers).then_some(n + 1)
            });
        let Ok(index) = claimed else {
            this.starting.fetch_sub(1, Ordering::SeqCst);
            return;
        };
        let local = this.deques.lock()[index]
            .take()
            .expect("each index is claimed once");
        let registry = Arc::clone(this);
        let mut builder =
            thread::Builder::new().name(format!("{}-{index}", this.config.thread_name_prefix));
        if let Some(size) = this.config.stack_size {
            builder = builder.stack_size(size);
        }
        this.live.started();
        match builder.spawn(move || worker::main(registry, index, local)) {
            Ok(handle) => this.threads.lock()[index] = Some(handle),
            Err(error) => {
                this.starting.fetch_sub(1, Ordering::SeqCst);
                this.thread_exited();
                if index == 0 {
                    // No thread can run the queued calls: fail them rather than lose them.
                    this.break_pool(format!("could not start a worker thread: {error}"));
                } else {
                    eprintln!(
                        "cfut-threads: could not start worker thread {index} ({error}); \
                         continuing with the threads already running"
                    );
                }
            }
        }
    }

    /// A new thread finished its initializer: from now on it counts as searching (counted
    /// there before it leaves `starting`, so that it is never invisible to both).
    pub(crate) fn thread_ready(&self) {
        self.sleep.add_searcher();
        self.starting.fetch_sub(1, Ordering::SeqCst);
    }

    /// A new thread's initializer failed: it will not look for work.
    pub(crate) fn thread_not_ready(&self) {
        self.starting.fetch_sub(1, Ordering::SeqCst);
    }

    /// Called by every worker thread (and failed start) as its very last action.
    pub(crate) fn thread_exited(&self) {
        self.live.exited();
    }

    /// Is there any queued call a worker could take?
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|local| !local.is_empty())
    }

    /// The key of the call worker `index` works for (0: none).
    pub(crate) fn working_for(&self, index: usize) -> usize {
        // ORDERING: a hint (see the field).
        self.working_for[index].load(Ordering::Relaxed)
    }

    /// Worker `index` works for the call with key `key` from now on (0: none).
    pub(crate) fn work_for(&self, index: usize, key: usize) {
        let slot = &self.working_for[index];
        // ORDERING: a hint (see the field); only this worker writes its slot.
        if slot.load(Ordering::Relaxed) != key {
            slot.store(key, Ordering::Relaxed);
        }
    }

    /// Steals one call, for worker `thief` waiting for the call with key `awaited`, from the
    /// deque of a worker working for that call (leapfrogging: Wagner and Calder, 1993): a
    /// call that the awaited one submitted, or one it waits for.
    pub(crate) fn steal_for(&self, thief: usize, awaited: usize) -> Option<Job> {
        if awaited == 0 {
            return None;
        }
        let count = self.stealers.len();
        (1..count).find_map(|offset| {
            let victim = (thief + offset) % count;
            // ORDERING: a hint (see the field).
            (self.working_for[victim].load(Ordering::Relaxed) == awaited)
                .then(|| self.stealers[victim].steal())
                .flatten()
        })
    }

    /// Steals one call from any worker but `thief`, starting after it.
    pub(crate) fn steal_from_others(&self, thief: usize) -> Option<Job> {
        let count = self.stealers.len();
        (1..count).find_map(|offset| self.stealers[(thief + offset) % count].steal())
    }

    /// Takes every queued call out, handing each to `each`.
    fn drain(&self, mut each: impl FnMut(Job)) {
        while let Some(job) = self.injector.steal() {
            each(job);
        }
        for local in self.stealers.iter() {
            while let Some(job) = local.steal() {
                each(job);
            }
        }
    }

    /// An initializer failed: refuse new calls and fail every queued one with the broken
    /// error (CPython's `BrokenThreadPool`).
    pub(crate) fn break_pool(&self, reason: String) {
        *self.broken_reason.lock() = Some(reason.clone());
        self.gate.close(true);
        self.drain(|job| {
            job.reject(Error::Broken {
                reason: reason.clone(),
            })
        });
    }

    /// Python's `shutdown(wait, cancel_futures)`. Harmless when repeated.
    pub(crate) fn shutdown(&self, how: Shutdown) {
        self.gate.close(false);
        if how.cancels_pending() {
            self.drain(Job::cancel);
        }
        self.gate.terminate();
        self.sleep.wake_all();
        if how.waits() {
            self.join_workers();
        }
    }

    /// Joins every worker thread except the calling one (a task may shut its own pool down),
    /// then waits until they all have exited (another shutdown may have taken the handles).
    fn join_workers(&self) {
        let me = worker::current_index(self);
        let handles: Vec<_> = {
            let mut threads = self.threads.lock();
            threads
                .iter_mut()
                .enumerate()
                .filter(|&(index, _)| Some(index) != me)
                .filter_map(|(_, handle)| handle.take())
                .collect()
        };
        for handle in handles {
            // Workers catch every panic of user code; an error here is a bug in this crate.
            if handle.join().is_err() {
                eprintln!("cfut-threads: a worker thread panicked outside a call");
            }
        }
        self.live.wait_until_at_most(usize::from(me.is_some()));
    }
}
