//! The submit path's thread-start hint (`Registry::call_waits_for_thread_start`): a call
//! queued from outside the pool is marked (`Job::hint_thread_start`) exactly when a thread is
//! starting or being started for it and no worker is idle; after start-up, and whenever a
//! worker is idle, no call is. Real threads and no clock: gates hold the workers in their
//! initializer (still starting) or in calls (busy), so that the queued jobs can be looked at.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};

use cfut_core::{Executor, Future, Job, JobExecutor, Shutdown, Spawn};

use super::{Config, Registry};
use crate::ThreadPoolExecutor;

/// Threads wait at it until it is opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

/// Opens its gate when dropped: declared after the pool, so that a failing test lets the
/// held threads go before the pool's drop joins them.
struct Opens<'a>(&'a Gate);

impl Drop for Opens<'_> {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A pool of `workers` threads whose initializer lets the first `pass` threads through and
/// holds the others at `gate` (still starting, so they take no call); its registry beside it.
fn pool(workers: usize, pass: usize, gate: &Arc<Gate>) -> (ThreadPoolExecutor, Arc<Registry>) {
    let gate = Arc::clone(gate);
    let entered = AtomicUsize::new(0);
    let registry = Arc::new(Registry::new(Config {
        max_workers: workers,
        thread_name_prefix: "hint".to_owned(),
        stack_size: None,
        initializer: Some(Box::new(move || {
            if entered.fetch_add(1, Ordering::SeqCst) >= pass {
                gate.wait();
            }
        })),
    }));
    (
        ThreadPoolExecutor::from_registry(Arc::clone(&registry)),
        registry,
    )
}

/// Whether each call queued in the injector is hinted, oldest first; the jobs are put back
/// in the same order. Only while no worker can take them.
fn queued_hints(registry: &Registry) -> Vec<bool> {
    let jobs: Vec<Job> = std::iter::from_fn(|| registry.injector.steal()).collect();
    let hints = jobs.iter().map(Job::thread_start_hinted).collect();
    for job in jobs {
        registry.injector.push(job);
    }
    hints
}

#[test]
fn calls_queued_while_threads_start_are_hinted() {
    let gate = Arc::new(Gate::default());
    let (pool, registry) = pool(2, 0, &gate);
    let _open = Opens(&gate);
    let first = pool.spawn(|| 1);
    assert_eq!(pool.threads_started(), 1, "the first call started a thread");
    assert_eq!(queued_hints(&registry), [true]);
    let second = pool.spawn(|| 2);
    assert_eq!(pool.threads_started(), 2, "no worker idle: a second thread");
    assert_eq!(queued_hints(&registry), [true, true]);
    let third = pool.spawn(|| 3);
    assert_eq!(pool.threads_started(), 2);
    assert_eq!(
        queued_hints(&registry),
        [true, true, true],
        "every thread started, none ready yet: the third call waits for a start too"
    );
    gate.open();
    assert_eq!(
        [first, second, third].map(Future::result),
        [Ok(1), Ok(2), Ok(3)]
    );
}

#[test]
fn a_batch_queued_while_threads_start_is_hinted() {
    let gate = Arc::new(Gate::default());
    let (pool, registry) = pool(2, 0, &gate);
    let _open = Opens(&gate);
    let mut futures = Vec::new();
    pool.spawn_all([1, 2, 3].map(|n| move || n * 10), |future| {
        futures.push(future);
    });
    assert_eq!(pool.threads_started(), 2);
    assert_eq!(queued_hints(&registry), [true, true, true]);
    gate.open();
    let values: Vec<_> = futures.into_iter().map(Future::result).collect();
    assert_eq!(values, [Ok(10), Ok(20), Ok(30)]);
}

#[test]
fn calls_queued_once_every_thread_runs_are_not_hinted() {
    let (pool, registry) = pool(2, 2, &Arc::new(Gate::default()));
    // Both workers inside a call (past their start), held there until `release` opens.
    let inside = Arc::new(Barrier::new(3));
    let release = Arc::new(Gate::default());
    let _open = Opens(&release);
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let (inside, release) = (Arc::clone(&inside), Arc::clone(&release));
            pool.spawn(move || {
                inside.wait();
                release.wait();
            })
        })
        .collect();
    inside.wait();
    let single = pool.spawn(|| 4);
    let mut batch = Vec::new();
    pool.spawn_all([5, 6].map(|n| move || n), |future| batch.push(future));
    assert_eq!(
        queued_hints(&registry),
        [false, false, false],
        "no thread starts any more: the calls wait for a busy worker, not for a start"
    );
    release.open();
    for future in busy {
        assert_eq!(future.result(), Ok(()));
    }
    assert_eq!(single.result(), Ok(4));
    let values: Vec<_> = batch.into_iter().map(Future::result).collect();
    assert_eq!(values, [Ok(5), Ok(6)]);
}

/// Hands over the job of each call instead of running it.
struct Capture(Mutex<Vec<Job>>);

impl Executor for Capture {
    fn max_workers(&self) -> usize {
        1
    }

    fn shutdown(&self, _how: Shutdown) {}
}

impl JobExecutor for Capture {
    fn execute(&self, job: Job) {
        self.0.lock().unwrap().push(job);
    }
}

#[test]
fn calls_queued_with_an_idle_worker_are_not_hinted() {
    // No thread at all: a worker counted as searching stands for an idle one, so the
    // registry starts none, and the queued jobs stay put.
    let registry = Arc::new(Registry::new(Config {
        max_workers: 2,
        thread_name_prefix: "hint".to_owned(),
        stack_size: None,
        initializer: None,
    }));
    registry.sleep.add_searcher();
    let capture = Capture(Mutex::new(Vec::new()));
    let futures: Vec<_> = (0..3).map(|n| capture.spawn(move || n)).collect();
    let mut jobs = std::mem::take(&mut *capture.0.lock().unwrap()).into_iter();
    Registry::execute(&registry, jobs.next().unwrap());
    Registry::execute_all(&registry, &mut jobs);
    assert_eq!(registry.threads_started(), 0, "the idle worker takes them");
    assert_eq!(queued_hints(&registry), [false, false, false]);
    while let Some(job) = registry.injector.steal() {
        job.run();
    }
    let values: Vec<_> = futures.into_iter().map(Future::result).collect();
    assert_eq!(values, [Ok(0), Ok(1), Ok(2)]);
}

#[test]
fn calls_submitted_by_a_worker_are_not_hinted() {
    // One worker passes its initializer; the thread that its call's child starts is held in
    // it, so the child stays on the worker's own deque, where the call looks at it.
    let gate = Arc::new(Gate::default());
    let (pool, registry) = pool(2, 1, &gate);
    let _open = Opens(&gate);
    let inner = Arc::clone(&registry);
    let parent = pool.spawn(move || {
        ThreadPoolExecutor::with_current(|pool| {
            let child = pool.spawn(|| 7);
            let job = inner.stealers[0]
                .steal()
                .expect("the child is on this deque");
            let hinted = job.thread_start_hinted();
            job.run();
            (hinted, child.result())
        })
    });
    assert_eq!(parent.result(), Ok(Some((false, Ok(7)))));
    assert_eq!(
        pool.threads_started(),
        2,
        "the child, queued with no worker idle, started a thread"
    );
}
