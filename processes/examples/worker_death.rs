//! How long the pool takes to report a worker's death: a call exits its worker process, and
//! its future fails with `Error::WorkerDied`. Prints the median and the 90th percentile of
//! the time from the exit to the failed result, and the round trip of the next call (which
//! needs the replacement worker).
//!
//! ```text
//! cargo run --release -p cfut-processes --example worker_death
//! ```
//!
//! This is the figure of `REAP_FIRST_PAUSE` in the crate's `tuning.rs`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cfut_core::{Error, Exit};
use cfut_processes::ProcessPoolExecutor;

/// Writes the time (ns since the epoch) to `path`, then exits the worker with status 3.
fn exit_now(path: String) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::fs::write(path, now.to_string()).unwrap();
    std::process::exit(3);
}

fn noop(x: u64) -> u64 {
    x
}

fn percentile(samples: &mut [f64], p: usize) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() * p / 100]
}

fn main() {
    let pool = ProcessPoolExecutor::new(1).expect("a process pool");
    let path = std::env::temp_dir().join(format!("cfut-worker-death-{}", std::process::id()));
    let path = path.to_str().unwrap().to_owned();
    let mut death = Vec::new();
    let mut next = Vec::new();
    for _ in 0..200 {
        assert_eq!(pool.submit(noop, 1).result(), Ok(1));
        let outcome = pool.submit(exit_now, path.clone()).result();
        let reported = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(outcome, Err(Error::WorkerDied(Exit::Code(3))));
        let exited: u128 = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let exited = Duration::from_nanos(u64::try_from(exited).unwrap());
        death.push((reported.saturating_sub(exited)).as_secs_f64() * 1e6);
        let start = Instant::now();
        assert_eq!(pool.submit(noop, 2).result(), Ok(2));
        next.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let _ = std::fs::remove_file(&path);
    println!(
        "exit to WorkerDied: p50 {:.0} µs, p90 {:.0} µs; next call (new worker): p50 {:.2} ms",
        percentile(&mut death, 50),
        percentile(&mut death, 90),
        percentile(&mut next, 50)
    );
}
