//! [`Padded`]: a value alone in its cache line.

use std::ops::Deref;

/// `T` alone in its cache line, so that a worker writing its own slot in an array of them
/// pulls no other worker's slot with it. 128 bytes, as crossbeam's `CachePadded` on x86-64
/// and aarch64: adjacent-line prefetchers fetch lines in pairs.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
