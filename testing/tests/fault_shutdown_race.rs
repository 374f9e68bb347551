//! Fault: `shutdown` racing submissions from 4 threads, on the thread pool and the process
//! pool, with each of the four shutdown modes.
//!
//! Every future completes — with its value, `Error::Cancelled` (only when the shutdown
//! cancels pending calls) or `Error::Shutdown` — none is lost (no hang: every wait is bounded;
//! no `Error::Abandoned`); a submission made after `shutdown` returned is always refused; a
//! call whose future is cancelled never ran; and no thread or worker process outlives the pool.
//!
//! One `#[test]` runs everything in sequence, because it counts this process's threads.

#![cfg(target_os = "linux")]
// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use cfut_core::{CallExecutor, Error, Future, Shutdown};
use cfut_processes::ProcessPoolExecutor;
use cfut_threads::ThreadPoolExecutor;

const SUBMITTERS: usize = 4;
const LIMIT: Duration = Duration::from_secs(120);

fn modes() -> [Shutdown; 4] {
    [
        Shutdown::new(),
        Shutdown::new().cancel_pending(true),
        Shutdown::new().wait(false),
        Shutdown::new().cancel_pending(true).wait(false),
    ]
}

fn threads_of_this_process() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// Fails unless the process is back to `before` threads within a few seconds. Polls: a
/// joined thread can still be listed in `/proc/self/task` for a moment after the join.
fn assert_threads_back_to(before: usize, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while threads_of_this_process() != before {
        assert!(
            std::time::Instant::now() < deadline,
            "threads outlived {what}: {} instead of {before}",
            threads_of_this_process()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What one submission gave, and whether it was made after `shutdown` returned.
struct Submitted<T> {
    future: Future<T>,
    after_shutdown: bool,
    expected: T,
}

fn finish<T>(mut future: Future<T>) -> Result<T, Error> {
    assert!(
        future.wait_timeout(LIMIT),
        "a future was still {:?} after {LIMIT:?}: lost",
        future.state()
    );
    future.try_result().expect("done")
}

/// Checks every outcome; returns (values, cancelled, refused).
fn tally<T: PartialEq + std::fmt::Debug>(
    how: Shutdown,
    submitted: Vec<Submitted<T>>,
) -> (usize, usize, usize) {
    let (mut values, mut cancelled, mut refused) = (0, 0, 0);
    for Submitted {
        future,
        after_shutdown,
        expected,
    } in submitted
    {
        match finish(future) {
            Ok(value) => {
                assert!(!after_shutdown, "a call submitted after shutdown ran");
                assert_eq!(value, expected);
                values += 1;
            }
            Err(Error::Cancelled) => {
                assert!(how.cancels_pending(), "{how:?} cancelled a call");
                cancelled += 1;
            }
            Err(Error::Shutdown) => refused += 1,
            Err(other) => panic!("{how:?}: a submission ended with {other:?}"),
        }
    }
    (values, cancelled, refused)
}

fn race_threads(how: Shutdown) {
    let pool = ThreadPoolExecutor::new(2).expect("pool");
    let shut = AtomicBool::new(false);
    let ran = Arc::new(Mutex::new(Vec::new()));
    let start = Barrier::new(SUBMITTERS + 1);
    let progress = AtomicUsize::new(0);
    let submitted: Vec<Submitted<usize>> = std::thread::scope(|scope| {
        let submitters: Vec<_> = (0..SUBMITTERS)
            .map(|t| {
                let (pool, shut, ran, start, progress) = (&pool, &shut, &ran, &start, &progress);
                scope.spawn(move || {
                    start.wait();
                    let mut mine = Vec::new();
                    for i in 0..2_000 {
                        let id = t * 100_000 + i;
                        let after_shutdown = shut.load(Ordering::SeqCst);
                        let ran = Arc::clone(ran);
                        let future = pool.spawn(move || {
                            ran.lock().expect("ran").push(id);
                            id
                        });
                        mine.push(Submitted {
                            future,
                            after_shutdown,
                            expected: id,
                        });
                        progress.fetch_add(1, Ordering::SeqCst);
                    }
                    mine
                })
            })
            .collect();
        start.wait();
        // Shut down once a quarter of the submissions are made: the rest race it.
        while progress.load(Ordering::SeqCst) < SUBMITTERS * 2_000 / 4 {
            std::thread::yield_now();
        }
        pool.shutdown(how);
        shut.store(true, Ordering::SeqCst);
        submitters
            .into_iter()
            .flat_map(|s| s.join().expect("submitter"))
            .collect()
    });
    let cancelled_ids: Vec<usize> = submitted
        .iter()
        .filter(|s| s.future.is_cancelled())
        .map(|s| s.expected)
        .collect();
    let total = submitted.len();
    let (values, cancelled, refused) = tally(how, submitted);
    assert_eq!(
        values + cancelled + refused,
        total,
        "every submission accounted for"
    );
    drop(pool);
    let ran = ran.lock().expect("ran");
    assert_eq!(ran.len(), values, "exactly the calls with a value ran");
    for id in cancelled_ids {
        assert!(!ran.contains(&id), "cancelled call {id} ran");
    }
    println!("threads {how:?}: {values} ran, {cancelled} cancelled, {refused} refused");
}

fn identity(x: u64) -> u64 {
    x
}

fn race_processes(how: Shutdown) {
    let pool = ProcessPoolExecutor::new(2).expect("pool");
    let shut = AtomicBool::new(false);
    let start = Barrier::new(SUBMITTERS + 1);
    let pids = Mutex::new(Vec::new());
    let progress = AtomicUsize::new(0);
    let submitted: Vec<Submitted<u64>> = std::thread::scope(|scope| {
        let submitters: Vec<_> = (0..SUBMITTERS as u64)
            .map(|t| {
                let (pool, shut, start, pids, progress) = (&pool, &shut, &start, &pids, &progress);
                scope.spawn(move || {
                    start.wait();
                    let mut mine = Vec::new();
                    for i in 0..500 {
                        let id = t * 100_000 + i;
                        let after_shutdown = shut.load(Ordering::SeqCst);
                        mine.push(Submitted {
                            future: pool.submit_call(identity, id),
                            after_shutdown,
                            expected: id,
                        });
                        if i % 50 == 0 {
                            pids.lock().expect("pids").extend(pool.worker_pids());
                        }
                        progress.fetch_add(1, Ordering::SeqCst);
                    }
                    mine
                })
            })
            .collect();
        start.wait();
        // Shut down once a quarter of the submissions are made: the rest race it.
        while progress.load(Ordering::SeqCst) < SUBMITTERS * 500 / 4 {
            std::thread::yield_now();
        }
        pids.lock().expect("pids").extend(pool.worker_pids());
        pool.shutdown(how);
        shut.store(true, Ordering::SeqCst);
        submitters
            .into_iter()
            .flat_map(|s| s.join().expect("submitter"))
            .collect()
    });
    let total = submitted.len();
    let (values, cancelled, refused) = tally(how, submitted);
    assert_eq!(
        values + cancelled + refused,
        total,
        "every submission accounted for"
    );
    drop(pool);
    let mut pids = pids.into_inner().expect("pids");
    pids.sort_unstable();
    pids.dedup();
    for pid in &pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} outlived the pool (alive or zombie)"
        );
    }
    println!(
        "processes {how:?}: {values} ran, {cancelled} cancelled, {refused} refused; {} worker pids seen",
        pids.len()
    );
}

#[test]
fn shutdown_races_submissions_from_four_threads() {
    let before = threads_of_this_process();
    for how in modes() {
        race_threads(how);
        assert_threads_back_to(before, &format!("a thread pool shut down with {how:?}"));
    }
    for how in modes() {
        race_processes(how);
        assert_threads_back_to(before, &format!("a process pool shut down with {how:?}"));
    }
}
