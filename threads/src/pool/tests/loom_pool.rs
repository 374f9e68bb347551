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

/// A task submitting a child to its own worker's deque (the gate's local pass) races a
/// cancelling shutdown that does not wait. Once `shutdown` returns, every admitted call is
/// queued where the drain saw it, or already taken by the worker: so a child that still ran
/// was taken before the drain, which the one worker could only do after its parent had
/// returned. Fails if `wait_for_submitters` ignores the workers' flags (the push then lands
/// after the drain, while the parent still runs, and the child runs later).
#[test]
fn local_submission_vs_cancelling_shutdown() {
    loom::model(|| {
        let pool = crate::loom::sync::Arc::new(ThreadPoolExecutor::new(1).unwrap());
        let slot = crate::loom::sync::Arc::new(crate::loom::sync::Mutex::new(None));
        let (inner, child_slot) = (pool.clone(), slot.clone());
        let parent = pool.spawn(move || {
            let child = inner.spawn(|| 2);
            *child_slot.lock() = Some(child);
        });
        pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
        let parent_returned = parent.is_done();
        let _ = parent.result();
        if let Some(child) = slot.lock().take() {
            match child.result() {
                Ok(value) => {
                    assert_eq!(value, 2);
                    assert!(parent_returned, "a child pushed after the drain ran");
                }
                Err(error) => assert!(matches!(error, Error::Cancelled | Error::Shutdown)),
            }
        }
        drop(pool);
    });
}

/// Two workers: a task submits a child to its own deque and waits for it, while the other
/// worker (started for the child) may steal it. Either the parent takes the child back and
/// runs it inline (nothing published), or the thief runs it and the parent — after finding
/// nothing to leapfrog onto — sleeps until the thief's completion wakes it: the value
/// arrives both ways, no wake-up is lost, and the pool joins.
#[test]
fn child_inline_or_stolen() {
    loom::model(|| {
        let pool = crate::loom::sync::Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let inner = pool.clone();
        let parent = pool.spawn(move || inner.spawn(|| 5).result());
        assert_eq!(parent.result(), Ok(Ok(5)));
        drop(pool);
    });
}

/// Two workers: a task submits a child to its own deque, then blocks on a condition variable
/// until the child ran — a wait that does not help, so the child must be taken by the other
/// worker, which the local submission must start (or wake). Fails (loom reports the
/// deadlock) if `submit_local` pushes without `wake_or_start`.
#[test]
fn local_submission_reaches_another_worker() {
    use crate::loom::sync::{Arc, Condvar, Mutex};
    loom::model(|| {
        let pool = Arc::new(ThreadPoolExecutor::new(2).unwrap());
        let inner = Arc::clone(&pool);
        let parent = pool.spawn(move || {
            let ran = Arc::new((Mutex::new(false), Condvar::new()));
            let signal = Arc::clone(&ran);
            let child = inner.spawn(move || {
                *signal.0.lock() = true;
                signal.1.notify_one();
            });
            let mut done = ran.0.lock();
            while !*done {
                done = ran.1.wait(done);
            }
            drop(done);
            child.result()
        });
        assert_eq!(parent.result(), Ok(Ok(())));
        drop(pool);
    });
}

/// One worker, started by a first call and perhaps going to sleep, then two calls handed
/// over in one batch: the batch's notification and the worker's last look before it sleeps
/// form the Dekker pair, so the worker runs both. Fails (loom reports the deadlock) if
/// `execute_all` pushes without notifying.
#[test]
fn batch_vs_park() {
    loom::model(|| {
        let pool = ThreadPoolExecutor::new(1).unwrap();
        assert_eq!(pool.spawn(|| 0).result(), Ok(0));
        let mut futures = Vec::new();
        cfut_core::Spawn::spawn_all(&pool, (1..=2).map(|n| move || n), |f| futures.push(f));
        let values: Vec<_> = futures.into_iter().map(|f| f.result()).collect();
        assert_eq!(values, [Ok(1), Ok(2)]);
        drop(pool);
    });
}

/// Two calls that each wait for the other (so both must run at once) on a pool allowed three
/// threads start exactly two, as CPython's `test_threads_terminate` asks of three: the second
/// call's submitter and the first thread passing on that queued call may decide to start a
/// thread at the same moment, and only one of them may. Fails (three threads) if the
/// submitter starts one without reserving it against the queued calls and the workers idle
/// (`Registry::start_thread_for_submitted`), or if the decisions are not taken one at a time
/// (`Registry::reserve_start`).
#[test]
fn two_blocked_calls_start_two_threads() {
    use crate::loom::sync::Arc;
    use crate::loom::sync::atomic::{AtomicUsize, Ordering};
    loom::model(|| {
        let pool = ThreadPoolExecutor::new(3).unwrap();
        let arrived = Arc::new(AtomicUsize::new(0));
        let meet = |arrived: Arc<AtomicUsize>| {
            move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                while arrived.load(Ordering::SeqCst) < 2 {
                    loom::thread::yield_now();
                }
            }
        };
        let first = pool.spawn(meet(Arc::clone(&arrived)));
        let second = pool.spawn(meet(Arc::clone(&arrived)));
        assert_eq!(first.result(), Ok(()));
        assert_eq!(second.result(), Ok(()));
        assert_eq!(pool.threads_started(), 2);
        drop(pool);
    });
}
