//! The `workloads` suite: real shapes, not no-ops. cfut's default `map` (what users write)
//! against rayon, threadpool and Python's `concurrent.futures` (bench/python/workloads.py),
//! the same number of workers for every system, wall time per run, and the `ideal` (the
//! critical path, or the total work ÷ the workers) where it can be computed.
//!
//! - `io_fast_prefix`, `io_heavy_tail` ([`io`]): sleeps standing for network calls, 16
//!   threads.
//! - `cpu_hash_files`, `cpu_hash_files_processes` ([`hash`]): SHA-256 of every file of the
//!   Rust toolchain's `lib/`, on 2 threads and on 2 worker processes.
//! - `recursive_fib` ([`fib`]): fib(25), each call submitting its first half and waiting for
//!   it, against `rayon::join`.

mod fib;
mod hash;
mod io;

use crate::python;
use crate::report::{Report, Sample};
use crate::timing::{Per, timed};

pub(crate) fn run(report: &mut Report) {
    eprintln!("compare: workloads suite");
    let sleeps = io::heavy_tail_sleeps();
    io::run(report, &sleeps);
    let files = hash::Files::find();
    if let Some(files) = &files {
        hash::run(report, files);
    }
    fib::run(report);

    let sleeps_us: Vec<String> = sleeps.iter().map(|d| d.as_micros().to_string()).collect();
    let mut args = vec![
        ("--fast-prefix-threads", io::THREADS.to_string()),
        ("--sleeps-us", sleeps_us.join(",")),
    ];
    if let Some(files) = &files {
        args.push(("--hash-root", files.root().display().to_string()));
        args.push(("--hash-workers", hash::WORKERS.to_string()));
    }
    let checks = python::record_script(report, "workloads.py", &args);
    if let Some(files) = &files {
        files.compare_check(&checks);
    }
}

/// Seconds for one run of `calls` calls by `run`, whose result must equal `expected`
/// (checked outside the clock).
fn seconds<R: PartialEq>(calls: usize, expected: &R, run: impl FnOnce() -> R) -> Sample {
    let (sample, out) = timed(calls, Per::Seconds, run);
    assert!(out == *expected, "a system computed something else");
    sample
}
