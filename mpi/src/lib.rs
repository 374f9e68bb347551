//! The same cfut futures on MPI ranks: Python's `mpi4py.futures` in Rust.
//!
//! When one machine is not enough, the code written against [`CallExecutor`] runs unchanged
//! on the ranks of an MPI job, started by `mpirun`/`mpiexec` or by Slurm's `srun`: the
//! engine every HPC cluster already has. [`MpiPoolExecutor`] gives the [`Future`] every cfut
//! executor gives, so `map`, `as_completed` and `wait` from `cfut-combinators` work on it and
//! its futures mix with thread- and process-pool futures.
//!
//! *Static mode* ([`run`], mpi4py's `python -m mpi4py.futures`): the same binary is started
//! N times; rank 0 runs the closure with a pool over ranks 1..N-1, the other ranks serve
//! calls and exit when rank 0's pool shuts down. [`Builder::on`] does the same over a
//! communicator the program already has (mpi4py's `MPICommExecutor`). *Spawn mode*
//! ([`Builder::spawn`], mpi4py's `MPIPoolExecutor`): a program started alone spawns its
//! workers with `MPI_Comm_spawn`.
//!
//! # Examples
//!
//! `examples/seed_mpi.rs`, run as `mpirun -n 4 target/release/examples/seed_mpi`:
//!
//! ```no_run
//! use cfut_combinators::MapExt;
//!
//! fn foo(n: u64) -> (u64, i32) {
//!     println!("starting {n}");
//!     std::thread::sleep(std::time::Duration::from_millis(100 * n));
//!     println!("end {n}");
//!     (n * 10, cfut_mpi::worker_rank().unwrap())
//! }
//!
//! let (values, ranks): (Vec<u64>, Vec<i32>) = cfut_mpi::run(|pool| {
//!     pool.map(foo, [5, 4, 3, 2, 1]).map(Result::unwrap).unzip()
//! })?;
//! assert_eq!(values, [50, 40, 30, 20, 10]);
//! assert!(ranks.iter().all(|&rank| (1..4).contains(&rank)));
//! # Ok::<(), cfut_mpi::StartError>(())
//! ```
//!
//! # Install and run
//!
//! Debian/Ubuntu: `apt-get install -y libopenmpi-dev openmpi-bin libclang-dev clang
//! pkg-config` (rsmpi finds MPI through `mpicc` and generates its bindings with libclang).
//!
//! ```text
//! cargo build --release -p cfut-mpi --examples
//! mpirun -n 4 target/release/examples/seed_mpi
//! ```
//!
//! As root (containers), Open MPI also wants `OMPI_ALLOW_RUN_AS_ROOT=1
//! OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1`; with more ranks than cores, `--oversubscribe` (or
//! `OMPI_MCA_rmaps_base_oversubscribe=1`, which spawn mode needs too).
//!
//! # How a call travels
//!
//! Exactly as in the process pool, through [`cfut_processes::backend`]: the function as its
//! offset inside the executable, the argument and result as postcard frames, one MPI message
//! per frame. A plain buffer of 64 KiB or more (a `Vec` of primitive numbers, a `String`) as
//! argument or result is not encoded into its frame: its memory follows the frame as an MPI
//! message of its own (its tag says its alignment) and is received straight into the memory
//! of the `Vec` the call (or the caller) gets, as mpi4py's pickle-5 out-of-band buffers are;
//! the process pool's sockets carry the same blocks. Every rank runs the same build: before
//! any call crosses, the root sends its build identity and each worker compares it with its
//! own; a rank running another build
//! refuses, and the pool is broken with [`Error::Broken`] saying so. On the root, one thread
//! at a time makes the MPI calls (MPI must offer `MPI_THREAD_SERIALIZED`; `MULTIPLE` is
//! requested): the pool's manager thread, or, inside [`run`], the root's own thread while it
//! waits for a result — it sends its calls itself and receives the answers itself, so a
//! round trip involves two threads (the caller and the worker rank) instead of three. The
//! manager stands aside meanwhile and takes over when the caller stops waiting with calls
//! still in flight, or does something else; a call nobody waits for is still answered
//! within a millisecond of its result (mpi4py's manager polls at the same 1 ms at most).
//! Pools made by [`Builder::on`] and [`Builder::spawn`] get the same from
//! [`MpiPoolExecutor::drive_here`], a guard for the thread that submits and waits (in spawn
//! mode a round trip then took 22–35 µs instead of 200–700 µs here, the spawned ranks being
//! reached over TCP). Each
//! worker has a window of calls in flight ([`Builder::window`]); a chunked `map` sends each
//! chunk as one call ([`CallExecutor::submit_batch`]). Idle ranks poll with a bounded
//! back-off: spin 200 µs, then sleeps of 1/8 of the time idle, 10 µs to 1 ms; idle for more
//! than 100 ms, sleeps of 1/100 of the time idle, up to 50 ms (so the first call after a long
//! pause waits at most 1 % of the pause, and an idle pool's ranks wake about 20 times a
//! second). The root's manager sleeps without polling when nothing is in flight.
//!
//! Inside [`run`] (or while a [`DrivingGuard`] lives), done-callbacks of this pool's futures
//! may run on the driving thread (while it waits for a result, as a thread pool's waiting
//! caller runs queued calls); elsewhere they run on the manager thread. Either way, a callback that blocks on another of this pool's
//! results waits forever, as in Python.
//!
//! On a node with more ranks than cores, Open MPI yields the CPU at every poll that finds
//! nothing (`mpi_yield_when_idle`), a system call that dominates a round trip of a tiny call:
//! `--mca mpi_yield_when_idle 0` cuts it by half or more when the ranks' busy threads fit the
//! cores (see `mpi/README.md`). cfut-mpi leaves the setting to the user: with more busy
//! threads than cores, the yield is what lets a waiting rank give its core away.
//!
//! # Failures
//!
//! - A call that panics fails only its future, with [`Error::Panicked`] (message and
//!   location); the worker rank serves on.
//! - An initializer that panics on any rank breaks the pool: every pending and later call
//!   fails with [`Error::Broken`] naming the rank; no call crosses.
//! - A worker rank that dies (exit, abort, signal) ends the whole MPI job with a non-zero
//!   status, as MPI does (there is no per-call fault tolerance on MPI); it never hangs.
//! - A panic on the root inside [`run`] ends the job through `MPI_Abort` (status 101) after
//!   printing the panic; it never hangs.
//! - `shutdown` waits (or not) and cancels the unsent calls (or not), as Python's; dropping
//!   the pool is leaving Python's `with` block. Every worker rank exits when the root's pool
//!   shuts down.
//!
//! # Slurm
//!
//! An example batch script (written for Slurm with PMIx; **not run on a real cluster
//! here**, only `mpirun` on one machine, with `--mca btl self,tcp` standing in for the
//! network):
//!
//! ```text
//! #!/bin/bash
//! #SBATCH --job-name=cfut-mpi
//! #SBATCH --nodes=2
//! #SBATCH --ntasks-per-node=16
//! #SBATCH --time=00:10:00
//! # Rank 0 runs main's pool; the other 31 ranks serve its calls.
//! srun --mpi=pmix ./target/release/examples/seed_mpi
//! ```
//!
//! [`CallExecutor`]: cfut_core::CallExecutor
//! [`CallExecutor::submit_batch`]: cfut_core::CallExecutor::submit_batch
//! [`Future`]: cfut_core::Future
//! [`Error::Broken`]: cfut_core::Error::Broken
//! [`Error::Panicked`]: cfut_core::Error::Panicked

#![warn(missing_docs)]
// Where other crates' docs link to this one's items when its pages are not beside theirs
// (a `cargo doc --no-deps` that documents them in another order, or one crate alone):
// otherwise rustdoc prints such links as plain text. docs.rs resolves the version.
#![doc(html_root_url = "https://docs.rs/cfut-mpi/0.1")]
#![doc(test(
    no_crate_inject,
    attr(deny(warnings), allow(dead_code, unused_variables))
))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(cfut_loom, allow(dead_code, unreachable_pub))]

mod backoff;
mod builder;
mod driver;
mod error;
mod exit_race;
mod inbox;
mod loom;
mod manager;
mod pool;
mod serve;
mod spawn;
mod transport;
mod tuning;
mod waiting;

pub use crate::builder::{Builder, run};
pub use crate::error::StartError;
#[doc(hidden)]
pub use crate::exit_race::is_open_mpi_exit_race;
pub use crate::pool::MpiPoolExecutor;
pub use crate::serve::worker_rank;
pub use crate::waiting::DrivingGuard;
