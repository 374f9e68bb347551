//! The crate's tunables in one place: what each trades, the figure, and the command that
//! measures it. The code that uses them (`sleep/mod.rs`) describes only how they are used.

/// How many times an idle worker looks for work before it sleeps: rounds 0..[`SPIN_ONLY`]
/// spin on the CPU, later rounds yield the CPU between looks.
///
/// Trades: a worker that is still awake when the next call comes takes it without a futex
/// wake-up; a worker that finds nothing burns CPU for all these rounds before it sleeps. A
/// caller blocked in `result()` needs several microseconds (6–13 µs under load) to wake up
/// and submit its next call, so the search outlasts that. `cargo run --release -p cfut-bench
/// --bin compare -- threads` measures both sides: `round_trip_p50` and `submit_result` what
/// the search buys, `idle_cpu_pct` that it leaves no measurable idle burn.
#[cfg(not(cfut_loom))]
pub(crate) const SEARCH_ROUNDS: u32 = 24;
/// Under loom: one look, then sleep (spinning only multiplies the explored interleavings).
#[cfg(cfut_loom)]
pub(crate) const SEARCH_ROUNDS: u32 = 1;

/// The first this many rounds of an idle worker's search spin, 2^round `spin_loop` hints each
/// (127 in all); the rest of its [`SEARCH_ROUNDS`] yield the CPU. Trades: spinning answers
/// fastest, yielding hands the core to a thread that has work (the caller, say). Measured
/// with [`SEARCH_ROUNDS`]: `round_trip_p50` and `idle_cpu_pct` in `cargo run --release -p
/// cfut-bench --bin compare -- threads`.
pub(crate) const SPIN_ONLY: u32 = 7;
