//! Faults stay local: panics, dying workers, values that cannot cross, malformed frames,
//! failing initializers and call timeouts.

mod support;

use std::time::Duration;

use cfut_core::{Error, Exit, Future, State};
use cfut_processes::ProcessPoolExecutor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use support::{LONG, get, pid};

fn sleep_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// Waits until `future` runs in a worker (bounded).
fn wait_running<T>(future: &Future<T>) {
    let deadline = std::time::Instant::now() + LONG;
    while future.state() == State::Pending {
        assert!(
            std::time::Instant::now() < deadline,
            "the call never started"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn assert_serialization<T: std::fmt::Debug>(outcome: Result<T, Error>, needle: &str) {
    match outcome {
        Err(Error::Serialization { message }) => {
            assert!(
                message.contains(needle),
                "{message:?} should mention {needle:?}"
            )
        }
        other => panic!("expected a serialization error, got {other:?}"),
    }
}

#[test]
fn panic_fails_the_call_and_the_worker_lives_on() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let before = get(pool.submit(pid, ())).unwrap();
    let outcome = get(pool.submit(|x: u32| -> u32 { panic!("bad input {x}") }, 5));
    match outcome {
        Err(Error::Panicked { message, location }) => {
            assert_eq!(message, "bad input 5");
            assert!(location.unwrap().contains("pool_faults.rs"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        get(pool.submit(pid, ())),
        Ok(before),
        "the same worker serves on"
    );
}

fn assert_dies_with(call: fn(()) -> (), expected: Exit) {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let first = get(pool.submit(pid, ())).unwrap();
    assert_eq!(get(pool.submit(call, ())), Err(Error::WorkerDied(expected)));
    let replacement = get(pool.submit(pid, ())).unwrap();
    assert_ne!(first, replacement, "the dead worker was replaced");
    assert_eq!(pool.worker_pids(), [replacement]);
}

#[test]
fn abort_fails_only_that_call() {
    assert_dies_with(|()| std::process::abort(), Exit::Signal(libc::SIGABRT));
}

#[test]
fn segfault_fails_only_that_call() {
    assert_dies_with(
        |()| {
            // SAFETY: not safe at all: this deliberately crashes the worker process.
            unsafe { std::ptr::null_mut::<u64>().write_volatile(7) }
        },
        Exit::Signal(libc::SIGSEGV),
    );
}

#[test]
fn exit_fails_only_that_call() {
    assert_dies_with(|()| std::process::exit(3), Exit::Code(3));
}

#[test]
fn sigkill_from_outside_fails_only_that_call() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let victim = pool.submit(
        |()| -> u32 {
            std::thread::sleep(Duration::from_secs(60));
            std::process::id()
        },
        (),
    );
    let bystander = pool.submit(sleep_ms, 300);
    wait_running(&victim);
    wait_running(&bystander);
    let pids = pool.worker_pids();
    assert_eq!(pids.len(), 2);
    // Find the victim's worker: the one still busy after the bystander is done.
    assert_eq!(get(bystander), Ok(300));
    let idle = get(pool.submit(pid, ())).unwrap();
    let victim_pid = pids.iter().copied().find(|&p| p != idle).unwrap();
    // SAFETY: `kill` has no memory effects; the pid is our worker.
    assert_eq!(unsafe { libc::kill(victim_pid as i32, libc::SIGKILL) }, 0);
    assert_eq!(
        get(victim),
        Err(Error::WorkerDied(Exit::Signal(libc::SIGKILL)))
    );
    let later: Vec<_> = (0..4).map(|_| pool.submit(pid, ())).collect();
    for f in later {
        assert!(get(f).is_ok(), "later submissions succeed");
    }
}

#[test]
fn calls_queued_behind_a_dying_call_still_run() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let futures: Vec<_> = (0..200_u32)
        .map(|i| {
            pool.submit(
                |i: u32| {
                    if i == 100 {
                        std::process::exit(3)
                    }
                    i * 2
                },
                i,
            )
        })
        .collect();
    for (i, f) in futures.into_iter().enumerate() {
        let i = i as u32;
        if i == 100 {
            assert_eq!(get(f), Err(Error::WorkerDied(Exit::Code(3))));
        } else {
            assert_eq!(get(f), Ok(i * 2), "call {i}");
        }
    }
}

/// Serializes fine, always refuses to deserialize.
#[derive(Debug)]
struct Rejects;

impl Serialize for Rejects {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(1)
    }
}

impl<'de> Deserialize<'de> for Rejects {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("Rejects never deserializes"))
    }
}

/// Deserializes fine, always refuses to serialize.
#[derive(Debug)]
struct Refuses;

impl Serialize for Refuses {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("Refuses never serializes"))
    }
}

impl<'de> Deserialize<'de> for Refuses {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u8::deserialize(deserializer).map(|_| Refuses)
    }
}

#[test]
fn an_argument_that_cannot_be_encoded_fails_at_submission() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    assert_serialization(
        get(pool.submit(|_: Refuses| 1_u8, Refuses)),
        "cannot encode the argument",
    );
    assert!(pool.worker_pids().is_empty(), "nothing was sent");
    assert_eq!(get(pool.submit(|x: u8| x, 4)), Ok(4));
}

#[test]
fn an_argument_that_cannot_be_decoded_fails_and_the_worker_survives() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let before = get(pool.submit(pid, ())).unwrap();
    assert_serialization(
        get(pool.submit(|_: Rejects| 1_u8, Rejects)),
        "cannot decode the argument",
    );
    assert_eq!(get(pool.submit(pid, ())), Ok(before));
}

#[test]
fn a_result_that_cannot_be_encoded_fails_and_the_worker_survives() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let before = get(pool.submit(pid, ())).unwrap();
    assert_serialization(
        get(pool.submit(|()| Refuses, ())),
        "cannot encode the result",
    );
    assert_eq!(get(pool.submit(pid, ())), Ok(before));
}

#[test]
fn a_result_that_cannot_be_decoded_fails_and_the_worker_survives() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let before = get(pool.submit(pid, ())).unwrap();
    assert_serialization(
        get(pool.submit(|()| Rejects, ())),
        "cannot decode the result",
    );
    assert_eq!(get(pool.submit(pid, ())), Ok(before));
}

/// Writes a frame of an unknown kind to every socket of the worker: its channel.
fn corrupt_channel(_: ()) -> u8 {
    support::write_to_own_sockets(&[9, 0, 0, 0, 0xee, 1, 2, 3, 4, 5, 6, 7, 8]);
    1
}

#[test]
fn a_malformed_frame_fails_the_call_and_replaces_the_worker() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let before = get(pool.submit(pid, ())).unwrap();
    assert_serialization(get(pool.submit(corrupt_channel, ())), "malformed frame");
    let after = get(pool.submit(pid, ())).unwrap();
    assert_ne!(before, after, "the worker was replaced");
    assert_eq!(pool.worker_pids(), [after]);
}

fn initializer_panics() {
    panic!("no database");
}

fn initializer_exits() {
    std::process::exit(4);
}

#[test]
fn an_initializer_that_panics_breaks_the_pool_without_respawning() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(2)
        .initializer(initializer_panics)
        .build()
        .unwrap();
    let futures: Vec<_> = (0..20).map(|i| pool.submit(|x: u32| x, i)).collect();
    for f in futures {
        match get(f) {
            Err(Error::Broken { reason }) => assert!(reason.contains("no database"), "{reason}"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(matches!(
        get(pool.submit(|x: u32| x, 1)),
        Err(Error::Broken { .. })
    ));
    assert!(
        pool.workers_started() <= 2,
        "no respawn loop: {}",
        pool.workers_started()
    );
}

#[test]
fn an_initializer_that_exits_breaks_the_pool() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .initializer(initializer_exits)
        .build()
        .unwrap();
    match get(pool.submit(|x: u32| x, 1)) {
        Err(Error::Broken { reason }) => assert!(reason.contains("exit status 4"), "{reason}"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(pool.workers_started(), 1);
}

fn initializer_checks_its_port(port: u32) {
    assert!(port < 65536, "bad port {port}");
}

#[test]
fn an_initializer_argument_that_panics_breaks_the_pool() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(2)
        .initializer_with(initializer_checks_its_port, 70000)
        .build()
        .unwrap();
    match get(pool.submit(|x: u32| x, 1)) {
        Err(Error::Broken { reason }) => assert!(reason.contains("bad port 70000"), "{reason}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        get(pool.submit(|x: u32| x, 2)),
        Err(Error::Broken { .. })
    ));
    assert!(pool.workers_started() <= 2, "no respawn loop");
}

#[test]
fn an_initializer_argument_that_cannot_be_encoded_fails_the_build() {
    let error = ProcessPoolExecutor::builder()
        .initializer_with(|_: Refuses| {}, Refuses)
        .build()
        .unwrap_err();
    let message = error.to_string();
    // (postcard reports a serializer's own error without its message.)
    assert!(
        message.contains("the initializer's argument cannot be encoded"),
        "{message}"
    );
}

#[test]
fn an_initializer_argument_that_cannot_be_decoded_breaks_the_pool() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .initializer_with(|_: Rejects| {}, Rejects)
        .build()
        .unwrap();
    match get(pool.submit(|x: u32| x, 1)) {
        Err(Error::Broken { reason }) => assert!(
            reason.contains("the initializer's argument could not be decoded"),
            "{reason}"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(pool.workers_started(), 1);
}

#[test]
fn a_call_timeout_kills_and_replaces_the_worker() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .call_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let first = get(pool.submit(pid, ())).unwrap();
    let stuck = pool.submit(sleep_ms, 60_000);
    let queued: Vec<_> = (0..5).map(|_| pool.submit(pid, ())).collect();
    assert_eq!(get(stuck), Err(Error::TimedOut));
    for f in queued {
        let worker = get(f).unwrap();
        assert_ne!(
            worker, first,
            "the calls behind the stuck one ran in the replacement"
        );
    }
    assert_eq!(
        get(pool.submit(sleep_ms, 10)),
        Ok(10),
        "short calls still pass"
    );
}

#[test]
fn a_worker_killed_during_start_up_is_replaced() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let first = pool.submit(|x: u32| x * x, 3);
    let deadline = std::time::Instant::now() + LONG;
    let victim = loop {
        if let Some(&pid) = pool.worker_pids().first() {
            break pid;
        }
        assert!(std::time::Instant::now() < deadline, "no worker started");
        std::thread::yield_now();
    };
    // SAFETY: `kill` has no memory effects; the pid is our worker.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    let outcome = get(first);
    assert!(
        matches!(
            outcome,
            Ok(9) | Err(Error::WorkerDied(Exit::Signal(libc::SIGKILL)))
        ),
        "{outcome:?}"
    );
    // If the first call finished before the kill landed, the next one may still be handed to
    // the dying worker (its socket accepts the call until the process is gone): that call,
    // and only that one, may fail with the kill.
    let second = get(pool.submit(|x: u32| x * x, 4));
    if outcome.is_ok() && second.is_err() {
        assert_eq!(
            second,
            Err(Error::WorkerDied(Exit::Signal(libc::SIGKILL))),
            "only the kill may fail a call"
        );
        assert_eq!(
            get(pool.submit(|x: u32| x * x, 5)),
            Ok(25),
            "the pool stays usable"
        );
    } else {
        assert_eq!(second, Ok(16), "the pool stays usable");
    }
}

#[test]
fn a_call_timeout_too_long_for_the_clock_never_fires() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .call_timeout(Duration::MAX)
        .build()
        .unwrap();
    assert_eq!(get(pool.submit(|x: u32| x * x, 12)), Ok(144));
    assert_eq!(get(pool.submit(|x: u32| x * x, 13)), Ok(169));
}

fn exit_or_echo(n: u64) -> u64 {
    if n % 7 == 3 {
        std::process::exit(3);
    }
    n
}

/// Several threads make round trips at once, so calls go to idle workers both straight from
/// the submitting thread and through the manager, while workers die (every seventh call
/// exits) and retire (`max_tasks_per_child`): each dying call, and only it, fails with the
/// worker's exit status; every other call returns its value.
#[test]
fn concurrent_round_trips_attribute_every_death_to_its_call() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(2)
        .max_tasks_per_child(5)
        .build()
        .unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4_u64 {
            let pool = &pool;
            scope.spawn(move || {
                for i in 0..30_u64 {
                    let n = thread * 1000 + i;
                    let outcome = get(pool.submit(exit_or_echo, n));
                    if n % 7 == 3 {
                        assert_eq!(outcome, Err(Error::WorkerDied(Exit::Code(3))), "call {n}");
                    } else {
                        assert_eq!(outcome, Ok(n), "call {n}");
                    }
                }
            });
        }
    });
    pool.shutdown(cfut_core::Shutdown::new());
    assert!(pool.worker_pids().is_empty());
}
