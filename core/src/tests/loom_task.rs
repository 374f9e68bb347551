//! `Spawn::spawn`'s single-allocation task (`task.rs`): the job side (run, cancel, drop)
//! racing the future side (cancel, blocking wait, drop) on the shared allocation. The call
//! cell is loom's, so an access of it that could overlap another is reported.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;

use super::Counted;
use crate::task::spawn;
use crate::{Error, State};

/// A worker runs the job while the user cancels the future: a cancelled call never runs, a
/// started one cannot be cancelled, and the call (with what it captured) is dropped once.
#[test]
fn run_vs_cancel() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicBool::new(false));
        let captured = Counted::new(3, &drops);
        let flag = Arc::clone(&ran);
        let (job, future) = spawn(move || {
            // The whole value, not just the field (closures capture disjoint fields).
            let captured = captured;
            flag.store(true, Ordering::SeqCst);
            captured.value * 2
        });
        let worker = thread::spawn(move || job.run());
        let cancelled = future.cancel();
        worker.join().unwrap();

        assert_eq!(drops.load(Ordering::SeqCst), 1, "the call is dropped once");
        assert_eq!(ran.load(Ordering::SeqCst), !cancelled);
        if cancelled {
            assert_eq!(future.state(), State::Cancelled);
            assert_eq!(future.result(), Err(Error::Cancelled));
        } else {
            assert_eq!(future.result(), Ok(6));
        }
    });
}

/// The executor drops the job unrun while the user blocks in `result()`: the user wakes with
/// `Error::Abandoned`, and the call is dropped without running.
#[test]
fn dropped_job_vs_blocked_result() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let captured = Counted::new(1, &drops);
        let (job, future) = spawn(move || {
            let captured = captured;
            captured.value
        });
        let dropper = thread::spawn(move || drop(job));
        assert_eq!(future.result(), Err(Error::Abandoned));
        dropper.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the call is dropped once");
    });
}

/// The executor cancels the job (a cancelling shutdown) while the user cancels too and a
/// third thread blocks in `wait()`: the future ends cancelled, the call never runs and is
/// dropped once.
#[test]
fn job_cancel_vs_user_cancel_vs_wait() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let captured = Counted::new(1, &drops);
        let (job, future) = spawn(move || -> u32 {
            let captured = captured;
            unreachable!("a cancelled call never runs ({})", captured.value)
        });
        let future = Arc::new(future);
        let shutdown = thread::spawn(move || job.cancel());
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || assert!(future.cancel()))
        };
        future.wait();
        assert!(future.is_cancelled());
        shutdown.join().unwrap();
        canceller.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the call is dropped once");
        let future = Arc::try_unwrap(future).unwrap();
        assert_eq!(future.result(), Err(Error::Cancelled));
    });
}

/// The user drops the future while a worker runs the job: the task outlives whichever side
/// lets go first, and the value is dropped once.
#[test]
fn run_vs_dropped_future() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&drops);
        let (job, future) = spawn(move || Counted::new(5, &counter));
        let worker = thread::spawn(move || job.run());
        drop(future);
        worker.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the value is dropped once");
    });
}
