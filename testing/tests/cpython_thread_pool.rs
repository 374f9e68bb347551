//! CPython's thread-pool map cancellation case on the real `ThreadPoolExecutor`.
//!
//! Provenance: scenario from CPython's
//! `Lib/test/test_concurrent_futures/test_thread_pool.py`
//! (`test_executor_map_current_future_cancel`, gh-95166;
//! <https://github.com/python/cpython/tree/main/Lib/test/test_concurrent_futures>),
//! Copyright © Python Software Foundation, PSF License Agreement (see
//! `testing/LICENSE-THIRD-PARTY`). No code is copied. Changes: Python saturates its single
//! worker with a call that waits on an event and maps with `timeout=0`; here the worker waits
//! on a `Gate`, the map is `cfut_combinators`' (eager, to submit both calls as Python does,
//! with a zero deadline), and "never starts" is checked by a counter read after a waiting
//! shutdown. The same scenario on a scripted executor is
//! `combinators/tests/cpython/map.rs::test_map_timeout`.

// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cfut_combinators::{MapError, MapExt};
use cfut_core::Shutdown;
use cfut_testing::conformance::Gate;
use cfut_threads::ThreadPoolExecutor;

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn test_executor_map_current_future_cancel() {
    let pool = ThreadPoolExecutor::new(1).expect("one worker");
    let gate = Gate::new();
    let mut blocker = {
        let gate = gate.clone();
        pool.spawn(move || gate.wait(LIMIT))
    };
    let started = Arc::new(AtomicUsize::new(0));
    {
        let started = Arc::clone(&started);
        let mut map = pool
            .map(
                move |_name: &'static str| {
                    started.fetch_add(1, Ordering::SeqCst);
                },
                ["second", "third"],
            )
            .eager()
            .timeout(Duration::ZERO);
        assert_eq!(map.next(), Some(Err(MapError::Deadline)));
        assert_eq!(map.next(), None);
    }
    gate.open();
    assert_eq!(blocker.result_timeout(LIMIT), Ok(true));
    pool.shutdown(Shutdown::new());
    assert_eq!(
        started.load(Ordering::SeqCst),
        0,
        "neither \"second\" nor \"third\" may start after the map's deadline"
    );
}
