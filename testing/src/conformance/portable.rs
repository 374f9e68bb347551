//! The checks of the portable level, [`CallExecutor`]: one public function per check, each
//! taking an executor that no other code uses (some checks shut it down) and returning
//! [`Outcome`], or panicking with a message that names the check.
//!
//! Every call is one of the plain functions of [`calls`](super::calls), so a process pool
//! (whose workers are re-executions of the test binary) runs them as they are.
//!
//! * [`call_submit_result`]: values cross the boundary both ways, the call's own `Err` stays
//!   the call's;
//! * [`call_large_argument`]: a 1 MiB argument;
//! * [`call_panic_fails_only_its_future`]: a panic is that call's error, the workers live on;
//! * [`call_batch`]: `submit_batch` gives one result per element, a panic failing only its own;
//! * [`call_cancel_before_start`]: a pending call can be cancelled;
//! * [`call_shutdown_waits`], [`call_shutdown_cancel_pending`], [`call_shutdown_keeps_queued`],
//!   [`call_submit_after_shutdown`], [`call_drop_waits`]: shutdown and drop.

use cfut_core::{CallExecutor, ChunkResults, Error, Future, Shutdown, State};

use super::calls::{
    ZERO_MESSAGE, byte_sum, panic_with, parse_number, pause_then_square, shout, square,
    tenfold_or_panic, wait_for_file,
};
use super::gate::FileGate;
use super::support::{
    blocker_wait_limit, blockers_needed, ensure, expect_still_pending, fail, finish, wait_running,
};
use super::{Options, Outcome};

/// The panic message of the kit's deliberately panicking calls.
const PANIC_MESSAGE: &str = "conformance: deliberate panic in a portable call";

/// Skips on executors without a shared file system, then fills every worker with a call
/// waiting for the gate's file; returns once all of them run.
fn occupy<E: CallExecutor + ?Sized>(
    check: &str,
    executor: &E,
    options: &Options,
) -> Result<(FileGate, Vec<Future<bool>>), Outcome> {
    let workers = blockers_needed(executor, options)?;
    if !options.has_shared_filesystem() {
        return Err(Outcome::Skipped(
            "the workers do not share the caller's file system (Options::shared_filesystem)",
        ));
    }
    let gate = match FileGate::new() {
        Ok(gate) => gate,
        Err(error) => fail(check, &format!("cannot create the file gate: {error}")),
    };
    let limit_ms = u64::try_from(blocker_wait_limit(options).as_millis()).unwrap_or(u64::MAX);
    let blockers: Vec<_> = (0..workers)
        .map(|_| executor.submit_call(wait_for_file, (gate.path(), limit_ms)))
        .collect();
    wait_running(check, options, &blockers);
    Ok((gate, blockers))
}

/// Opens the gate and checks that every blocking call saw it.
fn release(check: &str, options: &Options, gate: FileGate, blockers: Vec<Future<bool>>) {
    gate.open();
    for (index, blocker) in blockers.into_iter().enumerate() {
        let outcome = finish(check, options, blocker, "a blocking call");
        ensure!(
            check,
            outcome == Ok(true),
            "blocking call {index} gave {outcome:?} after its gate opened"
        );
    }
    gate.remove();
}

/// `submit_call` runs a plain function on an argument and gives its value back: `square`
/// on 7 and on 100 numbers, a `String` both ways, and a call's own `Err` arriving as
/// `Ok(Err(..))`.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(portable::call_submit_result(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_submit_result<E: CallExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "call_submit_result";
    let outcome = finish(CHECK, options, executor.submit_call(square, 7), "square(7)");
    ensure!(CHECK, outcome == Ok(49), "square(7) gave {outcome:?}");
    let futures: Vec<_> = (0..100_u64)
        .map(|i| executor.submit_call(square, i))
        .collect();
    for (i, future) in (0_u64..).zip(futures) {
        let outcome = finish(CHECK, options, future, "one of 100 calls");
        ensure!(CHECK, outcome == Ok(i * i), "square({i}) gave {outcome:?}");
    }
    let outcome = finish(
        CHECK,
        options,
        executor.submit_call(shout, "héllo, wörld".to_owned()),
        "shout",
    );
    ensure!(
        CHECK,
        outcome.as_deref() == Ok("HÉLLO, WÖRLD!"),
        "shout gave {outcome:?}"
    );
    let outcome = finish(
        CHECK,
        options,
        executor.submit_call(parse_number, "twelve".to_owned()),
        "a call returning its own Err",
    );
    ensure!(
        CHECK,
        matches!(outcome, Ok(Err(_))),
        "a call's own Err came back as {outcome:?}, not Ok(Err(..))"
    );
    Outcome::Passed
}

/// A 1 MiB argument reaches the call intact (its byte sum comes back right).
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(portable::call_large_argument(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_large_argument<E: CallExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "call_large_argument";
    let bytes: Vec<u8> = (0..1_usize << 20)
        .map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24 & 0xff).unwrap_or(0))
        .collect();
    let expected = byte_sum(bytes.clone());
    let outcome = finish(
        CHECK,
        options,
        executor.submit_call(byte_sum, bytes),
        "byte_sum of 1 MiB",
    );
    ensure!(
        CHECK,
        outcome == Ok(expected),
        "byte_sum gave {outcome:?}, expected {expected}"
    );
    Outcome::Passed
}

/// A panicking call fails only its own future with [`Error::Panicked`] carrying its message;
/// after `max_workers() + 1` panics the executor still runs calls.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(
///     portable::call_panic_fails_only_its_future(&InlineExecutor::new(), &Options::new()),
///     Outcome::Passed
/// );
/// ```
pub fn call_panic_fails_only_its_future<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "call_panic_fails_only_its_future";
    let rounds = executor.max_workers().min(options.blocker_limit()) + 1;
    for _ in 0..rounds {
        let outcome = finish(
            CHECK,
            options,
            executor.submit_call(panic_with, PANIC_MESSAGE.to_owned()),
            "a panicking call",
        );
        ensure!(
            CHECK,
            matches!(&outcome, Err(Error::Panicked { message, .. }) if message == PANIC_MESSAGE),
            "a panicking call gave {outcome:?}"
        );
    }
    let futures: Vec<_> = (0..2 * rounds as u64)
        .map(|i| executor.submit_call(square, i))
        .collect();
    for (i, future) in (0_u64..).zip(futures) {
        let outcome = finish(CHECK, options, future, "a call after the panics");
        ensure!(
            CHECK,
            outcome == Ok(i * i),
            "square({i}) after the panics gave {outcome:?}"
        );
    }
    Outcome::Passed
}

/// `submit_batch` gives one result per element, in order; a panic fails only its own element;
/// an empty batch gives an empty vector.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(portable::call_batch(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_batch<E: CallExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "call_batch";
    let outcome = finish(
        CHECK,
        options,
        executor.submit_batch(tenfold_or_panic, vec![1, 0, 3, 0, 5]),
        "a batch",
    )
    .and_then(ChunkResults::decode);
    let Ok(results) = outcome else {
        fail(CHECK, &format!("the batch itself failed: {outcome:?}"));
    };
    ensure!(
        CHECK,
        results.len() == 5,
        "5 elements gave {} results",
        results.len()
    );
    for (i, (input, result)) in [1_u64, 0, 3, 0, 5].into_iter().zip(&results).enumerate() {
        if input == 0 {
            ensure!(
                CHECK,
                matches!(result, Err(Error::Panicked { message, .. }) if message == ZERO_MESSAGE),
                "element {i} (a zero) gave {result:?}"
            );
        } else {
            ensure!(
                CHECK,
                *result == Ok(input * 10),
                "element {i} gave {result:?}"
            );
        }
    }
    let empty = finish(
        CHECK,
        options,
        executor.submit_batch(square, Vec::new()),
        "an empty batch",
    )
    .and_then(ChunkResults::decode);
    ensure!(
        CHECK,
        empty == Ok(Vec::new()),
        "an empty batch gave {empty:?}"
    );
    Outcome::Passed
}

/// Cancel before start: with every worker blocked, a new call is pending and stays
/// cancellable (Python's rule: until a worker takes it); `cancel()` succeeds and `result()`
/// is [`Error::Cancelled`]; a running call cannot be cancelled.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// let skipped = portable::call_cancel_before_start(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn call_cancel_before_start<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    cancel_pending_call("call_cancel_before_start", executor, options)
}

/// The body of [`call_cancel_before_start`], under the name of the check that runs it.
fn cancel_pending_call<E: CallExecutor + ?Sized>(
    check: &'static str,
    executor: &E,
    options: &Options,
) -> Outcome {
    let (gate, blockers) = match occupy(check, executor, options) {
        Ok(occupied) => occupied,
        Err(skipped) => return skipped,
    };
    let extra = executor.submit_call(square, 3);
    expect_still_pending(check, blockers.len(), std::slice::from_ref(&extra));
    let state = extra.state();
    ensure!(
        check,
        state == State::Pending,
        "a call submitted while every worker was busy is {state:?}, not pending"
    );
    ensure!(
        check,
        extra.cancel(),
        "cancel() of a pending call returned false"
    );
    ensure!(check, extra.is_done(), "a cancelled future is not done");
    ensure!(
        check,
        !blockers[0].cancel(),
        "cancel() of a running call returned true"
    );
    release(check, options, gate, blockers);
    let outcome = finish(check, options, extra, "the cancelled call");
    ensure!(
        check,
        outcome == Err(Error::Cancelled),
        "a cancelled call gave {outcome:?}"
    );
    let after = finish(
        check,
        options,
        executor.submit_call(square, 4),
        "a call after",
    );
    ensure!(
        check,
        after == Ok(16),
        "a call after the cancellation gave {after:?}"
    );
    Outcome::Passed
}

/// Cancel before start after a warm-up of 200 short calls: an executor that adapts to short
/// calls (batching them to busy workers ahead of time) must still keep a call pending, and
/// cancellable, while every worker is busy.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// let skipped = portable::call_cancel_after_short_calls(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn call_cancel_after_short_calls<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "call_cancel_after_short_calls";
    if let Err(skipped) = blockers_needed(executor, options) {
        return skipped;
    }
    for i in 0..200_u64 {
        let outcome = finish(
            CHECK,
            options,
            executor.submit_call(square, i),
            "a short call",
        );
        ensure!(CHECK, outcome == Ok(i * i), "square({i}) gave {outcome:?}");
    }
    cancel_pending_call(CHECK, executor, options)
}

/// A waiting shutdown returns only once every submitted call finished.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(portable::call_shutdown_waits(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_shutdown_waits<E: CallExecutor + ?Sized>(executor: &E, _options: &Options) -> Outcome {
    const CHECK: &str = "call_shutdown_waits";
    let futures: Vec<_> = (0..30_u64)
        .map(|i| executor.submit_call(pause_then_square, i))
        .collect();
    executor.shutdown(Shutdown::new());
    for (i, mut future) in (0_u64..).zip(futures) {
        let outcome = future.try_result();
        ensure!(
            CHECK,
            outcome == Some(Ok(i * i)),
            "after a waiting shutdown returned, call {i} gave {outcome:?}"
        );
    }
    Outcome::Passed
}

/// A cancelling shutdown without waiting cancels the queued calls while the running ones
/// finish normally; later submissions fail with [`Error::Shutdown`].
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// let skipped = portable::call_shutdown_cancel_pending(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn call_shutdown_cancel_pending<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "call_shutdown_cancel_pending";
    let (gate, blockers) = match occupy(CHECK, executor, options) {
        Ok(occupied) => occupied,
        Err(skipped) => return skipped,
    };
    let queued: Vec<_> = (0..8_u64)
        .map(|i| executor.submit_call(square, i))
        .collect();
    expect_still_pending(CHECK, blockers.len(), &queued);
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
        executor.submit_call(square, 2),
        "a call after shutdown",
    );
    ensure!(
        CHECK,
        late == Err(Error::Shutdown),
        "a submission after shutdown gave {late:?}"
    );
    release(CHECK, options, gate, blockers);
    executor.shutdown(Shutdown::new());
    Outcome::Passed
}

/// A shutdown without waiting or cancelling refuses new calls but still runs the queued ones.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// let skipped = portable::call_shutdown_keeps_queued(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn call_shutdown_keeps_queued<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "call_shutdown_keeps_queued";
    let (gate, blockers) = match occupy(CHECK, executor, options) {
        Ok(occupied) => occupied,
        Err(skipped) => return skipped,
    };
    let queued: Vec<_> = (0..8_u64)
        .map(|i| executor.submit_call(square, i))
        .collect();
    executor.shutdown(Shutdown::new().wait(false));
    let late = finish(
        CHECK,
        options,
        executor.submit_call(square, 2),
        "a call after shutdown",
    );
    ensure!(
        CHECK,
        late == Err(Error::Shutdown),
        "a submission after shutdown gave {late:?}"
    );
    ensure!(
        CHECK,
        queued.iter().all(|future| !future.is_cancelled()),
        "a shutdown that did not ask for it cancelled queued calls"
    );
    release(CHECK, options, gate, blockers);
    for (i, future) in (0_u64..).zip(queued) {
        let outcome = finish(CHECK, options, future, "a queued call");
        ensure!(
            CHECK,
            outcome == Ok(i * i),
            "queued call {i} gave {outcome:?}"
        );
    }
    executor.shutdown(Shutdown::new());
    Outcome::Passed
}

/// After `shutdown`, `submit_call` and `submit_batch` give futures failed with
/// [`Error::Shutdown`]; a second shutdown is harmless.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(portable::call_submit_after_shutdown(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_submit_after_shutdown<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "call_submit_after_shutdown";
    executor.shutdown(Shutdown::new());
    let late = finish(
        CHECK,
        options,
        executor.submit_call(square, 2),
        "a call after shutdown",
    );
    ensure!(
        CHECK,
        late == Err(Error::Shutdown),
        "submit_call after shutdown gave {late:?}"
    );
    let batch = finish(
        CHECK,
        options,
        executor.submit_batch(square, vec![1, 2]),
        "a batch after shutdown",
    )
    .and_then(ChunkResults::decode);
    ensure!(
        CHECK,
        batch == Err(Error::Shutdown),
        "submit_batch after shutdown gave {batch:?}"
    );
    executor.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    let again = finish(
        CHECK,
        options,
        executor.submit_call(square, 3),
        "a call after",
    );
    ensure!(
        CHECK,
        again == Err(Error::Shutdown),
        "after a second shutdown, submit gave {again:?}"
    );
    Outcome::Passed
}

/// Dropping the executor waits for what was submitted: every future is done, with its value,
/// once the drop returns.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{portable, Options, Outcome};
/// assert_eq!(portable::call_drop_waits(InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_drop_waits<E: CallExecutor>(executor: E, _options: &Options) -> Outcome {
    const CHECK: &str = "call_drop_waits";
    let futures: Vec<_> = (0..20_u64)
        .map(|i| executor.submit_call(pause_then_square, i))
        .collect();
    drop(executor);
    for (i, mut future) in (0_u64..).zip(futures) {
        let outcome = future.try_result();
        ensure!(
            CHECK,
            outcome == Some(Ok(i * i)),
            "once the executor was dropped, call {i} gave {outcome:?}"
        );
    }
    Outcome::Passed
}
