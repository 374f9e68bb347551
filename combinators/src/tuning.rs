//! The crate's tunables in one place: what each trades, the figure, and the command that
//! measures it. The code that uses them (`map.rs`, `group.rs`) describes only how they are
//! used. The rows named below are those of
//! `cargo run --release -p cfut-bench --bin compare -- combinators`.

/// The default window of a `map` is this many calls per worker, at least [`MIN_WINDOW`] and
/// at most [`MAX_WINDOW`].
///
/// Trades: large enough that the workers never run dry between two refills (a worker that
/// runs out of calls parks, and waking it costs far more than a small call), and bounded so
/// that an endless input stays cheap. Measured with no-op calls on a 2-worker pool: windows
/// of 256, 2048, 8192 and 32 768 gave about 1.3, 3.2, 5.1 and 5.1 million calls per second.
/// The `map_100k` row measures the default window; the other windows are that row with
/// `.window(NonZeroUsize::new(w).unwrap())` added to its `map`.
pub(crate) const WINDOW_PER_WORKER: usize = 4096;
/// The smallest default window (see [`WINDOW_PER_WORKER`]).
pub(crate) const MIN_WINDOW: usize = 4096;
/// The largest default window (see [`WINDOW_PER_WORKER`]): what an endless input holds in
/// flight at most.
pub(crate) const MAX_WINDOW: usize = 65_536;

/// Automatic grouping: a group holds about this much work, as last measured (calls longer
/// than this go one per job).
///
/// Trades: a group costs its runners' dispatches (one runner per worker, `group.rs`), so
/// larger groups spread that cost over more calls; since a group never serializes calls nor
/// holds back a finished result, its size trades nothing else. 50 µs is a chosen bound, not
/// a tuned one. The `map_100k_grouped` row measures it: about 0.07–0.12 µs of CPU per no-op
/// call (`cpu_us_per_call`) on 2 cores, where single-job chunks took 0.04–0.08 µs (and
/// serialized slow calls).
#[cfg(not(cfut_loom))]
pub(crate) const GROUP_WORK: std::time::Duration = std::time::Duration::from_micros(50);

/// Automatic grouping: the largest group. Trades dispatches saved per call against the calls
/// one group holds back from idle workers until they join its runners; the `map_100k_grouped`
/// row is the one it affects (no figure for other values).
#[cfg(not(cfut_loom))]
pub(crate) const MAX_GROUP: usize = 2048;

/// Before the `map` waits for a call of a group the slow way (a promise the runner
/// completes), it looks again after 1, 2, 4, … 128 `spin_loop` hints (this many rounds, 255
/// hints in all, a few microseconds). Trades: without it, a `map` over tiny calls that
/// catches up with a runner would take the slow way for each call; with it, a `map` that
/// waits for a long call spins those few microseconds first. The `map_100k_grouped` row is
/// the one it affects (not measured apart).
#[cfg(not(cfut_loom))]
pub(crate) const WAIT_SPIN_ROUNDS: u32 = 8;
