//! loom's model-checked primitives, with the poison-free `lock()` of the std side.

pub(crate) mod sync {
    pub(crate) use ::loom::sync::Arc;

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

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    pub(crate) mod atomic {
        pub(crate) use ::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
    }
}

pub(crate) mod thread {
    pub(crate) use ::loom::thread::{Builder, JoinHandle, yield_now};

    /// Deterministic under loom (tokio's mock returns 2 as well).
    pub(crate) fn available_parallelism() -> usize {
        2
    }
}

pub(crate) mod hint {
    pub(crate) use ::loom::hint::spin_loop;
}

pub(crate) use ::loom::thread_local;
