//! Fault: bad input at every boundary — zero workers, timeouts of zero and of
//! `Duration::MAX`, values that fail to serialize or deserialize in either direction, a
//! 64 MiB argument and result, an initializer that panics or exits. Each gives a clear error,
//! nothing is lost, and the executor stays usable where the contract says so.

#![cfg(target_os = "linux")]
// Real threads, processes and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::num::NonZeroUsize;
use std::time::Duration;

use cfut_combinators::{MapError, MapExt, ReturnWhen, as_completed_timeout, wait_timeout};
use cfut_core::{CallExecutor, Error, Future, Shutdown, promise};
use cfut_processes::ProcessPoolExecutor;
use cfut_testing::conformance::Gate;
use cfut_testing::conformance::calls::{byte_sum, square};
use cfut_threads::ThreadPoolExecutor;
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const LIMIT: Duration = Duration::from_secs(120);

fn finish<T>(mut future: Future<T>) -> Result<T, Error> {
    assert!(
        future.wait_timeout(LIMIT),
        "a future was still {:?} after {LIMIT:?}: lost",
        future.state()
    );
    future.try_result().expect("done")
}

#[test]
fn zero_workers_is_a_clear_build_error() {
    let message = "max_workers must be greater than 0";
    assert_eq!(ThreadPoolExecutor::new(0).unwrap_err().to_string(), message);
    assert_eq!(
        ThreadPoolExecutor::builder()
            .max_workers(0)
            .build()
            .unwrap_err()
            .to_string(),
        message
    );
    assert_eq!(
        ProcessPoolExecutor::new(0).unwrap_err().to_string(),
        message
    );
    assert_eq!(
        ProcessPoolExecutor::builder()
            .max_workers(0)
            .build()
            .unwrap_err()
            .to_string(),
        message
    );
}

#[test]
fn timeouts_of_zero_and_of_duration_max() {
    // On a bare future: zero times out at once and leaves it usable; MAX waits (no overflow).
    let (producer, mut future) = promise::<u8>();
    assert_eq!(future.result_timeout(Duration::ZERO), Err(Error::TimedOut));
    assert!(!future.wait_timeout(Duration::ZERO));
    let setter = std::thread::spawn(move || producer.set_result(5));
    assert_eq!(future.result_timeout(Duration::MAX), Ok(5));
    setter.join().expect("setter");

    let pool = ThreadPoolExecutor::new(1).expect("pool");
    let gate = Gate::new();
    let blocked = {
        let gate = gate.clone();
        pool.spawn(move || gate.wait(LIMIT))
    };
    // Combinators: a zero timeout returns the partition now / reports the unfinished / ends a
    // map at its first unfinished element; MAX waits for completion.
    let split = wait_timeout([&blocked], ReturnWhen::AllCompleted, Duration::ZERO);
    assert_eq!((split.0.len(), split.1.len()), (0, 1));
    let mut pending = as_completed_timeout([&blocked], Duration::ZERO);
    let error = pending.next().expect("one item").expect_err("unfinished");
    assert_eq!(error.to_string(), "1 (of 1) futures unfinished");
    drop(pending);
    {
        let mut map = pool.map(|x: u32| x, [1_u32, 2]).timeout(Duration::ZERO);
        assert_eq!(map.next(), Some(Err(MapError::Deadline)));
        assert_eq!(map.next(), None, "a map ends at its deadline");
    }
    let opener = {
        let gate = gate.clone();
        std::thread::spawn(move || gate.open())
    };
    let split = wait_timeout([&blocked], ReturnWhen::AllCompleted, Duration::MAX);
    assert_eq!(split.1.len(), 0);
    opener.join().expect("opener");
    let all: Vec<_> = pool
        .map(|x: u32| x * 2, 0..10)
        .timeout(Duration::MAX)
        .collect();
    assert_eq!(all, (0..10).map(|x| Ok(x * 2)).collect::<Vec<_>>());
    let futures: Vec<_> = (0..10_u32).map(|x| pool.spawn(move || x)).collect();
    assert_eq!(as_completed_timeout(futures, Duration::MAX).count(), 10);
    assert_eq!(finish(blocked), Ok(true));
}

#[test]
fn process_pool_call_timeouts_of_zero_and_of_duration_max() {
    // Zero is refused at build time.
    let error = ProcessPoolExecutor::builder()
        .call_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("timeout"),
        "a zero call timeout is refused with a clear message: {error}"
    );
    // MAX never fires, and the pool shuts down. Run on a helper thread so that a hang fails
    // this test instead of hanging the run.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let patient = ProcessPoolExecutor::builder()
            .max_workers(1)
            .call_timeout(Duration::MAX)
            .build()
            .expect("a huge call timeout is accepted");
        let first = finish(patient.submit_call(square, 12));
        let second = finish(patient.submit_call(square, 13));
        drop(patient);
        let _ = tx.send((first, second));
    });
    let outcome = rx.recv_timeout(Duration::from_secs(30));
    assert_eq!(
        outcome,
        Ok((Ok(144), Ok(169))),
        "a process pool with call_timeout(Duration::MAX) must run calls and shut down \
         (an Err(Timeout) here means it hung)"
    );
}

/// Serializes as `0_u8` and refuses to deserialize.
#[derive(Debug, PartialEq)]
struct RefusesToDeserialize;

impl Serialize for RefusesToDeserialize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(0)
    }
}

impl<'de> Deserialize<'de> for RefusesToDeserialize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u8::deserialize(deserializer)?;
        Err(D::Error::custom("this value refuses to be deserialized"))
    }
}

/// Refuses to serialize; deserializes from a `u8`.
#[derive(Debug, PartialEq)]
struct RefusesToSerialize;

impl Serialize for RefusesToSerialize {
    fn serialize<S: Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(S::Error::custom("this value refuses to be serialized"))
    }
}

impl<'de> Deserialize<'de> for RefusesToSerialize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u8::deserialize(deserializer).map(|_| RefusesToSerialize)
    }
}

fn take_unserializable(_: RefusesToSerialize) -> u8 {
    1
}

fn take_undeserializable(_: RefusesToDeserialize) -> u8 {
    2
}

fn give_unserializable(_: u8) -> RefusesToSerialize {
    RefusesToSerialize
}

fn give_undeserializable(_: u8) -> RefusesToDeserialize {
    RefusesToDeserialize
}

fn expect_serialization<T: std::fmt::Debug>(what: &str, outcome: Result<T, Error>) {
    // The message is the codec's; postcard reduces a custom serde error to a generic text,
    // so only the variant is asserted.
    assert!(
        matches!(&outcome, Err(Error::Serialization { .. })),
        "{what}: expected a serialization error, got {outcome:?}"
    );
    println!("{what}: {outcome:?}");
}

#[test]
fn values_that_fail_to_cross_the_process_boundary() {
    let pool = ProcessPoolExecutor::new(1).expect("pool");
    assert_eq!(finish(pool.submit_call(square, 2)), Ok(4));
    expect_serialization(
        "an argument that fails to serialize in the parent",
        finish(pool.submit_call(take_unserializable, RefusesToSerialize)),
    );
    expect_serialization(
        "an argument that fails to deserialize in the worker",
        finish(pool.submit_call(take_undeserializable, RefusesToDeserialize)),
    );
    expect_serialization(
        "a result that fails to serialize in the worker",
        finish(pool.submit_call(give_unserializable, 0)),
    );
    expect_serialization(
        "a result that fails to deserialize in the parent",
        finish(pool.submit_call(give_undeserializable, 0)),
    );
    let batch = finish(pool.submit_batch(give_unserializable, vec![0, 1]))
        .and_then(cfut_core::ChunkResults::decode)
        .map(|results| {
            results
                .into_iter()
                .map(|result| result.map(|_| ()))
                .collect::<Vec<_>>()
        });
    assert!(
        matches!(&batch, Err(Error::Serialization { .. }))
            || batch.as_ref().is_ok_and(|results| results
                .iter()
                .all(|r| matches!(r, Err(Error::Serialization { .. })))),
        "a batch whose results fail to serialize gave {batch:?}"
    );
    assert_eq!(
        finish(pool.submit_call(square, 3)),
        Ok(9),
        "the pool stays usable"
    );
    assert_eq!(
        pool.workers_started(),
        1,
        "serialization failures do not cost the worker its life"
    );
    // In-process executors never serialize: the same calls simply run.
    let threads = ThreadPoolExecutor::new(1).expect("pool");
    assert_eq!(
        finish(threads.submit_call(take_unserializable, RefusesToSerialize)),
        Ok(1)
    );
}

/// A result of `len` bytes, each the low byte of its index.
fn bytes_of_len(len: usize) -> Vec<u8> {
    (0..len).map(|i| i as u8).collect()
}

const SIXTY_FOUR_MIB: usize = 64 << 20;

// The 64 MiB cases take several seconds each in a debug build (serde encodes a `Vec<u8>`
// element by element); they are two tests so that they run side by side.
#[test]
fn a_64_mib_argument() {
    let argument: Vec<u8> = (0..SIXTY_FOUR_MIB).map(|i| (i % 251) as u8).collect();
    let expected = byte_sum(argument.clone());
    let pool = ProcessPoolExecutor::new(1).expect("pool");
    assert_eq!(finish(pool.submit_call(byte_sum, argument)), Ok(expected));
    assert_eq!(
        finish(pool.submit_call(square, 5)),
        Ok(25),
        "the pool stays usable"
    );
    pool.shutdown(Shutdown::new());

    let threads = ThreadPoolExecutor::new(2).expect("pool");
    let argument = vec![1_u8; SIXTY_FOUR_MIB];
    assert_eq!(
        finish(threads.submit_call(byte_sum, argument)),
        Ok(SIXTY_FOUR_MIB as u64)
    );
}

#[test]
fn a_64_mib_result() {
    let pool = ProcessPoolExecutor::new(1).expect("pool");
    let result = finish(pool.submit_call(bytes_of_len, SIXTY_FOUR_MIB)).expect("a 64 MiB result");
    assert_eq!(result.len(), SIXTY_FOUR_MIB);
    assert!(result.iter().enumerate().all(|(i, &b)| b == i as u8));
    assert_eq!(
        finish(pool.submit_call(square, 5)),
        Ok(25),
        "the pool stays usable"
    );
}

fn panicking_initializer() {
    panic!("the initializer refuses");
}

fn exiting_initializer() {
    std::process::exit(7);
}

#[test]
fn an_initializer_that_panics_breaks_the_thread_pool() {
    let pool = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(panicking_initializer)
        .build()
        .expect("building does not run the initializer");
    let futures: Vec<_> = (0..10).map(|i| pool.spawn(move || i)).collect();
    for future in futures {
        let outcome = finish(future);
        assert!(
            matches!(outcome, Err(Error::Broken { .. })),
            "a call on a pool whose initializer panicked gave {outcome:?}"
        );
    }
    let later = finish(pool.spawn(|| 1));
    assert!(
        matches!(later, Err(Error::Broken { .. })),
        "later: {later:?}"
    );
    assert!(pool.threads_started() <= 2, "no respawn loop");
}

#[test]
fn an_initializer_that_panics_or_exits_breaks_the_process_pool() {
    for initializer in [panicking_initializer as fn(), exiting_initializer] {
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .initializer(initializer)
            .build()
            .expect("building does not start a worker");
        let futures: Vec<_> = (0..10).map(|i| pool.submit_call(square, i)).collect();
        for future in futures {
            let outcome = finish(future);
            assert!(
                matches!(outcome, Err(Error::Broken { .. })),
                "a call on a pool whose initializer failed gave {outcome:?}"
            );
        }
        let later = finish(pool.submit_call(square, 1));
        assert!(
            matches!(later, Err(Error::Broken { .. })),
            "later: {later:?}"
        );
        let started = pool.workers_started();
        assert!(started <= 2, "{started} workers started: a respawn loop");
        drop(pool);
    }
}

#[test]
fn map_chunksize_of_one_element_and_of_more_than_the_input() {
    // The smallest and a too-large chunk both give per-element results, in order.
    let pool = ProcessPoolExecutor::new(2).expect("pool");
    for chunk in [1, 1000] {
        let results: Vec<_> = pool
            .map(square, 0..20_u64)
            .chunksize(NonZeroUsize::new(chunk).expect("non-zero"))
            .eager()
            .collect();
        assert_eq!(results, (0..20).map(|x| Ok(x * x)).collect::<Vec<_>>());
    }
}
