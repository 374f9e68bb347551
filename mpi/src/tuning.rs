//! The crate's tunables in one place: what each trades, and how to measure it.
//!
//! The command that measures them: `cargo build --release -p cfut-mpi --examples`, then
//! `cargo run --release -p cfut-bench --bin compare -- mpi`, which runs the driver
//! `target/release/examples/mpi_bench` (it launches `mpi_bench cfut` under `mpirun -n 3`,
//! 1 root + 2 workers, among its runs) and prints the rows named below. The figures below
//! are from shared memory, Open MPI 4.1, 2 cores; `mpi/README.md` shows a full run.

use std::time::Duration;

/// Calls in flight per worker rank by default. More hides the round trip behind the worker's
/// work (the next call is already there when one ends); fewer keeps calls cancellable in
/// the root for longer. Measured (`mpirun -n 3 target/release/examples/mpi_bench cfut --runs
/// 1 --window W`, three alternating runs): `mpi_submit_result` 16.7–20.2 µs/call with W = 1,
/// 3.3–4.3 µs with W = 8.
pub(crate) const DEFAULT_WINDOW: usize = 8;

/// How long a rank polls without sleeping after its last message. Trades a rank's CPU while
/// it waits against the latency of a sleep: a round trip of a tiny call takes 12–13 µs
/// (`mpi_round_trip_p50_polled` of `compare -- mpi`), so the answer to a call, and a
/// caller's next call, usually come within this spin and cost no sleep; idle for longer, the
/// rank backs off (`mpi_idle_cpu_pct` measures what idling costs). Per value (one build of
/// the examples and of `compare` per value, `compare mpi --runs 3`): with 50 µs,
/// `mpi_round_trip_p50` 353 µs and `mpi_submit_result` 12.4 µs/call, against 6.85 µs and 1.70
/// µs with 200 µs (idle CPU 4 and 3 % of a core): below the round trip's own length, every
/// answer waits for a sleep.
pub(crate) const SPIN: Duration = Duration::from_micros(200);

/// The shortest sleep after the spin: a floor on `idle / SLEEP_FRACTION`. Trades the latency
/// a message arriving during an early sleep pays against the wake-ups of a rank that just
/// went idle. With [`SPIN`] at 200 µs a sleep starts at 200 µs / [`SLEEP_FRACTION`] = 25 µs,
/// so this floor binds only if [`SPIN`] drops below 80 µs. With [`SPIN`] at 50 µs (where it
/// binds; one build per value, `compare mpi --runs 3`): 10 µs against 50 µs gave
/// `mpi_round_trip_p50` 353 and 385 µs, `mpi_bytes_1mib` 0.49 and 1.10 ms.
pub(crate) const FIRST_SLEEP: Duration = Duration::from_micros(10);

/// A sleep lasts at most 1/8 of the time already spent idle, so a message arriving during it
/// waits at most 12.5% longer than it took to come. Doubling sleeps instead overshoot by up
/// to 100%, and a message above MPI's eager limit (a 1 MiB buffer, a chunk of a `map`)
/// waits for the sleeping side at each step of its rendezvous. In `compare -- mpi` runs under
/// shifting load (average 4–14), `mpi_map_chunked` was 0.8–4.5 M calls/s and
/// `mpi_bytes_1mib` 2.9–11 ms with doubling sleeps, 2.3–6.7 M and 0.96–1.8 ms with this
/// bound (together with results sent without waiting for the root).
pub(crate) const SLEEP_FRACTION: u32 = 8;

/// The longest sleep between two polls during the first [`DEEP_AFTER`] of idleness: the most
/// latency a rank idle for less than that adds to the next message (mpi4py.futures backs off
/// to the same 1 ms). The manager, which a driving thread's submissions do not wake
/// ([`MpiPoolExecutor::drive_here`](crate::MpiPoolExecutor::drive_here)), naps for at most
/// this while calls are in flight or until it has been idle for [`DORMANT_AFTER`] (so a call
/// nobody waits for is answered within this).
pub(crate) const MAX_SLEEP: Duration = Duration::from_millis(1);

/// How long a rank polls with sleeps of at most [`MAX_SLEEP`] once idle: past this, its
/// sleeps are 1/[`DEEP_SLEEP_FRACTION`] of the time idle (the first is `MAX_SLEEP` again),
/// up to [`MAX_DEEP_SLEEP`]. Trades the idle CPU of the worker ranks (each wake-up is a
/// system call, a context switch and an MPI probe: about 20 µs of CPU here, so 2 % of a core
/// per rank at 1 000 wake-ups a second) against the latency of the first call after a pause:
/// at most 1 % of the pause, and at most `MAX_SLEEP` for pauses below this.
pub(crate) const DEEP_AFTER: Duration = Duration::from_millis(100);

/// See [`DEEP_AFTER`]: a rank idle for that long sleeps at most this fraction of the time it
/// has been idle.
pub(crate) const DEEP_SLEEP_FRACTION: u32 = 100;

/// The longest sleep of a rank idle for long (reached after 5 s idle): the most latency it
/// adds to the next message, 20 wake-ups a second.
pub(crate) const MAX_DEEP_SLEEP: Duration = Duration::from_millis(50);

/// How long the manager keeps its bounded naps ([`MAX_SLEEP`]) once nothing is in flight and
/// nobody drives; after that it sleeps without a time limit and every submission, quiet or
/// not, wakes it (`Waiting::Dormant` in `inbox.rs`). Trades the root's idle CPU against one
/// wake-up (a futex call, a few µs) paid by the first call after each pause this long: round
/// trips and maps never pause that long between calls. Measured (`/proc/<pid>/schedstat` of
/// every thread over seconds 2–5 of an idle pool, 3 ranks): the manager thread used 2 % of a
/// core napping, nothing dormant.
pub(crate) const DORMANT_AFTER: Duration = Duration::from_millis(100);

/// The initial capacity of a worker rank's buffer of outgoing results and of its buffer of
/// incoming frames. Trades memory held per rank against reallocations while the first large
/// frames are written or read. Per value (4 KiB, 64 KiB, 1 MiB; one build per value,
/// `compare mpi --runs 3`): `mpi_submit_result` 1.58, 1.70, 1.16 µs/call, `mpi_bytes_1mib`
/// 0.194, 0.190, 0.240 ms (big buffers travel beside their frames, not through it): no
/// difference above the noise.
pub(crate) const BUFFER: usize = 64 * 1024;

/// How much longer than [`SPIN`] a driving thread polls for the result while calls carrying
/// blocks are in flight, per byte of those blocks: 2 ns (1 MiB: 2.1 ms), time for the block
/// to cross there and back at 1 GB/s. Polling through the transfer, as the floor's blocking
/// receive does, instead of handing the wait to the manager's back-off after `SPIN`: a 1 MiB
/// echo (a throw-away example, 300 echoes, p50 per launch, 6 alternating launches, load 2-3)
/// took 0.27-0.39 ms against 0.62-1.0 ms; sleeping between those polls instead of yielding
/// took 0.64-0.78 ms. Trades the caller's core (polling, with Open MPI's yields) for up to
/// this long against the latency of a sleeping hand-over; a call that runs longer than its
/// transfer is handed over as any other.
pub(crate) const BLOCK_POLL_PER_BYTE: Duration = Duration::from_nanos(2);

/// How long the root's thread inside [`run`](crate::run), about to drive while it waits for
/// a result (`waiting.rs`), yields to the manager holding the seat before it leaves the
/// wait to the manager and to the future's own spin and sleep. Not a tunable but a bound:
/// the manager holds the seat for one step (microseconds), then sees the waiting thread
/// and stands aside, so the wait for the seat ends long before this in practice; the bound
/// only keeps a manager stuck in a long step (a done-callback that blocks) from holding the
/// waiter in a yield loop.
pub(crate) const SEAT_WAIT: Duration = Duration::from_micros(200);
