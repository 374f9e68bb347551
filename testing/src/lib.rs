//! The test kit of cfut: the conformance kit that every executor runs, and the helpers the
//! workspace's load, fault and CPython-derived tests share.
//!
//! ```toml
//! [dependencies]
//! cfut-testing = "0.1"
//! ```
//!
//! (Not published: a dev-dependency by path within this workspace.)
//!
//! ```
//! use cfut_threads::ThreadPoolExecutor;
//!
//! // Every in-process check on fresh pools; panics with the list of failures, if any.
//! let report = cfut_testing::conformance::job_executor(|| ThreadPoolExecutor::new(2).unwrap());
//! assert!(report.passed() > 10, "{report}");
//! ```
//!
//! Python's `concurrent.futures` promises one contract whatever runs the calls — a thread, a
//! process or (later) a cluster node. The [`conformance`] module writes that contract down as
//! a generic test suite: a backend author hands it a way to build fresh executors and it checks
//! submit and result, cancelling a call before it starts, done-callbacks, panics, shutdown with
//! and without cancelling, and submitting after shutdown, at both executor levels of
//! `cfut-core` (in-process [`JobExecutor`] and portable [`CallExecutor`]).
//!
//! The crate also holds the loom models, proptest properties, CPython-derived tests, fault and
//! load tests of the workspace (under `tests/`); `README.md` maps CPython's test suite onto
//! them. The `compare` benchmark lives in its own package, `cfut-bench` (`bench/`).
//!
//! # Examples
//!
//! ```
//! use cfut_core::InlineExecutor;
//! use cfut_testing::conformance::{self, Options};
//!
//! // The inline executor runs calls on the caller's thread: nothing is ever pending, so
//! // the checks that need a pending call are skipped, and the report says so.
//! let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
//! assert!(report.passed() >= 5);
//! assert!(report.skipped().any(|(name, _why)| name == "cancel_before_start"));
//! ```
//!
//! # Loom builds
//!
//! Under `RUSTFLAGS="--cfg cfut_loom"` the kit is compiled out: it needs real threads and
//! real time, which loom models do not have. Only the `tests/loom_*.rs` models run then.
//!
//! [`JobExecutor`]: cfut_core::JobExecutor
//! [`CallExecutor`]: cfut_core::CallExecutor

#![warn(missing_docs)]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(cfut_loom))]
pub mod conformance;
#[cfg(not(cfut_loom))]
pub mod memory;
