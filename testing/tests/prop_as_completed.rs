//! Property: `as_completed` yields every (distinct) future exactly once, and only once it is
//! done, whatever the completion order, mix of outcomes (value, error, cancellation) and
//! duplicates; with a deadline, it yields exactly the done ones and counts the rest.
//!
//! `PROPTEST_CASES` sets the number of cases (default 32, to keep CI fast).

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use cfut_combinators::{as_completed, as_completed_timeout};
use cfut_core::{Error, Future, promise};
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

/// How a future ends.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    Value,
    Error,
    CancelledByUser,
    /// The producer is dropped: `Error::Abandoned`.
    Dropped,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Value),
        Just(Outcome::Error),
        Just(Outcome::CancelledByUser),
        Just(Outcome::Dropped),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn as_completed_yields_each_future_once(
        plan in prop::collection::vec((outcome(), any::<bool>(), 0_u16..300), 0..16),
        order in Just(()).prop_perturb(|(), mut rng| rng.random::<u64>()),
        duplicates in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        // Futures shared with the completing thread (cancellation needs the future).
        let mut producers = Vec::new();
        let mut futures = Vec::new();
        for _ in &plan {
            let (producer, future) = promise::<usize>();
            producers.push(producer);
            futures.push(Arc::new(future));
        }
        // Some complete before as_completed starts, the rest from another thread, in a
        // shuffled order.
        let mut schedule: Vec<usize> = (0..plan.len()).collect();
        let mut state = order | 1;
        for i in (1..schedule.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            schedule.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let finish = |index: usize, producer: cfut_core::Promise<usize>, future: &Future<usize>| {
            match plan[index].0 {
                Outcome::Value => { producer.set_result(index); }
                Outcome::Error => { producer.set_error(Error::Broken { reason: "test".into() }); }
                Outcome::CancelledByUser => { future.cancel(); drop(producer); }
                Outcome::Dropped => drop(producer),
            }
        };
        let mut later = Vec::new();
        for (index, producer) in producers.into_iter().enumerate() {
            if plan[index].1 {
                finish(index, producer, &futures[index]);
            } else {
                later.push((index, producer));
            }
        }
        later.sort_by_key(|(index, _)| schedule[*index]);
        let shared: Vec<_> = futures.iter().map(Arc::clone).collect();
        let delays: Vec<u16> = plan.iter().map(|p| p.2).collect();
        let plan_for_thread = plan.clone();
        let completer = std::thread::spawn(move || {
            for (index, producer) in later {
                std::thread::sleep(Duration::from_micros(u64::from(delays[index])));
                match plan_for_thread[index].0 {
                    Outcome::Value => { producer.set_result(index); }
                    Outcome::Error => { producer.set_error(Error::Broken { reason: "test".into() }); }
                    Outcome::CancelledByUser => { shared[index].cancel(); drop(producer); }
                    Outcome::Dropped => drop(producer),
                }
            }
        });

        let mut given: Vec<&Future<usize>> = futures.iter().map(|f| &**f).collect();
        if !given.is_empty() {
            for duplicate in &duplicates {
                given.push(given[duplicate.index(futures.len())]);
            }
        }
        let mut seen = HashSet::new();
        for future in as_completed_timeout(given, Duration::from_secs(30)) {
            let future = future.expect("every future completes well within the deadline");
            prop_assert!(future.is_done());
            prop_assert!(seen.insert(future as *const Future<usize>), "yielded twice");
        }
        completer.join().unwrap();
        prop_assert_eq!(seen.len(), futures.len());
    }

    #[test]
    fn as_completed_timeout_counts_the_unfinished(
        plan in prop::collection::vec(prop::option::of(outcome()), 0..12),
    ) {
        // `None`: never completes (its producer is kept until the end).
        let mut kept = Vec::new();
        let mut futures = Vec::new();
        for (index, step) in plan.iter().enumerate() {
            let (producer, future) = promise::<usize>();
            match step {
                Some(Outcome::Value) => { producer.set_result(index); }
                Some(Outcome::Error) => { producer.set_error(Error::Shutdown); }
                Some(Outcome::CancelledByUser) => { future.cancel(); }
                Some(Outcome::Dropped) => drop(producer),
                None => kept.push(producer),
            }
            futures.push(future);
        }
        let done = plan.iter().filter(|step| step.is_some()).count();
        let mut yielded = 0;
        let mut unfinished = None;
        for item in as_completed_timeout(&futures, Duration::from_millis(5)) {
            match item {
                Ok(future) => {
                    prop_assert!(future.is_done());
                    yielded += 1;
                }
                Err(error) => {
                    prop_assert!(unfinished.is_none());
                    unfinished = Some((error.unfinished(), error.total()));
                }
            }
        }
        prop_assert_eq!(yielded, done);
        if kept.is_empty() {
            prop_assert_eq!(unfinished, None);
        } else {
            prop_assert_eq!(unfinished, Some((kept.len(), plan.len())));
        }
        // Without a deadline, the same futures drain once everything completes: the ones kept
        // pending are completed by another thread, which waits on a gate that opens only
        // after every future already done has been yielded, so at least one future is still
        // pending while `as_completed` runs (when any was kept).
        let gate = Arc::new(Barrier::new(2));
        let completer = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                gate.wait();
                for (index, producer) in kept.into_iter().enumerate() {
                    producer.set_result(index);
                }
            })
        };
        let mut opened = false;
        let open = |opened: &mut bool| {
            if !*opened {
                gate.wait();
                *opened = true;
            }
        };
        if done == 0 {
            open(&mut opened);
        }
        let mut drained = HashSet::new();
        for (count, future) in as_completed(&futures).enumerate() {
            prop_assert!(future.is_done());
            prop_assert!(drained.insert(future as *const Future<usize>), "yielded twice");
            if count + 1 == done {
                open(&mut opened);
            }
        }
        open(&mut opened);
        completer.join().unwrap();
        prop_assert_eq!(drained.len(), futures.len());
    }
}
