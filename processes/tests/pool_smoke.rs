//! The basics: submit, map, batches, many calls, cancellation, worker reuse.

use std::num::NonZeroUsize;
use std::time::Duration;

use cfut_combinators::MapExt;
use cfut_core::{CallExecutor, ChunkResults, Error, Executor, Future, Shutdown, State, Waiter};
use cfut_processes::ProcessPoolExecutor;

const LONG: Duration = Duration::from_secs(60);

fn square(x: u64) -> u64 {
    x * x
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

#[test]
fn smoke() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    assert_eq!(get(pool.submit(square, 7)), Ok(49));
    let worker = get(pool.submit(pid, ())).unwrap();
    assert_ne!(
        worker,
        std::process::id(),
        "the call ran in another process"
    );
}

#[test]
fn non_capturing_closures_and_structured_values() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let future = pool.submit(
        |(name, values): (String, Vec<f64>)| format!("{name}: {}", values.iter().sum::<f64>()),
        ("sum".to_owned(), vec![1.5, 2.5]),
    );
    assert_eq!(get(future).as_deref(), Ok("sum: 4"));
    let nested: Result<Result<u8, String>, Error> = get(pool.submit(
        |x: u8| {
            if x > 1 {
                Ok(x)
            } else {
                Err(format!("too small: {x}"))
            }
        },
        0,
    ));
    assert_eq!(
        nested,
        Ok(Err("too small: 0".to_owned())),
        "the call's own error is not the pool's"
    );
}

#[test]
fn map_keeps_input_order_for_every_chunksize() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let expected: Vec<u64> = (0..40).map(square).collect();
    for chunk in [1, 3, 6, 40, 50] {
        let got: Vec<u64> = pool
            .map(square, 0..40)
            .chunksize(NonZeroUsize::new(chunk).unwrap())
            .eager()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, expected, "chunksize {chunk}");
    }
    assert_eq!(
        pool.map(square, Vec::new())
            .chunksize(NonZeroUsize::MIN)
            .eager()
            .count(),
        0
    );
}

#[test]
fn submit_batch_catches_each_panic() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let results = get(pool.submit_batch(|x: i32| 10 / x, vec![5, 0, 2]))
        .and_then(ChunkResults::decode)
        .unwrap();
    assert_eq!(results[0], Ok(2));
    match &results[1] {
        Err(Error::Panicked { message, location }) => {
            assert!(message.contains("divide by zero"), "{message}");
            assert!(
                location.as_deref().unwrap_or("").contains("pool_smoke.rs"),
                "{location:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(results[2], Ok(5));
}

#[test]
fn a_portable_generic_caller_runs_on_processes() {
    fn total(executor: &impl CallExecutor, n: u64) -> u64 {
        let futures: Vec<_> = (1..=n).map(|i| executor.submit_call(square, i)).collect();
        futures.into_iter().map(|f| get(f).unwrap()).sum()
    }
    let pool = ProcessPoolExecutor::new(2).unwrap();
    assert_eq!(total(&pool, 10), 385);
    assert_eq!(Executor::max_workers(&pool), 2);
}

#[test]
fn stress_100k_calls_in_flight() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let futures: Vec<Future<u64>> = (0..100_000).map(|i| pool.submit(square, i)).collect();
    let mut sum = 0_u64;
    for future in futures {
        sum = sum.wrapping_add(get(future).unwrap());
    }
    let expected = (0..100_000_u64).map(square).fold(0_u64, u64::wrapping_add);
    assert_eq!(sum, expected);
    assert!(pool.workers_started() <= 2);
}

#[test]
fn many_submitting_threads() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    std::thread::scope(|scope| {
        for t in 0..4_u64 {
            let pool = &pool;
            scope.spawn(move || {
                let futures: Vec<_> = (0..2_000)
                    .map(|i| pool.submit(square, t * 10_000 + i))
                    .collect();
                for (i, f) in futures.into_iter().enumerate() {
                    assert_eq!(get(f), Ok(square(t * 10_000 + i as u64)));
                }
            });
        }
    });
}

#[test]
fn pending_calls_stay_cancellable() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let blocker = pool.submit(sleep_ms, 300);
    let waiting: Vec<_> = (0..5).map(|_| pool.submit(sleep_ms, 0)).collect();
    assert!(
        waiting.iter().all(|f| f.cancel()),
        "calls waiting in the parent can be cancelled"
    );
    assert_eq!(get(blocker), Ok(300));
    for f in waiting {
        assert_eq!(f.state(), State::Cancelled);
        assert_eq!(get(f), Err(Error::Cancelled));
    }
    assert_eq!(get(pool.submit(square, 3)), Ok(9));
}

#[test]
fn futures_work_with_a_waiter_in_completion_order() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    // Wide margin: the second worker may take a while to start on a loaded machine.
    let slow = pool.submit(sleep_ms, 1_500);
    let fast = pool.submit(sleep_ms, 1);
    let waiter = Waiter::new();
    slow.watch(&waiter, 0);
    fast.watch(&waiter, 1);
    let mut ready = Vec::new();
    while ready.len() < 2 {
        assert!(waiter.wait_deadline_into(&mut ready, std::time::Instant::now() + LONG));
    }
    assert_eq!(ready, [1, 0]);
}

#[test]
fn shutdown_then_submit_is_refused() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    pool.shutdown(Shutdown::new());
    assert_eq!(get(pool.submit(square, 1)), Err(Error::Shutdown));
    assert_eq!(
        get(pool.submit_batch(square, vec![])).and_then(ChunkResults::decode),
        Err(Error::Shutdown)
    );
    assert_eq!(
        get(pool.submit_batch(square, vec![1])).and_then(ChunkResults::decode),
        Err(Error::Shutdown)
    );
}

#[test]
fn batches_of_zero_sized_results_and_all_panics() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let units = get(pool.submit_batch(|_: u8| (), vec![1; 500]))
        .and_then(ChunkResults::decode)
        .unwrap();
    assert_eq!(units.len(), 500);
    assert!(units.iter().all(|r| *r == Ok(())));
    let all_fail = get(pool.submit_batch(|x: u8| -> u8 { panic!("no {x}") }, vec![1, 2, 3]))
        .and_then(ChunkResults::decode)
        .unwrap();
    assert_eq!(all_fail.len(), 3);
    assert!(
        all_fail
            .iter()
            .all(|r| matches!(r, Err(Error::Panicked { .. })))
    );
}
