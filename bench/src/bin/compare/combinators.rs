//! The `combinators` suite: `as_completed` and `map` against the peers.
//!
//! - `as_completed_10k` (ms, lower is better): submit 10 000 no-op calls, drain them in
//!   completion order and take every value. cfut: `submit` + `as_completed` + `result()`;
//!   Python: `submit` + `as_completed` + `result()` (`python`), `imap_unordered` of
//!   `multiprocessing.pool.ThreadPool` (`python-pool`); the Rust peers, which have no futures:
//!   each call gets a handle (a `oneshot` channel), puts its value in it and sends its index
//!   on one shared channel; the caller drains the indices in completion order and takes each
//!   value from its handle. `channel-floor`: the channel pool without handles, each call
//!   sends its bare value on the shared channel.
//! - `map_100k` (calls/s, higher is better): map a no-op over 100 000 inputs, results in
//!   input order, one call per element: cfut's `map` with `chunksize(1)` (its grouping off);
//!   rayon, threadpool, futures-executor and the channel pool: one call per element, each
//!   result through its `oneshot`, taken in order; Python: `ThreadPoolExecutor.map`
//!   (`python`), `ThreadPool.map` with `chunksize=1` (`python-pool`).
//! - `map_100k_grouped` (calls/s): the same map, grouped as each library groups by default:
//!   cfut's default `map` (what users write), rayon's `par_iter().map().collect()` (it splits
//!   ranges), `ThreadPool.map` with its default chunks (`python-pool`).
//!
//! Every system gets the same number of worker threads (the machine's parallelism), its pool
//! built once, outside the timed region, and warmed up by the first run; each run starts after
//! a 50 ms pause so that the previous system's spinning threads have gone idle.

use std::hint::black_box;
use std::num::NonZeroUsize;

use cfut_combinators::{MapExt, as_completed};
use cfut_threads::ThreadPoolExecutor;
use crossbeam_channel::{Sender, unbounded};
use rayon::prelude::*;

use crate::channel_pool::ChannelPool;
use crate::cpu::Meter;
use crate::peers::{Spawner, futures_pool, map_in_order, rayon_pool};
use crate::python;
use crate::report::{Contender, Report, Sample};
use crate::threads::settle;

const AS_COMPLETED_CALLS: usize = 10_000;
const MAP_INPUTS: usize = 100_000;

pub(crate) fn run(report: &mut Report) {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!("compare: combinators suite, {workers} workers per system");

    let cfut = ThreadPoolExecutor::new(workers).expect("cfut thread pool");
    let rayon = rayon_pool(workers);
    let threadpool = threadpool::ThreadPool::new(workers);
    let futures = futures_pool(workers);
    let channel = ChannelPool::new(workers);

    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                timed_ms(AS_COMPLETED_CALLS, || {
                    let futures: Vec<_> = (0..AS_COMPLETED_CALLS)
                        .map(|i| cfut.submit(move || black_box(i)))
                        .collect();
                    let sum: usize = as_completed(futures)
                        .map(|f| f.result().expect("no-op call"))
                        .sum();
                    assert_eq!(sum, AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) / 2);
                })
            }),
        ),
        ("rayon", Box::new(|| peer_as_completed(&rayon))),
        ("threadpool", Box::new(|| peer_as_completed(&threadpool))),
        ("futures-executor", Box::new(|| peer_as_completed(&futures))),
        ("channel-pool", Box::new(|| peer_as_completed(&channel))),
        (
            "channel-floor",
            Box::new(|| {
                timed_ms(AS_COMPLETED_CALLS, || {
                    let (tx, rx) = unbounded();
                    for i in 0..AS_COMPLETED_CALLS {
                        let tx = tx.clone();
                        channel.execute(move || send(&tx, black_box(i)));
                    }
                    drop(tx);
                    let sum: usize = rx.iter().take(AS_COMPLETED_CALLS).sum();
                    assert_eq!(sum, AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) / 2);
                })
            }),
        ),
    ];
    report.measure("as_completed_10k", contenders);

    let one = NonZeroUsize::MIN;
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                rate(|| {
                    let mut n = 0_usize;
                    for value in cfut.map(identity, 0..MAP_INPUTS).chunksize(one) {
                        assert_eq!(value, Ok(n));
                        n += 1;
                    }
                    assert_eq!(n, MAP_INPUTS);
                })
            }),
        ),
        ("rayon", Box::new(|| peer_map(&rayon))),
        ("threadpool", Box::new(|| peer_map(&threadpool))),
        ("futures-executor", Box::new(|| peer_map(&futures))),
        ("channel-floor", Box::new(|| peer_map(&channel))),
    ];
    report.measure("map_100k", contenders);

    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                rate(|| {
                    let mut n = 0_usize;
                    for value in cfut.map(identity, 0..MAP_INPUTS) {
                        assert_eq!(value, Ok(n));
                        n += 1;
                    }
                    assert_eq!(n, MAP_INPUTS);
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                rate(|| {
                    let out: Vec<usize> =
                        rayon.install(|| (0..MAP_INPUTS).into_par_iter().map(identity).collect());
                    assert!(out.iter().copied().eq(0..MAP_INPUTS));
                })
            }),
        ),
    ];
    report.measure("map_100k_grouped", contenders);

    python::record_script(report, "combinators.py", &[("--workers", workers.to_string())]);
}

/// The mapped no-op.
fn identity(x: usize) -> usize {
    black_box(x)
}

fn timed_ms(calls: usize, run: impl FnOnce()) -> Sample {
    settle();
    let meter = Meter::start();
    run();
    let (wall, cpu) = meter.stop(calls);
    Sample {
        value: wall.as_secs_f64() * 1e3,
        cpu_us_per_call: Some(cpu),
    }
}

/// Calls per second of one map of `MAP_INPUTS` elements.
fn rate(run: impl FnOnce()) -> Sample {
    settle();
    let meter = Meter::start();
    run();
    let (wall, cpu) = meter.stop(MAP_INPUTS);
    Sample {
        value: MAP_INPUTS as f64 / wall.as_secs_f64(),
        cpu_us_per_call: Some(cpu),
    }
}

fn send<T>(tx: &Sender<T>, value: T) {
    // The receiver outlives every send of a run.
    tx.send(value).expect("the caller drains the channel");
}

/// `as_completed_10k` on a Rust peer: call `i` puts its value in its handle (a `oneshot`),
/// then announces `i` on the shared channel; the caller drains the indices in completion
/// order and takes each value from its handle.
fn peer_as_completed<P: Spawner>(pool: &P) -> Sample {
    timed_ms(AS_COMPLETED_CALLS, || {
        let (done_tx, done_rx) = unbounded::<usize>();
        let mut handles: Vec<Option<oneshot::Receiver<usize>>> = (0..AS_COMPLETED_CALLS)
            .map(|i| {
                let done = done_tx.clone();
                let (value_tx, value_rx) = oneshot::channel();
                pool.run(move || {
                    // The caller holds every handle until it has drained them.
                    value_tx
                        .send(black_box(i))
                        .expect("the handle outlives the call");
                    send(&done, i);
                });
                Some(value_rx)
            })
            .collect();
        drop(done_tx);
        let mut sum = 0;
        for i in done_rx.iter().take(AS_COMPLETED_CALLS) {
            let handle = handles[i].take().expect("each index arrives once");
            sum += handle.recv().expect("value sent before the index");
        }
        assert_eq!(sum, AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) / 2);
    })
}

/// `map_100k` on a Rust peer: one call per element, results taken in input order.
fn peer_map<P: Spawner>(pool: &P) -> Sample {
    rate(|| {
        let out = map_in_order(pool, identity, 0..MAP_INPUTS);
        assert!(out.into_iter().eq(0..MAP_INPUTS));
    })
}
