//! Test executors for the combinators' tests: the crate never names a backend, so its tests
//! use these small ones (and the core's `InlineExecutor`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use cfut_core::{Error, Executor, Future, Job, JobExecutor, Shutdown, State, promise};

/// How long a test may wait for something that should happen at once before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// Runs every call on a new thread; `shutdown` with waiting joins them.
#[derive(Debug)]
pub(crate) struct ThreadPerCall {
    workers: usize,
    shut_down: AtomicBool,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl ThreadPerCall {
    pub(crate) fn new(workers: usize) -> Self {
        ThreadPerCall {
            workers,
            shut_down: AtomicBool::new(false),
            handles: Mutex::new(Vec::new()),
        }
    }
}

impl Executor for ThreadPerCall {
    fn max_workers(&self) -> usize {
        self.workers
    }

    fn shutdown(&self, how: Shutdown) {
        self.shut_down.store(true, Ordering::SeqCst);
        if how.waits() {
            let handles = std::mem::take(&mut *self.handles.lock().unwrap());
            for handle in handles {
                handle.join().unwrap();
            }
        }
    }
}

impl JobExecutor for ThreadPerCall {
    fn execute(&self, job: Job) {
        if self.shut_down.load(Ordering::SeqCst) {
            job.reject(Error::Shutdown);
            return;
        }
        let handle = std::thread::spawn(move || job.run());
        self.handles.lock().unwrap().push(handle);
    }
}

/// Holds every job until the test allows it to run (each then runs on its own thread), and
/// counts what was submitted: a test controls exactly what is in flight.
#[derive(Debug, Default)]
pub(crate) struct Manual {
    state: Mutex<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    queue: VecDeque<Job>,
    permits: usize,
    submitted: usize,
    dispatched: usize,
    handles: Vec<JoinHandle<()>>,
}

impl Manual {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Lets `n` more jobs run, oldest first (now or when they arrive).
    pub(crate) fn allow(&self, n: usize) {
        let mut state = self.state.lock().unwrap();
        state.permits += n;
        Self::dispatch(&mut state);
    }

    /// How many jobs were submitted so far.
    pub(crate) fn submitted(&self) -> usize {
        self.state.lock().unwrap().submitted
    }

    /// Joins every job thread started so far.
    pub(crate) fn join(&self) {
        let handles = std::mem::take(&mut self.state.lock().unwrap().handles);
        for handle in handles {
            handle.join().unwrap();
        }
    }

    fn dispatch(state: &mut ManualState) {
        while state.permits > 0 {
            let Some(job) = state.queue.pop_front() else {
                break;
            };
            state.permits -= 1;
            state.dispatched += 1;
            state.handles.push(std::thread::spawn(move || job.run()));
        }
    }
}

impl Executor for Manual {
    fn max_workers(&self) -> usize {
        2
    }

    fn shutdown(&self, _how: Shutdown) {
        let jobs = std::mem::take(&mut self.state.lock().unwrap().queue);
        for job in jobs {
            job.cancel();
        }
        self.join();
    }
}

impl JobExecutor for Manual {
    fn execute(&self, job: Job) {
        let mut state = self.state.lock().unwrap();
        state.submitted += 1;
        state.queue.push_back(job);
        Self::dispatch(&mut state);
    }
}

/// Rejects the job of the `nth` submission (0-based) with `error` and runs the others inline:
/// a backend whose future fails on its own (a per-call timeout, a dead worker).
#[derive(Debug)]
pub(crate) struct FailsNth {
    pub(crate) nth: usize,
    pub(crate) error: Error,
    pub(crate) count: AtomicUsize,
}

impl Executor for FailsNth {
    fn max_workers(&self) -> usize {
        1
    }
    fn shutdown(&self, _how: Shutdown) {}
}

impl JobExecutor for FailsNth {
    fn execute(&self, job: Job) {
        if self.count.fetch_add(1, Ordering::SeqCst) == self.nth {
            job.reject(self.error.clone());
        } else {
            job.run();
        }
    }
}

/// CPython's fixtures: futures forced into each state.
pub(crate) fn pending() -> (cfut_core::Promise<i32>, Future<i32>) {
    promise()
}

pub(crate) fn running() -> (cfut_core::Promise<i32>, Future<i32>) {
    let (producer, future) = promise();
    assert!(producer.set_running_or_notify_cancel());
    (producer, future)
}

pub(crate) fn cancelled() -> Future<i32> {
    let (_producer, future) = promise();
    assert!(future.cancel());
    assert_eq!(future.state(), State::Cancelled);
    future
}

pub(crate) fn failed() -> Future<i32> {
    Future::from_result(Err(Error::Panicked {
        message: "OSError".into(),
        location: None,
    }))
}

pub(crate) fn successful() -> Future<i32> {
    Future::from_result(Ok(42))
}

/// The address of a future, to compare identities.
pub(crate) fn addr<T>(future: &Future<T>) -> usize {
    future as *const Future<T> as usize
}

/// Polls `condition` until true, failing the test after [`PATIENCE`].
pub(crate) fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `true` if a thread of this process named `name` is asleep (state `S` in
/// `/proc/self/task/*/stat`): blocked, for a thread that only waits, in that wait. Also
/// `true` where there is no `/proc` to look at (not Linux): the caller goes on unsynchronised.
pub(crate) fn thread_sleeps(name: &str) -> bool {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return true;
    };
    tasks.flatten().any(|task| {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // The state follows the name in parentheses: "tid (name) S ...".
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        comm.trim_end() == name && state == Some('S')
    })
}
