//! loom's model-checked primitives, with the poison-free `lock()` of the std side.

pub(crate) mod sync {
    pub(crate) use super::task_arc::{TaskArc, unsize};
    pub(crate) use ::loom::sync::Arc;
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

/// The task's shared handle under loom (see `task_arc::TaskArc`).
mod task_arc {
    use std::mem::MaybeUninit;
    use std::ops::Deref;

    /// `Spawn::spawn`'s single-allocation task is shared as trait objects, and loom's `Arc`
    /// cannot be unsized. So each handle pairs std's `Arc` (the allocation, which coerces)
    /// with a clone of one loom `Arc<()>` (the reference count, which loom tracks): every
    /// clone and drop of a task handle is a modelled atomic operation, the last drop's
    /// acquire orders every handle's accesses before the task is freed, and a leaked task
    /// fails the model.
    pub(crate) struct TaskArc<T: ?Sized> {
        /// Dropped first: the modelled count, then the real allocation.
        count: ::loom::sync::Arc<()>,
        data: ::std::sync::Arc<T>,
    }

    impl<T> TaskArc<T> {
        pub(crate) fn new(value: T) -> Self {
            TaskArc {
                count: ::loom::sync::Arc::new(()),
                data: ::std::sync::Arc::new(value),
            }
        }

        pub(crate) fn new_uninit() -> TaskArc<MaybeUninit<T>> {
            TaskArc {
                count: ::loom::sync::Arc::new(()),
                data: ::std::sync::Arc::new_uninit(),
            }
        }
    }

    impl<T> TaskArc<MaybeUninit<T>> {
        /// # Safety
        ///
        /// As `std::sync::Arc::assume_init`: the value must be initialized.
        pub(crate) unsafe fn assume_init(self) -> TaskArc<T> {
            TaskArc {
                count: self.count,
                // SAFETY: the caller guarantees the value is initialized.
                data: unsafe { self.data.assume_init() },
            }
        }
    }

    impl<T: ?Sized> TaskArc<T> {
        pub(crate) fn get_mut(this: &mut Self) -> Option<&mut T> {
            ::std::sync::Arc::get_mut(&mut this.data)
        }
    }

    /// See the std facade's `unsize`.
    pub(crate) fn unsize<T: ?Sized, U: ?Sized>(
        arc: TaskArc<T>,
        coerce: impl FnOnce(::std::sync::Arc<T>) -> ::std::sync::Arc<U>,
    ) -> TaskArc<U> {
        TaskArc {
            count: arc.count,
            data: coerce(arc.data),
        }
    }

    impl<T: ?Sized> Clone for TaskArc<T> {
        fn clone(&self) -> Self {
            TaskArc {
                count: ::loom::sync::Arc::clone(&self.count),
                data: ::std::sync::Arc::clone(&self.data),
            }
        }
    }

    impl<T: ?Sized> Deref for TaskArc<T> {
        type Target = T;

        fn deref(&self) -> &T {
            &self.data
        }
    }
}
