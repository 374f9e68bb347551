//! Results of tiny calls travel through each worker's result ring (memory shared with the
//! parent), the rest through its socket (`src/ring.rs`). Checked from outside: the two keep
//! the worker's order, a result in the ring survives the worker's death, and bytes a call
//! writes to its worker's socket fail that call instead of hanging it.
//!
//! Each burst is made of calls short enough that the pool sends them ahead in batches, the
//! case where results follow each other through the ring with no pause between them.

mod support;

use cfut_core::{Error, Exit};
use cfut_processes::ProcessPoolExecutor;
use support::{get, pid};

/// A burst of this many calls: many times the deepest batch a worker is sent.
const BURST: u64 = 3_000;

/// Calls of `BURST` whose results are small, and short enough to be batched.
fn warm_up(pool: &ProcessPoolExecutor) {
    let futures: Vec<_> = (0..BURST).map(|i| pool.submit(identity, i)).collect();
    for (i, future) in (0..).zip(futures) {
        assert_eq!(get(future), Ok(i));
    }
}

fn identity(x: u64) -> u64 {
    x
}

/// How many bursts of `abort_now` calls one test runs.
const BURSTS_WITH_DEATHS: u64 = 10;

/// A burst of `abort_now` calls kills its worker every this many calls.
const ABORT_EVERY: u64 = 300;

/// Call `i` of a burst: aborts the worker when `i` is `ABORT_EVERY / 2` past a multiple of
/// `ABORT_EVERY`.
fn abort_now(i: u64) -> u64 {
    if aborts(i) {
        std::process::abort();
    }
    i
}

fn aborts(i: u64) -> bool {
    i % ABORT_EVERY == ABORT_EVERY / 2
}

/// Call `i`'s result: a byte string whose length cycles through sizes that fit the ring,
/// that do not fit it whole (64 KiB), and that travel as blocks; every byte says `i`.
fn sized(i: u64) -> Vec<u8> {
    const SIZES: [usize; 7] = [8, 40_000, 1, 16, 300_000, 20_000, 70_000];
    vec![i as u8; SIZES[i as usize % SIZES.len()]]
}

/// Results pushed to the ring just before the worker died are taken when its socket closes.
/// Whether the parent takes them before or after it sees the socket close depends on timing,
/// so the bursts kill their worker a hundred times: a parent that did not take the ring once
/// the socket closed (`Manager::receive`) failed this test in 2 of 15 runs with one death per
/// run, in 11 of 15 with thirty, and in 13 of 15 with a hundred.
#[test]
fn the_results_before_a_crash_in_a_burst_all_arrive() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    warm_up(&pool);
    for _ in 0..BURSTS_WITH_DEATHS {
        let futures: Vec<_> = (0..BURST).map(|i| pool.submit(abort_now, i)).collect();
        for (i, future) in (0..).zip(futures) {
            let expected = if aborts(i) {
                Err(Error::WorkerDied(Exit::Signal(libc::SIGABRT)))
            } else {
                Ok(i)
            };
            assert_eq!(get(future), expected, "call {i}");
        }
    }
}

#[test]
fn small_and_big_results_keep_their_order() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    warm_up(&pool);
    let futures: Vec<_> = (0..BURST / 4).map(|i| pool.submit(sized, i)).collect();
    for (i, future) in (0..).zip(futures) {
        assert_eq!(get(future), Ok(sized(i)), "call {i}");
    }
    warm_up(&pool);
}

/// Writes the first four bytes of a frame header (a length and no kind) to every socket of
/// the worker: its channel to the parent.
fn write_half_a_header(_: ()) -> u8 {
    support::write_to_own_sockets(&[5, 0, 0, 0]);
    1
}

#[test]
fn bytes_a_call_writes_to_its_socket_fail_it_and_replace_the_worker() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    warm_up(&pool);
    let before = get(pool.submit(pid, ())).unwrap();
    match get(pool.submit(write_half_a_header, ())) {
        Err(Error::Serialization { message }) => {
            assert!(message.contains("malformed frame"), "{message}");
        }
        other => panic!("expected a malformed frame, got {other:?}"),
    }
    let after = get(pool.submit(pid, ())).unwrap();
    assert_ne!(before, after, "the worker was replaced");
    assert_eq!(pool.worker_pids(), [after]);
}
