//! Calls sent ahead to a busy worker (the pool does so once calls are short, to batch them)
//! stay pending and cancellable until the worker starts them (DESIGN.md §4): a cancelled one
//! never runs, a started one shows running, and a cancelling shutdown reaches them too.
//!
//! Each test warms the pool up with short calls (so that the manager sends calls ahead), then
//! holds the one worker in a call that waits for a file, the gate, while more calls queue up
//! behind it. The queued calls leave a file of their own when they run, so whether a call ran
//! is read from the disk, not from its future.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cfut_core::{Error, Future, Shutdown, State};
use cfut_processes::ProcessPoolExecutor;

const LONG: Duration = Duration::from_secs(60);

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

fn square(x: u64) -> u64 {
    x * x
}

/// In a worker: waits until the file `gate` exists (at most [`LONG`]).
fn wait_for(gate: String) -> bool {
    let deadline = Instant::now() + LONG;
    while !Path::new(&gate).exists() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// In a worker: leaves the file `marker`, the proof that the call ran.
fn mark(marker: String) -> bool {
    std::fs::write(marker, b"ran").is_ok()
}

/// A fresh folder for this test's gates and markers.
fn folder(test: &str) -> PathBuf {
    let folder =
        std::env::temp_dir().join(format!("cfut-sent-ahead-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

fn path(folder: &Path, name: &str) -> String {
    folder.join(name).to_str().unwrap().to_owned()
}

/// A one-worker pool that has seen short calls, with its worker held until `gate` exists.
fn held_pool(gate: &str) -> (ProcessPoolExecutor, Future<bool>) {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    for x in 0..200 {
        assert_eq!(get(pool.submit(square, x)), Ok(x * x));
    }
    let blocker = pool.submit(wait_for, gate.to_owned());
    wait_running(&blocker);
    (pool, blocker)
}

fn wait_running<T>(future: &Future<T>) {
    let deadline = Instant::now() + LONG;
    while future.state() == State::Pending {
        assert!(Instant::now() < deadline, "the call never started");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Eight calls that each leave the file `call-{i}` in `folder`, queued behind the held worker
/// and given the time to be sent ahead to it.
fn queue_marks(pool: &ProcessPoolExecutor, folder: &Path) -> Vec<Future<bool>> {
    let queued = (0..8)
        .map(|i| pool.submit(mark, path(folder, &format!("call-{i}"))))
        .collect();
    // Let the manager send them ahead to the busy worker.
    std::thread::sleep(Duration::from_millis(50));
    queued
}

#[test]
fn a_cancelled_call_never_runs_and_the_others_do() {
    let folder = folder("cancel");
    let gate = path(&folder, "gate");
    let (pool, blocker) = held_pool(&gate);
    let queued = queue_marks(&pool, &folder);
    for (i, future) in queued.iter().enumerate() {
        assert_eq!(future.state(), State::Pending, "queued call {i}");
        if i % 2 == 0 {
            assert!(future.cancel(), "cancel() of queued call {i}");
            assert_eq!(future.state(), State::Cancelled);
        }
    }
    std::fs::write(&gate, b"open").unwrap();
    assert_eq!(get(blocker), Ok(true));
    for (i, future) in queued.into_iter().enumerate() {
        let marker = folder.join(format!("call-{i}"));
        if i % 2 == 0 {
            assert_eq!(get(future), Err(Error::Cancelled));
            assert!(!marker.exists(), "cancelled call {i} ran");
        } else {
            assert_eq!(get(future), Ok(true));
            assert!(marker.exists(), "call {i} did not run");
        }
    }
    // The worker goes on serving.
    assert_eq!(get(pool.submit(square, 9)), Ok(81));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_started_call_shows_running_and_cannot_be_cancelled() {
    let folder = folder("started");
    let first = path(&folder, "first");
    let second = path(&folder, "second");
    let (pool, blocker) = held_pool(&first);
    let next = pool.submit(wait_for, second.clone());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(next.state(), State::Pending);
    std::fs::write(&first, b"open").unwrap();
    assert_eq!(get(blocker), Ok(true));
    // The worker says when it starts a call sent ahead.
    wait_running(&next);
    assert_eq!(next.state(), State::Running);
    assert!(!next.cancel(), "a running call cannot be cancelled");
    std::fs::write(&second, b"open").unwrap();
    assert_eq!(get(next), Ok(true));
    drop(pool);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_cancelling_shutdown_cancels_calls_sent_ahead() {
    let folder = folder("shutdown");
    let gate = path(&folder, "gate");
    let (pool, blocker) = held_pool(&gate);
    let queued = queue_marks(&pool, &folder);
    pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    std::fs::write(&gate, b"open").unwrap();
    assert_eq!(get(blocker), Ok(true));
    for (i, future) in queued.into_iter().enumerate() {
        assert_eq!(get(future), Err(Error::Cancelled), "queued call {i}");
        assert!(
            !folder.join(format!("call-{i}")).exists(),
            "cancelled call {i} ran"
        );
    }
    pool.shutdown(Shutdown::new());
    let _ = std::fs::remove_dir_all(folder);
}
