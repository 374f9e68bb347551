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

/// Values either side of the size from which a plain buffer travels as a block of its own
/// memory (64 KiB, `BLOCK_FROM` in `tuning.rs`), and far above it.
const AROUND_THE_BLOCK_SIZE: [usize; 5] = [0, (64 << 10) - 1, 64 << 10, (64 << 10) + 1, 16 << 20];

fn echo_any<T>(value: T) -> T {
    value
}

#[test]
fn every_plain_buffer_type_comes_back_whole_as_a_block_or_encoded() {
    let _alone = alone();
    let pool = ProcessPoolExecutor::new(2).unwrap();
    for bytes in AROUND_THE_BLOCK_SIZE {
        let data: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
        assert!(pool.submit(echo_any, data.clone()).result() == Ok(data.clone()));
        let boxed = data.clone().into_boxed_slice();
        assert!(pool.submit(echo_any, boxed.clone()).result() == Ok(boxed));
        let signed: Vec<i8> = data.iter().map(|&b| b as i8).collect();
        assert!(pool.submit(echo_any, signed.clone()).result() == Ok(signed));
        let text: String = (0..bytes).map(|i| ['a', 'ß', '€'][i % 3]).collect();
        assert!(pool.submit(echo_any, text.clone()).result() == Ok(text));
        let floats: Vec<f64> = (0..bytes / 8).map(|i| i as f64 * -0.25).collect();
        assert!(pool.submit(echo_any, floats.clone()).result() == Ok(floats));
        let wide: Vec<u128> = (0..bytes / 16).map(|i| (i as u128) << 70 | 5).collect();
        assert!(pool.submit(echo_any, wide.clone()).result() == Ok(wide));
        let shorts: Vec<i16> = (0..bytes / 2 + 1).map(|i| i as i16 ^ -7).collect();
        assert!(pool.submit(echo_any, shorts.clone()).result() == Ok(shorts));
        // Nested: encoded in the frame as before.
        let nested = (bytes as u32, data.clone());
        assert!(pool.submit(echo_any, nested.clone()).result() == Ok(nested));
    }
    // A result of another type than the argument, both big.
    let lengths = pool
        .submit(
            |v: Vec<u16>| v.iter().map(|&x| f32::from(x)).collect::<Vec<f32>>(),
            vec![3; 1 << 20],
        )
        .result();
    assert!(lengths == Ok(vec![3.0; 1 << 20]));
}

/// Run in the worker: waits until the calls queued behind this one have reached its socket
/// (at least `bytes` of them wait to be read; at most ten seconds), then exits with 3.
fn exit_once_calls_are_queued(bytes: usize) -> u8 {
    for _ in 0..10_000 {
        let mut queued = 0;
        for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            if target.to_string_lossy().starts_with("socket:") {
                let fd: i32 = entry.file_name().to_string_lossy().parse().unwrap();
                let mut waiting: libc::c_int = 0;
                // SAFETY: FIONREAD writes one int; the descriptor is open.
                unsafe { libc::ioctl(fd, libc::FIONREAD, &mut waiting) };
                queued = queued.max(waiting as usize);
            }
        }
        if queued >= bytes {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::process::exit(3)
}

#[test]
fn big_calls_queued_behind_a_dying_worker_run_whole_on_its_replacement() {
    let _alone = alone();
    let pool = ProcessPoolExecutor::new(1).unwrap();
    // Short calls: the pool queues calls in the worker while it is busy.
    for _ in 0..20 {
        assert_eq!(pool.submit(|x: u8| x, 1).result(), Ok(1));
    }
    let dying = pool.submit(exit_once_calls_are_queued, 100 << 10);
    let data: Vec<Vec<u8>> = (0..4_u8)
        .map(|k| (0..80 << 10).map(|i| (i as u8).wrapping_mul(k)).collect())
        .collect();
    let queued: Vec<_> = data.iter().map(|d| pool.submit(echo, d.clone())).collect();
    assert_eq!(dying.result(), Err(Error::WorkerDied(Exit::Code(3))));
    for (future, data) in queued.into_iter().zip(&data) {
        assert!(
            future.result().as_ref() == Ok(data),
            "the argument's block went along"
        );
    }
    assert_eq!(pool.workers_started(), 2);
}

/// In a worker: waits until the file `gate` exists (at most a minute).
fn wait_for(gate: String) -> bool {
    for _ in 0..60_000 {
        if std::path::Path::new(&gate).exists() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

#[test]
fn a_big_call_cancelled_after_it_was_sent_ahead_lends_its_block_to_no_other_call() {
    let _alone = alone();
    let gate = std::env::temp_dir().join(format!("cfut-big-gate-{}", std::process::id()));
    let _ = std::fs::remove_file(&gate);
    let pool = ProcessPoolExecutor::new(1).unwrap();
    // Short calls: the pool sends calls ahead to its busy worker.
    for _ in 0..200 {
        assert_eq!(pool.submit(|x: u8| x, 1).result(), Ok(1));
    }
    let blocker = pool.submit(wait_for, gate.to_str().unwrap().to_owned());
    while blocker.state() == cfut_core::State::Pending {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let big = pool.submit(echo, vec![1_u8; 200 << 10]);
    let small = pool.submit(|v: Vec<u8>| v.len(), vec![2_u8; 10]);
    let big_too = pool.submit(echo, vec![3_u8; 100 << 10]);
    // Let the manager send them ahead (the test holds whether it did or not).
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(big.cancel());
    std::fs::write(&gate, b"open").unwrap();
    assert_eq!(blocker.result(), Ok(true));
    assert_eq!(big.result(), Err(Error::Cancelled));
    // The block of the cancelled call was dropped with it, not given to the next call.
    assert_eq!(small.result(), Ok(10));
    assert!(big_too.result() == Ok(vec![3_u8; 100 << 10]));
    let _ = std::fs::remove_file(&gate);
}
