//! The manager thread: starts workers, feeds them calls, reads their results, notices their
//! deaths, enforces call timeouts, and tears everything down at shutdown.
//!
//! # Implementation description
//!
//! One thread per pool owns every worker's socket and process handle; the shared state
//! holds the queue of pending calls, the flags, and one *lane* per worker (`direct.rs`): a
//! duplicate of the worker's socket through which a submitting thread writes a call itself
//! when that worker is idle and nothing is pending, under the lock, without waking the
//! manager — which then only reads the result. An idle pool's round trip is thus caller →
//! worker → manager → caller. Each turn of the loop:
//!
//! 1. under the lock: take the calls handed to workers directly, hand pending calls to ready
//!    workers (marking the futures of calls to idle workers running; calls sent ahead stay
//!    pending and cancellable, see below),
//!    decide how many workers to start, decide whether to finish, and open the lanes of the
//!    workers left idle (a lane also opens as soon as a result leaves its worker idle, before
//!    the result's future completes);
//! 2. outside the lock: start workers, write queued frames (non-blocking), `poll` the worker
//!    sockets and the wake-up socket (with the nearest call deadline as timeout), read and
//!    complete results, bury dead workers, kill workers whose call timed out.
//!
//! A worker first gets one call. Only when the pool is at `max_workers`, more calls wait
//! than workers, and calls are short (their running average, as the workers measure it, is
//! under `PIPELINE_BELOW`) does it get more, up to `MAX_DEPTH` (both in `tuning.rs`), so
//! that many tiny calls travel in batches (one `send`/`recv` for many frames) while long
//! calls are spread out. A call sent ahead stays pending, and cancellable, until the worker
//! starts it: the worker's cancel board (`board.rs`) decides between its start and a cancel,
//! and the worker says `STARTED` (its future then runs) or answers `CANCELLED`. Each worker
//! sends each result before it starts the next call. The worker answers in order, so the
//! first unanswered call of a worker is the one it runs; when a worker dies only that call
//! fails (unless its cell shows it never started), and the calls queued behind it go back to
//! the front of the pending queue.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cfut_core::{Error, Exit};

use crate::board::{self, Board, QUEUED_ID};
use crate::direct::Handed;
use crate::loom::sync::Arc;
use crate::loom::thread;
use crate::state::{Direct, Phase, Shared, State};
use crate::task::{PendingCall, Settled, Slot};
use crate::tuning::{
    AVERAGE_WEIGHT, BUFFER, MAX_DEPTH, PIPELINE_BELOW, REAP_FIRST_PAUSE, REAP_GIVE_UP,
    REAP_MAX_PAUSE,
};
use crate::wire;
use crate::worker::WORKER_ENV;

/// Workers killed from outside during their start-up are replaced at most this many times
/// in a row (without a worker getting ready in between) before the pool is declared broken.
const MAX_STARTUP_FAILURES: usize = 3;

/// Starts the manager thread. Called with the lock held, on the first submission.
pub(crate) fn start(shared: &Arc<Shared>, state: &mut State) -> io::Result<()> {
    let (wake_tx, wake_rx) = UnixStream::pair()?;
    let for_thread = Arc::clone(shared);
    let handle = thread::Builder::new()
        .name("cfut-process-manager".to_owned())
        .spawn(move || {
            let shared = Arc::clone(&for_thread);
            let run = std::panic::AssertUnwindSafe(move || Manager::new(for_thread, wake_rx).run());
            if std::panic::catch_unwind(run).is_err() {
                // A bug in the manager: never leave a future pending or a waiter hanging.
                abandon(&shared);
            }
        })?;
    state.wake = Some(wake_tx);
    state.phase = Phase::Running;
    state.join = Some(handle);
    Ok(())
}

/// After the manager panicked (a bug): the pool is broken, pending calls fail, waiters are
/// released. The calls the workers held were failed when the manager's state unwound (a
/// dropped promise completes its future with `Error::Abandoned`).
fn abandon(shared: &Shared) {
    let error = Error::Broken {
        reason: "internal error: the pool's manager thread panicked".to_owned(),
    };
    let failed: Vec<PendingCall> = {
        let mut state = shared.state.lock();
        state.closed = Some(error.clone());
        state.stopping = true;
        state.phase = Phase::Finished;
        state.flags.retire();
        state.wake = None;
        // Handed calls are dropped with their lanes: their futures fail with `Abandoned`.
        state.direct.clear();
        state.pending.drain(..).collect()
    };
    shared.finished.notify_all();
    for call in failed {
        call.slot.fail(error.clone());
    }
}

struct Manager {
    shared: Arc<Shared>,
    wake: UnixStream,
    workers: Vec<Worker>,
    /// A start failed while other workers lived: wait for one of them to free up first.
    start_blocked: bool,
    /// Running average of how long a call takes in its worker; `None` before the first.
    average_call: Option<Duration>,
    /// Workers killed during start-up since a worker last got ready.
    startup_failures: usize,
    /// `poll` has failed at least once (see `cannot_wait`).
    poll_failed: bool,
}

struct Worker {
    child: Child,
    pid: u32,
    socket: UnixStream,
    ready: bool,
    out: wire::Outbox,
    inbox: wire::Inbox,
    in_flight: VecDeque<PendingCall>,
    /// When the first call in flight started (it is the one running).
    head_since: Instant,
    /// Calls this worker may still take (`max_tasks_per_child`).
    budget: Option<usize>,
    next_id: u64,
    death: Option<Death>,
    /// How long the last call answered took (for the running average).
    sample: Option<Duration>,
    /// `poll` reported the socket readable (or closed).
    readable: bool,
    /// Just sent `READY` (taken by the manager).
    became_ready: bool,
    /// The cancel board shared with the worker, with its result ring; without one (it could
    /// not be made or handed over) the worker gets no calls ahead and sends every frame
    /// through the socket.
    board: Option<Arc<Board>>,
    /// Bytes read from the socket since the start (published to the worker, `ring.rs`).
    socket_read: u64,
}

#[derive(Debug)]
enum Death {
    /// The socket closed: the process exited or was killed.
    Closed,
    /// The worker sent bytes that are not a valid frame.
    Malformed(String),
    /// The running call exceeded the pool's call timeout.
    TimedOut,
    /// The worker refused to serve (identity mismatch or initializer failure).
    Refused(String),
}

impl Worker {
    /// Ready, alive and allowed more calls.
    fn accepts(&self) -> bool {
        self.ready && self.death.is_none() && self.budget != Some(0)
    }

    /// Takes the next not-cancelled pending call; `false` if none. A call for a busy worker
    /// is sent ahead: its future stays pending, cancellable through the board.
    fn take(&mut self, pending: &mut VecDeque<PendingCall>) -> bool {
        while let Some(mut call) = pending.pop_front() {
            let mut id = self.next_id;
            let handed = match (&self.board, self.in_flight.is_empty()) {
                (_, true) => call.slot.set_running(),
                (Some(board), false) => {
                    id |= QUEUED_ID;
                    board.queue(id);
                    call.slot.hand_over(board, id)
                }
                (None, false) => {
                    // Only workers with a board are sent calls ahead.
                    pending.push_front(call);
                    return false;
                }
            };
            if !handed {
                // Cancelled while pending: its future is already done.
                continue;
            }
            call.frame[wire::ID_AT..wire::ID_AT + 8].copy_from_slice(&id.to_le_bytes());
            self.next_id += 1;
            call.queue(0, &mut self.out);
            if self.in_flight.is_empty() {
                self.head_since = Instant::now();
            }
            self.in_flight.push_back(call);
            if let Some(budget) = &mut self.budget {
                *budget -= 1;
            }
            return true;
        }
        false
    }

    /// Cancels, through the board, the calls sent ahead that the worker has not started;
    /// their slots go to `cancelled` (the worker's `CANCELLED` answers find `Settled` ones).
    fn cancel_sent_ahead(&mut self, cancelled: &mut Vec<Box<dyn Slot>>) {
        let Some(board) = &self.board else {
            return;
        };
        for call in &mut self.in_flight {
            let id = wire::u64_at(&call.frame, wire::ID_AT).unwrap_or(0);
            if id & QUEUED_ID != 0 && board.cancel(id) {
                cancelled.push(std::mem::replace(&mut call.slot, Box::new(Settled)));
            }
        }
    }

    /// Makes a call a submitter handed to this worker (see `direct.rs`) its last call in
    /// flight; its unsent bytes go out before anything else.
    fn adopt(&mut self, handed: Option<Handed<PendingCall>>) {
        let Some(Handed { call, sent, since }) = handed else {
            return;
        };
        call.queue(sent, &mut self.out);
        if self.in_flight.is_empty() {
            self.head_since = since;
        }
        self.in_flight.push_back(call);
        self.next_id += 1;
        if let Some(budget) = &mut self.budget {
            *budget = budget.saturating_sub(1);
        }
    }

    /// Closes this worker's lane and adopts its handed call, if any.
    fn take_lane(&mut self, state: &mut State) {
        let handed = state.lane(self.pid).and_then(|lane| lane.take());
        self.adopt(handed);
    }

    /// Writes queued bytes without blocking. A failed write means the worker died; the
    /// closed socket will say so.
    fn flush(&mut self) {
        if self.out.flush(self.socket.as_fd(), true).is_err() {
            self.out.clear();
        }
    }

    /// Takes the frames in the result ring and handles them. Frames in the ring are pushed
    /// only once the parent read every byte the worker sent through the socket (`ring.rs`),
    /// so with frames there the socket's bytes are all handled, but for a `NUDGE` that may
    /// have come in two pieces: the ring then waits for the rest of it, unless the socket
    /// `closed`. Anything else half received means bytes the worker did not send (a call
    /// wrote to its socket): a malformed stream.
    fn take_ring(&mut self, shared: &Shared, closed: bool) {
        let Some(board) = &self.board else {
            return;
        };
        if self.death.is_some() || !board.ring().has_frames() {
            return;
        }
        if !self.inbox.is_idle() {
            if !self.inbox.holds_part_of(&wire::NUDGE_FRAME) {
                self.death = Some(Death::Malformed(
                    "bytes the worker did not send came before its results".to_owned(),
                ));
                return;
            }
            if !closed {
                return;
            }
            self.inbox.discard();
        }
        match self.inbox.receive_with(|buf| board.ring().take_into(buf)) {
            Ok(0) => {}
            Ok(_) => self.frames(shared),
            Err(message) => self.death = Some(Death::Malformed(message)),
        }
    }

    /// Receives what the worker sent if its result ring holds frames (the manager looks at
    /// every ring each turn: a push wakes it only when it sleeps).
    fn look_at_ring(&mut self, shared: &Shared) {
        if self.death.is_none() && self.board.as_ref().is_some_and(|b| b.ring().has_frames()) {
            self.receive(shared);
        }
    }

    /// Receives everything the socket holds, then the result ring, and handles the complete
    /// frames. A worker's socket and ring never both hold frames not yet read (`ring.rs`), so
    /// either order keeps the worker's; the socket comes first so that bytes a call wrote to
    /// the worker's socket itself (a misbehaving call) are read before the result the worker
    /// pushed after it, and fail that call as a malformed frame.
    fn receive(&mut self, shared: &Shared) {
        loop {
            let received = self.inbox.fill(self.socket.as_fd(), true);
            if let (Ok(n), Some(board)) = (&received, &self.board) {
                self.socket_read += *n as u64;
                board.ring().record_socket_read(self.socket_read);
            }
            match received {
                Ok(0) => {
                    self.frames(shared);
                    // The worker pushed its last frames before the socket closed.
                    self.take_ring(shared, true);
                    // A call handed to the worker before it died is the one that fails.
                    self.take_lane(&mut shared.state.lock());
                    if self.death.is_none() {
                        self.death = Some(Death::Closed);
                    }
                    return;
                }
                Ok(_) => {
                    self.frames(shared);
                    if self.death.is_some() {
                        return;
                    }
                    if self.inbox.drained() {
                        // Drained: the next `poll` says whether more came.
                        break;
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                    // A header announcing a frame above the limit: nothing was allocated.
                    self.death = Some(Death::Malformed(error.to_string()));
                    return;
                }
                Err(_) => {
                    self.take_ring(shared, true);
                    self.take_lane(&mut shared.state.lock());
                    self.death.get_or_insert(Death::Closed);
                    return;
                }
            }
        }
        self.take_ring(shared, false);
    }

    /// Handles every complete frame in the inbox; checks each header as soon as it arrives.
    fn frames(&mut self, shared: &Shared) {
        while self.death.is_none() {
            let (length, kind) = match self.inbox.next() {
                Ok(Some(header)) => header,
                Ok(None) => return,
                Err(message) => {
                    self.death = Some(Death::Malformed(message));
                    return;
                }
            };
            if kind == wire::NUDGE {
                // Only woke the manager (`ring.rs`).
                if length != 1 {
                    self.death = Some(Death::Malformed(format!("a nudge of {length} bytes")));
                    return;
                }
                if self.inbox.data().len() < 4 + length {
                    return;
                }
                self.inbox.consume(4 + length);
                continue;
            }
            if kind == wire::RESULT && self.ready && self.in_flight.is_empty() {
                // A result while nothing is known in flight: the call was handed to the
                // worker directly; the write happened under the lock taken here.
                self.take_lane(&mut shared.state.lock());
            }
            let data = self.inbox.data();
            let expected = if self.ready {
                kind == wire::RESULT || kind == wire::STARTED
            } else {
                kind == wire::READY || kind == wire::REFUSED
            };
            if !expected || length == 0 {
                self.death = Some(Death::Malformed(format!(
                    "unexpected frame kind {kind:#04x} ({length} bytes)"
                )));
                return;
            }
            if kind == wire::RESULT || kind == wire::STARTED {
                let Some(head) = self.in_flight.front() else {
                    self.death = Some(Death::Malformed("a result for no call".to_owned()));
                    return;
                };
                if kind == wire::STARTED && length != 1 + 8 {
                    self.death = Some(Death::Malformed(format!("a start frame of {length} bytes")));
                    return;
                }
                if kind == wire::RESULT && length < 1 + 8 + 1 + 4 {
                    self.death = Some(Death::Malformed(format!(
                        "a result frame of {length} bytes"
                    )));
                    return;
                }
                if let Some(id) = wire::u64_at(data, wire::ID_AT) {
                    let want = wire::u64_at(&head.frame, wire::ID_AT).unwrap_or(0);
                    if id != want {
                        self.death = Some(Death::Malformed(format!(
                            "a result for call {id} while call {want} runs"
                        )));
                        return;
                    }
                }
            }
            if data.len() < 4 + length {
                return;
            }
            let body = &data[wire::HEADER..4 + length];
            match kind {
                wire::READY => {
                    self.ready = true;
                    self.became_ready = true;
                }
                wire::REFUSED => {
                    self.death = Some(Death::Refused(String::from_utf8_lossy(body).into_owned()));
                }
                wire::STARTED => {
                    // The call sent ahead won its cell: it runs (the id matched the head's).
                    let head = self.in_flight.front().expect("checked above");
                    head.slot.set_running();
                }
                _ => {
                    let status = body[8];
                    let busy = wire::u32_at(body, 9).expect("length checked");
                    let payload = &body[13..];
                    let call = self.in_flight.pop_front().expect("checked above");
                    if self.in_flight.is_empty() && self.accepts() {
                        // Idle again: open the lane before completing the future, so that the
                        // caller's next call can go straight to this worker.
                        open_lane(&mut shared.state.lock(), self.pid, self.next_id);
                    }
                    let now = Instant::now();
                    if status == wire::CANCELLED {
                        // Cancelled through the board before the worker reached it (by its
                        // future, already settled, or by a cancelling shutdown, settled here);
                        // no duration was measured.
                        call.slot.cancel();
                    } else {
                        // Completing runs the future's callbacks here, outside the state lock.
                        call.slot.complete(status, payload, self.inbox.take_block());
                        // The call's own duration, as the worker measured it (wake-up
                        // latencies do not count): it decides whether calls are short enough
                        // to batch.
                        self.sample = Some(Duration::from_micros(u64::from(busy)));
                    }
                    if !self.in_flight.is_empty() {
                        self.head_since = now;
                    }
                }
            }
            self.inbox.consume(4 + length);
        }
    }

    /// Waits for the process, first killing it or giving it time as `how` says.
    fn reap(&mut self, how: Reap) -> ExitStatus {
        match how {
            Reap::Kill => {
                let _ = self.child.kill();
            }
            Reap::Closing => {}
            Reap::Exited => {
                // The socket closed: the process is exiting. Give it a moment to become
                // reapable before concluding that it closed the socket and lives on.
                let mut pause = REAP_FIRST_PAUSE;
                let mut waited = Duration::ZERO;
                loop {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        return status;
                    }
                    if waited >= REAP_GIVE_UP {
                        let _ = self.child.kill();
                        break;
                    }
                    thread::sleep(pause);
                    waited += pause;
                    pause = (pause * 2).min(REAP_MAX_PAUSE);
                }
            }
        }
        loop {
            match self.child.wait() {
                Ok(status) => return status,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ExitStatus::from_raw(-1),
            }
        }
    }
}

/// Opens worker `pid`'s lane for a call with `id`, unless calls are pending (they come first)
/// or the pool is closed. The caller checked that the worker accepts calls and has none in
/// flight.
fn open_lane(state: &mut State, pid: u32, id: u64) {
    if state.closed.is_none() && state.pending.is_empty() {
        if let Some(lane) = state.lane(pid) {
            lane.open(id);
        }
    }
}

/// How to reap a worker.
#[derive(Clone, Copy, Debug)]
enum Reap {
    /// Kill it first (timeout, malformed frame).
    Kill,
    /// Its socket closed on its own: it is exiting (or closed the socket and must be killed).
    Exited,
    /// We closed our end: it exits once its current call (if any) is done.
    Closing,
}

fn exit_of(status: ExitStatus) -> Exit {
    if let Some(code) = status.code() {
        Exit::Code(code)
    } else if let Some(signal) = status.signal() {
        Exit::Signal(signal)
    } else {
        Exit::Unknown
    }
}

impl Manager {
    fn new(shared: Arc<Shared>, wake: UnixStream) -> Self {
        Manager {
            shared,
            wake,
            workers: Vec::new(),
            start_blocked: false,
            average_call: None,
            startup_failures: 0,
            poll_failed: false,
        }
    }

    fn run(mut self) {
        self.shared.state.lock().manager_thread = Some(thread::current().id());
        let mut failed: Vec<(PendingCall, Error)> = Vec::new();
        let mut cancelled: Vec<Box<dyn Slot>> = Vec::new();
        loop {
            let (to_start, finish) = self.plan(&mut failed, &mut cancelled);
            for (call, error) in failed.drain(..) {
                call.slot.fail(error);
            }
            for slot in cancelled.drain(..) {
                slot.cancel();
            }
            if finish {
                break;
            }
            for _ in 0..to_start {
                self.start_worker();
            }
            for worker in &mut self.workers {
                worker.flush();
            }
            self.wait();
            for worker in &mut self.workers {
                if worker.death.is_none() && std::mem::take(&mut worker.readable) {
                    worker.receive(&self.shared);
                } else {
                    worker.look_at_ring(&self.shared);
                }
                if std::mem::take(&mut worker.became_ready) {
                    self.startup_failures = 0;
                }
                if let Some(sample) = worker.sample.take() {
                    // An exponential moving average, weight 1/AVERAGE_WEIGHT for the newest
                    // sample.
                    self.average_call = Some(match self.average_call {
                        Some(average) => (average * (AVERAGE_WEIGHT - 1) + sample) / AVERAGE_WEIGHT,
                        None => sample,
                    });
                }
            }
            self.check_timeouts();
            self.bury();
            self.retire();
        }
        self.teardown();
    }

    /// The locked part of a turn: hand out calls, count the workers to start, decide whether
    /// to finish.
    fn plan(
        &mut self,
        failed: &mut Vec<(PendingCall, Error)>,
        cancelled: &mut Vec<Box<dyn Slot>>,
    ) -> (usize, bool) {
        let max = self.shared.config.max_workers;
        let mut state = self.shared.state.lock();
        state.flags.look();
        if std::mem::take(&mut state.cancel_sent_ahead) {
            for worker in &mut self.workers {
                worker.cancel_sent_ahead(cancelled);
            }
        }
        // Calls handed to workers directly are in flight like the others from here on.
        for worker in &mut self.workers {
            worker.take_lane(&mut state);
        }
        if state.forced.is_some() || state.cancelling {
            // Calls put back from a killed worker can never run now; after a cancelling
            // shutdown, those put back from a dead one were pending at the shutdown.
            cancelled.extend(state.pending.drain(..).map(|call| call.slot));
        }
        if let Some(Error::Broken { .. }) = &state.closed {
            let error = state.closed.clone().expect("checked");
            failed.extend(state.pending.drain(..).map(|call| (call, error.clone())));
        }
        // One call per idle worker first.
        for worker in self
            .workers
            .iter_mut()
            .filter(|w| w.accepts() && w.in_flight.is_empty())
        {
            if !worker.take(&mut state.pending) {
                break;
            }
        }
        // At saturation, queue more per worker so that tiny calls travel in batches.
        let short_calls = self
            .average_call
            .is_some_and(|average| average < PIPELINE_BELOW);
        if short_calls
            && !state.pending.is_empty()
            && self.workers.len() >= max
            && self.workers.iter().all(|w| w.ready)
        {
            let accepting = self.workers.iter().filter(|w| w.accepts()).count();
            if let Some(share) = state.pending.len().checked_div(accepting) {
                let depth = 1 + share.min(MAX_DEPTH - 1);
                for worker in self
                    .workers
                    .iter_mut()
                    .filter(|w| w.accepts() && w.board.is_some())
                {
                    while worker.in_flight.len() < depth && worker.accepts() {
                        if !worker.take(&mut state.pending) {
                            break;
                        }
                    }
                }
            }
        }
        let mut to_start = 0;
        if !state.pending.is_empty()
            && state.forced.is_none()
            && !matches!(state.closed, Some(Error::Broken { .. }))
            && !self.start_blocked
        {
            let starting = self.workers.iter().filter(|w| !w.ready).count();
            to_start = state
                .pending
                .len()
                .saturating_sub(starting)
                .min(max.saturating_sub(self.workers.len()));
        }
        let finish = state.stopping
            && state.pending.is_empty()
            && to_start == 0
            && self.workers.iter().all(|w| w.in_flight.is_empty());
        for worker in self
            .workers
            .iter()
            .filter(|w| w.accepts() && w.in_flight.is_empty())
        {
            open_lane(&mut state, worker.pid, worker.next_id);
        }
        (to_start, finish)
    }

    fn start_worker(&mut self) {
        match self.spawn() {
            Ok(worker) => {
                // Without a duplicate of the socket (out of descriptors) the worker simply
                // gets no direct calls.
                let direct = worker.socket.try_clone().ok();
                let mut state = self.shared.state.lock();
                state.pids.push(worker.pid);
                state.started += 1;
                if let Some(board) = &worker.board {
                    state.boards.push((worker.pid, Arc::clone(board)));
                }
                if let Some(socket) = direct {
                    state.direct.push(Direct {
                        pid: worker.pid,
                        socket,
                        lane: Default::default(),
                    });
                }
                if let Some(signal) = state.forced {
                    // SAFETY: `kill` has no memory effects; the child is ours and unreaped.
                    unsafe { libc::kill(worker.pid as libc::pid_t, signal) };
                }
                drop(state);
                self.workers.push(worker);
            }
            Err(error) => {
                if self.workers.is_empty() {
                    self.break_pool(format!("a worker process could not be started: {error}"));
                } else {
                    self.start_blocked = true;
                }
            }
        }
    }

    fn spawn(&self) -> io::Result<Worker> {
        let config = &self.shared.config;
        let (ours, theirs) = UnixStream::pair()?;
        let child = Command::new(&config.executable)
            .arg0("cfut-process-worker")
            .env(WORKER_ENV, "1")
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .spawn()?;
        let mut out = wire::Outbox::with_capacity(BUFFER);
        // An initializer's argument too large for a frame was refused by `Builder::build`.
        crate::worker::setup_frame(
            out.bytes_mut(),
            config.identity,
            config.initializer.as_ref(),
            config.max_frame,
        )
        .map_err(io::Error::other)?;
        // The cancel board travels with the first bytes of the set-up frame. Without it (out
        // of descriptors or memory) the worker simply gets no calls ahead.
        let (board, sent) = match Board::create() {
            Ok((board, fd)) => match board::send_with(ours.as_fd(), out.bytes_mut(), fd.as_fd()) {
                Ok(sent) => (Some(Arc::new(board)), sent),
                Err(_) => (None, 0),
            },
            Err(_) => (None, 0),
        };
        out.sent_elsewhere(sent);
        Ok(Worker {
            pid: child.id(),
            child,
            socket: ours,
            ready: false,
            out,
            inbox: wire::Inbox::with_limit(config.max_frame),
            in_flight: VecDeque::new(),
            head_since: Instant::now(),
            budget: config.max_tasks_per_child.map(|n| n.get()),
            next_id: 0,
            death: None,
            sample: None,
            readable: false,
            became_ready: false,
            board,
            socket_read: 0,
        })
    }

    /// Sleeps until a worker socket or the wake-up socket is ready, or the nearest call
    /// deadline passes.
    fn wait(&mut self) {
        let mut fds = Vec::with_capacity(1 + self.workers.len());
        fds.push(libc::pollfd {
            fd: self.wake.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        for worker in &self.workers {
            let mut events = libc::POLLIN;
            if !worker.out.is_empty() {
                events |= libc::POLLOUT;
            }
            fds.push(libc::pollfd {
                fd: worker.socket.as_raw_fd(),
                events,
                revents: 0,
            });
        }
        let timeout = match self.shared.config.call_timeout {
            Some(limit) => self
                .workers
                .iter()
                .filter(|w| !w.in_flight.is_empty())
                // A deadline past what `Instant` can hold is no deadline.
                .filter_map(|w| w.head_since.checked_add(limit))
                .map(|deadline| deadline.saturating_duration_since(Instant::now()))
                .min()
                .map_or(-1, |left| {
                    libc::c_int::try_from(left.as_millis() + 1).unwrap_or(libc::c_int::MAX)
                }),
            None => -1,
        };
        // No spinning before sleeping: measured on a loaded 2-CPU machine, a manager that
        // polls for the next event keeps the CPU from the thread that must run next (the
        // caller, the worker) and made round trips several times slower. (A worker does poll
        // briefly after a call that came to it idle, yielding between polls: `WORKER_SPIN`.)
        if !self.shared.state.lock().flags.sleep() {
            // Something changed since the look at the state: look again first.
            return;
        }
        // Frames pushed to a ring from here on wake this poll (`ring.rs`); frames already
        // there are taken first.
        // (A worker whose inbox holds part of a frame is woken by the rest, not by its ring.)
        let rings = || {
            self.workers
                .iter()
                .filter_map(|w| Some((w, w.board.as_ref()?.ring())))
        };
        if !rings().all(|(worker, ring)| !worker.inbox.is_idle() || ring.will_sleep()) {
            rings().for_each(|(_, ring)| ring.awake());
            return;
        }
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        rings().for_each(|(_, ring)| ring.awake());
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                self.cannot_wait(&error);
            }
            return;
        }
        for (worker, fd) in self.workers.iter_mut().zip(&fds[1..]) {
            worker.readable = fd.revents != 0;
        }
        if ready > 0 && fds[0].revents != 0 {
            self.drain_wake();
        }
    }

    /// Empties the wake-up socket (its bytes only say "look again").
    fn drain_wake(&self) {
        let mut sink = [0_u8; 64];
        while let Ok(n) = wire::recv(self.wake.as_fd(), &mut sink, true) {
            if n == 0 {
                break;
            }
        }
    }

    /// `poll` failed: `EINVAL` when the process's limit on open files was lowered below the
    /// number of sockets polled, `ENOMEM`. Spinning on it would burn a CPU and never see a
    /// result or a death again, so the manager falls back to looking at every socket (without
    /// blocking) after a short sleep, until `poll` works again. Said once on stderr.
    fn cannot_wait(&mut self, error: &io::Error) {
        if !self.poll_failed {
            self.poll_failed = true;
            eprintln!(
                "cfut-processes: the pool manager cannot poll its workers ({error}); \
                 looking at them every millisecond instead"
            );
        }
        for worker in &mut self.workers {
            worker.readable = true;
        }
        self.drain_wake();
        thread::sleep(Duration::from_millis(1));
    }

    fn check_timeouts(&mut self) {
        let Some(limit) = self.shared.config.call_timeout else {
            return;
        };
        let now = Instant::now();
        for worker in &mut self.workers {
            if worker.death.is_none()
                && !worker.in_flight.is_empty()
                && worker
                    .head_since
                    .checked_add(limit)
                    .is_some_and(|deadline| now >= deadline)
            {
                worker.death = Some(Death::TimedOut);
            }
        }
    }

    /// Removes dead workers: fails the call each was running, puts the calls queued behind
    /// it back at the front of the pending queue, reaps the process.
    fn bury(&mut self) {
        let mut index = 0;
        while index < self.workers.len() {
            if self.workers[index].death.is_none() {
                index += 1;
                continue;
            }
            let mut worker = self.workers.swap_remove(index);
            let death = worker.death.take().expect("checked");
            let mut state = self.shared.state.lock();
            let handed = state.forget_worker(worker.pid);
            worker.adopt(handed);
            let stopping_by_force = state.forced.is_some();
            let mut requeue = std::mem::take(&mut worker.in_flight);
            let mut head = requeue.pop_front();
            if let (Some(call), Some(board)) = (&head, &worker.board) {
                let id = wire::u64_at(&call.frame, wire::ID_AT).unwrap_or(0);
                if id & QUEUED_ID != 0 && board.never_started(id) {
                    // Sent ahead and never started: it did not die with the worker.
                    requeue.push_front(head.take().expect("checked"));
                }
            }
            while let Some(call) = requeue.pop_back() {
                state.pending.push_front(call);
            }
            drop(state);
            let how = if matches!(death, Death::Closed) {
                Reap::Exited
            } else {
                Reap::Kill
            };
            let status = worker.reap(how);
            self.start_blocked = false;
            let exit = exit_of(status);
            // A worker killed from outside while it started is replaced like any other, up to
            // a few times in a row; a worker that refused, or exited on its own (its
            // initializer failed, or the binary cannot serve), breaks the pool: retrying
            // would only loop.
            let killed = matches!(exit, Exit::Signal(signal)
                if [libc::SIGKILL, libc::SIGTERM, libc::SIGINT, libc::SIGHUP].contains(&signal));
            let replace = matches!(death, Death::Closed)
                && killed
                && self.startup_failures < MAX_STARTUP_FAILURES;
            if !worker.ready && !stopping_by_force && replace {
                self.startup_failures += 1;
            } else if !worker.ready && !stopping_by_force {
                let reason = match &death {
                    Death::Refused(reason) => reason.clone(),
                    Death::Malformed(what) => {
                        format!("a worker sent a malformed frame during start-up: {what}")
                    }
                    Death::TimedOut | Death::Closed => {
                        let hint = if self.shared.config.initializer.is_some() {
                            " (in or before the initializer)"
                        } else {
                            ""
                        };
                        format!("a worker process exited during start-up{hint} with {exit}")
                    }
                };
                self.break_pool(reason);
            }
            if let Some(call) = head {
                let error = match death {
                    Death::TimedOut => Error::TimedOut,
                    Death::Malformed(what) => Error::Serialization {
                        message: format!(
                            "worker process {} sent a malformed frame ({what}); it was killed and \
                             will be replaced",
                            worker.pid
                        ),
                    },
                    Death::Closed | Death::Refused(_) => Error::WorkerDied(exit),
                };
                call.slot.fail(error);
            }
        }
    }

    /// Closes the socket of idle workers that reached `max_tasks_per_child`; they exit.
    fn retire(&mut self) {
        let mut index = 0;
        while index < self.workers.len() {
            let worker = &self.workers[index];
            if worker.budget == Some(0) && worker.in_flight.is_empty() && worker.death.is_none() {
                let mut worker = self.workers.swap_remove(index);
                let mut state = self.shared.state.lock();
                // A worker out of budget never has its lane open, so nothing was handed.
                let handed = state.forget_worker(worker.pid);
                drop(state);
                debug_assert!(handed.is_none(), "a call handed to a retiring worker");
                drop(handed);
                // Closing our end is the worker's signal to exit.
                let _ = worker.socket.shutdown(std::net::Shutdown::Both);
                worker.reap(Reap::Closing);
                self.start_blocked = false;
            } else {
                index += 1;
            }
        }
    }

    /// Marks the pool broken: pending calls and later submissions fail with `reason`.
    fn break_pool(&mut self, reason: String) {
        let error = Error::Broken { reason };
        let failed: Vec<PendingCall> = {
            let mut state = self.shared.state.lock();
            if !matches!(state.closed, Some(Error::Broken { .. })) {
                state.closed = Some(error.clone());
            }
            state.stopping = true;
            state.pending.drain(..).collect()
        };
        for call in failed {
            call.slot.fail(error.clone());
        }
    }

    fn teardown(mut self) {
        {
            // The pool is closed, so no lane opens again.
            let mut state = self.shared.state.lock();
            for worker in &mut self.workers {
                let handed = state.remove_lane(worker.pid);
                worker.adopt(handed);
            }
            state.direct.clear();
            state.boards.clear();
        }
        for worker in &mut self.workers {
            let _ = worker.socket.shutdown(std::net::Shutdown::Both);
        }
        let workers = std::mem::take(&mut self.workers);
        {
            let mut state = self.shared.state.lock();
            state
                .pids
                .retain(|pid| !workers.iter().any(|w| w.pid == *pid));
        }
        for mut worker in workers {
            worker.reap(Reap::Closing);
            for call in worker.in_flight.drain(..) {
                call.slot.fail(Error::Abandoned);
            }
        }
        let mut state = self.shared.state.lock();
        state.phase = Phase::Finished;
        state.flags.retire();
        state.wake = None;
        drop(state);
        self.shared.finished.notify_all();
    }
}
