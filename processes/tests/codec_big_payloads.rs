//! Big payloads and the fault guarantees: a thousand 1 MiB round trips leave no descriptor
//! and no memory mapping behind, in the parent or the worker; a worker killed while a 16 MiB
//! argument is on its way fails only that call. Alone in its binary, and one at a time, so
//! that no other test's pool opens descriptors or maps memory meanwhile.

#[path = "support/mod.rs"]
mod support;

use cfut_core::{Error, Exit};
use cfut_processes::ProcessPoolExecutor;

/// What a process holds: open descriptors and memory mappings.
fn holdings(_: ()) -> (usize, usize) {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    (support::open_descriptors().len(), maps.lines().count())
}

fn echo(data: Vec<u8>) -> Vec<u8> {
    data
}

/// Held by each test: they run one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn a_thousand_big_round_trips_leave_nothing_behind() {
    let _alone = alone();
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let data: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
    // Warm up: the worker exists, its buffers and the allocator's arenas have their sizes.
    for _ in 0..20 {
        assert_eq!(pool.submit(echo, data.clone()).result().as_ref(), Ok(&data));
    }
    let parent_before = holdings(());
    let worker_before = pool.submit(holdings, ()).result().unwrap();
    for _ in 0..1000 {
        assert_eq!(pool.submit(echo, data.clone()).result().as_ref(), Ok(&data));
    }
    let parent_after = holdings(());
    let worker_after = pool.submit(holdings, ()).result().unwrap();
    assert_eq!(parent_after.0, parent_before.0, "descriptors in the parent");
    assert_eq!(worker_after.0, worker_before.0, "descriptors in the worker");
    // A leak per call would show as a thousand mappings; the allocator may still round a
    // heap or an arena differently between two looks.
    assert!(
        parent_after.1 <= parent_before.1 + 4,
        "parent maps {parent_before:?} -> {parent_after:?}"
    );
    assert!(
        worker_after.1 <= worker_before.1 + 4,
        "worker maps {worker_before:?} -> {worker_after:?}"
    );
    assert_eq!(pool.workers_started(), 1);
}

#[test]
fn a_worker_killed_during_a_big_transfer_fails_only_that_call() {
    let _alone = alone();
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let data = vec![9_u8; 16 << 20];
    for _ in 0..10 {
        let worker = pool
            .submit(|_: ()| std::process::id(), ())
            .result()
            .unwrap();
        let call = pool.submit(echo, data.clone());
        // SAFETY: `kill` has no memory effects; the pid is our pool's live worker.
        unsafe { libc::kill(worker as libc::pid_t, libc::SIGKILL) };
        // The kill lands while the argument is on its way, while the worker runs the call,
        // or (rarely) after the result left: the call failed with the death, or came back
        // whole — never a wrong value, a hang, or a broken pool.
        match call.result() {
            Err(Error::WorkerDied(Exit::Signal(signal))) => assert_eq!(signal, libc::SIGKILL),
            Ok(back) => assert!(back == data),
            Err(other) => panic!("unexpected {other:?}"),
        }
        assert_eq!(pool.submit(|x: u8| x + 1, 1).result(), Ok(2));
    }
    drop(pool);
}
