//! Property: `wait` partitions exactly — every distinct future given is in exactly one of
//! `done` and `not_done`, everything in `done` is done — and honours its `ReturnWhen`, over
//! random mixes of finished, failed, cancelled, late and never-finishing futures.
//!
//! `PROPTEST_CASES` sets the number of cases (default 32, to keep CI fast).

use std::collections::HashSet;
use std::time::Duration;

use cfut_combinators::{ReturnWhen, wait, wait_timeout};
use cfut_core::{Error, Future, Promise, State, promise};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(32);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Succeeded,
    Failed,
    Cancelled,
    /// Completed with a value by another thread after a short delay.
    Late,
    /// Never completes during the wait.
    Never,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Succeeded),
        Just(Kind::Failed),
        Just(Kind::Cancelled),
        Just(Kind::Late),
        Just(Kind::Never),
    ]
}

fn return_when() -> impl Strategy<Value = ReturnWhen> {
    prop_oneof![
        Just(ReturnWhen::FirstCompleted),
        Just(ReturnWhen::FirstException),
        Just(ReturnWhen::AllCompleted),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn wait_partitions_exactly(
        kinds in prop::collection::vec(kind(), 0..12),
        how in return_when(),
        duplicate in any::<bool>(),
    ) {
        let mut never: Vec<Promise<u8>> = Vec::new();
        let mut late: Vec<Promise<u8>> = Vec::new();
        let mut futures: Vec<Future<u8>> = Vec::new();
        for kind in &kinds {
            let (producer, future) = promise::<u8>();
            match kind {
                Kind::Succeeded => { producer.set_result(1); }
                Kind::Failed => { producer.set_error(Error::Shutdown); }
                Kind::Cancelled => { future.cancel(); }
                Kind::Late => late.push(producer),
                Kind::Never => never.push(producer),
            }
            futures.push(future);
        }
        let completer = std::thread::spawn(move || {
            for producer in late {
                std::thread::sleep(Duration::from_micros(200));
                producer.set_result(2);
            }
        });
        let mut given: Vec<&Future<u8>> = futures.iter().collect();
        if duplicate && !given.is_empty() {
            given.push(given[0]);
        }
        // Only a set with a never-finishing future needs the deadline to return.
        let split = if never.is_empty() {
            wait(given, how)
        } else {
            wait_timeout(given, how, Duration::from_millis(20))
        };
        completer.join().unwrap();

        let done: HashSet<_> = split.0.iter().map(|f| *f as *const Future<u8>).collect();
        let not_done: HashSet<_> = split.1.iter().map(|f| *f as *const Future<u8>).collect();
        prop_assert_eq!(done.len(), split.0.len(), "a duplicate in done");
        prop_assert_eq!(not_done.len(), split.1.len(), "a duplicate in not_done");
        prop_assert!(done.is_disjoint(&not_done));
        let all: HashSet<_> = futures.iter().map(|f| f as *const Future<u8>).collect();
        prop_assert_eq!(&done | &not_done, all);
        for future in &split.0 {
            prop_assert!(future.is_done());
        }
        for (future, kind) in futures.iter().zip(&kinds) {
            let in_done = done.contains(&(future as *const Future<u8>));
            match kind {
                // Done before the call: always reported done (the partition is taken at the end).
                Kind::Succeeded | Kind::Failed | Kind::Cancelled => prop_assert!(in_done),
                Kind::Never => prop_assert!(!in_done),
                Kind::Late => {}
            }
        }
        let pre_done = kinds.iter().any(|k| matches!(k, Kind::Succeeded | Kind::Failed | Kind::Cancelled));
        match how {
            ReturnWhen::AllCompleted if never.is_empty() => prop_assert!(split.1.is_empty()),
            ReturnWhen::FirstCompleted if !kinds.is_empty() && (pre_done || never.len() < kinds.len()) => {
                prop_assert!(!split.0.is_empty())
            }
            ReturnWhen::FirstException if never.is_empty() && !kinds.contains(&Kind::Failed) => {
                // No exception: it waits for everything, like AllCompleted.
                prop_assert!(split.1.is_empty())
            }
            _ => {}
        }
        prop_assert!(split.0.iter().all(|f| f.state() != State::Pending));
        drop(never);
    }
}
