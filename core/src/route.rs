//! How `map` reaches an executor: [`MapTarget`] tells a [`RouteVisitor`] whether the calls run
//! in this process (so a map may group them and share a closure) or travel as
//! [`PortableRoute`] calls.

use crate::{CallExecutor, ChunkResults, Executor, Future, JobExecutor, Portable, PortableFn};

/// An executor that `map` can run `F: A -> T` on: every [`JobExecutor`] (for any shared
/// closure) and every portable backend (for a [`PortableFn`]). It is what lets one
/// `executor.map(f, inputs)` method serve thread pools and process pools alike; the
/// combinators crate implements the map, backends implement only this.
///
/// # Examples
///
/// A visitor that tells which way a call goes:
///
/// ```
/// use cfut_core::{InlineExecutor, JobExecutor, MapTarget, PortableRoute, RouteVisitor};
///
/// struct Where;
/// impl<'a, A, T> RouteVisitor<'a, A, T> for Where {
///     type Output = &'static str;
///     fn in_process<E, F>(self, _: &'a E, _: F) -> &'static str
///     where
///         E: JobExecutor + ?Sized,
///         F: Fn(A) -> T + Send + Sync + 'static,
///         A: Send + 'static,
///         T: Send + 'static,
///     {
///         "in process"
///     }
///     fn portable(self, _: Box<dyn PortableRoute<A, T> + 'a>) -> &'static str {
///         "portable"
///     }
/// }
///
/// let executor = InlineExecutor::new();
/// assert_eq!(executor.route(|x: u8| x, Where), "in process");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot map `{F}` over inputs of type `{A}`",
    label = "this call cannot be sent to where `{Self}` runs it",
    note = "a process or cluster pool maps plain functions and closures that capture nothing, \
            over values serde can carry (`Portable`): pass the captured values in the inputs"
)]
pub trait MapTarget<F, A, T>: Executor {
    /// Calls the visitor's method for the way this executor runs `call`.
    fn route<'a, V: RouteVisitor<'a, A, T>>(&'a self, call: F, visitor: V) -> V::Output;
}

/// What a map builds once it knows how an executor runs its calls; see [`MapTarget`].
pub trait RouteVisitor<'a, A, T> {
    /// What the visit produces (a map's submitter).
    type Output;

    /// The executor runs closures in this process: `call` may be shared by many jobs.
    fn in_process<E, F>(self, executor: &'a E, call: F) -> Self::Output
    where
        E: JobExecutor + ?Sized,
        F: Fn(A) -> T + Send + Sync + 'static,
        A: Send + 'static,
        T: Send + 'static;

    /// The executor sends calls elsewhere: one call or one chunk of calls at a time.
    fn portable(self, route: Box<dyn PortableRoute<A, T> + 'a>) -> Self::Output;
}

/// One function bound to a portable executor: what a map submits to a process or cluster
/// pool, call by call or chunk by chunk.
///
/// # Examples
///
/// ```
/// use cfut_core::{CallRoute, InlineExecutor, PortableRoute};
///
/// fn half(x: u32) -> u32 { x / 2 }
/// let executor = InlineExecutor::new();
/// let route = CallRoute::new(&executor, half);
/// assert_eq!(route.one(8).result(), Ok(4));
/// assert_eq!(route.chunk(vec![2, 4]).result().unwrap().decode(), Ok(vec![Ok(1), Ok(2)]));
/// ```
pub trait PortableRoute<A, T> {
    /// Submits the call on one argument.
    fn one(&self, arg: A) -> Future<T>;
    /// Submits the call over every argument as one unit of work, one result per element
    /// ([`CallExecutor::submit_batch`]).
    fn chunk(&self, args: Vec<A>) -> Future<ChunkResults<T>>;
}

/// A [`PortableRoute`] through [`CallExecutor`]: the route every portable backend gives.
///
/// # Examples
///
/// See [`PortableRoute`].
pub struct CallRoute<'a, E: ?Sized, A, T> {
    executor: &'a E,
    call: Result<fn(A) -> T, ()>,
}

impl<'a, E: CallExecutor + ?Sized, A: Portable, T: Portable> CallRoute<'a, E, A, T> {
    /// Binds `call` to `executor`. A closure that captures a value (see
    /// [`fn_pointer`](crate::fn_pointer)) fails each of its calls with
    /// [`Error::Serialization`](crate::Error::Serialization).
    ///
    /// # Examples
    ///
    /// See [`PortableRoute`].
    pub fn new<F: PortableFn<A, T>>(executor: &'a E, call: F) -> Self {
        CallRoute {
            executor,
            call: crate::fn_pointer(call).ok_or(()),
        }
    }
}

impl<E: CallExecutor + ?Sized, A: Portable, T: Portable> PortableRoute<A, T>
    for CallRoute<'_, E, A, T>
{
    fn one(&self, arg: A) -> Future<T> {
        match self.call {
            Ok(call) => self.executor.submit_call(call, arg),
            Err(()) => Future::from_result(Err(crate::submit::captures_error())),
        }
    }

    fn chunk(&self, args: Vec<A>) -> Future<ChunkResults<T>> {
        match self.call {
            Ok(call) => self.executor.submit_batch(call, args),
            Err(()) => Future::from_result(Err(crate::submit::captures_error())),
        }
    }
}

impl<E: ?Sized, A, T> std::fmt::Debug for CallRoute<'_, E, A, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallRoute").finish_non_exhaustive()
    }
}

impl<E, F, A, T> MapTarget<F, A, T> for E
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    fn route<'a, V: RouteVisitor<'a, A, T>>(&'a self, call: F, visitor: V) -> V::Output {
        visitor.in_process(self, call)
    }
}

/// Implements [`Submit`](crate::Submit) and [`MapTarget`] for a portable backend (a type of
/// yours that implements [`CallExecutor`] and not [`JobExecutor`]): `submit(f, arg)` and
/// `map(f, inputs)` then take every [`PortableFn`], through
/// [`submit_portable`](crate::submit_portable) and [`CallRoute`]. What the process pool and
/// cfut-mpi use; the impls cannot be blanket ones (they would overlap those for
/// `JobExecutor`), so each backend states them with this one line.
///
/// # Examples
///
/// ```
/// use cfut_core::{
///     CallExecutor, ChunkResults, Executor, Future, InlineExecutor, Portable, Shutdown, Submit,
/// };
///
/// /// A stand-in for a backend that sends calls elsewhere.
/// struct Remote(InlineExecutor);
///
/// impl Executor for Remote {
///     fn max_workers(&self) -> usize { 1 }
///     fn shutdown(&self, how: Shutdown) { self.0.shutdown(how) }
/// }
///
/// impl CallExecutor for Remote {
///     fn submit_call<A: Portable, T: Portable>(&self, call: fn(A) -> T, arg: A) -> Future<T> {
///         self.0.submit_call(call, arg)
///     }
///     fn submit_batch<A: Portable, T: Portable>(
///         &self,
///         call: fn(A) -> T,
///         args: Vec<A>,
///     ) -> Future<ChunkResults<T>> {
///         self.0.submit_batch(call, args)
///     }
/// }
///
/// cfut_core::portable_executor!(Remote);
///
/// let remote = Remote(InlineExecutor::new());
/// assert_eq!(remote.submit(|x: u8| x + 1, 1).result(), Ok(2));
/// ```
#[macro_export]
macro_rules! portable_executor {
    ($executor:ty) => {
        impl<F, A, T> $crate::Submit<F, A, T> for $executor
        where
            F: $crate::PortableFn<A, T>,
            A: $crate::Portable,
            T: $crate::Portable,
        {
            fn submit(&self, call: F, arg: A) -> $crate::Future<T> {
                $crate::submit_portable(self, call, arg)
            }
        }

        /// `map` sends each call (or chunk, with `chunksize`) through `CallExecutor`.
        impl<F, A, T> $crate::MapTarget<F, A, T> for $executor
        where
            F: $crate::PortableFn<A, T>,
            A: $crate::Portable,
            T: $crate::Portable,
        {
            fn route<'a, V: $crate::RouteVisitor<'a, A, T>>(
                &'a self,
                call: F,
                visitor: V,
            ) -> V::Output {
                visitor.portable(::std::boxed::Box::new($crate::CallRoute::new(self, call)))
            }
        }
    };
}
