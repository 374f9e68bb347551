//! The bounded spin a blocking wait does before it sleeps.

/// Watches `ready` for a bounded time — about 2 000 `spin_loop` hints in doubling rounds,
/// about 50 µs on the 2-vCPU VM (a hint is a `pause`, 25 ns there), which covers waking a
/// sleeping worker and running a short call — and returns `true` as soon as it holds.
///
/// The spin never yields the CPU: with yields after a few microseconds (stop 8), the caller
/// of a back-to-back `submit(..).result()` fell asleep more often while the worker's answer
/// was on its way, after which both sides kept waking each other (`round_trip_p50` went from
/// 0.5 µs to 1.3 or 11–18 µs in some runs). Waits on many calls use
/// [`spin_then_yield_until`].
///
/// A wait whose condition comes true within the spin (a pool's short call, handed to an awake
/// worker) then costs no sleep and wake-up of the waiting thread; a longer wait still sleeps
/// and uses no CPU. Under loom there is no spin: loom would explore every round of it, and
/// the models need only the blocking path.
pub(crate) fn spin_until(ready: impl Fn() -> bool) -> bool {
    spin(ready, 10, 0)
}

/// Like [`spin_until`], for a wait on many calls at once (the any-of-N [`Waiter`]): a few
/// microseconds of `spin_loop` hints (126), then looks separated by `yield_now`, about 50 µs
/// in all.
///
/// Such a wait usually has calls queued behind it. When the caller and the workers share the
/// CPUs (two workers and the caller on two cores, or one core), a caller spinning with hints
/// holds a core that a worker needs to finish what it waits for, while a yield hands it over.
/// Measured with `cargo run --release -p cfut-bench --bin compare -- combinators --runs 9`
/// (five alternating runs of each build):
/// `as_completed_10k` over the channel pool's, median 0.99 with the yields against 1.09
/// without. A single future's wait ([`spin_until`]) does not yield: that is a round trip,
/// and with yields there `round_trip_p50` went from 0.5 µs to 1.3–18 µs in some runs.
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
