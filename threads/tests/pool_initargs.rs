//! `ThreadPoolBuilder::initializer_with`: Python's `initargs`. The value reaches each worker
//! (each its own clone), and a value that makes the initializer panic breaks the pool.
#![cfg(not(cfut_loom))] // real threads only

pub mod common;

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use cfut_core::Error;
use cfut_threads::ThreadPoolExecutor;
use common::outcome;

thread_local!(static CONFIG: RefCell<Option<String>> = const { RefCell::new(None) });

/// What each worker's initializer saw: its thread's name and the value.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

#[test]
fn the_value_reaches_each_worker() {
    let seen = Seen::default();
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .thread_name_prefix("initargs")
        .initializer_with(
            |(value, seen): (String, Seen)| {
                let name = std::thread::current().name().unwrap().to_owned();
                seen.lock().unwrap().push((name, value.clone()));
                CONFIG.with(|config| *config.borrow_mut() = Some(value));
            },
            ("db=jobs".to_owned(), Arc::clone(&seen)),
        )
        .build()
        .unwrap();
    let configs = common::on_each_worker(&pool, 2, || CONFIG.with(|c| c.borrow().clone()));
    assert_eq!(
        configs,
        [Some("db=jobs".to_owned()), Some("db=jobs".to_owned())]
    );
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("initargs-0".to_owned(), "db=jobs".to_owned()),
            ("initargs-1".to_owned(), "db=jobs".to_owned())
        ],
        "each worker ran the initializer once, with the value"
    );
    assert!(
        CONFIG.with(|config| config.borrow().is_none()),
        "the initializer ran on the workers only"
    );
}

#[test]
fn a_bad_value_breaks_the_pool() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer_with(|port: u32| assert!(port < 65536, "bad port {port}"), 70000)
        .build()
        .unwrap();
    match outcome(pool.spawn(|| 1)) {
        Err(Error::Broken { reason }) => assert!(reason.contains("bad port 70000"), "{reason}"),
        other => panic!("expected a broken pool, got {other:?}"),
    }
    assert!(matches!(
        outcome(pool.spawn(|| 2)),
        Err(Error::Broken { .. })
    ));
}
