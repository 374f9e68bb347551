//! Python's `concurrent.futures` for Rust: submit a call, get a future, collect results with
//! `map`, `as_completed` and `wait` — on a work-stealing thread pool or on a pool of worker
//! processes, with Python's semantics (and fixed where CPython is wrong).
//!
//! ```toml
//! [dependencies]
//! cfut = "0.1"
//! ```
//!
//! One import gives the whole vocabulary:
//!
//! ```
//! use std::time::Duration;
//! use cfut::prelude::*;
//!
//! fn foo(n: u64) -> u64 {
//!     std::thread::sleep(Duration::from_millis(n));
//!     n * 10
//! }
//!
//! let pool = ThreadPoolExecutor::new(2)?;
//! let results: Vec<u64> = pool.map(foo, [5, 4, 3, 2, 1]).collect::<Result<_, _>>()?;
//! assert_eq!(results, [50, 40, 30, 20, 10]);
//!
//! let futures: Vec<_> = [5, 4, 3].into_iter().map(|n| pool.submit(foo, n)).collect();
//! let mut total = 0;
//! for future in as_completed(futures) {
//!     total += future.result()?;
//! }
//! assert_eq!(total, 120);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Python, line for line
//!
//! | Python | cfut |
//! |---|---|
//! | `with ThreadPoolExecutor(2) as pool:` | `let pool = ThreadPoolExecutor::new(2)?;` (drop = leaving the block) |
//! | `pool.submit(foo, 1)` | `pool.submit(foo, 1)` — or `pool.spawn(\|\| foo(1))` for a closure |
//! | `pool.map(foo, xs, chunksize=8)` | `pool.map(foo, xs).chunksize(n)` with `n: NonZeroUsize` |
//! | `f.result()`, `f.result(timeout=1)` | `f.result()`, `f.result_timeout(Duration::from_secs(1))` |
//! | `as_completed(fs)` | `as_completed(fs)` |
//! | `done, not_done = wait(fs, return_when=FIRST_COMPLETED)` | `let (done, not_done) = wait(fs, ReturnWhen::FirstCompleted);` |
//! | `pool.shutdown(wait=True, cancel_futures=False)` | `pool.shutdown(Shutdown::new())` |
//! | `ProcessPoolExecutor(2)` | `ProcessPoolExecutor::new(2)?` (feature `processes`, Linux) |
//!
//! `submit(f, arg)` takes one argument; several travel as a tuple: `pool.submit(add, (1, 2))`.
//! On a thread pool `f` may be any closure; a process pool runs plain functions and closures
//! that capture nothing, over values serde can carry (the compiler says so otherwise).
//!
//! # Borrowing local data
//!
//! [`ThreadPoolExecutor::scope`](cfut_threads::ThreadPoolExecutor::scope) runs calls that
//! borrow from the caller's stack, as `std::thread::scope` does; every call has finished
//! when `scope` returns.
//!
//! # The crates underneath
//!
//! This crate only re-exports. Backend authors and users who want less pick the crates
//! themselves: [`core`] (`cfut-core`: the future, errors, executor traits), [`threads`]
//! (`cfut-threads`), [`processes`] (`cfut-processes`, Linux), [`combinators`]
//! (`cfut-combinators`: `map`, `as_completed`, `wait`, progress bars).
//!
//! # Features
//!
//! - `processes` (default, Linux only): [`ProcessPoolExecutor`].
//! - `progress`: `.progress()` on `map` and `as_completed` draws a tqdm-style bar
//!   (`.progress().label("hashing")` names it); the last line stays on screen.
//! - `async`: for async code under any runtime, `as_completed(fs).into_stream()` is a
//!   `futures_core::Stream` of the futures in completion order, and
//!   `wait_async` a future of `(done, not_done)`; both are woken by
//!   the completions, never by polling.
//!
//! ```
//! # #[cfg(feature = "async")] {
//! use cfut::prelude::*;
//! use futures::StreamExt;
//!
//! let pool = ThreadPoolExecutor::new(2)?;
//! let futures: Vec<_> = (1..=3).map(|n| pool.submit(|n: u64| n * n, n)).collect();
//! let total: u64 = futures::executor::block_on(
//!     as_completed(futures).into_stream().map(|f| f.result().unwrap()).collect::<Vec<_>>(),
//! )
//! .into_iter()
//! .sum();
//! assert_eq!(total, 14);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use cfut_combinators as combinators;
pub use cfut_core as core;
#[cfg(all(feature = "processes", target_os = "linux"))]
pub use cfut_processes as processes;
pub use cfut_threads as threads;

#[cfg(feature = "progress")]
#[cfg_attr(docsrs, doc(cfg(feature = "progress")))]
pub use cfut_combinators::Progress;
pub use cfut_combinators::{
    AsCompleted, DoneAndNotDone, Map, MapError, MapExt, ReturnWhen, as_completed, wait,
};
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use cfut_combinators::{AsCompletedStream, WaitAsync, wait_async};
pub use cfut_core::{Error, Exit, Future, Shutdown, Spawn, State, Submit};
#[cfg(all(feature = "processes", target_os = "linux"))]
pub use cfut_processes::ProcessPoolExecutor;
pub use cfut_threads::ThreadPoolExecutor;

/// Everything a program using cfut needs, in one import: `use cfut::prelude::*;`.
///
/// The executors, [`Future`], [`Error`],
/// [`Shutdown`], the `submit`/`spawn`/`map` methods (their traits
/// [`Submit`], [`Spawn`], [`MapExt`]), and
/// `as_completed`, `wait` and [`ReturnWhen`]; with the `async` feature, `wait_async` too.
///
/// # Examples
///
/// ```
/// use cfut::prelude::*;
///
/// let pool = ThreadPoolExecutor::new(2)?;
/// let fs = vec![pool.submit(|x: u32| x + 1, 1), pool.spawn(|| 5)];
/// let (done, not_done) = wait(fs, ReturnWhen::AllCompleted);
/// assert_eq!((done.len(), not_done.len()), (2, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod prelude {
    #[cfg(feature = "async")]
    pub use cfut_combinators::wait_async;
    pub use cfut_combinators::{MapExt, ReturnWhen, as_completed, wait};
    pub use cfut_core::{Error, Future, Shutdown, Spawn, Submit};
    #[cfg(all(feature = "processes", target_os = "linux"))]
    pub use cfut_processes::ProcessPoolExecutor;
    pub use cfut_threads::ThreadPoolExecutor;
}
