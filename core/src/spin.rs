//! The bounded spin a blocking wait does before it sleeps.

/// Watches `ready` for a bounded time — 10 doubling rounds of `spin_loop` hints, 2 046 in
/// all; a hint is a `pause` of about 26 ns on an AMD EPYC, so about 50 µs, which covers
/// waking a sleeping worker and running a short call — and returns `true` as soon as it holds.
///
/// Trade-off: a wait that ends within the spin (a short call handed to an awake worker) costs
/// no sleep and wake-up of the waiting thread, which is most of a round trip; a longer wait
/// pays up to 50 µs of CPU before it sleeps (bounded by `a_long_wait_spins_at_most_briefly` in
/// `core/tests/future_behaviour.rs`). The spin never yields: with a yield after a few
/// microseconds, back-to-back `submit(..).result()` callers fell asleep while the answer was
/// on its way and `round_trip_p50` rose from 0.5 µs to 1.3–18 µs in some runs
/// (`cargo run --release -p cfut-bench --bin compare -- threads`). Waits on many calls use
/// [`spin_then_yield_until`]. Under loom there is no spin: loom would explore every round of
/// it, and the models need only the blocking path.
pub(crate) fn spin_until(ready: impl Fn() -> bool) -> bool {
    spin(ready, 10, 0)
}

/// Like [`spin_until`], for a wait on many calls at once (the any-of-N [`Waiter`]): 6
/// doubling rounds of `spin_loop` hints (126, a few microseconds), then 96 looks separated by
/// `yield_now`, about 50 µs in all.
///
/// Trade-off: such a wait usually has calls queued behind it, and when the caller and the
/// workers share the CPUs a caller spinning with hints holds a core a worker needs, while a
/// yield hands it over: `as_completed_10k` over the channel pool's, median 0.99 with the
/// yields against 1.09 without, over five alternating runs of
/// `cargo run --release -p cfut-bench --bin compare -- combinators --runs 9` on 2 cores.
///
/// [`Waiter`]: crate::Waiter
pub(crate) fn spin_then_yield_until(ready: impl Fn() -> bool) -> bool {
    spin(ready, 6, 96)
}

/// Looks at `ready` after each of `spin_rounds` rounds of 2, 4, 8, … `spin_loop` hints, then
/// after each of `yield_rounds` yields of the CPU; `true` as soon as it holds. Under loom it
/// only looks once.
fn spin(ready: impl Fn() -> bool, spin_rounds: u32, yield_rounds: u32) -> bool {
    #[cfg(not(cfut_loom))]
    for round in 1..=spin_rounds + yield_rounds {
        if ready() {
            return true;
        }
        if round <= spin_rounds {
            for _ in 0..1_u32 << round {
                std::hint::spin_loop();
            }
        } else {
            crate::loom::thread::yield_now();
        }
    }
    #[cfg(cfut_loom)]
    let _ = (spin_rounds, yield_rounds);
    ready()
}
