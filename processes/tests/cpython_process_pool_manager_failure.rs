//! CPython's `test_process_pool.py` test_python_finalization_error (case 104 of the
//! inventory), adapted. CPython's case: starting the pool's internal thread fails (during
//! interpreter finalization), and `map` must raise `BrokenProcessPool` instead of hanging
//! (gh-109047). Rust has no finalization phase; what carries over is the failure itself: the
//! pool's manager thread cannot start on the first submission, and `map` must yield
//! `Error::Broken` for every element — and later submissions fail the same way — never hang.
//!
//! The failure is real, not mocked: the test lowers this process's open-file limit to its
//! first free descriptor number before the first submission, so that the manager's wake-up
//! socket pair cannot be made (`EMFILE`) — the same error path as a failing thread start.
//! The limit is process-wide, so this file holds this one test: cargo runs each test file as
//! its own process.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::time::Duration;

use cfut_core::{Error, Future};
use cfut_processes::ProcessPoolExecutor;

const LONG: Duration = Duration::from_secs(60);

fn mul((a, b): (i64, i64)) -> i64 {
    a * b
}

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

/// The lowest descriptor number not in use: a new descriptor would get it.
fn first_free_descriptor() -> libc::rlim_t {
    let open: BTreeSet<libc::rlim_t> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    (0..).find(|fd| !open.contains(fd)).expect("a free number")
}

/// Sets this process's soft limit on open files; returns the previous limits.
fn set_open_files_limit(soft: libc::rlim_t) -> libc::rlimit {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit`/`setrlimit` only read and write the `rlimit` passed in.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
        let new = libc::rlimit {
            rlim_cur: soft,
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &new), 0);
    }
    old
}

fn assert_manager_could_not_start<T: std::fmt::Debug>(outcome: Result<T, Error>, what: &str) {
    match outcome {
        Err(Error::Broken { reason }) => assert!(
            reason.contains("manager thread could not start"),
            "{what}: the reason should say the manager could not start: {reason:?}"
        ),
        other => panic!("{what}: expected the broken-pool error, got {other:?}"),
    }
}

#[test]
fn test_python_finalization_error() {
    // The manager starts with the first submission, not here.
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let inputs: Vec<(i64, i64)> = (0..10).map(|i| (i, i + 1)).collect();

    let limits = set_open_files_limit(first_free_descriptor());
    let mapped: Vec<_> = pool
        .map(mul, inputs, NonZeroUsize::new(1).unwrap())
        .collect();
    let later = get(pool.submit(mul, (6, 7)));
    // SAFETY: restores the limits read above.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limits) }, 0);

    assert_eq!(mapped.len(), 10, "map yields every element, then ends");
    for (i, outcome) in mapped.into_iter().enumerate() {
        assert_manager_could_not_start(outcome, &format!("element {i}"));
    }
    assert_manager_could_not_start(later, "a submission after the failure");
    assert!(pool.worker_pids().is_empty(), "no worker was started");
    drop(pool); // shutting the broken pool down returns
}
