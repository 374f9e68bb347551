//! `as_completed`: CPython's `test_as_completed.py` (tests 44–48), and the gh-92001 fix.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cfut_combinators::{Waitable, as_completed, as_completed_timeout};
use cfut_core::{AnyFuture, Future, InlineExecutor, Spawn};

use crate::support::{
    PATIENCE, ThreadPerCall, addr, cancelled, failed, pending, running, successful,
};

fn addrs<'a, I: IntoIterator<Item = &'a Future<i32>>>(futures: I) -> HashSet<usize> {
    futures.into_iter().map(addr).collect()
}

#[test]
// test_as_completed.py test_no_timeout: finished fixtures and two calls: all five yielded.
fn test_no_timeout() {
    let executor = ThreadPerCall::new(2);
    let fixtures = [cancelled(), failed(), successful()];
    let first = executor.spawn(|| 2 * 5);
    let second = executor.spawn(|| 3 * 7);
    let all: Vec<&Future<i32>> = fixtures.iter().chain([&first, &second]).collect();
    let yielded: Vec<&Future<i32>> = as_completed_timeout(all.clone(), PATIENCE)
        .map(|f| f.expect("within the patience"))
        .collect();
    assert_eq!(yielded.len(), 5);
    assert_eq!(addrs(yielded), addrs(all));
}

#[test]
// test_as_completed.py test_future_times_out: with timeouts 0 and 100 ms and one call that
// does not finish, the three finished ones are yielded, then the timeout; never the slow one.
fn test_future_times_out() {
    for timeout in [Duration::ZERO, Duration::from_millis(100)] {
        let fixtures = [cancelled(), failed(), successful()];
        let (_slow_producer, slow) = pending();
        let all: Vec<&Future<i32>> = fixtures.iter().chain([&slow]).collect();
        let mut it = as_completed_timeout(all, timeout);
        let mut yielded = Vec::new();
        let error = loop {
            match it.next() {
                Some(Ok(future)) => yielded.push(future),
                Some(Err(error)) => break error,
                None => panic!("ended without the timeout"),
            }
        };
        assert_eq!(addrs(yielded), addrs(&fixtures));
        assert_eq!((error.unfinished(), error.total()), (1, 4));
        assert!(it.next().is_none(), "the timeout ends the iterator");
        let remaining = it.into_remaining();
        assert_eq!(remaining.len(), 1);
        assert_eq!(addr(remaining[0]), addr(&slow));
    }
}

#[test]
// test_as_completed.py test_duplicate_futures: the same future three times is yielded once.
fn test_duplicate_futures() {
    let executor = ThreadPerCall::new(2);
    let future = executor.spawn(|| 1);
    let yielded: Vec<_> = as_completed(std::iter::repeat_n(&future, 3)).collect();
    assert_eq!(yielded.len(), 1);
    assert_eq!(addr(yielded[0]), addr(&future));
}

/// A future wrapper that counts live instances: shows whether `as_completed` keeps one.
struct Counted {
    future: Future<i32>,
    live: Arc<AtomicUsize>,
}

impl Counted {
    fn new(future: Future<i32>, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Counted {
            future,
            live: Arc::clone(live),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Waitable for Counted {
    fn as_any_future(&self) -> &dyn AnyFuture {
        &self.future
    }
}

#[test]
// test_as_completed.py test_free_reference_yielded_future (bpo-27144): a yielded future is not
// retained by the iterator, in the timeout path and in the normal path.
fn test_free_reference_yielded_future() {
    let live = Arc::new(AtomicUsize::new(0));
    let (_producer, never) = pending();
    let futures = vec![
        Counted::new(successful(), &live),
        Counted::new(failed(), &live),
        Counted::new(never, &live),
    ];
    let mut it = as_completed_timeout(futures, Duration::ZERO);
    for expected_live in [2, 1] {
        let future = it.next().unwrap().unwrap();
        drop(future);
        assert_eq!(live.load(Ordering::SeqCst), expected_live);
    }
    assert!(it.next().unwrap().is_err());
    drop(it);
    assert_eq!(live.load(Ordering::SeqCst), 0);

    let executor = ThreadPerCall::new(2);
    let futures: Vec<_> = (0..3)
        .map(|i| Counted::new(executor.spawn(move || i), &live))
        .collect();
    let mut it = as_completed(futures);
    for expected_live in [2, 1, 0] {
        drop(it.next().unwrap());
        assert_eq!(live.load(Ordering::SeqCst), expected_live);
    }
    assert!(it.next().is_none());
}

#[test]
// test_as_completed.py test_correct_timeout_exception_msg: [cancelled, pending, running,
// success] with timeout 0 reports "2 (of 4) futures unfinished".
fn test_correct_timeout_exception_msg() {
    let (_pending_producer, pending) = pending();
    let (_running_producer, running) = running();
    let all = vec![cancelled(), pending, running, successful()];
    let error = as_completed_timeout(all, Duration::ZERO)
        .find_map(Result::err)
        .expect("the deadline passed with two unfinished");
    assert_eq!(error.to_string(), "2 (of 4) futures unfinished");
}

#[test]
// gh-92001 / gh-109934 (fixed on purpose): a future cancelled while as_completed waits is
// yielded; CPython never yields it and hangs.
fn cancel_while_waiting_is_yielded() {
    let (_producer, future) = pending();
    let future = Arc::new(future);
    let canceller = {
        let future = Arc::clone(&future);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            assert!(future.cancel());
        })
    };
    let mut it = as_completed_timeout([&*future], PATIENCE);
    let yielded = it
        .next()
        .unwrap()
        .expect("the cancel did not wake as_completed");
    assert!(yielded.is_cancelled());
    canceller.join().unwrap();
}

#[test]
// Rust-side extra: done futures come first, in the order given; then completion order.
fn done_first_then_completion_order() {
    let (late_producer, late) = pending();
    let (early_producer, early) = pending();
    let done_a = successful();
    let done_b = failed();
    let all = vec![&late, &done_a, &early, &done_b];
    let mut it = as_completed_timeout(all, PATIENCE);
    assert_eq!(addr(it.next().unwrap().unwrap()), addr(&done_a));
    assert_eq!(addr(it.next().unwrap().unwrap()), addr(&done_b));
    early_producer.set_result(1);
    assert_eq!(addr(it.next().unwrap().unwrap()), addr(&early));
    late_producer.set_result(2);
    assert_eq!(addr(it.next().unwrap().unwrap()), addr(&late));
    assert!(it.next().is_none());
}

#[test]
// Rust-side extra: futures of different result types from different executors, owned and
// boxed behind the type-erased view, in one call; results taken back by downcasting is not
// needed: each result is read where its type is known.
fn mixed_types_and_executors() {
    let threads = ThreadPerCall::new(2);
    let inline = InlineExecutor::new();
    let futures: Vec<Box<dyn AnyFuture + Send>> = vec![
        Box::new(threads.spawn(|| "text")),
        Box::new(inline.spawn(|| 7_u64)),
        Box::new(threads.spawn(|| vec![1_u8, 2])),
    ];
    let states: Vec<_> = as_completed(futures).map(|f| f.state()).collect();
    assert_eq!(states.len(), 3);
    assert!(states.iter().all(|s| s.is_done()));
}

#[test]
// Rust-side extra: results can be taken in completion order from owned futures; the empty
// input ends at once; into_remaining gives back the untouched futures.
fn owned_results_and_remaining() {
    let executor = ThreadPerCall::new(4);
    let futures: Vec<_> = (1..=4).map(|i| executor.spawn(move || i * 10)).collect();
    let mut values: Vec<i32> = as_completed(futures).map(|f| f.result().unwrap()).collect();
    values.sort_unstable();
    assert_eq!(values, [10, 20, 30, 40]);

    assert!(as_completed(Vec::<Future<()>>::new()).next().is_none());

    let (_producer, waiting) = pending();
    let it = as_completed(vec![successful(), waiting]);
    assert_eq!(it.len(), 2);
    assert_eq!(it.into_remaining().len(), 2);
}
