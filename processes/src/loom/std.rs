//! The real primitives, shaped like loom's API.

pub(crate) mod sync {
    /// Atomics in memory shared with another process (the cancel board, `board.rs`): std's on
    /// both sides, since loom cannot model another process. The in-process half of that
    /// protocol, the future's cancel arbiter, is model-checked in `cfut-core` (`loom_arbiter`).
    pub(crate) mod shared {
        pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
    }

    /// The result ring's counters (`ring.rs`), in memory shared with another process: std's.
    pub(crate) mod ring {
        pub(crate) use std::sync::atomic::{AtomicU8, AtomicU64, Ordering, fence};
    }

    /// Shares a big call's immutable block (`block.rs`) between its pending call and the
    /// bytes queued for its worker: nothing to model (never written once shared), so std's
    /// `Arc` on both sides, also in tests that run outside a loom model.
    pub(crate) use std::sync::Arc as BlockArc;
    use std::sync::PoisonError;
    pub(crate) use std::sync::{Arc, OnceLock};

    /// A mutex whose `lock` never reports poisoning: no critical section in this crate runs
    /// user code (calls, callbacks and promise completions all happen outside the lock).
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(std::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// A condition variable paired with [`Mutex`], poison-free like it.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(std::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(std::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(PoisonError::into_inner)
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub(crate) mod thread {
    pub(crate) use std::thread::{
        Builder, JoinHandle, ThreadId, available_parallelism, current, sleep, yield_now,
    };
}
