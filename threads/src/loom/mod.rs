//! Private synchronization facade (STYLE.md §6.6).
//!
//! Every lock, condition variable, atomic, fence, thread and thread-local in this crate comes
//! from here, so that `RUSTFLAGS="--cfg cfut_loom"` swaps them all for loom's model-checked
//! versions. The std side adapts std to loom's API (poison-free `lock()`), never the reverse.
//! Private on purpose: a public facade would become API. Deliberately duplicated from
//! `cfut-core` rather than shared.

#[cfg(not(cfut_loom))]
mod std;
#[cfg(not(cfut_loom))]
pub(crate) use self::std::*;

#[cfg(cfut_loom)]
mod mocked;
#[cfg(cfut_loom)]
pub(crate) use self::mocked::*;
