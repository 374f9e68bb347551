//! The direct lane of a worker: how a submitting thread sends a call to an idle worker itself,
//! without waking the manager thread (which then only reads the result).
//!
//! # The protocol
//!
//! Every transition happens under the pool's state lock.
//!
//! - The manager *opens* a worker's lane (with the id the next call must carry) only while
//!   that worker is ready, alive, allowed another call, has no call in flight and no bytes
//!   queued for it, and no call is pending. While a lane is open the manager writes nothing
//!   to that worker's socket.
//! - A submitter that finds nothing pending and a lane open *claims* it (the lane closes),
//!   marks its future running, writes the frame to the worker's socket without blocking —
//!   still under the lock — and leaves the call in the lane as *handed*, with how many bytes
//!   went out. If not all of them did (a full socket), it wakes the manager. If the write
//!   fails (the worker died while idle, unseen yet), the worker never got a whole frame, so
//!   the call never ran: it goes to the pending queue instead, for the manager to hand to a
//!   replacement, and the lane stays closed.
//! - The manager *takes* the handed call (the lane closes) before anything that depends on
//!   what the worker holds: at the start of each plan (before it hands out calls or decides
//!   to finish), before it interprets a result that has no call in flight, when it sees the
//!   socket close (so the call the worker may have run is the one that fails), and before it
//!   buries, retires or tears down a worker. The taken call becomes the worker's call in
//!   flight, and its unsent bytes (if any) are queued ahead of anything the manager writes.
//!
//! So the socket has one writer at a time (the submitter only between a claim and the end of
//! its locked section, the manager only while the lane is closed), a result is never read
//! for a call the manager does not know of (the worker can only answer after the write,
//! which happened under the lock the manager takes before looking), and a worker's death is
//! attributed to the call it was handed. The model in the tests below checks the hand-off
//! against a manager that reads the result.

use std::time::Instant;

/// A call a submitter sent to a worker, not yet taken by the manager.
#[derive(Debug)]
pub(crate) struct Handed<C> {
    pub(crate) call: C,
    /// How many bytes of its frame were written.
    pub(crate) sent: usize,
    /// When it was written (the start of its call timeout).
    pub(crate) since: Instant,
}

/// One worker's lane. Guarded by the pool's state lock.
#[derive(Debug)]
pub(crate) struct Lane<C> {
    /// `Some(id)` while open: the id the next call must carry.
    open: Option<u64>,
    handed: Option<Handed<C>>,
}

impl<C> Default for Lane<C> {
    fn default() -> Self {
        Lane {
            open: None,
            handed: None,
        }
    }
}

impl<C> Lane<C> {
    /// The manager: the worker is idle and the next call must carry `id`.
    pub(crate) fn open(&mut self, id: u64) {
        debug_assert!(self.handed.is_none(), "a handed call was not taken");
        if self.handed.is_none() {
            self.open = Some(id);
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// A submitter: claims the open lane; the id its call must carry.
    pub(crate) fn claim(&mut self) -> Option<u64> {
        self.open.take()
    }

    /// A submitter, after a claim: the call was (partly) written.
    pub(crate) fn hand(&mut self, handed: Handed<C>) {
        debug_assert!(self.open.is_none(), "hand without a claim");
        self.handed = Some(handed);
    }

    /// The manager: closes the lane and takes the handed call, if any.
    pub(crate) fn take(&mut self) -> Option<Handed<C>> {
        self.open = None;
        self.handed.take()
    }
}

#[cfg(all(test, cfut_loom))]
mod tests {
    use std::collections::VecDeque;
    use std::time::Instant;

    use super::{Handed, Lane};
    use crate::loom::sync::{Arc, Condvar, Mutex};

    /// One direction of a socket, as whole frames (call ids).
    struct Pipe {
        frames: Mutex<VecDeque<u64>>,
        readable: Condvar,
    }

    impl Pipe {
        fn new() -> Arc<Self> {
            Arc::new(Pipe {
                frames: Mutex::new(VecDeque::new()),
                readable: Condvar::new(),
            })
        }

        fn send(&self, frame: u64) {
            self.frames.lock().push_back(frame);
            self.readable.notify_all();
        }

        fn recv(&self) -> u64 {
            let mut frames = self.frames.lock();
            loop {
                if let Some(frame) = frames.pop_front() {
                    return frame;
                }
                frames = self.readable.wait(frames);
            }
        }
    }

    /// What a submitter that queued a call sends on the manager's side (the wake-up socket,
    /// which the manager polls together with the worker's socket).
    const WAKE: u64 = u64::MAX;

    /// A submitter makes two calls back to back while the manager opens the idle worker's
    /// lane, hands out the calls left pending, and reopens the lane when a result leaves the
    /// worker idle, so either call may go either way. The worker echoes call ids. Checked:
    /// every result the manager reads belongs to a call it knows of (taken from the lane or
    /// sent by itself), in order; both calls complete (a lost hand-off would deadlock).
    /// Frames cannot interleave: a submitter writes only between its claim and the end of
    /// its locked section, the manager only with the lane closed.
    #[test]
    fn hand_off() {
        let mut model = loom::model::Builder::new();
        // Bounded so that the model finishes in seconds; the races are between single steps.
        model.preemption_bound = Some(3);
        model.check(|| {
            // (lane, pending calls)
            let state = Arc::new(Mutex::new((Lane::<u64>::default(), VecDeque::new())));
            let to_worker = Pipe::new();
            let to_manager = Pipe::new();
            let submitter = {
                let state = Arc::clone(&state);
                let to_worker = Arc::clone(&to_worker);
                let to_manager = Arc::clone(&to_manager);
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        let mut guard = state.lock();
                        if guard.1.is_empty() {
                            if let Some(id) = guard.0.claim() {
                                // The write happens under the lock, as in `enqueue`.
                                to_worker.send(id);
                                guard.0.hand(Handed {
                                    call: id,
                                    sent: 1,
                                    since: Instant::now(),
                                });
                                continue;
                            }
                        }
                        guard.1.push_back(());
                        to_manager.send(WAKE);
                    }
                })
            };
            let worker = {
                let to_worker = Arc::clone(&to_worker);
                let to_manager = Arc::clone(&to_manager);
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        let id = to_worker.recv();
                        to_manager.send(id);
                    }
                })
            };
            let mut in_flight: VecDeque<u64> = VecDeque::new();
            let mut next_id = 0;
            let mut done = 0;
            while done < 2 {
                // The plan: take the lane, hand a pending call to the idle worker or open
                // its lane.
                {
                    let mut guard = state.lock();
                    if let Some(handed) = guard.0.take() {
                        assert_eq!(handed.call, next_id);
                        in_flight.push_back(handed.call);
                        next_id += 1;
                    }
                    if in_flight.is_empty() {
                        if guard.1.pop_front().is_some() {
                            to_worker.send(next_id);
                            in_flight.push_back(next_id);
                            next_id += 1;
                        } else {
                            guard.0.open(next_id);
                        }
                    }
                }
                // poll(2) on both sockets.
                let message = to_manager.recv();
                if message == WAKE {
                    continue;
                }
                if in_flight.is_empty() {
                    // As in `frames`: a result with no call in flight takes the lane first.
                    let handed = state.lock().0.take().expect("a result for no call");
                    assert_eq!(handed.call, next_id);
                    in_flight.push_back(handed.call);
                    next_id += 1;
                }
                assert_eq!(in_flight.pop_front(), Some(message));
                done += 1;
                // As in `frames`: the worker is idle again; open its lane at once unless a
                // call is pending.
                let mut guard = state.lock();
                if in_flight.is_empty() && guard.1.is_empty() {
                    if let Some(handed) = guard.0.take() {
                        in_flight.push_back(handed.call);
                        next_id += 1;
                    } else {
                        guard.0.open(next_id);
                    }
                }
            }
            submitter.join().unwrap();
            worker.join().unwrap();
        });
    }
}
