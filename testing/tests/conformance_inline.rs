//! The conformance kit against `cfut_core::InlineExecutor`, the reference backend: calls run
//! on the caller's thread, so the checks that need a pending call are skipped (and must be
//! exactly those).

// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use cfut_core::InlineExecutor;
use cfut_testing::conformance::{self, Options, Outcome};

fn inline() -> Options {
    Options::new().runs_inline(true)
}

#[test]
fn smoke() {
    assert_eq!(
        conformance::in_process::submit_result(&InlineExecutor::new(), &inline()),
        Outcome::Passed
    );
}

#[test]
fn in_process_level() {
    let report = conformance::job_executor_with(&inline(), InlineExecutor::new);
    println!("{report}");
    let mut skipped: Vec<_> = report.skipped().map(|(name, _)| name).collect();
    skipped.sort_unstable();
    assert_eq!(
        skipped,
        [
            "cancel_before_start",
            "map_drop_cancels",
            "shutdown_cancel_pending",
            "shutdown_cancel_pending_and_wait",
            "shutdown_keeps_queued",
        ]
    );
    assert_eq!(report.passed(), report.entries().len() - 5);
}

#[test]
fn portable_level() {
    let report = conformance::call_executor_with(&inline(), InlineExecutor::new);
    println!("{report}");
    let mut skipped: Vec<_> = report.skipped().map(|(name, _)| name).collect();
    skipped.sort_unstable();
    assert_eq!(
        skipped,
        [
            "call_cancel_after_short_calls",
            "call_cancel_before_start",
            "call_shutdown_cancel_pending",
            "call_shutdown_keeps_queued",
        ]
    );
    assert_eq!(report.passed(), report.entries().len() - 4);
}

/// Without the declaration, the kit notices that nothing is ever pending and fails those
/// checks, naming them: the kit cannot be passed by accident.
#[test]
fn undeclared_inline_executor_fails_the_pending_checks() {
    let failure = std::panic::catch_unwind(|| {
        conformance::job_executor_with(
            &Options::new().timeout(std::time::Duration::from_millis(100)),
            InlineExecutor::new,
        )
    })
    .expect_err("an inline executor cannot keep a call pending");
    let message = failure
        .downcast_ref::<String>()
        .expect("the kit panics with a String");
    assert!(message.contains("cancel_before_start:"), "{message}");
    assert!(!message.contains("  submit_result:"), "{message}");
}
