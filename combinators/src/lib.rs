//! `map`, `as_completed` and `wait` over any cfut executor: Python's `concurrent.futures`
//! combinators, with CPython's sharp edges filed off.
//!
//! ```toml
//! [dependencies]
//! cfut-combinators = "0.1"
//! ```
//!
//! ```
//! use cfut_combinators::{as_completed, MapExt};
//! use cfut_threads::ThreadPoolExecutor;
//!
//! let pool = ThreadPoolExecutor::new(2)?;
//! let squares: Vec<u64> = pool.map(|x: u64| x * x, 1..=4).collect::<Result<_, _>>()?;
//! assert_eq!(squares, [1, 4, 9, 16]);
//! let futures: Vec<_> = (1..=3).map(|n| pool.submit(|x: u64| x * 10, n)).collect();
//! assert_eq!(as_completed(futures).map(|f| f.result().unwrap()).sum::<u64>(), 60);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate is the part of `concurrent.futures` that collects results. It works on any
//! [`cfut_core::Future`], whichever executor made it — a thread pool, a process pool, the
//! inline executor — mixed in one call, and never names a backend:
//!
//! - *map*: [`MapExt::map`] (`executor.map(f, inputs)` on every executor: closures on
//!   in-process ones, plain functions on process pools; [`CallMapExt::map_calls`] for code
//!   generic over `CallExecutor`) gives the results in input order, lazily, with a bounded *window* of calls
//!   in flight (an endless input works), or eagerly as Python does; a deadline; an error in
//!   one call is that element's error and the rest go on; dropping the map cancels what has
//!   not started. See [`Map`].
//! - *as_completed*: [`as_completed`] yields futures as they complete, done ones first, each
//!   once; [`as_completed_timeout`] ends with an [`UnfinishedError`] saying how many (of how
//!   many) are unfinished.
//! - *wait*: [`wait`] and [`wait_timeout`] split futures into done and not done, per
//!   [`ReturnWhen`]; a timeout is not an error.
//!
//! - *async*: with the `async` feature, [`AsCompleted::into_stream`] gives an
//!   [`AsCompletedStream`] (a `futures_core::Stream`) and [`wait_async`] a future of the
//!   `(done, not_done)` split, for async code under any runtime; both are woken by the
//!   futures' completions, never by polling.
//!
//! Futures of different result types go into one `wait`/`as_completed` through the
//! type-erased [`AnyFuture`](cfut_core::AnyFuture) view; see [`Waitable`].
//!
//! # Examples
//!
//! ```
//! use cfut_core::{InlineExecutor, Spawn};
//! use cfut_combinators::{as_completed, wait, MapExt, ReturnWhen};
//!
//! let executor = InlineExecutor::new();
//!
//! // map: results in input order.
//! let tens: Vec<u32> = executor.map(|n: u32| n * 10, [5, 4, 3]).map(Result::unwrap).collect();
//! assert_eq!(tens, [50, 40, 30]);
//!
//! // as_completed: futures in completion order.
//! let futures: Vec<_> = (1..=3).map(|n| executor.spawn(move || n)).collect();
//! let mut total = 0;
//! for future in as_completed(futures) {
//!     total += future.result().unwrap();
//! }
//! assert_eq!(total, 6);
//!
//! // wait: the done / not-done split.
//! let futures: Vec<_> = (1..=3).map(|n| executor.spawn(move || n)).collect();
//! let (done, not_done) = wait(futures, ReturnWhen::AllCompleted);
//! assert_eq!((done.len(), not_done.len()), (3, 0));
//! ```
//!
//! # Guarantees
//!
//! - *No polling*: `wait` and `as_completed` block on the core's any-of-N
//!   [`Waiter`](cfut_core::Waiter); `map` blocks on the future it needs next.
//! - *Cancelled is done*: a cancelled future (by its user, or by a cancelling shutdown) ends a
//!   `FirstCompleted` wait and is yielded by `as_completed` at once. CPython hides such
//!   futures from both and can hang forever (gh-92001, gh-109934); we fix that on purpose.
//! - *Errors stay apart*: a call's own failure is that element's [`MapError::Call`], never the
//!   map's [`MapError::Deadline`] (CPython's gh-155852); the map goes on after an element's
//!   error (CPython main, gh-108518).
//! - *Nothing lost*: dropping a map cancels only calls that have not started;
//!   [`AsCompleted::into_remaining`] gives back the futures not yielded.
//!
//! # Progress bars
//!
//! With the `indicatif` feature, `.progress()` on a map or an `as_completed` iterator shows a
//! tqdm-style bar on stderr when it is a terminal (tqdm's `thread_map`/`process_map`), and
//! nothing otherwise: `.progress().label("hashing")` draws
//! `hashing:  45%|████▌     | 45/100 [1.2s<1.4s, 38.2 calls/s]`, and the last line stays on
//! screen when the iterator ends. See [`Progress`].

#![warn(missing_docs)]
#![deny(unsafe_code)]
// Where other crates' docs link to this one's items when its pages are not beside theirs
// (a `cargo doc --no-deps` that documents them in another order, or one crate alone):
// otherwise rustdoc prints such links as plain text. docs.rs resolves the version.
#![doc(html_root_url = "https://docs.rs/cfut-combinators/0.1")]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(cfut_loom, allow(dead_code, unreachable_pub))]

mod as_completed;
#[cfg(feature = "async")]
mod as_completed_stream;
#[expect(
    unsafe_code,
    reason = "a group's buffer of calls: one slot per call, handed between a runner and the `map` by atomics (group/slot.rs), where a mutex per call cost more than the call"
)]
mod group;
mod inputs;
mod loom;
mod map;
#[cfg(feature = "indicatif")]
mod progress;
mod submitter;
mod tuning;
mod wait;
#[cfg(feature = "async")]
mod wait_async;
mod waitable;

pub use crate::as_completed::{AsCompleted, UnfinishedError, as_completed};
#[cfg(not(cfut_loom))]
pub use crate::as_completed::{AsCompletedTimeout, as_completed_timeout};
#[cfg(feature = "async")]
pub use crate::as_completed_stream::AsCompletedStream;
pub use crate::map::{CallMapExt, Map, MapError, MapExt, map};
#[cfg(feature = "indicatif")]
pub use crate::progress::Progress;
#[cfg(not(cfut_loom))]
pub use crate::wait::wait_timeout;
pub use crate::wait::{DoneAndNotDone, ReturnWhen, wait};
#[cfg(feature = "async")]
pub use crate::wait_async::{WaitAsync, wait_async};
pub use crate::waitable::Waitable;
