//! [`Waitable`]: what [`wait`](crate::wait()) and [`as_completed`](crate::as_completed())
//! accept — owned futures, borrowed futures, and type-erased ones, mixed.

use cfut_core::{AnyFuture, Future};

use crate::loom::sync::Arc;

/// Something that can be waited on: a [`Future`], a reference to one, or a type-erased
/// [`AnyFuture`] (boxed or borrowed), so that futures of different result types — and from
/// different executors — go into one [`wait`](crate::wait()) or
/// [`as_completed`](crate::as_completed()).
///
/// Owned futures are unique handles, so they can never be given twice. Borrowed (`&`) and
/// shared (`Arc`) ones can: the combinators collapse duplicates by address, as Python
/// collapses them by identity.
///
/// # Examples
///
/// ```
/// use cfut_core::{AnyFuture, Future};
/// use cfut_combinators::{wait, ReturnWhen};
///
/// let number = Future::from_result(Ok(1_u8));
/// let text = Future::from_result(Ok("one"));
/// // Different result types, one call, through the type-erased view:
/// let mixed: Vec<&dyn AnyFuture> = vec![&number, &text, &number];
/// let (done, not_done) = wait(mixed, ReturnWhen::AllCompleted);
/// assert_eq!(done.len(), 2, "the duplicate is collapsed");
/// assert!(not_done.is_empty());
/// ```
///
/// To take the results of futures of different types in completion order, give your own enum
/// of owned futures:
///
/// ```
/// use cfut_core::{AnyFuture, Future};
/// use cfut_combinators::{as_completed, Waitable};
///
/// enum Job {
///     Count(Future<u64>),
///     Name(Future<String>),
/// }
///
/// impl Waitable for Job {
///     fn as_any_future(&self) -> &dyn AnyFuture {
///         match self {
///             Job::Count(future) => future,
///             Job::Name(future) => future,
///         }
///     }
/// }
///
/// let jobs = vec![
///     Job::Count(Future::from_result(Ok(3))),
///     Job::Name(Future::from_result(Ok("cfut".to_owned()))),
/// ];
/// let mut report = Vec::new();
/// for job in as_completed(jobs) {
///     match job {
///         Job::Count(future) => report.push(format!("count {}", future.result().unwrap())),
///         Job::Name(future) => report.push(format!("name {}", future.result().unwrap())),
///     }
/// }
/// assert_eq!(report, ["count 3", "name cfut"]);
/// ```
pub trait Waitable {
    /// The type-erased view of the future.
    fn as_any_future(&self) -> &dyn AnyFuture;

    /// An identity for collapsing duplicates: `None` for a handle that owns its future (it
    /// cannot appear twice), the future's address for a borrowed one.
    fn identity(&self) -> Option<usize> {
        None
    }
}

impl<T> Waitable for Future<T> {
    fn as_any_future(&self) -> &dyn AnyFuture {
        self
    }
}

impl Waitable for dyn AnyFuture + '_ {
    fn as_any_future(&self) -> &dyn AnyFuture {
        self
    }
}

impl Waitable for dyn AnyFuture + Send + '_ {
    fn as_any_future(&self) -> &dyn AnyFuture {
        self
    }
}

impl Waitable for dyn AnyFuture + Send + Sync + '_ {
    fn as_any_future(&self) -> &dyn AnyFuture {
        self
    }
}

impl<F: Waitable + ?Sized> Waitable for &F {
    fn as_any_future(&self) -> &dyn AnyFuture {
        (**self).as_any_future()
    }

    fn identity(&self) -> Option<usize> {
        (**self)
            .identity()
            .or_else(|| Some((*self as *const F).cast::<()>() as usize))
    }
}

impl<F: Waitable + ?Sized> Waitable for &mut F {
    fn as_any_future(&self) -> &dyn AnyFuture {
        (**self).as_any_future()
    }

    fn identity(&self) -> Option<usize> {
        // A `&mut` is unique: it cannot be given twice.
        (**self).identity()
    }
}

impl<F: Waitable + ?Sized> Waitable for Box<F> {
    fn as_any_future(&self) -> &dyn AnyFuture {
        (**self).as_any_future()
    }

    fn identity(&self) -> Option<usize> {
        (**self).identity()
    }
}

impl<F: Waitable + ?Sized> Waitable for Arc<F> {
    fn as_any_future(&self) -> &dyn AnyFuture {
        (**self).as_any_future()
    }

    /// Shared handles can be given twice: the address of the shared value.
    fn identity(&self) -> Option<usize> {
        (**self)
            .identity()
            .or_else(|| Some((&**self as *const F).cast::<()>() as usize))
    }
}

/// Collects `futures`, dropping later duplicates (same identity).
pub(crate) fn collect_unique<F: Waitable>(futures: impl IntoIterator<Item = F>) -> Vec<F> {
    let mut seen = std::collections::HashSet::new();
    futures
        .into_iter()
        .filter(|future| future.identity().is_none_or(|id| seen.insert(id)))
        .collect()
}
