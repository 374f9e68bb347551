//! A worker thread: its main loop, its place in a thread-local (so that submissions from its
//! tasks go to its own deque), and the [`WaitHelper`] that runs its own queued calls while one
//! of its tasks waits for a future.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cfut_core::{Job, WaitHelper, install_wait_helper};

use crate::loom::sync::Arc;
use crate::loom::thread_local;
use crate::queue::Local;
use crate::registry::Registry;
use crate::unwind;

#[cfg(not(cfut_loom))]
thread_local! {
    /// The worker running on this thread, if it is one.
    static CURRENT: RefCell<Option<Rc<WorkerThread>>> = const { RefCell::new(None) };
    /// The same worker as a plain pointer, null on other threads: what every `submit` checks
    /// first. A plain pointer in a `Cell` needs no destructor, so reading it is one load,
    /// where `CURRENT` (which has one) is checked for registration on each access. It points
    /// into `CURRENT`'s `Rc` and is set only while that holds it.
    static CURRENT_WORKER: Cell<*const WorkerThread> = const { Cell::new(std::ptr::null()) };
}

// loom's `thread_local!` does not accept a `const` initializer.
#[cfg(cfut_loom)]
thread_local! {
    static CURRENT: RefCell<Option<Rc<WorkerThread>>> = RefCell::new(None);
    static CURRENT_WORKER: Cell<*const WorkerThread> = Cell::new(std::ptr::null());
}

/// Runs `f` with the current thread's worker if it is a worker of `registry`.
fn with_worker_of<R>(registry: &Registry, f: impl FnOnce(&WorkerThread) -> R) -> Option<R> {
    let worker = CURRENT_WORKER.with(Cell::get);
    // SAFETY: a non-null pointer points into the `Rc` that `CURRENT` holds on this thread
    // (`main` sets it after storing the `Rc` and clears it before taking it back), so the
    // worker outlives this call; it is only ever shared immutably.
    let worker = unsafe { worker.as_ref() }?;
    std::ptr::eq(&*worker.registry, registry).then(|| f(worker))
}

/// Runs `f` with the registry of the worker running on this thread, if it is one (of any
/// pool).
pub(crate) fn with_current_registry<R>(f: impl FnOnce(&Arc<Registry>) -> R) -> Option<R> {
    let worker = CURRENT_WORKER.with(Cell::get);
    // SAFETY: as in `with_worker_of`: a non-null pointer points into the `Rc` that `CURRENT`
    // holds on this thread for as long as the pointer is set, which outlasts this call.
    let worker = unsafe { worker.as_ref() }?;
    Some(f(&worker.registry))
}

/// The state of one worker, owned by its thread.
struct WorkerThread {
    registry: Arc<Registry>,
    index: usize,
    /// Calls submitted by this worker's own tasks.
    local: Local<Job>,
}

/// Submits `job` from a task of one of `registry`'s workers to that worker's own deque
/// (admitted by the gate's local pass; rejected after shutdown), and makes sure an idle
/// worker will see it. Gives the job back if the thread is not a worker of `registry`.
pub(crate) fn submit_local(registry: &Arc<Registry>, job: Job) -> Result<(), Job> {
    let mut job = Some(job);
    let admitted = with_worker_of(registry, |worker| {
        let job = job.take().expect("taken once");
        match registry.gate.enter_local(worker.index) {
            Ok(pass) => {
                worker.local.push(job);
                drop(pass);
                Ok(())
            }
            Err(closed) => Err((job, closed)),
        }
    });
    match admitted {
        None => Err(job.expect("not taken")),
        Some(Ok(())) => {
            Registry::wake_or_start(registry);
            Ok(())
        }
        Some(Err((job, closed))) => {
            registry.reject(job, closed);
            Ok(())
        }
    }
}

/// The index of the current thread if it is a worker of `registry`.
pub(crate) fn current_index(registry: &Registry) -> Option<usize> {
    with_worker_of(registry, |worker| worker.index)
}

/// The body of worker thread `index`.
pub(crate) fn main(registry: Arc<Registry>, index: usize, local: Local<Job>) {
    if let Some(initializer) = &registry.config.initializer {
        if let Err(payload) = unwind::halt_unwinding(initializer) {
            let message = unwind::panic_message(&*payload);
            // CPython logs "Exception in initializer:" at CRITICAL level.
            eprintln!("cfut-threads: the initializer of worker {index} panicked: {message}");
            registry.thread_not_ready();
            registry.break_pool(format!(
                "a thread initializer failed, the thread pool is not usable anymore: {message}"
            ));
            registry.thread_exited();
            return;
        }
    }
    let worker = Rc::new(WorkerThread {
        registry: Arc::clone(&registry),
        index,
        local,
    });
    CURRENT.with(|current| *current.borrow_mut() = Some(Rc::clone(&worker)));
    CURRENT_WORKER.with(|current| current.set(Rc::as_ptr(&worker)));
    let helper = install_wait_helper(Rc::clone(&worker) as Rc<dyn WaitHelper>);
    registry.thread_ready();
    worker.run();
    drop(helper);
    CURRENT_WORKER.with(|current| current.set(std::ptr::null()));
    CURRENT.with(|current| current.borrow_mut().take());
    drop(worker);
    registry.thread_exited();
}

impl WorkerThread {
    /// The main loop. The thread starts counted as searching (`Registry::thread_ready`).
    fn run(&self) {
        let registry = &*self.registry;
        let mut job = self.search();
        while let Some(current) = job {
            run(current);
            job = match self.find_work() {
                Some(next) => Some(next),
                None => {
                    registry.sleep.add_searcher();
                    self.search()
                }
            };
        }
    }

    /// Searches (then sleeps) as an idle worker until there is work or the pool terminates.
    fn search(&self) -> Option<Job> {
        let registry = &self.registry;
        registry.sleep.search(
            self.index,
            || self.find_work(),
            || registry.has_work(),
            || registry.gate.is_terminated(),
            || Registry::start_thread_for_queued(registry),
        )
    }

    /// Own submissions first (newest first: a task's children, depth first), then the
    /// oldest call submitted from outside, then the other workers' own submissions.
    ///
    /// Calls from outside are taken from the injector one at a time, never in batches, so
    /// that they start in submission order (Python's FIFO): a worker that took a batch would
    /// hold the calls after the one it runs, and another worker would start later calls
    /// before them (two workers started five calls of 5, 4, 3, 2 and 1 tenths of a second
    /// as 5, 2, 1, 4, 3). Batches saved a steal per call on floods of no-op calls;
    /// `compare -- threads` and `compare -- combinators` measure what taking them one by
    /// one costs (`submit_result`, `as_completed_10k`).
    ///
    /// A call taken from elsewhere is published as the one this worker works for (see
    /// `Registry::steal_for`); a call from its own deque is still work for the same one.
    fn find_work(&self) -> Option<Job> {
        let registry = &*self.registry;
        if let Some(job) = self.local.pop() {
            return Some(job);
        }
        let taken = registry
            .injector
            .steal()
            .or_else(|| registry.steal_from_others(self.index));
        registry.work_for(self.index, taken.as_ref().map_or(0, Job::key));
        taken
    }
}

impl WaitHelper for WorkerThread {
    /// Runs this worker's own queued calls — children its tasks submitted — while the awaited
    /// future is pending; never work taken from the injector or from other workers, so a
    /// waiting task is never re-entered by an unrelated call (rayon #592).
    fn help_while(&self, pending: &dyn Fn() -> bool) {
        self.help(0, pending);
    }

    /// As `help_while`, with two more moves for the call with key `awaited`:
    /// - its own job, if still on this worker's deque, is handed back to run inline: what
    ///   makes `submit` + `result()` inside a task a fork-join (the child runs where it was
    ///   pushed, nothing is published or woken);
    /// - once this worker's deque is empty, if another worker took the call, this one takes
    ///   calls from that worker's deque (leapfrogging): the awaited call submitted them, or
    ///   waits for them, so they are its work, not unrelated calls.
    fn help_or_take(&self, awaited: usize, pending: &dyn Fn() -> bool) -> Option<Job> {
        self.help(awaited, pending)
    }
}

impl WorkerThread {
    /// Pops this worker's own calls, newest first, while `pending()`: hands back the one with
    /// key `awaited`, runs the others; then leapfrogs (see `help_or_take`; never for key 0).
    fn help(&self, awaited: usize, pending: &dyn Fn() -> bool) -> Option<Job> {
        while pending() {
            if let Some(job) = self.local.pop() {
                if awaited != 0 && job.key() == awaited {
                    return Some(job);
                }
                run(job);
            } else if let Some(job) = self.registry.steal_for(self.index, awaited) {
                // Its deque is empty, so while the call runs everything on it is work for
                // that call: published as such, as a call taken at the top level is.
                let outer = self.registry.working_for(self.index);
                self.registry.work_for(self.index, job.key());
                run(job);
                self.registry.work_for(self.index, outer);
            } else {
                break;
            }
        }
        if pending() && self.registry.has_work() {
            // This thread is about to block while calls are queued: make sure an idle worker,
            // or a new one, takes them; they might be what the awaited future depends on.
            Registry::wake_or_start(&self.registry);
        }
        None
    }
}

/// Runs one job. Jobs made by `Spawn::spawn` never unwind; a bare `Job::new` may, and must
/// not take the worker down with it.
fn run(job: Job) {
    if let Err(payload) = unwind::halt_unwinding(|| job.run()) {
        eprintln!(
            "cfut-threads: a job without a future panicked: {} (the worker lives on)",
            unwind::panic_message(&*payload)
        );
    }
}
