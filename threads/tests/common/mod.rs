//! Helpers shared by the integration tests (declared `pub mod common` so that each test file
//! may use only some of them without dead-code warnings).

use std::time::Duration;

use cfut_core::{Error, Future};

/// Generous bound for anything that should finish: a hang fails the test instead.
pub const LONG: Duration = Duration::from_secs(30);

/// The future's outcome, failing the test if it takes longer than [`LONG`].
pub fn outcome<T>(mut future: Future<T>) -> Result<T, Error> {
    match future.result_timeout(LONG) {
        Err(Error::TimedOut) => panic!("future not done within {LONG:?}: a hang"),
        other => other,
    }
}

/// Polls `condition` until true, failing the test after [`LONG`].
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + LONG;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `f` on a helper thread and fails the test if it does not return within [`LONG`].
pub fn bounded<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LONG)
        .unwrap_or_else(|_| panic!("{what} did not return within {LONG:?}: a hang"))
}

/// A one-shot gate tasks can block on: `open` releases every waiter.
#[derive(Clone, Debug, Default)]
pub struct Latch(std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>);

impl Latch {
    pub fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    /// Blocks until opened; `false` if not opened within [`LONG`].
    pub fn wait(&self) -> bool {
        let guard = self.0.0.lock().unwrap();
        let (guard, _) = self
            .0
            .1
            .wait_timeout_while(guard, LONG, |open| !*open)
            .unwrap();
        *guard
    }
}

/// Runs `look` on each of `workers` worker threads of `pool` (one call each, every call held
/// until all `workers` calls are running, so that no thread takes two) and gives back what
/// each saw. Fails the test if they are not all running within [`LONG`].
pub fn on_each_worker<T: Send + 'static>(
    pool: &cfut_threads::ThreadPoolExecutor,
    workers: usize,
    look: fn() -> T,
) -> Vec<T> {
    // How many calls are running; each waits until all are. (Waiting only until every
    // thread has *started* is not enough: a thread may take two calls while another is
    // still starting, since calls from outside are taken one at a time, oldest first.)
    let running = std::sync::Arc::new((std::sync::Mutex::new(0_usize), std::sync::Condvar::new()));
    let futures: Vec<_> = (0..workers)
        .map(|_| {
            let running = std::sync::Arc::clone(&running);
            pool.spawn(move || {
                let seen = look();
                let (count, all) = &*running;
                let mut count = count.lock().unwrap();
                *count += 1;
                all.notify_all();
                let (count, _) = all
                    .wait_timeout_while(count, LONG, |count| *count < workers)
                    .unwrap();
                assert!(
                    *count >= workers,
                    "only {} of {workers} calls ran at once",
                    *count
                );
                seen
            })
        })
        .collect();
    futures
        .into_iter()
        .map(|future| outcome(future).expect("the call ran"))
        .collect()
}

/// Waits until no thread of this process has a name starting with `prefix`, failing the test
/// after [`LONG`]. A joined thread can still be listed in `/proc/self/task` for a moment: the
/// kernel wakes the joiner before it removes the exited thread from the list. So a check right
/// after a join polls instead of reading the list once.
pub fn assert_threads_gone(prefix: &str) {
    eventually(&format!("no thread named {prefix}* left"), || {
        live_threads_named(prefix).is_empty()
    });
}

/// Names of the live threads of this process whose name starts with `prefix`.
pub fn live_threads_named(prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc/self/task") {
        for entry in entries.flatten() {
            if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
                let comm = comm.trim_end().to_owned();
                if comm.starts_with(prefix) {
                    names.push(comm);
                }
            }
        }
    }
    names
}
