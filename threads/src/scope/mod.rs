//! Scoped submissions: [`ThreadPoolExecutor::scope`] and its [`Scope`], whose calls may
//! borrow from the caller's stack (`std::thread::scope` and `rayon::scope` on a pool).
//!
//! Soundness rests on one protocol, the [`Join`]: a count of the scope's unfinished units —
//! the body, plus every call from its submission until its job has been run or dropped
//! (`Job::with_promise_unchecked`'s `finished`: the job side holds nothing of the call then). The unit that brings the count
//! to zero completes a future, and `scope` does not return before that future is done. The
//! loom models in `tests/` check it.

use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};

use cfut_core::{Future, Job, JobExecutor, Promise, promise};

use crate::ThreadPoolExecutor;
use crate::loom::sync::Arc;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};

#[cfg(all(test, cfut_loom))]
mod tests;

/// The calls of one [`ThreadPoolExecutor::scope`]: submit calls that borrow from outside the
/// scope; every one has finished when `scope` returns.
///
/// `'env` is what the calls may borrow (data that outlives the `scope` call); `'scope` is the
/// scope itself. The futures carry the results' lifetime, so a result that borrows cannot
/// leave the scope either.
///
/// # Examples
///
/// ```
/// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
/// let words = vec!["borrowed", "from", "the", "stack"];
/// let mut counts = vec![0; 2];
/// pool.scope(|s| {
///     let (left, right) = counts.split_at_mut(1);
///     let first = s.spawn(|| left[0] = words[..2].len());
///     let second = s.submit(|half: &[&str]| right[0] = half.len(), &words[2..]);
///     assert!(first.result().is_ok() && second.result().is_ok());
/// });
/// assert_eq!(counts, [2, 2]);
/// # Ok::<(), cfut_threads::BuildError>(())
/// ```
#[derive(Debug)]
pub struct Scope<'scope, 'env: 'scope> {
    pool: &'scope ThreadPoolExecutor,
    join: Arc<Join>,
    /// Invariant in `'scope`, as `std::thread::Scope`: a scope cannot be shortened.
    scope: PhantomData<&'scope mut &'scope ()>,
    /// Invariant in `'env`, likewise.
    env: PhantomData<&'env mut &'env ()>,
}

impl<'scope> Scope<'scope, '_> {
    /// Schedules the closure `call` on the pool and returns the future of its result; `call`
    /// may borrow anything that outlives the scope. The closure form, like
    /// [`ThreadPoolExecutor::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// let numbers = [1, 2, 3, 4];
    /// let total = pool.scope(|s| {
    ///     let halves = numbers.chunks(2).map(|half| s.spawn(move || half.iter().sum::<i32>()));
    ///     halves.map(|f| f.result().unwrap()).sum::<i32>()
    /// });
    /// assert_eq!(total, 10);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn spawn<F, T>(&'scope self, call: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let (producer, future) = promise::<T>();
        self.join.enter();
        let join = Arc::clone(&self.join);
        // SAFETY: `'scope` does not end before `finished` (the `leave`) is called: the job is
        // counted in the join until then, and `ThreadPoolExecutor::scope` neither returns nor
        // unwinds before the join reaches zero.
        let job = unsafe { Job::with_promise_unchecked(producer, call, move || join.leave()) };
        self.pool.execute(job);
        future
    }

    /// Python's `submit(fn, arg)` within the scope: schedules `call(arg)`; both may borrow
    /// anything that outlives the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// let text = String::from("one two three");
    /// let words = pool.scope(|s| s.submit(|t: &str| t.split(' ').count(), text.as_str()).result());
    /// assert_eq!(words, Ok(3));
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    pub fn submit<F, A, T>(&'scope self, call: F, arg: A) -> Future<T>
    where
        F: FnOnce(A) -> T + Send + 'scope,
        A: Send + 'scope,
        T: Send + 'scope,
    {
        self.spawn(move || call(arg))
    }
}

impl ThreadPoolExecutor {
    /// Runs `body` with a [`Scope`] whose calls may borrow from the caller's stack, and
    /// returns what `body` returns once every call submitted through the scope has finished
    /// (run, or cancelled by a shutdown) — as `std::thread::scope` and `rayon::scope` do.
    ///
    /// A call's panic fails only its future ([`Error::Panicked`]), as everywhere in cfut. A
    /// panic in `body` is re-raised after every call of the scope has finished. Called on one
    /// of the pool's own workers, the wait runs that worker's queued calls meanwhile, so a
    /// scope inside a call cannot deadlock a small pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cfut_threads::ThreadPoolExecutor::new(2)?;
    /// let words = vec!["alpha", "beta", "gamma"];
    /// let lengths: Vec<usize> = pool.scope(|s| {
    ///     let futures: Vec<_> = words.iter().map(|w| s.spawn(move || w.len())).collect();
    ///     futures.into_iter().map(|f| f.result().unwrap()).collect()
    /// });
    /// assert_eq!(lengths, [5, 4, 5]);
    /// # Ok::<(), cfut_threads::BuildError>(())
    /// ```
    ///
    /// A call cannot borrow what dies before the scope ends:
    ///
    /// ```compile_fail,E0373
    /// let pool = cfut_threads::ThreadPoolExecutor::new(1).unwrap();
    /// pool.scope(|s| {
    ///     let local = vec![1, 2, 3];
    ///     s.spawn(|| local.len());
    /// });
    /// ```
    ///
    /// [`Error::Panicked`]: cfut_core::Error::Panicked
    pub fn scope<'env, F, R>(&self, body: F) -> R
    where
        F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
    {
        let (join, joined) = Join::new();
        let scope = Scope {
            pool: self,
            join,
            scope: PhantomData,
            env: PhantomData,
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| body(&scope)));
        scope.join.leave();
        // Waits on a pool worker run queued calls meanwhile (the pool's wait helper).
        joined.wait();
        match outcome {
            Ok(value) => value,
            Err(payload) => panic::resume_unwind(payload),
        }
    }
}

/// The scope's count of unfinished units (see the module docs) and the promise its last unit
/// completes.
#[derive(Debug)]
pub(crate) struct Join {
    /// Starts at one: the body.
    pending: AtomicUsize,
    done: Mutex<Option<Promise<()>>>,
}

impl Join {
    /// A join with the body counted, and the future that is done once the count is zero.
    pub(crate) fn new() -> (Arc<Join>, Future<()>) {
        let (producer, joined) = promise();
        let join = Join {
            pending: AtomicUsize::new(1),
            done: Mutex::new(Some(producer)),
        };
        (Arc::new(join), joined)
    }

    /// One more unit. Only a unit that has not left yet (the body, or a running call) enters
    /// another, so the count is above zero here.
    pub(crate) fn enter(&self) {
        // ORDERING: the count is already positive and held by the caller, which cannot reach
        // zero before this increment: no ordering is needed to keep the join open.
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    /// A unit is finished; the last one completes the join's future.
    pub(crate) fn leave(&self) {
        // ORDERING: `AcqRel` makes every finished unit's effects happen before the last
        // decrement, which then completes the future (whose completion `wait` observes with
        // its own acquire).
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            if let Some(producer) = self.done.lock().take() {
                producer.set_result(());
            }
        }
    }
}
