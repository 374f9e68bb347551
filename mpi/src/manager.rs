//! The manager thread of the root: the only thread that calls MPI while a pool lives. It
//! shakes hands with every worker, hands calls out (up to a window per worker), completes
//! futures from the results, and stops the workers at shutdown.

use std::collections::VecDeque;

use cfut_core::Error;
use cfut_processes::backend::{self, Call};

use crate::backoff::Backoff;
use crate::inbox::{Inbox, Peek, Wake};
use crate::loom::sync::Arc;
use crate::transport::{
    self, Comm, Sending, TAG_BLOCK, TAG_CALL, TAG_CALL_BLOCK, TAG_REPLY, TAG_RESULT,
    TAG_RESULT_BLOCK, TAG_SETUP, TAG_STOP,
};

/// Exit status of a job ended because a worker broke the protocol.
const EXIT_PROTOCOL: i32 = 99;

/// One worker rank, seen from the root.
#[derive(Debug)]
struct Lane {
    rank: i32,
    /// Sent calls, oldest first: results come back in this order.
    in_flight: VecDeque<Call>,
    /// Sends MPI may still be reading.
    sending: Vec<Sending>,
}

/// What the manager needs to run.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) comm: Comm,
    pub(crate) workers: Vec<i32>,
    pub(crate) inbox: Arc<Inbox<Call>>,
    pub(crate) setup: Vec<u8>,
    pub(crate) window: usize,
}

impl Manager {
    /// The manager's life: handshake, serve the pool, stop the workers.
    pub(crate) fn run(self) {
        let Manager {
            comm,
            workers,
            inbox,
            setup,
            window,
        } = self;
        let mut lanes: Vec<Lane> = workers
            .iter()
            .map(|&rank| Lane {
                rank,
                in_flight: VecDeque::new(),
                sending: vec![comm.start_send(rank, TAG_SETUP, setup.clone())],
            })
            .collect();
        if let Err(error) = handshake(&comm, &mut lanes) {
            // No call crosses: every pending and later call fails with the reason.
            for call in inbox.close(error.clone(), true) {
                call.fail(error.clone());
            }
            while inbox.wait(None) != Wake::Stop {}
        } else {
            serve(&comm, &mut lanes, &inbox, window);
        }
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

/// Waits for every worker's answer to `SETUP`; the refusals, if any, as one `Broken` error.
fn handshake(comm: &Comm, lanes: &mut [Lane]) -> Result<(), Error> {
    let mut answered = vec![false; lanes.len()];
    let mut refusals = Vec::new();
    let mut backoff = Backoff::new();
    while answered.iter().any(|a| !a) {
        let Some((source, _, length)) = comm.probe(None, Some(TAG_REPLY)) else {
            if let Some(sleep) = backoff.idle() {
                crate::loom::thread::sleep(sleep);
            }
            continue;
        };
        backoff.reset();
        let mut reply = Vec::new();
        comm.receive_into(source, TAG_REPLY, length, &mut reply);
        if let Some(index) = lanes.iter().position(|lane| lane.rank == source) {
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

/// Hands calls out and completes them until the pool is closed and nothing is in flight.
fn serve(comm: &Comm, lanes: &mut [Lane], inbox: &Inbox<Call>, window: usize) {
    let mut next_id: u64 = 0;
    let mut backoff = Backoff::new();
    let mut in_flight = 0_usize;
    let mut result = Vec::new();
    loop {
        let mut progressed = false;
        // Results first: they free room in the windows.
        while let Some((source, tag, length)) = comm.probe(None, None) {
            if tag != TAG_RESULT && tag != TAG_RESULT_BLOCK {
                protocol_error(&format!("a message with tag {tag:#x} from rank {source}"));
            }
            comm.receive_into(source, tag, length, &mut result);
            // A result's block follows its frame: received straight into the future's `Vec`.
            let block = (tag == TAG_RESULT_BLOCK).then(|| comm.receive_block(source, TAG_BLOCK));
            let Some(lane) = lanes.iter_mut().find(|lane| lane.rank == source) else {
                protocol_error(&format!("a result from rank {source}, which is no worker"));
            };
            let Some(call) = lane.in_flight.pop_front() else {
                protocol_error(&format!("a result from rank {source}, which runs no call"));
            };
            if backend::frame_id(&result) != Some(call.id()) {
                protocol_error(&format!(
                    "rank {source} answered call {:?} while call {} was next",
                    backend::frame_id(&result),
                    call.id()
                ));
            }
            in_flight -= 1;
            // Runs the future's done-callbacks, here on the manager thread.
            call.complete_with_block(&result, block);
            progressed = true;
        }
        for lane in lanes.iter_mut() {
            lane.sending.retain_mut(|sending| !sending.test());
        }
        // Then new calls, each to the worker with the fewest in flight.
        while let Some(lane) = lanes
            .iter_mut()
            .filter(|lane| lane.in_flight.len() < window)
            .min_by_key(|lane| lane.in_flight.len())
        {
            let Some(mut call) = inbox.take() else {
                break;
            };
            progressed = true;
            if !call.set_running() {
                call.cancel();
                continue;
            }
            next_id += 1;
            call.set_id(next_id);
            let frame = call.take_frame();
            if let Some(block) = call.take_block() {
                // The frame, then its argument's bytes as they are, in a message of their own.
                lane.sending
                    .push(comm.start_send(lane.rank, TAG_CALL_BLOCK, frame));
                lane.sending
                    .push(comm.start_send(lane.rank, TAG_BLOCK, block));
            } else {
                lane.sending
                    .push(comm.start_send(lane.rank, TAG_CALL, frame));
            }
            lane.in_flight.push_back(call);
            in_flight += 1;
        }
        if progressed {
            backoff.reset();
            continue;
        }
        if in_flight == 0 {
            // Nothing can arrive. Right after activity, look at the inbox again at once (the
            // caller of a round trip submits its next call within microseconds, and a
            // condition-variable wake-up costs more than that); then sleep until a
            // submission or the shutdown, without MPI.
            match inbox.peek() {
                Peek::Calls => {}
                Peek::Stop => return,
                Peek::Empty => {
                    if backoff.idle().is_some() {
                        if inbox.wait(None) == Wake::Stop {
                            return;
                        }
                        backoff.reset();
                    }
                }
            }
        } else if let Some(sleep) = backoff.idle() {
            // Results are due: poll again after a bounded sleep — cut short by a submission
            // when a window has room for it.
            if lanes.iter().any(|lane| lane.in_flight.len() < window) {
                inbox.wait(Some(sleep));
            } else {
                crate::loom::thread::sleep(sleep);
            }
        }
    }
}

/// A worker broke the protocol: the job cannot go on safely, so it ends, never hangs.
fn protocol_error(message: &str) -> ! {
    eprintln!("cfut-mpi: {message}; ending the MPI job");
    transport::abort(EXIT_PROTOCOL)
}
