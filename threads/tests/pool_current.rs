//! `ThreadPoolExecutor::with_current`: a call reaches the pool it runs on without capturing a
//! handle; the borrowed view never ends the pool.
#![cfg(not(cfut_loom))] // real threads only

pub mod common;

use cfut_core::{Error, Shutdown};
use cfut_threads::ThreadPoolExecutor;
use common::{bounded, outcome};

#[test]
fn smoke() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let seen = pool.spawn(|| ThreadPoolExecutor::with_current(|own| own.max_workers()));
    assert_eq!(outcome(seen), Ok(Some(3)));
    assert_eq!(
        ThreadPoolExecutor::with_current(|own| own.max_workers()),
        None
    );
    let on_plain_thread = std::thread::spawn(|| ThreadPoolExecutor::with_current(|_| ())).join();
    assert_eq!(on_plain_thread.unwrap(), None);
}

// A call of one pool that runs inside a call of another (the outer one waits for it) sees
// the pool it runs on, not the outer one.
#[test]
fn nested_pools_see_their_own() {
    let outer = ThreadPoolExecutor::new(1).unwrap();
    let seen = outer.spawn(|| {
        let inner = ThreadPoolExecutor::new(2).unwrap();
        let from_inner = inner.spawn(|| ThreadPoolExecutor::with_current(|own| own.max_workers()));
        let here = ThreadPoolExecutor::with_current(|own| own.max_workers());
        (here, outcome(from_inner))
    });
    assert_eq!(outcome(seen), Ok((Some(1), Ok(Some(2)))));
}

// The view is a borrow: using it (and letting it go) leaves the pool running, with every
// call submitted through it on the same pool.
#[test]
fn the_view_does_not_end_the_pool() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    for round in 0..100_u64 {
        let child = pool.spawn(move || {
            ThreadPoolExecutor::with_current(|own| own.spawn(move || round * 2))
                .expect("a pool thread")
                .result()
        });
        assert_eq!(outcome(child), Ok(Ok(round * 2)));
    }
    assert_eq!(pool.spawn(|| 1).result(), Ok(1), "still accepting calls");
    assert!(pool.threads_started() <= 2);
}

// Fork-join through the view on a one-worker pool: every child runs inline on the waiting
// thread, so the recursion completes on one thread.
#[test]
fn fork_join_on_one_worker() {
    fn fib(n: u32) -> u64 {
        if n < 2 {
            return n.into();
        }
        let first = ThreadPoolExecutor::with_current(|pool| pool.spawn(move || fib(n - 1)))
            .expect("a pool thread");
        let second = fib(n - 2);
        first.result().unwrap() + second
    }
    let started = bounded("fib(18) on one worker", || {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        assert_eq!(pool.spawn(|| fib(18)).result(), Ok(2584));
        pool.threads_started()
    });
    assert_eq!(started, 1);
}

// A call may shut its own pool down through the view: later submissions fail, the call
// itself finishes, and the owner's wait joins the thread.
#[test]
fn shutdown_through_the_view() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let closing = pool.spawn(|| {
        ThreadPoolExecutor::with_current(|own| {
            own.shutdown(Shutdown::new());
            own.spawn(|| 0).result()
        })
    });
    assert_eq!(outcome(closing), Ok(Some(Err(Error::Shutdown))));
    assert_eq!(pool.spawn(|| 1).result(), Err(Error::Shutdown));
    pool.shutdown(Shutdown::new());
}
