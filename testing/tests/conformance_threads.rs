//! The conformance kit against `cfut_threads::ThreadPoolExecutor`, at both executor levels and
//! with one, two and four workers (one worker is where a pending call is easiest to get wrong:
//! the single worker is busy and the queue must hold the call).

// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use cfut_testing::conformance::{self, Outcome};
use cfut_threads::ThreadPoolExecutor;

fn pool(workers: usize) -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(workers).expect("a thread pool with at least one worker builds")
}

#[test]
fn smoke() {
    assert_eq!(
        conformance::in_process::submit_result(&pool(2), &conformance::Options::new()),
        Outcome::Passed
    );
}

#[test]
fn in_process_level_one_worker() {
    let report = conformance::job_executor(|| pool(1));
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn in_process_level_two_workers() {
    let report = conformance::job_executor(|| pool(2));
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn in_process_level_four_workers() {
    let report = conformance::job_executor(|| pool(4));
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn in_process_level_default_workers() {
    let report = conformance::job_executor(|| {
        ThreadPoolExecutor::builder()
            .build()
            .expect("the default pool builds")
    });
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn portable_level_two_workers() {
    let report = conformance::call_executor(|| pool(2));
    assert_eq!(report.skipped().count(), 0, "{report}");
}

#[test]
fn portable_level_one_worker() {
    let report = conformance::call_executor(|| pool(1));
    assert_eq!(report.skipped().count(), 0, "{report}");
}
