//! Send/Sync/Unpin of every public type of cfut-core (STYLE.md §6.7; C-SEND-SYNC), both
//! what must hold and what must not.
//!
//! `impls!(Type: Trait)` is a compile-time `bool`: an inherent associated constant that
//! exists only when `Type: Trait` shadows a trait constant that is always `false` (the
//! method-resolution trick of the `impls` crate, re-implemented here).

// The loom build (`--cfg cfut_loom`) swaps in model-only primitives and drops the timed
// APIs; these tests run against the real ones.
#![cfg(not(cfut_loom))]

use std::cell::Cell;
use std::marker::{PhantomData, PhantomPinned};
use std::rc::Rc;
use std::sync::MutexGuard;

use cfut_core::{
    AnyFuture, CallExecutor, Error, Executor, Exit, Future, InlineExecutor, Job, JobExecutor,
    Promise, Shutdown, State, WaitHelper, WaitHelperGuard, Waiter,
};

struct Probe<T: ?Sized>(PhantomData<T>);

trait NotSend {
    const SEND: bool = false;
}
trait NotSync {
    const SYNC: bool = false;
}
trait NotUnpin {
    const UNPIN: bool = false;
}
impl<T: ?Sized> NotSend for Probe<T> {}
impl<T: ?Sized> NotSync for Probe<T> {}
impl<T: ?Sized> NotUnpin for Probe<T> {}

impl<T: ?Sized + Send> Probe<T> {
    const SEND: bool = true;
}
impl<T: ?Sized + Sync> Probe<T> {
    const SYNC: bool = true;
}
impl<T: ?Sized + Unpin> Probe<T> {
    const UNPIN: bool = true;
}

macro_rules! impls {
    ($ty:ty: Send) => {
        <Probe<$ty>>::SEND
    };
    ($ty:ty: Sync) => {
        <Probe<$ty>>::SYNC
    };
    ($ty:ty: Unpin) => {
        <Probe<$ty>>::UNPIN
    };
}

/// Asserts the (Send, Sync, Unpin) triple of a type, naming it on failure.
macro_rules! assert_auto {
    ($ty:ty => $send:expr, $sync:expr, $unpin:expr) => {
        assert_eq!(
            (impls!($ty: Send), impls!($ty: Sync), impls!($ty: Unpin)),
            ($send, $sync, $unpin),
            "(Send, Sync, Unpin) of {}",
            stringify!($ty)
        );
    };
}

// Payload types covering every combination of the auto traits.
/// Send + Sync.
type SendSync = u32;
/// Send, not Sync.
type SendOnly = Cell<u32>;
/// Sync, not Send.
type SyncOnly = MutexGuard<'static, u32>;
/// Neither.
type Neither = Rc<u32>;
/// Send + Sync, not Unpin.
type Pinned = PhantomPinned;

// Compile-time checks of the positive promises, so a regression fails the build.
const _: () = {
    const fn send_sync<T: Send + Sync + 'static>() {}
    const fn send<T: Send + 'static>() {}
    send_sync::<Future<u32>>();
    send_sync::<Error>();
    send_sync::<Exit>();
    send_sync::<Waiter>();
    send_sync::<InlineExecutor>();
    send_sync::<State>();
    send_sync::<Shutdown>();
    send_sync::<Box<dyn Executor>>();
    send_sync::<Box<dyn JobExecutor>>();
    send::<Promise<u32>>();
    send::<Job>();
    send::<Future<Cell<u32>>>();
};

#[test]
fn smoke() {
    const { assert!(impls!(u32: Send)) };
    const { assert!(!impls!(Rc<u32>: Send)) };
    const { assert!(!impls!(Cell<u32>: Sync)) };
    const { assert!(!impls!(PhantomPinned: Unpin)) };
}

#[test]
fn future_follows_its_value() {
    // Send iff T: Send; Sync iff T: Send + Sync (a shared handle hands out `&T` to callbacks
    // on other threads, and the value moves to whoever takes it); always Unpin (a pointer).
    assert_auto!(Future<SendSync> => true, true, true);
    assert_auto!(Future<SendOnly> => true, false, true);
    assert_auto!(Future<SyncOnly> => false, false, true);
    assert_auto!(Future<Neither> => false, false, true);
    assert_auto!(Future<Pinned> => true, true, true);
}

#[test]
fn promise_follows_its_value() {
    // Send iff T: Send (the value is produced on the executor's thread). A shared `&Promise`
    // exposes no `T` (only `set_running_or_notify_cancel` and `is_cancelled`), so it is Sync
    // whenever it is Send.
    assert_auto!(Promise<SendSync> => true, true, true);
    assert_auto!(Promise<SendOnly> => true, true, true);
    assert_auto!(Promise<SyncOnly> => false, false, true);
    assert_auto!(Promise<Neither> => false, false, true);
    assert_auto!(Promise<Pinned> => true, true, true);
}

#[test]
fn value_types_are_send_sync_unpin() {
    assert_auto!(Error => true, true, true);
    assert_auto!(Exit => true, true, true);
    assert_auto!(State => true, true, true);
    assert_auto!(Shutdown => true, true, true);
}

#[test]
fn runtime_types() {
    // A job is moved to a worker and consumed there; it holds a `dyn FnOnce + Send` call,
    // so it is not Sync (a `&Job` offers nothing but `Debug`, so nothing is lost).
    assert_auto!(Job => true, false, true);
    assert_auto!(Waiter => true, true, true);
    assert_auto!(InlineExecutor => true, true, true);
    // Restores a thread-local on drop: it must stay on its thread.
    assert_auto!(WaitHelperGuard => false, false, true);
}

#[test]
fn trait_objects() {
    // The executor traits have `Send + Sync` as supertraits, so their objects are shareable.
    assert_auto!(dyn Executor => true, true, false);
    assert_auto!(dyn JobExecutor => true, true, false);
    // `AnyFuture` and `WaitHelper` carry no such bound: a helper is per thread (`Rc`).
    assert_auto!(dyn AnyFuture => false, false, false);
    assert_auto!(dyn WaitHelper => false, false, false);
    assert_auto!(dyn AnyFuture + Send + Sync => true, true, false);
}

#[test]
fn object_safety() {
    // Compiles only if the traits are object-safe (dyn-compatible).
    fn takes(_: &dyn Executor, _: &dyn JobExecutor, _: &dyn AnyFuture, _: &dyn WaitHelper) {}
    struct NoHelp;
    impl WaitHelper for NoHelp {
        fn help_while(&self, _: &dyn Fn() -> bool) {}
    }
    let inline = InlineExecutor::new();
    takes(&inline, &inline, &Future::from_result(Ok(())), &NoHelp);
    // `CallExecutor` is generic over calls, so it is used through `impl`, not `dyn`.
    fn generic(executor: &impl CallExecutor) -> usize {
        executor.max_workers()
    }
    assert_eq!(generic(&inline), 1);
}

#[test]
fn error_is_a_std_error() {
    fn boxed(error: Error) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        Box::new(error)
    }
    let error = boxed(Error::Shutdown);
    assert_eq!(
        error.to_string(),
        "the executor was shut down before the call ran"
    );
    // Display is lowercase, as the Rust API guidelines ask (C-GOOD-ERR).
    for error in [
        Error::Panicked {
            message: "m".into(),
            location: None,
        },
        Error::Cancelled,
        Error::TimedOut,
        Error::Shutdown,
        Error::Broken { reason: "r".into() },
        Error::WorkerDied(Exit::Signal(9)),
        Error::Serialization {
            message: "m".into(),
        },
        Error::Abandoned,
        Error::Consumed,
    ] {
        let text = error.to_string();
        assert!(
            text.chars().next().is_some_and(char::is_lowercase),
            "{text:?}"
        );
        assert!(!text.ends_with('.'), "{text:?}");
    }
}
