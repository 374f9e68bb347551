//! The process-pool cases of CPython's `concurrent.futures` test suite, as scenarios.
//!
//! Provenance: scenarios taken from CPython's `Lib/test/test_concurrent_futures/`
//! (`executor.py`, `test_shutdown.py`, `test_process_pool.py`, `test_deadlock.py`,
//! `test_init.py`; Python Software Foundation License), as inventoried in
//! `shared/reference/cpython-concurrent-futures.md` §7. No code is copied: each test re-states
//! the scenario in Rust and is named after the CPython test, with a comment citing it.
//! Changes: Python exceptions become `cfut_core::Error` variants; `BrokenProcessPool` after a
//! worker death becomes `Error::WorkerDied` for that call only (the pool stays usable, on
//! purpose); pickling becomes serde encoding; times are shortened.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cfut_combinators::{MapError, MapExt};
use cfut_core::{Error, Exit, Future, Shutdown, State};
use cfut_processes::ProcessPoolExecutor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const LONG: Duration = Duration::from_secs(60);

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

fn pool(workers: usize) -> ProcessPoolExecutor {
    ProcessPoolExecutor::new(workers).unwrap()
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn pow((base, exp): (u64, u32)) -> u64 {
    base.pow(exp)
}

fn mul((a, b): (i64, i64)) -> i64 {
    a * b
}

fn wait_running<T>(future: &Future<T>) {
    let deadline = Instant::now() + LONG;
    while future.state() == State::Pending {
        assert!(Instant::now() < deadline, "the call never started");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn chunk(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

// ---- executor.py (ExecutorTest) -----------------------------------------------------------

// CPython executor.py test_submit: submit(pow, 2, 8).result() == 256.
#[test]
fn test_submit() {
    assert_eq!(get(pool(2).submit(pow, (2, 8))), Ok(256));
}

// CPython executor.py test_submit_keyword: the arguments reach the callable (adapted: Rust
// has no keyword arguments; a struct with named fields travels instead).
#[test]
fn test_submit_keyword() {
    #[derive(Serialize, Deserialize)]
    struct Args {
        base: u64,
        exp: u32,
    }
    let future = pool(1).submit(|a: Args| a.base.pow(a.exp), Args { base: 2, exp: 8 });
    assert_eq!(get(future), Ok(256));
}

// CPython executor.py test_map: map equals the builtin map, also with chunksize=3.
#[test]
fn test_map() {
    let pool = pool(2);
    let inputs: Vec<(i64, i64)> = (0..10).map(|i| (i, i + 1)).collect();
    let expected: Vec<i64> = inputs.iter().copied().map(mul).collect();
    for size in [1, 3] {
        let got: Vec<i64> = pool
            .map(mul, inputs.clone())
            .chunksize(chunk(size))
            .eager()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, expected);
    }
}

// CPython executor.py test_map_exception (main semantics): an error in one element is that
// element's error; later elements still come. With chunksize=3 the divisors are CPython's
// [2, 0, 3, 5]: the failing element sits in the middle of the first chunk, and the elements
// before and after it in that chunk are still delivered.
#[test]
fn test_map_exception() {
    fn divmod((a, b): (i32, i32)) -> (i32, i32) {
        (a / b, a % b)
    }
    let pool = pool(2);
    let cases = [
        (
            1,
            [2, 3, 0, 5],
            [Some((2, 1)), Some((1, 2)), None, Some((1, 0))],
        ),
        (
            3,
            [2, 0, 3, 5],
            [Some((2, 1)), None, Some((1, 2)), Some((1, 0))],
        ),
    ];
    for (size, divisors, expected) in cases {
        let inputs: Vec<(i32, i32)> = divisors.iter().map(|&b| (5, b)).collect();
        let mut results = pool.map(divmod, inputs).chunksize(chunk(size)).eager();
        for (index, expected) in expected.into_iter().enumerate() {
            match (results.next(), expected) {
                (Some(Ok(value)), Some(expected)) => assert_eq!(value, expected),
                (Some(Err(MapError::Call(Error::Panicked { message, .. }))), None) => {
                    assert!(message.contains("divide by zero"), "{message}")
                }
                (other, _) => panic!("chunksize {size}, element {index}: got {other:?}"),
            }
        }
        assert_eq!(results.next(), None);
        assert_eq!(results.next(), None);
    }
}

// CPython executor.py test_map_close: dropping the iterator after one value cancels what has
// not started.
#[test]
fn test_map_close() {
    let pool = pool(1);
    let blocker = pool.submit(sleep_ms, 300);
    wait_running(&blocker);
    let mut results = pool.map(sleep_ms, vec![0; 20]).chunksize(chunk(2)).eager();
    let later = pool.submit(sleep_ms, 0);
    assert!(later.cancel(), "calls behind the map wait in the parent");
    drop(blocker);
    assert_eq!(results.next(), Some(Ok(0)));
    drop(results);
    // Everything still pending was cancelled; the pool is quickly free again.
    assert_eq!(get(pool.submit(sleep_ms, 1)), Ok(1));
}

// CPython executor.py test_shutdown_race_issue12456: map of worker_count+1 items without
// iterating, then shutdown() must not hang.
#[test]
fn test_shutdown_race_issue12456() {
    let pool = pool(2);
    let results = pool.map(sleep_ms, vec![1; 3]).chunksize(chunk(1)).eager();
    pool.shutdown(Shutdown::new());
    assert_eq!(results.map(Result::unwrap).count(), 3);
}

// CPython executor.py test_max_workers_negative: max_workers 0 is an error ("-1" cannot be
// written: the type is unsigned).
#[test]
fn test_max_workers_negative() {
    let error = ProcessPoolExecutor::new(0).unwrap_err();
    assert_eq!(error.to_string(), "max_workers must be greater than 0");
}

// CPython executor.py test_swallows_falsey_exceptions: an error is never lost, whatever it
// carries (adapted: an empty panic message).
#[test]
fn test_swallows_falsey_exceptions() {
    let outcome = get(pool(1).submit(|()| -> u8 { std::panic::panic_any(String::new()) }, ()));
    assert_eq!(
        outcome,
        Err(Error::Panicked {
            message: String::new(),
            location: outcome_location(&outcome)
        })
    );
}

fn outcome_location<T>(outcome: &Result<T, Error>) -> Option<String> {
    match outcome {
        Err(Error::Panicked { location, .. }) => location.clone(),
        _ => None,
    }
}

// ---- test_shutdown.py ---------------------------------------------------------------------

// CPython test_shutdown.py test_run_after_shutdown: submit after shutdown is refused.
#[test]
fn test_run_after_shutdown() {
    let pool = pool(1);
    pool.shutdown(Shutdown::new());
    assert_eq!(get(pool.submit(pid, ())), Err(Error::Shutdown));
}

// CPython test_shutdown.py test_hang_issue12364: 50 short calls then shutdown; all results.
#[test]
fn test_hang_issue12364() {
    let pool = pool(2);
    let futures: Vec<_> = (0..50).map(|_| pool.submit(sleep_ms, 1)).collect();
    pool.shutdown(Shutdown::new());
    for f in futures {
        assert_eq!(get(f), Ok(1));
    }
}

/// In a worker: returns `true` once the file `gate` exists (`false` after [`LONG`]).
fn wait_for_gate(gate: String) -> bool {
    let deadline = Instant::now() + LONG;
    while !std::path::Path::new(&gate).exists() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Polls `condition` until true, failing the test after [`LONG`].
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !condition() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A fresh, empty directory for one test's marker files (named after the test and this
/// process, so parallel tests and earlier runs do not meet in it).
fn marker_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cfut-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// CPython test_shutdown.py test_cancel_futures: 50 calls on 5 workers,
// shutdown(cancel_futures=True): the queued calls are cancelled, the others succeeded and are
// done when `shutdown` returns. CPython's 100 ms calls become calls blocked on a file gate,
// so the split is exact: the 5 calls holding the workers finish, the 45 queued in the parent
// are cancelled. The gate opens only once the 45 are cancelled (shutdown cancels before it
// waits), so the running calls are still running when `shutdown` starts to wait for them.
#[test]
fn test_cancel_futures() {
    let dir = marker_dir("cancel-futures");
    let gate = dir.join("gate").to_string_lossy().into_owned();
    let pool = pool(5);
    let futures: Vec<_> = (0..50)
        .map(|_| pool.submit(wait_for_gate, gate.clone()))
        .collect();
    eventually("all 5 workers hold a call", || {
        futures
            .iter()
            .filter(|f| f.state() == State::Running)
            .count()
            == 5
    });
    std::thread::scope(|scope| {
        scope.spawn(|| {
            eventually("the 45 queued calls cancelled", || {
                futures.iter().filter(|f| f.is_cancelled()).count() == 45
            });
            std::fs::write(&gate, b"").unwrap();
        });
        pool.shutdown(Shutdown::new().cancel_pending(true));
        assert!(
            futures.iter().all(|f| f.is_done()),
            "every future is done when shutdown returns"
        );
    });
    let cancelled = futures.iter().filter(|f| f.is_cancelled()).count();
    assert_eq!(cancelled, 45);
    let finished: Vec<_> = futures.into_iter().filter(|f| !f.is_cancelled()).collect();
    assert_eq!(finished.len(), 5);
    for f in finished {
        assert_eq!(get(f), Ok(true), "the gate opened");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// CPython test_shutdown.py test_hang_gh94440: one worker, run a call, submit and immediately
// cancel another, shutdown(wait=True) returns.
#[test]
fn test_hang_gh94440() {
    let pool = pool(1);
    assert!(get(pool.submit(pid, ())).is_ok());
    let future = pool.submit(sleep_ms, 1);
    future.cancel();
    let start = Instant::now();
    pool.shutdown(Shutdown::new());
    assert!(start.elapsed() < LONG);
}

// CPython test_shutdown.py test_processes_terminate: 3 blocked calls start 3 processes;
// shutdown joins them.
#[test]
fn test_processes_terminate() {
    let pool = pool(5);
    let futures: Vec<_> = (0..3).map(|_| pool.submit(sleep_ms, 300)).collect();
    futures.iter().for_each(wait_running);
    let pids = pool.worker_pids();
    assert_eq!(pids.len(), 3);
    pool.shutdown(Shutdown::new());
    assert!(pids.iter().all(|&p| gone(p)));
}

// CPython test_shutdown.py test_context_manager_shutdown: map inside the `with` block (the
// pool's scope), workers joined on exit (drop).
#[test]
fn test_context_manager_shutdown() {
    let pids;
    {
        let pool = pool(5);
        let got: Vec<i64> = pool
            .map(|x: i64| x.abs(), [-5, -4, -3, -2, -1])
            .chunksize(chunk(1))
            .eager()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, [5, 4, 3, 2, 1]);
        pids = pool.worker_pids();
    }
    assert!(pids.iter().all(|&p| gone(p)));
}

// CPython test_shutdown.py test_del_shutdown: drop the executor with a map outstanding;
// workers exit and every result was still computed. A Rust `map` borrows its executor, so
// the borrow checker forbids dropping the pool under it; the outstanding work is held as
// futures instead, which outlive the pool.
#[test]
fn test_del_shutdown() {
    let pool = pool(5);
    let results: Vec<_> = (0..20).map(|_| pool.submit(sleep_ms, 10)).collect();
    drop(pool);
    assert_eq!(
        results
            .into_iter()
            .map(|f| f.result().unwrap())
            .sum::<u64>(),
        200
    );
}

// CPython test_shutdown.py test_shutdown_no_wait: shutdown(wait=False); results complete.
#[test]
fn test_shutdown_no_wait() {
    let pool = pool(5);
    let results = pool.map(sleep_ms, vec![10; 20]).chunksize(chunk(1)).eager();
    pool.shutdown(Shutdown::new().wait(false));
    assert_eq!(results.map(Result::unwrap).sum::<u64>(), 200);
}

fn fail_on_one(x: u32) -> u32 {
    assert!(x != 1, "failing on {x}");
    x
}

// CPython test_shutdown.py test_shutdown_gh_132969_case_1: 2 workers, max_tasks_per_child=1,
// one call fails, then shutdown(wait=False): no internal error, the others complete.
#[test]
fn test_shutdown_gh_132969_case_1() {
    gh_132969(2);
}

// CPython test_shutdown.py test_shutdown_gh_132969_case_2: the same with 4 workers.
#[test]
fn test_shutdown_gh_132969_case_2() {
    gh_132969(4);
}

fn gh_132969(workers: usize) {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(workers)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    let futures: Vec<_> = (0..3).map(|i| pool.submit(fail_on_one, i)).collect();
    pool.shutdown(Shutdown::new().wait(false));
    let outcomes: Vec<_> = futures.into_iter().map(get).collect();
    assert_eq!(outcomes[0], Ok(0));
    assert!(matches!(outcomes[1], Err(Error::Panicked { .. })));
    assert_eq!(outcomes[2], Ok(2));
}

// ---- test_process_pool.py -----------------------------------------------------------------

// CPython test_process_pool.py test_killed_child: a worker killed during a call fails that
// call (adapted: only that call; later submissions succeed instead of BrokenProcessPool).
#[test]
fn test_killed_child() {
    let pool = pool(1);
    let worker = get(pool.submit(pid, ())).unwrap();
    let future = pool.submit(sleep_ms, 60_000);
    wait_running(&future);
    // SAFETY: `kill` has no memory effects; the pid is our worker.
    unsafe { libc::kill(worker as i32, libc::SIGTERM) };
    assert_eq!(
        get(future),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGTERM)))
    );
    assert!(get(pool.submit(pid, ())).is_ok());
}

// CPython test_process_pool.py test_broken_process_pool_traceback: several calls on killed
// workers each get their own error value.
#[test]
fn test_broken_process_pool_traceback() {
    let pool = pool(3);
    let futures: Vec<_> = (0..3).map(|_| pool.submit(sleep_ms, 60_000)).collect();
    futures.iter().for_each(wait_running);
    pool.kill_workers();
    for f in futures {
        assert_eq!(get(f), Err(Error::WorkerDied(Exit::Signal(libc::SIGKILL))));
    }
}

// CPython test_process_pool.py test_map_chunksize: chunksize 6, 50 and 40 give the builtin
// map's result over 40 items (chunksize -1 cannot be written: `NonZeroUsize`).
#[test]
fn test_map_chunksize() {
    let pool = pool(2);
    let expected: Vec<u64> = (0..40).map(|x| pow((x, 2))).collect();
    for size in [6, 50, 40] {
        let got: Vec<u64> = pool
            .map(pow, (0..40).map(|x| (x, 2)))
            .chunksize(chunk(size))
            .eager()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, expected, "chunksize {size}");
    }
}

// CPython test_process_pool.py test_traceback: the remote error carries what happened and
// where (adapted: panic message and source location).
#[test]
fn test_traceback() {
    let outcome = get(pool(1).submit(|x: u32| -> u32 { panic!("RuntimeError({x})") }, 123));
    match outcome {
        Err(Error::Panicked { message, location }) => {
            assert_eq!(message, "RuntimeError(123)");
            assert!(location.unwrap().contains("cpython_process_pool.rs"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

// CPython test_process_pool.py test_traceback_when_child_process_terminates_abruptly: the
// error of a worker that called exit(99) says so.
#[test]
fn test_traceback_when_child_process_terminates_abruptly() {
    let outcome = get(pool(1).submit(|()| -> () { std::process::exit(99) }, ()));
    assert_eq!(outcome, Err(Error::WorkerDied(Exit::Code(99))));
    assert!(outcome.unwrap_err().to_string().contains("exit status 99"));
}

static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// Counts, in the worker, how many of it were dropped.
#[derive(Serialize, Deserialize)]
struct Tracked(u8);

impl Drop for Tracked {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

// CPython test_process_pool.py test_ressources_gced_in_workers: the argument is released in
// the worker right after the call.
#[test]
fn test_ressources_gced_in_workers() {
    let pool = pool(1);
    assert_eq!(get(pool.submit(|t: Tracked| t.0, Tracked(5))), Ok(5));
    assert_eq!(
        get(pool.submit(|()| DROPPED.load(Ordering::SeqCst), ())),
        Ok(1)
    );
}

// CPython test_process_pool.py test_saturation: 15 * max_workers blocked calls start exactly
// max_workers processes.
#[test]
fn test_saturation() {
    let pool = pool(4);
    let futures: Vec<_> = (0..60).map(|_| pool.submit(sleep_ms, 5)).collect();
    for f in futures {
        assert_eq!(get(f), Ok(5));
    }
    assert_eq!(pool.workers_started(), 4);
}

// CPython test_process_pool.py test_idle_process_reuse_one: 3 sequential calls use 1 process.
#[test]
fn test_idle_process_reuse_one() {
    let pool = pool(5);
    for _ in 0..3 {
        assert_eq!(get(pool.submit(mul, (12, 7))), Ok(84));
    }
    assert_eq!(pool.workers_started(), 1);
}

// CPython test_process_pool.py test_idle_process_reuse_multiple: interleaved waited and
// unwaited calls on a 5-worker pool use at most 3 processes.
#[test]
fn test_idle_process_reuse_multiple() {
    let pool = pool(5);
    for _ in 0..3 {
        get(pool.submit(mul, (12, 7))).unwrap();
    }
    let a = pool.submit(mul, (33, 25));
    get(pool.submit(mul, (25, 26))).unwrap();
    let b = pool.submit(mul, (18, 29));
    get(pool.submit(mul, (1, 2))).unwrap();
    let c = pool.submit(mul, (0, 9));
    for f in [a, b, c] {
        get(f).unwrap();
    }
    assert!(
        pool.workers_started() <= 3,
        "{} processes",
        pool.workers_started()
    );
}

// CPython test_process_pool.py test_max_tasks_per_child: 1 worker, limit 3: calls 1-3 run in
// the same process, call 4 in a new one; one process throughout.
#[test]
fn test_max_tasks_per_child() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .max_tasks_per_child(3)
        .build()
        .unwrap();
    let pids: Vec<u32> = (0..4).map(|_| get(pool.submit(pid, ())).unwrap()).collect();
    assert_eq!(pids[0], pids[1]);
    assert_eq!(pids[1], pids[2]);
    assert_ne!(pids[2], pids[3]);
    assert_eq!(pool.worker_pids(), [pids[3]]);
}

// CPython test_process_pool.py test_max_tasks_per_child_pending_tasks_gh115634: (1 worker,
// limit 2, 6 calls) and (2 workers, limit 2, 8 calls) all complete, no deadlock.
#[test]
fn test_max_tasks_per_child_pending_tasks_gh115634() {
    for (workers, calls) in [(1, 6), (2, 8)] {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(workers)
            .max_tasks_per_child(2)
            .build()
            .unwrap();
        let futures: Vec<_> = (0..calls).map(|i| pool.submit(|x: u64| x * x, i)).collect();
        for (i, f) in futures.into_iter().enumerate() {
            assert_eq!(get(f), Ok((i * i) as u64));
        }
    }
}

// CPython test_process_pool.py test_shutdown_no_wait_max_tasks_gh119592: 1 worker, limit 1,
// 3 calls, shutdown(wait=False) while the first runs: replacements run the others (adapted:
// dropping the pool also waits, so the same holds after drop).
#[test]
fn test_shutdown_no_wait_max_tasks_gh119592() {
    for drop_it in [false, true] {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(1)
            .max_tasks_per_child(1)
            .build()
            .unwrap();
        let futures: Vec<_> = (0..3)
            .map(|i| {
                pool.submit(
                    |x: u64| {
                        std::thread::sleep(Duration::from_millis(20));
                        x
                    },
                    i,
                )
            })
            .collect();
        wait_running(&futures[0]);
        pool.shutdown(Shutdown::new().wait(false));
        if drop_it {
            drop(pool);
        }
        let values: Vec<u64> = futures.into_iter().map(|f| get(f).unwrap()).collect();
        assert_eq!(values, [0, 1, 2]);
    }
}

// CPython test_process_pool.py test_gc_during_max_tasks_worker_exit_gh152967: the pool is
// dropped while its last worker exits at its limit: no hang (adapted: drop waits, so the
// remaining calls complete instead of failing).
#[test]
fn test_gc_during_max_tasks_worker_exit_gh152967() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    let futures: Vec<_> = (0..3).map(|i| pool.submit(|x: u64| x, i)).collect();
    drop(pool);
    let values: Vec<u64> = futures.into_iter().map(|f| get(f).unwrap()).collect();
    assert_eq!(values, [0, 1, 2]);
}

/// Set by [`note_sigterm`] in a worker that outlives `SIGTERM`.
static SIGTERM_SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn note_sigterm(_: libc::c_int) {
    SIGTERM_SEEN.store(true, Ordering::SeqCst);
}

/// The initializer of every worker of the pool in
/// `test_force_shutdown_during_max_tasks_worker_exit`, replacements included: records the
/// worker's pid in the test's [`marker_dir`] (found through the parent's pid).
fn record_worker_pid() {
    let dir = std::env::temp_dir().join(format!(
        "cfut-limit-exit-{}",
        std::os::unix::process::parent_id()
    ));
    std::fs::write(dir.join(format!("pid-{}", std::process::id())), b"").unwrap();
}

/// In a worker: survives `SIGTERM` (writing `<dir>/sigterm` once it came), writes
/// `<dir>/started`, and returns 0 once `<dir>/gate` exists.
fn outlive_sigterm(dir: String) -> u32 {
    let dir = std::path::Path::new(&dir);
    let handler: extern "C" fn(libc::c_int) = note_sigterm;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGTERM, handler as libc::sighandler_t) };
    std::fs::write(dir.join("started"), b"").unwrap();
    let deadline = Instant::now() + LONG;
    let mut noted = false;
    while !dir.join("gate").exists() && Instant::now() < deadline {
        if !noted && SIGTERM_SEEN.load(Ordering::SeqCst) {
            std::fs::write(dir.join("sigterm"), b"").unwrap();
            noted = true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    0
}

// CPython test_process_pool.py test_force_shutdown_during_max_tasks_worker_exit: a worker
// that reached its max_tasks_per_child limit exits while a forced shutdown is in progress:
// it is not replaced (a replacement would escape the kill), the queued calls fail. CPython
// sets the pool's force-shutdown flag by hand and then lets the worker finish its last
// call; here the forced shutdown is real (`terminate_workers`), and the worker outlives its
// SIGTERM (it catches it) until the test opens a gate, so it finishes its call and exits at
// its limit strictly after the forced shutdown began. Adapted: the queued calls end
// `Cancelled` (CPython: BrokenProcessPool "forcefully shut down"). Every worker the pool
// starts records its pid from its initializer, so a replacement cannot go unseen, and no
// recorded process exists once the pool is dropped.
#[test]
fn test_force_shutdown_during_max_tasks_worker_exit() {
    let dir = marker_dir("limit-exit");
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .max_tasks_per_child(1)
        .initializer(record_worker_pid)
        .build()
        .unwrap();
    let arg = dir.to_string_lossy().into_owned();
    let futures: Vec<_> = (0..3)
        .map(|_| pool.submit(outlive_sigterm, arg.clone()))
        .collect();
    eventually("the first call started", || dir.join("started").exists());
    let worker = pool.worker_pids();
    assert_eq!(worker.len(), 1);
    pool.terminate_workers();
    eventually("the worker got its SIGTERM", || {
        dir.join("sigterm").exists()
    });
    assert!(futures[0].is_running(), "the worker outlived SIGTERM");
    std::fs::write(dir.join("gate"), b"").unwrap();
    let outcomes: Vec<_> = futures.into_iter().map(get).collect();
    pool.shutdown(Shutdown::new());
    let started = pool.workers_started();
    drop(pool);
    let mut recorded: Vec<u32> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_prefix("pid-")?.parse().ok()
        })
        .collect();
    recorded.sort_unstable();
    assert_eq!(recorded, worker, "no replacement worker was started");
    assert_eq!(started, 1);
    for pid in recorded {
        assert!(gone(pid), "worker {pid} is left");
    }
    assert_eq!(
        outcomes[0],
        Ok(0),
        "the call finished before its worker exited"
    );
    assert_eq!(outcomes[1], Err(Error::Cancelled));
    assert_eq!(outcomes[2], Err(Error::Cancelled));
    let _ = std::fs::remove_dir_all(&dir);
}

// CPython test_process_pool.py test_max_tasks_early_shutdown: 3 workers, limit 1, 6 calls,
// immediate shutdown(): all 6 results correct.
#[test]
fn test_max_tasks_early_shutdown() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(3)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    let futures: Vec<_> = (0..6).map(|i| pool.submit(|x: u64| x * x, i)).collect();
    pool.shutdown(Shutdown::new());
    for (i, f) in futures.into_iter().enumerate() {
        assert_eq!(get(f), Ok((i * i) as u64));
    }
}

fn started_then_finished(marker: String) -> u8 {
    std::fs::write(format!("{marker}.started"), b"").unwrap();
    std::thread::sleep(Duration::from_secs(30));
    std::fs::write(format!("{marker}.finished"), b"").unwrap();
    0
}

fn force_shutdown_workers(signal: i32) {
    let marker = std::env::temp_dir().join(format!("cfut-force-{}-{signal}", std::process::id()));
    let marker = marker.to_string_lossy().into_owned();
    let pool = pool(1);
    let future = pool.submit(started_then_finished, marker.clone());
    let deadline = Instant::now() + LONG;
    while !std::path::Path::new(&format!("{marker}.started")).exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    let worker = pool.worker_pids()[0];
    if signal == libc::SIGTERM {
        pool.terminate_workers();
    } else {
        pool.kill_workers();
    }
    assert_eq!(get(future), Err(Error::WorkerDied(Exit::Signal(signal))));
    drop(pool);
    assert!(gone(worker));
    assert!(!std::path::Path::new(&format!("{marker}.finished")).exists());
    let _ = std::fs::remove_file(format!("{marker}.started"));
}

// CPython test_process_pool.py test_force_shutdown_workers (terminate): a started call is
// stopped by SIGTERM and never finishes.
#[test]
fn test_force_shutdown_workers_terminate() {
    force_shutdown_workers(libc::SIGTERM);
}

// CPython test_process_pool.py test_force_shutdown_workers (kill): the same with SIGKILL.
#[test]
fn test_force_shutdown_workers_kill() {
    force_shutdown_workers(libc::SIGKILL);
}

// CPython test_process_pool.py test_force_shutdown_workers_dead_workers: after a worker died,
// terminate/kill do not fail.
#[test]
fn test_force_shutdown_workers_dead_workers() {
    let pool = pool(1);
    assert_eq!(
        get(pool.submit(|()| -> () { std::process::exit(1) }, ())),
        Err(Error::WorkerDied(Exit::Code(1)))
    );
    pool.terminate_workers();
    pool.kill_workers();
}

// CPython test_process_pool.py test_force_shutdown_workers_not_started_yet: no worker was
// ever started: nothing is signalled.
#[test]
fn test_force_shutdown_workers_not_started_yet() {
    let pool = pool(2);
    pool.terminate_workers();
    pool.kill_workers();
    assert_eq!(pool.workers_started(), 0);
}

// CPython test_process_pool.py test_force_shutdown_workers_stops_pool: after a call ran,
// terminate/kill: later submissions are refused and the worker dies.
#[test]
fn test_force_shutdown_workers_stops_pool() {
    for terminate in [true, false] {
        let pool = pool(1);
        let worker = get(pool.submit(pid, ())).unwrap();
        if terminate {
            pool.terminate_workers();
        } else {
            pool.kill_workers();
        }
        assert_eq!(get(pool.submit(pid, ())), Err(Error::Shutdown));
        drop(pool);
        assert!(gone(worker));
    }
}

// ---- test_deadlock.py (each case a fresh 2-worker pool, bounded in time) ----------------

/// Fails to serialize.
#[derive(Debug)]
struct ErrorAtPickle;

impl Serialize for ErrorAtPickle {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("error at pickle"))
    }
}

impl<'de> Deserialize<'de> for ErrorAtPickle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u8::deserialize(d).map(|_| ErrorAtPickle)
    }
}

/// Serializes; its deserialization does what `ON_UNPICKLE` says.
#[derive(Debug)]
struct Unpickle<const WHAT: u8>;

impl<const WHAT: u8> Serialize for Unpickle<WHAT> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(WHAT)
    }
}

const ERROR: u8 = 0;
const EXIT: u8 = 1;
const CRASH: u8 = 2;

impl<'de, const WHAT: u8> Deserialize<'de> for Unpickle<WHAT> {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        match WHAT {
            ERROR => Err(serde::de::Error::custom("error at unpickle")),
            EXIT => std::process::exit(1),
            _ => std::process::abort(),
        }
    }
}

/// Deserializes; its serialization does what `WHAT` says.
#[derive(Debug)]
struct Pickle<const WHAT: u8>;

impl<const WHAT: u8> Serialize for Pickle<WHAT> {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match WHAT {
            ERROR => Err(serde::ser::Error::custom("error at pickle")),
            EXIT => std::process::exit(1),
            _ => std::process::abort(),
        }
    }
}

impl<'de, const WHAT: u8> Deserialize<'de> for Pickle<WHAT> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        u8::deserialize(d).map(|_| Pickle)
    }
}

fn assert_serialization<T: std::fmt::Debug>(outcome: Result<T, Error>) {
    assert!(
        matches!(outcome, Err(Error::Serialization { .. })),
        "{outcome:?}"
    );
}

fn still_usable(pool: &ProcessPoolExecutor) {
    assert_eq!(get(pool.submit(|x: u8| x + 1, 1)), Ok(2));
}

// CPython test_deadlock.py test_error_at_task_pickle: the argument fails to encode: that
// future fails, the pool is fine.
#[test]
fn test_error_at_task_pickle() {
    let pool = pool(2);
    assert_serialization(get(pool.submit(|_: ErrorAtPickle| 0_u8, ErrorAtPickle)));
    still_usable(&pool);
}

// CPython test_deadlock.py test_exit_at_task_unpickle: decoding the argument exits the
// worker: that call fails with the worker's death.
#[test]
fn test_exit_at_task_unpickle() {
    let pool = pool(2);
    assert_eq!(
        get(pool.submit(|_: Unpickle<EXIT>| 0_u8, Unpickle)),
        Err(Error::WorkerDied(Exit::Code(1)))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_error_at_task_unpickle: decoding the argument fails in the
// worker: a serialization error for that call (adapted: not a broken pool).
#[test]
fn test_error_at_task_unpickle() {
    let pool = pool(2);
    assert_serialization(get(pool.submit(|_: Unpickle<ERROR>| 0_u8, Unpickle)));
    still_usable(&pool);
}

// CPython test_deadlock.py test_crash_at_task_unpickle: decoding the argument crashes the
// worker.
#[test]
fn test_crash_at_task_unpickle() {
    let pool = pool(2);
    assert_eq!(
        get(pool.submit(|_: Unpickle<CRASH>| 0_u8, Unpickle)),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGABRT)))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_crash_during_func_exec_on_worker: the call crashes.
#[test]
fn test_crash_during_func_exec_on_worker() {
    let pool = pool(2);
    assert_eq!(
        get(pool.submit(|()| -> () { std::process::abort() }, ())),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGABRT)))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_exit_during_func_exec_on_worker: the call exits the process
// (adapted: a Rust `exit` cannot be caught, so the worker dies; only that call fails).
#[test]
fn test_exit_during_func_exec_on_worker() {
    let pool = pool(2);
    assert_eq!(
        get(pool.submit(|()| -> () { std::process::exit(1) }, ())),
        Err(Error::WorkerDied(Exit::Code(1)))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_error_during_func_exec_on_worker: the call fails (panics).
#[test]
fn test_error_during_func_exec_on_worker() {
    let pool = pool(2);
    assert!(matches!(
        get(pool.submit(|()| -> u8 { panic!("RuntimeError") }, ())),
        Err(Error::Panicked { .. })
    ));
    still_usable(&pool);
}

// CPython test_deadlock.py test_crash_during_result_pickle_on_worker: encoding the result
// crashes the worker.
#[test]
fn test_crash_during_result_pickle_on_worker() {
    let pool = pool(2);
    assert_eq!(
        get(pool.submit(|()| Pickle::<CRASH>, ())).map(|_| ()),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGABRT)))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_exit_during_result_pickle_on_worker: encoding the result
// exits the worker.
#[test]
fn test_exit_during_result_pickle_on_worker() {
    let pool = pool(2);
    assert_eq!(
        get(pool.submit(|()| Pickle::<EXIT>, ())).map(|_| ()),
        Err(Error::WorkerDied(Exit::Code(1)))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_error_during_result_pickle_on_worker: encoding the result
// fails: that error on the future.
#[test]
fn test_error_during_result_pickle_on_worker() {
    let pool = pool(2);
    assert_serialization(get(pool.submit(|()| Pickle::<ERROR>, ())));
    still_usable(&pool);
}

// CPython test_deadlock.py test_error_during_result_unpickle_in_result_handler: the result
// fails to decode in the parent (adapted: a serialization error for that call only).
#[test]
fn test_error_during_result_unpickle_in_result_handler() {
    let pool = pool(2);
    assert_serialization(get(pool.submit(|()| Unpickle::<ERROR>, ())));
    still_usable(&pool);
}

// CPython test_deadlock.py test_shutdown_deadlock: a call crashes shortly after
// shutdown(wait=True) started: shutdown returns and the future carries the death.
#[test]
fn test_shutdown_deadlock() {
    let pool = pool(2);
    let future = pool.submit(
        |()| -> () {
            std::thread::sleep(Duration::from_millis(100));
            std::process::abort()
        },
        (),
    );
    wait_running(&future);
    pool.shutdown(Shutdown::new());
    assert_eq!(
        get(future),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGABRT)))
    );
}

// CPython test_deadlock.py test_shutdown_deadlock_pickle: submit an argument that cannot be
// encoded, then shutdown(wait=False): the future carries the encoding error.
#[test]
fn test_shutdown_deadlock_pickle() {
    let pool = pool(2);
    let future = pool.submit(|_: ErrorAtPickle| 0_u8, ErrorAtPickle);
    pool.shutdown(Shutdown::new().wait(false));
    assert_serialization(get(future));
}

// CPython test_deadlock.py test_crash_big_data: 10 calls carrying a pipe-buffer-sized string
// crash in the worker: each fails, no deadlock.
#[test]
fn test_crash_big_data() {
    let pool = pool(2);
    let data = "x".repeat(1 << 20);
    let results: Vec<_> = pool
        .map(
            |s: String| -> usize {
                if !s.is_empty() {
                    std::process::exit(3)
                }
                0
            },
            vec![data; 10],
        )
        .chunksize(chunk(1))
        .eager()
        .collect();
    assert_eq!(results.len(), 10);
    assert!(
        results
            .iter()
            .all(|r| *r == Err(MapError::Call(Error::WorkerDied(Exit::Code(3)))))
    );
    still_usable(&pool);
}

// CPython test_deadlock.py test_gh105829_should_not_deadlock_if_wakeup_pipe_full: many
// submissions while the manager is busy never block on the wake-up channel.
#[test]
fn test_gh105829_should_not_deadlock_if_wakeup_pipe_full() {
    let pool = pool(2);
    let got: Vec<u64> = pool
        .map(|x: u64| x, 0..100)
        .chunksize(chunk(1))
        .eager()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
}

// ---- test_init.py -------------------------------------------------------------------------

static INITIALIZED: AtomicUsize = AtomicUsize::new(0);

fn init_global() {
    INITIALIZED.store(1, Ordering::SeqCst);
}

// CPython test_init.py InitializerMixin.test_initializer: the initializer sets a global in
// each worker; calls see it.
#[test]
fn test_initializer() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(2)
        .initializer(init_global)
        .build()
        .unwrap();
    let futures: Vec<_> = (0..10)
        .map(|_| pool.submit(|()| INITIALIZED.load(Ordering::SeqCst), ()))
        .collect();
    for f in futures {
        assert_eq!(get(f), Ok(1));
    }
    assert_eq!(
        INITIALIZED.load(Ordering::SeqCst),
        0,
        "the parent never ran it"
    );
}

fn init_fail() {
    std::thread::sleep(Duration::from_millis(100));
    panic!("error in initializer");
}

// CPython test_init.py FailingInitializerMixin.test_initializer: the initializer fails: the
// submitted call fails with the broken error, and so does every later submission.
#[test]
fn test_failing_initializer() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(2)
        .initializer(init_fail)
        .build()
        .unwrap();
    let outcome = get(pool.submit(pid, ()));
    assert!(
        matches!(&outcome, Err(Error::Broken { reason }) if reason.contains("error in initializer")),
        "{outcome:?}"
    );
    assert!(matches!(
        get(pool.submit(pid, ())),
        Err(Error::Broken { .. })
    ));
}
