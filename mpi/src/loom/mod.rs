//! Private synchronization facade (STYLE.md §6.6): every lock, condition variable and thread
//! of this crate comes from here, so that `RUSTFLAGS="--cfg cfut_loom"` swaps them for
//! loom's. Private on purpose: a public facade would become API.

#[cfg(not(cfut_loom))]
mod std;
#[cfg(not(cfut_loom))]
pub(crate) use self::std::*;

#[cfg(cfut_loom)]
mod mocked;
#[cfg(cfut_loom)]
pub(crate) use self::mocked::*;
