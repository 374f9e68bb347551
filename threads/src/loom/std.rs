//! The real primitives, shaped like loom's API.

pub(crate) mod sync {
    pub(crate) use std::sync::Arc;
    use std::sync::PoisonError;

    /// A mutex whose `lock` never reports poisoning: no critical section in this crate runs
    /// user code, so none can leave broken invariants behind.
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

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
    }
}

pub(crate) mod thread {
    pub(crate) use std::thread::{Builder, JoinHandle, yield_now};

    /// How many threads can run at once (Python's `os.process_cpu_count()`); 1 if unknown.
    pub(crate) fn available_parallelism() -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

pub(crate) mod hint {
    pub(crate) use std::hint::spin_loop;
}

pub(crate) use std::thread_local;
