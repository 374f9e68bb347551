//! The portable level: [`CallExecutor`] runs `fn(A) -> T` calls whose argument and result are
//! serde values, so the same code runs on threads, processes or (later) a cluster.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ChunkResults, Error, Executor, Future, JobExecutor, Spawn, unwind};

/// A value that can travel to another process: serde both ways, `Send`, `'static`.
///
/// Implemented for every type that qualifies; never implement it by hand.
///
/// # Examples
///
/// ```
/// fn assert_portable<T: cfut_core::Portable>() {}
/// assert_portable::<(u32, String, Vec<f64>)>();
/// ```
pub trait Portable: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Portable for T {}

/// The portable executor level: runs a *call* — a plain function or non-capturing closure
/// `fn(A) -> T` with a [`Portable`] argument and result.
///
/// Process pools (and later cluster backends) implement only this level; every
/// [`JobExecutor`] gets it for free, running the call in-process without serializing.
/// Code written against `CallExecutor` runs unchanged on any backend.
///
/// # Examples
///
/// ```
/// use cfut_core::{CallExecutor, InlineExecutor};
///
/// fn square(x: u64) -> u64 { x * x }
///
/// fn sum_of_squares(executor: &impl CallExecutor, n: u64) -> u64 {
///     let futures: Vec<_> = (1..=n).map(|i| executor.submit_call(square, i)).collect();
///     futures.into_iter().map(|f| f.result().unwrap()).sum()
/// }
///
/// assert_eq!(sum_of_squares(&InlineExecutor::new(), 3), 14);
/// ```
pub trait CallExecutor: Executor {
    /// Schedules `call(arg)` and returns the future of its result. A panic fails only this
    /// future with [`Error::Panicked`]; a value that cannot cross the boundary fails it with
    /// [`Error::Serialization`].
    fn submit_call<A, T>(&self, call: fn(A) -> T, arg: A) -> Future<T>
    where
        A: Portable,
        T: Portable;

    /// Schedules `call` over every element of `args` as one unit of work (what `map`'s
    /// `chunksize` uses) and returns one result per element, in order: a panic fails only its
    /// own element. The results may stay encoded until the consuming thread calls
    /// [`ChunkResults::decode`] (a process pool's own thread then only moves bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::{CallExecutor, Error, InlineExecutor};
    ///
    /// fn invert(x: i32) -> i32 { 100 / x }
    /// let chunk = InlineExecutor::new().submit_batch(invert, vec![1, 0, 4]).result().unwrap();
    /// let results = chunk.decode().unwrap();
    /// assert_eq!(results[0], Ok(100));
    /// assert!(matches!(results[1], Err(Error::Panicked { .. })));
    /// assert_eq!(results[2], Ok(25));
    /// ```
    fn submit_batch<A, T>(&self, call: fn(A) -> T, args: Vec<A>) -> Future<ChunkResults<T>>
    where
        A: Portable,
        T: Portable;
}

impl<E: JobExecutor + ?Sized> CallExecutor for E {
    fn submit_call<A, T>(&self, call: fn(A) -> T, arg: A) -> Future<T>
    where
        A: Portable,
        T: Portable,
    {
        self.spawn(move || call(arg))
    }

    fn submit_batch<A, T>(&self, call: fn(A) -> T, args: Vec<A>) -> Future<ChunkResults<T>>
    where
        A: Portable,
        T: Portable,
    {
        self.spawn(move || ChunkResults::ready(run_batch(call, args)))
    }
}

/// Runs `call` over `args`, catching each element's panic separately. Backends that run
/// batches elsewhere (a worker process) use it on their side too.
///
/// # Examples
///
/// ```
/// let results = cfut_core::run_batch(|x: u8| x + 1, vec![1, 2]);
/// assert_eq!(results, [Ok(2), Ok(3)]);
/// ```
pub fn run_batch<A, T>(call: fn(A) -> T, args: Vec<A>) -> Vec<Result<T, Error>> {
    args.into_iter()
        .map(|arg| unwind::halt_unwinding(|| call(arg)).map_err(Error::from_panic))
        .collect()
}
