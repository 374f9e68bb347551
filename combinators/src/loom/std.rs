//! The real primitives.

pub(crate) mod sync {
    pub(crate) use std::sync::Arc;

    pub(crate) mod atomic {
        // Only `map`'s call timing uses these; it is compiled out under loom (no real time).
        pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
    }
}
