//! A cancel arbiter (`Promise::set_cancel_arbiter`) racing the user's cancel: the executor
//! hands the call to a queue it cannot reach (a worker process's), whose start is decided by
//! one atomic cell, and the user cancels at any moment. `cancel()` returns `true` exactly when
//! the call never starts.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU8, Ordering};
use loom::thread;

use crate::{Future, Promise, State, promise};

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const CANCELLED: u8 = 2;

/// The arbiter of a call queued at `cell`: wins if the queue has not started it.
fn arbiter(cell: &Arc<AtomicU8>) -> impl FnMut() -> bool + Send + 'static {
    let cell = Arc::clone(cell);
    move || match cell.compare_exchange(QUEUED, CANCELLED, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => true,
        Err(current) => current == CANCELLED,
    }
}

/// The queue's side: starts the call unless it was cancelled there. Returns whether it ran.
fn serve(cell: &AtomicU8, producer: Promise<u32>) -> bool {
    if cell
        .compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        // What the process pool does on the worker's `STARTED` frame.
        producer.set_running_or_notify_cancel();
        producer.set_result(1);
        true
    } else {
        // The worker skipped it; its future was cancelled by the user already.
        producer.cancel();
        false
    }
}

/// The user cancels `future` on a thread of its own; joining gives `cancel`'s answer.
fn cancel_on_a_thread(future: &Arc<Future<u32>>) -> thread::JoinHandle<bool> {
    let future = Arc::clone(future);
    thread::spawn(move || future.cancel())
}

/// Installing the arbiter and starting the call race the user's cancel.
#[test]
fn cancel_vs_hand_over_and_start() {
    loom::model(|| {
        let cell = Arc::new(AtomicU8::new(QUEUED));
        let (producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let user = cancel_on_a_thread(&future);
        let ran = producer.set_cancel_arbiter(arbiter(&cell)) && serve(&cell, producer);
        let cancelled = user.join().unwrap();

        let future = Arc::try_unwrap(future).unwrap();
        assert_ne!(
            ran, cancelled,
            "cancel succeeds exactly when the call never runs"
        );
        if cancelled {
            assert_eq!(future.state(), State::Cancelled);
        } else {
            assert_eq!(future.result(), Ok(1));
        }
    });
}

/// The call is handed to one queue, taken back (its worker died before starting it) and
/// handed to another, which starts it, while the user cancels: a cancel that the first
/// queue's arbiter accepted must not cancel the call the second queue runs.
#[test]
fn cancel_vs_hand_over_again() {
    loom::model(|| {
        let first = Arc::new(AtomicU8::new(QUEUED));
        let second = Arc::new(AtomicU8::new(QUEUED));
        let (producer, future) = promise::<u32>();
        assert!(producer.set_cancel_arbiter(arbiter(&first)));
        let future = Arc::new(future);
        let user = cancel_on_a_thread(&future);
        // On a thread of its own, so that the model's main thread, blocked in `join`, costs no
        // preemption: the interleaving that matters needs two.
        let executor = thread::spawn(move || {
            producer.set_cancel_arbiter(arbiter(&second)) && serve(&second, producer)
        });
        let cancelled = user.join().unwrap();
        let ran = executor.join().unwrap();

        assert_ne!(
            ran, cancelled,
            "cancel succeeds exactly when the call never runs"
        );
    });
}

/// The arbiter (and what it holds) is dropped by the party that settles the future, before
/// that party returns, not by whichever thread drops the future last: a process pool's
/// manager allocates each arbiter and counts its handle on a worker's cancel board, and freeing
/// them on the caller's thread cost the pool a fifth of its pipelined throughput.
#[test]
fn the_arbiter_is_dropped_by_the_settling_party() {
    loom::model(|| {
        let cell = Arc::new(AtomicU8::new(QUEUED));
        let (producer, future) = promise::<u32>();
        assert!(producer.set_cancel_arbiter(arbiter(&cell)));
        let future = Arc::new(future);
        let user = cancel_on_a_thread(&future);
        if serve(&cell, producer) {
            // Settled by the executor: the user's cancel may still be running, but not in the
            // arbiter any more.
            assert_eq!(
                Arc::strong_count(&cell),
                1,
                "the executor dropped the arbiter"
            );
        }
        user.join().unwrap();
        assert_eq!(
            Arc::strong_count(&cell),
            1,
            "the arbiter is gone once settled"
        );
        drop(future);
    });
}
