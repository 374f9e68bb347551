//! loom models of the scope's join (only under `cfg(all(test, cfut_loom))`).

mod loom_scope;
