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
//! The limit is process-wide, so this file holds this one test.

mod support;

use std::num::NonZeroUsize;
use std::time::Duration;

use cfut_combinators::MapExt;
use cfut_core::{Error, Future};
use cfut_processes::ProcessPoolExecutor;

use crate::support::{OpenFilesLimit, assert_broken, first_free_descriptor};

const LONG: Duration = Duration::from_secs(60);

fn mul((a, b): (i64, i64)) -> i64 {
    a * b
}

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

#[test]
fn test_python_finalization_error() {
    // The manager starts with the first submission, not here.
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let inputs: Vec<(i64, i64)> = (0..10).map(|i| (i, i + 1)).collect();

    let limit = OpenFilesLimit::lower_to(first_free_descriptor());
    let mapped: Vec<_> = pool
        .map(mul, inputs)
        .chunksize(NonZeroUsize::new(1).unwrap())
        .eager()
        .collect();
    let later = get(pool.submit(mul, (6, 7)));
    drop(limit);

    let needle = "manager thread could not start";
    assert_eq!(mapped.len(), 10, "map yields every element, then ends");
    for (i, outcome) in mapped.into_iter().enumerate() {
        assert_broken(
            outcome.map_err(|e| e.into_call_error().expect("no deadline")),
            needle,
            &format!("element {i}"),
        );
    }
    assert_broken(later, needle, "a submission after the failure");
    assert!(pool.worker_pids().is_empty(), "no worker was started");
    drop(pool); // shutting the broken pool down returns
}
