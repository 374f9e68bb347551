//! Python's `ProcessPoolExecutor` in Rust: calls run in worker processes that are
//! re-executions of the running binary.
//!
//! ```toml
//! [dependencies]
//! cfut-processes = "0.1"
//! ```
//!
//! ```
//! use cfut_processes::ProcessPoolExecutor;
//!
//! fn foo(n: u64) -> u64 { n * 10 }
//!
//! let pool = ProcessPoolExecutor::new(2)?;
//! let futures: Vec<_> = [5, 4, 3].into_iter().map(|n| pool.submit(foo, n)).collect();
//! let results: Vec<u64> = futures.into_iter().map(|f| f.result().unwrap()).collect();
//! assert_eq!(results, [50, 40, 30]);
//! # Ok::<(), cfut_processes::BuildError>(())
//! ```
//!
//! A *call* is a plain function or non-capturing closure `fn(A) -> T` whose argument and
//! result are serde values ([`Portable`]). [`ProcessPoolExecutor::submit`] sends it to a
//! *worker* — the same executable started again, never a `fork` of the (multi-threaded)
//! parent, like Python's `spawn` start method — and gives back the [`Future`] every cfut
//! executor gives, so `map`, `as_completed` and `wait` from `cfut-combinators` work on it,
//! mixed with thread-pool futures. Code written against [`CallExecutor`] runs unchanged on
//! threads or processes.
//!
//! # Examples
//!
//! ```
//! use std::num::NonZeroUsize;
//! use cfut_core::{Error, Exit};
//! use cfut_processes::ProcessPoolExecutor;
//! use cfut_combinators::MapExt; // `map` on every executor (or `use cfut::prelude::*`)
//!
//! fn collatz_steps(mut n: u64) -> u32 {
//!     let mut steps = 0;
//!     while n != 1 {
//!         n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
//!         steps += 1;
//!     }
//!     steps
//! }
//!
//! let pool = ProcessPoolExecutor::new(2)?;
//! assert_eq!(pool.submit(collatz_steps, 27).result(), Ok(111));
//!
//! let steps: Vec<u32> = pool
//!     .map(collatz_steps, 1..=6)
//!     .chunksize(NonZeroUsize::new(3).unwrap())
//!     .collect::<Result<_, _>>()
//!     .unwrap();
//! assert_eq!(steps, [0, 1, 7, 2, 5, 8]);
//!
//! // A worker that dies fails only its own call; the pool replaces it.
//! let crash = pool.submit(|code: i32| -> () { std::process::exit(code) }, 3);
//! assert_eq!(crash.result(), Err(Error::WorkerDied(Exit::Code(3))));
//! assert_eq!(pool.submit(collatz_steps, 2).result(), Ok(1));
//! # Ok::<(), cfut_processes::BuildError>(())
//! ```
//!
//! # Set-up: none on Linux
//!
//! A worker must not run the program's `main` (nor, in a test binary, the test harness). On
//! Linux this crate registers a constructor that runs before `main` in every binary linking
//! it: in a worker it serves calls and exits, elsewhere it returns at once. So programs,
//! examples, integration tests (with or without the default harness) and doctests need no
//! set-up line. Where constructors do not run, call [`init`] as the first line of `main`.
//!
//! # How a call travels
//!
//! - The function travels as its offset from an anchor inside the executable: parent and
//!   worker are the same file. At start-up the parent sends its *build identity* (the
//!   linker's `NT_GNU_BUILD_ID` note of the executable — or, in a binary without one, a hash
//!   of its executable segments — with the crate and protocol versions) and the worker
//!   refuses to serve on a mismatch, which breaks the pool with a clear [`Error::Broken`]
//!   before any call crosses. The identity comes from the build, not from the file, so a copy
//!   of the binary elsewhere is recognised. Functions must live in the executable's own code
//!   (not a shared library): others fail with [`Error::Serialization`] at submission.
//! - Argument and result are [postcard]-encoded (a compact, maintained serde binary format)
//!   in length-prefixed frames over one long-lived Unix socket pair per worker: no file
//!   descriptor per call, so a hundred thousand calls in flight cost only memory.
//! - *Plain buffers at memory speed*: an argument or result that is a `Vec<u8>`,
//!   boxed byte slice, or `Vec` of a primitive number (or a `Vec` of those) crosses as one block
//!   of little-endian bytes, not element by element; `String` already does. Inside your own
//!   structs, `#[serde(with = "cfut_processes::raw")]` on a field does the same: see [`raw`].
//! - *Bounded frames*: no frame is longer than [`Builder::max_frame_size`] (1 GiB by
//!   default). A longer argument fails at submission, a longer result when the worker sends
//!   it, both with [`Error::Serialization`] naming the size and the limit; a received header
//!   announcing more is refused before anything is allocated for it.
//! - When a worker is idle and no call waits, `submit` writes the call to that worker itself;
//!   otherwise the pool's manager thread hands calls out. The manager thread reads every
//!   result and completes the futures (their done-callbacks run there). A worker whose last
//!   call came to it idle polls its socket for up to 50 µs before it sleeps (yielding the
//!   CPU before each poll, first to the manager reading its result), so that a caller's
//!   next call finds it awake: waking a sleeping process costs more than the rest of a
//!   round trip. A worker fed calls ahead by a busy pool sleeps at once.
//! - Workers inherit standard output and error; their standard input is `/dev/null`.
//!
//! # What is trusted
//!
//! - A worker trusts its parent: it reads calls from one end of a socket pair the parent
//!   created and passed as the worker's standard input, which nothing else holds.
//! - The build identity proves that parent and worker run the same build; it is a hash, an
//!   identity check, not a defence against a forged parent.
//! - Before it jumps, the worker checks that the function's and the trampoline's addresses
//!   lie in an executable segment (`PF_X`) of its own executable: never in data, the stack,
//!   the heap or a shared library, even for a corrupt frame. That the address is the start
//!   of a function of the right type is *not* checked in the worker: it holds because the
//!   parent took it from a typed `fn(A) -> T` and sent the trampoline instantiated for that
//!   very `A` and `T`. So whoever can write frames to a worker's socket can run any code of
//!   the executable: the pool is not a security boundary between parent and worker.
//! - Frame contents are never trusted for memory: every length is checked against the frame
//!   limit before anything is allocated, and the decoders neither panic nor allocate more
//!   than the bytes received can back (property-tested); a malformed frame from a worker
//!   fails its call, and the worker is killed and replaced.
//!
//! # Guarantees
//!
//! - A call is pending, and cancellable, until a worker starts it. When every worker is busy
//!   and the pool's calls are short (under a millisecond on average), a few queued calls are
//!   sent ahead to each worker in one batch, to save a round trip per tiny call; they stay
//!   pending all the same: the parent and the worker share one atomic cell per call (in
//!   memory they share, the *cancel board*) in which either the worker starts the call or a
//!   `cancel()` (or a cancelling shutdown) cancels it, never both. A cancelled call is skipped
//!   by the worker; a started one shows running as soon as the worker's next write arrives.
//!   Long calls are never sent ahead.
//! - A panic fails its call with [`Error::Panicked`] (message and location); the worker
//!   lives on.
//! - A worker that dies mid-call fails only that call, with [`Error::WorkerDied`] carrying
//!   the exit status or signal; calls queued behind it are re-queued, the worker replaced.
//!   The results before it all arrive: a worker hands each result over before it starts its
//!   next call — tiny ones through a ring in the memory it shares with the parent (no system
//!   call per result), the rest through its socket — and both outlive the process.
//! - A value that fails to encode or decode, or whose `Serialize`/`Deserialize` panics, in
//!   either direction and on either side, fails only its call with [`Error::Serialization`];
//!   the message says which value (argument or result), which step (encoding or decoding),
//!   where (parent or worker), and carries the value's own words (or the panic's). The
//!   worker and the pool live on. A malformed frame from a worker fails the
//!   call it ran with [`Error::Serialization`], and the worker is killed and replaced.
//! - An initializer that panics or exits breaks the pool: calls fail with
//!   [`Error::Broken`]; no replacement worker is started, so there is no respawn loop.
//! - After `shutdown` with waiting, or drop, no worker process is left (alive or zombie) and
//!   no file descriptor of the pool stays open.
//!
//! Linux only: workers are started from `/proc/self/exe`.
//!
//! [postcard]: https://docs.rs/postcard
//! [`Portable`]: cfut_core::Portable
//! [`Future`]: cfut_core::Future
//! [`CallExecutor`]: cfut_core::CallExecutor
//! [`Error::Broken`]: cfut_core::Error::Broken
//! [`Error::Panicked`]: cfut_core::Error::Panicked
//! [`Error::WorkerDied`]: cfut_core::Error::WorkerDied
//! [`Error::Serialization`]: cfut_core::Error::Serialization
//! [`Builder::max_frame_size`]: crate::Builder::max_frame_size

#![warn(missing_docs)]
// Where other crates' docs link to this one's items when its pages are not beside theirs
// (a `cargo doc --no-deps` that documents them in another order, or one crate alone):
// otherwise rustdoc prints such links as plain text. docs.rs resolves the version.
#![doc(html_root_url = "https://docs.rs/cfut-processes/0.1")]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(cfut_loom, allow(dead_code, unreachable_pub))]

// Workers are re-executions of `/proc/self/exe`, started before `main` by an `.init_array`
// constructor, over Unix socket pairs: Linux only, said at build time rather than at run time.
#[cfg(not(target_os = "linux"))]
compile_error!(
    "cfut-processes runs on Linux only (workers re-execute /proc/self/exe); depend on it under \
     [target.'cfg(target_os = \"linux\")'.dependencies], or use the `cfut` facade, whose \
     `processes` feature does so"
);

pub mod backend;
mod block;
mod board;
mod builder;
mod direct;
mod error;
mod image;
mod initializer;
mod loom;
mod manager;
mod pool;
pub mod raw;
mod ring;
mod state;
mod task;
mod tuning;
mod wake;
mod wire;
mod worker;

pub use crate::builder::Builder;
pub use crate::error::BuildError;
pub use crate::pool::ProcessPoolExecutor;
pub use crate::worker::init;
