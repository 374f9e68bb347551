//! `map` with `chunksize`: many tiny calls, a thousand per worker round trip.
//!
//! ```text
//! cargo run --release -p cfut-processes --example map_chunked
//! ```

use std::num::NonZeroUsize;
use std::time::Instant;

use cfut_combinators::MapExt;
use cfut_processes::ProcessPoolExecutor;

fn noop(x: u64) -> u64 {
    x
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let pool = ProcessPoolExecutor::new(2).expect("a process pool");
    let chunk = NonZeroUsize::new(1_000).expect("non-zero");
    for _ in 0..rounds {
        let start = Instant::now();
        for (expected, value) in pool
            .map(noop, 0..200_000)
            .chunksize(chunk)
            .eager()
            .enumerate()
        {
            assert_eq!(value, Ok(expected as u64));
        }
        let rate = 200_000.0 / start.elapsed().as_secs_f64();
        println!(
            "map over 200 000 inputs, chunksize 1 000: {:.1} M tasks/s",
            rate / 1e6
        );
    }
}
