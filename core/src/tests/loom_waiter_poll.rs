//! An async poll of the any-of-N waiter (`Waiter::poll_into`) racing completions: no token is
//! lost while the poller's waker is registered, each token comes once, and the waker is woken
//! only once the completing thread holds no lock (a wake that drops the stream, which then
//! unwatches the very future being completed, must not deadlock).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use crate::{Future, Waiter, promise};

/// A waker that sets a flag under a lock and signals a condition variable: `block_on` below
/// sleeps on it. (Not `thread::park`: a wake that arrives after the poller got its tokens
/// would then unpark a thread blocked in `join`, which loom 0.7 rejects.)
#[derive(Default)]
struct Signal {
    woken: Mutex<bool>,
    condvar: Condvar,
    wakes: AtomicUsize,
}

impl Wake for Signal {
    fn wake(self: std::sync::Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        *self.woken.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

/// A `block_on` loop over `poll_into` until `count` tokens came: a lost wake-up leaves the
/// poller asleep forever (a loom deadlock).
fn block_on_tokens(waiter: &Waiter, signal: &std::sync::Arc<Signal>, count: usize) -> Vec<usize> {
    let waker = Waker::from(std::sync::Arc::clone(signal));
    let mut ready = Vec::new();
    while ready.len() < count {
        if waiter
            .poll_into(&mut Context::from_waker(&waker), &mut ready)
            .is_pending()
        {
            let mut woken = signal.woken.lock().unwrap();
            while !*woken {
                woken = signal.condvar.wait(woken).unwrap();
            }
            *woken = false;
        }
    }
    ready
}

/// One future: the poller registers its waker while another thread completes the future.
#[test]
fn poll_vs_completion() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let completer = thread::spawn(move || producer.set_result(1));
        let waiter = Waiter::new();
        future.watch(&waiter, 10);
        let signal = std::sync::Arc::new(Signal::default());
        let ready = block_on_tokens(&waiter, &signal, 1);
        assert_eq!(ready, [10]);
        completer.join().unwrap();
        assert!(
            signal.wakes.load(Ordering::SeqCst) <= 1,
            "woken at most once"
        );
        assert!(
            !waiter.try_wait_into(&mut Vec::new()),
            "the token came exactly once"
        );
    });
}

/// Two futures completed (one cancelled) on two threads while the poller waits for both.
#[test]
fn poll_two_vs_completion_and_cancel() {
    loom::model(|| {
        let (first, f1) = promise::<u32>();
        let (_kept, f2) = promise::<u32>();
        let f2 = Arc::new(f2);
        let waiter = Waiter::new();
        f1.watch(&waiter, 1);
        f2.watch(&waiter, 2);
        let one = thread::spawn(move || first.set_result(1));
        let two = {
            let f2 = Arc::clone(&f2);
            thread::spawn(move || assert!(f2.cancel()))
        };
        let signal = std::sync::Arc::new(Signal::default());
        let mut ready = block_on_tokens(&waiter, &signal, 2);
        ready.sort_unstable();
        assert_eq!(ready, [1, 2]);
        one.join().unwrap();
        two.join().unwrap();
    });
}

/// A waker whose wake unwatches the future that is being completed — what a task does when
/// waking drops it and its stream. Woken under the future's lock, it would deadlock.
struct Unwatching {
    future: Arc<Future<u32>>,
    waiter: Arc<Waiter>,
}

impl Wake for Unwatching {
    fn wake(self: std::sync::Arc<Self>) {
        self.future.unwatch(&self.waiter);
    }
}

/// The completing thread wakes a waker that unwatches: with the polled waiter in the inline
/// slot (`slot_first`) or in the locked list, and a second waiter so that the completion takes
/// the future's lock either way.
fn wake_that_unwatches(slot_first: bool) {
    loom::model(move || {
        let (producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let polled = Arc::new(Waiter::new());
        let other = Waiter::new();
        if slot_first {
            future.watch(&polled, 1);
            future.watch(&other, 0);
        } else {
            future.watch(&other, 0);
            future.watch(&polled, 1);
        }
        let waker = Waker::from(std::sync::Arc::new(Unwatching {
            future: Arc::clone(&future),
            waiter: Arc::clone(&polled),
        }));
        let completer = thread::spawn(move || producer.set_result(1));
        let mut ready = Vec::new();
        let first = polled.poll_into(&mut Context::from_waker(&waker), &mut ready);
        completer.join().unwrap();
        if first.is_pending() {
            assert!(polled.try_wait_into(&mut ready), "the token came");
        }
        assert_eq!(ready, [1]);
        assert!(other.try_wait_into(&mut Vec::new()));
        // Replace a waker still stored (it holds the waiter: a cycle), then take the value.
        drop(waker);
        let noop = polled.poll_into(&mut Context::from_waker(Waker::noop()), &mut ready);
        assert!(noop.is_pending());
        let mut future = Arc::try_unwrap(future).expect("no waker holds the future any more");
        let outcome = Pin::new(&mut future).poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(outcome, Poll::Ready(Ok(1)));
    });
}

#[test]
fn wake_that_unwatches_vs_completion_slot() {
    wake_that_unwatches(true);
}

#[test]
fn wake_that_unwatches_vs_completion_list() {
    wake_that_unwatches(false);
}
