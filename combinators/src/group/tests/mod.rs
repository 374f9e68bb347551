//! Loom models of an automatic group (`group.rs`), compiled only under
//! `cfg(all(test, cfut_loom))`:
//!
//! ```text
//! RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p cfut-combinators --lib
//! ```
//!
//! * [`loom_group`], for a runner that runs racing a runner that is rejected, the map
//!   waiting for a call and cancelling the rest, and the group dropped by whoever lets go
//!   last: no call is lost, none gets a fate it should not have, nothing leaks;
//! * [`loom_ranges`], for runners claiming calls while others refill their ranges, from the
//!   unassigned calls or by stealing halves: each call claimed once, no runner leaving while
//!   a block or a stolen half is on its way.

mod loom_group;
mod loom_ranges;
