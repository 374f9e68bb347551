//! Panic helpers in one place (rayon's `unwind` module).

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// The message of a panic payload (one definition for every crate, in cfut-core).
pub(crate) use cfut_core::panic_message;

/// Runs `f`, turning a panic into `Err(payload)`.
pub(crate) fn halt_unwinding<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    panic::catch_unwind(AssertUnwindSafe(f))
}
