//! The scheduling queues: one *injector* for submissions from outside the pool, a *local*
//! deque per worker for submissions made inside a task, and *stealers* for the rest.
//!
//! * [`Injector`], for calls submitted from outside the pool (multi-producer FIFO);
//! * [`Local`], a worker's own deque (only that worker pushes and pops);
//! * [`Stealer`], the other end of a [`Local`], through which idle workers take work.
//!
//! Normally these wrap crossbeam (crossbeam-queue's `SegQueue` for the injector, `deque.rs`
//! says why; crossbeam-deque for the rest). crossbeam cannot run under loom (it uses `core`
//! atomics and crossbeam-epoch directly), so under `--cfg cfut_loom` a small lock-based
//! stand-in with the same interface takes its place; the sleep protocol is what the models
//! check, and it only needs "push, then look" semantics from the queues.
//! Steals that crossbeam reports as `Retry` (a lost race) are retried here, so callers see
//! only "got one" or "empty".

#[cfg(not(cfut_loom))]
mod deque;
#[cfg(not(cfut_loom))]
pub(crate) use self::deque::{Injector, Local, Stealer};

#[cfg(cfut_loom)]
mod standin;
#[cfg(cfut_loom)]
pub(crate) use self::standin::{Injector, Local, Stealer};
