//! The Rust peers behind one interface, and the hand-off every peer uses for a result.
//!
//! rayon, threadpool, futures-executor and the channel pool return nothing from a spawn; a
//! call's result comes back through a `oneshot` channel (the lightest one-value channel on
//! crates.io: one allocation, no lock), and the pool boxes the call once — the same work as
//! cfut's per-call future.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::channel_pool::ChannelPool;
use crate::report::Contender;

/// A Rust pool that runs fire-and-forget calls.
pub(crate) trait Spawner: Sync {
    /// Runs `task` on the pool (boxing it once).
    fn run(&self, task: impl FnOnce() + Send + 'static);

    /// Runs `call` on the pool; its result comes back through the returned `oneshot`.
    fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce() -> T + Send + 'static,
    ) -> oneshot::Receiver<T> {
        let (tx, rx) = oneshot::channel();
        self.run(move || {
            // The receiver is dropped only if the caller gave up on the result.
            let _ = tx.send(call());
        });
        rx
    }
}

impl Spawner for rayon::ThreadPool {
    fn run(&self, task: impl FnOnce() + Send + 'static) {
        self.spawn(task);
    }
}

impl Spawner for threadpool::ThreadPool {
    fn run(&self, task: impl FnOnce() + Send + 'static) {
        self.execute(task);
    }
}

impl Spawner for futures::executor::ThreadPool {
    fn run(&self, task: impl FnOnce() + Send + 'static) {
        self.spawn_ok(async move { task() });
    }
}

impl Spawner for ChannelPool {
    fn run(&self, task: impl FnOnce() + Send + 'static) {
        self.execute(task);
    }
}

pub(crate) fn rayon_pool(workers: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("rayon pool")
}

pub(crate) fn futures_pool(workers: usize) -> futures::executor::ThreadPool {
    futures::executor::ThreadPool::builder()
        .pool_size(workers)
        .create()
        .expect("futures-executor pool")
}

/// Runs `call` on every input, one call each, on `pool`, and returns the results in input
/// order: a map by hand, as a user of a pool without `map` writes it (each result through
/// its `oneshot`, taken in order).
pub(crate) fn map_in_order<P: Spawner, A: Send + 'static, T: Send + 'static>(
    pool: &P,
    call: fn(A) -> T,
    inputs: impl IntoIterator<Item = A>,
) -> Vec<T> {
    let handles: Vec<_> = inputs
        .into_iter()
        .map(|input| pool.call(move || call(input)))
        .collect();
    handles
        .into_iter()
        .map(|rx| rx.recv().expect("every call runs"))
        .collect()
}

/// The process's thread count (field 20 of `/proc/self/stat`).
pub(crate) fn thread_count() -> usize {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name (field 2) is in parentheses and may contain spaces.
    let after_name = &stat[stat.rfind(')').expect("stat format") + 2..];
    after_name
        .split_whitespace()
        .nth(17)
        .and_then(|n| n.parse().ok())
        .expect("num_threads field")
}

/// Waits until the process is back to `baseline` threads: threadpool and futures-executor
/// detach their threads when dropped and cannot join them.
pub(crate) fn until_threads_exited(baseline: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while thread_count() > baseline {
        assert!(Instant::now() < deadline, "pool threads never exited");
        std::thread::yield_now();
    }
}

/// Two calls that each wait for the other (a barrier of 2): a pool must have both of its
/// workers running to finish them.
pub(crate) fn meeting_calls() -> [impl FnOnce() + Send + 'static; 2] {
    let barrier = Arc::new(std::sync::Barrier::new(2));
    [(); 2].map(|()| {
        let barrier = Arc::clone(&barrier);
        move || {
            barrier.wait();
        }
    })
}

/// Runs the two [`meeting_calls`] on `pool` and waits for both.
pub(crate) fn meet<P: Spawner>(pool: &P) {
    let replies = meeting_calls().map(|call| pool.call(call));
    for rx in replies {
        rx.recv().expect("both calls ran");
    }
}

/// The Rust peers of the thread suites, `workers` threads each, built once.
#[derive(Debug)]
pub(crate) struct Peers {
    pub(crate) rayon: rayon::ThreadPool,
    pub(crate) threadpool: threadpool::ThreadPool,
    pub(crate) futures: futures::executor::ThreadPool,
    pub(crate) channel: ChannelPool,
}

/// One metric's run on any Rust peer.
pub(crate) trait PeerRun: Copy {
    fn run<P: Spawner>(self, pool: &P) -> crate::report::Sample;
}

impl Peers {
    pub(crate) fn new(workers: usize) -> Self {
        Peers {
            rayon: rayon_pool(workers),
            threadpool: threadpool::ThreadPool::new(workers),
            futures: futures_pool(workers),
            channel: ChannelPool::new(workers),
        }
    }

    /// The contenders of one metric: every peer doing `metric`.
    pub(crate) fn contenders(&self, metric: impl PeerRun + 'static) -> Vec<Contender<'_>> {
        vec![
            ("rayon", Box::new(move || metric.run(&self.rayon))),
            ("threadpool", Box::new(move || metric.run(&self.threadpool))),
            (
                "futures-executor",
                Box::new(move || metric.run(&self.futures)),
            ),
            ("channel-pool", Box::new(move || metric.run(&self.channel))),
        ]
    }
}
