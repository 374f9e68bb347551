//! Loom models of `as_completed` and `wait` against concurrent completions and cancellations.
//!
//! Run with `RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p
//! cfut-testing --test loom_as_completed`. Each model has at most three threads.
//!
//! What they prove, for every interleaving loom explores: `as_completed` yields every future
//! exactly once and only when it is done, whether a future completes before, during or after
//! the iterator registers with it, and whether it is completed or cancelled (a cancelled
//! future counts as done: CPython's gh-92001 hang cannot happen); dropping the iterator while
//! a completion races with it is sound; `wait` (each future in turn for `AllCompleted`, the
//! any-of-N waiter for `FirstException`) returns with everything done.

#![cfg(cfut_loom)]

use loom::sync::Arc;
use loom::thread;

use cfut_combinators::{ReturnWhen, as_completed, wait};
use cfut_core::{Future, promise};

/// One future completed and one cancelled by two other threads, while `as_completed` builds its
/// snapshot and waits: both are yielded, exactly once, done.
#[test]
fn as_completed_sees_completion_and_cancellation() {
    loom::model(|| {
        let (completer, completed) = promise::<u32>();
        let (_kept, cancelled) = promise::<u32>();
        let cancelled = Arc::new(cancelled);

        let finisher = thread::spawn(move || {
            completer.set_result(7);
        });
        let canceller = {
            let cancelled = Arc::clone(&cancelled);
            thread::spawn(move || {
                assert!(cancelled.cancel());
            })
        };

        let all: [&Future<u32>; 2] = [&completed, &*cancelled];
        let mut seen = [false; 2];
        for future in as_completed(all) {
            assert!(future.is_done(), "yielded before it was done");
            let index = usize::from(!std::ptr::eq(future, &completed));
            assert!(!seen[index], "yielded twice");
            seen[index] = true;
        }
        assert_eq!(seen, [true, true]);

        finisher.join().unwrap();
        canceller.join().unwrap();
        assert!(cancelled.is_cancelled());
    });
}

/// A completion racing with a running call's result and the iterator's drop: taking the first
/// future and dropping the iterator (which unregisters from the other) while the other
/// completes is sound, and the late completion is still observable on the future itself.
#[test]
fn as_completed_drop_races_completion() {
    loom::model(|| {
        let (first_producer, first) = promise::<u32>();
        let (second_producer, second) = promise::<u32>();
        first_producer.set_result(1);

        let late = thread::spawn(move || {
            assert!(second_producer.set_running_or_notify_cancel());
            second_producer.set_result(2);
        });

        let mut it = as_completed([&first, &second]);
        let yielded = it.next().unwrap();
        assert!(yielded.is_done());
        drop(it);

        late.join().unwrap();
        assert!(second.is_done());
    });
}

/// `wait` against a completion and a cancellation from two threads: returns with both done
/// and nothing left out.
fn wait_with_cancellation(how: ReturnWhen) {
    loom::model(move || {
        let (completer, completed) = promise::<u32>();
        let (_kept, cancelled) = promise::<u32>();
        let cancelled = Arc::new(cancelled);

        let finisher = thread::spawn(move || {
            completer.set_result(3);
        });
        let canceller = {
            let cancelled = Arc::clone(&cancelled);
            thread::spawn(move || {
                cancelled.cancel();
            })
        };

        let split = wait([&completed, &*cancelled], how);
        assert_eq!(split.0.len(), 2);
        assert!(split.1.is_empty());

        finisher.join().unwrap();
        canceller.join().unwrap();
    });
}

/// `AllCompleted` blocks on each future in turn.
#[test]
fn wait_all_completed_with_cancellation() {
    wait_with_cancellation(ReturnWhen::AllCompleted);
}

/// `FirstException` with no exception waits for everything, on the any-of-N waiter.
#[test]
fn wait_first_exception_with_cancellation() {
    wait_with_cancellation(ReturnWhen::FirstException);
}
