//! The conformance kit against `cfut_processes::ProcessPoolExecutor`, at the portable level
//! (the only one a process pool has), with one and two workers.
//!
//! Set-up: none. On Linux `cfut-processes` turns a re-executed test binary into a worker
//! before the test harness starts (see that crate's docs); the kit's calls are plain `pub fn`s
//! of `cfut-testing`, linked into this test binary, so the workers can run them.

#![cfg(target_os = "linux")]
// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use cfut_processes::ProcessPoolExecutor;
use cfut_testing::conformance::{self, Options, Outcome};

fn pool(workers: usize) -> ProcessPoolExecutor {
    ProcessPoolExecutor::new(workers).expect("a process pool with at least one worker builds")
}

#[test]
fn smoke() {
    assert_eq!(
        conformance::portable::call_submit_result(&pool(2), &conformance::Options::new()),
        Outcome::Passed
    );
}

#[test]
fn portable_level_one_worker() {
    let report = conformance::call_executor_with(&Options::new(), || pool(1));
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn portable_level_two_workers() {
    let report = conformance::call_executor_with(&Options::new(), || pool(2));
    assert_eq!(report.skipped().count(), 0, "{report}");
}

/// Calls sent ahead to a busy worker after a warm-up of short calls stay pending and
/// cancellable until the worker starts them (the cancel board), run alone and repeated so
/// that the warm-up always turns the pipelining on.
#[test]
fn call_cancel_after_short_calls_repeated() {
    for workers in [1, 2] {
        let pool = pool(workers);
        for _ in 0..5 {
            assert_eq!(
                conformance::portable::call_cancel_after_short_calls(&pool, &Options::new()),
                Outcome::Passed
            );
        }
    }
}
