//! Loom models of an automatic group (`group.rs`), compiled only under
//! `cfg(all(test, cfut_loom))`:
//!
//! ```text
//! RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p cfut-combinators --lib
//! ```
//!
//! * [`loom_group`], for a runner that runs racing a runner that is rejected, and the map
//!   cancelling a call: no call is lost, none gets a fate it should not have.

mod loom_group;
