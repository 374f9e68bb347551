//! What every check uses: failing with the check's name, waiting with a limit, and keeping
//! the workers of an executor busy.

use std::time::{Duration, Instant};

use cfut_core::{Error, Executor, Future, State};

use super::{Options, Outcome};

/// Panics with a message that names the check.
macro_rules! ensure {
    ($check:expr, $condition:expr, $($message:tt)+) => {
        if !$condition {
            $crate::conformance::support::fail($check, &format!($($message)+));
        }
    };
}
pub(crate) use ensure;

/// Fails the check `check`.
#[track_caller]
pub(crate) fn fail(check: &str, message: &str) -> ! {
    panic!("conformance check `{check}` failed: {message}")
}

/// Waits (at most the options' limit) for `future` and takes its outcome; fails the check if
/// it is not done by then: the executor lost or hung the call.
pub(crate) fn finish<T>(
    check: &str,
    options: &Options,
    mut future: Future<T>,
    what: &str,
) -> Result<T, Error> {
    if !future.wait_timeout(options.limit()) {
        fail(
            check,
            &format!(
                "{what} was not done after {:?} (state {:?}): the executor lost or hung the call",
                options.limit(),
                future.state()
            ),
        );
    }
    match future.try_result() {
        Some(outcome) => outcome,
        None => fail(check, &format!("{what} reported done but had no outcome")),
    }
}

/// Skips checks that need a pending call on executors that cannot have one or that are too
/// large to fill; otherwise the number of blocking calls that fills every worker.
pub(crate) fn blockers_needed<E: Executor + ?Sized>(
    executor: &E,
    options: &Options,
) -> Result<usize, Outcome> {
    if options.is_inline() {
        return Err(Outcome::Skipped(
            "the executor runs calls inline: no call is ever pending",
        ));
    }
    let workers = executor.max_workers();
    if workers > options.blocker_limit() {
        return Err(Outcome::Skipped(
            "max_workers() is above Options::max_blockers: the workers cannot all be blocked",
        ));
    }
    Ok(workers)
}

/// How long a blocking call waits for its gate at most: twice the kit's own limit, so that
/// the kit's checks (which wait at most the limit) always conclude first, and the bound only
/// keeps a worker from being blocked forever when a check failed.
pub(crate) fn blocker_wait_limit(options: &Options) -> Duration {
    options.limit().saturating_mul(2)
}

/// Waits until every one of `blockers` is running, failing the check if one finishes first
/// or they are not all started within the limit.
pub(crate) fn wait_running<T>(check: &str, options: &Options, blockers: &[Future<T>]) {
    let start = Instant::now();
    loop {
        let running = blockers
            .iter()
            .filter(|blocker| blocker.state() == State::Running)
            .count();
        if let Some(done) = blockers.iter().position(Future::is_done) {
            fail(
                check,
                &format!(
                    "blocking call {done} finished ({:?}) before its gate opened",
                    blockers[done].state()
                ),
            );
        }
        if running == blockers.len() {
            return;
        }
        if start.elapsed() > options.limit() {
            fail(
                check,
                &format!(
                    "only {running} of {} blocking calls (one per max_workers()) were running \
                     after {:?}: does max_workers() overstate how many calls run at once?",
                    blockers.len(),
                    options.limit()
                ),
            );
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// How long the kit lets an executor settle after submitting calls that must stay queued.
/// Never an assertion about speed: nothing can complete meanwhile (every worker is blocked);
/// it only gives an executor that hands queued calls to busy workers ahead of time (marking
/// them running, so they can no longer be cancelled) the time to do so, making that bug show
/// every time instead of once in a while.
pub(crate) const SETTLE: Duration = Duration::from_millis(20);

/// After [`SETTLE`], checks that every one of `queued` is still pending while all `workers`
/// are blocked.
pub(crate) fn expect_still_pending<T>(check: &str, workers: usize, queued: &[Future<T>]) {
    std::thread::sleep(SETTLE);
    for (i, future) in queued.iter().enumerate() {
        let state = future.state();
        ensure!(
            check,
            state == State::Pending,
            "queued call {i} is {state:?}, not pending, while all {workers} workers are blocked: \
             the executor handed it to a busy worker, so it can no longer be cancelled (the \
             contract: a call stays pending and cancellable until a worker actually takes it)"
        );
    }
}
