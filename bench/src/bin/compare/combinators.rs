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
//! a 50 ms pause so that the previous system's spinning threads have gone idle
//! ([`crate::timing::settle`]).

use std::hint::black_box;
use std::num::NonZeroUsize;

use cfut_combinators::{MapExt, as_completed};
use cfut_threads::ThreadPoolExecutor;
use crossbeam_channel::{Sender, unbounded};
use rayon::prelude::*;

use crate::peers::{PeerRun, Peers, Spawner, map_in_order};
use crate::python;
use crate::report::{Contender, Report, Sample};
use crate::timing::{Per, timed};

const AS_COMPLETED_CALLS: usize = 10_000;
const MAP_INPUTS: usize = 100_000;

pub(crate) fn run(report: &mut Report) {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!("compare: combinators suite, {workers} workers per system");
    let cfut = ThreadPoolExecutor::new(workers).expect("cfut thread pool");
    let peers = Peers::new(workers);
    let expected = AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) / 2;

    let mut contenders: Vec<Contender<'_>> = vec![(
        "cfut",
        Box::new(|| {
            let (sample, sum) = timed(AS_COMPLETED_CALLS, Per::Millis, || {
                let futures: Vec<_> = (0..AS_COMPLETED_CALLS)
                    .map(|i| cfut.spawn(move || black_box(i)))
                    .collect();
                as_completed(futures)
                    .map(|f| f.result().expect("no-op call"))
                    .sum::<usize>()
            });
            assert_eq!(sum, expected);
            sample
        }),
    )];
    contenders.extend(peers.contenders(AsCompleted));
    contenders.push((
        "channel-floor",
        Box::new(|| {
            let (sample, sum) = timed(AS_COMPLETED_CALLS, Per::Millis, || {
                let (tx, rx) = unbounded();
                for i in 0..AS_COMPLETED_CALLS {
                    let tx = tx.clone();
                    peers.channel.execute(move || send(&tx, black_box(i)));
                }
                drop(tx);
                rx.iter().take(AS_COMPLETED_CALLS).sum::<usize>()
            });
            assert_eq!(sum, expected);
            sample
        }),
    ));
    report.measure("as_completed_10k", contenders);

    // `map_100k`: one call per element for everyone (cfut's grouping off).
    let one = NonZeroUsize::MIN;
    let mut contenders: Vec<Contender<'_>> = vec![(
        "cfut",
        Box::new(|| {
            map_rate(|| {
                cfut.map(identity, 0..MAP_INPUTS)
                    .chunksize(one)
                    .map(|r| r.expect("no-op call"))
                    .collect()
            })
        }),
    )];
    contenders.extend(peers.contenders(MapPerElement));
    report.measure("map_100k", contenders);

    // `map_100k_grouped`: each library's default grouping.
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                map_rate(|| {
                    cfut.map(identity, 0..MAP_INPUTS)
                        .map(|r| r.expect("no-op call"))
                        .collect()
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                map_rate(|| {
                    peers
                        .rayon
                        .install(|| (0..MAP_INPUTS).into_par_iter().map(identity).collect())
                })
            }),
        ),
    ];
    report.measure("map_100k_grouped", contenders);

    python::record_script(
        report,
        "combinators.py",
        &[("--workers", workers.to_string())],
    );
}

/// The mapped no-op.
fn identity(x: usize) -> usize {
    black_box(x)
}

/// Calls per second of one map of `MAP_INPUTS` elements by `run`, whose results are checked
/// (in input order) outside the clock.
fn map_rate(run: impl FnOnce() -> Vec<usize>) -> Sample {
    let (sample, out) = timed(MAP_INPUTS, Per::Rate, run);
    assert!(out.into_iter().eq(0..MAP_INPUTS), "results in input order");
    sample
}

fn send<T>(tx: &Sender<T>, value: T) {
    // The receiver outlives every send of a run.
    tx.send(value).expect("the caller drains the channel");
}

/// `as_completed_10k` on a Rust peer: call `i` puts its value in its handle (a `oneshot`),
/// then announces `i` on the shared channel; the caller drains the indices in completion
/// order and takes each value from its handle.
#[derive(Debug, Clone, Copy)]
struct AsCompleted;

impl PeerRun for AsCompleted {
    fn run<P: Spawner>(self, pool: &P) -> Sample {
        let (sample, sum) = timed(AS_COMPLETED_CALLS, Per::Millis, || {
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
            sum
        });
        assert_eq!(sum, AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) / 2);
        sample
    }
}

/// `map_100k` on a Rust peer: one call per element, results taken in input order.
#[derive(Debug, Clone, Copy)]
struct MapPerElement;

impl PeerRun for MapPerElement {
    fn run<P: Spawner>(self, pool: &P) -> Sample {
        map_rate(|| map_in_order(pool, identity, 0..MAP_INPUTS))
    }
}
