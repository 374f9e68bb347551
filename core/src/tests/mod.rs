//! Loom models of the completion state machine in `inner.rs` (STYLE.md §6.6), compiled only
//! under `cfg(all(test, cfut_loom))`:
//!
//! ```text
//! RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p cfut-core --lib
//! ```
//!
//! Each model has at most three threads (the model's main thread included) and a few
//! operations per thread, so the whole set explores every interleaving in seconds.
//! A blocking call that could miss its wake-up shows up as loom's "deadlock" failure.
//!
//! * [`loom_complete_cancel`], for completion racing cancellation: exactly one wins;
//! * [`loom_arbiter`], for a cancel arbiter (a call handed to a queue the executor cannot
//!   reach) racing the user's cancel: `cancel()` is `true` exactly when the call never runs;
//! * [`loom_callback`], for done-callback registration racing completion;
//! * [`loom_waiter`], for any-of-N waiter registration racing completion;
//! * [`loom_promise_drop`], for a dropped promise racing a blocked waiter;
//! * [`loom_waker`], for async waker registration racing completion;
//! * [`loom_waiter_poll`], for an async poll of the any-of-N waiter racing completions;
//! * [`loom_task`], for `Spawn::spawn`'s single-allocation task: its job run, cancelled or
//!   dropped racing the future's cancel, blocking wait or drop;
//! * [`loom_thread_start`], for the thread-start hint racing the claim, run, cancel and
//!   registration paths, and the inline path with the hint set.

mod loom_arbiter;
mod loom_callback;
mod loom_complete_cancel;
mod loom_promise_drop;
mod loom_task;
mod loom_thread_start;
mod loom_waiter;
mod loom_waiter_poll;
mod loom_waker;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};

/// A value that counts its drops, to check that no completion loses or duplicates one.
pub(super) struct Counted {
    pub(super) value: u32,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    pub(super) fn new(value: u32, drops: &Arc<AtomicUsize>) -> Self {
        Counted {
            value,
            drops: Arc::clone(drops),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// The end a call racing a cancel leaves on its future: cancelled (`cancelled`, the cancel
/// won) or succeeded with `value`, state and outcome alike.
pub(super) fn assert_cancelled_or_succeeded(
    future: crate::Future<u32>,
    cancelled: bool,
    value: u32,
) {
    if cancelled {
        assert_eq!(future.state(), crate::State::Cancelled);
        assert_eq!(future.result(), Err(crate::Error::Cancelled));
    } else {
        assert_eq!(future.state(), crate::State::Succeeded);
        assert_eq!(future.result(), Ok(value));
    }
}
