//! The `threads` suite: cfut's `ThreadPoolExecutor` against rayon, threadpool,
//! futures-executor, a minimal crossbeam-channel pool (the floor) and Python's own
//! `ThreadPoolExecutor`, all with 2 workers.
//!
//! Metrics (issue 3):
//! - `submit_result` (µs/task): submit 100 000 no-op calls, then take every result;
//! - `round_trip_p50` (µs): submit one no-op call, wait for its result, repeat; the median;
//! - `startup_shutdown` (ms): build a pool, run one call, shut it down with its threads gone;
//! - `idle_cpu_pct` (cfut only): CPU used by the process in the second after the last call
//!   finished, in percent of one core.
//!
//! Every peer hands each call's result back through its own one-slot channel, the
//! equivalent of cfut's per-call future (rayon, threadpool and futures' `ThreadPool` return
//! nothing from a spawn). rayon, threadpool and futures-executor cannot join their threads
//! on shutdown (rayon can, with `build_scoped`, which is what we use); for threadpool and
//! futures-executor `startup_shutdown` ends once the process's thread count is back where it
//! was, read from `/proc/self/stat`.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cfut_core::Shutdown;
use cfut_threads::ThreadPoolExecutor;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};

use crate::python;
use crate::report::{Contender, Report, median};

const WORKERS: usize = 2;
const CALLS: usize = 100_000;
const ROUND_TRIPS: usize = 2_000;

pub(crate) fn run(report: &mut Report) {
    eprintln!("threads: {WORKERS} workers, {CALLS} calls per submit_result run");
    submit_result(report);
    round_trip(report);
    startup_shutdown(report);
    idle_cpu(report);
    run_python(report);
}

/// A boxed call of the channel pool.
type Task = Box<dyn FnOnce() + Send + 'static>;

/// The floor: the smallest reasonable pool — one crossbeam channel of boxed calls, `n`
/// threads draining it; dropping it closes the channel and joins the threads.
struct ChannelPool {
    sender: Option<Sender<Task>>,
    threads: Vec<JoinHandle<()>>,
}

impl ChannelPool {
    fn new(workers: usize) -> Self {
        let (sender, receiver) = unbounded::<Task>();
        let threads = (0..workers)
            .map(|_| {
                let receiver = receiver.clone();
                std::thread::spawn(move || {
                    for task in receiver {
                        task();
                    }
                })
            })
            .collect();
        ChannelPool {
            sender: Some(sender),
            threads,
        }
    }

    fn execute(&self, task: impl FnOnce() + Send + 'static) {
        self.sender
            .as_ref()
            .expect("open until dropped")
            .send(Box::new(task))
            .expect("workers alive");
    }
}

impl Drop for ChannelPool {
    fn drop(&mut self) {
        drop(self.sender.take());
        for thread in self.threads.drain(..) {
            thread.join().expect("channel pool worker");
        }
    }
}

/// Runs `call` through `spawn` (a fire-and-forget spawn of the peer) and returns the
/// receiving end of its one-slot result channel.
fn with_result<T: Send + 'static>(
    spawn: impl FnOnce(Box<dyn FnOnce() + Send>),
    call: impl FnOnce() -> T + Send + 'static,
) -> Receiver<T> {
    let (tx, rx) = bounded(1);
    spawn(Box::new(move || {
        let _ = tx.send(call());
    }));
    rx
}

fn rayon_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build()
        .expect("rayon pool")
}

fn futures_pool() -> futures::executor::ThreadPool {
    futures::executor::ThreadPool::builder()
        .pool_size(WORKERS)
        .create()
        .expect("futures pool")
}

fn cfut_pool() -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(WORKERS).expect("cfut pool")
}

/// Lets the previous system's threads finish spinning and fall asleep before the next
/// measurement, so that they do not compete with it for the two cores.
fn settle() {
    std::thread::sleep(Duration::from_millis(50));
}

/// µs per call for one run of `CALLS` calls submitted by `submit_all`, which returns the sum
/// of the results (checked).
fn per_call(submit_all: impl FnOnce() -> usize) -> f64 {
    settle();
    let start = Instant::now();
    let sum = submit_all();
    let elapsed = start.elapsed();
    assert_eq!(sum, CALLS * (CALLS - 1) / 2, "every call ran once");
    elapsed.as_secs_f64() * 1e6 / CALLS as f64
}

fn submit_result(report: &mut Report) {
    let cfut = cfut_pool();
    let rayon = rayon_pool();
    let threadpool = threadpool::ThreadPool::new(WORKERS);
    let futures = futures_pool();
    let channel = ChannelPool::new(WORKERS);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                per_call(|| {
                    let futures: Vec<_> = (0..CALLS).map(|i| cfut.spawn(move || i)).collect();
                    futures.into_iter().map(|f| f.result().unwrap()).sum()
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                per_call(|| {
                    let slots: Vec<_> = (0..CALLS)
                        .map(|i| with_result(|task| rayon.spawn(task), move || i))
                        .collect();
                    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
                })
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                per_call(|| {
                    let slots: Vec<_> = (0..CALLS)
                        .map(|i| with_result(|task| threadpool.execute(task), move || i))
                        .collect();
                    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
                })
            }),
        ),
        (
            "futures-executor",
            Box::new(|| {
                per_call(|| {
                    let slots: Vec<_> = (0..CALLS)
                        .map(|i| {
                            with_result(|task| futures.spawn_ok(async move { task() }), move || i)
                        })
                        .collect();
                    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
                })
            }),
        ),
        (
            "channel-pool",
            Box::new(|| {
                per_call(|| {
                    let slots: Vec<_> = (0..CALLS)
                        .map(|i| with_result(|task| channel.execute(task), move || i))
                        .collect();
                    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
                })
            }),
        ),
    ];
    report.measure("submit_result", "us/task", contenders);
}

/// The median round trip, in µs, of `ROUND_TRIPS` calls made one at a time by `one`.
fn p50(mut one: impl FnMut(usize) -> usize) -> f64 {
    settle();
    for i in 0..100 {
        assert_eq!(one(i), i); // warm up: threads started, caches hot
    }
    let samples = (0..ROUND_TRIPS)
        .map(|i| {
            let start = Instant::now();
            assert_eq!(one(i), i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median(samples)
}

fn round_trip(report: &mut Report) {
    let cfut = cfut_pool();
    let rayon = rayon_pool();
    let threadpool = threadpool::ThreadPool::new(WORKERS);
    let futures = futures_pool();
    let channel = ChannelPool::new(WORKERS);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| p50(|i| cfut.spawn(move || i).result().unwrap())),
        ),
        (
            "rayon",
            Box::new(|| {
                p50(|i| {
                    with_result(|task| rayon.spawn(task), move || i)
                        .recv()
                        .unwrap()
                })
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                p50(|i| {
                    with_result(|task| threadpool.execute(task), move || i)
                        .recv()
                        .unwrap()
                })
            }),
        ),
        (
            "futures-executor",
            Box::new(|| {
                p50(|i| {
                    with_result(|task| futures.spawn_ok(async move { task() }), move || i)
                        .recv()
                        .unwrap()
                })
            }),
        ),
        (
            "channel-pool",
            Box::new(|| {
                p50(|i| {
                    with_result(|task| channel.execute(task), move || i)
                        .recv()
                        .unwrap()
                })
            }),
        ),
    ];
    report.measure("round_trip_p50", "us", contenders);
}

/// The process's thread count (field 20 of `/proc/self/stat`).
fn thread_count() -> usize {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name (field 2) is in parentheses and may contain spaces.
    let after_name = &stat[stat.rfind(')').expect("stat format") + 2..];
    after_name
        .split_whitespace()
        .nth(17)
        .and_then(|n| n.parse().ok())
        .expect("num_threads field")
}

/// Waits until the process is back to `baseline` threads (for pools that cannot join).
fn until_threads_exited(baseline: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while thread_count() > baseline {
        assert!(Instant::now() < deadline, "pool threads never exited");
        std::thread::yield_now();
    }
}

/// ms for one build + one call + shutdown of a pool, by `cycle`.
/// No settling here: every system's previous cycle ended with its threads gone.
fn millis(cycle: impl FnOnce()) -> f64 {
    let start = Instant::now();
    cycle();
    start.elapsed().as_secs_f64() * 1e3
}

fn startup_shutdown(report: &mut Report) {
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                millis(|| {
                    let pool = cfut_pool();
                    assert_eq!(pool.spawn(|| 1).result(), Ok(1));
                    pool.shutdown(Shutdown::new()); // joins the threads
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                millis(|| {
                    // `build_scoped` joins the threads when the closure returns.
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(WORKERS)
                        .build_scoped(
                            |thread| thread.run(),
                            |pool| {
                                let rx = with_result(|task| pool.spawn(task), || 1);
                                assert_eq!(rx.recv(), Ok(1));
                            },
                        )
                        .expect("rayon scoped pool");
                })
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                let baseline = thread_count();
                millis(|| {
                    let pool = threadpool::ThreadPool::new(WORKERS);
                    let rx = with_result(|task| pool.execute(task), || 1);
                    assert_eq!(rx.recv(), Ok(1));
                    drop(pool); // detaches its threads: wait until they are gone
                    until_threads_exited(baseline);
                })
            }),
        ),
        (
            "futures-executor",
            Box::new(|| {
                let baseline = thread_count();
                millis(|| {
                    let pool = futures_pool();
                    let rx = with_result(|task| pool.spawn_ok(async move { task() }), || 1);
                    assert_eq!(rx.recv(), Ok(1));
                    drop(pool); // detaches its threads: wait until they are gone
                    until_threads_exited(baseline);
                })
            }),
        ),
        (
            "channel-pool",
            Box::new(|| {
                millis(|| {
                    let pool = ChannelPool::new(WORKERS);
                    let rx = with_result(|task| pool.execute(task), || 1);
                    assert_eq!(rx.recv(), Ok(1));
                    drop(pool); // joins the threads
                })
            }),
        ),
    ];
    report.measure("startup_shutdown", "ms", contenders);
}

/// CPU time used so far by the live threads of this process, from the first field of each
/// `/proc/self/task/*/schedstat` (nanoseconds on the CPU; finer than `/proc/self/stat`'s
/// clock ticks).
fn cpu_time() -> Duration {
    let mut total = 0_u64;
    for entry in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let path = entry.expect("task entry").path().join("schedstat");
        if let Ok(text) = std::fs::read_to_string(path) {
            total += text
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

fn idle_cpu(report: &mut Report) {
    let cfut = cfut_pool();
    let contenders: Vec<Contender<'_>> = vec![(
        "cfut",
        Box::new(|| {
            // A burst that keeps both workers busy, then one second of nothing.
            settle();
            let futures: Vec<_> = (0..10_000).map(|i| cfut.spawn(move || i)).collect();
            let sum: usize = futures.into_iter().map(|f| f.result().unwrap()).sum();
            assert_eq!(sum, 10_000 * 9_999 / 2);
            let before = cpu_time();
            let start = Instant::now();
            std::thread::sleep(Duration::from_secs(1));
            let used = cpu_time().saturating_sub(before);
            used.as_secs_f64() / start.elapsed().as_secs_f64() * 100.0
        }),
    )];
    report.measure("idle_cpu_pct", "%", contenders);
}

fn run_python(report: &mut Report) {
    let args = [
        "--runs".to_owned(),
        report.runs().to_string(),
        "--workers".to_owned(),
        WORKERS.to_string(),
        "--calls".to_owned(),
        CALLS.to_string(),
    ];
    if let Some(figures) = python::run_script("python_threads.py", &args) {
        for (metric, value) in figures {
            let unit = match metric.as_str() {
                "submit_result" => "us/task",
                "round_trip_p50" => "us",
                _ => "ms",
            };
            report.record(&metric, "python", value, unit);
        }
    }
}
