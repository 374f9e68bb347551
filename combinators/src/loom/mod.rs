//! Private synchronization facade (STYLE.md §6.6).
//!
//! The shared state of this crate: the mapped function, shared by every call of a `map`
//! through an [`Arc`](sync::Arc), and the calls of an automatic group (a range word per
//! runner, a state byte and a cell per call, a lock for steals, `group.rs`); blocking goes
//! through cfut-core's `Waiter` and `Future`. `RUSTFLAGS="--cfg cfut_loom"` swaps them for loom's. Private on purpose: a
//! public facade would become API.

#[cfg(not(cfut_loom))]
mod std;
#[cfg(not(cfut_loom))]
pub(crate) use self::std::*;

#[cfg(cfut_loom)]
mod mocked;
#[cfg(cfut_loom)]
pub(crate) use self::mocked::*;
