//! The worker ranks' side: answer the handshake, then run calls until the root says stop.

use cfut_core::Error;
use cfut_processes::backend;

use crate::backoff::Backoff;
use crate::loom::sync::{AtomicI32, Ordering};
use crate::transport::{
    self, Comm, Sending, TAG_CALL, TAG_CALL_BLOCK, TAG_REPLY, TAG_RESULT, TAG_RESULT_BLOCK,
    TAG_SETUP, TAG_STOP,
};

/// Exit status of a job ended because a frame could not be understood or sent.
const EXIT_PROTOCOL: i32 = 99;

/// The rank of this process in the communicator it serves, `-1` when it serves none.
static SERVING_RANK: AtomicI32 = AtomicI32::new(-1);

/// The rank of this process in the pool's communicator, while it serves calls as a worker
/// rank; `None` elsewhere (on the root, or outside any pool).
///
/// In static mode this is the rank in the communicator the pool was made over (the world for
/// [`run`](crate::run)); in spawn mode, the rank among the spawned workers.
///
/// # Examples
///
/// ```
/// // Not inside a worker here.
/// assert_eq!(cfut_mpi::worker_rank(), None);
/// ```
pub fn worker_rank() -> Option<i32> {
    // ORDERING: the value is set by this same thread before it runs any call.
    match SERVING_RANK.load(Ordering::Relaxed) {
        -1 => None,
        rank => Some(rank),
    }
}

/// Serves calls from `root` on `comm` until told to stop.
pub(crate) fn serve(comm: &Comm, root: i32) {
    // ORDERING: read only by this thread (the calls run on it).
    SERVING_RANK.store(comm.rank(), Ordering::Relaxed);
    backend::install_panic_hook();
    let mut backoff = Backoff::new();
    let mut out = Vec::with_capacity(crate::tuning::BUFFER);
    let mut frame = Vec::with_capacity(crate::tuning::BUFFER);
    // Results on their way to the root, and the buffers of those that arrived, for reuse: a
    // result is sent without waiting for the root to take it, so the next call runs at once.
    let mut sending: Vec<Sending> = Vec::new();
    let mut spare: Vec<Vec<u8>> = Vec::new();
    // Result blocks on their way (freed, not reused: the next call's result is its own `Vec`).
    let mut blocks: Vec<Sending> = Vec::new();
    // The root's frame limit, once the handshake succeeded.
    let mut serving: Option<usize> = None;
    loop {
        let Some((tag, length)) = next(comm, root, &mut backoff) else {
            continue;
        };
        // Finished sends are collected only when a message came: each test is a pass of MPI's
        // progress engine, which on an oversubscribed node also yields the CPU when it finds
        // nothing, so an idle poll makes one MPI call, the probe.
        sending.retain_mut(|send| match send.reclaim() {
            Some(buf) => {
                spare.push(buf);
                false
            }
            None => true,
        });
        blocks.retain_mut(|send| !send.test());
        comm.receive_into(root, tag, length, &mut frame);
        match (tag, serving) {
            (TAG_STOP, _) => break,
            (TAG_SETUP, _) => {
                out.clear();
                serving = match backend::start_worker(&frame, &mut out) {
                    Ok(limit) => Some(limit),
                    // A refusal is sent; the root breaks the pool and, at shutdown, stops us.
                    Err(Error::Broken { .. }) => None,
                    Err(error) => fail(&format!("a set-up the worker cannot read: {error}")),
                };
                comm.start_send(root, TAG_REPLY, out.clone()).wait();
            }
            (TAG_CALL | TAG_CALL_BLOCK, Some(limit)) => {
                // The argument's block follows its frame: received straight into the `Vec`
                // the call gets.
                let block = (tag == TAG_CALL_BLOCK).then(|| {
                    comm.receive_block(root)
                        .unwrap_or_else(|message| fail(&format!("the root sent {message}")))
                });
                out.clear();
                // A result over the limit (at most MPI's message limit) comes back as a
                // serialization error of its call.
                let result_block = backend::run_call_with_block(&frame, block, &mut out, limit)
                    .unwrap_or_else(|error| {
                        fail(&format!("a call frame the worker cannot read: {error}"))
                    });
                let result = std::mem::replace(&mut out, spare.pop().unwrap_or_default());
                if let Some(result_block) = result_block {
                    // The frame, then the result's bytes as they are.
                    sending.push(comm.start_send(root, TAG_RESULT_BLOCK, result));
                    blocks.push(comm.start_send_block(root, result_block));
                } else {
                    sending.push(comm.start_send(root, TAG_RESULT, result));
                }
            }
            _ => fail(&format!("an unexpected message (tag {tag:#x})")),
        }
        backoff.reset();
    }
    for send in sending.into_iter().chain(blocks) {
        send.wait();
    }
    // ORDERING: as above.
    SERVING_RANK.store(-1, Ordering::Relaxed);
}

/// The tag and length of the next message from `root`, after one poll (`None`: nothing yet;
/// the backoff slept if it was time to).
fn next(comm: &Comm, root: i32, backoff: &mut Backoff) -> Option<(i32, usize)> {
    if let Some((_, tag, length)) = comm.probe(Some(root), None) {
        return Some((tag, length));
    }
    if let Some(sleep) = backoff.idle() {
        crate::loom::thread::sleep(sleep);
    }
    None
}

fn fail(message: &str) -> ! {
    eprintln!("cfut-mpi worker rank: {message}; ending the MPI job");
    transport::abort(EXIT_PROTOCOL)
}
