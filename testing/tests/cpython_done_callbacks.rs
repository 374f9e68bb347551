//! CPython's `test_done_callback_raises` with futures completed by the real pools.
//!
//! Provenance: scenario from CPython's `Lib/test/test_concurrent_futures/test_future.py`
//! (`test_done_callback_raises`;
//! <https://github.com/python/cpython/tree/main/Lib/test/test_concurrent_futures>),
//! Copyright © Python Software Foundation, PSF License Agreement (see
//! `testing/LICENSE-THIRD-PARTY`). No code is copied. Changes: CPython completes a bare future
//! and checks the logged "Exception: doh!"; here a pool completes it — a worker thread of the
//! `ThreadPoolExecutor`, the manager thread of the `ProcessPoolExecutor`, so the panicking
//! callback runs on the pool's own thread — and the report is read from the stderr of a child
//! process that runs the scenario (see `in_child`). The bare-future form is
//! `core/tests/future_cpython.rs::test_done_callback_raises`.

// Real threads and processes: not for loom builds.
#![cfg(not(cfut_loom))]

use std::sync::mpsc;
use std::time::Duration;

use cfut_core::{Error, Future};
use cfut_processes::ProcessPoolExecutor;
use cfut_testing::conformance::Gate;
use cfut_testing::conformance::calls::wait_for_file;
use cfut_threads::ThreadPoolExecutor;

// One copy of the helper, in the core crate's tests.
#[path = "../../core/tests/support/child.rs"]
mod child;
use child::in_child;

/// Bounds every wait of these tests: a hang fails the test instead.
const LIMIT: Duration = Duration::from_secs(60);

/// The report a panicking done-callback leaves on stderr (`cfut_core`'s `unwind` module).
const REPORT: &str =
    "cfut: a done-callback panicked: doh! (ignored; the remaining callbacks still run)";

/// Registers a callback that panics with "doh!" and then one that sends what it saw; returns
/// the receiving end.
fn panicking_then_recording(future: &Future<u64>) -> mpsc::Receiver<Result<u64, Error>> {
    future.add_done_callback(|_| panic!("doh!"));
    let (seen, received) = mpsc::channel();
    future.add_done_callback(move |outcome| {
        let _ = seen.send(outcome.copied().map_err(Clone::clone));
    });
    received
}

// test_future.py test_done_callback_raises, on a thread pool: the callbacks are registered
// while the call waits on a gate, so the pool's worker thread runs them when it completes the
// future. The panic is reported on stderr once, the next callback still sees the value, and
// the worker serves on.
#[test]
fn test_done_callback_raises_thread_pool() {
    let stderr = in_child("test_done_callback_raises_thread_pool", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let gate = Gate::new();
        let opened = gate.clone();
        let mut future = pool.spawn(move || u64::from(opened.wait(LIMIT)) * 5);
        let seen = panicking_then_recording(&future);
        assert!(!future.is_done(), "the callbacks wait for the worker");
        gate.open();
        assert_eq!(seen.recv_timeout(LIMIT), Ok(Ok(5)));
        assert_eq!(future.result_timeout(LIMIT), Ok(5));
        assert_eq!(pool.spawn(|| 7_u64).result_timeout(LIMIT), Ok(7));
    });
    if let Some(stderr) = stderr {
        assert_eq!(stderr.matches(REPORT).count(), 1, "stderr:\n{stderr}");
    }
}

// test_future.py test_done_callback_raises, on a process pool: the call waits on a file gate,
// so the pool's manager thread runs the callbacks when the result arrives. The panic is
// reported on stderr once, the next callback still sees the value, and the pool serves on.
#[test]
fn test_done_callback_raises_process_pool() {
    let stderr = in_child("test_done_callback_raises_process_pool", || {
        let gate = std::env::temp_dir().join(format!("cfut-callback-gate-{}", std::process::id()));
        let _ = std::fs::remove_file(&gate);
        let pool = ProcessPoolExecutor::new(1).unwrap();
        let path = gate.to_string_lossy().into_owned();
        let limit = LIMIT.as_millis() as u64;
        let mut future = pool.submit(
            |(path, limit)| u64::from(wait_for_file((path, limit))) * 5,
            (path, limit),
        );
        let seen = panicking_then_recording(&future);
        assert!(!future.is_done(), "the callbacks wait for the worker");
        std::fs::write(&gate, b"").unwrap();
        assert_eq!(seen.recv_timeout(LIMIT), Ok(Ok(5)));
        assert_eq!(future.result_timeout(LIMIT), Ok(5));
        assert_eq!(pool.submit(|x: u64| x + 1, 6).result_timeout(LIMIT), Ok(7));
        let _ = std::fs::remove_file(&gate);
    });
    if let Some(stderr) = stderr {
        assert_eq!(stderr.matches(REPORT).count(), 1, "stderr:\n{stderr}");
    }
}
