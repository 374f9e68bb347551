//! The real primitives.

pub(crate) mod sync {
    pub(crate) use std::sync::Arc;
}
