//! The real primitives, shaped like loom's API.

pub(crate) mod sync {
    pub(crate) use std::sync::Arc;
    use std::sync::PoisonError;

    /// A mutex whose `lock` never reports poisoning: no critical section in this crate runs
    /// user code (a group's calls run outside its locks), so none can leave broken invariants
    /// behind.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(std::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering,
        };
    }
}

pub(crate) mod cell {
    /// `UnsafeCell` with loom's closure-based access API (loom checks each access against the
    /// others in a model).
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

pub(crate) mod thread {
    pub(crate) use std::thread::yield_now;
}
