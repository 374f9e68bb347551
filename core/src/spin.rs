//! The bounded spin a blocking wait does before it sleeps.

/// Watches `ready` for a bounded time — about 2 000 `spin_loop` hints in doubling rounds,
/// about 50 µs on the 2-vCPU VM (a hint is a `pause`, 25 ns there), which covers waking a
/// sleeping worker and running a short call — and returns `true` as soon as it holds.
///
/// The spin never yields the CPU. Yielding after a few microseconds was tried (stop 8): it
/// did not make `as_completed_10k` measurably faster in `compare`, and it let the caller of a
/// back-to-back `submit(..).result()` fall asleep while the worker's answer was on its way,
/// after which both sides kept waking each other (`round_trip_p50` went from 0.5 µs to 1.3 or
/// 11–18 µs in some runs).
///
/// A wait whose condition comes true within the spin (a pool's short call, handed to an awake
/// worker) then costs no sleep and wake-up of the waiting thread; a longer wait still sleeps
/// and uses no CPU. Under loom there is no spin: loom would explore every round of it, and
/// the models need only the blocking path.
pub(crate) fn spin_until(ready: impl Fn() -> bool) -> bool {
    #[cfg(not(cfut_loom))]
    for round in 1..=10_u32 {
        if ready() {
            return true;
        }
        for _ in 0..1_u32 << round {
            std::hint::spin_loop();
        }
    }
    ready()
}
