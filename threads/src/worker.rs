//! A worker thread: its main loop, its place in a thread-local (so that submissions from its
//! tasks go to its own deque), and the [`WaitHelper`] that runs its own queued calls while one
//! of its tasks waits for a future.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use cfut_core::{Job, WaitHelper, install_wait_helper};

use crate::loom::sync::Arc;
use crate::loom::thread_local;
use crate::registry::{Deques, Registry};
use crate::unwind;

#[cfg(not(cfut_loom))]
thread_local! {
    /// The worker running on this thread, if it is one.
    static CURRENT: RefCell<Option<Rc<WorkerThread>>> = const { RefCell::new(None) };
    /// The registry of that worker, null on other threads: what every `submit` checks
    /// first. A plain pointer in a `Cell` needs no destructor, so reading it is one load,
    /// where `CURRENT` (which has one) is checked for registration on each access.
    static CURRENT_REGISTRY: Cell<*const Registry> = const { Cell::new(std::ptr::null()) };
}

// loom's `thread_local!` does not accept a `const` initializer.
#[cfg(cfut_loom)]
thread_local! {
    static CURRENT: RefCell<Option<Rc<WorkerThread>>> = RefCell::new(None);
    static CURRENT_REGISTRY: Cell<*const Registry> = Cell::new(std::ptr::null());
}

/// Is the current thread a worker of `registry`?
fn is_worker_of(registry: &Registry) -> bool {
    CURRENT_REGISTRY.with(|current| std::ptr::eq(current.get(), registry))
}

/// Enough calls queued to take a batch at once: crossbeam's injector hands over half of what
/// is queued, up to 32 calls.
const GATHER_LEN: usize = 64;
/// At most this many looks while a batch gathers; under loom none (a spin only multiplies
/// the interleavings, and gathering decides nothing).
#[cfg(not(cfut_loom))]
const GATHER_ROUNDS: u32 = 16;
#[cfg(cfut_loom)]
const GATHER_ROUNDS: u32 = 0;
/// Pause instructions between two looks: a little longer than a submitter takes to queue a
/// call (about 60 ns measured), so that a growing queue shows it.
const GATHER_SPIN: u32 = 8;

/// The state of one worker, owned by its thread.
struct WorkerThread {
    registry: Arc<Registry>,
    index: usize,
    deques: Deques,
    /// The injector's length just after this worker last took calls from it: if it is
    /// longer when the worker comes back, calls are still being submitted (see `gather`).
    injector_left: Cell<usize>,
}

/// Pushes `job` onto the current thread's local deque if the thread is a worker of
/// `registry`; gives the job back otherwise.
pub(crate) fn push_local(registry: &Registry, job: Job) -> Result<(), Job> {
    if !is_worker_of(registry) {
        return Err(job);
    }
    CURRENT.with(|current| match &*current.borrow() {
        Some(worker) if std::ptr::eq(&*worker.registry, registry) => {
            worker.deques.local.push(job);
            Ok(())
        }
        _ => Err(job),
    })
}

/// The index of the current thread if it is a worker of `registry`.
pub(crate) fn current_index(registry: &Registry) -> Option<usize> {
    CURRENT.with(|current| match &*current.borrow() {
        Some(worker) if std::ptr::eq(&*worker.registry, registry) => Some(worker.index),
        _ => None,
    })
}

/// The body of worker thread `index`.
pub(crate) fn main(registry: Arc<Registry>, index: usize, deques: Deques) {
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
        deques,
        injector_left: Cell::new(0),
    });
    CURRENT.with(|current| *current.borrow_mut() = Some(Rc::clone(&worker)));
    CURRENT_REGISTRY.with(|current| current.set(Arc::as_ptr(&registry)));
    let helper = install_wait_helper(Rc::clone(&worker) as Rc<dyn WaitHelper>);
    registry.thread_ready();
    worker.run();
    drop(helper);
    CURRENT_REGISTRY.with(|current| current.set(std::ptr::null()));
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
            job = match self.find_work(true) {
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
            || self.find_work(false),
            || registry.has_work(),
            || registry.gate.is_terminated(),
            || Registry::start_thread_for_queued(registry),
        )
    }

    /// Own submissions first (newest first), then the batch taken earlier, then the
    /// injector (taking a batch), then the other workers. `after_call`: this worker just ran
    /// a call (rather than searching), so it may [`gather`](Self::gather) a batch first.
    fn find_work(&self, after_call: bool) -> Option<Job> {
        let registry = &*self.registry;
        self.deques
            .local
            .pop()
            .or_else(|| self.deques.batch.pop())
            .or_else(|| {
                if after_call {
                    self.gather();
                }
                let job = registry.injector.steal_batch_and_pop(&self.deques.batch)?;
                self.injector_left.set(registry.injector.len());
                if !self.deques.batch.is_empty() {
                    // More than we can run at once: let an idle worker share the batch.
                    Registry::wake_or_start(&self.registry);
                }
                Some(job)
            })
            .or_else(|| registry.steal_from_others(self.index))
    }

    /// Before taking calls from the injector after running some: if the injector grew while
    /// they ran (calls are still being submitted) and holds only a few, lets a batch gather —
    /// looks at its length up to [`GATHER_ROUNDS`] times, [`GATHER_SPIN`] pauses apart, and
    /// stops as soon as it does not grow or reaches [`GATHER_LEN`] — so that the next steal
    /// takes a batch.
    ///
    /// Without it, a worker that keeps pace with a submitter on another CPU takes the calls
    /// one at a time, right behind the submitter, and the queue's slots and each call's
    /// memory move between the two CPUs' caches on every call. Measured on the 2-vCPU VM
    /// (10 000 no-op submissions): 2.2–2.7 ms to submit them with a worker keeping pace,
    /// 0.6–0.9 ms with the workers not yet running. The wait is bounded (16 × 8 pauses:
    /// about 3.3 µs where a pause takes 26 ns, as on that VM's AMD EPYC) and only happens
    /// while the queue grows. A queue that did not grow since this worker's last steal (a
    /// burst already queued, a lone call) is taken at once: a look there cost small bursts
    /// about a third of their time.
    fn gather(&self) {
        let injector = &self.registry.injector;
        let mut queued = injector.len();
        if queued <= self.injector_left.get() || queued >= GATHER_LEN {
            return;
        }
        for _ in 0..GATHER_ROUNDS {
            for _ in 0..GATHER_SPIN {
                crate::loom::hint::spin_loop();
            }
            let now = injector.len();
            if now <= queued || now >= GATHER_LEN {
                return;
            }
            queued = now;
        }
    }
}

impl WaitHelper for WorkerThread {
    /// Runs this worker's own queued calls — children its tasks submitted — while the awaited
    /// future is pending; never work taken from the injector or from other workers, so a
    /// waiting task is never re-entered by an unrelated call (rayon #592).
    fn help_while(&self, pending: &dyn Fn() -> bool) {
        while pending() {
            match self.deques.local.pop() {
                Some(job) => run(job),
                None => break,
            }
        }
        if self.registry.has_work() {
            // This thread is about to block while calls are queued (maybe in its own batch):
            // make sure an idle worker, or a new one, takes them; they might be what the
            // awaited future depends on.
            Registry::wake_or_start(&self.registry);
        }
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
