//! Private synchronization facade (STYLE.md §6.6).
//!
//! Every lock, condition variable, atomic, cell and thread in this crate comes from here, so
//! that `RUSTFLAGS="--cfg cfut_loom"` swaps them all for loom's model-checked versions. The
//! std side adapts std to loom's API (poison-free `lock()`, `UnsafeCell::with`), never the
//! reverse. This module is private on purpose: a public facade would become API.

#[cfg(not(cfut_loom))]
mod std;
#[cfg(not(cfut_loom))]
pub(crate) use self::std::*;

#[cfg(cfut_loom)]
mod mocked;
#[cfg(cfut_loom)]
pub(crate) use self::mocked::*;
