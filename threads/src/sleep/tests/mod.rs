//! loom models of the sleep protocol (only under `cfg(all(test, cfut_loom))`).

mod loom_sleep;
