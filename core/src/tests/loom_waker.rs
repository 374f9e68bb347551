//! Async waker registration (`poll`) racing completion: the registered waker is woken
//! exactly once, only the last one given is woken, and the value is delivered.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::{Future, promise};

/// Counts wake-ups and, for a `block_on` loop, unparks the polling thread.
///
/// Only models that park get an unparking waker: loom 0.7 trips over an `unpark` aimed at a
/// thread that is blocked in `join` instead of `park` (`assertion failed: state.notified`).
struct Unparker {
    wakes: AtomicUsize,
    thread: Option<thread::Thread>,
}

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
    }
}

fn unparker(unparks: bool) -> (std::sync::Arc<Unparker>, Waker) {
    let unparker = std::sync::Arc::new(Unparker {
        wakes: AtomicUsize::new(0),
        thread: unparks.then(thread::current),
    });
    (std::sync::Arc::clone(&unparker), Waker::from(unparker))
}

fn poll(future: &mut Future<u32>, waker: &Waker) -> Poll<Result<u32, crate::Error>> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// A `block_on` loop against a completion on another thread: a lost wake-up would leave the
/// poller parked forever (a loom deadlock).
#[test]
fn waker_vs_completion() {
    loom::model(|| {
        let (producer, mut future) = promise::<u32>();
        let completer = thread::spawn(move || producer.set_result(7));
        let (counter, waker) = unparker(true);
        let mut pendings = 0;
        let outcome = loop {
            match poll(&mut future, &waker) {
                Poll::Ready(outcome) => break outcome,
                Poll::Pending => {
                    pendings += 1;
                    thread::park();
                }
            }
        };
        assert_eq!(outcome, Ok(7));
        completer.join().unwrap();
        let expected = usize::from(pendings > 0);
        assert_eq!(
            counter.wakes.load(Ordering::SeqCst),
            expected,
            "woken exactly once"
        );
    });
}

/// Re-polling with a new waker races the completion: only the last waker registered before
/// the completion is woken, once.
#[test]
fn new_waker_vs_completion() {
    loom::model(|| {
        let (producer, mut future) = promise::<u32>();
        let completer = thread::spawn(move || producer.set_result(7));
        let (first_counter, first) = unparker(false);
        let (second_counter, second) = unparker(false);
        let first_poll = poll(&mut future, &first);
        let second_poll = first_poll.is_pending().then(|| poll(&mut future, &second));
        completer.join().unwrap();
        let wakes = (
            first_counter.wakes.load(Ordering::SeqCst),
            second_counter.wakes.load(Ordering::SeqCst),
        );
        match (&first_poll, &second_poll) {
            (Poll::Ready(outcome), None) => {
                assert_eq!(*outcome, Ok(7));
                assert_eq!(wakes, (0, 0));
            }
            (Poll::Pending, Some(Poll::Ready(outcome))) => {
                assert_eq!(*outcome, Ok(7));
                assert_eq!(wakes, (1, 0), "the completion took the first waker");
            }
            (Poll::Pending, Some(Poll::Pending)) => {
                assert_eq!(wakes, (0, 1), "only the last waker is woken");
                assert_eq!(poll(&mut future, &second), Poll::Ready(Ok(7)));
            }
            other => unreachable!("{other:?}"),
        }
    });
}
