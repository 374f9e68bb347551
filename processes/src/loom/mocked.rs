//! loom's model-checked primitives, with the poison-free `lock()` of the std side.
//!
//! The process pool itself cannot run under loom (it starts processes); this side exists so
//! that the crate compiles in the workspace's loom build.

pub(crate) mod sync {
    /// Atomics in memory shared with another process (the cancel board, `board.rs`): std's on
    /// both sides, since loom cannot model another process. The in-process half of that
    /// protocol, the future's cancel arbiter, is model-checked in `cfut-core` (`loom_arbiter`).
    pub(crate) mod shared {
        pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
    }

    /// The result ring's counters (`ring.rs`): loom's, for the model of the ring's protocol,
    /// which runs in one process with the header on the heap. (The pool's own rings, in
    /// memory shared with a worker process, are never made in a loom build: the pool cannot
    /// run under loom.)
    pub(crate) mod ring {
        pub(crate) use ::loom::sync::atomic::{AtomicU8, AtomicU64, Ordering, fence};
    }

    pub(crate) use ::loom::sync::Arc;
    /// Shares a big call's immutable block (`block.rs`) between its pending call and the
    /// bytes queued for its worker: nothing to model (never written once shared), so std's
    /// `Arc` on both sides, also in tests that run outside a loom model.
    pub(crate) use std::sync::Arc as BlockArc;
    // loom has no `OnceLock`; the values cached in it (the executable's address range and
    // build identity) are computed from immutable facts, so std's is used unmodelled.
    pub(crate) use std::sync::OnceLock;

    pub(crate) type MutexGuard<'a, T> = ::loom::sync::MutexGuard<'a, T>;

    #[derive(Debug)]
    pub(crate) struct Mutex<T>(::loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(::loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    #[derive(Debug)]
    pub(crate) struct Condvar(::loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(::loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap()
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub(crate) mod thread {
    pub(crate) use ::loom::thread::{Builder, JoinHandle, ThreadId, current, yield_now};
    // loom models no time and no CPU count: the real ones (never reached in a model).
    pub(crate) use std::thread::{available_parallelism, sleep};
}
