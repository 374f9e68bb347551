//! CPython's `ThreadPoolExecutorTest` cases (Lib/test/test_concurrent_futures/
//! test_thread_pool.py, reference §7.6) and the lazy-start policy.
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

pub mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cfut_threads::ThreadPoolExecutor;
use common::{Latch, eventually, outcome};

// test_thread_pool.py test_default_workers: max_workers defaults to min(32, cpus + 4).
#[test]
fn test_default_workers() {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let pool = ThreadPoolExecutor::builder().build().unwrap();
    assert_eq!(pool.max_workers(), (cpus + 4).min(32));
}

// test_thread_pool.py test_saturation: 60 blocked calls on 4 workers start exactly 4 threads.
#[test]
fn test_saturation() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    let release = Latch::default();
    let running = Arc::new(AtomicUsize::new(0));
    let futures: Vec<_> = (0..60)
        .map(|_| {
            let (gate, running) = (release.clone(), Arc::clone(&running));
            pool.spawn(move || {
                running.fetch_add(1, Ordering::SeqCst);
                gate.wait()
            })
        })
        .collect();
    eventually("4 calls run", || running.load(Ordering::SeqCst) == 4);
    assert_eq!(pool.threads_started(), 4);
    release.open();
    for future in futures {
        assert_eq!(outcome(future), Ok(true));
    }
    assert_eq!(pool.threads_started(), 4);
}

// test_thread_pool.py test_idle_thread_reuse: three sequential submit + result use one thread.
// A worker completes the future a moment before it counts itself idle, so (as in CPython,
// where the same window exists) we let it get there before the next submission.
#[test]
fn test_idle_thread_reuse() {
    let pool = ThreadPoolExecutor::new(4).unwrap();
    for i in 0..3 {
        assert_eq!(outcome(pool.spawn(move || i)), Ok(i));
        eventually("the worker is idle", || pool.idle_workers() == 1);
    }
    assert_eq!(pool.threads_started(), 1);
}

// Extra: threads start lazily — none before the first submission.
#[test]
fn no_thread_before_first_submit() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    assert_eq!(pool.threads_started(), 0);
    assert_eq!(outcome(pool.spawn(|| ())), Ok(()));
    assert_eq!(pool.threads_started(), 1);
}

// Extra: a call queued behind a blocking call gets its own thread while below max_workers
// (CPython's one-idle-token-per-submit rule), even when the blocked thread took both.
#[test]
fn queued_call_gets_a_thread_behind_a_blocked_one() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let release = Latch::default();
    let gate = release.clone();
    let blocked = pool.spawn(move || gate.wait());
    let second_ran = Latch::default();
    let signal = second_ran.clone();
    let second = pool.spawn(move || signal.open());
    assert!(
        second_ran.wait(),
        "the second call ran while the first blocked"
    );
    release.open();
    assert_eq!(outcome(blocked), Ok(true));
    assert_eq!(outcome(second), Ok(()));
}
