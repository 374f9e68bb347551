//! The bounded spin a blocking wait does before it sleeps.

use crate::tuning::{MANY_SPIN_ROUNDS, MANY_YIELD_ROUNDS, WAIT_SPIN_ROUNDS};

/// Watches `ready` for a bounded time — [`WAIT_SPIN_ROUNDS`] doubling rounds of `spin_loop`
/// hints, about 50 µs, never yielding (`tuning.rs` says what that trades and how it is
/// measured) — and returns `true` as soon as it holds. Waits on many calls use
/// [`spin_then_yield_until`]. Under loom there is no spin: loom would explore every round of
/// it, and the models need only the blocking path.
pub(crate) fn spin_until(ready: impl Fn() -> bool) -> bool {
    spin(ready, WAIT_SPIN_ROUNDS, 0)
}

/// Like [`spin_until`], for a wait on many calls at once (the any-of-N [`Waiter`]):
/// [`MANY_SPIN_ROUNDS`] doubling rounds of `spin_loop` hints (a few microseconds), then
/// [`MANY_YIELD_ROUNDS`] looks separated by `yield_now`, about 50 µs in all (`tuning.rs`
/// says what the yields trade).
///
/// [`Waiter`]: crate::Waiter
pub(crate) fn spin_then_yield_until(ready: impl Fn() -> bool) -> bool {
    spin(ready, MANY_SPIN_ROUNDS, MANY_YIELD_ROUNDS)
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
