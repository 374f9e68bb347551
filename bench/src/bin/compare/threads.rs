//! The `threads` suite: cfut's `ThreadPoolExecutor` against rayon, threadpool,
//! futures-executor, the channel pool (the smallest pool a user could write) and Python's
//! `ThreadPoolExecutor` and
//! `multiprocessing.pool.ThreadPool` (bench/python/threads.py), all with 2 workers.
//!
//! Metrics:
//! - `submit_result` (µs/call): submit 100 000 no-op calls, then take every result;
//! - `round_trip_p50` (µs): submit one no-op call, wait for its result, repeat; the median;
//! - `startup_shutdown` (ms): build a pool, run two calls that wait for each other (so both
//!   workers exist), shut it down with its threads joined; each run is the median of
//!   [`CYCLES`] such cycles (one cycle lasts about 0.2 ms, so a single one measures mostly
//!   what else the machine runs at that moment);
//! - `idle_cpu_pct` (% of a core): after a burst of 10 000 calls, the CPU the process uses
//!   in the next second.
//!
//! Every peer hands each result back through a `oneshot` channel and boxes each call once
//! ([`crate::peers`]). In `startup_shutdown`, cfut, rayon and the channel pool join their
//! threads with `JoinHandle::join`, which returns once each thread has exited: rayon's threads
//! are spawned through `ThreadPoolBuilder::spawn_handler` and joined after the pool is
//! dropped. (`build_scoped` returns once its threads' closures have returned, before the
//! threads exit: in 907 and 917 of two runs of 1 000 cycles its two threads were still alive
//! at that point, and waiting for them took about 100 µs more.) threadpool and
//! futures-executor cannot join theirs, so their `startup_shutdown` ends once the process's
//! thread count is back where it was.

use std::time::Instant;

use cfut_core::Shutdown;
use cfut_threads::ThreadPoolExecutor;

use crate::channel_pool::ChannelPool;
use crate::cpu::idle_after;
use crate::peers::{
    PeerRun, Peers, Spawner, futures_pool, meet, meeting_calls, rayon_pool, thread_count,
    until_threads_exited,
};
use crate::python;
use crate::report::{Contender, Report, Sample, median};
use crate::timing::{Per, round_trips, timed};

const WORKERS: usize = 2;
const CALLS: usize = 100_000;
const ROUND_TRIPS: usize = 2_000;
const IDLE_BURST: usize = 10_000;
/// `startup_shutdown` cycles per run (their median is the run's figure).
const CYCLES: usize = 25;

pub(crate) fn run(report: &mut Report) {
    eprintln!("compare: threads suite, {WORKERS} workers, {CALLS} calls per submit_result run");
    {
        let cfut = cfut_pool();
        let peers = Peers::new(WORKERS);
        submit_result(report, &cfut, &peers);
        round_trip(report, &cfut, &peers);
    }
    startup_shutdown(report);
    idle_cpu(report);
    python::record_script(
        report,
        "threads.py",
        &[
            ("--workers", WORKERS.to_string()),
            ("--calls", CALLS.to_string()),
        ],
    );
}

fn cfut_pool() -> ThreadPoolExecutor {
    ThreadPoolExecutor::new(WORKERS).expect("cfut pool")
}

/// The sum of `0..n`, what every burst of no-op calls must return.
fn sum_below(n: usize) -> usize {
    n * (n - 1) / 2
}

/// `submit_result` on a Rust peer.
#[derive(Debug, Clone, Copy)]
struct SubmitResult;

impl PeerRun for SubmitResult {
    fn run<P: Spawner>(self, pool: &P) -> Sample {
        let (sample, sum) = timed(CALLS, Per::CallMicros, || burst(pool, CALLS));
        assert_eq!(sum, sum_below(CALLS), "every call ran once");
        sample
    }
}

/// `round_trip_p50` on a Rust peer.
#[derive(Debug, Clone, Copy)]
struct RoundTrip;

impl PeerRun for RoundTrip {
    fn run<P: Spawner>(self, pool: &P) -> Sample {
        burst(pool, 100); // warm up: threads started, caches hot
        round_trips(ROUND_TRIPS, |i| pool.call(move || i).recv().unwrap())
    }
}

/// `calls` no-op calls through `pool`, every result taken; their sum.
fn burst<P: Spawner>(pool: &P, calls: usize) -> usize {
    let slots: Vec<_> = (0..calls).map(|i| pool.call(move || i)).collect();
    slots.into_iter().map(|rx| rx.recv().unwrap()).sum()
}

/// The same on cfut.
fn cfut_burst(pool: &ThreadPoolExecutor, calls: usize) -> usize {
    let futures: Vec<_> = (0..calls).map(|i| pool.spawn(move || i)).collect();
    futures.into_iter().map(|f| f.result().unwrap()).sum()
}

fn submit_result(report: &mut Report, cfut: &ThreadPoolExecutor, peers: &Peers) {
    let mut contenders: Vec<Contender<'_>> = vec![(
        "cfut",
        Box::new(|| {
            let (sample, sum) = timed(CALLS, Per::CallMicros, || cfut_burst(cfut, CALLS));
            assert_eq!(sum, sum_below(CALLS), "every call ran once");
            sample
        }),
    )];
    contenders.extend(peers.contenders(SubmitResult));
    report.measure("submit_result", contenders);
}

fn round_trip(report: &mut Report, cfut: &ThreadPoolExecutor, peers: &Peers) {
    let mut contenders: Vec<Contender<'_>> = vec![(
        "cfut",
        Box::new(|| {
            cfut_burst(cfut, 100); // warm up
            round_trips(ROUND_TRIPS, |i| cfut.spawn(move || i).result().unwrap())
        }),
    )];
    contenders.extend(peers.contenders(RoundTrip));
    report.measure("round_trip_p50", contenders);
}

/// ms for one build + two meeting calls + shutdown of a pool, by `cycle`: the median of
/// [`CYCLES`] cycles. No settling: every cycle ended with its threads gone.
fn millis(mut cycle: impl FnMut()) -> Sample {
    let cycles = (0..CYCLES)
        .map(|_| {
            let start = Instant::now();
            cycle();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    Sample::bare(median(cycles))
}

fn startup_shutdown(report: &mut Report) {
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                millis(|| {
                    let pool = cfut_pool();
                    let futures = meeting_calls().map(|call| pool.spawn(call));
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
                    // Its threads spawned through `spawn_handler`, so that their handles can
                    // be joined once the pool is dropped (a join that returns once each
                    // thread has exited, as cfut's and the channel pool's do).
                    let mut handles = Vec::with_capacity(WORKERS);
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(WORKERS)
                        .spawn_handler(|thread| {
                            handles.push(std::thread::Builder::new().spawn(|| thread.run())?);
                            Ok(())
                        })
                        .build()
                        .expect("rayon pool");
                    meet(&pool);
                    drop(pool); // tells the threads to stop
                    for handle in handles {
                        handle.join().expect("rayon worker");
                    }
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
            "channel-pool",
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

fn idle_cpu(report: &mut Report) {
    // Each system's pool exists only during its own run, so the others' threads are gone.
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                let pool = cfut_pool();
                idle_after(|| assert_eq!(cfut_burst(&pool, IDLE_BURST), sum_below(IDLE_BURST)))
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                let pool = rayon_pool(WORKERS);
                idle_after(|| assert_eq!(burst(&pool, IDLE_BURST), sum_below(IDLE_BURST)))
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                let pool = threadpool::ThreadPool::new(WORKERS);
                idle_after(|| assert_eq!(burst(&pool, IDLE_BURST), sum_below(IDLE_BURST)))
            }),
        ),
        (
            "futures-executor",
            Box::new(|| {
                let pool = futures_pool(WORKERS);
                idle_after(|| assert_eq!(burst(&pool, IDLE_BURST), sum_below(IDLE_BURST)))
            }),
        ),
        (
            "channel-pool",
            Box::new(|| {
                let pool = ChannelPool::new(WORKERS);
                idle_after(|| assert_eq!(burst(&pool, IDLE_BURST), sum_below(IDLE_BURST)))
            }),
        ),
    ];
    report.measure("idle_cpu_pct", contenders);
}
