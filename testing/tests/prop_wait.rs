//! Property: `wait` partitions exactly — every distinct future given is in exactly one of
//! `done` and `not_done`, everything in `done` is done — and honours its `ReturnWhen`, over
//! random mixes of finished, failed, cancelled, late and never-finishing futures.
//!
//! `PROPTEST_CASES` sets the number of cases (default 32, to keep CI fast).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Pending when `wait` starts; completed with a value by another thread while it waits.
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

/// `/proc/<pid>/task/<tid>` of the calling thread; `None` without `/proc` (not Linux).
fn thread_id() -> Option<std::path::PathBuf> {
    let path = std::fs::read_link("/proc/thread-self").ok()?;
    Some(std::path::Path::new("/proc").join(path))
}

/// `true` if the thread at `task` (from [`thread_id`]) is asleep (state `S`): for a thread
/// that only waits, asleep in that wait. Also `true` without `/proc`: the caller goes on
/// unsynchronised.
fn asleep(task: Option<&std::path::Path>) -> bool {
    let Some(task) = task else {
        return true;
    };
    let stat = std::fs::read_to_string(task.join("stat")).unwrap_or_default();
    // The state follows the thread's name in parentheses: "tid (name) S ...".
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next())
        == Some('S')
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
        // The late ones are completed by another thread behind a gate that opens once this
        // thread sleeps in `wait` (or has returned from it): they are pending when `wait`
        // starts and complete while it waits, whatever the machine's speed.
        let waiting = thread_id();
        let returned = Arc::new(AtomicBool::new(false));
        let completer = {
            let returned = Arc::clone(&returned);
            std::thread::spawn(move || {
                if !late.is_empty() {
                    while !returned.load(Ordering::SeqCst) && !asleep(waiting.as_deref()) {
                        std::thread::yield_now();
                    }
                }
                for producer in late {
                    producer.set_result(2);
                }
            })
        };
        let mut given: Vec<&Future<u8>> = futures.iter().collect();
        if duplicate && !given.is_empty() {
            given.push(given[0]);
        }
        // `wait` without a deadline whenever the futures that do complete satisfy `how`;
        // otherwise (only a never-finishing future could) a short deadline lets it return,
        // and no assertion below depends on what completed by then.
        let completes = match how {
            ReturnWhen::AllCompleted => never.is_empty(),
            ReturnWhen::FirstException => never.is_empty() || kinds.contains(&Kind::Failed),
            ReturnWhen::FirstCompleted => never.len() < kinds.len() || kinds.is_empty(),
        };
        let split = if completes {
            wait(given, how)
        } else {
            wait_timeout(given, how, Duration::from_millis(5))
        };
        returned.store(true, Ordering::SeqCst);
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
            // Something completes (done before, or late): the wait returned on it.
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
