//! The checks of the in-process level, [`JobExecutor`]: one public function per check, each
//! taking an executor that no other code uses (some checks shut it down) and returning
//! [`Outcome`], or panicking with a message that names the check.
//!
//! * [`max_workers`], [`submit_result`], [`submit_from_threads`], [`await_result`],
//!   [`dyn_job_executor`]: calls run and their values come back;
//! * [`panic_fails_only_its_future`]: a panic is that call's error, the workers live on;
//! * [`done_callbacks`]: callbacks see the outcome, in registration order;
//! * [`cancel_before_start`]: a pending call can be cancelled and then never runs;
//! * [`shutdown_waits`], [`shutdown_cancel_pending`], [`shutdown_cancel_pending_and_wait`],
//!   [`shutdown_keeps_queued`], [`submit_after_shutdown`], [`drop_waits`]: Python's
//!   `shutdown(wait, cancel_futures)` and leaving the `with` block.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use cfut_core::{CallExecutor, Error, Future, JobExecutor, Shutdown, Spawn};

use super::gate::{Gate, OpenOnDrop};
use super::support::{
    blocker_wait_limit, blockers_needed, ensure, expect_still_pending, fail, finish, wait_running,
};
use super::{Options, Outcome};

/// The panic message of the kit's deliberately panicking calls.
const PANIC_MESSAGE: &str = "conformance: deliberate panic";

/// Fills every worker with a call that waits on `gate` and returns its index; returns once
/// all of them run.
fn occupy<E: JobExecutor + ?Sized>(
    check: &str,
    executor: &E,
    options: &Options,
    gate: &Gate,
    workers: usize,
) -> Vec<Future<usize>> {
    let blockers: Vec<_> = (0..workers)
        .map(|index| {
            let gate = gate.clone();
            let limit = blocker_wait_limit(options);
            executor.spawn(move || {
                gate.wait(limit);
                index
            })
        })
        .collect();
    wait_running(check, options, &blockers);
    blockers
}

/// Opens `gate` and checks that every blocking call then finishes with its index.
fn release(check: &str, options: &Options, gate: &Gate, blockers: Vec<Future<usize>>) {
    gate.open();
    for (index, blocker) in blockers.into_iter().enumerate() {
        let outcome = finish(check, options, blocker, "a blocking call");
        ensure!(
            check,
            outcome == Ok(index),
            "blocking call {index} gave {outcome:?} after its gate opened"
        );
    }
}

/// `max_workers()` is at least one.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::max_workers(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn max_workers<E: JobExecutor + ?Sized>(executor: &E, _options: &Options) -> Outcome {
    let workers = executor.max_workers();
    ensure!("max_workers", workers >= 1, "max_workers() is {workers}");
    Outcome::Passed
}

/// `submit` runs the call and `result` gives its value: Python's `submit(pow, 2, 8)`, 200
/// calls in a row, owned values moved in and out, and a call's own `Err` arriving as
/// `Ok(Err(..))`, never as an executor error.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::submit_result(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn submit_result<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "submit_result";
    let outcome = finish(CHECK, options, executor.spawn(|| 2_u32.pow(8)), "pow(2, 8)");
    ensure!(CHECK, outcome == Ok(256), "pow(2, 8) gave {outcome:?}");

    let futures: Vec<_> = (0..200_u64)
        .map(|i| executor.spawn(move || i * i))
        .collect();
    for (i, future) in (0_u64..).zip(futures) {
        let outcome = finish(CHECK, options, future, "one of 200 calls");
        ensure!(CHECK, outcome == Ok(i * i), "call {i} gave {outcome:?}");
    }

    let text = String::from("conformance");
    let outcome = finish(
        CHECK,
        options,
        executor.spawn(move || text.to_uppercase()),
        "a String call",
    );
    ensure!(
        CHECK,
        outcome.as_deref() == Ok("CONFORMANCE"),
        "got {outcome:?}"
    );

    let outcome = finish(
        CHECK,
        options,
        executor.spawn(|| "twelve".parse::<u32>().map_err(|error| error.to_string())),
        "a call returning its own Err",
    );
    ensure!(
        CHECK,
        matches!(outcome, Ok(Err(_))),
        "a call's own Err came back as {outcome:?}, not Ok(Err(..))"
    );
    Outcome::Passed
}

/// Four threads submit 50 calls each at the same time; every result arrives, right.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::submit_from_threads(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn submit_from_threads<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "submit_from_threads";
    let counted = Arc::new(AtomicUsize::new(0));
    thread::scope(|scope| {
        let submitters: Vec<_> = (0..4_u64)
            .map(|thread| {
                let counted = Arc::clone(&counted);
                scope.spawn(move || {
                    (0..50_u64)
                        .map(|i| {
                            let counted = Arc::clone(&counted);
                            executor.spawn(move || {
                                // ORDERING: a counter read after every call finished.
                                counted.fetch_add(1, Ordering::Relaxed);
                                thread * 1000 + i
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (thread, submitter) in (0_u64..).zip(submitters) {
            let Ok(futures) = submitter.join() else {
                fail(CHECK, "a submitting thread panicked");
            };
            for (i, future) in (0_u64..).zip(futures) {
                let outcome = finish(CHECK, options, future, "a call from a submitting thread");
                ensure!(
                    CHECK,
                    outcome == Ok(thread * 1000 + i),
                    "thread {thread}'s call {i} gave {outcome:?}"
                );
            }
        }
    });
    // ORDERING: every call finished (its future said so), which happens before this load.
    let ran = counted.load(Ordering::Relaxed);
    ensure!(CHECK, ran == 200, "200 calls submitted, {ran} ran");
    Outcome::Passed
}

/// The future is a `std::future::Future`: `.await`ing it (here under `futures`'
/// `block_on`, on another thread, bounded by the limit) gives the call's value.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::await_result(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn await_result<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "await_result";
    let future = executor.spawn(|| String::from("awaited"));
    let (tx, rx) = mpsc::channel();
    // Detached on purpose: if the executor hangs the call, the check fails instead of hanging
    // with it.
    thread::spawn(move || {
        let _ = tx.send(futures::executor::block_on(future));
    });
    match rx.recv_timeout(options.limit()) {
        Ok(outcome) => ensure!(
            CHECK,
            outcome.as_deref() == Ok("awaited"),
            "got {outcome:?}"
        ),
        Err(_) => fail(
            CHECK,
            "`.await` on the future did not complete within the limit",
        ),
    }
    Outcome::Passed
}

/// The executor works as `&dyn JobExecutor`: `submit`, the portable `submit_call` and
/// `max_workers` through the trait object.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::dyn_job_executor(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn dyn_job_executor(executor: &dyn JobExecutor, options: &Options) -> Outcome {
    const CHECK: &str = "dyn_job_executor";
    ensure!(
        CHECK,
        executor.max_workers() >= 1,
        "max_workers() is 0 through dyn"
    );
    let outcome = finish(
        CHECK,
        options,
        executor.spawn(|| 40 + 2),
        "a call through dyn",
    );
    ensure!(
        CHECK,
        outcome == Ok(42),
        "submit through dyn gave {outcome:?}"
    );
    let outcome = finish(
        CHECK,
        options,
        executor.submit_call(super::calls::square, 12),
        "submit_call through dyn",
    );
    ensure!(
        CHECK,
        outcome == Ok(144),
        "submit_call through dyn gave {outcome:?}"
    );
    Outcome::Passed
}

/// A panicking call fails only its own future, with [`Error::Panicked`] and its message;
/// after `max_workers() + 1` panics every worker still runs calls.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(
///     in_process::panic_fails_only_its_future(&InlineExecutor::new(), &Options::new()),
///     Outcome::Passed
/// );
/// ```
pub fn panic_fails_only_its_future<E: JobExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "panic_fails_only_its_future";
    let rounds = executor.max_workers().min(options.blocker_limit()) + 1;
    for _ in 0..rounds {
        let outcome = finish(
            CHECK,
            options,
            executor.spawn(|| -> u32 { panic!("{PANIC_MESSAGE}") }),
            "a panicking call",
        );
        ensure!(
            CHECK,
            matches!(&outcome, Err(Error::Panicked { message, .. }) if message == PANIC_MESSAGE),
            "a panicking call gave {outcome:?}"
        );
    }
    let outcome = finish(
        CHECK,
        options,
        executor.spawn(|| -> u32 { std::panic::panic_any(7_u8) }),
        "a call panicking with a non-string payload",
    );
    ensure!(
        CHECK,
        matches!(outcome, Err(Error::Panicked { .. })),
        "a non-string panic gave {outcome:?}"
    );
    let futures: Vec<_> = (0..2 * rounds)
        .map(|i| executor.spawn(move || i + 1))
        .collect();
    for (i, future) in futures.into_iter().enumerate() {
        let outcome = finish(CHECK, options, future, "a call after the panics");
        ensure!(
            CHECK,
            outcome == Ok(i + 1),
            "call {i} after the panics gave {outcome:?}"
        );
    }
    Outcome::Passed
}

/// Done-callbacks: one added to a done future runs at once, on the caller's thread; ones
/// added while the call is pending run after it finishes, in registration order, and see the
/// value; a callback sees a panic as [`Error::Panicked`] and a cancellation as
/// [`Error::Cancelled`] (run by `cancel` itself).
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// let inline = Options::new().runs_inline(true);
/// assert_eq!(in_process::done_callbacks(&InlineExecutor::new(), &inline), Outcome::Passed);
/// ```
pub fn done_callbacks<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "done_callbacks";
    // Already done: runs at once, here.
    let done = executor.spawn(|| 5_u32);
    ensure!(
        CHECK,
        done.wait_timeout(options.limit()),
        "a call was not done within the limit"
    );
    let (tx, rx) = mpsc::channel();
    done.add_done_callback(move |outcome| {
        let _ = tx.send((
            thread::current().id(),
            outcome.copied().map_err(Clone::clone),
        ));
    });
    let seen = rx.try_recv();
    ensure!(
        CHECK,
        seen == Ok((thread::current().id(), Ok(5))),
        "a callback added to a done future did not run at once on the caller's thread: {seen:?}"
    );

    // A panicking call's callback sees the panic.
    let failed = executor.spawn(|| -> u32 { panic!("{PANIC_MESSAGE}") });
    let (tx, rx) = mpsc::channel();
    failed.add_done_callback(move |outcome| {
        let _ = tx.send(outcome.copied().map_err(Clone::clone));
    });
    let seen = rx.recv_timeout(options.limit());
    ensure!(
        CHECK,
        matches!(&seen, Ok(Err(Error::Panicked { message, .. })) if message == PANIC_MESSAGE),
        "the callback of a panicking call saw {seen:?}"
    );

    let Ok(workers) = blockers_needed(executor, options) else {
        // Inline executors: the rest needs a pending call. The part above is the contract
        // they can show.
        return Outcome::Passed;
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let pending = executor.spawn(|| 7_u32);
    let (tx, rx) = mpsc::channel();
    for order in 1..=3 {
        let tx = tx.clone();
        pending.add_done_callback(move |outcome| {
            let _ = tx.send((order, outcome.copied().map_err(Clone::clone)));
        });
    }
    let cancelled = executor.spawn(|| 8_u32);
    let (cancel_tx, cancel_rx) = mpsc::channel();
    cancelled.add_done_callback(move |outcome| {
        let _ = cancel_tx.send(outcome.copied().map_err(Clone::clone));
    });
    ensure!(
        CHECK,
        cancelled.cancel(),
        "cancel() of a pending call returned false"
    );
    let seen = cancel_rx.try_recv();
    ensure!(
        CHECK,
        seen == Ok(Err(Error::Cancelled)),
        "the callback of a cancelled future had not seen Err(Cancelled) when cancel() returned: {seen:?}"
    );
    let early = rx.try_recv();
    ensure!(
        CHECK,
        early.is_err(),
        "a callback ran before its call did: {early:?}"
    );
    release(CHECK, options, &gate, blockers);
    let mut order = Vec::new();
    for _ in 0..3 {
        match rx.recv_timeout(options.limit()) {
            Ok((position, outcome)) => {
                ensure!(
                    CHECK,
                    outcome == Ok(7),
                    "callback {position} saw {outcome:?}"
                );
                order.push(position);
            }
            Err(_) => fail(CHECK, "a callback did not run within the limit"),
        }
    }
    ensure!(
        CHECK,
        order == [1, 2, 3],
        "callbacks ran in the order {order:?}"
    );
    Outcome::Passed
}

/// Cancel before start: with every worker busy, a new call is pending; `cancel()` succeeds,
/// the future is done and cancelled, `result()` is [`Error::Cancelled`], and the call never
/// runs. A running call cannot be cancelled.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// let skipped = in_process::cancel_before_start(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn cancel_before_start<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "cancel_before_start";
    let workers = match blockers_needed(executor, options) {
        Ok(workers) => workers,
        Err(skipped) => return skipped,
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let ran = Arc::new(AtomicUsize::new(0));
    let extra = {
        let ran = Arc::clone(&ran);
        // ORDERING: read after a waiting shutdown, which orders every call before it.
        executor.spawn(move || ran.fetch_add(1, Ordering::Relaxed))
    };
    expect_still_pending(CHECK, workers, std::slice::from_ref(&extra));
    let state = extra.state();
    ensure!(
        CHECK,
        state == cfut_core::State::Pending,
        "a call submitted while all {workers} workers were busy is {state:?}, not pending"
    );
    ensure!(
        CHECK,
        extra.cancel(),
        "cancel() of a pending call returned false"
    );
    ensure!(
        CHECK,
        extra.is_cancelled() && extra.is_done(),
        "after cancel() the future is {:?}",
        extra.state()
    );
    ensure!(
        CHECK,
        !blockers[0].cancel(),
        "cancel() of a running call returned true"
    );
    release(CHECK, options, &gate, blockers);
    let outcome = finish(CHECK, options, extra, "the cancelled call");
    ensure!(
        CHECK,
        outcome == Err(Error::Cancelled),
        "result() of a cancelled call gave {outcome:?}"
    );
    executor.shutdown(Shutdown::new());
    // ORDERING: see the submission above.
    let runs = ran.load(Ordering::Relaxed);
    ensure!(CHECK, runs == 0, "the cancelled call ran {runs} time(s)");
    Outcome::Passed
}

/// `shutdown(Shutdown::new())` — Python's `shutdown(wait=True)` — returns only once every
/// submitted call (running and queued) has finished: all 50 futures are done when it returns.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::shutdown_waits(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn shutdown_waits<E: JobExecutor + ?Sized>(executor: &E, _options: &Options) -> Outcome {
    const CHECK: &str = "shutdown_waits";
    let futures: Vec<_> = (0..50_u64)
        .map(|i| {
            executor.spawn(move || {
                thread::sleep(std::time::Duration::from_millis(1));
                i * 3
            })
        })
        .collect();
    executor.shutdown(Shutdown::new());
    for (i, mut future) in (0_u64..).zip(futures) {
        let outcome = future.try_result();
        ensure!(
            CHECK,
            outcome == Some(Ok(i * 3)),
            "after a waiting shutdown returned, call {i} gave {outcome:?}"
        );
    }
    Outcome::Passed
}

/// `shutdown(cancel_pending(true).wait(false))` — Python's `shutdown(wait=False,
/// cancel_futures=True)`: the queued calls are cancelled (done, [`Error::Cancelled`], never
/// run), the running ones are not interrupted, and later submissions fail with
/// [`Error::Shutdown`].
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// let skipped = in_process::shutdown_cancel_pending(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn shutdown_cancel_pending<E: JobExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "shutdown_cancel_pending";
    let workers = match blockers_needed(executor, options) {
        Ok(workers) => workers,
        Err(skipped) => return skipped,
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let ran = Arc::new(AtomicUsize::new(0));
    let queued: Vec<_> = (0..8)
        .map(|_| {
            let ran = Arc::clone(&ran);
            // ORDERING: read after a waiting shutdown.
            executor.spawn(move || ran.fetch_add(1, Ordering::Relaxed))
        })
        .collect();
    expect_still_pending(CHECK, workers, &queued);
    executor.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    for (i, future) in queued.into_iter().enumerate() {
        let outcome = finish(CHECK, options, future, "a queued call");
        ensure!(
            CHECK,
            outcome == Err(Error::Cancelled),
            "queued call {i} gave {outcome:?} after a cancelling shutdown (its workers were still busy)"
        );
    }
    let late = finish(
        CHECK,
        options,
        executor.spawn(|| 1),
        "a call submitted after shutdown",
    );
    ensure!(
        CHECK,
        late == Err(Error::Shutdown),
        "a submission after shutdown gave {late:?}"
    );
    release(CHECK, options, &gate, blockers);
    executor.shutdown(Shutdown::new());
    // ORDERING: see the submissions above.
    let runs = ran.load(Ordering::Relaxed);
    ensure!(CHECK, runs == 0, "{runs} cancelled call(s) ran");
    Outcome::Passed
}

/// `shutdown(cancel_pending(true))` with waiting: the queued calls are cancelled while the
/// running ones hold the workers, and `shutdown` returns only after the running ones finished.
///
/// The gate is opened by a helper thread once every queued call's done-callback reported the
/// cancellation, so an executor that waited before cancelling would deadlock here — the
/// helper gives up after the limit, opens the gate anyway, and the check fails instead.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// let skipped = in_process::shutdown_cancel_pending_and_wait(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn shutdown_cancel_pending_and_wait<E: JobExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "shutdown_cancel_pending_and_wait";
    const QUEUED: usize = 8;
    let workers = match blockers_needed(executor, options) {
        Ok(workers) => workers,
        Err(skipped) => return skipped,
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let (tx, rx) = mpsc::channel();
    let queued: Vec<_> = (0..QUEUED)
        .map(|_| {
            let future = executor.spawn(|| ());
            let tx = tx.clone();
            future.add_done_callback(move |outcome| {
                let _ = tx.send(outcome.map_err(Clone::clone).map(drop));
            });
            future
        })
        .collect();
    drop(tx);
    let opener = {
        let gate = gate.clone();
        let limit = options.limit();
        thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..QUEUED {
                match rx.recv_timeout(limit) {
                    Ok(outcome) => seen.push(outcome),
                    Err(_) => break,
                }
            }
            gate.open();
            seen
        })
    };
    expect_still_pending(CHECK, workers, &queued);
    executor.shutdown(Shutdown::new().cancel_pending(true));
    for (i, blocker) in blockers.iter().enumerate() {
        ensure!(
            CHECK,
            blocker.is_done(),
            "a waiting shutdown returned while running call {i} was {:?}",
            blocker.state()
        );
    }
    let Ok(seen) = opener.join() else {
        fail(CHECK, "the gate-opening thread panicked");
    };
    ensure!(
        CHECK,
        seen.len() == QUEUED && seen.iter().all(|outcome| *outcome == Err(Error::Cancelled)),
        "the queued calls' callbacks saw {seen:?} before the running calls finished; expected \
         {QUEUED} cancellations"
    );
    for future in queued {
        let outcome = finish(CHECK, options, future, "a queued call");
        ensure!(
            CHECK,
            outcome == Err(Error::Cancelled),
            "a queued call gave {outcome:?}"
        );
    }
    release(CHECK, options, &gate, blockers);
    Outcome::Passed
}

/// `shutdown(Shutdown::new().wait(false))` — Python's `shutdown(wait=False)` — stops new
/// submissions ([`Error::Shutdown`]) but still runs the calls already queued.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// let skipped = in_process::shutdown_keeps_queued(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn shutdown_keeps_queued<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "shutdown_keeps_queued";
    let workers = match blockers_needed(executor, options) {
        Ok(workers) => workers,
        Err(skipped) => return skipped,
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let queued: Vec<_> = (0..8_u64)
        .map(|i| executor.spawn(move || i + 100))
        .collect();
    executor.shutdown(Shutdown::new().wait(false));
    let late = finish(
        CHECK,
        options,
        executor.spawn(|| 1),
        "a call submitted after shutdown",
    );
    ensure!(
        CHECK,
        late == Err(Error::Shutdown),
        "a submission after shutdown gave {late:?}"
    );
    for (i, future) in queued.iter().enumerate() {
        ensure!(
            CHECK,
            !future.is_cancelled(),
            "queued call {i} was cancelled by a shutdown that did not ask for it"
        );
    }
    release(CHECK, options, &gate, blockers);
    for (i, future) in (0_u64..).zip(queued) {
        let outcome = finish(CHECK, options, future, "a queued call");
        ensure!(
            CHECK,
            outcome == Ok(i + 100),
            "queued call {i} gave {outcome:?} after a non-cancelling shutdown"
        );
    }
    executor.shutdown(Shutdown::new());
    Outcome::Passed
}

/// After `shutdown`, `submit` gives a future failed with [`Error::Shutdown`] and the call
/// never runs; calling `shutdown` again, with any options, is harmless.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::submit_after_shutdown(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn submit_after_shutdown<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "submit_after_shutdown";
    let before = finish(
        CHECK,
        options,
        executor.spawn(|| 1),
        "a call before shutdown",
    );
    ensure!(
        CHECK,
        before == Ok(1),
        "a call before shutdown gave {before:?}"
    );
    executor.shutdown(Shutdown::new());
    let ran = Arc::new(AtomicUsize::new(0));
    let late = {
        let ran = Arc::clone(&ran);
        // ORDERING: read after a waiting shutdown.
        executor.spawn(move || ran.fetch_add(1, Ordering::Relaxed))
    };
    let outcome = finish(CHECK, options, late, "a call submitted after shutdown");
    ensure!(
        CHECK,
        outcome == Err(Error::Shutdown),
        "a submission after shutdown gave {outcome:?}"
    );
    executor.shutdown(Shutdown::new());
    executor.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    let again = finish(
        CHECK,
        options,
        executor.spawn(|| 2),
        "a call after a second shutdown",
    );
    ensure!(
        CHECK,
        again == Err(Error::Shutdown),
        "after a second shutdown, submit gave {again:?}"
    );
    // ORDERING: see above.
    let runs = ran.load(Ordering::Relaxed);
    ensure!(CHECK, runs == 0, "a call submitted after shutdown ran");
    Outcome::Passed
}

/// Dropping the executor is leaving Python's `with` block: no call is lost — every future
/// submitted before the drop is done, with its value, once the drop returns.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
/// assert_eq!(in_process::drop_waits(InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn drop_waits<E: JobExecutor>(executor: E, _options: &Options) -> Outcome {
    const CHECK: &str = "drop_waits";
    let futures: Vec<_> = (0..20_u64)
        .map(|i| {
            executor.spawn(move || {
                thread::sleep(std::time::Duration::from_millis(1));
                i + 7
            })
        })
        .collect();
    drop(executor);
    for (i, mut future) in (0_u64..).zip(futures) {
        let outcome = future.try_result();
        ensure!(
            CHECK,
            outcome == Some(Ok(i + 7)),
            "once the executor was dropped, call {i} gave {outcome:?}"
        );
    }
    Outcome::Passed
}
