//! How `map` hands one input, or a chunk of inputs, to an executor — at the in-process level
//! (a shared closure) or at the portable level (a `fn` pointer and serde values).

use std::panic::{self, AssertUnwindSafe};

use cfut_core::{CallExecutor, Error, Future, JobExecutor, Portable, Submit};

use crate::loom::sync::Arc;

/// Submits the calls of one `map`.
pub(crate) trait Submitter<A, T> {
    /// One call on `arg`.
    fn one(&self, arg: A) -> Future<T>;
    /// One unit of work over `args`, with one result per element (a panic fails only its
    /// element).
    fn chunk(&self, args: Vec<A>) -> Future<Vec<Result<T, Error>>>;
}

/// The in-process level: a closure shared by every call.
pub(crate) struct ClosureSubmitter<'a, E: ?Sized, F> {
    pub(crate) executor: &'a E,
    pub(crate) call: Arc<F>,
}

impl<E, F, A, T> Submitter<A, T> for ClosureSubmitter<'_, E, F>
where
    E: JobExecutor + ?Sized,
    F: Fn(A) -> T + Send + Sync + 'static,
    A: Send + 'static,
    T: Send + 'static,
{
    fn one(&self, arg: A) -> Future<T> {
        let call = Arc::clone(&self.call);
        self.executor.submit(move || call(arg))
    }

    fn chunk(&self, args: Vec<A>) -> Future<Vec<Result<T, Error>>> {
        let call = Arc::clone(&self.call);
        self.executor.submit(move || {
            args.into_iter()
                .map(|arg| {
                    panic::catch_unwind(AssertUnwindSafe(|| call(arg))).map_err(Error::from_panic)
                })
                .collect()
        })
    }
}

/// The portable level: a plain function, whatever backend runs it.
pub(crate) struct CallSubmitter<'a, E: ?Sized, A, T> {
    pub(crate) executor: &'a E,
    pub(crate) call: fn(A) -> T,
}

impl<E, A, T> Submitter<A, T> for CallSubmitter<'_, E, A, T>
where
    E: CallExecutor + ?Sized,
    A: Portable,
    T: Portable,
{
    fn one(&self, arg: A) -> Future<T> {
        self.executor.submit_call(self.call, arg)
    }

    fn chunk(&self, args: Vec<A>) -> Future<Vec<Result<T, Error>>> {
        self.executor.submit_batch(self.call, args)
    }
}
