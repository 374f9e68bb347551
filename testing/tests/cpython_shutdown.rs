//! CPython's process-exit shutdown scenarios, re-expressed for cfut's pools.
//!
//! Provenance: scenarios from CPython's `Lib/test/test_concurrent_futures/test_shutdown.py`
//! (<https://github.com/python/cpython/tree/main/Lib/test/test_concurrent_futures>),
//! Copyright © Python Software Foundation, PSF License Agreement (see
//! `testing/LICENSE-THIRD-PARTY`). No code is copied; each test re-states the scenario in Rust
//! and names the CPython test it adapts. Changes:
//! - `test_interpreter_shutdown`: Python starts a child interpreter that submits a call and
//!   exits without `shutdown`. Here the test binary re-executes one of its own (ignored) tests
//!   as the child; "exiting without shutdown" is leaving the scope that owns the pool (Rust
//!   has no interpreter exit phase: dropping the pool is Python's exit-time join). Run on the
//!   thread pool and the process pool; the call's delay is 100 ms instead of 1 s.
//! - `test_hang_gh83386`: `shutdown(wait=False)` with a call still running, then the program
//!   ends; run on the process pool (the thread pool's case is
//!   `threads/tests/pool_shutdown.rs::test_hang_gh83386`).
//! - Python checks that stderr is empty; here, that the child exits successfully and its
//!   stderr holds no panic.

#![cfg(target_os = "linux")]
// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cfut_core::{CallExecutor, Shutdown};
use cfut_processes::ProcessPoolExecutor;
use cfut_threads::ThreadPoolExecutor;

const LIMIT: Duration = Duration::from_secs(120);

/// Runs the ignored test `name` of this binary as a child process and returns its stdout,
/// failing if it hangs, fails or panics.
fn run_child(name: &str) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-execute the test binary");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("poll the child").is_some() {
            break;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: the child did not exit within {LIMIT:?}: a hang at exit");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().expect("the child's output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{name}: the child failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    stdout
}

fn apple_after_100ms(_: ()) {
    std::thread::sleep(Duration::from_millis(100));
    println!("apple");
}

/// The child of `test_interpreter_shutdown` on the thread pool: submit, then leave the scope
/// without calling `shutdown`.
#[test]
#[ignore = "child process of test_interpreter_shutdown_thread_pool"]
fn child_interpreter_shutdown_thread_pool() {
    let pool = ThreadPoolExecutor::new(2).expect("pool");
    let _future = pool.spawn(|| apple_after_100ms(()));
}

/// The child of `test_interpreter_shutdown` on the process pool.
#[test]
#[ignore = "child process of test_interpreter_shutdown_process_pool"]
fn child_interpreter_shutdown_process_pool() {
    let pool = ProcessPoolExecutor::new(2).expect("pool");
    let _future = pool.submit_call(apple_after_100ms, ());
}

/// The child of `test_hang_gh83386` on the process pool: `shutdown(wait=False)` while the
/// call runs, then the program ends.
#[test]
#[ignore = "child process of test_hang_gh83386_process_pool"]
fn child_hang_gh83386_process_pool() {
    let pool = ProcessPoolExecutor::new(1).expect("pool");
    let future = pool.submit_call(apple_after_100ms, ());
    let start = Instant::now();
    while !future.is_running() {
        assert!(start.elapsed() < LIMIT, "the call never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    pool.shutdown(Shutdown::new().wait(false));
}

// test_shutdown.py ExecutorShutdownTest.test_interpreter_shutdown: a call submitted just
// before the program ends without `shutdown` still runs to completion ("apple").
#[test]
fn test_interpreter_shutdown_thread_pool() {
    let stdout = run_child("child_interpreter_shutdown_thread_pool");
    assert!(
        stdout.contains("apple"),
        "the queued call did not run: {stdout}"
    );
}

// The same, on the process pool.
#[test]
fn test_interpreter_shutdown_process_pool() {
    let stdout = run_child("child_interpreter_shutdown_process_pool");
    assert!(
        stdout.contains("apple"),
        "the queued call did not run: {stdout}"
    );
}

// test_shutdown.py test_hang_gh83386 (process pool): `shutdown(wait=False)` with a running
// call does not hang the end of the program, and the call completes ("apple").
#[test]
fn test_hang_gh83386_process_pool() {
    let stdout = run_child("child_hang_gh83386_process_pool");
    assert!(
        stdout.contains("apple"),
        "the running call did not finish: {stdout}"
    );
}
