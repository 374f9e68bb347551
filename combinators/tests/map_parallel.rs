//! `map`'s automatic grouping never costs parallelism or latency (issue 11): calls that must
//! run side by side do, and a finished call's result is never held behind another element's
//! unfinished call. No clock decides anything: barriers and gates do; a watchdog only turns
//! a hang into a failure with a message.
#![cfg(not(cfut_loom))]

use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::Duration;

use cfut_combinators::{MapError, MapExt};
use cfut_core::{Executor, Job, JobExecutor, Shutdown};
use cfut_threads::ThreadPoolExecutor;

/// How long the watchdog lets a test run before calling it a hang.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Instant calls before the interesting ones: enough for automatic grouping to reach its
/// largest groups (it doubles the group on each timing of tiny calls).
const PREFIX: usize = 20_000;
/// A shorter prefix for the test repeated 100 times; still enough for groups of 256.
const SHORT_PREFIX: usize = 5_000;

/// Runs `test` on its own thread and fails with `hang` if it does not finish within
/// [`WATCHDOG`] (the stuck thread is left behind; the test binary exits anyway).
fn watchdog<R: Send + 'static>(hang: &str, test: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || done.send(test()));
    match finished.recv_timeout(WATCHDOG) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{hang} (no result after {WATCHDOG:?})"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test thread panicked"),
    }
}

/// A thread pool that counts the jobs it is given: proof that the map did group.
struct Counting {
    pool: ThreadPoolExecutor,
    jobs: std::sync::atomic::AtomicUsize,
}

impl Counting {
    fn new(workers: usize) -> Self {
        Counting {
            pool: ThreadPoolExecutor::new(workers).unwrap(),
            jobs: Default::default(),
        }
    }

    fn jobs(&self) -> usize {
        self.jobs.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Executor for Counting {
    fn max_workers(&self) -> usize {
        self.pool.max_workers()
    }
    fn shutdown(&self, how: Shutdown) {
        Executor::shutdown(&self.pool, how);
    }
}

impl JobExecutor for Counting {
    fn execute(&self, job: Job) {
        self.jobs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.pool.execute(job);
    }
}

/// A one-shot gate: `open` releases every waiter.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let open = self.0.0.lock().unwrap();
        drop(self.0.1.wait_while(open, |open| !*open).unwrap());
    }
}

/// (a) Past a prefix of instant calls, one call per worker, each waiting on a barrier sized
/// to the pool's workers: the map completes only if all of them run side by side. A group
/// run by one job, call after call, hangs here (the first design did: its last group held
/// several of them).
#[test]
fn calls_past_a_fast_prefix_run_side_by_side() {
    const WORKERS: usize = 4;
    /// Rounds of the barrier; one is the strictest (with more, groups that happen to
    /// split the calls evenly over the workers would meet in lockstep).
    const MEETINGS: usize = 1;
    let (out, jobs) = watchdog(
        "the map hung: calls that had to run side by side waited inside a group",
        || {
            let executor = Counting::new(WORKERS);
            let barrier = Arc::new(Barrier::new(WORKERS));
            let out: Vec<usize> = executor
                .map(
                    move |i: usize| {
                        if i >= PREFIX {
                            barrier.wait();
                        }
                        i
                    },
                    0..PREFIX + MEETINGS * WORKERS,
                )
                .map(Result::unwrap)
                .collect();
            (out, executor.jobs())
        },
    );
    assert_eq!(out, (0..PREFIX + MEETINGS * WORKERS).collect::<Vec<_>>());
    let calls = PREFIX + MEETINGS * WORKERS;
    assert!(
        jobs < calls,
        "the calls were grouped: {jobs} jobs for {calls} calls"
    );
}

/// (b) The seed's deadline case `[0 s, 0 s, 3 s]` with a 1 s deadline, after a prefix that
/// makes the three calls share a group; the third call waits on a gate instead of sleeping,
/// and the gate opens only after the map is done with. The two instant calls are always
/// yielded as `Ok` (they do not wait for the third), and in the first repetition the third
/// yields the deadline and ends the map.
#[test]
fn done_elements_are_yielded_before_the_deadline_whatever_their_group() {
    watchdog("the deadline test hung", || {
        let executor = Counting::new(2);
        for repetition in 0..100 {
            let gate = Gate::default();
            let slow = gate.clone();
            let mut map = executor
                .map(
                    move |i: usize| {
                        if i == SHORT_PREFIX + 2 {
                            slow.wait();
                        }
                        i
                    },
                    0..SHORT_PREFIX + 3,
                )
                .timeout(Duration::from_secs(1));
            for i in 0..SHORT_PREFIX + 2 {
                assert_eq!(
                    map.next(),
                    Some(Ok(i)),
                    "repetition {repetition}: element {i} was done, and is yielded"
                );
            }
            if repetition == 0 {
                assert_eq!(map.next(), Some(Err(MapError::Deadline)));
                assert_eq!(map.next(), None, "the deadline ends the map");
            }
            drop(map);
            gate.open();
        }
        // Whether a repetition groups depends on when the first timings arrive; over 100 of
        // them, most do.
        let (jobs, calls) = (executor.jobs(), 100 * (SHORT_PREFIX + 3));
        assert!(
            jobs < calls,
            "the calls were grouped: {jobs} jobs for {calls} calls"
        );
    });
}

/// Dropping a map while one of its group runners is blocked inside a call: the runner goes
/// on when released (skipping the calls the drop cancelled), and the pool shuts down cleanly.
#[test]
fn dropping_a_grouped_map_while_a_runner_is_blocked() {
    watchdog("shutdown hung after dropping a grouped map", || {
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&ran);
        let executor = Counting::new(2);
        let gate = Gate::default();
        let slow = gate.clone();
        let mut map = executor.map(
            move |i: usize| {
                if i == PREFIX {
                    slow.wait();
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                i
            },
            0..PREFIX * 2,
        );
        for i in 0..PREFIX {
            assert_eq!(map.next(), Some(Ok(i)));
        }
        drop(map);
        gate.open();
        executor.shutdown(Shutdown::new());
        let ran = ran.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            ran > PREFIX,
            "{ran} calls ran: at least the prefix and the gated call"
        );
    });
}
