//! `wait`: CPython's `test_wait.py` (tests 49–57), and the gh-92001 fix.

use std::collections::HashSet;
use std::sync::{Arc, Barrier, mpsc};
use std::time::Duration;

use cfut_combinators::{ReturnWhen, wait, wait_timeout};
use cfut_core::{AnyFuture, Future, Spawn};

use crate::support::{
    PATIENCE, ThreadPerCall, addr, cancelled, eventually, failed, pending, running, successful,
    thread_sleeps,
};

fn addrs(futures: &[&Future<i32>]) -> HashSet<usize> {
    futures.iter().map(|f| addr(f)).collect()
}

#[test]
// test_wait.py test_20369 (bpo-20369): a duplicated future is reported once, and a wait for
// it ends. CPython's future may already be done when `wait` starts; here the call blocks on
// a gate, so the duplicated future is pending when `wait` starts, and the gate opens only
// once the waiting thread sleeps in `wait` (an implementation that counted the duplicate
// twice would wait for a second completion that never comes).
fn test_20369() {
    let executor = ThreadPerCall::new(2);
    let (open, gate) = mpsc::channel::<()>();
    let future = Arc::new(executor.spawn(move || {
        gate.recv().expect("the gate opens");
        1
    }));
    assert!(!future.is_done(), "pending when wait starts");
    let (report, reported) = mpsc::channel();
    let shared = Arc::clone(&future);
    std::thread::Builder::new()
        .name("wait-20369".into())
        .spawn(move || {
            let split = wait([&*shared, &*shared], ReturnWhen::AllCompleted);
            let done: Vec<usize> = split.0.iter().map(|f| addr(f)).collect();
            let _ = report.send((done, split.1.len()));
        })
        .unwrap();
    eventually("the waiting thread sleeps in wait", || {
        thread_sleeps("wait-20369")
    });
    open.send(()).unwrap();
    let (done, not_done) = reported
        .recv_timeout(PATIENCE)
        .expect("wait returns once the duplicated future is done");
    assert_eq!(done, [addr(&future)], "reported once, in done");
    assert_eq!(not_done, 0);
}

#[test]
// test_wait.py test_first_completed, adapted to "cancelled is done" (gh-92001): with a
// cancelled future in the set, FIRST_COMPLETED returns at once with it; without, the quick
// call is the first completed and the blocked one is not done.
fn test_first_completed() {
    let executor = ThreadPerCall::new(2);
    let cancelled = cancelled();
    let (_blocker, blocked) = pending();
    let split = wait([&cancelled, &blocked], ReturnWhen::FirstCompleted);
    assert_eq!(addrs(&split.0), addrs(&[&cancelled]));
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));

    let quick = executor.spawn(|| 1);
    let split = wait([&quick, &blocked], ReturnWhen::FirstCompleted);
    assert_eq!(addrs(&split.0), addrs(&[&quick]));
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));
}

#[test]
// test_wait.py test_first_completed_some_already_completed: returns at once with the done ones.
fn test_first_completed_some_already_completed() {
    let cancelled = cancelled();
    let success = successful();
    let (_blocker, blocked) = pending();
    let split = wait([&cancelled, &success, &blocked], ReturnWhen::FirstCompleted);
    assert_eq!(addrs(&split.0), addrs(&[&cancelled, &success]));
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));
}

#[test]
// test_wait.py test_first_exception: a success, a call that fails once the first finished,
// and a blocked one: FIRST_EXCEPTION returns with the first two done.
fn test_first_exception() {
    let executor = ThreadPerCall::new(3);
    let quick = Arc::new(executor.spawn(|| 1));
    let first = Arc::clone(&quick);
    let raiser = executor.spawn(move || -> i32 {
        first.wait();
        panic!("raised after the quick one")
    });
    let (_blocker, blocked) = pending();
    // The quick call finishing first must not end a FIRST_EXCEPTION wait on its own.
    let split = wait([&*quick, &raiser, &blocked], ReturnWhen::FirstException);
    assert_eq!(addrs(&split.0), addrs(&[&*quick, &raiser]));
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));
}

#[test]
// test_wait.py test_first_exception_some_already_complete, adapted to "cancelled is done":
// the cancelled futures are in `done` (CPython puts the un-notified one in `not_done`).
fn test_first_exception_some_already_complete() {
    let executor = ThreadPerCall::new(2);
    let success = successful();
    let cancelled_by_user = cancelled();
    let cancelled_by_executor = {
        let (producer, future) = pending();
        assert!(producer.cancel());
        future
    };
    let divide_by_zero = executor.spawn(|| {
        let zero = std::hint::black_box(0);
        1 / zero
    });
    let (_blocker, blocked) = pending();
    let all = [
        &success,
        &cancelled_by_user,
        &cancelled_by_executor,
        &divide_by_zero,
        &blocked,
    ];
    let split = wait(all, ReturnWhen::FirstException);
    assert_eq!(
        addrs(&split.0),
        addrs(&[
            &success,
            &cancelled_by_user,
            &cancelled_by_executor,
            &divide_by_zero
        ])
    );
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));
}

#[test]
// test_wait.py test_first_exception_one_already_failed: returns at once.
fn test_first_exception_one_already_failed() {
    let failed = failed();
    let (_blocker, blocked) = pending();
    let split = wait([&failed, &blocked], ReturnWhen::FirstException);
    assert_eq!(addrs(&split.0), addrs(&[&failed]));
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));
}

#[test]
// test_wait.py test_all_completed: finished fixtures plus a failing and a succeeding call.
fn test_all_completed() {
    let executor = ThreadPerCall::new(2);
    let fixtures = [successful(), failed(), cancelled()];
    let failing = executor.spawn(|| -> i32 { panic!("fails") });
    let succeeding = executor.spawn(|| 7);
    let mut all: Vec<&Future<i32>> = fixtures.iter().collect();
    all.extend([&failing, &succeeding]);
    let split = wait(all.clone(), ReturnWhen::AllCompleted);
    assert_eq!(addrs(&split.0), addrs(&all));
    assert!(split.1.is_empty());
}

#[test]
// test_wait.py test_timeout: ALL_COMPLETED with a short timeout returns the partition at the
// deadline, no error.
fn test_timeout() {
    let fixtures = [successful(), failed(), cancelled()];
    let (_blocker, blocked) = pending();
    let mut all: Vec<&Future<i32>> = fixtures.iter().collect();
    all.push(&blocked);
    let split = wait_timeout(all, ReturnWhen::AllCompleted, Duration::from_millis(50));
    assert_eq!(addrs(&split.0), addrs(&fixtures.iter().collect::<Vec<_>>()));
    assert_eq!(addrs(&split.1), addrs(&[&blocked]));
}

#[test]
// test_wait.py ThreadPoolWaitTests.test_pending_calls_race (bpo-14406): 100 calls released
// together; ALL_COMPLETED sees every one.
fn test_pending_calls_race() {
    let executor = ThreadPerCall::new(100);
    let gate = Arc::new(Barrier::new(101));
    let futures: Vec<_> = (0..100)
        .map(|i| {
            let gate = Arc::clone(&gate);
            executor.spawn(move || {
                gate.wait();
                i
            })
        })
        .collect();
    gate.wait();
    let split = wait(futures, ReturnWhen::AllCompleted);
    assert_eq!(split.0.len(), 100);
    assert!(split.1.is_empty());
}

#[test]
// gh-92001 / gh-109934 (fixed on purpose): a cancel from another thread wakes a blocked
// ALL_COMPLETED wait; CPython hangs here.
fn cancel_wakes_a_blocked_wait() {
    let (_producer, future) = pending();
    let future = Arc::new(future);
    let canceller = {
        let future = Arc::clone(&future);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            assert!(future.cancel());
        })
    };
    let split = wait_timeout(
        [&*future],
        ReturnWhen::AllCompleted,
        crate::support::PATIENCE,
    );
    canceller.join().unwrap();
    assert_eq!(split.0.len(), 1, "the cancel did not wake the wait");
}

#[test]
// Rust-side extra: futures of different result types and from different executors, through
// the type-erased view; a running future is not done.
fn mixed_types_and_executors() {
    let threads = ThreadPerCall::new(2);
    let inline = cfut_core::InlineExecutor::new();
    let text = threads.spawn(|| "text");
    let number = inline.spawn(|| 3_u64);
    let (_runner, running) = running();
    let all: Vec<&dyn AnyFuture> = vec![&text, &number, &running];
    let split = wait_timeout(all, ReturnWhen::AllCompleted, Duration::from_millis(30));
    assert_eq!(split.0.len(), 2);
    assert_eq!(split.1.len(), 1);
    assert!(!split.1[0].is_done());

    let boxed: Vec<Box<dyn AnyFuture + Send>> = vec![
        Box::new(threads.spawn(|| 'c')),
        Box::new(inline.spawn(|| vec![1_u8])),
    ];
    let split = wait(boxed, ReturnWhen::AllCompleted);
    assert_eq!(split.0.len(), 2);
}

#[test]
// Rust-side extra: an empty set is all completed.
fn empty_wait_returns() {
    for how in [
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::AllCompleted,
    ] {
        let split = wait(Vec::<Future<()>>::new(), how);
        assert!(split.0.is_empty() && split.1.is_empty());
    }
}

#[test]
// test_20369 with shared handles: the same `Arc`'d future twice is reported once, and an
// `Arc` can be waited on while another thread holds a clone.
fn test_20369_shared_handles() {
    let (producer, future) = pending();
    let future = Arc::new(future);
    let completer = std::thread::spawn(move || producer.set_result(5));
    let split = wait(
        vec![Arc::clone(&future), Arc::clone(&future)],
        ReturnWhen::AllCompleted,
    );
    completer.join().unwrap();
    assert_eq!(split.0.len(), 1);
    assert!(Arc::ptr_eq(&split.0[0], &future));
}
