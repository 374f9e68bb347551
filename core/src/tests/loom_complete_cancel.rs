//! Completion racing cancellation: exactly one party wins, and the state, the outcome and
//! the fate of the produced value agree with who won.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;

use super::{Counted, assert_cancelled_or_succeeded};
use crate::{Error, State, promise};

/// The producer completes while the user cancels a pending future.
#[test]
fn complete_vs_cancel() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (producer, future) = promise::<Counted>();
        let future = Arc::new(future);
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.cancel())
        };
        let completed = producer.set_result(Counted::new(7, &drops));
        let cancelled = canceller.join().unwrap();

        assert_ne!(
            completed, cancelled,
            "exactly one of completion and cancel wins"
        );
        let future = Arc::try_unwrap(future).unwrap();
        if cancelled {
            assert_eq!(future.state(), State::Cancelled);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                1,
                "the refused value was dropped"
            );
            assert!(matches!(future.result(), Err(Error::Cancelled)));
        } else {
            assert_eq!(future.state(), State::Succeeded);
            assert_eq!(drops.load(Ordering::SeqCst), 0);
            let value = future.result().ok().unwrap();
            assert_eq!(value.value, 7);
            drop(value);
            assert_eq!(drops.load(Ordering::SeqCst), 1);
        }
    });
}

/// The executor runs the call under the whole protocol (`Promise::run`) while the user
/// cancels: a cancelled call never runs; a call that started cannot be cancelled.
#[test]
fn run_vs_cancel() {
    loom::model(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let (producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let worker = {
            let ran = Arc::clone(&ran);
            thread::spawn(move || {
                producer.run(move || {
                    ran.store(true, Ordering::SeqCst);
                    7
                });
            })
        };
        let cancelled = future.cancel();
        worker.join().unwrap();

        let ran = ran.load(Ordering::SeqCst);
        assert_ne!(ran, cancelled, "the call runs exactly when the cancel lost");
        assert_cancelled_or_succeeded(Arc::try_unwrap(future).unwrap(), cancelled, 7);
    });
}

/// The user cancels while the executor cancels on its side (a cancelling shutdown) and a
/// third party reads the state: everyone agrees the future ends cancelled, and a reader
/// never sees it succeed or fail.
#[test]
fn user_cancel_vs_executor_cancel() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let executor = thread::spawn(move || producer.cancel());
        let reader = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.state())
        };
        assert!(
            future.cancel(),
            "cancelling a never-started future succeeds"
        );
        executor.join().unwrap();
        let seen = reader.join().unwrap();
        assert!(
            matches!(seen, State::Pending | State::Running | State::Cancelled),
            "a reader saw {seen:?}"
        );
        assert_eq!(future.state(), State::Cancelled);
    });
}
