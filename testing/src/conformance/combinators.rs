//! The checks of `cfut-combinators` on the executor under test — `map`, `as_completed` and
//! `wait` — at both levels. Like every check, each takes an executor no other code uses and
//! returns [`Outcome`] or panics naming the check.
//!
//! * [`map_in_order`], [`call_map_in_order`]: results in input order, lazy, eager, windowed
//!   and chunked; an error is that element's, the rest continue;
//! * [`map_drop_cancels`]: dropping a map cancels the calls it has not started;
//! * [`as_completed_each_once`], [`call_as_completed_each_once`]: every future yielded exactly
//!   once, a cancelled one at once;
//! * [`wait_partitions`], [`call_wait_partitions`]: `ReturnWhen::{FirstCompleted,
//!   FirstException, AllCompleted}` and the timed wait split the futures exactly.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cfut_combinators::{
    CallMapExt, MapError, MapExt, ReturnWhen, as_completed_timeout, wait_timeout,
};
use cfut_core::{CallExecutor, Error, Future, JobExecutor, Shutdown, Spawn};

use super::calls::{ZERO_MESSAGE, square, tenfold_or_panic};
use super::gate::{Gate, OpenOnDrop};
use super::support::{blocker_wait_limit, blockers_needed, ensure, fail, finish, wait_running};
use super::{Options, Outcome};

/// A short, deterministic wait: used only where nothing can complete (every worker blocked),
/// so its length decides nothing but the run time.
const SETTLE: Duration = Duration::from_millis(20);

fn nonzero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

/// Checks one map's results: `Ok(expected(i))` everywhere except the failing indexes.
fn expect_map<T: PartialEq + std::fmt::Debug>(
    check: &str,
    mode: &str,
    results: &[Result<T, MapError>],
    expected: &[Result<T, ()>],
) {
    ensure!(
        check,
        results.len() == expected.len(),
        "{mode}: {} inputs gave {} results",
        expected.len(),
        results.len()
    );
    for (i, (result, expected)) in results.iter().zip(expected).enumerate() {
        match (result, expected) {
            (Ok(value), Ok(want)) => {
                ensure!(
                    check,
                    value == want,
                    "{mode}: element {i} is {value:?}, not {want:?}"
                );
            }
            (Err(MapError::Call(Error::Panicked { .. })), Err(())) => {}
            (other, want) => fail(
                check,
                &format!("{mode}: element {i} is {other:?}, expected {want:?} (Err = a panic)"),
            ),
        }
    }
}

/// `executor.map(..)` (`cfut_combinators::MapExt`) gives results in input order — lazily,
/// eagerly, with a window of one — and a panic in one call is that element's
/// [`MapError::Call`] while the rest continue (CPython main, gh-108518).
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// assert_eq!(combinators::map_in_order(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn map_in_order<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "map_in_order";
    let expected: Vec<Result<u64, ()>> = (0..200).map(|x| Ok(x * 2)).collect();
    let lazy: Vec<_> = executor
        .map(|x: u64| x * 2, 0..200)
        .timeout(options.limit())
        .collect();
    expect_map(CHECK, "lazy", &lazy, &expected);
    let eager: Vec<_> = executor
        .map(|x: u64| x * 2, 0..200)
        .eager()
        .timeout(options.limit())
        .collect();
    expect_map(CHECK, "eager", &eager, &expected);
    let narrow: Vec<_> = executor
        .map(|x: u64| x * 2, 0..200)
        .window(nonzero(1))
        .timeout(options.limit())
        .collect();
    expect_map(CHECK, "window 1", &narrow, &expected);
    let failing: Vec<_> = executor
        .map(tenfold_or_panic, [1, 2, 0, 4, 0, 6])
        .timeout(options.limit())
        .collect();
    expect_map(
        CHECK,
        "with panics",
        &failing,
        &[Ok(10), Ok(20), Err(()), Ok(40), Err(()), Ok(60)],
    );
    Outcome::Passed
}

/// `executor.map_calls(..)` (`cfut_combinators::CallMapExt`) with a plain function: input
/// order with and without `chunksize`, a panicking element failing only itself, also
/// inside a chunk.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// assert_eq!(combinators::call_map_in_order(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_map_in_order<E: CallExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "call_map_in_order";
    let expected: Vec<Result<u64, ()>> = (0..100).map(|x| Ok(x * x)).collect();
    for chunksize in [1, 3, 100, 1000] {
        let results: Vec<_> = executor
            .map_calls(square, 0..100_u64)
            .chunksize(nonzero(chunksize))
            .timeout(options.limit())
            .collect();
        expect_map(
            CHECK,
            &format!("chunksize {chunksize}"),
            &results,
            &expected,
        );
    }
    for chunksize in [1, 3] {
        let results: Vec<_> = executor
            .map_calls(tenfold_or_panic, [1_u64, 2, 0, 4, 0, 6])
            .chunksize(nonzero(chunksize))
            .timeout(options.limit())
            .collect();
        expect_map(
            CHECK,
            &format!("with panics, chunksize {chunksize}"),
            &results,
            &[Ok(10), Ok(20), Err(()), Ok(40), Err(()), Ok(60)],
        );
        if let Some(Err(MapError::Call(Error::Panicked { message, .. }))) = results.get(2) {
            ensure!(
                CHECK,
                message == ZERO_MESSAGE,
                "the panic message came back as {message:?}"
            );
        }
    }
    Outcome::Passed
}

/// Dropping an eager `map` whose calls cannot start yet (every worker blocked) cancels them:
/// none of them ever runs.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// let skipped = combinators::map_drop_cancels(&InlineExecutor::new(), &Options::new().runs_inline(true));
/// assert!(matches!(skipped, Outcome::Skipped(_)));
/// ```
pub fn map_drop_cancels<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "map_drop_cancels";
    let workers = match blockers_needed(executor, options) {
        Ok(workers) => workers,
        Err(skipped) => return skipped,
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let ran = Arc::new(AtomicUsize::new(0));
    {
        let ran = Arc::clone(&ran);
        let map = executor
            .map(
                move |x: u64| {
                    // ORDERING: read after a waiting shutdown.
                    ran.fetch_add(1, Ordering::Relaxed);
                    x
                },
                0..20,
            )
            .eager();
        drop(map);
    }
    gate.open();
    for blocker in blockers {
        let outcome = finish(CHECK, options, blocker, "a blocking call");
        ensure!(CHECK, outcome.is_ok(), "a blocking call gave {outcome:?}");
    }
    executor.shutdown(Shutdown::new());
    // ORDERING: see above.
    let runs = ran.load(Ordering::Relaxed);
    ensure!(
        CHECK,
        runs == 0,
        "{runs} of 20 calls of a dropped map ran, though none had started when it was dropped"
    );
    Outcome::Passed
}

fn occupy<E: JobExecutor + ?Sized>(
    check: &str,
    executor: &E,
    options: &Options,
    gate: &Gate,
    workers: usize,
) -> Vec<Future<()>> {
    let blockers: Vec<_> = (0..workers)
        .map(|_| {
            let gate = gate.clone();
            let limit = blocker_wait_limit(options);
            executor.spawn(move || {
                gate.wait(limit);
            })
        })
        .collect();
    wait_running(check, options, &blockers);
    blockers
}

/// Collects `as_completed_timeout(futures)` into values, failing the check on a timeout.
fn drain<T>(check: &str, options: &Options, futures: Vec<Future<T>>) -> Vec<Result<T, Error>> {
    let mut values = Vec::new();
    for item in as_completed_timeout(futures, options.limit()) {
        match item {
            Ok(mut future) => match future.try_result() {
                Some(outcome) => values.push(outcome),
                None => fail(check, "as_completed yielded a future that is not done"),
            },
            Err(unfinished) => fail(
                check,
                &format!("as_completed ran out of time: {unfinished}"),
            ),
        }
    }
    values
}

/// `as_completed` yields each of 100 submitted futures exactly once, each done; a future
/// cancelled while every worker is blocked is yielded at once (CPython can hang there,
/// gh-92001).
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// let inline = Options::new().runs_inline(true);
/// assert_eq!(combinators::as_completed_each_once(&InlineExecutor::new(), &inline), Outcome::Passed);
/// ```
pub fn as_completed_each_once<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "as_completed_each_once";
    let futures: Vec<_> = (0..100_u64).map(|i| executor.spawn(move || i)).collect();
    let values = drain(CHECK, options, futures);
    let seen: BTreeSet<u64> = values
        .iter()
        .filter_map(|v| v.as_ref().ok().copied())
        .collect();
    ensure!(
        CHECK,
        values.len() == 100 && seen == (0..100).collect(),
        "as_completed over 100 calls yielded {} futures, {} distinct values",
        values.len(),
        seen.len()
    );
    let Ok(workers) = blockers_needed(executor, options) else {
        return Outcome::Passed;
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);
    let cancelled = executor.spawn(|| 0_u64);
    ensure!(
        CHECK,
        cancelled.cancel(),
        "cancel() of a pending call returned false"
    );
    let values = drain(CHECK, options, vec![cancelled]);
    ensure!(
        CHECK,
        values == [Err(Error::Cancelled)],
        "as_completed over a cancelled future gave {values:?} while the workers were blocked"
    );
    gate.open();
    for blocker in drain(CHECK, options, blockers) {
        ensure!(CHECK, blocker.is_ok(), "a blocking call gave {blocker:?}");
    }
    Outcome::Passed
}

/// `wait` splits exactly: with every worker blocked, `FirstCompleted` returns with only the
/// cancelled future done, `FirstException` with only the failed one, a timed `AllCompleted`
/// with everything still blocked in `not_done` (a timeout is not an error); once the gate
/// opens, `AllCompleted` leaves nothing pending.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// let inline = Options::new().runs_inline(true);
/// assert_eq!(combinators::wait_partitions(&InlineExecutor::new(), &inline), Outcome::Passed);
/// ```
pub fn wait_partitions<E: JobExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "wait_partitions";
    let finished: Vec<_> = (0..10_u64).map(|i| executor.spawn(move || i)).collect();
    let split = wait_timeout(finished, ReturnWhen::AllCompleted, options.limit());
    ensure!(
        CHECK,
        split.0.len() == 10 && split.1.is_empty(),
        "AllCompleted over 10 calls: {} done, {} not done",
        split.0.len(),
        split.1.len()
    );
    let failed = executor.spawn(|| -> u64 { panic!("conformance: deliberate panic") });
    ensure!(
        CHECK,
        failed.wait_timeout(options.limit()),
        "a panicking call never finished"
    );
    let Ok(workers) = blockers_needed(executor, options) else {
        let split = wait_timeout(vec![failed], ReturnWhen::FirstException, options.limit());
        ensure!(
            CHECK,
            split.0.len() == 1,
            "FirstException missed a failed future"
        );
        return Outcome::Passed;
    };
    let gate = Gate::new();
    let _open = OpenOnDrop(&gate);
    let blockers = occupy(CHECK, executor, options, &gate, workers);

    let cancelled = executor.spawn(|| ());
    ensure!(
        CHECK,
        cancelled.cancel(),
        "cancel() of a pending call returned false"
    );
    let mut all: Vec<&Future<()>> = blockers.iter().collect();
    all.push(&cancelled);
    let split = wait_timeout(all, ReturnWhen::FirstCompleted, options.limit());
    ensure!(
        CHECK,
        split.0.len() == 1 && std::ptr::eq(split.0[0], &cancelled) && split.1.len() == workers,
        "FirstCompleted with only a cancelled future done: {} done, {} not done",
        split.0.len(),
        split.1.len()
    );

    let split = wait_timeout(
        blockers
            .iter()
            .map(|b| b as &dyn cfut_core::AnyFuture)
            .chain([&failed as &dyn cfut_core::AnyFuture]),
        ReturnWhen::FirstException,
        options.limit(),
    );
    ensure!(
        CHECK,
        split.0.len() == 1 && split.1.len() == workers,
        "FirstException with one failed future: {} done, {} not done",
        split.0.len(),
        split.1.len()
    );

    let split = wait_timeout(&blockers, ReturnWhen::AllCompleted, SETTLE);
    ensure!(
        CHECK,
        split.0.is_empty() && split.1.len() == workers,
        "a timed AllCompleted over blocked calls: {} done, {} not done",
        split.0.len(),
        split.1.len()
    );
    gate.open();
    let split = wait_timeout(&blockers, ReturnWhen::AllCompleted, options.limit());
    ensure!(
        CHECK,
        split.1.is_empty(),
        "AllCompleted left {} calls pending after the gate opened",
        split.1.len()
    );
    Outcome::Passed
}

/// `as_completed` over 100 portable calls yields each exactly once.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// assert_eq!(combinators::call_as_completed_each_once(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_as_completed_each_once<E: CallExecutor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Outcome {
    const CHECK: &str = "call_as_completed_each_once";
    let futures: Vec<_> = (0..100_u64)
        .map(|i| executor.submit_call(square, i))
        .collect();
    let values = drain(CHECK, options, futures);
    let seen: BTreeSet<u64> = values
        .iter()
        .filter_map(|v| v.as_ref().ok().copied())
        .collect();
    ensure!(
        CHECK,
        values.len() == 100 && seen == (0..100).map(|i| i * i).collect(),
        "as_completed over 100 calls yielded {} futures, {} distinct values",
        values.len(),
        seen.len()
    );
    Outcome::Passed
}

/// `wait` over portable calls: `AllCompleted` leaves nothing pending, `FirstException`
/// returns with a panicked call in `done`.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{combinators, Options, Outcome};
/// assert_eq!(combinators::call_wait_partitions(&InlineExecutor::new(), &Options::new()), Outcome::Passed);
/// ```
pub fn call_wait_partitions<E: CallExecutor + ?Sized>(executor: &E, options: &Options) -> Outcome {
    const CHECK: &str = "call_wait_partitions";
    let futures: Vec<_> = (1..=20_u64)
        .map(|i| executor.submit_call(tenfold_or_panic, i))
        .collect();
    let split = wait_timeout(futures, ReturnWhen::AllCompleted, options.limit());
    ensure!(
        CHECK,
        split.0.len() == 20 && split.1.is_empty(),
        "AllCompleted over 20 calls: {} done, {} not done",
        split.0.len(),
        split.1.len()
    );
    let failed = executor.submit_call(tenfold_or_panic, 0);
    let split = wait_timeout(vec![failed], ReturnWhen::FirstException, options.limit());
    ensure!(
        CHECK,
        split.0.len() == 1,
        "FirstException did not return with the failed call done"
    );
    let outcome = split.0.into_iter().next().map(|f| f.result());
    ensure!(
        CHECK,
        matches!(outcome, Some(Err(Error::Panicked { .. }))),
        "the failed call gave {outcome:?}"
    );
    Outcome::Passed
}
