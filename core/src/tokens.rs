//! [`Tokens`]: the queue of tokens a [`Waiter`](crate::Waiter) has been handed and not yet
//! given out.
//!
//! Futures completing on several threads push into it at once, so it is lock-free:
//! crossbeam's `SegQueue` (one compare-and-swap per push, one allocation per 31 tokens).
//! crossbeam-queue cannot run under loom, so under `--cfg cfut_loom` a lock-based stand-in
//! with the same interface takes its place; the waiter's sleep protocol, which the models
//! check, only needs "push, then look" from it.

#[cfg(not(cfut_loom))]
pub(crate) use self::lock_free::Tokens;
#[cfg(cfut_loom)]
pub(crate) use self::stand_in::Tokens;

#[cfg(not(cfut_loom))]
mod lock_free {
    use crossbeam_queue::SegQueue;

    /// A multi-producer, multi-consumer FIFO of tokens.
    #[derive(Debug)]
    pub(crate) struct Tokens(SegQueue<usize>);

    impl Tokens {
        pub(crate) fn new() -> Self {
            Tokens(SegQueue::new())
        }

        pub(crate) fn push(&self, token: usize) {
            self.0.push(token);
        }

        /// Moves every token queued now to `out`; `true` if there was any.
        pub(crate) fn drain_into(&self, out: &mut Vec<usize>) -> bool {
            let before = out.len();
            while let Some(token) = self.0.pop() {
                out.push(token);
            }
            out.len() > before
        }

        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }
    }
}

#[cfg(cfut_loom)]
mod stand_in {
    use std::collections::VecDeque;

    use crate::loom::sync::Mutex;

    /// The loom stand-in: a locked `VecDeque`.
    #[derive(Debug)]
    pub(crate) struct Tokens(Mutex<VecDeque<usize>>);

    impl Tokens {
        pub(crate) fn new() -> Self {
            Tokens(Mutex::new(VecDeque::new()))
        }

        pub(crate) fn push(&self, token: usize) {
            self.0.lock().push_back(token);
        }

        pub(crate) fn drain_into(&self, out: &mut Vec<usize>) -> bool {
            let mut tokens = self.0.lock();
            let any = !tokens.is_empty();
            out.extend(tokens.drain(..));
            any
        }

        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }
}
