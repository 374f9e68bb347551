//! The state a pool handle and its manager thread share.
//!
//! # The wake-up protocol
//!
//! The manager thread sleeps in `poll(2)` on the worker sockets and on a wake-up socket.
//! Everyone who changes something the manager must see (a queued call, a shutdown) does it
//! under the lock and calls [`State::wake`], which (through [`WakeFlags`], model-checked with
//! loom in `wake.rs`) sets `dirty` and writes one byte to the
//! wake-up socket only if the manager said, under the lock, that it is asleep (`sleeping`)
//! and nobody has written since (`woken`). The manager clears `sleeping`, `woken` and `dirty`
//! under the lock *before* it looks at the state, and sets `sleeping` only under the lock
//! after checking that `dirty` is still clear. So a change made after its look either finds
//! `dirty` checked later (no sleep) or `sleeping` set (a byte is written); a byte written is
//! never lost (it stays in the socket until drained), so the worst case is one spurious turn
//! of the loop. Bytes are written at most once per sleep, so the socket never fills up
//! (CPython's gh-105829 was a full wake-up pipe blocking `submit`).

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use cfut_core::Error;

use crate::board::Board;
use crate::direct::{Handed, Lane};
use crate::initializer::Initializer;
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::loom::thread::{JoinHandle, ThreadId};
use crate::task::PendingCall;
use crate::wake::WakeFlags;

/// The pool's settings, fixed at build time.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) initializer: Option<Initializer>,
    pub(crate) max_tasks_per_child: Option<NonZeroUsize>,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) executable: PathBuf,
    pub(crate) identity: u64,
    /// The longest frame either side sends (`Builder::max_frame_size`).
    pub(crate) max_frame: usize,
}

/// What the handle and the manager share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) state: Mutex<State>,
    /// Signalled when the manager finishes.
    pub(crate) finished: Condvar,
}

/// Where the manager thread is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    NotStarted,
    Running,
    Finished,
}

/// Guarded by `Shared::state`.
#[derive(Debug)]
pub(crate) struct State {
    /// Calls not yet taken by a worker: still cancellable.
    pub(crate) pending: VecDeque<PendingCall>,
    /// A cancelling shutdown asks the manager to settle, as cancelled, the futures of the
    /// calls sent ahead that it cancelled on the boards (they are pending too, see
    /// `board.rs`).
    pub(crate) cancel_sent_ahead: bool,
    /// A cancelling shutdown happened: calls put back in `pending` later (those a dead
    /// worker had not started) were pending at the shutdown, so they are cancelled too.
    pub(crate) cancelling: bool,
    /// Why new calls are refused (shut down or broken), once they are.
    pub(crate) closed: Option<Error>,
    /// The manager should finish once nothing is pending or running.
    pub(crate) stopping: bool,
    /// `terminate_workers`/`kill_workers` happened: start no more workers.
    pub(crate) forced: Option<i32>,
    pub(crate) phase: Phase,
    pub(crate) manager_thread: Option<ThreadId>,
    pub(crate) join: Option<JoinHandle<()>>,
    /// The wake-up protocol's flags (see the module docs).
    pub(crate) flags: WakeFlags,
    pub(crate) wake: Option<UnixStream>,
    /// Live (not yet reaped) worker processes.
    pub(crate) pids: Vec<u32>,
    /// How many worker processes were ever started.
    pub(crate) started: usize,
    /// The direct lane of each live worker that has one (see `direct.rs`).
    pub(crate) direct: Vec<Direct>,
    /// The cancel board of each live worker that has one (see `board.rs`), so that a
    /// cancelling shutdown decides, before it returns, that no call sent ahead starts.
    pub(crate) boards: Vec<(u32, Arc<Board>)>,
}

/// A worker's direct lane and a duplicate of the manager's end of its socket, through which
/// a submitter writes a call when the lane is open.
#[derive(Debug)]
pub(crate) struct Direct {
    pub(crate) pid: u32,
    pub(crate) socket: UnixStream,
    pub(crate) lane: Lane<PendingCall>,
}

impl State {
    pub(crate) fn new() -> Self {
        State {
            pending: VecDeque::new(),
            cancel_sent_ahead: false,
            cancelling: false,
            closed: None,
            stopping: false,
            forced: None,
            phase: Phase::NotStarted,
            manager_thread: None,
            join: None,
            flags: WakeFlags::default(),
            wake: None,
            pids: Vec::new(),
            started: 0,
            direct: Vec::new(),
            boards: Vec::new(),
        }
    }

    /// Tells the manager to look at the state again, waking it if it sleeps (see the module
    /// docs).
    pub(crate) fn wake(&mut self) {
        if self.flags.notify() {
            if let Some(wake) = &self.wake {
                // A failed write (the manager already gone) needs no wake-up.
                let _ = crate::wire::send(wake.as_fd(), &[1], true);
            }
        }
    }

    /// The lane of worker `pid`, if it has one.
    pub(crate) fn lane(&mut self, pid: u32) -> Option<&mut Lane<PendingCall>> {
        self.direct
            .iter_mut()
            .find(|direct| direct.pid == pid)
            .map(|direct| &mut direct.lane)
    }

    /// Forgets worker `pid`, which the manager is about to reap: its pid, its board and its
    /// lane; returns the call handed to it, if any.
    pub(crate) fn forget_worker(&mut self, pid: u32) -> Option<Handed<PendingCall>> {
        self.pids.retain(|&live| live != pid);
        self.boards.retain(|&(live, _)| live != pid);
        self.remove_lane(pid)
    }

    /// A cancelling shutdown: cancels every call not started. Returns the pending ones (their
    /// futures to cancel); the calls sent ahead to workers are cancelled on the boards here,
    /// so none of them starts once the lock is released, and the manager settles their
    /// futures (`cancel_sent_ahead`); calls a dead worker had not started, put back later,
    /// are cancelled by the manager too (`cancelling`).
    pub(crate) fn cancel_not_started(&mut self) -> Vec<PendingCall> {
        for (_, board) in &self.boards {
            board.cancel_queued();
        }
        self.cancel_sent_ahead = true;
        self.cancelling = true;
        self.pending.drain(..).collect()
    }

    /// Removes worker `pid`'s lane (closing the duplicate socket); its handed call, if any.
    pub(crate) fn remove_lane(&mut self, pid: u32) -> Option<Handed<PendingCall>> {
        let index = self.direct.iter().position(|direct| direct.pid == pid)?;
        self.direct.swap_remove(index).lane.take()
    }

    /// Sends `signal` to every live worker. Their pids are not reused meanwhile: the manager
    /// removes a pid from `pids` under this lock before it reaps the process.
    pub(crate) fn signal_workers(&self, signal: i32) {
        for &pid in &self.pids {
            // SAFETY: `kill` has no memory effects; `pid` is an unreaped child of ours.
            unsafe { libc::kill(pid as libc::pid_t, signal) };
        }
    }
}
