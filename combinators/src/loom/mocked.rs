//! loom's model-checked primitives, with the poison-free `lock()` of the std side.

pub(crate) mod sync {
    pub(crate) use ::loom::sync::Arc;

    #[derive(Debug)]
    pub(crate) struct Mutex<T>(::loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(::loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> ::loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    pub(crate) mod atomic {
        pub(crate) use ::loom::sync::atomic::{
            AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering,
        };
    }
}

pub(crate) mod cell {
    pub(crate) use ::loom::cell::UnsafeCell;
}
