//! CPython's `test_process_pool.py` test_failed_worker_replacement_breaks_pool (case 102 of
//! the inventory), adapted: the only worker dies, starting its replacement fails, and no
//! worker remains — so the pool breaks, and the calls queued behind the dead one, and every
//! later submission, fail with `Error::Broken` saying that a worker "could not be started".
//! Never a hang, never a call left pending.
//!
//! CPython mocks the spawn to raise `OSError`. Here the failure is real: the test lowers this
//! process's limit on open files below every descriptor the pool made (and below any free
//! descriptor number), so that no new descriptor can be made, not even in the numbers the
//! dead worker's sockets free — the replacement's socket pair fails with `EMFILE`, as in a
//! process that ran out of descriptors — while every descriptor already open keeps working.
//! The limit is process-wide, so this file holds this one test.

mod support;

use std::time::Duration;

use cfut_core::{Error, Exit, Future};
use cfut_processes::ProcessPoolExecutor;

use crate::support::{OpenFilesLimit, assert_broken, open_descriptors};

const LONG: Duration = Duration::from_secs(60);

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

/// Runs in the worker: gives the parent time to queue calls behind it, then kills the worker.
fn die_later(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
    std::process::exit(3);
}

#[test]
fn test_failed_worker_replacement_breaks_pool() {
    let before = open_descriptors();
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let first = get(pool.submit(pid, ())).unwrap();
    assert_eq!(pool.worker_pids(), [first]);

    // From here on, no new file descriptor can be made in this process: the limit is below
    // the pool's own descriptors and below the first free number.
    let open = open_descriptors();
    let pools = open
        .difference(&before)
        .copied()
        .min()
        .expect("the pool has sockets");
    let first_free = (0..).find(|fd| !open.contains(fd)).expect("a free number");
    let limit = OpenFilesLimit::lower_to(pools.min(first_free));
    let dying = pool.submit(die_later, 200);
    let queued: Vec<_> = (0..3).map(|_| pool.submit(pid, ())).collect();
    let dying = get(dying);
    let queued: Vec<_> = queued.into_iter().map(get).collect();
    let later = get(pool.submit(pid, ()));
    drop(limit);

    assert_eq!(dying, Err(Error::WorkerDied(Exit::Code(3))));
    for (i, outcome) in queued.into_iter().enumerate() {
        assert_broken(outcome, "could not be started", &format!("queued call {i}"));
    }
    assert_broken(
        later,
        "could not be started",
        "a submission after the break",
    );
    assert!(pool.worker_pids().is_empty(), "no worker remains");
    drop(pool); // shutting a broken pool down returns
}
