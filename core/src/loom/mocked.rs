//! loom's model-checked primitives, with the poison-free `lock()` of the std side.

pub(crate) mod sync {
    pub(crate) use ::loom::sync::Arc;
    /// std's `Arc`, also under loom: `Spawn::spawn`'s single-allocation task (`task.rs`)
    /// is shared as a trait object, and loom's `Arc` cannot be unsized (`Arc::from_std` needs
    /// a unique std `Arc`). So loom does not track these reference counts (nor report a leak
    /// of them); the state machine inside the allocation (atomics, mutex, condition variable,
    /// cells) is still loom's and fully modelled.
    pub(crate) use ::std::sync::Arc as UntrackedArc;
    use std::time::Duration;

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

    /// loom never times a wait out; the flag is always `false`.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct WaitTimeoutResult;

    impl WaitTimeoutResult {
        pub(crate) fn timed_out(self) -> bool {
            false
        }
    }

    impl Condvar {
        pub(crate) fn new() -> Self {
            Self(::loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap()
        }

        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            _timeout: Duration,
        ) -> (MutexGuard<'a, T>, WaitTimeoutResult) {
            (self.0.wait(guard).unwrap(), WaitTimeoutResult)
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
    }

    pub(crate) mod atomic {
        pub(crate) use ::loom::sync::atomic::{
            AtomicBool, AtomicU16, AtomicUsize, Ordering, fence,
        };
    }
}

pub(crate) mod cell {
    pub(crate) use ::loom::cell::UnsafeCell;
}

pub(crate) mod thread {
    pub(crate) use ::loom::thread::yield_now;
}
