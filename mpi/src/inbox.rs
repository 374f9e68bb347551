//! [`Inbox`]: the calls submitted to a pool and not yet sent, shared by the pool's handle and
//! its manager thread, with the manager's sleep.
//!
//! The protocol with a race: a submission (or shutdown) and the manager going to sleep. The
//! manager checks for work and marks itself asleep under the same lock that a submission
//! takes to queue and to read that mark, so a submission either is seen by the check or
//! finds the mark and wakes it (loom model: `tests/loom_inbox.rs` in this module).

use std::collections::VecDeque;
use std::time::Duration;

use cfut_core::Error;

use crate::loom::sync::{AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};

/// What the manager is told by [`Inbox::wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Calls wait, or the timeout passed: look again.
    Look,
    /// The pool is closed and nothing waits: finish once nothing is in flight.
    Stop,
}

/// The submitted, unsent calls of one pool.
#[derive(Debug)]
pub(crate) struct Inbox<C> {
    state: Mutex<State<C>>,
    wake: Condvar,
    /// The queue's length, mirrored for [`Inbox::peek`]: the manager's spin reads it without
    /// taking the lock a submission needs (a spinning manager taking the lock made the
    /// submitter wait for it).
    queued: AtomicUsize,
    /// Mirrors `closed.is_some()`, for [`Inbox::peek`].
    closing: AtomicBool,
}

/// What [`Inbox::peek`] sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peek {
    /// Calls are queued.
    Calls,
    /// Nothing queued and the pool is closed.
    Stop,
    /// Nothing queued.
    Empty,
}

#[derive(Debug)]
struct State<C> {
    queue: VecDeque<C>,
    /// Why submissions fail now (`Shutdown`, or `Broken`), once they do.
    closed: Option<Error>,
    /// The manager sleeps in [`Inbox::wait`] and must be notified.
    asleep: bool,
}

impl<C> Inbox<C> {
    pub(crate) fn new() -> Self {
        Inbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: None,
                asleep: false,
            }),
            wake: Condvar::new(),
            queued: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
        }
    }

    /// A look without the lock, for the manager's spin. A call queued just after it is seen
    /// by the next look, or by [`wait`](Self::wait), which looks under the lock.
    pub(crate) fn peek(&self) -> Peek {
        // ORDERING: Acquire pairs with the Release stores made under the lock; a stale value
        // only delays the manager to its next look.
        if self.queued.load(Ordering::Acquire) > 0 {
            Peek::Calls
        } else if self.closing.load(Ordering::Acquire) {
            Peek::Stop
        } else {
            Peek::Empty
        }
    }

    /// Queues `call`; gives it back with the reason if the pool is closed.
    pub(crate) fn push(&self, call: C) -> Result<(), (C, Error)> {
        let mut state = self.state.lock();
        if let Some(error) = &state.closed {
            return Err((call, error.clone()));
        }
        state.queue.push_back(call);
        // ORDERING: see `peek`.
        self.queued.store(state.queue.len(), Ordering::Release);
        if state.asleep {
            state.asleep = false;
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Closes the pool with `error` (the first reason stays); returns the queued calls when
    /// `drain` (to be cancelled or failed by the caller, outside the lock).
    pub(crate) fn close(&self, error: Error, drain: bool) -> Vec<C> {
        let mut state = self.state.lock();
        if state.closed.is_none() {
            state.closed = Some(error);
        }
        let drained = if drain {
            state.queue.drain(..).collect()
        } else {
            Vec::new()
        };
        // ORDERING: see `peek`.
        self.queued.store(state.queue.len(), Ordering::Release);
        self.closing.store(true, Ordering::Release);
        if state.asleep {
            state.asleep = false;
            self.wake.notify_one();
        }
        drained
    }

    /// Why submissions fail, if they do.
    pub(crate) fn closed(&self) -> Option<Error> {
        self.state.lock().closed.clone()
    }

    /// The oldest queued call (the manager's side).
    pub(crate) fn take(&self) -> Option<C> {
        if self.peek() != Peek::Calls {
            return None;
        }
        let mut state = self.state.lock();
        let call = state.queue.pop_front();
        // ORDERING: see `peek`.
        self.queued.store(state.queue.len(), Ordering::Release);
        call
    }

    /// The manager's sleep: returns at once if calls wait or the pool is closed; otherwise
    /// sleeps until a submission or a shutdown, or for at most `timeout` (`None`: no limit).
    pub(crate) fn wait(&self, timeout: Option<Duration>) -> Wake {
        let mut state = self.state.lock();
        loop {
            if !state.queue.is_empty() {
                return Wake::Look;
            }
            if state.closed.is_some() {
                return Wake::Stop;
            }
            state.asleep = true;
            match timeout {
                None => state = self.wake.wait(state),
                Some(timeout) => {
                    state = self.wake.wait_timeout(state, timeout);
                    state.asleep = false;
                    return if state.queue.is_empty() && state.closed.is_some() {
                        Wake::Stop
                    } else {
                        Wake::Look
                    };
                }
            }
        }
    }
}

#[cfg(all(test, cfut_loom))]
mod tests {
    mod loom_inbox;
}

#[cfg(all(test, not(cfut_loom)))]
mod tests_std {
    use super::*;

    #[test]
    fn a_closed_inbox_gives_calls_back() {
        let inbox = Inbox::new();
        inbox.push(1).unwrap();
        assert_eq!(inbox.close(Error::Shutdown, true), [1]);
        assert_eq!(inbox.push(2), Err((2, Error::Shutdown)));
        assert_eq!(inbox.wait(None), Wake::Stop);
        assert_eq!(inbox.closed(), Some(Error::Shutdown));
    }

    #[test]
    fn the_first_reason_stays() {
        let inbox = Inbox::<u8>::new();
        inbox.close(Error::Broken { reason: "x".into() }, false);
        inbox.close(Error::Shutdown, false);
        assert_eq!(inbox.closed(), Some(Error::Broken { reason: "x".into() }));
    }
}
