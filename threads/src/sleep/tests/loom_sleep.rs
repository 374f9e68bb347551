//! loom models of the sleep/wake protocol, run against the lock-based stand-in queue:
//!
//! ```text
//! RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p cfut-threads --lib
//! ```
//!
//! The workers and submitters below call the same `Sleep`, `Gate` and queue methods, in the
//! same order, as `worker.rs` and `registry.rs` do. A lost wake-up shows up as loom's
//! "deadlock" report (a worker blocked forever); a lost call as a failed count.

use crate::gate::Gate;
use crate::loom::sync::Arc;
use crate::queue::Injector;
use crate::sleep::Sleep;

struct Pool {
    sleep: Sleep,
    queue: Injector<u32>,
    gate: Gate,
}

impl Pool {
    fn new(workers: usize) -> Arc<Self> {
        let pool = Arc::new(Pool {
            sleep: Sleep::new(workers),
            queue: Injector::new(),
            gate: Gate::new(workers),
        });
        // As `Registry::start_thread`: a starting worker counts as searching.
        for _ in 0..workers {
            pool.sleep.add_searcher();
        }
        pool
    }

    /// `Registry::execute`: admit, push, notify. `false` if refused.
    fn submit(&self, value: u32) -> bool {
        match self.gate.enter() {
            Ok(pass) => {
                self.queue.push(value);
                self.sleep.notify_work(|| self.queue.len());
                drop(pass);
                true
            }
            Err(_) => false,
        }
    }

    /// `WorkerThread::search`: the worker is counted as searching.
    fn take(&self, index: usize) -> Option<u32> {
        self.sleep.search(
            index,
            || self.queue.steal(),
            || !self.queue.is_empty(),
            || self.gate.is_terminated(),
            || {},
        )
    }

    /// `WorkerThread::run` after a call: idle again.
    fn take_again(&self, index: usize) -> Option<u32> {
        self.sleep.add_searcher();
        self.take(index)
    }

    /// `Registry::shutdown` without cancelling.
    fn shutdown(&self) {
        self.gate.close(false);
        self.gate.terminate();
        self.sleep.wake_all();
    }
}

/// Spawn vs park: the only worker goes to sleep while the call is pushed; it must wake.
#[test]
fn submit_vs_park() {
    loom::model(|| {
        let pool = Pool::new(1);
        let worker = {
            let pool = Arc::clone(&pool);
            loom::thread::spawn(move || pool.take(0))
        };
        assert!(pool.submit(7));
        assert_eq!(worker.join().unwrap(), Some(7));
    });
}

/// Two submitters vs one sleeper: both calls reach the worker, whatever the interleaving of
/// the pushes, the wake-ups and its sleeping in between.
#[test]
fn two_submitters_one_sleeper() {
    loom::model(|| {
        let pool = Pool::new(1);
        let worker = {
            let pool = Arc::clone(&pool);
            loom::thread::spawn(move || {
                let first = pool.take(0);
                let second = pool.take_again(0);
                first.into_iter().chain(second).sum::<u32>()
            })
        };
        let submitter = {
            let pool = Arc::clone(&pool);
            loom::thread::spawn(move || assert!(pool.submit(1)))
        };
        assert!(pool.submit(2));
        submitter.join().unwrap();
        assert_eq!(worker.join().unwrap(), 3);
    });
}

/// Spawn vs shutdown: a call accepted concurrently with shutdown is never stranded (the
/// worker runs it before exiting), a refused one is reported refused, and the worker exits.
#[test]
fn submit_vs_shutdown() {
    loom::model(|| {
        let pool = Pool::new(1);
        let worker = {
            let pool = Arc::clone(&pool);
            loom::thread::spawn(move || {
                let mut ran = 0;
                let mut next = pool.take(0);
                while next.is_some() {
                    ran += 1;
                    next = pool.take_again(0);
                }
                ran
            })
        };
        let submitter = {
            let pool = Arc::clone(&pool);
            loom::thread::spawn(move || pool.submit(1))
        };
        pool.shutdown();
        let accepted = usize::from(submitter.join().unwrap());
        assert_eq!(worker.join().unwrap(), accepted, "accepted calls all ran");
        assert!(pool.queue.is_empty(), "nothing stranded");
    });
}

/// Two workers, two calls, then shutdown: wake-ups pass from searcher to sleeper without
/// stranding a call, and both workers exit.
#[test]
fn two_workers_two_calls() {
    loom::model(|| {
        let pool = Pool::new(2);
        let workers: Vec<_> = (0..2)
            .map(|index| {
                let pool = Arc::clone(&pool);
                loom::thread::spawn(move || {
                    let mut ran = 0;
                    let mut next = pool.take(index);
                    while next.is_some() {
                        ran += 1;
                        next = pool.take_again(index);
                    }
                    ran
                })
            })
            .collect();
        assert!(pool.submit(1));
        assert!(pool.submit(2));
        pool.shutdown();
        let ran: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(ran, 2);
    });
}
