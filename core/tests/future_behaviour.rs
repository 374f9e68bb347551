//! The behaviour DESIGN.md §2 promises of `Future`, `Promise`, `Job`, `Waiter`, the executor
//! traits and the wait helper, beyond CPython's own suite (see `future_cpython.rs`).

// The loom build (`--cfg cfut_loom`) swaps in model-only primitives and drops the timed
// APIs; these tests run against the real ones.
#![cfg(not(cfut_loom))]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cfut_core::{
    CallExecutor, ChunkResults, Error, Executor, Future, InlineExecutor, Job, JobExecutor,
    Shutdown, Spawn, State, WaitHelper, Waiter, install_wait_helper, promise,
};

/// Long enough never to fire on a correct implementation; short enough that a bug fails the
/// test instead of hanging it.
const GENEROUS: Duration = Duration::from_secs(30);
/// How long a helper thread waits before acting, so that the other side is (very likely)
/// already blocked. Correctness never depends on it.
const SHORT_DELAY: Duration = Duration::from_millis(20);

/// Runs `f` on its own thread and fails the test if it does not return within `GENEROUS`
/// (a deadlock becomes a failure, not a hang).
fn bounded<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    let runner = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(GENEROUS) {
        Ok(value) => {
            runner.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The closure panicked: re-raise its panic here.
            match runner.join() {
                Err(payload) => std::panic::resume_unwind(payload),
                Ok(()) => unreachable!("sent nothing but returned"),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still blocked after {GENEROUS:?}"),
    }
}

/// An append-only log shared with callbacks.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }

    fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------------------
// Done-callbacks
// ---------------------------------------------------------------------------------------

#[test]
fn callbacks_run_once_in_registration_order() {
    let (producer, future) = promise::<u32>();
    let log = Log::default();
    for name in ["first", "second", "third"] {
        let log = log.clone();
        future.add_done_callback(move |outcome| log.push(format!("{name}:{outcome:?}")));
    }
    assert!(log.entries().is_empty());
    assert!(producer.set_result(7));
    assert_eq!(
        log.entries(),
        ["first:Ok(7)", "second:Ok(7)", "third:Ok(7)"]
    );

    // Later registrations run at once, and the earlier ones never run again.
    let late = log.clone();
    future.add_done_callback(move |outcome| late.push(format!("late:{outcome:?}")));
    assert_eq!(
        log.entries(),
        ["first:Ok(7)", "second:Ok(7)", "third:Ok(7)", "late:Ok(7)"]
    );
    assert_eq!(future.result(), Ok(7));
}

#[test]
fn callbacks_run_on_the_completing_thread() {
    let (producer, future) = promise::<u32>();
    let ran_on = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&ran_on);
    future.add_done_callback(move |_| *sink.lock().unwrap() = Some(thread::current().id()));
    let completer = thread::spawn(move || {
        producer.set_result(1);
        thread::current().id()
    });
    let completer_id = completer.join().unwrap();
    assert_eq!(*ran_on.lock().unwrap(), Some(completer_id));
}

#[test]
fn panicking_callback_is_caught_and_the_rest_run() {
    let (producer, future) = promise::<u32>();
    let log = Log::default();
    let before = log.clone();
    future.add_done_callback(move |_| before.push("before"));
    future.add_done_callback(|_| panic!("callback failure"));
    let after = log.clone();
    future.add_done_callback(move |_| after.push("after"));
    // The completion itself does not unwind.
    assert!(producer.set_result(1));
    assert_eq!(log.entries(), ["before", "after"]);
    assert!(future.is_done());
    assert_eq!(future.result(), Ok(1));
}

#[test]
fn callback_after_the_value_was_taken_sees_consumed() {
    let (producer, mut future) = promise::<u32>();
    producer.set_result(3);
    assert_eq!(future.try_result(), Some(Ok(3)));
    let log = Log::default();
    let sink = log.clone();
    future.add_done_callback(move |outcome| sink.push(format!("{outcome:?}")));
    assert_eq!(log.entries(), ["Err(Consumed)"]);
}

/// A callback registered by another callback's side (through a shared handle) while the
/// resolver is running callbacks still runs exactly once, after the ones before it.
#[test]
fn callback_registered_during_callbacks_runs_once_after_them() {
    let (producer, future) = promise::<u32>();
    let future = Arc::new(future);
    let log = Log::default();
    let (in_callback_tx, in_callback_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = log.clone();
    future.add_done_callback(move |_| {
        first.push("first");
        in_callback_tx.send(()).unwrap();
        release_rx.recv_timeout(GENEROUS).unwrap();
    });
    let completer = thread::spawn(move || producer.set_result(1));
    in_callback_rx.recv_timeout(GENEROUS).unwrap();
    // The resolver is inside the first callback: register another one now.
    let second = log.clone();
    future.add_done_callback(move |_| second.push("second"));
    release_tx.send(()).unwrap();
    assert!(completer.join().unwrap());
    assert_eq!(log.entries(), ["first", "second"]);
    assert!(future.wait_timeout(GENEROUS));
}

// ---------------------------------------------------------------------------------------
// Nothing lost: abandoned promises and jobs
// ---------------------------------------------------------------------------------------

#[test]
fn dropped_promise_wakes_a_blocked_waiter_with_abandoned() {
    let outcome = bounded("result() after the promise was dropped", || {
        let (producer, future) = promise::<u32>();
        let dropper = thread::spawn(move || {
            thread::sleep(SHORT_DELAY);
            drop(producer);
        });
        let outcome = future.result();
        dropper.join().unwrap();
        outcome
    });
    assert_eq!(outcome, Err(Error::Abandoned));
}

#[test]
fn dropped_running_promise_completes_with_abandoned() {
    let (producer, future) = promise::<u32>();
    assert!(producer.set_running_or_notify_cancel());
    drop(producer);
    assert_eq!(future.state(), State::Failed);
    assert_eq!(future.result(), Err(Error::Abandoned));
}

#[test]
fn dropped_promise_of_a_cancelled_future_stays_cancelled() {
    let (producer, future) = promise::<u32>();
    assert!(future.cancel());
    drop(producer);
    assert_eq!(future.result(), Err(Error::Cancelled));
}

#[test]
fn job_dropped_unrun_completes_with_abandoned_and_drops_the_call() {
    let drops = Arc::new(AtomicUsize::new(0));
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let guard = Guard(Arc::clone(&drops));
    let (producer, future) = promise::<u32>();
    let job = Job::with_promise(producer, move || {
        let _keep = &guard;
        1
    });
    assert!(!future.is_done());
    drop(job);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the captured call is dropped"
    );
    assert_eq!(future.result(), Err(Error::Abandoned));
}

#[test]
fn job_actions_complete_the_future() {
    let (producer, future) = promise::<u32>();
    Job::with_promise(producer, || 5).run();
    assert_eq!(future.result(), Ok(5));

    let (producer, future) = promise::<u32>();
    Job::with_promise(producer, || unreachable!("a cancelled job never runs")).cancel();
    assert_eq!(future.state(), State::Cancelled);

    let (producer, future) = promise::<u32>();
    Job::with_promise(producer, || unreachable!("a rejected job never runs"))
        .reject(Error::Shutdown);
    assert_eq!(future.result(), Err(Error::Shutdown));

    // A job whose future the user cancelled first does not run its call.
    let (producer, future) = promise::<u32>();
    assert!(future.cancel());
    Job::with_promise(producer, || unreachable!("cancelled by the user")).run();
    assert_eq!(future.result(), Err(Error::Cancelled));

    // A panic inside a promise job fails only its future, with the message.
    let (producer, future) = promise::<u32>();
    Job::with_promise(producer, || panic!("job failure")).run();
    assert!(
        matches!(future.result(), Err(Error::Panicked { message, .. }) if message == "job failure")
    );
}

// ---------------------------------------------------------------------------------------
// Timed waits
// ---------------------------------------------------------------------------------------

#[test]
fn result_timeout_leaves_the_future_usable() {
    let (producer, mut future) = promise::<String>();
    assert_eq!(
        future.result_timeout(Duration::from_millis(10)),
        Err(Error::TimedOut)
    );
    assert!(!future.wait_timeout(Duration::from_millis(10)));
    assert_eq!(future.state(), State::Pending);
    // Still cancellable... but not cancelled: let a producer finish it instead.
    let setter = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.set_result("late".to_owned())
    });
    assert_eq!(future.result_timeout(GENEROUS).as_deref(), Ok("late"));
    assert!(setter.join().unwrap());
}

#[test]
fn timed_out_future_can_still_be_cancelled() {
    let (producer, mut future) = promise::<u32>();
    assert_eq!(future.result_timeout(Duration::ZERO), Err(Error::TimedOut));
    assert!(future.cancel());
    assert!(!producer.set_running_or_notify_cancel());
    assert_eq!(future.result_timeout(Duration::ZERO), Err(Error::Cancelled));
}

#[test]
fn huge_timeout_is_an_unbounded_wait() {
    let (producer, mut future) = promise::<u32>();
    let setter = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.set_result(9)
    });
    let outcome = bounded("result_timeout(Duration::MAX)", move || {
        future.result_timeout(Duration::MAX)
    });
    assert_eq!(outcome, Ok(9));
    assert!(setter.join().unwrap());
}

// ---------------------------------------------------------------------------------------
// No busy waiting
// ---------------------------------------------------------------------------------------

/// CPU time (user + system) consumed so far by the calling thread.
///
/// Per thread rather than per process: the test harness runs other tests on other threads of
/// this process at the same time, and their CPU must not count against the blocked thread.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`; CLOCK_THREAD_CPUTIME_ID is supported on
    // every Linux this crate targets.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(
        u64::try_from(now.tv_sec).unwrap(),
        u32::try_from(now.tv_nsec).unwrap(),
    )
}

/// Runs `block` (which must block until about `BLOCKED_FOR` has passed) and returns the wall
/// time it took and the CPU time this thread spent in it.
fn measure_blocked(block: impl FnOnce()) -> (Duration, Duration) {
    let cpu_before = thread_cpu_time();
    let wall_before = Instant::now();
    block();
    (wall_before.elapsed(), thread_cpu_time() - cpu_before)
}

const BLOCKED_FOR: Duration = Duration::from_millis(200);

/// A resource assertion, not a timing one: a thread that sleeps while blocked spends a tiny
/// fraction of the wall time on the CPU; a spinning one spends most of it (at least half,
/// even on a loaded two-core machine). The margin is a factor of four.
fn assert_did_not_spin(what: &str, (wall, cpu): (Duration, Duration)) {
    println!("{what}: blocked for {wall:?}, used {cpu:?} of CPU");
    assert!(
        cpu * 4 < wall,
        "{what}: blocked for {wall:?} but used {cpu:?} of CPU"
    );
}

#[test]
fn blocked_result_uses_no_cpu() {
    let (producer, future) = promise::<u32>();
    let setter = thread::spawn(move || {
        thread::sleep(BLOCKED_FOR);
        producer.set_result(1)
    });
    let mut outcome = None;
    let measured = measure_blocked(|| outcome = Some(future.result()));
    assert_eq!(outcome, Some(Ok(1)));
    assert!(setter.join().unwrap());
    assert_did_not_spin("result()", measured);
}

#[test]
fn blocked_wait_timeout_uses_no_cpu() {
    let (_producer, future) = promise::<u32>();
    let measured = measure_blocked(|| assert!(!future.wait_timeout(BLOCKED_FOR)));
    assert!(measured.0 >= BLOCKED_FOR, "returned before the deadline");
    assert_did_not_spin("wait_timeout()", measured);
}

#[test]
fn blocked_waiter_uses_no_cpu() {
    let (producer, future) = promise::<u32>();
    let waiter = Waiter::new();
    future.watch(&waiter, 5);
    let setter = thread::spawn(move || {
        thread::sleep(BLOCKED_FOR);
        producer.set_result(1)
    });
    let mut ready = Vec::new();
    let measured = measure_blocked(|| waiter.wait_into(&mut ready));
    assert_eq!(ready, [5]);
    assert!(setter.join().unwrap());
    assert_did_not_spin("Waiter::wait_into()", measured);
}

/// The spin before a blocking wait is bounded: a caller that waits one second spends at most
/// 20 ms of CPU — a spin of about 50 µs, a sleep, a wake-up — where an unbounded spin would
/// spend most of the second. (On a loaded machine a wake-up may cost more, hence the margin.)
#[test]
fn a_long_wait_spins_at_most_briefly() {
    const WAIT: Duration = Duration::from_secs(1);
    for (what, waits_on_many) in [("result()", false), ("Waiter::wait_into()", true)] {
        let (producer, future) = promise::<u32>();
        let waiter = Waiter::new();
        future.watch(&waiter, 0);
        let setter = thread::spawn(move || {
            thread::sleep(WAIT);
            producer.set_result(1)
        });
        let (wall, cpu) = measure_blocked(|| {
            if waits_on_many {
                waiter.wait_into(&mut Vec::new());
            } else {
                assert_eq!(future.result(), Ok(1));
            }
        });
        assert!(setter.join().unwrap());
        println!("{what}: waited {wall:?}, used {cpu:?} of CPU");
        assert!(
            cpu < Duration::from_millis(20),
            "{what}: waited {wall:?} and used {cpu:?} of CPU"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The any-of-N waiter
// ---------------------------------------------------------------------------------------

#[test]
fn waiter_tokens_arrive_in_completion_order() {
    let (promises, futures): (Vec<_>, Vec<_>) = (0..4).map(|_| promise::<usize>()).unzip();
    let waiter = Waiter::new();
    for (token, future) in futures.iter().enumerate() {
        future.watch(&waiter, token);
    }
    let mut ready = Vec::new();
    assert!(!waiter.try_wait_into(&mut ready));

    // Complete in the order 2, 0, 3, 1 (a cancellation counts as a completion).
    let mut promises: Vec<_> = promises.into_iter().map(Some).collect();
    promises[2].take().unwrap().set_result(2);
    promises[0].take().unwrap().set_error(Error::Shutdown);
    assert!(futures[3].cancel());
    drop(promises[1].take()); // abandoned
    drop(promises);

    waiter.wait_into(&mut ready);
    assert_eq!(ready, [2, 0, 3, 1]);
    // Each token exactly once.
    assert!(!waiter.try_wait_into(&mut ready));
    assert_eq!(ready.len(), 4);
}

#[test]
fn waiter_wakes_on_completion_from_another_thread() {
    let (first, f1) = promise::<u32>();
    let (second, f2) = promise::<u32>();
    let waiter = Waiter::new();
    f1.watch(&waiter, 1);
    f2.watch(&waiter, 2);
    let ready = bounded("Waiter::wait_into", move || {
        let setter = thread::spawn(move || {
            thread::sleep(SHORT_DELAY);
            second.set_result(20)
        });
        let mut ready = Vec::new();
        waiter.wait_into(&mut ready);
        assert!(setter.join().unwrap());
        drop(first);
        ready
    });
    assert_eq!(ready, [2]);
}

#[test]
fn watch_on_a_done_future_delivers_at_once() {
    let waiter = Waiter::new();
    let mut ready = Vec::new();
    Future::from_result(Ok(1)).watch(&waiter, 10);
    Future::<u8>::from_result(Err(Error::Cancelled)).watch(&waiter, 11);
    let (producer, finished) = promise::<u8>();
    producer.set_result(0);
    finished.watch(&waiter, 12);
    assert!(waiter.try_wait_into(&mut ready));
    assert_eq!(ready, [10, 11, 12]);
}

#[test]
fn unwatch_removes_the_registration() {
    let (p1, f1) = promise::<u32>();
    let (p2, f2) = promise::<u32>();
    let waiter = Waiter::new();
    f1.watch(&waiter, 1);
    f2.watch(&waiter, 2);
    f1.unwatch(&waiter);
    p1.set_result(1);
    let mut ready = Vec::new();
    assert!(!waiter.try_wait_into(&mut ready));
    p2.set_result(2);
    assert!(waiter.try_wait_into(&mut ready));
    assert_eq!(ready, [2]);
}

#[test]
fn unwatch_removes_only_that_waiter() {
    let (producer, future) = promise::<u32>();
    let kept = Waiter::new();
    let removed = Waiter::new();
    future.watch(&kept, 1);
    future.watch(&removed, 2);
    future.unwatch(&removed);
    producer.set_result(0);
    let mut ready = Vec::new();
    assert!(kept.try_wait_into(&mut ready));
    assert_eq!(ready, [1]);
    assert!(!removed.try_wait_into(&mut ready));
}

/// The first registration is kept inline and the others in a side list: removing the inline
/// one, registering again, a waiter twice and a callback in between must all still deliver
/// each remaining token exactly once.
#[test]
fn many_watchers_and_callbacks_on_one_future() {
    let (producer, future) = promise::<u32>();
    let first = Waiter::new();
    let second = Waiter::new();
    let third = Waiter::new();
    future.watch(&first, 1);
    future.watch(&second, 2);
    future.watch(&third, 3);
    future.watch(&second, 22);
    future.unwatch(&first);
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = std::sync::Arc::clone(&seen);
    future.add_done_callback(move |outcome| {
        counter.store(*outcome.unwrap(), std::sync::atomic::Ordering::SeqCst);
    });
    future.watch(&first, 11);
    producer.set_result(7);
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 7);
    let mut ready = Vec::new();
    assert!(first.try_wait_into(&mut ready));
    assert_eq!(ready, [11]);
    ready.clear();
    assert!(second.try_wait_into(&mut ready));
    ready.sort_unstable();
    assert_eq!(ready, [2, 22]);
    ready.clear();
    assert!(third.try_wait_into(&mut ready));
    assert_eq!(ready, [3]);
    assert_eq!(future.result(), Ok(7));
}

#[test]
fn waiter_deadline_passes_without_tokens() {
    let (_producer, future) = promise::<u32>();
    let waiter = Waiter::new();
    future.watch(&waiter, 0);
    let mut ready = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(20);
    assert!(!waiter.wait_deadline_into(&mut ready, deadline));
    assert!(ready.is_empty());
    assert!(Instant::now() >= deadline);
}

#[test]
fn waiter_deadline_returns_the_token_when_completed_in_time() {
    let (producer, future) = promise::<u32>();
    let waiter = Waiter::new();
    future.watch(&waiter, 4);
    let setter = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.set_result(1)
    });
    let mut ready = Vec::new();
    assert!(waiter.wait_deadline_into(&mut ready, Instant::now() + GENEROUS));
    assert_eq!(ready, [4]);
    assert!(setter.join().unwrap());
}

// ---------------------------------------------------------------------------------------
// Executors
// ---------------------------------------------------------------------------------------

#[test]
fn inline_submit_runs_on_the_caller_thread() {
    let executor = InlineExecutor::new();
    let caller = thread::current().id();
    let future = executor.spawn(move || thread::current().id());
    assert!(future.is_done(), "inline futures are done on return");
    assert_eq!(future.result(), Ok(caller));
}

#[test]
fn submit_through_dyn_job_executor() {
    let inline = InlineExecutor::new();
    let executor: &dyn JobExecutor = &inline;
    assert_eq!(executor.spawn(|| "dyn").result(), Ok("dyn"));
    let failing = executor.spawn(|| -> u8 { panic!("dyn failure") });
    assert!(
        matches!(failing.result(), Err(Error::Panicked { message, .. }) if message == "dyn failure")
    );
    // A call's own `Result` is never confused with the executor's.
    let own_error = executor.spawn(|| -> Result<u8, String> { Err("mine".to_owned()) });
    assert_eq!(own_error.result(), Ok(Err("mine".to_owned())));
}

#[test]
fn panic_fails_only_its_own_future() {
    let executor = InlineExecutor::new();
    let bad = executor.spawn(|| -> u32 { panic!("only me {}", 1) });
    let good = executor.spawn(|| 2);
    assert!(matches!(bad.result(), Err(Error::Panicked { message, .. }) if message == "only me 1"));
    assert_eq!(good.result(), Ok(2));
}

fn invert(x: i32) -> i32 {
    100 / x
}

#[test]
fn call_executor_submit_call_and_batch() {
    let executor = InlineExecutor::new();
    assert_eq!(executor.submit_call(invert, 4).result(), Ok(25));
    assert!(matches!(
        executor.submit_call(invert, 0).result(),
        Err(Error::Panicked { .. })
    ));

    let results = executor
        .submit_batch(invert, vec![1, 0, 4, 0, 5])
        .result()
        .and_then(ChunkResults::decode)
        .unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0], Ok(100));
    assert!(matches!(results[1], Err(Error::Panicked { .. })));
    assert_eq!(results[2], Ok(25));
    assert!(matches!(results[3], Err(Error::Panicked { .. })));
    assert_eq!(results[4], Ok(20));

    assert_eq!(
        executor
            .submit_batch(invert, Vec::new())
            .result()
            .and_then(ChunkResults::decode),
        Ok(Vec::new())
    );
}

#[test]
fn shutdown_fails_later_submissions() {
    let executor = InlineExecutor::new();
    assert_eq!(executor.spawn(|| 1).result(), Ok(1));
    executor.shutdown(Shutdown::new());
    assert_eq!(executor.spawn(|| 1).result(), Err(Error::Shutdown));
    assert_eq!(
        executor.submit_call(invert, 1).result(),
        Err(Error::Shutdown)
    );
    assert_eq!(
        executor
            .submit_batch(invert, vec![1])
            .result()
            .and_then(ChunkResults::decode),
        Err(Error::Shutdown)
    );
    // Again, with other options: harmless.
    executor.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    assert_eq!(executor.spawn(|| 1).result(), Err(Error::Shutdown));
    let as_dyn: &dyn Executor = &executor;
    assert_eq!(as_dyn.max_workers(), 1);
}

#[test]
fn shutdown_does_not_run_the_rejected_call() {
    let executor = InlineExecutor::new();
    executor.shutdown(Shutdown::new());
    let ran = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&ran);
    let future = executor.spawn(move || flag.fetch_add(1, Ordering::SeqCst));
    assert_eq!(future.result(), Err(Error::Shutdown));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// A backend that queues jobs and lets the test decide what becomes of them.
#[derive(Default)]
struct Queue(Mutex<VecDeque<Job>>);

impl Executor for Queue {
    fn max_workers(&self) -> usize {
        1
    }
    fn shutdown(&self, how: Shutdown) {
        let drained: Vec<Job> = self.0.lock().unwrap().drain(..).collect();
        for job in drained {
            if how.cancels_pending() {
                job.cancel();
            } else {
                job.run();
            }
        }
    }
}

impl JobExecutor for Queue {
    fn execute(&self, job: Job) {
        self.0.lock().unwrap().push_back(job);
    }
}

#[test]
fn careless_executor_cannot_leave_a_future_pending() {
    let queue = Queue::default();
    let future = queue.spawn(|| 1);
    assert_eq!(future.state(), State::Pending);
    queue.0.lock().unwrap().clear(); // drops the job unrun
    assert_eq!(future.result(), Err(Error::Abandoned));
}

#[test]
fn cancelling_shutdown_cancels_queued_futures() {
    let queue = Queue::default();
    let futures: Vec<_> = (0..3).map(|i| queue.spawn(move || i)).collect();
    let waiter = Waiter::new();
    for (token, future) in futures.iter().enumerate() {
        future.watch(&waiter, token);
    }
    queue.shutdown(Shutdown::new().cancel_pending(true));
    let mut ready = Vec::new();
    assert!(
        waiter.try_wait_into(&mut ready),
        "cancelled futures are done for waiters"
    );
    assert_eq!(ready, [0, 1, 2]);
    for future in futures {
        assert_eq!(future.result(), Err(Error::Cancelled));
    }
}

// ---------------------------------------------------------------------------------------
// Work while waiting
// ---------------------------------------------------------------------------------------

/// A one-thread "pool": queued jobs run only when a blocked waiter on this thread helps.
struct LocalQueue {
    jobs: RefCell<VecDeque<Job>>,
    depth: RefCell<usize>,
    max_depth: RefCell<usize>,
}

impl LocalQueue {
    fn new() -> Rc<Self> {
        Rc::new(LocalQueue {
            jobs: RefCell::new(VecDeque::new()),
            depth: RefCell::new(0),
            max_depth: RefCell::new(0),
        })
    }
}

impl WaitHelper for LocalQueue {
    fn help_while(&self, pending: &dyn Fn() -> bool) {
        *self.depth.borrow_mut() += 1;
        let depth = *self.depth.borrow();
        let deepest = (*self.max_depth.borrow()).max(depth);
        *self.max_depth.borrow_mut() = deepest;
        while pending() {
            // The borrow ends before the job runs: a helped job may wait and re-enter.
            let Some(job) = self.jobs.borrow_mut().pop_front() else {
                break;
            };
            job.run();
        }
        *self.depth.borrow_mut() -= 1;
    }
}

#[test]
fn wait_helper_runs_queued_work_and_reenters() {
    let (outcome, max_depth) = bounded("a helped wait", || {
        let helper = LocalQueue::new();
        // Queue: the parent, which waits for the child; then the child.
        let (parent_promise, parent) = promise::<u32>();
        let (child_promise, child) = promise::<u32>();
        helper
            .jobs
            .borrow_mut()
            .push_back(Job::with_promise(parent_promise, move || {
                // Blocks in `result`: the helper (re-entered) must run the child.
                child.result().unwrap() + 1
            }));
        helper
            .jobs
            .borrow_mut()
            .push_back(Job::with_promise(child_promise, || 41));
        let _guard = install_wait_helper(helper.clone());
        let outcome = parent.result();
        let max_depth = *helper.max_depth.borrow();
        (outcome, max_depth)
    });
    assert_eq!(outcome, Ok(42));
    assert_eq!(
        max_depth, 2,
        "the helped parent's wait re-entered the helper"
    );
}

#[test]
fn wait_helper_guard_restores_the_previous_helper() {
    bounded("helper guard", || {
        let outer = LocalQueue::new();
        let inner = LocalQueue::new();
        let _outer_guard = install_wait_helper(outer.clone());
        {
            let _inner_guard = install_wait_helper(inner.clone());
        }
        let (producer, future) = promise::<u32>();
        outer
            .jobs
            .borrow_mut()
            .push_back(Job::with_promise(producer, || 5));
        assert_eq!(future.result(), Ok(5), "the outer helper is back in place");
        assert_eq!(*inner.max_depth.borrow(), 0);
        assert_eq!(*outer.max_depth.borrow(), 1);
    });
}

#[test]
fn timed_waits_never_help() {
    bounded("timed wait with a helper", || {
        let helper = LocalQueue::new();
        let (producer, mut future) = promise::<u32>();
        helper
            .jobs
            .borrow_mut()
            .push_back(Job::with_promise(producer, || 5));
        let _guard = install_wait_helper(helper.clone());
        assert_eq!(
            future.result_timeout(Duration::from_millis(5)),
            Err(Error::TimedOut)
        );
        assert!(!future.wait_timeout(Duration::from_millis(5)));
        assert_eq!(*helper.max_depth.borrow(), 0);
        // Untimed: the helper runs it.
        assert_eq!(future.result(), Ok(5));
    });
}

#[test]
fn helper_is_not_consulted_for_a_done_future() {
    bounded("done future with a helper", || {
        let helper = LocalQueue::new();
        let _guard = install_wait_helper(helper.clone());
        assert_eq!(Future::from_result(Ok(1)).result(), Ok(1));
        assert_eq!(*helper.max_depth.borrow(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Regression tests of issues found while writing these tests (issue 2), each fixed in core.
// ---------------------------------------------------------------------------------------

/// While a cancellation runs its done-callbacks, the future is already cancelled (it once
/// reported `Running` there, although the call never started).
#[test]
fn state_during_cancel_callbacks_is_not_running() {
    let (_producer, future) = promise::<u32>();
    let future = Arc::new(future);
    let (in_callback_tx, in_callback_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    future.add_done_callback(move |_| {
        in_callback_tx.send(()).unwrap();
        release_rx.recv_timeout(GENEROUS).unwrap();
    });
    let canceller = {
        let future = Arc::clone(&future);
        thread::spawn(move || future.cancel())
    };
    in_callback_rx.recv_timeout(GENEROUS).unwrap();
    let during = (future.state(), future.is_running());
    release_tx.send(()).unwrap();
    assert!(canceller.join().unwrap());
    assert_ne!(during.0, State::Running, "a cancelled call never ran");
    assert!(!during.1);
}

/// A cancellation error is a cancellation however it arrives: `set_error(Error::Cancelled)`
/// and `from_result(Err(Error::Cancelled))` give the same state (they once differed).
#[test]
fn set_error_cancelled_matches_from_result() {
    let (producer, future) = promise::<u32>();
    producer.set_error(Error::Cancelled);
    assert_eq!(
        future.state(),
        Future::<u32>::from_result(Err(Error::Cancelled)).state()
    );
}

/// Two threads blocked on one `Waiter` are both woken (regression: a boolean "sleeping" flag,
/// cleared by the first thread to wake, once made `notify` skip the second sleeper, which then
/// returned only at its deadline — or never, with `wait_into`).
#[test]
fn waiter_shared_by_two_threads_wakes_both() {
    let (first, f1) = promise::<u32>();
    let (second, f2) = promise::<u32>();
    let waiter = Arc::new(Waiter::new());
    f1.watch(&waiter, 1);
    f2.watch(&waiter, 2);
    // Far longer than the two short delays below; a lost wake-up shows as reaching it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let blocked: Vec<_> = (0..2)
        .map(|_| {
            let waiter = Arc::clone(&waiter);
            thread::spawn(move || {
                let mut ready = Vec::new();
                let woken = waiter.wait_deadline_into(&mut ready, deadline);
                (woken, Instant::now() < deadline)
            })
        })
        .collect();
    thread::sleep(SHORT_DELAY);
    first.set_result(1);
    thread::sleep(SHORT_DELAY);
    second.set_result(2);
    for thread in blocked {
        let (woken, before_deadline) = thread.join().unwrap();
        assert!(
            woken && before_deadline,
            "a thread was woken only by its deadline"
        );
    }
}

/// Inside its own done-callback a future is done, so a callback that waits on its own future
/// (CPython's usual `f.result()` in a callback, or a `wait` over a set that includes it)
/// returns at once (regression: "done" was once published only after every callback ran, and
/// such a callback blocked forever).
#[test]
fn future_is_done_inside_its_own_callback() {
    let (producer, future) = promise::<u32>();
    let future = Arc::new(future);
    let seen = Arc::new(Mutex::new(None));
    let itself = Arc::clone(&future);
    let sink = Arc::clone(&seen);
    future.add_done_callback(move |_| {
        let done = itself.is_done();
        let waited = itself.wait_timeout(Duration::from_millis(50));
        *sink.lock().unwrap() = Some((done, waited));
    });
    assert!(producer.set_result(1));
    assert_eq!(*seen.lock().unwrap(), Some((true, true)));
}
