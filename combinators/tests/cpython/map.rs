//! `Executor.map`: CPython's `executor.py` tests 3–17 and 20.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cfut_combinators::{CallMapExt, MapError, MapExt};
use cfut_core::{Error, Executor, InlineExecutor, Shutdown};

use crate::support::{FailsNth, Manual, ThreadPerCall};

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

fn pow((base, exp): (u64, u32)) -> u64 {
    base.pow(exp)
}

fn divmod((a, b): (i32, i32)) -> (i32, i32) {
    (a / b, a % b)
}

#[test]
// executor.py test_map: map over two iterables equals the builtin map, also with chunksize=3.
fn test_map() {
    let executor = ThreadPerCall::new(4);
    let bases = 0..10_u64;
    let exps = (0..10_u32).rev();
    let expected: Vec<u64> = bases.clone().zip(exps.clone()).map(pow).collect();
    let got: Vec<u64> = executor
        .map(pow, bases.clone().zip(exps.clone()))
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, expected);
    let chunked: Vec<u64> = executor
        .map_calls(pow, bases.zip(exps))
        .chunksize(nz(3))
        .map(Result::unwrap)
        .collect();
    assert_eq!(chunked, expected);
}

#[test]
// executor.py test_map_exception (CPython main, gh-108518): the error is the element's, the
// map goes on; with chunksize=3 the divisors are CPython's [2, 0, 3, 5], so the failing
// element sits in the middle of the first chunk: the error is per element, not per chunk,
// and the elements on both sides of it in that chunk are delivered.
fn test_map_exception() {
    let cases = [
        (
            1,
            [2, 3, 0, 5],
            [Some((2, 1)), Some((1, 2)), None, Some((1, 0))],
        ),
        (
            3,
            [2, 0, 3, 5],
            [Some((2, 1)), None, Some((1, 2)), Some((1, 0))],
        ),
    ];
    for (chunksize, divisors, expected) in cases {
        let executor = ThreadPerCall::new(2);
        let inputs = [5, 5, 5, 5].into_iter().zip(divisors);
        let mut results = executor.map_calls(divmod, inputs).chunksize(nz(chunksize));
        for (index, expected) in expected.into_iter().enumerate() {
            match (results.next(), expected) {
                (Some(Ok(value)), Some(expected)) => assert_eq!(value, expected),
                (Some(Err(MapError::Call(Error::Panicked { message, .. }))), None) => {
                    assert!(message.contains("divide by zero"), "{message}")
                }
                (other, _) => panic!("chunksize {chunksize}, element {index}: got {other:?}"),
            }
        }
        assert_eq!(results.next(), None);
        assert_eq!(results.next(), None);
    }
}

#[test]
// executor.py test_map_timeout_from_callable (gh-155852): a call failing with a timeout of its
// own is an ordinary element error and does not stop the map, with or without a deadline.
fn test_map_timeout_from_callable() {
    for deadline in [None, Some(Duration::from_secs(60))] {
        let executor = FailsNth {
            nth: 1,
            error: Error::TimedOut,
            count: AtomicUsize::new(0),
        };
        // One call per job, so that the executor's n-th job is the n-th element (automatic
        // grouping would put the tiny calls 1 and 2 in one job).
        let map = executor
            .map(|x: u32| x, 0..4)
            .chunksize(std::num::NonZeroUsize::MIN);
        let map = match deadline {
            Some(timeout) => map.timeout(timeout),
            None => map,
        };
        let results: Vec<_> = map.collect();
        assert_eq!(
            results,
            [Ok(0), Err(MapError::Call(Error::TimedOut)), Ok(2), Ok(3)]
        );
    }
    // The call's own `Result` stays inside the element's value.
    let executor = InlineExecutor::new();
    let results: Vec<_> = executor
        .map(
            |x: u32| if x == 1 { Err("my timeout") } else { Ok(x) },
            0..4,
        )
        .timeout(Duration::from_secs(60))
        .collect();
    assert_eq!(
        results,
        [Ok(Ok(0)), Ok(Err("my timeout")), Ok(Ok(2)), Ok(Ok(3))]
    );
}

#[test]
// executor.py test_map_timeout and test_executor_map_current_future_cancel (gh-95166): the
// deadline ends the map with an error, cancels the awaited and the remaining calls, and the
// iterator stays exhausted.
fn test_map_timeout() {
    let executor = Manual::new();
    executor.allow(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let mut results = executor
        .map(
            move |x: u32| {
                counter.fetch_add(1, Ordering::SeqCst);
                x
            },
            0..3,
        )
        .eager()
        .timeout(Duration::from_millis(200));
    let mut collected = Vec::new();
    let error = loop {
        match results.next() {
            Some(Ok(value)) => collected.push(value),
            Some(Err(error)) => break error,
            None => panic!("the map ended without reporting its deadline"),
        }
    };
    assert_eq!(error, MapError::Deadline);
    assert!(
        [0, 1].starts_with(&collected),
        "not a prefix: {collected:?}"
    );
    assert_eq!(results.next(), None);
    assert_eq!(results.next(), None);
    // The third call was cancelled: even when allowed to run, it does not.
    executor.allow(10);
    executor.join();
    assert!(ran.load(Ordering::SeqCst) <= 2, "the third call ran");
}

#[test]
// executor.py test_map_close: after one value, closing (Rust: dropping) the map cancels the
// calls not started, with and without chunksize.
fn test_map_close() {
    for chunksize in [1, 2] {
        let executor = Manual::new();
        executor.allow(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&ran);
        let mut results = executor
            .map(
                move |x: u32| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    x
                },
                0..20,
            )
            .chunksize(nz(chunksize))
            .window(nz(4));
        assert_eq!(results.next(), Some(Ok(0)));
        assert_eq!(executor.submitted(), 4, "the window was filled");
        drop(results);
        executor.allow(100);
        executor.join();
        assert_eq!(
            ran.load(Ordering::SeqCst),
            chunksize,
            "only the first unit ran"
        );
        assert_eq!(executor.submitted(), 4, "no input consumed after the drop");
    }
}

#[test]
// gh-136578 (Rust-side extra): dropping a map before its first next() submits nothing.
fn drop_before_first_next_submits_nothing() {
    let executor = Manual::new();
    let mut consumed = 0;
    let inputs = std::iter::from_fn(|| {
        consumed += 1;
        Some(consumed)
    });
    drop(executor.map(|x: u32| x, inputs));
    assert_eq!(executor.submitted(), 0);
    assert_eq!(consumed, 0);
}

#[test]
// executor.py test_map_buffersize: windows 1, 2, len and 2*len give the results in order.
fn test_map_buffersize() {
    let executor = ThreadPerCall::new(2);
    let inputs = [0, 1, 2, 3];
    for window in [1, 2, inputs.len(), 2 * inputs.len()] {
        let results: Vec<String> = executor
            .map(|x: i32| x.to_string(), inputs)
            .window(nz(window))
            .map(Result::unwrap)
            .collect();
        assert_eq!(results, ["0", "1", "2", "3"]);
    }
}

#[test]
// executor.py test_map_buffersize_on_multiple_iterables: two inputs, zipped.
fn test_map_buffersize_on_multiple_iterables() {
    let executor = ThreadPerCall::new(2);
    let inputs = [0, 1, 2, 3];
    for window in [1, 2, inputs.len(), 2 * inputs.len()] {
        let results: Vec<i32> = executor
            .map(|(a, b): (i32, i32)| a + b, inputs.into_iter().zip(inputs))
            .window(nz(window))
            .map(Result::unwrap)
            .collect();
        assert_eq!(results, [0, 2, 4, 6]);
    }
}

#[test]
// executor.py test_map_buffersize_on_infinite_iterable: an endless input works.
fn test_map_buffersize_on_infinite_iterable() {
    let executor = ThreadPerCall::new(2);
    let mut results = executor.map(|x: u64| x.to_string(), 0..).window(nz(2));
    assert_eq!(results.next(), Some(Ok("0".to_owned())));
    assert_eq!(results.next(), Some(Ok("1".to_owned())));
    assert_eq!(results.next(), Some(Ok("2".to_owned())));
}

#[test]
// executor.py test_map_buffersize_on_multiple_infinite_iterables; also the default window.
fn test_map_buffersize_on_multiple_infinite_iterables() {
    let executor = ThreadPerCall::new(2);
    for window in [Some(2), None] {
        let map = executor.map(|(a, b): (u64, u64)| a + b, (0..).zip(0..));
        let map = match window {
            Some(window) => map.window(nz(window)),
            None => map,
        };
        let first: Vec<u64> = map.take(3).map(Result::unwrap).collect();
        assert_eq!(first, [0, 2, 4]);
    }
}

#[test]
// executor.py test_map_buffersize_on_empty_iterable.
fn test_map_buffersize_on_empty_iterable() {
    let executor = ThreadPerCall::new(2);
    let mut results = executor.map(|x: i32| x, Vec::new()).window(nz(2));
    assert_eq!(results.next(), None);
    assert_eq!(executor.map(|x: i32| x, []).eager().count(), 0);
}

#[test]
// executor.py test_map_buffersize_without_iterable, adapted: a Rust map always has one input
// iterator; the zero-argument call maps over an empty one.
fn test_map_buffersize_without_iterable() {
    let executor = Manual::new();
    let mut results = executor.map(|()| 1, std::iter::empty()).window(nz(2));
    assert_eq!(results.next(), None);
    assert_eq!(executor.submitted(), 0);
}

#[test]
// executor.py test_map_buffersize_when_buffer_is_full, adapted: our map is lazy, so it
// consumes nothing before the first next(), then exactly the window.
fn test_map_buffersize_when_buffer_is_full() {
    let executor = Manual::new();
    executor.allow(usize::MAX / 2);
    let mut consumed = 0;
    let inputs = std::iter::from_fn(|| {
        consumed += 1;
        Some(consumed)
    });
    let mut results = executor.map(|x: u32| x, inputs).window(nz(2));
    assert_eq!(executor.submitted(), 0);
    assert_eq!(results.next(), Some(Ok(1)));
    drop(results);
    executor.join();
    assert_eq!(consumed, 2, "exactly the window was consumed");
    assert_eq!(executor.submitted(), 2);
}

#[test]
// executor.py test_shutdown_race_issue12456 (bpo-12456): an eager map of workers + 1 calls,
// never iterated, then shutdown must return, every call having run.
fn test_shutdown_race_issue12456() {
    let executor = ThreadPerCall::new(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    let results = executor
        .map(
            move |x: usize| {
                counter.fetch_add(1, Ordering::SeqCst);
                x
            },
            0..executor.max_workers() + 1,
        )
        .eager();
    executor.shutdown(Shutdown::new());
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    drop(results);
}

#[test]
// executor.py test_map_submits_without_iteration: in eager mode every call is submitted (and
// runs) without iterating.
fn test_map_submits_without_iteration() {
    let executor = Manual::new();
    let results = executor.map(|x: u32| x, 0..7).eager();
    assert_eq!(executor.submitted(), 7);
    executor.allow(7);
    executor.join();
    drop(results);
}

#[test]
// executor.py test_free_reference: a value yielded by map is not retained by the iterator.
fn test_free_reference() {
    let executor = ThreadPerCall::new(2);
    let mut results = executor.map(Arc::new, 0..4_u32).window(nz(4));
    for _ in 0..4 {
        let value = results.next().unwrap().unwrap();
        let weak = Arc::downgrade(&value);
        drop(value);
        assert!(weak.upgrade().is_none(), "the map kept a reference");
    }
}

#[test]
// gh-131466 (Rust-side extra): at most `window` calls are in flight — submitted, not yielded.
fn window_bounds_calls_in_flight() {
    let executor = Manual::new();
    executor.allow(usize::MAX / 2);
    let results = executor.map(|x: u32| x, 0..50).window(nz(3));
    let mut yielded = 0;
    for value in results {
        assert_eq!(value, Ok(yielded));
        yielded += 1;
        let in_flight = executor.submitted() - yielded as usize;
        assert!(
            in_flight <= 3,
            "{in_flight} calls in flight with a window of 3"
        );
    }
    assert_eq!(yielded, 50);
}

#[test]
// Rust-side extra: after shutdown, every element reports the executor's error and the map
// still ends (no hang, no lost element).
fn map_after_shutdown_reports_each_element() {
    let executor = InlineExecutor::new();
    executor.shutdown(Shutdown::new());
    let results: Vec<_> = executor.map(|x: u8| x, 0..3).collect();
    assert_eq!(results, vec![Err(MapError::Call(Error::Shutdown)); 3]);
    let chunked: Vec<_> = executor
        .map_calls(|x: u8| x, 0..5)
        .chunksize(nz(2))
        .collect();
    assert_eq!(chunked, vec![Err(MapError::Call(Error::Shutdown)); 5]);
}

#[test]
// Rust-side extra: a deadline that passes while the map is idle does not hide results that
// are already done.
fn deadline_does_not_hide_done_results() {
    let executor = InlineExecutor::new();
    let mut results = executor
        .map(|x: u8| x, 0..3)
        .window(nz(8))
        .timeout(Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(5));
    let all: Vec<_> = results.by_ref().collect();
    assert_eq!(all, [Ok(0), Ok(1), Ok(2)]);
}

#[test]
// executor.py test_map_timeout with chunksize (the process pool's case): the deadline passes
// while a chunk is awaited; the finished chunk's elements were yielded, the rest is cancelled.
fn test_map_timeout_with_chunks() {
    let executor = Manual::new();
    executor.allow(1);
    let mut results = executor
        .map(|x: u32| x, 0..6)
        .chunksize(nz(2))
        .eager()
        .timeout(Duration::from_millis(100));
    let mut collected = Vec::new();
    let error = loop {
        match results.next() {
            Some(Ok(value)) => collected.push(value),
            Some(Err(error)) => break error,
            None => panic!("the map ended without reporting its deadline"),
        }
    };
    assert_eq!(error, MapError::Deadline);
    assert!(
        [0, 1].starts_with(&collected),
        "not a prefix: {collected:?}"
    );
    assert_eq!(results.next(), None);
    assert_eq!(executor.submitted(), 3, "three chunks of two");
    executor.allow(10);
    executor.join();
}

#[test]
// Rust-side extra: `map` works through `&dyn JobExecutor` (object-safe executors).
fn map_through_dyn_executor() {
    let executor = ThreadPerCall::new(2);
    let executor: &dyn cfut_core::JobExecutor = &executor;
    let results: Vec<u32> = executor
        .map(|x: u32| x + 1, 0..5)
        .map(Result::unwrap)
        .collect();
    assert_eq!(results, [1, 2, 3, 4, 5]);
}
