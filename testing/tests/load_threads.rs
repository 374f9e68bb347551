//! Load: many tiny calls through `ThreadPoolExecutor` with `map` and with `as_completed`:
//! every result arrives, right, and memory stays bounded.
//!
//! `threads_100k` runs in every `cargo test` (100 000 calls each way, a few seconds in a
//! debug build). `threads_1m` is the full-size run of issue 6 (1 000 000 calls each way),
//! ignored by default; run it with
//! `cargo test --release -p cfut-testing --test load_threads -- --ignored --nocapture`.
//! Each prints its throughput and peak memory; neither asserts anything about speed.
//!
//! Memory bounds asserted (generous, to catch leaks and unbounded buffering, not to tune):
//! the lazy `map` keeps a bounded window in flight, so its peak growth must not depend on the
//! number of calls — at most 64 MiB; `as_completed` holds every future at once by design, so
//! its growth must stay under 1 KiB per call.

// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::time::Instant;

use cfut_combinators::{MapExt, as_completed_timeout};
use cfut_core::Shutdown;
use cfut_testing::memory;
use cfut_threads::ThreadPoolExecutor;

const LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

fn run(calls: u64) {
    let pool = ThreadPoolExecutor::new(2).expect("two workers");

    // map: lazy, windowed; results in input order.
    memory::reset_peak();
    let before = memory::resident_kib();
    let start = Instant::now();
    let mut count = 0_u64;
    let mut sum = 0_u64;
    for (i, result) in pool
        .map(|x: u64| x ^ 0x5a, 0..calls)
        .timeout(LIMIT)
        .enumerate()
    {
        let value = result.expect("no call fails");
        assert_eq!(value, (i as u64) ^ 0x5a, "map keeps input order");
        sum = sum.wrapping_add(value);
        count += 1;
    }
    let map_time = start.elapsed();
    assert_eq!(count, calls, "every map result arrived");
    let expected: u64 = (0..calls).map(|x| x ^ 0x5a).fold(0, u64::wrapping_add);
    assert_eq!(sum, expected);
    let map_peak = memory::peak_resident_kib();
    report("map", calls, map_time, before, map_peak);
    if let (Some(before), Some(peak)) = (before, map_peak) {
        assert!(
            peak.saturating_sub(before) < 64 * 1024,
            "the windowed map grew the peak by {} KiB",
            peak - before
        );
    }

    // as_completed: every future submitted first, then drained in completion order.
    memory::reset_peak();
    let before = memory::resident_kib();
    let start = Instant::now();
    let futures: Vec<_> = (0..calls).map(|x| pool.spawn(move || x + 1)).collect();
    let mut seen = vec![false; usize::try_from(calls).expect("fits")];
    for item in as_completed_timeout(futures, LIMIT) {
        let mut future = item.expect("every future completes within the limit");
        let value = future
            .try_result()
            .expect("yielded futures are done")
            .expect("no call fails");
        let slot = &mut seen[usize::try_from(value - 1).expect("fits")];
        assert!(!*slot, "value {value} yielded twice");
        *slot = true;
    }
    let drained = start.elapsed();
    assert!(seen.iter().all(|&s| s), "every future was yielded");
    let peak = memory::peak_resident_kib();
    report("submit + as_completed", calls, drained, before, peak);
    if let (Some(before), Some(peak)) = (before, peak) {
        assert!(
            peak.saturating_sub(before) < calls,
            "as_completed grew the peak by {} KiB for {calls} futures",
            peak - before
        );
    }
    pool.shutdown(Shutdown::new());
}

fn report(
    what: &str,
    calls: u64,
    time: std::time::Duration,
    before: Option<u64>,
    peak: Option<u64>,
) {
    println!(
        "threads {what}: {calls} calls in {:.3} s = {:.0} calls/s; resident before {} KiB, peak {} KiB",
        time.as_secs_f64(),
        calls as f64 / time.as_secs_f64(),
        before.map_or("?".into(), |kib| kib.to_string()),
        peak.map_or("?".into(), |kib| kib.to_string()),
    );
}

#[test]
fn threads_100k() {
    run(100_000);
}

#[test]
#[ignore = "load test: run with --ignored"]
fn threads_1m() {
    run(1_000_000);
}
