//! The `processes` suite: cfut's `ProcessPoolExecutor` against procspawn's pool, Python's
//! `ProcessPoolExecutor` (`python`) and `multiprocessing.Pool` (`python-pool`, from
//! bench/python/processes.py, Python's default start method), and the floors: children of
//! this binary echoing 8-byte calls over pipes, one at a time (`pipe-floor`) or pipelined
//! (`pipe-pipelined-floor`). Two worker processes per system.
//!
//! - `proc_submit_result` (µs/call): 20 000 no-op calls submitted, then every result taken.
//!   procspawn: at most 4 000 calls in flight (it opens descriptors per call). python-pool:
//!   `apply_async` + `get`. Floors: 20 000 calls over two children.
//! - `proc_round_trip_p50` (µs): one call, wait, repeat; the median. pipe-floor: one 8-byte
//!   ping-pong.
//! - `proc_map_chunked` (calls/s): map a no-op over 200 000 inputs, chunksize 1 000, every
//!   chunk submitted at once as Python does (cfut: `map(..).chunksize(1 000).eager()`).
//!   procspawn has no map: one call per chunk of 1 000. pipe-floor: one 8 000-byte
//!   ping-pong per chunk (8 bytes per input), chunks spread over the two children.
//! - `proc_startup_shutdown` (ms): build a pool, run two calls that wait for each other (so
//!   both worker processes exist: [`crate::rendezvous`]), shut it down with its workers reaped.
//!   pipe-floor: start two children, one ping-pong with each, close, reap both.
//! - `proc_as_completed_10k` (ms): 10 000 calls drained in completion order, every value
//!   taken (cfut through a `cfut_core::Waiter`; python-pool: `imap_unordered`, chunksize 1).
//!   procspawn has no completion-order wait and is not measured.
//! - `proc_idle_cpu_pct` (% of a core): after a burst of 2 000 calls, the CPU the process and
//!   its workers use in the next second.
//! - `proc_echo_1mib`, `proc_echo_16mib` ([`crate::echo`]).
//!
//! Pools are built once per system, warmed up (every worker started), outside the timed
//! region, except for `proc_startup_shutdown` and `proc_idle_cpu_pct`. CPU per call counts
//! this process and its workers ([`crate::cpu`]).

use std::cell::RefCell;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use cfut_combinators::MapExt;
use cfut_core::{Future, Shutdown, Waiter};
use cfut_processes::ProcessPoolExecutor;

use crate::cpu::{descendants, idle_after};
use crate::echo;
use crate::pipe_floor::EchoChildren;
use crate::python;
use crate::rendezvous::{Fifo, meet};
use crate::report::{Contender, Report, Sample};
use crate::timing::{Per, round_trips, timed};

const WORKERS: usize = 2;
const SUBMIT_CALLS: usize = 20_000;
const PROCSPAWN_IN_FLIGHT: usize = 4_000;
const ROUND_TRIPS: usize = 1_000;
const PROCSPAWN_ROUND_TRIPS: usize = 300;
const MAP_INPUTS: u64 = 200_000;
const MAP_CHUNK: usize = 1_000;
const AS_COMPLETED_CALLS: usize = 10_000;
const IDLE_BURST: u64 = 2_000;

fn noop(x: u64) -> u64 {
    x
}

fn noop_chunk(chunk: Vec<u64>) -> Vec<u64> {
    chunk.into_iter().map(noop).collect()
}

pub(crate) fn run(report: &mut Report) {
    eprintln!("compare: processes suite, {WORKERS} worker processes per system");
    let cfut = ProcessPoolExecutor::new(WORKERS).expect("cfut process pool");
    warm_up(&cfut);
    let procspawn = procspawn::Pool::new(WORKERS).expect("procspawn pool");
    for handle in (0..4).map(|i| procspawn.spawn(i, noop)).collect::<Vec<_>>() {
        handle.join().expect("procspawn warm-up");
    }
    // Shared by several contenders of one metric (each run borrows it in turn).
    let floor = RefCell::new(EchoChildren::start(WORKERS));
    let mut floor_single = EchoChildren::start(1);

    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| per_call(SUBMIT_CALLS, || cfut_burst(&cfut, SUBMIT_CALLS as u64))),
        ),
        (
            "procspawn",
            Box::new(|| {
                per_call(SUBMIT_CALLS, || {
                    procspawn_burst(&procspawn, SUBMIT_CALLS as u64)
                })
            }),
        ),
        (
            "pipe-floor",
            Box::new(|| {
                let run = || floor.borrow_mut().ping_pong_parallel(SUBMIT_CALLS);
                timed(SUBMIT_CALLS, Per::CallMicros, run).0
            }),
        ),
        (
            "pipe-pipelined-floor",
            Box::new(|| {
                let run = || floor.borrow_mut().pipelined(SUBMIT_CALLS);
                timed(SUBMIT_CALLS, Per::CallMicros, run).0
            }),
        ),
    ];
    report.measure("proc_submit_result", contenders);

    let contenders: Vec<Contender<'_>> = vec![
        ("cfut", Box::new(|| cfut_round_trip(&cfut))),
        ("procspawn", Box::new(|| procspawn_round_trip(&procspawn))),
        (
            "pipe-floor",
            Box::new(|| {
                let (mut sample, p50) = timed(ROUND_TRIPS, Per::CallMicros, || {
                    floor_single.round_trip_p50(ROUND_TRIPS)
                });
                sample.value = p50;
                sample
            }),
        ),
    ];
    report.measure("proc_round_trip_p50", contenders);

    let contenders: Vec<Contender<'_>> = vec![
        ("cfut", Box::new(|| cfut_map_chunked(&cfut))),
        ("procspawn", Box::new(|| procspawn_map_chunked(&procspawn))),
        (
            "pipe-floor",
            Box::new(|| {
                let chunks = MAP_INPUTS as usize / MAP_CHUNK;
                let run = || floor.borrow_mut().chunks(chunks, MAP_CHUNK * 8);
                timed(MAP_INPUTS as usize, Per::Rate, run).0
            }),
        ),
    ];
    report.measure("proc_map_chunked", contenders);

    let contenders: Vec<Contender<'_>> = vec![
        ("cfut", Box::new(|| cfut_as_completed(&cfut))),
        (
            "pipe-floor",
            Box::new(|| {
                let run = || floor.borrow_mut().ping_pong_parallel(AS_COMPLETED_CALLS);
                timed(AS_COMPLETED_CALLS, Per::Millis, run).0
            }),
        ),
        (
            "pipe-pipelined-floor",
            Box::new(|| {
                let run = || floor.borrow_mut().pipelined(AS_COMPLETED_CALLS);
                timed(AS_COMPLETED_CALLS, Per::Millis, run).0
            }),
        ),
    ];
    report.measure("proc_as_completed_10k", contenders);
    drop(floor);
    drop(floor_single);

    echo::run(report, &cfut);
    drop(cfut);
    procspawn.shutdown();

    startup_shutdown(report);
    idle_cpu(report);
    python::record_script(
        report,
        "processes.py",
        &[("--workers", WORKERS.to_string())],
    );
}

fn warm_up(pool: &ProcessPoolExecutor) {
    let futures: Vec<_> = (0..WORKERS as u64 * 4)
        .map(|i| pool.submit(noop, i))
        .collect();
    for f in futures {
        f.result().expect("cfut warm-up");
    }
}

/// The sum of `0..n`, what every burst of no-op calls must return.
fn sum_below(n: u64) -> u64 {
    n * (n - 1) / 2
}

/// µs per call over `calls` calls made by `run`, which returns the sum of the results.
fn per_call(calls: usize, run: impl FnOnce() -> u64) -> Sample {
    let (sample, total) = timed(calls, Per::CallMicros, run);
    assert_eq!(total, sum_below(calls as u64));
    sample
}

/// `calls` no-op calls on cfut's pool, every result taken; their sum.
fn cfut_burst(pool: &ProcessPoolExecutor, calls: u64) -> u64 {
    let futures: Vec<Future<u64>> = (0..calls).map(|i| pool.submit(noop, i)).collect();
    futures
        .into_iter()
        .map(|f| f.result().expect("cfut call"))
        .sum()
}

/// `calls` no-op calls on procspawn's pool, at most `PROCSPAWN_IN_FLIGHT` at once; their sum.
fn procspawn_burst(pool: &procspawn::Pool, calls: u64) -> u64 {
    let mut total = 0;
    let mut next = 0_u64;
    while next < calls {
        let batch = (PROCSPAWN_IN_FLIGHT as u64).min(calls - next);
        let handles: Vec<_> = (next..next + batch).map(|i| pool.spawn(i, noop)).collect();
        for handle in handles {
            total += handle.join().expect("procspawn call");
        }
        next += batch;
    }
    total
}

fn cfut_round_trip(pool: &ProcessPoolExecutor) -> Sample {
    round_trips(ROUND_TRIPS, |i| {
        pool.submit(noop, i as u64).result().expect("cfut call") as usize
    })
}

fn procspawn_round_trip(pool: &procspawn::Pool) -> Sample {
    round_trips(PROCSPAWN_ROUND_TRIPS, |i| {
        pool.spawn(i as u64, noop).join().expect("procspawn call") as usize
    })
}

/// Calls per second of one map of `MAP_INPUTS` inputs by `run`, whose results are checked
/// (in input order) outside the clock.
fn map_rate(run: impl FnOnce() -> Vec<u64>) -> Sample {
    let (sample, out) = timed(MAP_INPUTS as usize, Per::Rate, run);
    assert!(out.into_iter().eq(0..MAP_INPUTS), "results in input order");
    sample
}

fn cfut_map_chunked(pool: &ProcessPoolExecutor) -> Sample {
    let chunk = NonZeroUsize::new(MAP_CHUNK).expect("non-zero");
    map_rate(|| {
        pool.map(noop, 0..MAP_INPUTS)
            .chunksize(chunk)
            .eager()
            .map(|r| r.expect("cfut call"))
            .collect()
    })
}

fn procspawn_map_chunked(pool: &procspawn::Pool) -> Sample {
    map_rate(|| {
        let inputs: Vec<u64> = (0..MAP_INPUTS).collect();
        let handles: Vec<_> = inputs
            .chunks(MAP_CHUNK)
            .map(|chunk| pool.spawn(chunk.to_vec(), noop_chunk))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("procspawn call"))
            .collect()
    })
}

fn cfut_as_completed(pool: &ProcessPoolExecutor) -> Sample {
    let (sample, total) = timed(AS_COMPLETED_CALLS, Per::Millis, || {
        let mut futures: Vec<Future<u64>> = (0..AS_COMPLETED_CALLS as u64)
            .map(|i| pool.submit(noop, i))
            .collect();
        let waiter = Waiter::new();
        for (i, f) in futures.iter().enumerate() {
            f.watch(&waiter, i);
        }
        let mut ready = Vec::new();
        let mut drained = 0;
        let mut total = 0;
        while drained < AS_COMPLETED_CALLS {
            waiter.wait_into(&mut ready);
            for i in ready.drain(..) {
                total += futures[i].try_result().expect("done").expect("cfut call");
                drained += 1;
            }
        }
        total
    });
    assert_eq!(total, sum_below(AS_COMPLETED_CALLS as u64));
    sample
}

/// ms for one `cycle` (build, two meeting calls, shut down with the workers reaped). Checks,
/// after the clock stopped, that the cycle left no process behind.
fn startup_cycle(system: &str, cycle: impl FnOnce()) -> Sample {
    let before = descendants();
    let start = Instant::now();
    cycle();
    let elapsed = start.elapsed();
    let left: Vec<u32> = descendants()
        .into_iter()
        .filter(|pid| !before.contains(pid))
        .collect();
    assert!(
        left.is_empty(),
        "{system}: processes {left:?} still exist (or are unreaped) after shutdown"
    );
    Sample::bare(elapsed.as_secs_f64() * 1e3)
}

fn startup_shutdown(report: &mut Report) {
    let fifo = Fifo::new();
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                startup_cycle("cfut", || {
                    let pool = ProcessPoolExecutor::new(WORKERS).expect("cfut pool");
                    let futures = fifo.pair().map(|side| pool.submit(meet, side));
                    for future in futures {
                        assert_eq!(future.result(), Ok(true));
                    }
                    pool.shutdown(Shutdown::new()); // waits until the workers are reaped
                })
            }),
        ),
        (
            "procspawn",
            Box::new(|| {
                startup_cycle("procspawn", || {
                    let pool = procspawn::Pool::new(WORKERS).expect("procspawn pool");
                    let handles = fifo.pair().map(|side| pool.spawn(side, meet));
                    for handle in handles {
                        assert!(handle.join().expect("procspawn call"));
                    }
                    pool.shutdown(); // kills and reaps its workers
                })
            }),
        ),
        (
            "pipe-floor",
            Box::new(|| {
                startup_cycle("pipe-floor", || {
                    let mut children = EchoChildren::start(WORKERS);
                    children.ping_each();
                    children.stop();
                })
            }),
        ),
    ];
    report.measure("proc_startup_shutdown", contenders);
}

fn idle_cpu(report: &mut Report) {
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                let pool = ProcessPoolExecutor::new(WORKERS).expect("cfut pool");
                idle_after(|| assert_eq!(cfut_burst(&pool, IDLE_BURST), sum_below(IDLE_BURST)))
            }),
        ),
        (
            "procspawn",
            Box::new(|| {
                let pool = procspawn::Pool::new(WORKERS).expect("procspawn pool");
                let sample = idle_after(|| {
                    assert_eq!(procspawn_burst(&pool, IDLE_BURST), sum_below(IDLE_BURST));
                });
                pool.shutdown();
                sample
            }),
        ),
    ];
    report.measure("proc_idle_cpu_pct", contenders);
    // Let the last pool's workers be reaped before Python starts.
    std::thread::sleep(Duration::from_millis(10));
}
