//! The conformance kit: Python's executor contract as a generic test suite that any backend
//! runs with one call.
//!
//! * [`job_executor`] / [`job_executor_with`], for the in-process level ([`JobExecutor`]):
//!   every check of [`in_process`];
//! * [`call_executor`] / [`call_executor_with`], for the portable level ([`CallExecutor`]):
//!   every check of [`portable`], whose calls are the plain functions of [`calls`];
//! * [`Options`], what the kit needs to know about the executor (does it run calls inline?);
//! * [`Report`], [`Entry`] and [`Outcome`], what a run concluded;
//! * [`Gate`], the latch the kit blocks workers on to keep a call pending.
//!
//! Each check builds on a fresh executor from the `make` closure, because some of them shut
//! it down. A check that fails panics with "conformance check `NAME` failed: WHAT"; the
//! runners run every check, then panic with the list of failures if there are any. Every wait
//! is bounded by [`Options::timeout`] (60 s by default), so a hung executor fails the run
//! instead of hanging it. The kit never measures speed.
//!
//! To keep a call pending, the kit fills every worker (`max_workers()` of them) with calls
//! that block on a gate, waits until all of them are running, and then submits the call it
//! needs pending. At the portable level the gate is a file that the blocking calls wait for
//! ([`calls::wait_for_file`]).
//!
//! # Examples
//!
//! A backend author's test, here with a tiny executor that runs each call on a new thread:
//!
//! ```
//! use cfut_core::{Executor, Job, JobExecutor, Shutdown};
//! use cfut_testing::conformance;
//! # use std::sync::Mutex;
//! # use std::sync::atomic::{AtomicBool, Ordering};
//! # use std::thread::JoinHandle;
//! # #[derive(Default)]
//! # struct ThreadPerCall { closed: AtomicBool, running: Mutex<Vec<JoinHandle<()>>> }
//! # impl Executor for ThreadPerCall {
//! #     fn max_workers(&self) -> usize { 4 }
//! #     fn shutdown(&self, how: Shutdown) {
//! #         self.closed.store(true, Ordering::SeqCst);
//! #         if how.waits() {
//! #             let threads = std::mem::take(&mut *self.running.lock().unwrap());
//! #             threads.into_iter().for_each(|t| t.join().unwrap());
//! #         }
//! #     }
//! # }
//! # impl JobExecutor for ThreadPerCall {
//! #     fn execute(&self, job: Job) {
//! #         if self.closed.load(Ordering::SeqCst) { return job.reject(cfut_core::Error::Shutdown); }
//! #         self.running.lock().unwrap().push(std::thread::spawn(move || job.run()));
//! #     }
//! # }
//! # impl Drop for ThreadPerCall { fn drop(&mut self) { self.shutdown(Shutdown::new()) } }
//! // ThreadPerCall starts a thread per call (hidden above); it has no queue, so the checks
//! // that need a pending call fail for it — run the ones that apply, one by one.
//! use conformance::{in_process, Options, Outcome};
//! let options = Options::new();
//! assert_eq!(in_process::submit_result(&ThreadPerCall::default(), &options), Outcome::Passed);
//! assert_eq!(in_process::panic_fails_only_its_future(&ThreadPerCall::default(), &options), Outcome::Passed);
//! assert_eq!(in_process::submit_after_shutdown(&ThreadPerCall::default(), &options), Outcome::Passed);
//! assert_eq!(in_process::drop_waits(ThreadPerCall::default(), &options), Outcome::Passed);
//! ```
//!
//! A complete executor runs the whole suite with one line (see the crate's README):
//!
//! ```
//! let report = cfut_testing::conformance::call_executor_with(
//!     &cfut_testing::conformance::Options::new().runs_inline(true),
//!     cfut_core::InlineExecutor::new,
//! );
//! assert_eq!(report.skipped().count(), 4);
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};

use cfut_core::{CallExecutor, JobExecutor};

pub mod calls;
pub mod combinators;
mod gate;
pub mod in_process;
mod options;
pub mod portable;
mod report;
mod support;

pub use gate::Gate;
pub use options::Options;
pub use report::{Entry, Outcome, Report};

/// A check by name, ready to run on its own fresh executor.
type NamedCheck<'a> = (&'static str, Box<dyn FnOnce() -> Outcome + 'a>);

/// Runs every check of `level`, collecting outcomes; panics with every failure at the end.
fn run(level: &'static str, options: &Options, checks: Vec<NamedCheck<'_>>) -> Report {
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    for (name, check) in checks {
        if let Some(reason) = options.deviation(name) {
            entries.push(Entry {
                name,
                outcome: Outcome::Skipped(reason),
            });
            continue;
        }
        match catch_unwind(AssertUnwindSafe(check)) {
            Ok(outcome) => entries.push(Entry { name, outcome }),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("<non-string panic payload>");
                failures.push(format!("  {name}: {message}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "conformance ({level}): {} of {} checks failed:\n{}",
        failures.len(),
        failures.len() + entries.len(),
        failures.join("\n")
    );
    Report::new(level, entries)
}

/// Runs every in-process check against fresh executors from `make`, with default
/// [`Options`].
///
/// # Panics
///
/// If any check fails: the message lists every failed check by name, with what went wrong.
///
/// # Examples
///
/// Executors whose `submit` runs the call at once must say so with [`job_executor_with`];
/// any other `JobExecutor` is one line. Here, a minimal single-thread executor with a FIFO
/// queue (hidden) passes every check:
///
/// ```
/// # use std::collections::VecDeque;
/// # use std::sync::{Arc, Condvar, Mutex};
/// # use cfut_core::{Error, Executor, Job, JobExecutor, Shutdown};
/// # #[derive(Default)]
/// # struct Queue { jobs: VecDeque<Job>, closed: bool }
/// # struct OneThread { shared: Arc<(Mutex<Queue>, Condvar)>, thread: Mutex<Option<std::thread::JoinHandle<()>>> }
/// # impl OneThread {
/// #     fn new() -> Self {
/// #         let shared = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
/// #         let worker = Arc::clone(&shared);
/// #         let thread = std::thread::spawn(move || loop {
/// #             let job = {
/// #                 let mut queue = worker.0.lock().unwrap();
/// #                 loop {
/// #                     if let Some(job) = queue.jobs.pop_front() { break job; }
/// #                     if queue.closed { return; }
/// #                     queue = worker.1.wait(queue).unwrap();
/// #                 }
/// #             };
/// #             job.run();
/// #         });
/// #         OneThread { shared, thread: Mutex::new(Some(thread)) }
/// #     }
/// # }
/// # impl Executor for OneThread {
/// #     fn max_workers(&self) -> usize { 1 }
/// #     fn shutdown(&self, how: Shutdown) {
/// #         let cancelled: Vec<Job> = {
/// #             let mut queue = self.shared.0.lock().unwrap();
/// #             queue.closed = true;
/// #             if how.cancels_pending() { queue.jobs.drain(..).collect() } else { Vec::new() }
/// #         };
/// #         self.shared.1.notify_all();
/// #         cancelled.into_iter().for_each(Job::cancel);
/// #         if how.waits() {
/// #             let thread = self.thread.lock().unwrap().take();
/// #             if let Some(thread) = thread { thread.join().unwrap(); }
/// #         }
/// #     }
/// # }
/// # impl JobExecutor for OneThread {
/// #     fn execute(&self, job: Job) {
/// #         let mut queue = self.shared.0.lock().unwrap();
/// #         if queue.closed { drop(queue); return job.reject(Error::Shutdown); }
/// #         queue.jobs.push_back(job);
/// #         drop(queue);
/// #         self.shared.1.notify_one();
/// #     }
/// # }
/// # impl Drop for OneThread { fn drop(&mut self) { self.shutdown(Shutdown::new()) } }
/// let report = cfut_testing::conformance::job_executor(OneThread::new);
/// assert_eq!(report.skipped().count(), 0, "{report}");
/// ```
pub fn job_executor<E, F>(make: F) -> Report
where
    E: JobExecutor,
    F: Fn() -> E,
{
    job_executor_with(&Options::new(), make)
}

/// Runs every in-process check against fresh executors from `make`, with `options`.
///
/// # Panics
///
/// If any check fails; see [`job_executor`].
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{self, Options};
///
/// let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
/// assert_eq!(report.skipped().count(), 5);
/// ```
pub fn job_executor_with<E, F>(options: &Options, make: F) -> Report
where
    E: JobExecutor,
    F: Fn() -> E,
{
    let make = &make;
    let checks: Vec<NamedCheck<'_>> = vec![
        (
            "max_workers",
            Box::new(move || in_process::max_workers(&make(), options)),
        ),
        (
            "submit_result",
            Box::new(move || in_process::submit_result(&make(), options)),
        ),
        (
            "submit_from_threads",
            Box::new(move || in_process::submit_from_threads(&make(), options)),
        ),
        (
            "await_result",
            Box::new(move || in_process::await_result(&make(), options)),
        ),
        (
            "dyn_job_executor",
            Box::new(move || in_process::dyn_job_executor(&make(), options)),
        ),
        (
            "panic_fails_only_its_future",
            Box::new(move || in_process::panic_fails_only_its_future(&make(), options)),
        ),
        (
            "done_callbacks",
            Box::new(move || in_process::done_callbacks(&make(), options)),
        ),
        (
            "cancel_before_start",
            Box::new(move || in_process::cancel_before_start(&make(), options)),
        ),
        (
            "shutdown_waits",
            Box::new(move || in_process::shutdown_waits(&make(), options)),
        ),
        (
            "shutdown_cancel_pending",
            Box::new(move || in_process::shutdown_cancel_pending(&make(), options)),
        ),
        (
            "shutdown_cancel_pending_and_wait",
            Box::new(move || in_process::shutdown_cancel_pending_and_wait(&make(), options)),
        ),
        (
            "shutdown_keeps_queued",
            Box::new(move || in_process::shutdown_keeps_queued(&make(), options)),
        ),
        (
            "submit_after_shutdown",
            Box::new(move || in_process::submit_after_shutdown(&make(), options)),
        ),
        (
            "map_in_order",
            Box::new(move || combinators::map_in_order(&make(), options)),
        ),
        (
            "map_drop_cancels",
            Box::new(move || combinators::map_drop_cancels(&make(), options)),
        ),
        (
            "as_completed_each_once",
            Box::new(move || combinators::as_completed_each_once(&make(), options)),
        ),
        (
            "wait_partitions",
            Box::new(move || combinators::wait_partitions(&make(), options)),
        ),
        (
            "drop_waits",
            Box::new(move || in_process::drop_waits(make(), options)),
        ),
    ];
    run("in-process", options, checks)
}

/// Runs every portable check against fresh executors from `make`, with default [`Options`].
///
/// For a process pool whose workers re-execute the test binary, do the pool's documented
/// set-up first (see `cfut-processes`).
///
/// # Panics
///
/// If any check fails: the message lists every failed check by name, with what went wrong.
///
/// # Examples
///
/// ```
/// # use cfut_core::{Executor, Job, JobExecutor, Shutdown};
/// # struct ThreadPerCall;
/// # impl Executor for ThreadPerCall { fn max_workers(&self) -> usize { 2 } fn shutdown(&self, _: Shutdown) {} }
/// # impl JobExecutor for ThreadPerCall { fn execute(&self, job: Job) { std::thread::spawn(move || job.run()); } }
/// // A thread per call and no shutdown at all (hidden above): the kit lists what is wrong.
/// let failure = std::panic::catch_unwind(|| cfut_testing::conformance::call_executor(|| ThreadPerCall))
///     .unwrap_err();
/// let message = failure.downcast_ref::<String>().unwrap();
/// assert!(message.contains("call_submit_after_shutdown:"), "{message}");
/// assert!(!message.contains("call_batch:"), "{message}");
/// ```
pub fn call_executor<E, F>(make: F) -> Report
where
    E: CallExecutor,
    F: Fn() -> E,
{
    call_executor_with(&Options::new(), make)
}

/// Runs every portable check against fresh executors from `make`, with `options`.
///
/// # Panics
///
/// If any check fails; see [`call_executor`].
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{self, Options};
///
/// let report = conformance::call_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
/// assert!(report.passed() >= 6, "{report}");
/// ```
pub fn call_executor_with<E, F>(options: &Options, make: F) -> Report
where
    E: CallExecutor,
    F: Fn() -> E,
{
    let make = &make;
    let checks: Vec<NamedCheck<'_>> = vec![
        (
            "call_submit_result",
            Box::new(move || portable::call_submit_result(&make(), options)),
        ),
        (
            "call_large_argument",
            Box::new(move || portable::call_large_argument(&make(), options)),
        ),
        (
            "call_panic_fails_only_its_future",
            Box::new(move || portable::call_panic_fails_only_its_future(&make(), options)),
        ),
        (
            "call_batch",
            Box::new(move || portable::call_batch(&make(), options)),
        ),
        (
            "call_cancel_before_start",
            Box::new(move || portable::call_cancel_before_start(&make(), options)),
        ),
        (
            "call_cancel_after_short_calls",
            Box::new(move || portable::call_cancel_after_short_calls(&make(), options)),
        ),
        (
            "call_shutdown_waits",
            Box::new(move || portable::call_shutdown_waits(&make(), options)),
        ),
        (
            "call_shutdown_cancel_pending",
            Box::new(move || portable::call_shutdown_cancel_pending(&make(), options)),
        ),
        (
            "call_shutdown_keeps_queued",
            Box::new(move || portable::call_shutdown_keeps_queued(&make(), options)),
        ),
        (
            "call_submit_after_shutdown",
            Box::new(move || portable::call_submit_after_shutdown(&make(), options)),
        ),
        (
            "call_map_in_order",
            Box::new(move || combinators::call_map_in_order(&make(), options)),
        ),
        (
            "call_as_completed_each_once",
            Box::new(move || combinators::call_as_completed_each_once(&make(), options)),
        ),
        (
            "call_wait_partitions",
            Box::new(move || combinators::call_wait_partitions(&make(), options)),
        ),
        (
            "call_drop_waits",
            Box::new(move || portable::call_drop_waits(make(), options)),
        ),
    ];
    run("portable", options, checks)
}
