//! After shutdown no worker process is left (alive or zombie) and no descriptor is leaked;
//! calls in flight cost no descriptor.
//! One test in its own binary, so that no other test opens descriptors or starts children
//! meanwhile.

use std::time::Duration;

use cfut_core::{Error, Exit, Shutdown};
use cfut_processes::ProcessPoolExecutor;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Children of this process, zombies included.
fn children() -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(pid) = name.parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the parenthesised command: state, ppid, ...
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid = after.split_whitespace().nth(1).unwrap();
        if ppid == me {
            found.push(pid);
        }
    }
    found
}

fn failing_initializer() {
    panic!("initializer fails");
}

#[test]
fn no_child_and_no_descriptor_is_left() {
    let long = Duration::from_secs(60);
    let before = open_fds();
    assert!(children().is_empty());
    for round in 0..3 {
        // Normal use, a crash, a timeout, and a cancelling shutdown.
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .call_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let mut ok = pool.submit(|x: u32| x + 1, round);
        assert_eq!(ok.result_timeout(long), Ok(round + 1));
        let mut crash = pool.submit(|()| -> () { std::process::abort() }, ());
        assert_eq!(
            crash.result_timeout(long),
            Err(Error::WorkerDied(Exit::Signal(6)))
        );
        let _pending: Vec<_> = (0..100).map(|i| pool.submit(|x: u32| x, i)).collect();
        pool.shutdown(Shutdown::new().cancel_pending(round % 2 == 0));
        assert!(children().is_empty(), "round {round}: {:?}", children());
        drop(pool);

        // Forced shutdown.
        let pool = ProcessPoolExecutor::new(2).unwrap();
        let _running = pool.submit(|()| std::thread::sleep(Duration::from_secs(60)), ());
        let mut probe = pool.submit(|x: u8| x, 1);
        assert_eq!(probe.result_timeout(long), Ok(1));
        pool.kill_workers();
        drop(pool);
        assert!(children().is_empty(), "round {round}: {:?}", children());

        // A broken pool (CPython's FailingInitializerResourcesTest).
        let pool = ProcessPoolExecutor::builder()
            .max_workers(2)
            .initializer(failing_initializer)
            .build()
            .unwrap();
        let mut broken = pool.submit(|x: u8| x, 1);
        assert!(matches!(
            broken.result_timeout(long),
            Err(Error::Broken { .. })
        ));
        drop(pool);
        assert!(children().is_empty(), "round {round}: {:?}", children());
    }
    assert_eq!(open_fds(), before, "descriptors leaked");

    // 100 000 calls in flight cost no descriptor each (procspawn opens four per call).
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let futures: Vec<_> = (0..100_000_u64)
        .map(|i| pool.submit(|x: u64| x + 1, i))
        .collect();
    let in_flight = open_fds();
    assert!(
        in_flight <= before + 8,
        "{in_flight} descriptors open with 100 000 calls in flight, {before} before"
    );
    for (i, mut future) in futures.into_iter().enumerate() {
        assert_eq!(future.result_timeout(long), Ok(i as u64 + 1));
    }
    drop(pool);
    assert_eq!(open_fds(), before, "descriptors leaked");
    assert!(children().is_empty());
}
