//! A promise dropped without a result racing a thread blocked on its future: the blocked
//! thread always wakes, with `Error::Abandoned`.

use loom::sync::Arc;
use loom::thread;

use crate::{Error, State, promise};

/// The executor drops the promise while the user blocks in `result()`.
#[test]
fn drop_vs_blocked_result() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let dropper = thread::spawn(move || drop(producer));
        assert_eq!(future.result(), Err(Error::Abandoned));
        dropper.join().unwrap();
    });
}

/// The call was marked running, then its promise dropped (a worker died mid-call), while
/// the user blocks in `wait()`.
#[test]
fn running_drop_vs_blocked_wait() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let dropper = thread::spawn(move || {
            assert!(producer.set_running_or_notify_cancel());
            drop(producer);
        });
        future.wait();
        assert_eq!(future.state(), State::Failed);
        assert_eq!(future.result(), Err(Error::Abandoned));
        dropper.join().unwrap();
    });
}

/// The drop races a user cancel while a third thread blocks in `result()`: it wakes with
/// the outcome of whichever won.
#[test]
fn drop_vs_cancel_vs_blocked_result() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let dropper = thread::spawn(move || drop(producer));
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.cancel())
        };
        future.wait();
        let cancelled = canceller.join().unwrap();
        dropper.join().unwrap();
        let future = Arc::try_unwrap(future).unwrap();
        let expected = if cancelled {
            Error::Cancelled
        } else {
            Error::Abandoned
        };
        assert_eq!(future.result(), Err(expected));
    });
}
