//! The `combinators` suite: `as_completed` and `map` against the peers.
//!
//! - `as_completed_10k` (ms, lower is better): submit 10 000 no-op calls and drain them in
//!   completion order. cfut: `submit` + `as_completed`; Python: `submit` + `as_completed`; the
//!   Rust peers, which have no futures: "their handles drained through a channel" (issue 4) —
//!   each call gets a handle, a `oneshot` channel (the lightest one-value channel on
//!   crates.io: one allocation, no lock), puts its value in it and sends its index on one
//!   shared channel; the caller drains the indices in completion order and takes each value
//!   from its handle. The extra row `floor` is the channel pool without handles: each call
//!   sends its bare value on the shared channel (the "floor"; it gives the caller
//!   values, not futures it could cancel, inspect or wait for one by one).
//! - `map_100k` (tasks/s, higher is better): map a no-op over 100 000 inputs, results in input
//!   order. cfut: `executor.map` with its default window (one call per item), and, as an extra
//!   row, `cfut-chunk256` with `chunksize(256)`; rayon:
//!   `par_iter().map().collect()` (it splits ranges instead of queuing one call per item);
//!   threadpool, futures-executor and the channel pool: one task per item, results sent back
//!   with their index and put in order; Python: `executor.map`.
//!
//! Every system gets the same number of worker threads (the machine's parallelism), its pool
//! built once, outside the timed region, and warmed up by the first run; each run starts after
//! a 50 ms pause so that the previous system's spinning threads have gone idle.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cfut_combinators::{MapExt, as_completed};
use cfut_threads::ThreadPoolExecutor;
use crossbeam_channel::{Receiver, Sender, unbounded};
use rayon::prelude::*;

use crate::python;
use crate::report::{Contender, Report};

const AS_COMPLETED_CALLS: usize = 10_000;
const MAP_INPUTS: usize = 100_000;

pub(crate) fn run(report: &mut Report) {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!("compare: combinators suite, {workers} workers per system");

    let cfut = match ThreadPoolExecutor::new(workers) {
        Ok(pool) => Some(pool),
        Err(error) => {
            eprintln!("compare: cannot build the cfut thread pool ({error}); skipping cfut");
            None
        }
    };
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .expect("rayon pool");
    let threadpool = threadpool::ThreadPool::new(workers);
    let futures_pool = futures::executor::ThreadPool::builder()
        .pool_size(workers)
        .create()
        .expect("futures-executor pool");
    let channel_pool = ChannelPool::new(workers);

    // as_completed_10k
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if let Some(pool) = &cfut {
        contenders.push((
            "cfut",
            Box::new(move || {
                timed_ms(|| {
                    let futures: Vec<_> = (0..AS_COMPLETED_CALLS)
                        .map(|i| pool.spawn(move || black_box(i)))
                        .collect();
                    let drained = as_completed(futures).count();
                    assert_eq!(drained, AS_COMPLETED_CALLS);
                })
            }),
        ));
    }
    contenders.push((
        "rayon",
        Box::new(|| {
            timed_ms(|| {
                drain_handles(AS_COMPLETED_CALLS, |i, handle, done| {
                    rayon.spawn(move || complete(i, handle, &done));
                });
            })
        }),
    ));
    contenders.push((
        "threadpool",
        Box::new(|| {
            timed_ms(|| {
                drain_handles(AS_COMPLETED_CALLS, |i, handle, done| {
                    threadpool.execute(move || complete(i, handle, &done));
                });
            })
        }),
    ));
    contenders.push((
        "futures-executor",
        Box::new(|| {
            timed_ms(|| {
                drain_handles(AS_COMPLETED_CALLS, |i, handle, done| {
                    futures_pool.spawn_ok(async move { complete(i, handle, &done) });
                });
            })
        }),
    ));
    contenders.push((
        "channel-pool",
        Box::new(|| {
            timed_ms(|| {
                drain_handles(AS_COMPLETED_CALLS, |i, handle, done| {
                    channel_pool.execute(move || complete(i, handle, &done));
                });
            })
        }),
    ));
    contenders.push((
        "floor",
        Box::new(|| {
            timed_ms(|| {
                drain_through_channel(AS_COMPLETED_CALLS, |i, tx| {
                    channel_pool.execute(move || send(&tx, i));
                })
            })
        }),
    ));
    report.measure("as_completed_10k", "ms", contenders);

    // map_100k
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if let Some(pool) = &cfut {
        contenders.push((
            "cfut",
            Box::new(move || {
                rate(MAP_INPUTS, || {
                    let mut n = 0_usize;
                    for value in pool.map(|x: usize| black_box(x), 0..MAP_INPUTS) {
                        assert_eq!(value, Ok(n));
                        n += 1;
                    }
                    assert_eq!(n, MAP_INPUTS);
                })
            }),
        ));
    }
    if let Some(pool) = &cfut {
        // Not the goal's configuration (that is one call per item): the same map with
        // `chunksize(256)`, to show what batching small calls buys.
        contenders.push((
            "cfut-chunk256",
            Box::new(move || {
                rate(MAP_INPUTS, || {
                    let chunk = NonZeroUsize::new(256).expect("non-zero");
                    let mut n = 0_usize;
                    for value in pool
                        .map(|x: usize| black_box(x), 0..MAP_INPUTS)
                        .chunksize(chunk)
                    {
                        assert_eq!(value, Ok(n));
                        n += 1;
                    }
                    assert_eq!(n, MAP_INPUTS);
                })
            }),
        ));
    }
    contenders.push((
        "rayon",
        Box::new(|| {
            rate(MAP_INPUTS, || {
                let out: Vec<usize> =
                    rayon.install(|| (0..MAP_INPUTS).into_par_iter().map(black_box).collect());
                assert_eq!(out.len(), MAP_INPUTS);
            })
        }),
    ));
    contenders.push((
        "threadpool",
        Box::new(|| {
            rate(MAP_INPUTS, || {
                ordered_through_channel(MAP_INPUTS, |i, tx| {
                    threadpool.execute(move || send(&tx, (i, black_box(i))));
                })
            })
        }),
    ));
    contenders.push((
        "futures-executor",
        Box::new(|| {
            rate(MAP_INPUTS, || {
                ordered_through_channel(MAP_INPUTS, |i, tx| {
                    futures_pool.spawn_ok(async move { send(&tx, (i, black_box(i))) });
                })
            })
        }),
    ));
    contenders.push((
        "channel-pool",
        Box::new(|| {
            rate(MAP_INPUTS, || {
                ordered_through_channel(MAP_INPUTS, |i, tx| {
                    channel_pool.execute(move || send(&tx, (i, black_box(i))));
                })
            })
        }),
    ));
    report.measure("map_100k", "tasks/s", contenders);

    let args = [
        "--runs".to_owned(),
        report.runs().to_string(),
        "--workers".to_owned(),
        workers.to_string(),
    ];
    if let Some(figures) = python::run_script("python_combinators.py", &args) {
        for (metric, value) in figures {
            let unit = if metric == "as_completed_10k" {
                "ms"
            } else {
                "tasks/s"
            };
            report.record(&metric, "python", value, unit);
        }
    }
    drop(cfut);
}

/// Lets the previous system's threads go idle first: pools that spin before parking (rayon,
/// crossbeam-channel receivers) would otherwise steal the cores from whoever runs next.
fn settle() {
    std::thread::sleep(Duration::from_millis(50));
}

fn timed_ms(run: impl FnOnce()) -> f64 {
    settle();
    let start = Instant::now();
    run();
    start.elapsed().as_secs_f64() * 1e3
}

fn rate(items: usize, run: impl FnOnce()) -> f64 {
    settle();
    let start = Instant::now();
    run();
    items as f64 / start.elapsed().as_secs_f64()
}

/// The body of call `i` of [`drain_handles`]: the no-op's value into its handle, then its
/// index on the shared channel.
fn complete(i: usize, handle: oneshot::Sender<usize>, done: &Sender<usize>) {
    // The caller holds every handle until it has drained them.
    handle
        .send(black_box(i))
        .expect("the handle outlives the call");
    send(done, i);
}

fn send<T>(tx: &Sender<T>, value: T) {
    // The receiver outlives every send of a run.
    tx.send(value).expect("the caller drains the channel");
}

/// Submits `calls` no-op calls through `submit`, call `i` with a handle (a `oneshot` channel)
/// for its value and the shared channel on which it announces its index once done (see
/// [`complete`]). Drains the indices in completion order and takes each value from its
/// handle.
fn drain_handles(
    calls: usize,
    mut submit: impl FnMut(usize, oneshot::Sender<usize>, Sender<usize>),
) {
    let (done_tx, done_rx) = unbounded::<usize>();
    let mut handles = Vec::with_capacity(calls);
    for i in 0..calls {
        let (value_tx, value_rx) = oneshot::channel::<usize>();
        handles.push(Some(value_rx));
        submit(i, value_tx, done_tx.clone());
    }
    drop(done_tx);
    let mut drained = 0;
    for i in done_rx.iter().take(calls) {
        let handle = handles[i].take().expect("each index arrives once");
        assert_eq!(handle.recv(), Ok(i));
        drained += 1;
    }
    assert_eq!(drained, calls);
}

/// Submits `calls` calls through `submit` (each sends its bare value on the channel) and
/// drains them in completion order.
fn drain_through_channel(calls: usize, mut submit: impl FnMut(usize, Sender<usize>)) {
    let (tx, rx): (Sender<usize>, Receiver<usize>) = unbounded();
    for i in 0..calls {
        submit(i, tx.clone());
    }
    drop(tx);
    let drained = rx.iter().take(calls).count();
    assert_eq!(drained, calls);
}

/// A map by hand: one task per input sends `(index, value)`; the caller puts the results in
/// input order.
fn ordered_through_channel(inputs: usize, mut submit: impl FnMut(usize, Sender<(usize, usize)>)) {
    let (tx, rx) = unbounded();
    for i in 0..inputs {
        submit(i, tx.clone());
    }
    drop(tx);
    let mut out = vec![None; inputs];
    for (index, value) in rx.iter().take(inputs) {
        out[index] = Some(value);
    }
    assert!(out.iter().all(Option::is_some));
    black_box(out);
}

type Task = Box<dyn FnOnce() + Send + 'static>;

/// The plain baseline: worker threads taking boxed tasks from one crossbeam channel.
struct ChannelPool {
    tx: Option<Sender<Task>>,
    workers: Vec<JoinHandle<()>>,
}

impl ChannelPool {
    fn new(workers: usize) -> Self {
        let (tx, rx) = unbounded::<Task>();
        let workers = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || {
                    for task in rx {
                        task();
                    }
                })
            })
            .collect();
        ChannelPool {
            tx: Some(tx),
            workers,
        }
    }

    fn execute(&self, task: impl FnOnce() + Send + 'static) {
        if let Some(tx) = &self.tx {
            tx.send(Box::new(task))
                .expect("the workers outlive the pool");
        }
    }
}

impl Drop for ChannelPool {
    fn drop(&mut self) {
        self.tx = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
