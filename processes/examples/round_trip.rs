//! Round-trip latency of one call at a time, and throughput of many calls in flight.
//!
//! ```text
//! cargo run --release -p cfut-processes --example round_trip
//! ```
//!
//! No set-up line is needed: on Linux the worker check runs before `main`.

use std::time::Instant;

use cfut_processes::ProcessPoolExecutor;

fn noop(x: u64) -> u64 {
    x
}

fn main() {
    let mut startup: Vec<f64> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let pool = ProcessPoolExecutor::new(2).expect("a process pool");
            assert_eq!(pool.submit(noop, 1).result(), Ok(1));
            drop(pool);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    startup.sort_by(f64::total_cmp);
    println!(
        "build, one call, shut down: p50 {:.2} ms",
        startup[startup.len() / 2]
    );

    let pool = ProcessPoolExecutor::new(2).expect("a process pool");
    // Warm up: start the workers.
    let warm: Vec<_> = (0..8).map(|i| pool.submit(noop, i)).collect();
    warm.into_iter().for_each(|f| assert!(f.result().is_ok()));

    let mut samples: Vec<f64> = (0..2_000)
        .map(|i| {
            let start = Instant::now();
            assert_eq!(pool.submit(noop, i).result(), Ok(i));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "round trip: p50 {:.1} µs, p90 {:.1} µs",
        samples[samples.len() / 2],
        samples[samples.len() * 9 / 10]
    );

    let start = Instant::now();
    let futures: Vec<_> = (0..20_000).map(|i| pool.submit(noop, i)).collect();
    let total: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
    assert_eq!(total, 20_000 * 19_999 / 2);
    println!(
        "20 000 calls in flight: {:.2} µs per call",
        start.elapsed().as_secs_f64() * 1e6 / 20_000.0
    );
}
