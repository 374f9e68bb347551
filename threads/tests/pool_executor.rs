//! CPython's `ExecutorTest` cases (Lib/test/test_concurrent_futures/executor.py, reference
//! §7.1) that apply to a thread pool's submit path; the `map` cases live with `cfut-combinators`.
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

pub mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cfut_core::{CallExecutor, Error, JobExecutor, Shutdown, Spawn};
use cfut_threads::ThreadPoolExecutor;
use common::{Latch, bounded, eventually, outcome};

#[test]
fn smoke() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    assert_eq!(outcome(pool.spawn(|| 40 + 2)), Ok(42));
}

// CPython executor.py test_submit: submit(pow, 2, 8).result() == 256.
#[test]
fn test_submit() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    assert_eq!(outcome(pool.spawn(|| 2_u32.pow(8))), Ok(256));
}

// CPython executor.py test_submit_keyword: the arguments reach the callable (Rust: captures,
// and the portable level's argument).
#[test]
fn test_submit_keyword() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let (base, exp) = (2_u32, 8_u32);
    assert_eq!(outcome(pool.spawn(move || base.pow(exp))), Ok(256));
    fn square(x: u64) -> u64 {
        x * x
    }
    assert_eq!(outcome(pool.submit_call(square, 12)), Ok(144));
    let batch = pool.submit_batch(square, vec![1, 2, 3]);
    assert_eq!(
        outcome(batch).and_then(cfut_core::ChunkResults::decode),
        Ok(vec![Ok(1), Ok(4), Ok(9)])
    );
}

// CPython executor.py test_shutdown_race_issue12456: more calls than workers queued, never
// collected, then shutdown: must not hang, and every call still runs.
#[test]
fn test_shutdown_race_issue12456() {
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    bounded("shutdown with queued calls", move || {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        for _ in 0..3 {
            let counter = Arc::clone(&counter);
            drop(pool.spawn(move || counter.fetch_add(1, Ordering::SeqCst)));
        }
        pool.shutdown(Shutdown::new());
    });
    assert_eq!(ran.load(Ordering::SeqCst), 3);
}

// CPython executor.py test_no_stale_references: once a discarded call has run, the pool holds
// no reference to what it captured.
#[test]
fn test_no_stale_references() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let captured = Arc::new(());
    let weak = Arc::downgrade(&captured);
    let done = Latch::default();
    let signal = done.clone();
    drop(pool.spawn(move || {
        let _keep = &captured;
        signal.open();
    }));
    assert!(done.wait());
    eventually("the call's captures are dropped", || {
        weak.upgrade().is_none()
    });
}

// CPython executor.py test_max_workers_negative: zero workers is a clear error.
#[test]
fn test_max_workers_negative() {
    let error = ThreadPoolExecutor::new(0).unwrap_err();
    assert_eq!(error.to_string(), "max_workers must be greater than 0");
    let error = ThreadPoolExecutor::builder()
        .max_workers(0)
        .build()
        .unwrap_err();
    assert_eq!(error.to_string(), "max_workers must be greater than 0");
}

// CPython executor.py test_swallows_falsey_exceptions (gh-132063): an error is never lost,
// and a call's own `Err` is not confused with the executor's.
#[test]
fn test_swallows_falsey_exceptions() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let own_error = pool.spawn(|| -> Result<u8, String> { Err(String::new()) });
    assert_eq!(outcome(own_error), Ok(Err(String::new())));
    let panicked = pool.spawn(|| -> u8 { std::panic::panic_any(String::new()) });
    assert!(
        matches!(outcome(panicked), Err(Error::Panicked { message, .. }) if message.is_empty())
    );
}

// Extra (reference §7.11): a panicking call fails only its own future; the worker lives on.
#[test]
fn panic_fails_only_its_future() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let bad = pool.spawn(|| -> u8 { panic!("boom {}", 7) });
    let good = pool.spawn(|| 5_u8);
    assert!(matches!(outcome(bad), Err(Error::Panicked { message, .. }) if message == "boom 7"));
    assert_eq!(outcome(good), Ok(5));
    assert_eq!(pool.threads_started(), 1, "the one worker survived");
}

// Extra: a bare job (no future) that panics does not take its worker down.
#[test]
fn panic_in_bare_job_keeps_worker() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    pool.execute(cfut_core::Job::new(|| panic!("bare job")));
    assert_eq!(outcome(pool.spawn(|| 1)), Ok(1));
    assert_eq!(pool.threads_started(), 1);
}

// Extra: the pool through the object-safe trait and the `Executor` trait.
#[test]
fn works_as_dyn_job_executor() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let executor: &dyn JobExecutor = &pool;
    assert_eq!(executor.max_workers(), 3);
    assert_eq!(outcome(executor.spawn(|| "dyn")), Ok("dyn"));
    executor.shutdown(Shutdown::new());
    assert_eq!(outcome(executor.spawn(|| "late")), Err(Error::Shutdown));
}

// Extra: stress — many calls from several submitting threads all complete exactly once.
#[test]
fn stress_many_submitters() {
    let pool = Arc::new(ThreadPoolExecutor::new(4).unwrap());
    let total = Arc::new(AtomicUsize::new(0));
    let per_thread = if cfg!(miri) { 50 } else { 5_000 };
    let submitters: Vec<_> = (0..3)
        .map(|_| {
            let pool = Arc::clone(&pool);
            let total = Arc::clone(&total);
            std::thread::spawn(move || {
                let futures: Vec<_> = (0..per_thread)
                    .map(|i| {
                        let total = Arc::clone(&total);
                        pool.spawn(move || {
                            total.fetch_add(1, Ordering::SeqCst);
                            i
                        })
                    })
                    .collect();
                futures
                    .into_iter()
                    .enumerate()
                    .all(|(i, f)| outcome(f) == Ok(i))
            })
        })
        .collect();
    for submitter in submitters {
        assert!(submitter.join().unwrap());
    }
    assert_eq!(total.load(Ordering::SeqCst), 3 * per_thread);
    assert!(pool.threads_started() <= 4);
}

// Extra: no lost future when submissions race a shutdown: every future ends done, and each
// either ran or failed with the shut-down error.
#[test]
fn stress_submit_vs_shutdown() {
    for _ in 0..50 {
        let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let submitter = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || (0..200).map(|i| pool.spawn(move || i)).collect::<Vec<_>>())
        };
        pool.shutdown(Shutdown::new().cancel_pending(true));
        for (i, future) in submitter.join().unwrap().into_iter().enumerate() {
            match outcome(future) {
                Ok(value) => assert_eq!(value, i),
                Err(Error::Shutdown | Error::Cancelled) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    }
}

// Extra: a batch (`spawn_all`, one `execute_all`) of calls that each wait for all the others
// needs every worker at once: it starts a thread per call up to `max_workers` and wakes
// them, as the same calls submitted one by one do. Hangs (and fails) if a batch woke or
// started fewer workers than it has calls.
#[test]
fn batch_starts_a_worker_per_call() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    for _round in 0..20 {
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let mut futures = Vec::new();
        pool.spawn_all(
            (0..4).map(|i| {
                let barrier = Arc::clone(&barrier);
                move || {
                    barrier.wait();
                    i
                }
            }),
            |future| futures.push(future),
        );
        let values: Vec<_> = futures.into_iter().map(|f| outcome(f).unwrap()).collect();
        assert_eq!(values, [0, 1, 2, 3]);
    }
    assert_eq!(pool.threads_started(), 4);
}

// Extra: a batch submitted by a task goes to its own worker's deque, like its single
// submissions: the task can wait for all of them on a one-worker pool.
#[test]
fn batch_from_inside_a_task() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let parent = pool.spawn(move || {
        let mut children = Vec::new();
        inner.spawn_all((1..=3_u32).map(|n| move || n * 2), |f| children.push(f));
        children
            .into_iter()
            .map(|f| f.result().unwrap())
            .sum::<u32>()
    });
    assert_eq!(outcome(parent), Ok(12));
}

// Extra: after shutdown, every call of a batch fails with the shut-down error.
#[test]
fn batch_after_shutdown_fails_each_call() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    pool.shutdown(Shutdown::new());
    let mut futures = Vec::new();
    pool.spawn_all((0..3).map(|i| move || i), |f| futures.push(f));
    assert_eq!(futures.len(), 3);
    for future in futures {
        assert_eq!(outcome(future), Err(Error::Shutdown));
    }
}

// Extra: a batch larger than `spawn_all`'s stack buffer (64) loses no call and keeps the
// order of the futures.
#[test]
fn batch_of_many_calls() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let mut futures = Vec::new();
    pool.spawn_all((0..1_000_u32).map(|i| move || i * 3), |f| futures.push(f));
    assert_eq!(futures.len(), 1_000);
    let values: Vec<u32> = futures.into_iter().map(|f| outcome(f).unwrap()).collect();
    assert_eq!(values, (0..1_000).map(|i| i * 3).collect::<Vec<_>>());
}
