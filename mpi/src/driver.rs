//! [`Driver`]: the root's side of the protocol — the communicator, the worker lanes and the
//! calls in flight — and [`Seat`], the lock that lets exactly one thread at a time drive it.
//!
//! Two threads may drive: the manager thread, always, and the root's own thread inside
//! [`run`](crate::run) while it waits for a result ([`crate::waiting`]) or submits a call.
//! Whoever holds the seat makes every MPI call of the root, so MPI needs only
//! `MPI_THREAD_SERIALIZED`: the seat's lock orders the calls of the two threads.

use std::cell::Cell;
use std::collections::VecDeque;
use std::time::Duration;

use cfut_core::Error;
use cfut_processes::backend::{self, Call};

use crate::backoff::Backoff;
use crate::inbox::Inbox;
use crate::loom::sync::Mutex;
use crate::transport::{
    self, Comm, Sending, TAG_CALL, TAG_CALL_BLOCK, TAG_REPLY, TAG_RESULT, TAG_RESULT_BLOCK,
    TAG_SETUP, TAG_STOP,
};
use crate::tuning::BLOCK_POLL_PER_BYTE;

/// Exit status of a job ended because a worker broke the protocol.
const EXIT_PROTOCOL: i32 = 99;

/// The driver's seat: `None` until the handshake succeeded and again once the workers were
/// told to stop, so a thread that finds it empty has nothing to drive.
pub(crate) type Seat = Mutex<Option<Driver>>;

thread_local! {
    /// This thread holds the seat and is inside [`Driver::step`] or
    /// [`Driver::send_queued`] (so a done-callback that runs there knows it must not wait
    /// for the manager).
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// `true` on a thread that is driving the root right now: inside a done-callback that a
/// step of the driver runs (a result's, or a cancelled call's).
pub(crate) fn driving_here() -> bool {
    DRIVING.with(Cell::get)
}

/// Runs `f` marked as driving (see [`driving_here`]).
fn driving<R>(f: impl FnOnce() -> R) -> R {
    let was_driving = DRIVING.with(|driving| driving.replace(true));
    let outcome = f();
    DRIVING.with(|driving| driving.set(was_driving));
    outcome
}

/// One worker rank, seen from the root.
#[derive(Debug)]
struct Lane {
    rank: i32,
    /// Sent calls, oldest first (results come back in this order), each with the length of
    /// the block it carried (0 for none).
    in_flight: VecDeque<(Call, usize)>,
    /// Sends MPI may still be reading.
    sending: Vec<Sending>,
}

/// The root's side of the protocol.
#[derive(Debug)]
pub(crate) struct Driver {
    comm: Comm,
    lanes: Vec<Lane>,
    window: usize,
    next_id: u64,
    in_flight: usize,
    /// The bytes of the blocks carried by calls in flight (see [`Driver::transfer_time`]).
    block_bytes: usize,
    /// The last result frame's buffer, reused.
    result: Vec<u8>,
    /// When the last step did something: how long whoever drives polls before sleeping.
    pub(crate) backoff: Backoff,
}

impl Driver {
    /// Starts sending `setup` to every worker.
    pub(crate) fn new(comm: Comm, workers: &[i32], setup: &[u8], window: usize) -> Driver {
        let lanes = workers
            .iter()
            .map(|&rank| Lane {
                rank,
                in_flight: VecDeque::new(),
                sending: vec![comm.start_send(rank, TAG_SETUP, setup.to_vec())],
            })
            .collect();
        Driver {
            comm,
            lanes,
            window,
            next_id: 0,
            in_flight: 0,
            block_bytes: 0,
            result: Vec::new(),
            backoff: Backoff::new(),
        }
    }

    /// Waits for every worker's answer to `SETUP`; the refusals, if any, as one `Broken`
    /// error.
    pub(crate) fn handshake(&mut self) -> Result<(), Error> {
        let mut answered = vec![false; self.lanes.len()];
        let mut refusals = Vec::new();
        let mut backoff = Backoff::new();
        while answered.iter().any(|a| !a) {
            let Some((source, _, length)) = self.comm.probe(None, Some(TAG_REPLY)) else {
                if let Some(sleep) = backoff.idle() {
                    crate::loom::thread::sleep(sleep);
                }
                continue;
            };
            backoff.reset();
            let mut reply = Vec::new();
            self.comm
                .receive_into(source, TAG_REPLY, length, &mut reply);
            if let Some(index) = self.lanes.iter().position(|lane| lane.rank == source) {
                answered[index] = true;
            }
            if let Err(Error::Broken { reason } | Error::Serialization { message: reason }) =
                backend::read_reply(&reply)
            {
                refusals.push(format!("rank {source} refused: {reason}"));
            }
        }
        if refusals.is_empty() {
            Ok(())
        } else {
            refusals.sort();
            Err(Error::Broken {
                reason: format!("the MPI pool is broken: {}", refusals.join("; ")),
            })
        }
    }

    /// Calls sent and not yet answered.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// How long the blocks of the calls in flight may take to cross both ways at
    /// [`BLOCK_POLL_PER_BYTE`]: a driving thread polls that much longer than [`SPIN`] before
    /// it hands the wait over (see [`crate::waiting`]).
    ///
    /// [`SPIN`]: crate::tuning::SPIN
    pub(crate) fn transfer_time(&self) -> Duration {
        BLOCK_POLL_PER_BYTE.saturating_mul(u32::try_from(self.block_bytes).unwrap_or(u32::MAX))
    }

    /// `true` if some worker's window has room for another call.
    pub(crate) fn has_room(&self) -> bool {
        self.lanes
            .iter()
            .any(|lane| lane.in_flight.len() < self.window)
    }

    /// One pass: completes the results that arrived, then sends queued calls while a window
    /// has room. `true` if it did anything (and then the back-off starts over).
    pub(crate) fn step(&mut self, inbox: &Inbox<Call>) -> bool {
        self.pass(inbox, true)
    }

    /// Sends queued calls while a window has room (no look for results: what a submission
    /// does right after queueing its call). `true` if it sent or cancelled any.
    pub(crate) fn send_queued(&mut self, inbox: &Inbox<Call>) -> bool {
        self.pass(inbox, false)
    }

    /// [`step`](Self::step), or only its sending half without `receive`.
    fn pass(&mut self, inbox: &Inbox<Call>, receive: bool) -> bool {
        let progressed = driving(|| (receive && self.receive(inbox)) | self.send(inbox));
        if progressed {
            self.backoff.reset();
        }
        progressed
    }

    /// Completes the results that arrived (running their futures' done-callbacks here).
    fn receive(&mut self, inbox: &Inbox<Call>) -> bool {
        let mut answered = 0;
        while let Some((source, tag, length)) = self.comm.probe(None, None) {
            if tag != TAG_RESULT && tag != TAG_RESULT_BLOCK {
                protocol_error(&format!("a message with tag {tag:#x} from rank {source}"));
            }
            self.comm
                .receive_into(source, tag, length, &mut self.result);
            // A result's block follows its frame: received straight into the memory of the
            // future's `Vec`.
            let block = (tag == TAG_RESULT_BLOCK).then(|| {
                self.comm.receive_block(source).unwrap_or_else(|message| {
                    protocol_error(&format!("rank {source} sent {message}"))
                })
            });
            let Some(lane) = self.lanes.iter_mut().find(|lane| lane.rank == source) else {
                protocol_error(&format!("a result from rank {source}, which is no worker"));
            };
            let Some((call, block_len)) = lane.in_flight.pop_front() else {
                protocol_error(&format!("a result from rank {source}, which runs no call"));
            };
            if backend::frame_id(&self.result) != Some(call.id()) {
                protocol_error(&format!(
                    "rank {source} answered call {:?} while call {} was next",
                    backend::frame_id(&self.result),
                    call.id()
                ));
            }
            self.in_flight -= 1;
            self.block_bytes -= block_len;
            answered += 1;
            call.complete_with_block(&self.result, block);
        }
        if answered > 0 {
            inbox.answered(answered);
            // Finished sends are collected only when results came (each test is a pass of
            // MPI's progress engine, which on an oversubscribed node also yields the CPU when
            // it finds nothing): an idle poll makes one MPI call, the probe. A call's send
            // has finished once its result is here, so nothing piles up.
            for lane in &mut self.lanes {
                lane.sending.retain_mut(|sending| !sending.test());
            }
        }
        answered > 0
    }

    /// Sends queued calls, each to the worker with the fewest in flight, while a window has
    /// room.
    fn send(&mut self, inbox: &Inbox<Call>) -> bool {
        let mut progressed = false;
        let window = self.window;
        while let Some(lane) = self
            .lanes
            .iter_mut()
            .filter(|lane| lane.in_flight.len() < window)
            .min_by_key(|lane| lane.in_flight.len())
        {
            let Some(mut call) = inbox.take() else {
                break;
            };
            progressed = true;
            if !call.set_running() {
                inbox.answered(1);
                call.cancel();
                continue;
            }
            self.next_id += 1;
            call.set_id(self.next_id);
            let frame = call.take_frame();
            let mut block_len = 0;
            if let Some(block) = call.take_block() {
                // The frame, then its argument's bytes as they are, in a message of their own.
                block_len = block.len();
                lane.sending
                    .push(self.comm.start_send(lane.rank, TAG_CALL_BLOCK, frame));
                lane.sending
                    .push(self.comm.start_send_block(lane.rank, block));
            } else {
                lane.sending
                    .push(self.comm.start_send(lane.rank, TAG_CALL, frame));
            }
            lane.in_flight.push_back((call, block_len));
            self.block_bytes += block_len;
            self.in_flight += 1;
        }
        progressed
    }

    /// Tells every worker to stop, waits until MPI is done with every send, frees the
    /// communicator.
    pub(crate) fn stop(self) {
        let Driver {
            comm, mut lanes, ..
        } = self;
        for lane in &mut lanes {
            lane.sending
                .push(comm.start_send(lane.rank, TAG_STOP, Vec::new()));
        }
        for lane in lanes {
            for sending in lane.sending {
                sending.wait();
            }
        }
        drop(comm);
    }
}

/// A worker broke the protocol: the job cannot go on safely, so it ends, never hangs.
fn protocol_error(message: &str) -> ! {
    eprintln!("cfut-mpi: {message}; ending the MPI job");
    transport::abort(EXIT_PROTOCOL)
}
