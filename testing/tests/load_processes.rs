//! Load: many tiny calls through `ProcessPoolExecutor` with `map` and with `as_completed`:
//! every result arrives, right, and memory stays bounded — in the parent and in the workers.
//!
//! `processes_10k` runs in every `cargo test` (10 000 calls each way). `processes_100k` is
//! the full-size run of issue 6 (100 000 calls each way, all in flight at once for
//! `as_completed`), ignored by default; run it with
//! `cargo test --release -p cfut-testing --test load_processes -- --ignored --nocapture`.
//! Each prints its throughput and peak memory; neither asserts anything about speed.
//!
//! Memory bounds asserted (generous, to catch leaks and unbounded buffering): the lazy `map`
//! grows the parent's peak by at most 64 MiB whatever the number of calls; `as_completed`,
//! which holds every future at once, by less than 2 KiB per call; a worker's peak stays under
//! 256 MiB.

#![cfg(target_os = "linux")]
// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::time::Instant;

use cfut_combinators::{CallMapExt, as_completed_timeout};
use cfut_core::{CallExecutor, Shutdown};
use cfut_processes::ProcessPoolExecutor;
use cfut_testing::conformance::calls::square;
use cfut_testing::memory;

const LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

fn run(calls: u64) {
    let pool = ProcessPoolExecutor::new(2).expect("two workers");

    memory::reset_peak();
    let before = memory::resident_kib();
    let start = Instant::now();
    let mut count = 0_u64;
    for (i, result) in pool.map_calls(square, 0..calls).timeout(LIMIT).enumerate() {
        let i = i as u64;
        assert_eq!(result, Ok(i * i), "map keeps input order");
        count += 1;
    }
    let map_time = start.elapsed();
    assert_eq!(count, calls, "every map result arrived");
    let map_peak = memory::peak_resident_kib();
    report("map", calls, map_time, before, map_peak);
    if let (Some(before), Some(peak)) = (before, map_peak) {
        assert!(
            peak.saturating_sub(before) < 64 * 1024,
            "the windowed map grew the parent's peak by {} KiB",
            peak - before
        );
    }

    memory::reset_peak();
    let before = memory::resident_kib();
    let start = Instant::now();
    let futures: Vec<_> = (0..calls).map(|x| pool.submit_call(square, x)).collect();
    let mut seen = vec![false; usize::try_from(calls).expect("fits")];
    for item in as_completed_timeout(futures, LIMIT) {
        let mut future = item.expect("every future completes within the limit");
        let value = future
            .try_result()
            .expect("yielded futures are done")
            .expect("no call fails");
        let root = (value as f64).sqrt().round() as u64;
        assert_eq!(root * root, value, "{value} is a square");
        let slot = &mut seen[usize::try_from(root).expect("fits")];
        assert!(!*slot, "square({root}) yielded twice");
        *slot = true;
    }
    let drained = start.elapsed();
    assert!(seen.iter().all(|&s| s), "every future was yielded");
    let peak = memory::peak_resident_kib();
    report("submit_call + as_completed", calls, drained, before, peak);
    if let (Some(before), Some(peak)) = (before, peak) {
        assert!(
            peak.saturating_sub(before) < 2 * calls,
            "as_completed grew the parent's peak by {} KiB for {calls} futures",
            peak - before
        );
    }
    for pid in pool.worker_pids() {
        if let Some(peak) = memory::peak_resident_kib_of(pid) {
            println!("processes: worker {pid} peak {peak} KiB");
            assert!(peak < 256 * 1024, "worker {pid} peaked at {peak} KiB");
        }
    }
    pool.shutdown(Shutdown::new());
    assert!(pool.worker_pids().is_empty(), "no worker outlives shutdown");
}

fn report(
    what: &str,
    calls: u64,
    time: std::time::Duration,
    before: Option<u64>,
    peak: Option<u64>,
) {
    println!(
        "processes {what}: {calls} calls in {:.3} s = {:.0} calls/s; parent resident before {} KiB, peak {} KiB",
        time.as_secs_f64(),
        calls as f64 / time.as_secs_f64(),
        before.map_or("?".into(), |kib| kib.to_string()),
        peak.map_or("?".into(), |kib| kib.to_string()),
    );
}

#[test]
fn processes_10k() {
    run(10_000);
}

#[test]
#[ignore = "load test: run with --ignored"]
fn processes_100k() {
    run(100_000);
}
