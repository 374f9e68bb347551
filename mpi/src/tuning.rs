//! The crate's tunables in one place: what each trades, and how to measure it.
//!
//! Figures come from `mpirun -n 3 target/release/examples/mpi_bench` (1 root + 2 workers,
//! shared memory, Open MPI 4.1, 2 vCPUs); see `mpi/README.md` for the run.

use std::time::Duration;

/// Calls in flight per worker rank by default. More hides the round trip behind the worker's
/// work (the next call is already there when one ends); fewer keeps calls cancellable in
/// the root for longer. Measured with `mpi_bench`: 1 in flight per worker gives about half
/// the calls/s of 8 for tiny unchunked calls.
pub(crate) const DEFAULT_WINDOW: usize = 8;

/// How long a rank polls without sleeping after its last message. A round trip of a tiny
/// call is 5–15 µs, so the answer to a call usually comes within this spin and costs no
/// sleep; idle for longer, the rank backs off.
pub(crate) const SPIN: Duration = Duration::from_micros(200);

/// The shortest sleep after the spin.
pub(crate) const FIRST_SLEEP: Duration = Duration::from_micros(10);

/// A sleep lasts at most 1/8 of the time already spent idle, so a message arriving during it
/// waits at most 12.5% longer than it took to come. (Doubling sleeps, tried first, overshoot
/// by up to 100%: a 1 MiB message or a chunk of a `map` waited for a sleeping root at both
/// ends of its rendezvous transfer, and chunked maps ran at a few hundred thousand calls/s.)
pub(crate) const SLEEP_FRACTION: u32 = 8;

/// The longest sleep between two polls: the most latency an idle rank adds to the next
/// message (mpi4py.futures backs off to the same 1 ms). Idle ranks wake 1000 times a second,
/// each for a few microseconds: well under 1% of a CPU.
pub(crate) const MAX_SLEEP: Duration = Duration::from_millis(1);
