//! The core of cfut: one [`Future`] for every backend, its [`Promise`], the [`Error`] type
//! and the executor traits.
//!
//! ```toml
//! [dependencies]
//! cfut-core = "0.1"
//! ```
//!
//! ```
//! use cfut_core::{promise, Future};
//!
//! // A backend completes the future through its promise, on any thread.
//! let (producer, future): (_, Future<u64>) = promise();
//! let worker = std::thread::spawn(move || producer.run(|| (1..=10).sum()));
//! assert_eq!(future.result(), Ok(55));
//! worker.join().unwrap();
//! ```
//!
//! (Users of a pool want the `cfut` facade, or `cfut-threads` / `cfut-processes`.)
//!
//! This crate is Python's `concurrent.futures._base` in Rust. An *executor* runs *calls*;
//! submitting one gives a [`Future`], an appointment slip for a result that is not ready yet.
//! Every backend — the thread pool (`cfut-threads`), the process pool (`cfut-processes`),
//! the [`InlineExecutor`] here — completes the same future through its [`Promise`], so the
//! combinators (`map`, `as_completed`, `wait` in `cfut-combinators`) work on all of them, mixed.
//!
//! Executors come at two levels:
//! - *in-process*, [`JobExecutor`]: runs boxed closures; [`Spawn::spawn`] is built on it;
//! - *portable*, [`CallExecutor`]: runs `fn(A) -> T` with serde ([`Portable`]) values — what a
//!   process or cluster backend can do. Every in-process executor has it for free.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use cfut_core::{promise, Error, InlineExecutor, State, Spawn};
//!
//! // An executor: submit a call, get a future.
//! let executor = InlineExecutor::new();
//! assert_eq!(executor.spawn(|| 2_u32.pow(8)).result(), Ok(256));
//!
//! // The state machine by hand: pending, running, finished.
//! let (producer, mut future) = promise::<String>();
//! assert_eq!(future.state(), State::Pending);
//! let worker = std::thread::spawn(move || {
//!     producer.run(|| "computed elsewhere".to_owned());
//! });
//! worker.join().unwrap();
//! assert_eq!(future.result_timeout(Duration::from_secs(5)).as_deref(), Ok("computed elsewhere"));
//!
//! // Cancelled before it started: done, and `result` says so.
//! let (_producer, future) = promise::<()>();
//! assert!(future.cancel());
//! assert_eq!(future.result(), Err(Error::Cancelled));
//! ```
//!
//! # Guarantees
//!
//! - *Happens-before*: everything the call did happens before `result`, `wait`, `.await` or a
//!   done-callback observes its completion.
//! - *Panics*: a panicking call fails only its own future, with [`Error::Panicked`].
//! - *Nothing lost*: a [`Promise`] dropped without a result completes its future with
//!   [`Error::Abandoned`]; a [`Job`] dropped unrun does the same.
//! - *Bounded busy waiting*: a blocked caller first watches the future for about 50 µs
//!   (a bounded spin, so that a short call's result costs no sleep and wake-up), then sleeps
//!   on the future's own primitive until it is woken (at once, without the spin, if the
//!   executor marked the call as waiting for a worker thread to start:
//!   [`Job::hint_thread_start`]); completing a future nobody waits on makes no system
//!   call. A caller that waits one second spends at most a few milliseconds of CPU (checked
//!   by a test that reads the thread's CPU clock).
//! - *Cancelled is done*: a cancelled future wakes `wait`/`as_completed` waiters (CPython
//!   hides user-cancelled futures from them and can hang, gh-92001; we fix that on purpose).
//!
//! This crate is not `no_std`: blocking waits need the operating system's thread parking, and
//! a `no_std` build would offer only the non-blocking half of the API.
//!
//! The synchronization is model-checked with loom (`RUSTFLAGS="--cfg cfut_loom"`).

#![warn(missing_docs)]
// Where other crates' docs link to this one's items when its pages are not beside theirs
// (a `cargo doc --no-deps` that documents them in another order, or one crate alone):
// otherwise rustdoc prints such links as plain text. docs.rs resolves the version.
#![doc(html_root_url = "https://docs.rs/cfut-core/0.1")]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(cfut_loom, allow(dead_code, unreachable_pub))]

mod call;
mod chunk;
mod error;
mod executor;
mod future;
mod help;
mod inline;
mod inner;
mod job;
mod loom;
mod promise;
mod route;
mod spin;
mod submit;
mod task;
mod tokens;
mod tuning;
mod unwind;
mod waiter;

#[cfg(all(test, cfut_loom))]
mod tests;

pub use crate::call::{CallExecutor, Portable, run_batch};
pub use crate::chunk::ChunkResults;
pub use crate::error::{Error, Exit};
pub use crate::executor::{Executor, JobExecutor, Shutdown, Spawn};
pub use crate::future::{AnyFuture, Future, State};
pub use crate::help::{WaitHelper, WaitHelperGuard, install_wait_helper};
pub use crate::inline::InlineExecutor;
pub use crate::job::Job;
pub use crate::promise::{Promise, promise};
pub use crate::route::{CallRoute, MapTarget, PortableRoute, RouteVisitor};
pub use crate::submit::{PortableFn, Submit, fn_pointer, submit_portable};
pub use crate::unwind::panic_message;
pub use crate::waiter::Waiter;
