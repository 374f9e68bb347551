//! CPython's tests of `map`, `as_completed` and `wait` (`Lib/test/test_concurrent_futures/`:
//! `executor.py`, `test_as_completed.py`, `test_wait.py`), re-written for Rust against the
//! core's `InlineExecutor` and the small executors of `support`. Each test is named after the
//! CPython test it adapts and cites it; the code is our own.

// Real threads and timed waits: not for loom builds.
#![cfg(not(cfut_loom))]

mod as_completed;
mod map;
mod support;
mod wait;
