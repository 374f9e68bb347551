//! [`Inbox`]: the calls submitted to a pool and not yet sent, shared by the pool's handle,
//! its manager thread and the root's thread when it drives ([`crate::driver`]), with the
//! manager's sleep.
//!
//! The protocol with a race: work appearing and the manager going to sleep. Work is a call
//! queued, a call in flight that nobody drives, or the shutdown. The manager checks for it
//! and marks itself asleep under the same lock that a submission takes to queue, a driver
//! takes to move a call into flight ([`Inbox::take`]) and a leaving driver takes to stop
//! counting itself ([`Inbox::leave_drive`]); each of them reads the mark under that lock, so
//! the work is either seen by the check or finds the mark and wakes the manager. While a
//! thread drives, the manager stands aside (sleeps) and the driver wakes it if it hands calls
//! in flight over (loom models: `tests/loom_inbox.rs` in this module). Two wake-ups are left
//! to the manager's bounded nap instead (it never sleeps longer than `MAX_SLEEP` while one
//! may need it): a quiet submission
//! ([`Inbox::push_quiet`]) and a driver leaving once its own result came. A manager idle for
//! long sleeps without a limit instead ([`Waiting::Dormant`]); it marks itself dormant under
//! the same lock, and a quiet submission that finds the mark wakes it.

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

/// Why the manager waits in [`Inbox::wait`]: what counts as news.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// Nothing was in flight when it looked: a call in flight now (moved there by a driver
    /// since) is news.
    Idle,
    /// Results are due: only a new call or the shutdown is news.
    ResultsDue,
    /// As [`Idle`](Self::Idle), in a pool whose submissions may be quiet
    /// ([`Inbox::push_quiet`]), for a manager idle long enough to sleep without a time limit:
    /// every submission wakes it then, quiet or not, and it returns after any wake-up.
    Dormant,
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
    /// Mirrors `drivers`, for [`Inbox::driven`].
    driving: AtomicUsize,
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
    /// The manager sleeps as [`Waiting::Dormant`]: quiet submissions wake it too.
    dormant: bool,
    /// Calls taken from the queue and not yet answered (or cancelled).
    in_flight: usize,
    /// Threads driving the root other than the manager ([`Inbox::enter_drive`]).
    drivers: usize,
}

impl<C> Inbox<C> {
    pub(crate) fn new() -> Self {
        Inbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: None,
                asleep: false,
                dormant: false,
                in_flight: 0,
                drivers: 0,
            }),
            wake: Condvar::new(),
            queued: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            driving: AtomicUsize::new(0),
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

    /// `true` while another thread drives: the manager stands aside. A look without the
    /// lock; [`wait`](Self::wait) decides under it.
    pub(crate) fn driven(&self) -> bool {
        // ORDERING: a stale value costs the manager one step or one short sleep.
        self.driving.load(Ordering::Acquire) > 0
    }

    /// Queues `call` and wakes the manager if it sleeps; gives the call back with the reason
    /// if the pool is closed.
    pub(crate) fn push(&self, call: C) -> Result<(), (C, Error)> {
        self.queue(call, true)
    }

    /// Queues `call` without waking the manager: for a thread that sends it itself right
    /// after, or leaves it to the manager's next look (at most [`MAX_SLEEP`] away in a
    /// driven pool, whose manager never sleeps longer unless it is dormant — and a dormant
    /// manager is woken, see [`Waiting::Dormant`]).
    ///
    /// [`MAX_SLEEP`]: crate::tuning::MAX_SLEEP
    pub(crate) fn push_quiet(&self, call: C) -> Result<(), (C, Error)> {
        self.queue(call, false)
    }

    fn queue(&self, call: C, wake: bool) -> Result<(), (C, Error)> {
        let mut state = self.state.lock();
        if let Some(error) = &state.closed {
            return Err((call, error.clone()));
        }
        state.queue.push_back(call);
        // ORDERING: see `peek`.
        self.queued.store(state.queue.len(), Ordering::Release);
        if (wake || state.dormant) && state.asleep {
            self.rouse(&mut state);
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
            self.rouse(&mut state);
        }
        drained
    }

    /// Why submissions fail, if they do.
    pub(crate) fn closed(&self) -> Option<Error> {
        self.state.lock().closed.clone()
    }

    /// `true` once the pool is closed with nothing queued and nothing in flight: nothing can
    /// arrive any more. Decided under the lock (a [`peek`](Self::peek) can see the two
    /// mirrors at different moments).
    pub(crate) fn finished(&self) -> bool {
        let state = self.state.lock();
        state.closed.is_some() && state.queue.is_empty() && state.in_flight == 0
    }

    /// The oldest queued call, now in flight (the driver's side).
    pub(crate) fn take(&self) -> Option<C> {
        if self.peek() != Peek::Calls {
            return None;
        }
        let mut state = self.state.lock();
        let call = state.queue.pop_front();
        if call.is_some() {
            state.in_flight += 1;
        }
        // ORDERING: see `peek`.
        self.queued.store(state.queue.len(), Ordering::Release);
        call
    }

    /// `count` calls in flight were answered (or cancelled before they left).
    pub(crate) fn answered(&self, count: usize) {
        let mut state = self.state.lock();
        state.in_flight -= count;
    }

    /// The calling thread starts driving: the manager stands aside until it leaves.
    pub(crate) fn enter_drive(&self) {
        let mut state = self.state.lock();
        state.drivers += 1;
        // ORDERING: see `driven`.
        self.driving.store(state.drivers, Ordering::Release);
    }

    /// The calling thread stops driving. With `hand_over` (it leaves while its own result is
    /// still due, to sleep on it), wakes the manager if work is left to it (calls in flight
    /// or queued, or the shutdown). Without (its result came, and it is likely to drive again
    /// for its next one), the manager is not woken: it looks again within its bounded nap
    /// (a driven pool's manager never sleeps longer than `MAX_SLEEP`). One lock and no system
    /// call in the common case.
    pub(crate) fn leave_drive(&self, hand_over: bool) {
        let mut state = self.state.lock();
        state.drivers -= 1;
        // ORDERING: see `driven`.
        self.driving.store(state.drivers, Ordering::Release);
        let work = state.in_flight > 0 || !state.queue.is_empty() || state.closed.is_some();
        if hand_over && state.drivers == 0 && state.asleep && work {
            self.rouse(&mut state);
        }
    }

    /// Wakes the sleeping manager (the caller holds the lock and saw `asleep`).
    fn rouse(&self, state: &mut State<C>) {
        state.asleep = false;
        state.dormant = false;
        self.wake.notify_one();
    }

    /// The manager's sleep: returns at once if there is news (see [`Waiting`]) or the pool
    /// is closed, and no other thread drives; otherwise sleeps until news, a driver leaving
    /// with work, or a shutdown, or for at most `timeout` (`None`: no limit).
    pub(crate) fn wait(&self, timeout: Option<Duration>, waiting: Waiting) -> Wake {
        let mut state = self.state.lock();
        loop {
            if state.drivers == 0 {
                let news = !state.queue.is_empty()
                    || (waiting != Waiting::ResultsDue && state.in_flight > 0);
                if news {
                    return Wake::Look;
                }
                if state.closed.is_some() {
                    return Wake::Stop;
                }
            }
            state.asleep = true;
            if waiting == Waiting::Dormant {
                state.dormant = true;
                while state.asleep {
                    state = self.wake.wait(state);
                }
                // Whoever woke it cleared both marks.
                return Wake::Look;
            }
            match timeout {
                None => state = self.wake.wait(state),
                Some(timeout) => {
                    state = self.wake.wait_timeout(state, timeout);
                    state.asleep = false;
                    return if state.drivers == 0 && state.queue.is_empty() && state.closed.is_some()
                    {
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
        assert_eq!(inbox.wait(None, Waiting::Idle), Wake::Stop);
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
