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

/// cfut-processes sends queued calls ahead to busy workers once it has seen short calls
/// (a throughput optimisation), so such calls can no longer be cancelled: a known departure
/// from "pending until a worker actually takes it". Run alone in
/// `known_deviation_call_cancel_after_short_calls` (ignored) below.
const PIPELINING: &str = "cfut-processes pipelines queued calls to busy workers after short calls";

fn options() -> Options {
    Options::new().known_deviation("call_cancel_after_short_calls", PIPELINING)
}

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
    let report = conformance::call_executor_with(&options(), || pool(1));
    assert_eq!(report.skipped().count(), 1, "{report}");
}

#[test]
fn portable_level_two_workers() {
    let report = conformance::call_executor_with(&options(), || pool(2));
    assert_eq!(report.skipped().count(), 1, "{report}");
}

/// The known deviation, run alone: fails today ("queued call 0 is Running, not pending, while
/// all 1 workers are blocked"); passes once cfut-processes keeps queued calls in the parent.
#[test]
#[ignore = "fails by design: cfut-processes pipelines queued calls after short calls (a documented deviation); see testing/README.md"]
fn known_deviation_call_cancel_after_short_calls() {
    assert_eq!(
        conformance::portable::call_cancel_after_short_calls(&pool(1), &Options::new()),
        Outcome::Passed
    );
}
