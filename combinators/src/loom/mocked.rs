//! loom's model-checked primitives.

pub(crate) mod sync {
    pub(crate) use ::loom::sync::Arc;
}
