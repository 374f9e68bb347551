//! loom models of the whole pool (only under `cfg(all(test, cfut_loom))`).

mod loom_pool;
