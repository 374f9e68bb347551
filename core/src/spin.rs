//! The bounded spin a blocking wait does before it sleeps.

/// Rounds of `spin_loop` hints (2, 4, … 64: 126 in all, a few microseconds).
#[cfg(not(cfut_loom))]
const SPIN_ROUNDS: u32 = 6;
/// Then looks separated by `yield_now`, about 50 µs in all on the 2-vCPU VM (0.5 µs a yield).
#[cfg(not(cfut_loom))]
const YIELD_ROUNDS: u32 = 96;

/// Watches `ready` for about 50 µs — roughly what waking a sleeping worker and running a
/// short call takes — and returns `true` as soon as it holds.
///
/// A wait whose condition comes true within the spin (a pool's short call) then costs no
/// sleep and wake-up of the waiting thread; a longer wait still sleeps and uses no CPU. After
/// a few microseconds of `spin_loop` hints the spin yields the CPU between looks: when the
/// pool's workers outnumber the free cores (two workers and the waiting caller on two cores)
/// a spinning caller would otherwise take the core a worker needs to finish what it waits for
/// (`as_completed_10k` in `compare combinators` went from 1.10× to 0.93× of a channel pool
/// with per-call handles). Under loom there is no spin: loom would explore every round of it,
/// and the models need only the blocking path.
pub(crate) fn spin_until(ready: impl Fn() -> bool) -> bool {
    #[cfg(not(cfut_loom))]
    for round in 1..=SPIN_ROUNDS + YIELD_ROUNDS {
        if ready() {
            return true;
        }
        if round <= SPIN_ROUNDS {
            for _ in 0..1_u32 << round {
                std::hint::spin_loop();
            }
        } else {
            crate::loom::thread::yield_now();
        }
    }
    ready()
}
