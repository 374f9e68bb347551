//! The `threads` suite: cfut's `ThreadPoolExecutor` against rayon, threadpool,
//! futures-executor, the channel pool (the floor) and Python's `ThreadPoolExecutor` and
//! `multiprocessing.pool.ThreadPool` (bench/python/threads.py), all with 2 workers.
//!
//! Metrics:
//! - `submit_result` (µs/call): submit 100 000 no-op calls, then take every result;
//! - `round_trip_p50` (µs): submit one no-op call, wait for its result, repeat; the median;
//! - `startup_shutdown` (ms): build a pool, run two calls that wait for each other (so both
//!   workers exist), shut it down with its threads joined;
//! - `idle_cpu_pct` (% of a core): after a burst of 10 000 calls, the CPU the process uses
//!   in the next second.
//!
//! Every peer hands each result back through a `oneshot` channel and boxes each call once
//! ([`crate::peers`]). rayon joins its threads with `build_scoped`; threadpool and
//! futures-executor cannot join theirs, so their `startup_shutdown` ends once the process's
//! thread count is back where it was.

use std::time::{Duration, Instant};

use cfut_core::Shutdown;
use cfut_threads::ThreadPoolExecutor;

use crate::channel_pool::ChannelPool;
use crate::cpu::{Meter, idle_after};
use crate::peers::{
    Spawner, futures_pool, meet, meeting_calls, rayon_pool, thread_count, until_threads_exited,
};
use crate::python;
use crate::report::{Contender, Report, Sample, median};

const WORKERS: usize = 2;
const CALLS: usize = 100_000;
const ROUND_TRIPS: usize = 2_000;
const IDLE_BURST: usize = 10_000;

pub(crate) fn run(report: &mut Report) {
    eprintln!("compare: threads suite, {WORKERS} workers, {CALLS} calls per submit_result run");
    submit_result(report);
    round_trip(report);
    startup_shutdown(report);
    idle_cpu(report);
    python::record_script(
        report,
        "threads.py",
        &[("--workers", WORKERS.to_string()), ("--calls", CALLS.to_string())],
    );
}

fn cfut_pool() -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(WORKERS).expect("cfut pool")
}

/// Lets the previous system's threads finish spinning and fall asleep before the next
/// measurement, so that they do not compete with it for the two cores.
pub(crate) fn settle() {
    std::thread::sleep(Duration::from_millis(50));
}

/// µs per call and CPU per call for one run of `CALLS` calls submitted by `submit_all`,
/// which returns the sum of the results (checked).
fn per_call(submit_all: impl FnOnce() -> usize) -> Sample {
    settle();
    let meter = Meter::start();
    let sum = submit_all();
    let (wall, cpu) = meter.stop(CALLS);
    assert_eq!(sum, CALLS * (CALLS - 1) / 2, "every call ran once");
    Sample {
        value: wall.as_secs_f64() * 1e6 / CALLS as f64,
        cpu_us_per_call: Some(cpu),
    }
}

fn peer_submit_result<P: Spawner>(pool: &P) -> Sample {
    per_call(|| {
        let slots: Vec<_> = (0..CALLS).map(|i| pool.call(move || i)).collect();
        slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
    })
}

fn submit_result(report: &mut Report) {
    let cfut = cfut_pool();
    let rayon = rayon_pool(WORKERS);
    let threadpool = threadpool::ThreadPool::new(WORKERS);
    let futures = futures_pool(WORKERS);
    let channel = ChannelPool::new(WORKERS);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                per_call(|| {
                    let futures: Vec<_> = (0..CALLS).map(|i| cfut.submit(move || i)).collect();
                    futures.into_iter().map(|f| f.result().unwrap()).sum()
                })
            }),
        ),
        ("rayon", Box::new(|| peer_submit_result(&rayon))),
        ("threadpool", Box::new(|| peer_submit_result(&threadpool))),
        ("futures-executor", Box::new(|| peer_submit_result(&futures))),
        ("channel-floor", Box::new(|| peer_submit_result(&channel))),
    ];
    report.measure("submit_result", contenders);
}

/// The median round trip, in µs, of `ROUND_TRIPS` calls made one at a time by `one`, and
/// the CPU per call over all of them.
fn p50(mut one: impl FnMut(usize) -> usize) -> Sample {
    settle();
    for i in 0..100 {
        assert_eq!(one(i), i); // warm up: threads started, caches hot
    }
    let meter = Meter::start();
    let samples = (0..ROUND_TRIPS)
        .map(|i| {
            let start = Instant::now();
            assert_eq!(one(i), i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let (_, cpu) = meter.stop(ROUND_TRIPS);
    Sample {
        value: median(samples),
        cpu_us_per_call: Some(cpu),
    }
}

fn peer_round_trip<P: Spawner>(pool: &P) -> Sample {
    p50(|i| pool.call(move || i).recv().unwrap())
}

fn round_trip(report: &mut Report) {
    let cfut = cfut_pool();
    let rayon = rayon_pool(WORKERS);
    let threadpool = threadpool::ThreadPool::new(WORKERS);
    let futures = futures_pool(WORKERS);
    let channel = ChannelPool::new(WORKERS);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| p50(|i| cfut.submit(move || i).result().unwrap())),
        ),
        ("rayon", Box::new(|| peer_round_trip(&rayon))),
        ("threadpool", Box::new(|| peer_round_trip(&threadpool))),
        ("futures-executor", Box::new(|| peer_round_trip(&futures))),
        ("channel-floor", Box::new(|| peer_round_trip(&channel))),
    ];
    report.measure("round_trip_p50", contenders);
}

/// ms for one build + two meeting calls + shutdown of a pool, by `cycle`. No settling: every
/// system's previous cycle ended with its threads gone.
fn millis(cycle: impl FnOnce()) -> Sample {
    let start = Instant::now();
    cycle();
    Sample::bare(start.elapsed().as_secs_f64() * 1e3)
}

fn startup_shutdown(report: &mut Report) {
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                millis(|| {
                    let pool = cfut_pool();
                    let futures = meeting_calls().map(|call| pool.submit(call));
                    for future in futures {
                        assert_eq!(future.result(), Ok(()));
                    }
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
                        .build_scoped(|thread| thread.run(), |pool| meet(pool))
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
                    meet(&pool);
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
                    let pool = futures_pool(WORKERS);
                    meet(&pool);
                    drop(pool); // detaches its threads: wait until they are gone
                    until_threads_exited(baseline);
                })
            }),
        ),
        (
            "channel-floor",
            Box::new(|| {
                millis(|| {
                    let pool = ChannelPool::new(WORKERS);
                    meet(&pool);
                    drop(pool); // joins the threads
                })
            }),
        ),
    ];
    report.measure("startup_shutdown", contenders);
}

/// A burst that keeps both workers busy, through `pool`.
fn peer_burst<P: Spawner>(pool: &P) {
    let slots: Vec<_> = (0..IDLE_BURST).map(|i| pool.call(move || i)).collect();
    let sum: usize = slots.into_iter().map(|rx| rx.recv().unwrap()).sum();
    assert_eq!(sum, IDLE_BURST * (IDLE_BURST - 1) / 2);
}

fn idle_cpu(report: &mut Report) {
    // Each system's pool exists only during its own run, so the others' threads are gone.
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                let pool = cfut_pool();
                idle_after(|| {
                    let futures: Vec<_> = (0..IDLE_BURST).map(|i| pool.submit(move || i)).collect();
                    let sum: usize = futures.into_iter().map(|f| f.result().unwrap()).sum();
                    assert_eq!(sum, IDLE_BURST * (IDLE_BURST - 1) / 2);
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                let pool = rayon_pool(WORKERS);
                idle_after(|| peer_burst(&pool))
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                let pool = threadpool::ThreadPool::new(WORKERS);
                idle_after(|| peer_burst(&pool))
            }),
        ),
        (
            "futures-executor",
            Box::new(|| {
                let pool = futures_pool(WORKERS);
                idle_after(|| peer_burst(&pool))
            }),
        ),
        (
            "channel-floor",
            Box::new(|| {
                let pool = ChannelPool::new(WORKERS);
                idle_after(|| peer_burst(&pool))
            }),
        ),
    ];
    report.measure("idle_cpu_pct", contenders);
}
