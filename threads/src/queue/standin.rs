//! The loom stand-in for crossbeam-queue and crossbeam-deque: the same interface over
//! `Mutex<VecDeque>`.
//!
//! Taking a value locks the mutex, but `is_empty` reads only an atomic length, published
//! with `Release` after a push and read with `Acquire` — no stronger than crossbeam's
//! lock-free `is_empty`. (A stand-in whose `is_empty` took the lock would synchronize the
//! sleep protocol by itself and hide a missing fence from the models.)

use std::collections::VecDeque;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};

#[derive(Debug)]
struct Queue<T> {
    items: Mutex<VecDeque<T>>,
    len: AtomicUsize,
}

impl<T> Queue<T> {
    fn new() -> Self {
        Queue {
            items: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    fn push(&self, value: T) {
        let mut items = self.items.lock();
        items.push_back(value);
        // ORDERING: `Release` like crossbeam's tail store: a reader that sees the new length
        // sees the value.
        self.len.store(items.len(), Ordering::Release);
    }

    fn pop(&self, back: bool) -> Option<T> {
        let mut items = self.items.lock();
        let value = if back {
            items.pop_back()
        } else {
            items.pop_front()
        };
        // ORDERING: as in `push`.
        self.len.store(items.len(), Ordering::Release);
        value
    }

    fn is_empty(&self) -> bool {
        // ORDERING: pairs with the `Release` stores above; no stronger than crossbeam.
        self.len.load(Ordering::Acquire) == 0
    }
}

#[derive(Debug)]
pub(crate) struct Injector<T>(Queue<T>);

impl<T> Injector<T> {
    pub(crate) fn new() -> Self {
        Injector(Queue::new())
    }

    pub(crate) fn push(&self, value: T) {
        self.0.push(value);
    }

    pub(crate) fn steal(&self) -> Option<T> {
        self.0.pop(false)
    }

    pub(crate) fn len(&self) -> usize {
        // ORDERING: as `is_empty`.
        self.0.len.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct Local<T> {
    queue: Arc<Queue<T>>,
}

impl<T> Local<T> {
    pub(crate) fn new_lifo() -> Self {
        Local {
            queue: Arc::new(Queue::new()),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.queue.push(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.queue.pop(true)
    }

    pub(crate) fn stealer(&self) -> Stealer<T> {
        Stealer(Arc::clone(&self.queue))
    }
}

#[derive(Debug)]
pub(crate) struct Stealer<T>(Arc<Queue<T>>);

impl<T> Stealer<T> {
    pub(crate) fn steal(&self) -> Option<T> {
        self.0.pop(false)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
