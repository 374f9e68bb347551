//! The combinators on the real thread pool (`cfut-threads`), including from inside its tasks.

#![cfg(not(cfut_loom))]

use std::sync::Arc;
use std::time::Duration;

use cfut_combinators::{MapExt, ReturnWhen, as_completed, wait};
use cfut_threads::ThreadPoolExecutor;

const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn smoke() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let squares: Vec<u64> = pool
        .map(|x: u64| x * x, 0..1000)
        .map(Result::unwrap)
        .collect();
    assert_eq!(squares, (0..1000).map(|x| x * x).collect::<Vec<_>>());

    let futures: Vec<_> = (0..100_u64).map(|i| pool.spawn(move || i)).collect();
    let mut seen: Vec<u64> = as_completed(futures).map(|f| f.result().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..100).collect::<Vec<_>>());

    let futures: Vec<_> = (0..100_u64).map(|i| pool.spawn(move || i)).collect();
    let split = wait(futures, ReturnWhen::AllCompleted);
    assert_eq!(split.0.len(), 100);
}

#[test]
// A task that maps over its own one-worker pool: `map` waits through `Future::wait`, which
// lets the pool run the queued children on the waiting worker — no deadlock.
fn map_inside_a_task_of_a_one_worker_pool() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let mut outer = pool.spawn(move || -> Vec<u32> {
        inner
            .map(|x: u32| x + 1, 0..10)
            .map(Result::unwrap)
            .collect()
    });
    let values = outer
        .result_timeout(PATIENCE)
        .expect("the nested map finished");
    assert_eq!(values, (1..=10).collect::<Vec<_>>());
}

#[test]
// The same for `as_completed`: the inner waiter runs the only worker's queued children while
// it waits (it once slept there, and the children never ran). Bounded: the outer wait gives
// up after the patience.
fn as_completed_inside_a_task_of_a_one_worker_pool() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let mut outer = pool.spawn(move || -> usize {
        let children: Vec<_> = (0..4_u32).map(|i| inner.spawn(move || i)).collect();
        as_completed(children).count()
    });
    assert_eq!(outer.result_timeout(Duration::from_secs(2)), Ok(4));
}

#[test]
// `wait(AllCompleted)` blocks on each future in turn, through `Future::wait`: inside a task of
// a one-worker pool, the pool runs the children on the waiting worker — no deadlock.
fn wait_all_inside_a_task_of_a_one_worker_pool() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let mut outer = pool.spawn(move || -> usize {
        let children: Vec<_> = (0..4_u32).map(|i| inner.spawn(move || i)).collect();
        wait(children, ReturnWhen::AllCompleted).0.len()
    });
    assert_eq!(outer.result_timeout(PATIENCE), Ok(4));
}
