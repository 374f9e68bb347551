//! The real primitives, shaped like loom's API.

pub(crate) mod sync {
    /// The allocation of `Spawn::spawn`'s single-allocation task (`task.rs`), which must
    /// coerce to trait objects: std's `Arc`. Under loom, std's `Arc` paired with a loom
    /// reference count, so that the models track every handle (see the mocked facade).
    pub(crate) use ::std::sync::Arc as TaskArc;

    /// Coerces a task handle to a trait object: implicit for std's `Arc`, spelled out so that
    /// the loom facade's handle can do the same.
    pub(crate) fn unsize<T: ?Sized, U: ?Sized>(
        arc: TaskArc<T>,
        coerce: impl FnOnce(TaskArc<T>) -> TaskArc<U>,
    ) -> TaskArc<U> {
        coerce(arc)
    }
    pub(crate) use std::sync::Arc;
    use std::sync::{PoisonError, WaitTimeoutResult};
    use std::time::Duration;

    /// A mutex whose `lock` never reports poisoning: every critical section in this crate
    /// either cannot panic or restores its invariants before unwinding (user code — callbacks
    /// and calls — always runs outside our locks).
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

        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            timeout: Duration,
        ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
            self.0
                .wait_timeout(guard, timeout)
                .unwrap_or_else(PoisonError::into_inner)
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering, fence};
    }
}

pub(crate) mod cell {
    /// `UnsafeCell` with loom's closure-based access API.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

pub(crate) mod thread {
    pub(crate) use std::thread::yield_now;
}
