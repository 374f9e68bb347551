//! The crate's tunables in one place: what each trades, the figure, and the command that
//! measures it. The code that uses them (`manager.rs`, `worker.rs`, `wire.rs`) describes only
//! how they are used. The rows named below are those of
//! `cargo run --release -p cfut-bench --bin compare -- processes`; a figure "per value" comes
//! from one build of that binary per value of the constant (edit it, then
//! `cargo build --release -p cfut-bench && target/release/compare processes --runs 3`),
//! medians of 3 runs, 2 worker processes on 2 cores. One run per value carries the noise of
//! its whole run (the same build's figure moves up to 2× between runs): read only
//! differences of 2× or more.

use std::time::Duration;

/// At most this many calls are queued in one worker at saturation (pipelining depth).
///
/// Trades: deeper queues let many tiny calls travel in one `send`/`recv` (fewer system calls
/// per call); each queued call waits behind the ones before it (it stays cancellable through
/// the cancel board, `board.rs`, which has a cell for each of them), and a worker's death fails
/// only the call it runs but sends the queued ones back. Per value (1, 8, 32, 128):
/// `proc_submit_result` 22.6, 6.1, 3.0, 2.4–2.5 µs/call; `proc_as_completed_10k` 297, 38, 28,
/// 26–52 ms. Deeper than 32 gains little; 128 is kept (no row got worse).
pub(crate) const MAX_DEPTH: usize = 128;

/// Workers get more than one call at a time only while calls take less than this on average
/// (as the workers measure them).
///
/// Trades: below it the round trip dominates and batching pays, while a queued call would
/// wait only briefly; longer calls are handed out one at a time, so they go to whichever
/// worker frees up first. Per value (zero = never batch, 100 µs, 1 ms, 10 ms):
/// `proc_submit_result` 19.2, 2.6, 2.4–2.5, 2.9 µs/call; `proc_as_completed_10k` 155, 24, 26–52,
/// 23 ms. Those rows' calls are no-ops, under every threshold but zero, so they show only that
/// batching pays; which side of 1 ms calls of 0.1–10 ms fall on is not measured by any row.
pub(crate) const PIPELINE_BELOW: Duration = Duration::from_millis(1);

/// The running average of call times that [`PIPELINE_BELOW`] is compared with gives the
/// newest sample a weight of 1 in this many. Trades: a larger weight steadies the decision
/// against one odd call, a smaller one follows a change of workload sooner. Per value (1, 8,
/// 64): `proc_submit_result` 2.9, 2.4–2.5, 2.4 µs/call; `proc_as_completed_10k` 37, 26–52, 32
/// ms: no difference above the noise (those rows never change workload).
pub(crate) const AVERAGE_WEIGHT: u32 = 8;

/// The initial capacity of a buffer of outgoing frames (the parent's per worker, the
/// worker's own) and of a frame inbox (capped by the frame limit), and the most an inbox
/// reads past the frame it is completing (so that the bytes of a `BLOCK` frame behind it go
/// to the block's own allocation, not through the inbox). Trades memory held per worker and
/// bytes per `recv` of many small frames against reallocations while the first large frames
/// are written or read. Per value (4 KiB, 64 KiB, 1 MiB), in a sweep made before big buffers
/// became blocks (the rows of small frames do not carry blocks): `proc_submit_result` 2.3,
/// 2.4–2.5, 4.8 µs/call; `proc_map_chunked` 39, 13–27, 32 M calls/s: no difference above the
/// noise.
pub(crate) const BUFFER: usize = 64 * 1024;

/// An argument or result that is a plain buffer (`Vec<u8>`, `Vec<f64>`, `String`, ...; see
/// `raw.rs`) of at least this many bytes travels as a `BLOCK` frame: written from the
/// value's own memory and received into the receiving value's memory, with no encoding and
/// no copy in user space. Smaller ones are encoded in their frame (one copy into it, one out
/// of the receive buffer), which costs less than the extra frame for small values and keeps
/// the receive buffer at its usual size.
///
/// Trades the block's extra header and `sendmsg` pieces against two copies of the value in
/// each direction. Per value (16 KiB, 64 KiB, 256 KiB, never; one build per value, two runs of
/// `cargo run --release -p cfut-processes --example big_payloads -- 100`, `Vec<u8>` echo, ms):
/// at 64 KiB 0.069–0.117, 0.064–0.070, 0.070–0.088, 0.071–0.129; at 256 KiB 0.139–0.222,
/// 0.133–0.136, 0.114–0.203, 0.161–0.223; at 1 MiB 0.38–0.45, 0.37–0.42, 0.36–0.40, 1.46–1.51.
/// Where the threshold sits between 16 and 256 KiB makes no difference above the noise;
/// having none costs 3.5× at 1 MiB. The rows of `compare -- processes` it affects are
/// `proc_echo_1mib` and `proc_echo_16mib` (both above it).
pub(crate) const BLOCK_FROM: usize = 64 * 1024;

/// A worker whose socket closed is given this long, first, to become reapable before the
/// manager looks again; the pause doubles up to [`REAP_MAX_PAUSE`]. Trades the delay before
/// a dead worker is buried (and its call failed, its replacement started) against the
/// manager's wake-ups while the process exits. Measured with `cargo run --release -p
/// cfut-processes --example worker_death` (from a call's `exit` to its `WorkerDied`), two
/// runs per value (2 µs, 20 µs, 200 µs, 2 ms): p50 403–416, 412–414, 598–613, 1 321–2 423 µs
/// (a process's exit itself takes about 0.4 ms here, so below 20 µs nothing is gained).
pub(crate) const REAP_FIRST_PAUSE: Duration = Duration::from_micros(20);

/// The longest pause between two looks at an exiting worker (see [`REAP_FIRST_PAUSE`]).
pub(crate) const REAP_MAX_PAUSE: Duration = Duration::from_millis(10);

/// An exiting worker that is still not reapable after this long is killed: it closed its
/// socket but lives on. Trades how long a misbehaving worker may hold the manager against
/// giving a slow exit (a large process tearing down) time to finish.
pub(crate) const REAP_GIVE_UP: Duration = Duration::from_secs(2);

/// A worker that has sent its results and has no call left polls its socket this long
/// (yielding the CPU, then receiving without blocking, until something arrives) before it
/// sleeps, if its last call came to it idle (not sent ahead; `worker.rs`,
/// `Worker::receive_next`).
///
/// Trades a worker's CPU after such a call (at most this much per pause in the calls) against
/// the cost of waking it: for a sleeping worker the kernel must bring an idle CPU back, which
/// on a virtual machine takes 10–30 µs, more than the rest of a call. Per value (zero, 20 µs,
/// 50 µs, 200 µs; two runs of `cargo run --release -p cfut-processes --example round_trip`):
/// round trip p50 36.9/35.4, 7.8/7.3, 7.2/7.6, 7.1/7.3 µs. Polling after calls sent ahead as
/// well took the CPU the parent needed to read results and send more: that example's "calls
/// in flight" went from 1.31–1.36 to 2.02–2.29 µs per call (four alternating runs), and is
/// back at 1.33–1.47 against 1.38–1.56 with polling after idle calls only. 20 µs already
/// covers a caller's next call in a loop; 50 µs also covers a little work between calls.
/// Beside 2 busy loops on the 2 CPUs (three alternating runs of the example, against the
/// build without polling): round trip p50 29–31 against 36–37 µs; beside 4 (two runs),
/// 30–31 against 30–31 µs, p90 45–82 against 37–39 µs (a yielding poll still takes turns
/// on the CPU).
///
/// The first yield comes before the first receive: the manager, woken by the result just
/// sent, is then scheduled on this CPU at once (`perf sched timehist` showed it waiting 5–9
/// µs for this worker's first receive and yield, on a VM whose system calls cost a few
/// microseconds and whose pipe floor is 10.7–11.8 µs). The round trip there is bimodal,
/// about 19 or about 33 µs, and this makes the fast mode the usual one: against receiving
/// first, `compare -- processes --runs 3` (four alternating pairs) gave `proc_round_trip_p50`
/// 18.7, 18.7, 19.5, 20.2 against 32.9, 33.7, 19.5, 36.0 µs, the other rows unchanged within
/// their noise, and ten alternating pairs of the example above gave a p50 of 18.0–20.2 µs in
/// eight runs and 29–35 µs in two, against 15.9–20.3 µs in five and 29–35 µs in five. Under
/// load it costs something (the example above, alternating runs
/// against receiving first): beside 2 busy loops on the 2 CPUs, round trip p50 77–83 against
/// 75–96 µs (three runs each); beside 4 (nine runs each), p50 101–138 µs in seven runs and
/// 3.8–3.9 ms in two, against 78–102 µs, and p90 4.0–8.0 against 3.9–4.0 ms. A yield under
/// the kernel's EEVDF scheduler queues the worker behind every other runnable task, and busy
/// loops run for milliseconds; the unloaded round trip is the common case, so the order
/// stays.
pub(crate) const WORKER_SPIN: Duration = Duration::from_micros(50);

/// The bytes of a worker's result ring (`ring.rs`): the frames a worker can hand over through
/// shared memory before the parent takes them. Frames that do not fit go through the socket.
///
/// Trades shared memory per worker against how many results of tiny calls can wait for a
/// busy parent without a system call: a small value's `RESULT` and the next call's `STARTED`
/// take about 35 bytes, so 64 KiB hold more than a thousand calls, several times the deepest
/// queue of calls sent ahead ([`MAX_DEPTH`]); a full ring sends frames through the socket
/// after waiting for the parent to empty it. Per value (zero, i.e. no ring; 4 KiB; 64 KiB;
/// 1 MiB), three runs each of `cargo run --release -p cfut-processes --example round_trip`,
/// "20 000 calls in flight": 2.62–3.46, 1.84–4.15, 1.25–2.27, 1.77–2.55 µs per call; its round
/// trip (one call at a time, whose result wakes the sleeping parent with a `NUDGE` through
/// the socket either way) stays bimodal at 18–20 or 29–36 µs with each value.
pub(crate) const RING: usize = 64 * 1024;
