//! The pool's manager thread waits for its workers with `poll`, which fails (`EINVAL`) when
//! the process's limit on open files is below the number of sockets it polls. The pool must
//! keep serving — results still come back, a dying worker is still noticed — rather than
//! spin on the failing call and leave every future pending.
//!
//! The limit is process-wide, so this file holds this one test.

mod support;

use std::time::Duration;

use cfut_core::{Error, Exit, Future};
use cfut_processes::ProcessPoolExecutor;

use crate::support::OpenFilesLimit;

const LONG: Duration = Duration::from_secs(60);

fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

fn double(x: u64) -> u64 {
    x * 2
}

fn exit_7(_: ()) {
    std::process::exit(7)
}

#[test]
fn the_pool_serves_on_when_its_manager_cannot_poll() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let warm: Vec<_> = (0..4).map(|_| pool.submit(pid, ())).collect();
    for future in warm {
        get(future).unwrap();
    }

    // The manager polls its wake-up socket and a socket per worker: more than one.
    let limit = OpenFilesLimit::lower_to(1);
    let results: Vec<_> = (0..50_u64).map(|x| pool.submit(double, x)).collect();
    let results: Vec<_> = results.into_iter().map(get).collect();
    let died = get(pool.submit(exit_7, ()));
    // The other worker still serves (no replacement can start without new descriptors).
    let after = get(pool.submit(double, 21));
    drop(limit);

    for (x, outcome) in results.into_iter().enumerate() {
        assert_eq!(outcome, Ok(x as u64 * 2), "call {x}");
    }
    assert_eq!(died, Err(Error::WorkerDied(Exit::Code(7))));
    assert_eq!(after, Ok(42));
    // With descriptors available again, the pool replaces the dead worker.
    let pids: Vec<_> = (0..8).map(|_| pool.submit(pid, ())).collect();
    for future in pids {
        assert!(get(future).is_ok());
    }
}
