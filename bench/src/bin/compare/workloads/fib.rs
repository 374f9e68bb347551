//! `recursive_fib` (s): fib(25) computed by recursion where every call runs its first half as
//! a separate task and computes the second itself (242 785 calls, 121 392 tasks), on 2
//! workers.
//!
//! cfut: `spawn` the first half on the pool the call runs on (reached through
//! `ThreadPoolExecutor::with_current`, as `rayon::join` reaches the current thread's pool: no
//! handle captured, no `Arc` cloned per call), compute the second, then `result()` the first
//! (a worker waiting on a future runs it inline if no other worker took it); rayon:
//! `rayon::join`. threadpool and
//! Python's `ThreadPoolExecutor` are not measured: a call that blocks on another call of the
//! same bounded pool deadlocks there once every worker waits. `serial` is the plain recursion
//! on the calling thread; `ideal` is its time ÷ 2, in the same run.

use cfut_threads::ThreadPoolExecutor;

use super::seconds;
use crate::peers::rayon_pool;
use crate::report::{Contender, Report, Sample, median};

const WORKERS: usize = 2;
const N: u32 = 25;
const FIB_N: u64 = 75_025;
/// Calls of the recursion for fib(25): 2 × fib(26) − 1.
const CALLS: usize = 242_785;

fn fib_serial(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    fib_serial(n - 1) + fib_serial(n - 2)
}

fn fib_cfut(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    let first = ThreadPoolExecutor::with_current(|pool| pool.spawn(move || fib_cfut(n - 1)))
        .expect("fib runs on a pool thread");
    let second = fib_cfut(n - 2);
    first.result().expect("fib call") + second
}

fn fib_rayon(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    let (first, second) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    first + second
}

pub(super) fn run(report: &mut Report) {
    let cfut = ThreadPoolExecutor::new(WORKERS).expect("cfut pool");
    let rayon = rayon_pool(WORKERS);
    let mut serial = Vec::new();
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                seconds(CALLS, &FIB_N, || {
                    cfut.spawn(|| fib_cfut(N)).result().expect("fib")
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| seconds(CALLS, &FIB_N, || rayon.install(|| fib_rayon(N)))),
        ),
        (
            "serial",
            Box::new(|| {
                let sample = seconds(CALLS, &FIB_N, || fib_serial(std::hint::black_box(N)));
                serial.push(sample.value);
                sample
            }),
        ),
    ];
    report.measure("recursive_fib", contenders);
    report.record(
        "recursive_fib",
        "ideal",
        Sample::bare(median(serial) / WORKERS as f64),
    );
}
