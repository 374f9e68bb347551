//! The queues on crossbeam-deque.

use crossbeam_deque::Steal;

/// Retries a steal until it is decisive.
fn settle<T>(mut attempt: impl FnMut() -> Steal<T>) -> Option<T> {
    loop {
        match attempt() {
            Steal::Success(value) => return Some(value),
            Steal::Empty => return None,
            Steal::Retry => crate::loom::hint::spin_loop(),
        }
    }
}

/// The pool-wide FIFO of calls submitted from outside.
#[derive(Debug)]
pub(crate) struct Injector<T>(crossbeam_deque::Injector<T>);

impl<T> Injector<T> {
    pub(crate) fn new() -> Self {
        Injector(crossbeam_deque::Injector::new())
    }

    pub(crate) fn push(&self, value: T) {
        self.0.push(value);
    }

    /// Takes the oldest value. One at a time, never a batch: calls from outside start in
    /// submission order (see `worker.rs`, `find_work`).
    pub(crate) fn steal(&self) -> Option<T> {
        settle(|| self.0.steal())
    }

    /// How many values are queued (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A worker's own deque. `Send` but not `Sync`: only its worker pushes and pops.
#[derive(Debug)]
pub(crate) struct Local<T>(crossbeam_deque::Worker<T>);

impl<T> Local<T> {
    /// Last in, first out: a task's newest child runs first (depth first, as rayon).
    pub(crate) fn new_lifo() -> Self {
        Local(crossbeam_deque::Worker::new_lifo())
    }

    pub(crate) fn push(&self, value: T) {
        self.0.push(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.0.pop()
    }

    pub(crate) fn stealer(&self) -> Stealer<T> {
        Stealer(self.0.stealer())
    }
}

/// The stealing end of a [`Local`].
#[derive(Debug)]
pub(crate) struct Stealer<T>(crossbeam_deque::Stealer<T>);

impl<T> Stealer<T> {
    pub(crate) fn steal(&self) -> Option<T> {
        settle(|| self.0.steal())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
