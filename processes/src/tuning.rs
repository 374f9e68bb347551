//! The crate's tunables in one place: what each trades, the figure, and the command that
//! measures it. The code that uses them (`manager.rs`, `worker.rs`, `wire.rs`) describes only
//! how they are used. The rows named below are those of
//! `cargo run --release -p cfut-bench --bin compare -- processes`.

use std::time::Duration;

/// At most this many calls are queued in one worker at saturation (pipelining depth).
///
/// Trades: deeper queues let many tiny calls travel in one `send`/`recv` (fewer system calls
/// per call); each queued call waits behind the ones before it (it stays cancellable through
/// the cancel board, `board.rs`, which has a cell for each of them), and a worker's death fails
/// only the call it runs but sends the queued ones back. The rows it affects are `proc_map_chunked` and `proc_as_completed_10k` (no
/// figure recorded for other depths).
pub(crate) const MAX_DEPTH: usize = 128;

/// Workers get more than one call at a time only while calls take less than this on average
/// (as the workers measure them).
///
/// Trades: below it the round trip dominates and batching pays, while a queued call would
/// wait only briefly; longer calls are handed out one at a time, so they go to whichever
/// worker frees up first. The rows it affects are
/// `proc_as_completed_10k` and `proc_map_chunked` (no figure recorded for other thresholds).
pub(crate) const PIPELINE_BELOW: Duration = Duration::from_millis(1);

/// The running average of call times that [`PIPELINE_BELOW`] is compared with gives the
/// newest sample a weight of 1 in this many. Trades: a larger weight steadies the decision
/// against one odd call, a smaller one follows a change of workload sooner. No figure
/// recorded; `proc_as_completed_10k` is the row that depends on it.
pub(crate) const AVERAGE_WEIGHT: u32 = 8;

/// The initial capacity of a buffer of outgoing frames (the parent's per worker, the
/// worker's own) and of a frame inbox (capped by the frame limit), and the most an inbox
/// reads past the frame it is completing (so that the bytes of a `BLOCK` frame behind it go
/// to the block's own allocation, not through the inbox). Trades memory held per worker and
/// bytes per `recv` of many small frames against reallocations while the first large frames
/// are written or read; no figure recorded (`proc_submit_result` and `proc_map_chunked` are
/// the rows of many small frames).
pub(crate) const BUFFER: usize = 64 * 1024;

/// An argument or result that is a plain buffer (`Vec<u8>`, `Vec<f64>`, `String`, ...; see
/// `raw.rs`) of at least this many bytes travels as a `BLOCK` frame: written from the
/// value's own memory and received into the receiving value's memory, with no encoding and
/// no copy in user space. Smaller ones are encoded in their frame (one copy into it, one out
/// of the receive buffer), which costs less than the extra frame for small values and keeps
/// the receive buffer at its usual size.
///
/// Trades the block's extra header and `sendmsg` pieces against two copies of the value in
/// each direction. The rows it affects are `proc_echo_1mib` and `proc_echo_16mib` of
/// `compare -- processes` (both above it).
pub(crate) const BLOCK_FROM: usize = 64 * 1024;

/// A worker whose socket closed is given this long, first, to become reapable before the
/// manager looks again; the pause doubles up to [`REAP_MAX_PAUSE`]. Trades the delay before
/// a dead worker is buried (and its call failed, its replacement started) against the
/// manager's wake-ups while the process exits. No figure recorded; `cargo test -p
/// cfut-processes --test pool_faults` exercises the deaths (`exit_fails_only_that_call`).
pub(crate) const REAP_FIRST_PAUSE: Duration = Duration::from_micros(20);

/// The longest pause between two looks at an exiting worker (see [`REAP_FIRST_PAUSE`]).
pub(crate) const REAP_MAX_PAUSE: Duration = Duration::from_millis(10);

/// An exiting worker that is still not reapable after this long is killed: it closed its
/// socket but lives on. Trades how long a misbehaving worker may hold the manager against
/// giving a slow exit (a large process tearing down) time to finish.
pub(crate) const REAP_GIVE_UP: Duration = Duration::from_secs(2);
