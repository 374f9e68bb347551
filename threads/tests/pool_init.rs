//! CPython's initializer cases (Lib/test/test_concurrent_futures/test_init.py, reference
//! §7.9).
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

pub mod common;

use std::cell::Cell;

use cfut_core::Error;
use cfut_threads::ThreadPoolExecutor;
use common::{Latch, outcome};

thread_local!(static INITIALIZED: Cell<bool> = const { Cell::new(false) });

// test_init.py InitializerMixin.test_initializer: the initializer runs in each worker before
// its calls (2 workers, both used).
#[test]
fn test_initializer() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(|| INITIALIZED.with(|flag| flag.set(true)))
        .build()
        .unwrap();
    let seen = common::on_each_worker(&pool, 2, || INITIALIZED.with(Cell::get));
    assert_eq!(seen, [true, true]);
    assert!(
        !INITIALIZED.with(Cell::get),
        "the initializer ran on the workers only"
    );
}

// test_init.py FailingInitializerMixin.test_initializer: a failing initializer breaks the
// pool: the submitted call fails with the broken error, and so does every later submission.
#[test]
fn test_failing_initializer() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(|| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            panic!("error in initializer");
        })
        .build()
        .unwrap();
    let first = pool.spawn(|| 1);
    match outcome(first) {
        Err(Error::Broken { reason }) => assert!(
            reason.contains("initializer failed") && reason.contains("error in initializer"),
            "{reason}"
        ),
        other => panic!("expected a broken pool, got {other:?}"),
    }
    let later = pool.spawn(|| 2);
    assert!(matches!(outcome(later), Err(Error::Broken { .. })));
}

// test_init.py FailingInitializerResourcesTest (adapted): a broken pool leaks no thread.
#[test]
fn failing_initializer_leaks_no_thread() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("broken")
        .initializer(|| panic!("error in initializer"))
        .build()
        .unwrap();
    assert!(matches!(
        outcome(pool.spawn(|| 1)),
        Err(Error::Broken { .. })
    ));
    drop(pool);
    common::assert_threads_gone("broken-");
}

// test_init.py (queued calls): every call queued when the pool breaks fails with the broken
// error; none is lost.
#[test]
fn failing_initializer_fails_every_queued_call() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(1)
        .initializer(|| panic!("no"))
        .build()
        .unwrap();
    let futures: Vec<_> = (0..20).map(|i| pool.spawn(move || i)).collect();
    for future in futures {
        assert!(matches!(outcome(future), Err(Error::Broken { .. })));
    }
}

// Extra: invalid builder options give clear errors, never a crash.
#[test]
fn invalid_options_are_errors() {
    let nul = ThreadPoolExecutor::builder()
        .thread_name_prefix("bad\0name")
        .build()
        .unwrap_err();
    assert_eq!(
        nul.to_string(),
        "thread_name_prefix must not contain a NUL byte"
    );
    let stack = ThreadPoolExecutor::builder()
        .stack_size(0)
        .build()
        .unwrap_err();
    assert_eq!(stack.to_string(), "stack_size must be greater than 0");
}

// Extra: a thread still in its initializer is not idle (as in CPython): later submissions
// start other threads instead of waiting for it.
#[test]
fn slow_initializer_does_not_hold_back_other_threads() {
    let first_may_finish = Latch::default();
    let gate = first_may_finish.clone();
    let pool = ThreadPoolExecutor::builder()
        .max_workers(3)
        .thread_name_prefix("slowinit")
        .initializer(move || {
            if std::thread::current().name() == Some("slowinit-0") {
                assert!(gate.wait(), "released by the test");
            }
        })
        .build()
        .unwrap();
    let both_ran = Latch::default();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let futures: Vec<_> = (0..2)
        .map(|_| {
            let (count, both) = (std::sync::Arc::clone(&count), both_ran.clone());
            pool.spawn(move || {
                if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                    both.open();
                }
            })
        })
        .collect();
    assert!(both_ran.wait(), "calls ran while thread 0 was initializing");
    first_may_finish.open();
    for future in futures {
        assert_eq!(outcome(future), Ok(()));
    }
}
