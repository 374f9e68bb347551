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
//! - `proc_map_chunked` (calls/s): map a no-op over 200 000 inputs, chunksize 1 000.
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
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use cfut_core::{Future, Shutdown, Waiter};
use cfut_processes::ProcessPoolExecutor;

use crate::cpu::{Meter, descendants, idle_after};
use crate::echo;
use crate::pipe_floor::EchoChildren;
use crate::python;
use crate::rendezvous::{Fifo, meet};
use crate::report::{Contender, Report, Sample, median};

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

    // A floor's run: the figure `run` returns times `scale`, and the CPU per call.
    let floor_run = |calls: usize, scale: f64, run: &mut dyn FnMut() -> f64| {
        let meter = Meter::start();
        let seconds = run();
        let (_, cpu) = meter.stop(calls);
        Sample {
            value: seconds * scale,
            cpu_us_per_call: Some(cpu),
        }
    };
    let us_per_call = 1e6 / SUBMIT_CALLS as f64;
    let contenders: Vec<Contender<'_>> = vec![
        ("cfut", Box::new(|| cfut_submit_result(&cfut))),
        ("procspawn", Box::new(|| procspawn_submit_result(&procspawn))),
        (
            "pipe-floor",
            Box::new(|| {
                floor_run(SUBMIT_CALLS, us_per_call, &mut || {
                    floor.borrow_mut().ping_pong_parallel(SUBMIT_CALLS)
                })
            }),
        ),
        (
            "pipe-pipelined-floor",
            Box::new(|| {
                floor_run(SUBMIT_CALLS, us_per_call, &mut || {
                    floor.borrow_mut().pipelined(SUBMIT_CALLS)
                })
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
                floor_run(ROUND_TRIPS, 1.0, &mut || floor_single.round_trip_p50(ROUND_TRIPS))
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
                let mut sample = floor_run(MAP_INPUTS as usize, 1.0, &mut || {
                    floor.borrow_mut().chunks(chunks, MAP_CHUNK * 8)
                });
                sample.value = MAP_INPUTS as f64 / sample.value;
                sample
            }),
        ),
    ];
    report.measure("proc_map_chunked", contenders);

    let contenders: Vec<Contender<'_>> = vec![
        ("cfut", Box::new(|| cfut_as_completed(&cfut))),
        (
            "pipe-floor",
            Box::new(|| {
                floor_run(AS_COMPLETED_CALLS, 1e3, &mut || {
                    floor.borrow_mut().ping_pong_parallel(AS_COMPLETED_CALLS)
                })
            }),
        ),
        (
            "pipe-pipelined-floor",
            Box::new(|| {
                floor_run(AS_COMPLETED_CALLS, 1e3, &mut || {
                    floor.borrow_mut().pipelined(AS_COMPLETED_CALLS)
                })
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
    python::record_script(report, "processes.py", &[("--workers", WORKERS.to_string())]);
}

fn warm_up(pool: &ProcessPoolExecutor) {
    let futures: Vec<_> = (0..WORKERS as u64 * 4)
        .map(|i| pool.submit(noop, i))
        .collect();
    for f in futures {
        f.result().expect("cfut warm-up");
    }
}

/// µs per call over `calls` calls made by `run`, which returns the sum of the results.
fn per_call(calls: usize, run: impl FnOnce() -> u64) -> Sample {
    let meter = Meter::start();
    let total = run();
    let (wall, cpu) = meter.stop(calls);
    assert_eq!(total, (calls as u64 * (calls as u64 - 1)) / 2);
    Sample {
        value: wall.as_secs_f64() * 1e6 / calls as f64,
        cpu_us_per_call: Some(cpu),
    }
}

fn cfut_submit_result(pool: &ProcessPoolExecutor) -> Sample {
    per_call(SUBMIT_CALLS, || {
        let futures: Vec<Future<u64>> = (0..SUBMIT_CALLS as u64)
            .map(|i| pool.submit(noop, i))
            .collect();
        futures.into_iter().map(|f| f.result().expect("cfut call")).sum()
    })
}

fn procspawn_submit_result(pool: &procspawn::Pool) -> Sample {
    per_call(SUBMIT_CALLS, || {
        let mut total = 0;
        let mut next = 0_u64;
        while (next as usize) < SUBMIT_CALLS {
            let batch = PROCSPAWN_IN_FLIGHT.min(SUBMIT_CALLS - next as usize) as u64;
            let handles: Vec<_> = (next..next + batch).map(|i| pool.spawn(i, noop)).collect();
            for handle in handles {
                total += handle.join().expect("procspawn call");
            }
            next += batch;
        }
        total
    })
}

/// The median of `n` round trips made by `one`, and the CPU per call over all of them.
fn p50(n: usize, mut one: impl FnMut(u64) -> u64) -> Sample {
    let meter = Meter::start();
    let samples = (0..n as u64)
        .map(|i| {
            let start = Instant::now();
            assert_eq!(one(i), i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let (_, cpu) = meter.stop(n);
    Sample {
        value: median(samples),
        cpu_us_per_call: Some(cpu),
    }
}

fn cfut_round_trip(pool: &ProcessPoolExecutor) -> Sample {
    p50(ROUND_TRIPS, |i| pool.submit(noop, i).result().expect("cfut call"))
}

fn procspawn_round_trip(pool: &procspawn::Pool) -> Sample {
    p50(PROCSPAWN_ROUND_TRIPS, |i| {
        pool.spawn(i, noop).join().expect("procspawn call")
    })
}

/// Calls per second of one map of `MAP_INPUTS` inputs, by `run` (which checks the order).
fn map_rate(run: impl FnOnce()) -> Sample {
    let meter = Meter::start();
    run();
    let (wall, cpu) = meter.stop(MAP_INPUTS as usize);
    Sample {
        value: MAP_INPUTS as f64 / wall.as_secs_f64(),
        cpu_us_per_call: Some(cpu),
    }
}

fn cfut_map_chunked(pool: &ProcessPoolExecutor) -> Sample {
    map_rate(|| {
        let chunk = NonZeroUsize::new(MAP_CHUNK).expect("non-zero");
        let mut n = 0_u64;
        for value in pool.map(noop, 0..MAP_INPUTS, chunk) {
            assert_eq!(value, Ok(n));
            n += 1;
        }
        assert_eq!(n, MAP_INPUTS);
    })
}

fn procspawn_map_chunked(pool: &procspawn::Pool) -> Sample {
    map_rate(|| {
        let inputs: Vec<u64> = (0..MAP_INPUTS).collect();
        let handles: Vec<_> = inputs
            .chunks(MAP_CHUNK)
            .map(|chunk| pool.spawn(chunk.to_vec(), noop_chunk))
            .collect();
        let mut n = 0_u64;
        for handle in handles {
            for value in handle.join().expect("procspawn call") {
                assert_eq!(value, n);
                n += 1;
            }
        }
        assert_eq!(n, MAP_INPUTS);
    })
}

fn cfut_as_completed(pool: &ProcessPoolExecutor) -> Sample {
    let meter = Meter::start();
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
    let (wall, cpu) = meter.stop(AS_COMPLETED_CALLS);
    assert_eq!(
        black_box(total),
        (AS_COMPLETED_CALLS as u64 * (AS_COMPLETED_CALLS as u64 - 1)) / 2
    );
    Sample {
        value: wall.as_secs_f64() * 1e3,
        cpu_us_per_call: Some(cpu),
    }
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
                idle_after(|| {
                    let futures: Vec<_> = (0..IDLE_BURST).map(|i| pool.submit(noop, i)).collect();
                    let sum: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
                    assert_eq!(sum, IDLE_BURST * (IDLE_BURST - 1) / 2);
                })
            }),
        ),
        (
            "procspawn",
            Box::new(|| {
                let pool = procspawn::Pool::new(WORKERS).expect("procspawn pool");
                let sample = idle_after(|| {
                    let handles: Vec<_> = (0..IDLE_BURST).map(|i| pool.spawn(i, noop)).collect();
                    let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
                    assert_eq!(sum, IDLE_BURST * (IDLE_BURST - 1) / 2);
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
