//! The crate's tunables in one place: what each trades, the figure, and the command that
//! measures it. The code that uses them (`spin.rs`) describes only how they are used.

/// A blocking wait on one future (`result()`, `wait()`) spins this many doubling rounds of
/// `spin_loop` hints before it sleeps: 2 + 4 + … + 1 024 = 2 046 hints; a hint is a `pause`
/// of about 26 ns on an AMD EPYC, so about 50 µs, which covers waking a sleeping worker and
/// running a short call.
///
/// Trades: a wait that ends within the spin (a short call handed to an awake worker) costs
/// no sleep and wake-up of the waiting thread, which is most of a round trip; a longer wait
/// pays up to 50 µs of CPU before it sleeps (bounded by `cargo test -p cfut-core --test
/// future_behaviour a_long_wait_spins_at_most_briefly`). The spin never yields: with a yield
/// after a few microseconds, back-to-back `submit(..).result()` callers fell asleep while the
/// answer was on its way and `round_trip_p50` rose from 0.5 µs to 1.3–18 µs in some runs
/// (`cargo run --release -p cfut-bench --bin compare -- threads`).
///
/// Not spent on a call the executor marked as waiting for a thread start
/// (`Job::hint_thread_start`): there the spin held the CPU on which the kernel had queued the
/// new worker, which started only after it. `startup_shutdown` (same command, `--runs 3`),
/// cfut ÷ the best Rust peer over 23 alternating pairs of runs: median 1.43 with the spin,
/// 1.16 without it. Round trips are never marked after start-up, so their spin is kept.
pub(crate) const WAIT_SPIN_ROUNDS: u32 = 10;

/// A wait on many calls at once (the any-of-N [`Waiter`]) first spins this many doubling
/// rounds of `spin_loop` hints (2 + 4 + … + 64 = 126, a few microseconds), then yields
/// [`MANY_YIELD_ROUNDS`] times, about 50 µs in all, before it sleeps.
///
/// Trades: such a wait usually has calls queued behind it, and when the caller and the
/// workers share the CPUs a caller spinning with hints holds a core a worker needs, while a
/// yield hands it over: `as_completed_10k` over the channel pool's, median 0.99 with the
/// yields against 1.09 without, over five alternating runs of
/// `cargo run --release -p cfut-bench --bin compare -- combinators --runs 9` on 2 cores.
///
/// [`Waiter`]: crate::Waiter
pub(crate) const MANY_SPIN_ROUNDS: u32 = 6;

/// A wait on many calls looks again after each of this many `yield_now` calls, once its
/// [`MANY_SPIN_ROUNDS`] are spent, before it sleeps. Trades and measurement: see
/// [`MANY_SPIN_ROUNDS`] (`as_completed_10k`, 0.99 with the yields against 1.09 without).
pub(crate) const MANY_YIELD_ROUNDS: u32 = 96;

/// `Spawn::spawn_all` hands its calls to the executor this many at a time, its jobs and
/// futures kept on the stack (a kilobyte each). Trades: one admission and round of wake-ups
/// per batch (`JobExecutor::execute_all`) against stack space; a `map` without grouping
/// submits a few hundred calls at once, so a few batches each. Chosen, not tuned: the
/// per-batch costs are a few atomic operations, under 1 % of the samples of `perf record` of
/// `map_100k` (`cargo run --release -p cfut-bench --bin compare -- combinators`) at this
/// size.
pub(crate) const SPAWN_ALL_BATCH: usize = 64;
