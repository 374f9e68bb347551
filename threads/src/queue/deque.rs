//! The queues on crossbeam: the injector on crossbeam-queue, the local deques on
//! crossbeam-deque.

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

/// The pool-wide FIFO of calls submitted from outside: crossbeam-queue's `SegQueue`, not
/// crossbeam-deque's `Injector`, though both are the same lock-free list of blocks.
///
/// The difference is the block: 31 values in a `SegQueue` (752 bytes for a `Job`), 63 in an
/// `Injector` (1 520 bytes). glibc's `malloc` treats a request of 1 KiB or more as large, and
/// before it serves a large request it merges every small free chunk of its arena
/// (`malloc_consolidate`): a submitter that queues calls while it frees the futures of
/// earlier ones (a `map`) paid that merge once per 63 calls, 2 % of all samples in a profile
/// of `map` with `chunksize(1)`, and the splitting of merged chunks on its next allocations
/// after it. `map_100k` of `cargo run --release -p cfut-bench --bin compare -- combinators`
/// (`--runs 3`, then `--runs 5`), nine alternating pairs of runs: cfut's rate higher with
/// the `SegQueue` in eight of the nine (3.4–6.4, median 5.3, against 3.6–4.8, median 4.4 M
/// calls/s). The trade: a worker frees each block it emptied, into the submitter's arena,
/// twice as often (`perf stat -e syscalls:sys_enter_futex` counted 64 000 futex calls per
/// million `submit`s against 36 000, nearly all of them glibc's arena lock), yet a burst of 100 000 `submit`s then `result`s, three
/// alternating pairs of 100 bursts (throw-away example), took 5.51 / 4.69 / 4.34 s against
/// 4.91 / 5.35 / 5.89; `compare -- threads` and `compare -- workloads` moved by no more than
/// their noise. A queue that recycled its blocks would avoid both costs.
#[derive(Debug)]
pub(crate) struct Injector<T>(crossbeam_queue::SegQueue<T>);

impl<T> Injector<T> {
    pub(crate) fn new() -> Self {
        Injector(crossbeam_queue::SegQueue::new())
    }

    pub(crate) fn push(&self, value: T) {
        self.0.push(value);
    }

    /// Takes the oldest value. One at a time, never a batch: calls from outside start in
    /// submission order (see `worker.rs`, `find_work`).
    pub(crate) fn steal(&self) -> Option<T> {
        self.0.pop()
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
