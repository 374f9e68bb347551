//! loom's model-checked primitives, with the poison-free `lock()` of the std side.

pub(crate) mod sync {
    use std::time::Duration;

    pub(crate) use ::loom::sync::Arc;
    // The one atomic is a `static` (the rank a worker serves as), written and read by the
    // same thread: nothing to model, and loom's atomics cannot be built in a `static`.
    pub(crate) use ::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    pub(crate) use std::sync::atomic::AtomicI32;

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

        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock().ok()
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

        /// loom models no time: a timed wait is a wait that may also end spuriously, which
        /// every caller loops over anyway.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: Duration,
        ) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap()
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }
}

pub(crate) mod thread {
    pub(crate) use ::loom::thread::{Builder, JoinHandle, ThreadId, current, yield_now};
    // loom models no time (never reached in a model).
    pub(crate) use std::thread::sleep;
}
