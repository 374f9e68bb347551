//! CPython's shutdown cases (Lib/test/test_concurrent_futures/test_shutdown.py, reference
//! §7.5): `ExecutorShutdownTest` and `ThreadPoolShutdownTest`.
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

pub mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cfut_core::{Error, Shutdown, State};
use cfut_threads::ThreadPoolExecutor;
use common::{Latch, assert_threads_gone, bounded, eventually, live_threads_named, outcome};

// test_shutdown.py test_run_after_shutdown: submitting after shutdown fails (Rust: the
// future fails with the shut-down error); shutting down twice is harmless.
#[test]
fn test_run_after_shutdown() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    pool.shutdown(Shutdown::new());
    assert_eq!(outcome(pool.spawn(|| 2_u32.pow(8))), Err(Error::Shutdown));
    pool.shutdown(Shutdown::new());
    pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    assert_eq!(outcome(pool.spawn(|| 1)), Err(Error::Shutdown));
}

// test_shutdown.py test_hang_issue12364: 50 short calls, then shutdown: all results there,
// no hang.
#[test]
fn test_hang_issue12364() {
    let futures = bounded("shutdown after 50 calls", || {
        let pool = ThreadPoolExecutor::new(5).unwrap();
        let futures: Vec<_> = (0..50)
            .map(|i| {
                pool.spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    i
                })
            })
            .collect();
        pool.shutdown(Shutdown::new());
        futures
    });
    for (i, future) in futures.into_iter().enumerate() {
        assert!(future.is_done(), "shutdown waited for every call");
        assert_eq!(outcome(future), Ok(i));
    }
}

// test_shutdown.py test_cancel_futures: 50 calls on 5 workers, shutdown with cancellation:
// the queued calls are cancelled, the running ones finish without error, and every future is
// done when `shutdown` returns. CPython's 100 ms sleeps become a gate, so the split is exact:
// the 5 calls that hold the workers finish, the 45 queued behind them are cancelled. The gate
// opens only once the 45 are cancelled (shutdown cancels before it waits), so the running
// calls are still running when `shutdown` starts to wait for them.
#[test]
fn test_cancel_futures() {
    let pool = ThreadPoolExecutor::new(5).unwrap();
    let gate = Latch::default();
    let futures: Vec<_> = (0..50)
        .map(|_| {
            let gate = gate.clone();
            pool.spawn(move || gate.wait())
        })
        .collect();
    eventually("all 5 workers hold a call", || {
        futures
            .iter()
            .filter(|f| f.state() == State::Running)
            .count()
            == 5
    });
    std::thread::scope(|scope| {
        scope.spawn(|| {
            eventually("the 45 queued calls cancelled", || {
                futures.iter().filter(|f| f.is_cancelled()).count() == 45
            });
            gate.open();
        });
        pool.shutdown(Shutdown::new().cancel_pending(true));
        assert!(
            futures.iter().all(|f| f.is_done()),
            "every future is done when shutdown returns"
        );
    });
    let cancelled = futures.iter().filter(|f| f.is_cancelled()).count();
    assert_eq!(cancelled, 45);
    let finished: Vec<_> = futures.into_iter().filter(|f| !f.is_cancelled()).collect();
    assert_eq!(finished.len(), 5);
    for future in finished {
        assert_eq!(outcome(future), Ok(true), "the gate opened");
    }
}

// test_shutdown.py test_hang_gh94440: one worker, a call, another submitted and cancelled at
// once, then a waiting shutdown returns.
#[test]
fn test_hang_gh94440() {
    bounded("shutdown after a cancelled call", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        outcome(pool.spawn(|| ())).unwrap();
        let future = pool.spawn(|| ());
        future.cancel();
        pool.shutdown(Shutdown::new());
        assert!(future.is_done());
    });
}

// test_shutdown.py test_hang_gh83386: `shutdown(wait=False)` with a call still running
// returns at once; the call still completes.
#[test]
fn test_hang_gh83386() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let release = Latch::default();
    let gate = release.clone();
    let running = pool.spawn(move || gate.wait());
    eventually("the call runs", || running.is_running());
    pool.shutdown(Shutdown::new().wait(false));
    assert!(!running.is_done(), "shutdown without waiting did not wait");
    release.open();
    assert_eq!(outcome(running), Ok(true));
}

// test_shutdown.py test_threads_terminate: 3 blocked calls start exactly 3 threads; after
// releasing them, shutdown joins every thread.
#[test]
fn test_threads_terminate() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(5)
        .thread_name_prefix("terminate")
        .build()
        .unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let release = Latch::default();
    let futures: Vec<_> = (0..3)
        .map(|_| {
            let (started, gate) = (Arc::clone(&started), release.clone());
            pool.spawn(move || {
                started.fetch_add(1, Ordering::SeqCst);
                gate.wait()
            })
        })
        .collect();
    eventually("3 calls run at once", || {
        started.load(Ordering::SeqCst) == 3
    });
    assert_eq!(pool.threads_started(), 3);
    release.open();
    pool.shutdown(Shutdown::new());
    assert_threads_gone("terminate-");
    for future in futures {
        assert_eq!(outcome(future), Ok(true));
    }
}

// test_shutdown.py test_context_manager_shutdown: leaving the scope (Drop) waits for the
// calls and joins the threads.
#[test]
fn test_context_manager_shutdown() {
    let results = {
        let pool = ThreadPoolExecutor::builder()
            .max_workers(5)
            .thread_name_prefix("context")
            .build()
            .unwrap();
        let inputs = [-1_i32, -2, -3, -4];
        inputs.map(|x| pool.spawn(move || x.abs()))
    };
    assert_threads_gone("context-");
    assert_eq!(results.map(|f| outcome(f).unwrap()), [1, 2, 3, 4]);
}

// test_shutdown.py test_del_shutdown: dropping the pool with calls outstanding: the threads
// exit and every call was still computed.
#[test]
fn test_del_shutdown() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(5)
        .thread_name_prefix("del")
        .build()
        .unwrap();
    let futures: Vec<_> = (0..20)
        .map(|i| {
            pool.spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(1));
                i * 2
            })
        })
        .collect();
    drop(pool);
    assert_threads_gone("del-");
    for (i, future) in futures.into_iter().enumerate() {
        assert!(future.is_done());
        assert_eq!(outcome(future), Ok(i * 2));
    }
}

// test_shutdown.py test_shutdown_no_wait: `shutdown(wait=False)`; the threads still finish
// the calls and exit; results complete.
#[test]
fn test_shutdown_no_wait() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(5)
        .thread_name_prefix("nowait")
        .build()
        .unwrap();
    let futures: Vec<_> = (0..10).map(|i| pool.spawn(move || i + 1)).collect();
    pool.shutdown(Shutdown::new().wait(false));
    eventually("threads exit by themselves", || {
        live_threads_named("nowait-").is_empty()
    });
    let results: Vec<_> = futures.into_iter().map(|f| outcome(f).unwrap()).collect();
    assert_eq!(results, (1..=10).collect::<Vec<_>>());
}

// test_shutdown.py test_thread_names_assigned: prefix "SpecialPool" gives names
// `SpecialPool-<n>` (CPython: `_<n>`; our convention is `-<n>`).
#[test]
fn test_thread_names_assigned() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(5)
        .thread_name_prefix("SpecialPool")
        .build()
        .unwrap();
    let release = Latch::default();
    let running = Arc::new(AtomicUsize::new(0));
    let futures: Vec<_> = (0..5)
        .map(|_| {
            let (gate, running) = (release.clone(), Arc::clone(&running));
            pool.spawn(move || {
                let name = std::thread::current().name().map(str::to_owned);
                running.fetch_add(1, Ordering::SeqCst);
                gate.wait();
                name
            })
        })
        .collect();
    eventually("5 calls run at once", || {
        running.load(Ordering::SeqCst) == 5
    });
    release.open();
    let mut names: Vec<_> = futures
        .into_iter()
        .map(|f| outcome(f).unwrap().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "SpecialPool-0",
            "SpecialPool-1",
            "SpecialPool-2",
            "SpecialPool-3",
            "SpecialPool-4"
        ]
    );
}

// test_shutdown.py test_thread_names_default: `ThreadPoolExecutor-<k>-<n>`.
#[test]
fn test_thread_names_default() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let name = outcome(pool.spawn(|| std::thread::current().name().map(str::to_owned)))
        .unwrap()
        .unwrap();
    let rest = name.strip_prefix("ThreadPoolExecutor-").expect(&name);
    let (pool_number, thread_number) = rest.split_once('-').expect(&name);
    assert!(pool_number.parse::<usize>().is_ok(), "{name}");
    assert_eq!(thread_number, "0");
}

// test_shutdown.py test_cancel_futures_wait_false: cancelling without waiting raises no
// error; the queued calls are cancelled, the running one finishes.
#[test]
fn test_cancel_futures_wait_false() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let release = Latch::default();
    let gate = release.clone();
    let running = pool.spawn(move || gate.wait());
    eventually("the call runs", || running.is_running());
    let queued: Vec<_> = (0..5).map(|i| pool.spawn(move || i)).collect();
    pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    assert!(queued.iter().all(|f| f.is_cancelled()));
    release.open();
    assert_eq!(outcome(running), Ok(true));
}

// Extra: dropping the last handle inside one of the pool's own calls does not deadlock, and
// the calls already queued still run.
#[test]
fn drop_on_own_worker_does_not_deadlock() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let queued: Vec<_> = (0..4)
        .map(|_| {
            let ran = Arc::clone(&ran);
            pool.spawn(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let dropped = bounded("drop on own worker", move || {
        let (tx, rx) = std::sync::mpsc::channel();
        let holder = Arc::new(std::sync::Mutex::new(None));
        let slot = Arc::clone(&holder);
        *holder.lock().unwrap() = Some(pool);
        let pool_ref = holder.lock().unwrap();
        let future = pool_ref.as_ref().unwrap().spawn(move || {
            let pool = slot.lock().unwrap().take();
            drop(pool); // the last handle, dropped on a worker
            tx.send(()).unwrap();
        });
        drop(pool_ref);
        rx.recv_timeout(common::LONG).is_ok() && outcome(future).is_ok()
    });
    assert!(dropped);
    for future in queued {
        assert_eq!(outcome(future), Ok(()));
    }
    assert_eq!(ran.load(Ordering::SeqCst), 4);
}
