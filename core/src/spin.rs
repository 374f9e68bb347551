//! The bounded spin a blocking wait does before it sleeps.

/// Watches `ready` for a few microseconds — about 2 000 `spin_loop` hints, in doubling
/// rounds, roughly the cost of one futex wake-up — and returns `true` as soon as it holds.
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
