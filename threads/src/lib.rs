//! A work-stealing thread pool with Python's `concurrent.futures.ThreadPoolExecutor`
//! interface.
//!
//! ```toml
//! [dependencies]
//! cfut-threads = "0.1"
//! ```
//!
//! ```
//! use cfut_threads::ThreadPoolExecutor;
//!
//! fn foo(n: u64) -> u64 { n * 10 }
//!
//! let pool = ThreadPoolExecutor::new(2)?;
//! let futures: Vec<_> = [5, 4, 3].into_iter().map(|n| pool.submit(foo, n)).collect();
//! let results: Vec<u64> = futures.into_iter().map(|f| f.result().unwrap()).collect();
//! assert_eq!(results, [50, 40, 30]);
//! # Ok::<(), cfut_threads::BuildError>(())
//! ```
//!
//! [`ThreadPoolExecutor`] runs closures on up to `max_workers` threads and hands back a
//! [`cfut_core::Future`] for each: Python's `submit`, `result`, `cancel`, `shutdown`, with
//! Python's defaults (`max_workers = min(32, cpus + 4)`, threads started lazily, an optional
//! per-thread *initializer* whose failure *breaks* the pool). It implements the core executor
//! traits, so `map`, `as_completed` and `wait` from `cfut-combinators` work on it.
//!
//! Inside, it is a work-stealing scheduler on crossbeam: an *injector* queue for calls
//! submitted from outside (crossbeam-queue), a *local* deque per thread for calls submitted by running tasks,
//! and *stealers* through which idle threads take work from busy ones. Idle threads spin
//! briefly, then sleep; a submission wakes a sleeping thread only if fewer are awake to take
//! work than calls are queued; a new thread starts, as in Python, for a call that finds none
//! idle — one per call, never two (starts are decided one at a time, against the calls
//! queued and the threads starting or idle). Threads take calls from the injector one at a
//! time, oldest first, so that calls from outside start in submission order. A call queued from outside
//! while a thread starts for it (no thread idle) is marked
//! ([`Job::hint_thread_start`](cfut_core::Job::hint_thread_start)), so that a caller
//! waiting for it sleeps at once instead of spinning on the CPU the new thread needs.
//!
//! # Examples
//!
//! ```
//! use cfut_core::Shutdown;
//! use cfut_threads::ThreadPoolExecutor;
//!
//! let pool = ThreadPoolExecutor::new(4)?;
//! let lengths: Vec<_> = ["a", "bb", "ccc"]
//!     .into_iter()
//!     .map(|word| pool.spawn(move || word.len()))
//!     .collect();
//! let lengths: Vec<usize> = lengths.into_iter().map(|f| f.result().unwrap()).collect();
//! assert_eq!(lengths, [1, 2, 3]);
//! pool.shutdown(Shutdown::new()); // or just drop the pool: same thing
//! # Ok::<(), cfut_threads::BuildError>(())
//! ```
//!
//! # Guarantees
//!
//! - *Panics* fail only their own future, with `Error::Panicked` carrying the message; the
//!   thread lives on.
//! - *Nothing lost*: every submitted call runs, or its future is cancelled (a cancelling
//!   shutdown), or fails with `Error::Shutdown` (submitted after shutdown) or `Error::Broken`
//!   (the initializer failed); no future stays pending forever.
//! - *Waiting inside the pool*: `result()` on one of the pool's threads runs that thread's own
//!   queued calls (children its tasks submitted) while the awaited future is pending — the
//!   awaited call itself, if still queued there, inline, its value handed straight back (a
//!   fork-join: `submit` + `result()` of a child costs no hand-off and no wake-up) — and, if
//!   another thread took the awaited call, the calls queued on that thread's deque (which
//!   the awaited call submitted or waits for: *leapfrogging*); never unrelated work from the
//!   shared queue; so a task that submits children and waits for them cannot deadlock even
//!   a one-thread pool (CPython's can).
//! - *No lost wake-up, no idle burn*: the sleep protocol is model-checked with loom
//!   (`RUSTFLAGS="--cfg cfut_loom"`); idle threads park after a short bounded spin (24 looks for work).
//! - *Shutdown* joins the threads when it waits; dropping the pool waits too (Python's `with`),
//!   and never deadlocks when the pool is dropped on one of its own threads.
//! - *Start order*: calls submitted from outside the pool start in submission order, as
//!   from CPython's single FIFO queue: each free thread takes the oldest call queued, one at
//!   a time (never a batch it would hold back while running another call). Calls that are
//!   taken within a hand-off of each other (under a microsecond) may begin their first
//!   instructions in either order on two threads; any call that lasts longer than that
//!   never delays an older one. Calls submitted *from inside* a task go to that thread's own
//!   deque and run newest first (depth first, as rayon's `spawn` from a task), where the
//!   submitting task's `result()` runs them while it waits; idle threads steal them, oldest
//!   first.

#![warn(missing_docs)]
// Where other crates' docs link to this one's items when its pages are not beside theirs
// (a `cargo doc --no-deps` that documents them in another order, or one crate alone):
// otherwise rustdoc prints such links as plain text. docs.rs resolves the version.
#![doc(html_root_url = "https://docs.rs/cfut-threads/0.1")]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(cfut_loom, allow(dead_code, unreachable_pub))]

mod builder;
mod error;
mod gate;
mod live;
mod loom;
mod padded;
mod pool;
mod queue;
mod registry;
mod scope;
mod sleep;
mod tuning;
mod unwind;
mod worker;

pub use crate::builder::ThreadPoolBuilder;
pub use crate::error::BuildError;
pub use crate::pool::ThreadPoolExecutor;
pub use crate::scope::Scope;
