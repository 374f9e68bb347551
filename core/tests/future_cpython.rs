//! CPython's `FutureTests`, re-expressed for cfut's `Future`/`Promise`.
//!
//! Provenance: the scenarios of tests 22–43 in `shared/reference/cpython-concurrent-futures.md`
//! §7.2, which inventories CPython's `Lib/test/test_concurrent_futures/test_future.py`
//! (Copyright Python Software Foundation, PSF License Version 2). Only the scenarios were
//! taken; no code or text was copied. Changes, test by test, are in the comments: Rust has no
//! `InvalidStateError` (a promise is consumed by completing it), no `exception()` (the error
//! is the `Err` of `result`), callbacks receive `Result<&T, &Error>` instead of the future,
//! the "another thread acts after ~1 s" delays are tens of milliseconds, and a cancelled
//! future is done everywhere (DESIGN.md §2).
//!
//! The fixtures build a future in each of CPython's states: `PENDING_FUTURE`,
//! `RUNNING_FUTURE`, `CANCELLED_FUTURE` (user-cancelled), `CANCELLED_AND_NOTIFIED_FUTURE`
//! (cancelled, and the executor was told by `set_running_or_notify_cancel`),
//! `EXCEPTION_FUTURE` and `SUCCESSFUL_FUTURE` (result 42).

// The loom build (`--cfg cfut_loom`) swaps in model-only primitives and drops the timed
// APIs; these tests run against the real ones.
#![cfg(not(cfut_loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cfut_core::{Error, Future, Promise, State, promise};

#[path = "support/child.rs"]
mod child;
use child::in_child;

/// Long enough never to fire on a correct implementation; short enough that a bug fails the
/// test instead of hanging it.
const GENEROUS: Duration = Duration::from_secs(30);
/// The "after a while" of CPython's threaded cases.
const SHORT_DELAY: Duration = Duration::from_millis(20);

/// The error CPython's `EXCEPTION_FUTURE` holds (an `OSError` there).
fn os_error() -> Error {
    Error::Broken {
        reason: "OSError".to_owned(),
    }
}

/// A future in each CPython state. Promises are kept alive: dropping one would complete its
/// future with `Error::Abandoned`.
struct Fixtures {
    _promises: Vec<Promise<u32>>,
    pending: Future<u32>,
    running: Future<u32>,
    cancelled: Future<u32>,
    cancelled_and_notified: Future<u32>,
    exception: Future<u32>,
    exception_via_promise: Future<u32>,
    successful: Future<u32>,
    successful_via_promise: Future<u32>,
}

fn fixtures() -> Fixtures {
    let (pending_promise, pending) = promise();

    let (running_promise, running) = promise();
    assert!(running_promise.set_running_or_notify_cancel());

    let (cancelled_promise, cancelled) = promise();
    assert!(cancelled.cancel());

    let (notified_promise, cancelled_and_notified) = promise();
    assert!(cancelled_and_notified.cancel());
    assert!(!notified_promise.set_running_or_notify_cancel());

    let (failing, exception_via_promise) = promise();
    assert!(failing.set_error(os_error()));

    let (succeeding, successful_via_promise) = promise();
    assert!(succeeding.set_result(42));

    Fixtures {
        _promises: vec![
            pending_promise,
            running_promise,
            cancelled_promise,
            notified_promise,
        ],
        pending,
        running,
        cancelled,
        cancelled_and_notified,
        exception: Future::from_result(Err(os_error())),
        exception_via_promise,
        successful: Future::from_result(Ok(42)),
        successful_via_promise,
    }
}

/// What a callback saw, owned.
type Seen = Result<u32, Error>;

/// The log of a recording done-callback.
type Log = Arc<Mutex<Vec<Seen>>>;

/// A done-callback that records what it saw into the returned log.
fn recorder() -> (Log, impl FnOnce(Result<&u32, &Error>) + Send + 'static) {
    let log = Log::default();
    let sink = Arc::clone(&log);
    (log, move |outcome: Result<&u32, &Error>| {
        sink.lock()
            .unwrap()
            .push(outcome.copied().map_err(Clone::clone));
    })
}

fn seen(log: &Log) -> Vec<Seen> {
    log.lock().unwrap().clone()
}

// test_future.py: test_done_callback_with_result
#[test]
fn test_done_callback_with_result() {
    let (producer, future) = promise::<u32>();
    let (log, callback) = recorder();
    future.add_done_callback(callback);
    assert!(seen(&log).is_empty(), "must not run before completion");
    assert!(producer.set_result(5));
    assert_eq!(seen(&log), [Ok(5)]);
}

// test_future.py: test_done_callback_with_exception
#[test]
fn test_done_callback_with_exception() {
    let (producer, future) = promise::<u32>();
    let (log, callback) = recorder();
    future.add_done_callback(callback);
    assert!(producer.set_error(os_error()));
    assert_eq!(seen(&log), [Err(os_error())]);
}

// test_future.py: test_done_callback_with_cancel
// Adapted: the callback gets the outcome, not the future, so "sees cancelled() True" becomes
// "sees Err(Cancelled)"; the future is cancelled once `cancel` returns.
#[test]
fn test_done_callback_with_cancel() {
    let (_producer, future) = promise::<u32>();
    let (log, callback) = recorder();
    future.add_done_callback(callback);
    assert!(future.cancel());
    assert_eq!(seen(&log), [Err(Error::Cancelled)]);
    assert!(future.is_cancelled());
}

/// The report a panicking done-callback leaves on stderr (`cfut_core`'s `unwind` module).
const REPORT: &str =
    "cfut: a done-callback panicked: doh! (ignored; the remaining callbacks still run)";

// test_future.py: test_done_callback_raises
// Adapted: a panicking callback is caught and reported on stderr; the completion does not
// unwind and the next callback still runs. The report is read from the stderr of a child
// process that runs the scenario (`in_child`): exactly one report, naming the panic.
#[test]
fn test_done_callback_raises() {
    let stderr = in_child("test_done_callback_raises", || {
        let (producer, future) = promise::<u32>();
        let raised = Arc::new(AtomicUsize::new(0));
        let raised_in_callback = Arc::clone(&raised);
        future.add_done_callback(move |_| {
            raised_in_callback.fetch_add(1, Ordering::SeqCst);
            panic!("doh!");
        });
        let (log, callback) = recorder();
        future.add_done_callback(callback);
        assert!(producer.set_result(5));
        assert_eq!(raised.load(Ordering::SeqCst), 1);
        assert_eq!(seen(&log), [Ok(5)]);
        assert_eq!(future.result(), Ok(5));
    });
    if let Some(stderr) = stderr {
        assert_eq!(stderr.matches(REPORT).count(), 1, "stderr:\n{stderr}");
    }
}

/// Registers a recorder on an already-done future and checks it ran before
/// `add_done_callback` returned, on this thread.
fn callback_runs_at_once(future: &Future<u32>) -> Vec<Seen> {
    let caller = thread::current().id();
    let ran_on = Arc::new(Mutex::new(None));
    let ran_on_sink = Arc::clone(&ran_on);
    let (log, record) = recorder();
    future.add_done_callback(move |outcome| {
        *ran_on_sink.lock().unwrap() = Some(thread::current().id());
        record(outcome);
    });
    assert_eq!(*ran_on.lock().unwrap(), Some(caller));
    seen(&log)
}

// test_future.py: test_done_callback_already_successful
#[test]
fn test_done_callback_already_successful() {
    let f = fixtures();
    assert_eq!(callback_runs_at_once(&f.successful), [Ok(42)]);
    assert_eq!(callback_runs_at_once(&f.successful_via_promise), [Ok(42)]);
}

// test_future.py: test_done_callback_already_failed
#[test]
fn test_done_callback_already_failed() {
    let f = fixtures();
    assert_eq!(callback_runs_at_once(&f.exception), [Err(os_error())]);
    assert_eq!(
        callback_runs_at_once(&f.exception_via_promise),
        [Err(os_error())]
    );
}

// test_future.py: test_done_callback_already_cancelled
#[test]
fn test_done_callback_already_cancelled() {
    let f = fixtures();
    assert_eq!(callback_runs_at_once(&f.cancelled), [Err(Error::Cancelled)]);
    assert_eq!(
        callback_runs_at_once(&f.cancelled_and_notified),
        [Err(Error::Cancelled)]
    );
}

// test_future.py: test_done_callback_raises_already_succeeded
// Adapted: the panic of a callback run at once is caught and reported on stderr (read from a
// child process, as in `test_done_callback_raises`); `add_done_callback` returns normally and
// later callbacks still run.
#[test]
fn test_done_callback_raises_already_succeeded() {
    let stderr = in_child("test_done_callback_raises_already_succeeded", || {
        let f = fixtures();
        f.successful.add_done_callback(|_| panic!("doh!"));
        assert_eq!(callback_runs_at_once(&f.successful), [Ok(42)]);
    });
    if let Some(stderr) = stderr {
        assert_eq!(stderr.matches(REPORT).count(), 1, "stderr:\n{stderr}");
    }
}

// test_future.py: test_repr
// Adapted: `Debug` shows the state (no address, no result type: `Debug` does not require
// `T: Debug`).
#[test]
fn test_repr() {
    let f = fixtures();
    let cases = [
        (&f.pending, "Pending"),
        (&f.running, "Running"),
        (&f.cancelled, "Cancelled"),
        (&f.cancelled_and_notified, "Cancelled"),
        (&f.exception, "Failed"),
        (&f.successful, "Succeeded"),
    ];
    for (future, state) in cases {
        assert_eq!(
            format!("{future:?}"),
            format!("Future {{ state: {state}, .. }}")
        );
    }
}

// test_future.py: test_class_str — not ported: it checks Python module paths of classes.

// test_future.py: test_cancel
#[test]
fn test_cancel() {
    let f = fixtures();
    assert!(f.pending.cancel());
    assert_eq!(f.pending.state(), State::Cancelled);

    assert!(!f.running.cancel());
    assert_eq!(f.running.state(), State::Running);

    assert!(f.cancelled.cancel());
    assert_eq!(f.cancelled.state(), State::Cancelled);

    assert!(f.cancelled_and_notified.cancel());
    assert_eq!(f.cancelled_and_notified.state(), State::Cancelled);

    for failed in [&f.exception, &f.exception_via_promise] {
        assert!(!failed.cancel());
        assert_eq!(failed.state(), State::Failed);
    }
    for succeeded in [&f.successful, &f.successful_via_promise] {
        assert!(!succeeded.cancel());
        assert_eq!(succeeded.state(), State::Succeeded);
    }
}

/// `(fixture, expected)` over every fixture, for the predicate tests.
fn per_fixture(f: &Fixtures) -> [(&Future<u32>, &'static str); 8] {
    [
        (&f.pending, "pending"),
        (&f.running, "running"),
        (&f.cancelled, "cancelled"),
        (&f.cancelled_and_notified, "cancelled"),
        (&f.exception, "finished"),
        (&f.exception_via_promise, "finished"),
        (&f.successful, "finished"),
        (&f.successful_via_promise, "finished"),
    ]
}

// test_future.py: test_cancelled
#[test]
fn test_cancelled() {
    let f = fixtures();
    for (future, kind) in per_fixture(&f) {
        assert_eq!(future.is_cancelled(), kind == "cancelled", "{kind}");
    }
}

// test_future.py: test_done
#[test]
fn test_done() {
    let f = fixtures();
    for (future, kind) in per_fixture(&f) {
        let done = kind == "cancelled" || kind == "finished";
        assert_eq!(future.is_done(), done, "{kind}");
        assert_eq!(future.state().is_done(), done, "{kind}");
    }
}

// test_future.py: test_running
#[test]
fn test_running() {
    let f = fixtures();
    for (future, kind) in per_fixture(&f) {
        assert_eq!(future.is_running(), kind == "running", "{kind}");
    }
}

// test_future.py: test_result_with_timeout
// Adapted: `result(timeout=0)` is `result_timeout(Duration::ZERO)`, which leaves a pending
// future usable (checked by taking the value later).
#[test]
fn test_result_with_timeout() {
    let mut f = fixtures();
    assert_eq!(
        f.pending.result_timeout(Duration::ZERO),
        Err(Error::TimedOut)
    );
    assert_eq!(
        f.running.result_timeout(Duration::ZERO),
        Err(Error::TimedOut)
    );
    assert_eq!(
        f.cancelled.result_timeout(Duration::ZERO),
        Err(Error::Cancelled)
    );
    assert_eq!(
        f.cancelled_and_notified.result_timeout(Duration::ZERO),
        Err(Error::Cancelled)
    );
    assert_eq!(f.exception.result_timeout(Duration::ZERO), Err(os_error()));
    assert_eq!(
        f.exception_via_promise.result_timeout(Duration::ZERO),
        Err(os_error())
    );
    assert_eq!(f.successful.result_timeout(Duration::ZERO), Ok(42));
    assert_eq!(
        f.successful_via_promise.result_timeout(Duration::ZERO),
        Ok(42)
    );

    // The timed-out futures were left as they were.
    assert_eq!(f.pending.state(), State::Pending);
    assert_eq!(f.running.state(), State::Running);
}

// test_future.py: test_result_with_success
#[test]
fn test_result_with_success() {
    let (producer, mut future) = promise::<u32>();
    let setter = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.set_result(42)
    });
    assert_eq!(future.result_timeout(GENEROUS), Ok(42));
    assert!(setter.join().unwrap());
}

// test_future.py: test_result_with_cancel
// Adapted: `result` takes the future by value, so the user-side canceller shares it while
// this thread blocks in `wait_timeout`, then takes the result. The executor-side cancel
// (`Promise::cancel`) can race a `result()` that owns the future; both are checked.
#[test]
fn test_result_with_cancel() {
    let (_producer, future) = promise::<u32>();
    thread::scope(|scope| {
        let canceller = scope.spawn(|| {
            thread::sleep(SHORT_DELAY);
            future.cancel()
        });
        assert!(
            future.wait_timeout(GENEROUS),
            "the cancel must wake the waiter"
        );
        assert!(canceller.join().unwrap());
    });
    assert_eq!(future.result(), Err(Error::Cancelled));

    let (producer, mut future) = promise::<u32>();
    let canceller = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.cancel()
    });
    assert_eq!(future.result_timeout(GENEROUS), Err(Error::Cancelled));
    assert!(canceller.join().unwrap());
}

// test_future.py: test_exception_with_timeout
// Adapted: there is no `exception()`; the non-blocking check is `try_result`: `None` while
// not done, otherwise the outcome (an `Ok` is CPython's "exception() is None").
#[test]
fn test_exception_with_timeout() {
    let mut f = fixtures();
    assert_eq!(f.pending.try_result(), None);
    assert_eq!(f.running.try_result(), None);
    assert_eq!(f.cancelled.try_result(), Some(Err(Error::Cancelled)));
    assert_eq!(
        f.cancelled_and_notified.try_result(),
        Some(Err(Error::Cancelled))
    );
    assert_eq!(f.exception.try_result(), Some(Err(os_error())));
    assert_eq!(f.exception_via_promise.try_result(), Some(Err(os_error())));
    assert_eq!(f.successful.try_result(), Some(Ok(42)));
    assert_eq!(f.successful_via_promise.try_result(), Some(Ok(42)));
}

// test_future.py: test_exception_with_success
// Adapted: "finishes with an OSError" is `set_error` from another thread; the blocked
// `result_timeout` returns that error.
#[test]
fn test_exception_with_success() {
    let (producer, mut future) = promise::<u32>();
    let setter = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.set_error(os_error())
    });
    assert_eq!(future.result_timeout(GENEROUS), Err(os_error()));
    assert!(setter.join().unwrap());
}

/// Counts its drops, to see what becomes of a value a completion refused.
struct DropCounter {
    value: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

// test_future.py: test_multiple_set_result
// Adapted: a second `set_result` does not compile (completing consumes the `Promise`), so
// CPython's `InvalidStateError` cannot happen. What remains: completing a future the user
// already cancelled returns `false`, drops the value at once and keeps the cancellation; and
// once the first value was taken, later reads say `Error::Consumed` instead of a second value.
#[test]
fn test_multiple_set_result() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (producer, mut future) = promise::<DropCounter>();
    assert!(future.cancel());
    let refused = DropCounter {
        value: 2,
        drops: Arc::clone(&drops),
    };
    assert!(!producer.set_result(refused));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the refused value is dropped"
    );
    assert_eq!(future.state(), State::Cancelled);
    assert!(matches!(future.try_result(), Some(Err(Error::Cancelled))));

    let (producer, mut future) = promise::<DropCounter>();
    assert!(producer.set_result(DropCounter {
        value: 1,
        drops: Arc::clone(&drops),
    }));
    let first = future.result_timeout(GENEROUS).expect("the first value");
    assert_eq!(first.value, 1);
    assert!(matches!(future.try_result(), Some(Err(Error::Consumed))));
    assert!(matches!(
        future.result_timeout(Duration::ZERO),
        Err(Error::Consumed)
    ));
    assert_eq!(future.state(), State::Succeeded);
    drop(first);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

// test_future.py: test_multiple_set_exception
// Adapted as above: an error set after a cancellation is refused and the cancellation kept;
// an executor-side cancel (`Promise::cancel`) of a cancelled future is refused too.
#[test]
fn test_multiple_set_exception() {
    let (producer, future) = promise::<u32>();
    assert!(future.cancel());
    assert!(!producer.set_error(os_error()));
    assert_eq!(future.result(), Err(Error::Cancelled));

    let (producer, future) = promise::<u32>();
    assert!(future.cancel());
    assert!(!producer.cancel());
    assert_eq!(future.result(), Err(Error::Cancelled));

    // The first error stays, whoever looks.
    let (producer, mut future) = promise::<u32>();
    assert!(producer.set_error(os_error()));
    let (log, callback) = recorder();
    future.add_done_callback(callback);
    assert_eq!(seen(&log), [Err(os_error())]);
    assert_eq!(future.result_timeout(Duration::ZERO), Err(os_error()));
}

// test_future.py: test_get_snapshot
// Adapted: there is no `_get_snapshot`; `state()` is the atomic (done, cancelled, failed)
// snapshot and a done-callback the by-reference view of the outcome. Each fixture gives the
// expected pair, and 4 threads x 1000 reads of a finished future all agree.
#[test]
fn test_get_snapshot() {
    let f = fixtures();
    assert_eq!(f.pending.state(), State::Pending);
    assert_eq!(f.successful.state(), State::Succeeded);
    assert_eq!(f.exception.state(), State::Failed);
    assert_eq!(f.cancelled.state(), State::Cancelled);

    let (producer, finished) = promise::<u32>();
    assert!(producer.set_result(42));
    let (tx, rx) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..4 {
            let tx = tx.clone();
            let finished = &finished;
            scope.spawn(move || {
                for _ in 0..1000 {
                    let state = finished.state();
                    let tx = tx.clone();
                    finished.add_done_callback(move |outcome| {
                        tx.send((state, outcome.copied().map_err(Clone::clone)))
                            .unwrap();
                    });
                }
            });
        }
    });
    drop(tx);
    let snapshots: Vec<_> = rx.iter().collect();
    assert_eq!(snapshots.len(), 4000);
    assert!(snapshots.iter().all(|s| *s == (State::Succeeded, Ok(42))));
}
