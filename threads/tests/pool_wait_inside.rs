//! Waiting inside the pool: a task that waits for a future runs its worker's own queued
//! calls meanwhile, never unrelated stolen work (DESIGN.md §3; CPython deadlocks here, see
//! the documented hazard in reference §3).
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

pub mod common;

use std::sync::Arc;

use cfut_threads::ThreadPoolExecutor;
use common::{Latch, bounded, outcome};

// One worker; its task submits a child and waits for it: completes (the child runs on the
// waiting thread).
#[test]
fn one_worker_parent_waits_for_child() {
    let result = bounded("parent waiting for child on 1 worker", || {
        let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let inner = Arc::clone(&pool);
        let parent = pool.spawn(move || {
            let child = inner.spawn(|| std::thread::current().id());
            (std::thread::current().id(), child.result().unwrap())
        });
        let (parent_thread, child_thread) = outcome(parent).unwrap();
        assert_eq!(
            parent_thread, child_thread,
            "the child ran on the waiting thread"
        );
        pool.threads_started()
    });
    assert_eq!(result, 1);
}

fn fib(pool: &Arc<ThreadPoolExecutor>, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (left, right) = (Arc::clone(pool), Arc::clone(pool));
    let a = pool.spawn(move || fib(&left, n - 1));
    let b = pool.spawn(move || fib(&right, n - 2));
    a.result().unwrap() + b.result().unwrap()
}

// Recursive Fibonacci(20) by submit + result on 2 workers completes.
#[test]
fn recursive_fibonacci_on_two_workers() {
    let value = bounded("fib(20) on 2 workers", || {
        let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let inner = Arc::clone(&pool);
        outcome(pool.spawn(move || fib(&inner, 20))).unwrap()
    });
    assert_eq!(value, 6765);
}

// While waiting, a worker never runs work from the shared queue (unrelated to it): an
// outside call queued before the child stays queued until the parent has returned.
#[test]
fn waiting_never_runs_unrelated_work() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let release = Latch::default();
    let parent_returned = Arc::new(AtomicBool::new(false));
    let (inner, gate, returned) = (
        Arc::clone(&pool),
        release.clone(),
        Arc::clone(&parent_returned),
    );
    let parent = pool.spawn(move || {
        gate.wait();
        let child = inner.spawn(|| std::thread::current().id());
        // Only the child may run on this thread now; the unrelated call must not.
        let child_thread = child.result().unwrap();
        returned.store(true, Ordering::SeqCst);
        (std::thread::current().id(), child_thread)
    });
    let seen = Arc::clone(&parent_returned);
    let unrelated = pool.spawn(move || seen.load(Ordering::SeqCst));
    release.open();
    let (parent_thread, child_thread) = outcome(parent).unwrap();
    assert_eq!(parent_thread, child_thread);
    assert_eq!(
        outcome(unrelated),
        Ok(true),
        "the unrelated call ran only after the parent"
    );
}

// The waiting parent is not re-entered: a mutex it holds while waiting is never requested by
// work it runs meanwhile (rayon #592's shape), because that work is only its own children.
#[test]
fn waiting_with_a_lock_held_does_not_self_deadlock() {
    let done = bounded("parent holding a lock while waiting", || {
        let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let lock = Arc::new(std::sync::Mutex::new(0_u32));
        let futures: Vec<_> = (0..8)
            .map(|_| {
                let (inner, lock) = (Arc::clone(&pool), Arc::clone(&lock));
                pool.spawn(move || {
                    let mut guard = lock.lock().unwrap();
                    *guard += inner.spawn(|| 1).result().unwrap();
                })
            })
            .collect();
        futures.into_iter().all(|f| outcome(f).is_ok()) && *lock.lock().unwrap() == 8
    });
    assert!(done);
}
