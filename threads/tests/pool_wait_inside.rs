//! Waiting inside the pool: a task that waits for a future runs its worker's own queued
//! calls meanwhile — the awaited call itself inline if it is still there — and, if another
//! worker took the awaited call, the calls on that worker's deque (the awaited call's
//! work); never unrelated work from the shared queue (DESIGN.md §3; CPython deadlocks here,
//! see the documented hazard in reference §3).
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

// A child whose future has a done-callback is still run by its waiting parent, and the
// callback is told: the inline path (which skips publishing the outcome) is only for futures
// nobody else watches.
#[test]
fn a_child_run_by_its_waiting_parent_still_calls_its_callbacks() {
    let (told, result) = bounded("parent waiting for a watched child", || {
        let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let inner = Arc::clone(&pool);
        let parent = pool.spawn(move || {
            let child = inner.spawn(|| (std::thread::current().id(), 5));
            let (tx, rx) = std::sync::mpsc::channel();
            child.add_done_callback(move |outcome| {
                let _ = tx.send(outcome.map(|&(_, value)| value).map_err(Clone::clone));
            });
            let (child_thread, value) = child.result().unwrap();
            assert_eq!(child_thread, std::thread::current().id(), "run inline");
            (rx.try_recv(), value)
        });
        outcome(parent).unwrap()
    });
    assert_eq!(told, Ok(Ok(5)), "the callback ran before result() returned");
    assert_eq!(result, 5);
}

// Leapfrogging: a parent waits for a child that the other worker took; the child submits a
// grandchild and then blocks until the grandchild has run. The only thread that can run the
// grandchild is the waiting parent's (the child's own worker is blocked inside the child),
// so the parent must take it from that worker's deque; without that, both workers wait
// forever (the latch times out and the test fails).
#[test]
fn a_waiting_worker_runs_the_calls_of_the_call_another_worker_took() {
    let (parent_thread, child_thread, grandchild_thread, released) = bounded(
        "parent waiting for a child taken by the other worker",
        || {
            let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
            let inner = Arc::clone(&pool);
            let child_started = Latch::default();
            let parent = pool.spawn(move || {
                let (pool, started) = (Arc::clone(&inner), child_started.clone());
                let child = inner.spawn(move || {
                    let ran = Latch::default();
                    let signal = ran.clone();
                    let grandchild = pool.spawn(move || {
                        signal.open();
                        std::thread::current().id()
                    });
                    started.open();
                    let released = ran.wait(); // blocks this worker: no helping here
                    (std::thread::current().id(), grandchild, released)
                });
                // This worker is busy until the child started, so the other worker took it.
                assert!(child_started.wait(), "the other worker started the child");
                let (child_thread, grandchild, released) = child.result().unwrap();
                let grandchild_thread = grandchild.result().unwrap();
                (
                    std::thread::current().id(),
                    child_thread,
                    grandchild_thread,
                    released,
                )
            });
            outcome(parent).unwrap()
        },
    );
    assert!(released, "the grandchild ran while the child was blocked");
    assert_ne!(parent_thread, child_thread);
    assert_eq!(
        grandchild_thread, parent_thread,
        "the waiting parent ran it"
    );
}
