//! A worker that is not the same build as its parent refuses to serve: a clear broken-pool
//! error, never a call into the wrong code. Alone in its binary because it changes the
//! binary's own file identity (its modification time), which would break other pools.

use std::time::{Duration, SystemTime};

use cfut_core::Error;
use cfut_processes::ProcessPoolExecutor;

#[test]
fn a_changed_executable_breaks_the_pool_with_a_clear_error() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    // The parent's identity is fixed when the pool is built; now the file "changes".
    let exe = std::fs::File::open("/proc/self/exe").unwrap();
    let original = exe.metadata().unwrap().modified().unwrap();
    exe.set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
    let mut outcome = pool.submit(|x: u8| x, 1);
    let outcome = outcome.result_timeout(Duration::from_secs(60));
    exe.set_modified(original).unwrap();
    match outcome {
        Err(Error::Broken { reason }) => {
            assert!(reason.contains("not the same build"), "{reason}");
        }
        other => panic!("expected a broken pool, got {other:?}"),
    }
    assert_eq!(pool.workers_started(), 1, "no respawn loop");
    drop(pool);

    // With the identity back, a new pool works.
    let pool = ProcessPoolExecutor::new(1).unwrap();
    assert_eq!(pool.submit(|x: u8| x + 1, 1).result(), Ok(2));
}
