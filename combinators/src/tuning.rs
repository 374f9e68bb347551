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

/// A `map` without grouping (`chunksize(1)`, or eager) hands its calls to the executor this
/// many at a time ([`JobExecutor::execute_all`]): on the thread pool, one admission and one
/// round of wake-ups per batch instead of per call. Each call is still its own job and
/// future. Trades: per-call overhead against how long the first calls of a batch wait for
/// the sleeping workers to be woken (until the batch is queued). Chosen, not tuned: 64, 256
/// and 1024 gave 4.2–5.7, 4.0–4.7 and 4.6–5.4 M calls/s for a `map` of 100 000 no-op calls
/// with `chunksize(1)` on 2 workers (three alternating runs each, 15 maps per run, on a
/// loaded 2-core machine): no difference above the noise. `map_100k` of `cargo run
/// --release -p cfut-bench --bin compare -- combinators --runs 3` measures the whole.
///
/// [`JobExecutor::execute_all`]: cfut_core::JobExecutor::execute_all
pub(crate) const SUBMIT_BATCH: usize = 256;

/// Automatic grouping: a group holds about this much work, as measured (calls longer than
/// this go one per job).
///
/// Trades: a group costs its runners' dispatches (one runner per worker, `group.rs`), so
/// larger groups spread that cost over more calls; since a group never serializes calls nor
/// holds back a finished result, its size trades nothing else. 50 µs is a chosen bound, not
/// a tuned one: no-op calls measure 20–40 ns, so their groups reach [`MAX_GROUP`]. The
/// `map_100k_grouped` row of `compare -- combinators --runs 5` measures the whole: 0.015–0.029
/// µs of CPU per no-op call on 2 cores, where the previous design (a mutex per call, an outbox
/// per runner, groups of at most 256) took 0.07–0.20 µs (three alternating runs each).
#[cfg(not(cfut_loom))]
pub(crate) const GROUP_WORK: std::time::Duration = std::time::Duration::from_micros(50);

/// Automatic grouping: a group's runner takes the calls nobody took yet in blocks from the
/// front (`group/ranges.rs`), each holding about this much work as measured (the `map`'s
/// latest timing at first, none before the first timing, then the runner's own calls so
/// far; at most twice the last block).
///
/// Trades: the calls of a block start in order on one runner (an idle runner steals its
/// front half), and a block costs one lock. Calls slower than this go one per block, so they
/// start in input order, as one job per call would start them; tiny calls reach blocks of a
/// few hundred. Chosen, not tuned: a fifth of [`GROUP_WORK`], so that a group's calls are
/// spread over several blocks per runner. `cpu_hash_files` of `compare -- workloads --runs 3`
/// measures the order (its two largest files are its second and third);
/// `map_100k_grouped` of `compare -- combinators --runs 3` the locks.
#[cfg(not(cfut_loom))]
pub(crate) const BLOCK_WORK: std::time::Duration = std::time::Duration::from_micros(10);

/// Automatic grouping: the largest group, also the size of every group until the first
/// timing comes back. Trades: dispatches (one runner job per worker and group) and one
/// allocation per group, against memory (a slot per call: the larger of the argument and
/// the outcome, plus a state byte; 24 bytes for `usize` in and out, 48 KiB per group) and
/// how many calls the `map` submits at once. Every worker joins every group, so the size
/// costs no parallelism. On 2 workers a `map` of 100 000 no-op calls takes about 100 runner
/// jobs with it. Per value (256, 2048, 8192; one build of `compare` per value, `compare
/// combinators --runs 5`), `map_100k_grouped`: 85, 57–115, 122 M calls/s, 0.023, 0.016–0.030,
/// 0.015 µs of CPU per call: no difference of 2×, so the middle value stays.
#[cfg(not(cfut_loom))]
pub(crate) const MAX_GROUP: usize = 2048;

/// Before the `map` waits for a call of a group the slow way (a promise the runner
/// completes), it looks again (while calls are shorter than [`WAIT_SPIN_BELOW`]) after 1,
/// 2, 4, … 128 `spin_loop` hints (this many rounds, 255
/// hints in all, a few microseconds), then after each of [`WAIT_YIELD_ROUNDS`] yields.
/// Trades: without it, a `map` over tiny calls that catches up with a runner would take the
/// slow way for each call (a promise, and a futex wake-up on the runner's side); with it, a
/// `map` that waits for a long call spins those few microseconds first. Per value (0, 8, 12
/// rounds; one build of `compare` per value, `compare combinators --runs 5`),
/// `map_100k_grouped`: 101, 57–115, 53 M calls/s, 0.018, 0.016–0.030, 0.016 µs of CPU per
/// call: no difference above the noise (the yields after it do the work).
#[cfg(not(cfut_loom))]
pub(crate) const WAIT_SPIN_ROUNDS: u32 = 8;

/// After [`WAIT_SPIN_ROUNDS`], the `map` looks again after each of this many `yield_now`
/// calls before it waits the slow way. Trades: where the workers and the `map`'s thread
/// share the cores, a `map` that spins holds a core a runner needs to get ahead, while a
/// yield hands it over; a `map` waiting for a long call yields this many times more before
/// it sleeps. `map_100k_grouped`, cfut's median of `compare -- combinators --runs 9` on 2
/// cores, three alternating runs each: 67, 64, 136 M calls/s with 32
/// yields against 18, 21, 128 M calls/s without.
#[cfg(not(cfut_loom))]
pub(crate) const WAIT_YIELD_ROUNDS: u32 = 32;

/// The `map` spins and yields ([`WAIT_SPIN_ROUNDS`], [`WAIT_YIELD_ROUNDS`]) before it waits
/// for a call of a group the slow way only while the calls measure shorter than this (all of
/// it takes a few tens of microseconds). Trades: CPU burnt waiting for long calls against a
/// slow wait for a call that was about to finish. Chosen, not tuned: `io_heavy_tail` of
/// `compare -- workloads --runs 3` (sleeps of 0.2 ms and more) gave cfut 10.3 and 12.0 µs of
/// CPU per call with it, 10.9 without (most of that is the core future's own spin before it
/// sleeps, once per wait of the `map`).
#[cfg(not(cfut_loom))]
pub(crate) const WAIT_SPIN_BELOW: std::time::Duration = std::time::Duration::from_micros(10);
