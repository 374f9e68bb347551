//! cfut-testing — not built yet; see the crate description in the workspace README.

#![warn(missing_docs)]
