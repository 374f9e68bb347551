//! Any-of-N waiter registration (`Future::watch`) racing completion: each token is
//! delivered exactly once and the blocked waiter wakes.

use loom::sync::Arc;
use loom::thread;

use crate::{Waiter, promise};

/// One future: `watch` races the completion, then the waiter blocks for the token.
#[test]
fn watch_vs_completion() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let completer = thread::spawn(move || producer.set_result(1));
        let waiter = Waiter::new();
        future.watch(&waiter, 10);
        let mut ready = Vec::new();
        waiter.wait_into(&mut ready);
        assert_eq!(ready, [10]);
        completer.join().unwrap();
        assert!(
            !waiter.try_wait_into(&mut ready),
            "the token came exactly once"
        );
    });
}

/// Two futures completed on two threads while the waiter registers on both and blocks
/// until it has both tokens.
#[test]
fn watch_two_vs_two_completions() {
    loom::model(|| {
        let (first, f1) = promise::<u32>();
        let (second, f2) = promise::<u32>();
        let one = thread::spawn(move || first.set_result(1));
        let two = thread::spawn(move || {
            drop(second); // completes with `Abandoned`: also a completion
        });
        let waiter = Waiter::new();
        f1.watch(&waiter, 1);
        f2.watch(&waiter, 2);
        let mut ready = Vec::new();
        while ready.len() < 2 {
            waiter.wait_into(&mut ready);
        }
        ready.sort_unstable();
        assert_eq!(ready, [1, 2]);
        one.join().unwrap();
        two.join().unwrap();
        assert!(
            !waiter.try_wait_into(&mut ready),
            "each token came exactly once"
        );
    });
}

/// `unwatch` racing completion: the token arrives at most once (exactly once if the
/// completion came first, never if `unwatch` did).
#[test]
fn unwatch_vs_completion() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let waiter = Waiter::new();
        future.watch(&waiter, 3);
        let completer = thread::spawn(move || producer.set_result(1));
        future.unwatch(&waiter);
        completer.join().unwrap();
        let mut ready = Vec::new();
        waiter.try_wait_into(&mut ready);
        assert!(ready.is_empty() || ready == [3], "at most once: {ready:?}");
    });
}

/// Once `unwatch` has returned with no token delivered, none arrives later (regression: the
/// tokens were once handed out after the future's lock was released, and `unwatch` had an
/// unlocked fast path, so a token could arrive after `unwatch` returned).
#[test]
fn unwatch_is_final() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let waiter = Waiter::new();
        future.watch(&waiter, 3);
        let completer = thread::spawn(move || producer.set_result(1));
        future.unwatch(&waiter);
        let mut ready = Vec::new();
        let before = waiter.try_wait_into(&mut ready);
        completer.join().unwrap();
        let after = waiter.try_wait_into(&mut ready);
        assert!(
            before || !after,
            "a token arrived after unwatch returned with none"
        );
    });
}

/// Two waiters on one future, registered from two threads while a third completes it: the
/// first registration takes the lock-free inline slot, the other the locked list (or either
/// finds the future done); each waiter gets its token exactly once.
#[test]
fn two_waiters_vs_completion() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let first = Arc::new(Waiter::new());
        let second = Waiter::new();
        let completer = thread::spawn(move || producer.set_result(1));
        let watcher = {
            let future = Arc::clone(&future);
            let first = Arc::clone(&first);
            thread::spawn(move || future.watch(&first, 1))
        };
        future.watch(&second, 2);
        watcher.join().unwrap();
        completer.join().unwrap();
        let mut ready = Vec::new();
        assert!(first.try_wait_into(&mut ready));
        assert!(second.try_wait_into(&mut ready));
        assert_eq!(ready, [1, 2]);
        assert!(!first.try_wait_into(&mut ready) && !second.try_wait_into(&mut ready));
    });
}

/// `unwatch` of one waiter while the other holds the inline slot, racing completion: the
/// kept waiter still gets its token exactly once (an `unwatch` that claims the slot and
/// finds another waiter in it puts it back, or delivers it if the future completed
/// meanwhile); the removed one gets none after `unwatch` returned.
#[test]
fn unwatch_other_vs_completion() {
    loom::model(|| {
        let (producer, future) = promise::<u32>();
        let kept = Waiter::new();
        let removed = Waiter::new();
        future.watch(&kept, 1); // the inline slot
        future.watch(&removed, 2); // the locked list
        let completer = thread::spawn(move || producer.set_result(1));
        future.unwatch(&removed);
        let mut late = Vec::new();
        let before = removed.try_wait_into(&mut late);
        completer.join().unwrap();
        let mut ready = Vec::new();
        kept.try_wait_into(&mut ready);
        assert_eq!(ready, [1], "the kept waiter's token, once");
        assert!(
            before || !removed.try_wait_into(&mut late),
            "a token arrived after unwatch returned with none"
        );
    });
}
