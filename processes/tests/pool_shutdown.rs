//! Shutdown, terminate/kill and drop: what happens to calls, and that no worker is left.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cfut_core::{Error, Exit, Future, Shutdown, State};
use cfut_processes::ProcessPoolExecutor;

const LONG: Duration = Duration::from_secs(60);

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

fn wait_running<T>(future: &Future<T>) {
    let deadline = std::time::Instant::now() + LONG;
    while future.state() == State::Pending {
        assert!(
            std::time::Instant::now() < deadline,
            "the call never started"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `true` once `pid` is neither running nor a zombie (reaped).
fn gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn shutdown_waits_for_running_and_queued_calls() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let futures: Vec<_> = (0..6).map(|_| pool.submit(sleep_ms, 50)).collect();
    wait_running(&futures[0]);
    let pids = pool.worker_pids();
    pool.shutdown(Shutdown::new());
    for f in futures {
        assert!(
            f.is_done(),
            "shutdown(wait) returned before a call finished"
        );
        assert_eq!(get(f), Ok(50));
    }
    assert!(pool.worker_pids().is_empty());
    assert!(pids.iter().all(|&p| gone(p)), "workers reaped");
}

#[test]
fn shutdown_without_waiting_still_completes_the_calls() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let futures: Vec<_> = (0..6).map(|_| pool.submit(sleep_ms, 50)).collect();
    pool.shutdown(Shutdown::new().wait(false));
    assert_eq!(get(pool.submit(sleep_ms, 1)), Err(Error::Shutdown));
    for f in futures {
        assert_eq!(get(f), Ok(50));
    }
    drop(pool);
}

#[test]
fn shutdown_cancelling_pending_calls() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let running = pool.submit(sleep_ms, 200);
    wait_running(&running);
    let pending: Vec<_> = (0..10).map(|_| pool.submit(sleep_ms, 200)).collect();
    pool.shutdown(Shutdown::new().cancel_pending(true));
    assert_eq!(get(running), Ok(200));
    let cancelled = pending.iter().filter(|f| f.is_cancelled()).count();
    assert!(
        cancelled >= 9,
        "only {cancelled} of 10 pending calls cancelled"
    );
    for f in pending {
        let state = f.state();
        let outcome = get(f);
        assert!(
            outcome == Ok(200) || outcome == Err(Error::Cancelled),
            "{state:?} {outcome:?}"
        );
    }
}

#[test]
fn terminate_workers_fails_running_calls_and_cancels_pending_ones() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let running = pool.submit(sleep_ms, 60_000);
    wait_running(&running);
    let pending = pool.submit(sleep_ms, 1);
    let pids = pool.worker_pids();
    pool.terminate_workers();
    assert_eq!(
        get(running),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGTERM)))
    );
    assert_eq!(get(pending), Err(Error::Cancelled));
    assert_eq!(get(pool.submit(sleep_ms, 1)), Err(Error::Shutdown));
    pool.shutdown(Shutdown::new());
    assert!(pids.iter().all(|&p| gone(p)));
}

#[test]
fn kill_workers_uses_sigkill() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let running: Vec<_> = (0..2).map(|_| pool.submit(sleep_ms, 60_000)).collect();
    running.iter().for_each(wait_running);
    let pids = pool.worker_pids();
    pool.kill_workers();
    for f in running {
        assert_eq!(get(f), Err(Error::WorkerDied(Exit::Signal(libc::SIGKILL))));
    }
    drop(pool);
    assert!(pids.iter().all(|&p| gone(p)));
}

#[test]
fn drop_is_leaving_the_with_block() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let futures: Vec<_> = (0..8).map(|_| pool.submit(sleep_ms, 30)).collect();
    wait_running(&futures[0]);
    let pids = pool.worker_pids();
    drop(pool);
    for f in futures {
        assert!(f.is_done(), "drop waited for every submitted call");
        assert_eq!(get(f), Ok(30));
    }
    assert!(pids.iter().all(|&p| gone(p)));
}

#[test]
fn shutdown_from_a_done_callback_does_not_deadlock() {
    let pool = Arc::new(ProcessPoolExecutor::new(1).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let inside = Arc::clone(&pool);
    let future = pool.submit(pid, ());
    future.add_done_callback(move |_| {
        // Runs on the pool's manager thread: waiting for itself must not hang.
        inside.shutdown(Shutdown::new());
        drop(inside);
        tx.send(()).unwrap();
    });
    rx.recv_timeout(LONG).expect("the callback finished");
    assert!(get(future).is_ok());
    assert_eq!(get(pool.submit(pid, ())), Err(Error::Shutdown));
}

#[test]
fn shutdown_twice_and_before_any_call_is_harmless() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    pool.shutdown(Shutdown::new());
    pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    pool.terminate_workers();
    pool.kill_workers();
    assert_eq!(pool.workers_started(), 0);
}
