//! Python's `submit(fn, arg)` on every executor: [`Submit`], and [`PortableFn`], the calls a
//! process or cluster backend can send to another process.

use std::any::TypeId;

use crate::{CallExecutor, Executor, Future, JobExecutor, Portable, Spawn};

/// Python's `executor.submit(fn, arg)`, on every executor: schedules `call(arg)` and returns
/// the future of its result.
///
/// Which calls an executor accepts depends on where it runs them:
/// - an in-process executor (every [`JobExecutor`]: thread pools, the inline executor) takes
///   any `FnOnce(A) -> T + Send` — a function or a capturing closure — and runs it without
///   serializing anything;
/// - a process or cluster backend takes a [`PortableFn`]: a plain function, or a closure that
///   captures nothing, over [`Portable`] (serde) values.
///
/// Several arguments travel as a tuple, as in `submit(add, (1, 2))`. The closure form with no
/// argument is [`Spawn::spawn`].
///
/// # Examples
///
/// ```
/// use cfut_core::{InlineExecutor, Spawn, Submit};
///
/// fn foo(n: u64) -> u64 { n * 10 }
///
/// let executor = InlineExecutor::new();
/// assert_eq!(executor.submit(foo, 5).result(), Ok(50));        // Python: submit(foo, 5)
/// assert_eq!(executor.spawn(|| foo(4)).result(), Ok(40));      // a closure, no argument
/// let words = vec!["a", "bc"];
/// assert_eq!(executor.submit(move |i: usize| words[i].len(), 1).result(), Ok(2));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run `{F}` on an argument of type `{A}`",
    label = "this call cannot be sent to where `{Self}` runs it",
    note = "a process or cluster pool runs plain functions and closures that capture nothing, \
            over values serde can carry (`Portable`): pass the captured values in the argument, \
            e.g. `pool.submit(f, (a, b))`",
    note = "in-process pools (threads) run any `FnOnce(A) -> T + Send + 'static`; \
            `spawn(|| ...)` takes a closure with no argument"
)]
pub trait Submit<F, A, T>: Executor {
    /// Schedules `call(arg)` and returns the future of its result. A panic fails only this
    /// future with [`Error::Panicked`](crate::Error::Panicked); after shutdown the future
    /// fails with [`Error::Shutdown`](crate::Error::Shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{InlineExecutor, Submit};
    ///
    /// let sum = InlineExecutor::new().submit(|(a, b): (i32, i32)| a + b, (1, 2));
    /// assert_eq!(sum.result(), Ok(3));
    /// ```
    fn submit(&self, call: F, arg: A) -> Future<T>;
}

impl<E, F, A, T> Submit<F, A, T> for E
where
    E: JobExecutor + ?Sized,
    F: FnOnce(A) -> T + Send + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    fn submit(&self, call: F, arg: A) -> Future<T> {
        self.spawn(move || call(arg))
    }
}

/// A call that can travel to another process: a plain function (or function pointer), or a
/// closure that captures nothing, from `A` to `T`, both [`Portable`].
///
/// Such a call is a place in the program, not data: backends send it as the offset of a
/// function inside the executable ([`fn_pointer`] gives that function). Implemented for every
/// type that qualifies; never implement it by hand.
///
/// # Examples
///
/// ```
/// use cfut_core::PortableFn;
///
/// fn assert_portable_fn<F: PortableFn<A, T>, A, T>(_: F) {}
/// fn square(x: u64) -> u64 { x * x }
/// assert_portable_fn(square);
/// assert_portable_fn(|s: String| s.len());
/// ```
///
/// A closure that captures a `String` is not one (it is not `Copy`):
///
/// ```compile_fail,E0277
/// use cfut_core::PortableFn;
/// fn assert_portable_fn<F: PortableFn<A, T>, A, T>(_: F) {}
/// let greeting = String::from("hello");
/// assert_portable_fn(move |n: usize| greeting.len() + n);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to a worker process",
    label = "not a plain function over serde values",
    note = "a process or cluster pool runs plain functions and closures that capture nothing, \
            over values serde can carry (`Portable`): pass the captured values in the argument"
)]
pub trait PortableFn<A, T>: Fn(A) -> T + Copy + Send + Sync + 'static {}

// Not recommended: a failing bound is reported as `PortableFn` with its message (what to do)
// instead of the leaf bound that failed (`String: Copy` for a closure capturing a `String`).
#[diagnostic::do_not_recommend]
impl<F, A, T> PortableFn<A, T> for F
where
    F: Fn(A) -> T + Copy + Send + Sync + 'static,
    A: Portable,
    T: Portable,
{
}

/// The function pointer that runs `call`: `call` itself when it is a function pointer, a
/// monomorphic shim when it is a function item or a closure that captures nothing. What a
/// backend sends to another process for a [`PortableFn`].
///
/// Returns `None` for a closure that captures a value the size of a pointer (one that
/// captures more does not compile: a `const` assertion names the fix). A backend fails such
/// a call with [`Error::Serialization`](crate::Error::Serialization).
///
/// # Examples
///
/// ```
/// fn triple(x: u32) -> u32 { x * 3 }
///
/// let f = cfut_core::fn_pointer(triple).unwrap();
/// assert_eq!(f(2), 6);
/// let g = cfut_core::fn_pointer(|x: u32| x + 1).unwrap();
/// assert_eq!(g(2), 3);
/// let captured = 7_u64;
/// assert!(cfut_core::fn_pointer(move |x: u64| x + captured).is_none());
/// ```
pub fn fn_pointer<F, A, T>(call: F) -> Option<fn(A) -> T>
where
    F: Fn(A) -> T + Copy + 'static,
    A: 'static,
    T: 'static,
{
    const {
        assert!(
            size_of::<F>() == 0 || size_of::<F>() == size_of::<fn(A) -> T>(),
            "a closure that captures values cannot be sent to a worker process: \
             pass the captured values in the argument"
        );
    }
    if size_of::<F>() == 0 {
        return Some(zero_sized_shim::<F, A, T>);
    }
    if TypeId::of::<F>() == TypeId::of::<fn(A) -> T>() {
        // SAFETY: `F` is `fn(A) -> T` itself (same `TypeId`), so the copy is a plain
        // function pointer copy.
        return Some(unsafe { std::mem::transmute_copy::<F, fn(A) -> T>(&call) });
    }
    None
}

/// Runs the zero-sized callable `F`, conjured without an instance.
fn zero_sized_shim<F, A, T>(arg: A) -> T
where
    F: Fn(A) -> T + Copy + 'static,
{
    // SAFETY: `F` has no bytes (checked by `fn_pointer`, the only way to name this shim), so
    // every value of it is the same value; it is `Copy` (no drop, no ownership) and `'static`
    // (borrows nothing), and `fn_pointer` was handed an instance, so the type is inhabited.
    // Reading it from a dangling, aligned pointer therefore gives a valid copy of that
    // instance — in this process or in a re-execution of the same build.
    let call: F = unsafe { std::ptr::NonNull::<F>::dangling().as_ptr().read() };
    call(arg)
}

/// Submits a [`PortableFn`] through [`CallExecutor::submit_call`]: what a portable backend's
/// [`Submit`] implementation does. A closure that captures a pointer-sized value (see
/// [`fn_pointer`]) fails its future with [`Error::Serialization`](crate::Error::Serialization).
///
/// # Examples
///
/// ```
/// use cfut_core::{submit_portable, InlineExecutor};
///
/// let executor = InlineExecutor::new();
/// assert_eq!(submit_portable(&executor, |x: u8| x + 1, 1).result(), Ok(2));
/// ```
pub fn submit_portable<E, F, A, T>(executor: &E, call: F, arg: A) -> Future<T>
where
    E: CallExecutor + ?Sized,
    F: PortableFn<A, T>,
    A: Portable,
    T: Portable,
{
    match fn_pointer(call) {
        Some(call) => executor.submit_call(call, arg),
        None => Future::from_result(Err(captures_error())),
    }
}

/// The error of a call that captures a value and so cannot travel.
pub(crate) fn captures_error() -> crate::Error {
    crate::Error::Serialization {
        message: "the call is a closure that captures a value; a worker process can only run \
                  plain functions and closures that capture nothing: pass the captured values \
                  in the argument"
            .to_owned(),
    }
}
