//! Progress bars as tqdm draws them, through the `cfut` facade: a labelled `map` over a
//! thread pool, then `as_completed` over submitted calls.
//!
//! ```text
//! cargo run --release --example progress --features progress
//! ```
//!
//! Each bar shows its label, the percentage, the count, elapsed and remaining time, and the
//! rate in calls/s, and stays on screen when it finishes. Bars are drawn only when stderr is
//! a terminal.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use cfut::prelude::*;

/// A stand-in for hashing one file: hash `n`'s bytes, slowly.
fn hash_file(n: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(15));
    let mut hasher = DefaultHasher::new();
    n.to_le_bytes().hash(&mut hasher);
    hasher.finish()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = ThreadPoolExecutor::new(4)?;

    let hashes: Vec<u64> = pool
        .map(hash_file, 0..300)
        .progress()
        .label("hashing")
        .collect::<Result<_, _>>()?;
    println!("hashed {} files", hashes.len());

    let futures: Vec<_> = (0..120).map(|n| pool.submit(hash_file, n)).collect();
    let mut done = 0;
    for future in as_completed(futures).progress().label("checking") {
        future.result()?;
        done += 1;
    }
    println!("checked {done} files");
    Ok(())
}
