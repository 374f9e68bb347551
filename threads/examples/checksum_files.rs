//! Checksum a batch of "files" on a thread pool, the way Python's
//! `ThreadPoolExecutor.submit` + `result` is used.
//!
//! ```text
//! cargo run --example checksum_files -p cfut-threads
//! ```
//!
//! Each file is checksummed by its own call; one file is unreadable and its call panics —
//! only that file's future fails, the others still finish (Rust's panic hook still prints the
//! panic on stderr, as for any thread). A call can itself submit work and
//! wait for it (here: large files are split in halves) without deadlocking the pool.

use std::sync::Arc;

use cfut_core::{Error, Future, Shutdown};
use cfut_threads::ThreadPoolExecutor;

/// A stand-in for reading a file: `size` bytes derived from its name.
fn read(name: &str, size: usize) -> Vec<u8> {
    assert!(!name.ends_with(".locked"), "permission denied: {name}");
    name.bytes().cycle().take(size).collect()
}

/// Fletcher-style checksum of a byte slice.
fn checksum(bytes: &[u8]) -> u64 {
    let (mut a, mut b) = (0_u64, 0_u64);
    for &byte in bytes {
        a = (a + u64::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// Checksums a file; a large one is split in two halves checksummed by child calls.
fn checksum_file(pool: &Arc<ThreadPoolExecutor>, name: &str, size: usize) -> u64 {
    let bytes = read(name, size);
    if bytes.len() < 1 << 20 {
        return checksum(&bytes);
    }
    let half = bytes.len() / 2;
    let (first, second) = (bytes[..half].to_vec(), bytes[half..].to_vec());
    let first: Future<u64> = pool.spawn(move || checksum(&first));
    let second: Future<u64> = pool.spawn(move || checksum(&second));
    // Waiting inside the pool: this thread runs the halves itself if nobody else took them.
    first.result().expect("first half") ^ second.result().expect("second half")
}

fn main() -> Result<(), cfut_threads::BuildError> {
    let pool = Arc::new(
        ThreadPoolExecutor::builder()
            .max_workers(4)
            .thread_name_prefix("checksum")
            .build()?,
    );
    let files = [
        ("notes.txt", 4_000),
        ("photo.raw", 3 << 20),
        ("secrets.locked", 100),
        ("music.flac", 2 << 20),
    ];

    let futures: Vec<(&str, Future<u64>)> = files
        .iter()
        .map(|&(name, size)| {
            let inner = Arc::clone(&pool);
            (name, pool.spawn(move || checksum_file(&inner, name, size)))
        })
        .collect();

    for (name, future) in futures {
        match future.result() {
            Ok(sum) => println!("{name:>16}  {sum:#010x}"),
            Err(Error::Panicked { message, .. }) => println!("{name:>16}  failed: {message}"),
            Err(other) => println!("{name:>16}  not checksummed: {other}"),
        }
    }
    println!("threads started: {}", pool.threads_started());

    // Python's `with` exit: no new calls, wait for the rest, join the threads.
    pool.shutdown(Shutdown::new());
    Ok(())
}
