//! Property: `map` keeps input order, element by element, under random call delays, window
//! sizes, chunk sizes, eager or lazy mode, and failing elements — on the real thread pool.
//!
//! `PROPTEST_CASES` sets the number of cases (default 32, to keep CI fast).

use std::num::NonZeroUsize;
use std::time::Duration;

use cfut_combinators::{MapError, MapExt};
use cfut_threads::ThreadPoolExecutor;
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

/// One input: its value, how long its call sleeps (µs), whether it panics.
fn element() -> impl Strategy<Value = (u32, u16, bool)> {
    (any::<u32>(), 0_u16..400, prop::bool::weighted(0.1))
}

fn call((value, delay, fails): (u32, u16, bool)) -> u64 {
    std::thread::sleep(Duration::from_micros(u64::from(delay)));
    if fails {
        panic!("element {value} fails");
    }
    u64::from(value) * 2
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn map_keeps_input_order(
        inputs in prop::collection::vec(element(), 0..40),
        window in 1_usize..8,
        chunksize in 1_usize..4,
        workers in 1_usize..4,
        eager in any::<bool>(),
    ) {
        let pool = ThreadPoolExecutor::new(workers).unwrap();
        let map = pool
            .map(call, inputs.clone())
            .window(NonZeroUsize::new(window).unwrap())
            .chunksize(NonZeroUsize::new(chunksize).unwrap());
        let map = if eager { map.eager() } else { map };
        let results: Vec<_> = map.collect();
        prop_assert_eq!(results.len(), inputs.len());
        for ((value, _, fails), result) in inputs.iter().zip(&results) {
            if *fails {
                let is_panic = matches!(result, Err(MapError::Call(cfut_core::Error::Panicked { .. })));
                prop_assert!(is_panic, "{:?}", result);
            } else {
                prop_assert_eq!(result, &Ok(u64::from(*value) * 2));
            }
        }
    }

    #[test]
    fn map_over_endless_input_keeps_order(
        take in 0_usize..30,
        window in 1_usize..6,
        delays in prop::collection::vec(0_u16..300, 1..8),
    ) {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        let inputs = (0_u32..).map(move |i| (i, delays[i as usize % delays.len()], false));
        let results: Vec<u64> = pool
            .map(call, inputs)
            .window(NonZeroUsize::new(window).unwrap())
            .take(take)
            .map(Result::unwrap)
            .collect();
        let expected: Vec<u64> = (0..take as u64).map(|i| i * 2).collect();
        prop_assert_eq!(results, expected);
    }
}
