//! loom models of the whole pool — the real registry, gate, sleep protocol and worker loop,
//! on loom threads and the stand-in queues — through the public API. One worker thread plus
//! the caller, so that the exploration stays small.

use cfut_core::{Error, Shutdown};

use crate::ThreadPoolExecutor;

/// Spawn and wait twice, then drop (which joins the worker). The first call starts the
/// worker; the second races it going to sleep. No lost wake-up on either side (the worker's
/// sleep, the caller's wait), no hang in the join.
#[test]
fn submit_result_twice_drop() {
    loom::model(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        assert_eq!(pool.spawn(|| 7).result(), Ok(7));
        assert_eq!(pool.spawn(|| 8).result(), Ok(8));
        drop(pool);
    });
}

/// A cancelling shutdown racing the worker: every future ends done — run or cancelled —
/// and a later submission fails with the shut-down error.
#[test]
fn cancelling_shutdown_vs_worker() {
    loom::model(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        let first = pool.spawn(|| 1);
        let second = pool.spawn(|| 2);
        pool.shutdown(Shutdown::new().cancel_pending(true));
        for (future, value) in [(first, 1), (second, 2)] {
            assert!(future.is_done());
            match future.result() {
                Ok(got) => assert_eq!(got, value),
                Err(error) => assert_eq!(error, Error::Cancelled),
            }
        }
        assert_eq!(pool.spawn(|| 3).result(), Err(Error::Shutdown));
    });
}
