//! `Builder::initializer_with`: Python's `initargs`. The value travels to each worker process
//! in its set-up frame, and the initializer runs there once, before the worker's first call.
//! (Failing values: `pool_faults.rs`.)

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use cfut_core::{Error, Future};
use cfut_processes::ProcessPoolExecutor;

const LONG: Duration = Duration::from_secs(60);

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

/// What the worker's initializer was given, once per process.
static CONFIG: OnceLock<(String, Vec<u32>)> = OnceLock::new();

fn configure(config: (String, Vec<u32>)) {
    CONFIG
        .set(config)
        .expect("the initializer runs once per worker");
}

/// The worker's pid and the configuration its initializer stored.
fn report(_: ()) -> (u32, Option<(String, Vec<u32>)>) {
    (std::process::id(), CONFIG.get().cloned())
}

#[test]
fn the_value_reaches_each_worker() {
    // One call per worker: each call runs in a fresh process, so each saw its own set-up.
    let pool = ProcessPoolExecutor::builder()
        .max_workers(2)
        .max_tasks_per_child(1)
        .initializer_with(configure, ("db=jobs".to_owned(), vec![1, 2, 3]))
        .build()
        .unwrap();
    let futures: Vec<_> = (0..4).map(|_| pool.submit(report, ())).collect();
    let mut pids = HashSet::new();
    for future in futures {
        let (pid, config) = get(future).unwrap();
        assert_eq!(config, Some(("db=jobs".to_owned(), vec![1, 2, 3])));
        pids.insert(pid);
    }
    assert_eq!(
        pids.len(),
        4,
        "four workers, each initialized with the value"
    );
    assert!(CONFIG.get().is_none(), "the parent never ran it");
}

#[test]
fn a_large_value_travels_too() {
    let big = "x".repeat(1 << 20);
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .initializer_with(configure, (big.clone(), Vec::new()))
        .build()
        .unwrap();
    let (_, config) = get(pool.submit(report, ())).unwrap();
    assert_eq!(config.map(|(text, _)| text.len()), Some(big.len()));
}
