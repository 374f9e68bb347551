//! [`Slot`]: one call of a group, its argument until a runner takes it, then its outcome
//! until the `map` takes that; and [`Outcome`], what a call leaves there.
//!
//! A slot is written by one party at a time, and who that is follows from the protocol, not
//! from a lock: the `map` fills it before the group is submitted; the runner that claimed
//! the call (`ranges.rs`: each call is claimed once) takes the argument and stores the
//! outcome, then publishes it with one atomic swap of the slot's state; the `map` reads the
//! outcome after it saw that state (acquire), once, in input order, and does not write the
//! slot (a write would pull the cache line back from a runner still filling its
//! neighbours). A call nobody claimed is emptied by whoever took its range
//! (`Ranges::take_all`), which no runner can claim any more. One swap per call, so a call
//! costs two atomic operations in all (its claim and this swap), where the previous design
//! took five (a claim, then a lock and an unlock of the call's mutex and of the runner's
//! outbox).
//!
//! What a slot holds is therefore known from outside it, and a slot does not drop its
//! content by itself: the group does, from its ranges (arguments nobody claimed) and from
//! how far the `map` took outcomes (`Group`'s `Drop`).
//!
//! The swap also carries the wake-up: the `map` marks the call it waits for (`WAITED`) with
//! a compare-and-swap that succeeds only while the call is not done, so either the `map`
//! sees the outcome, or the runner's swap sees the mark and wakes it. No lost wake-up, and no
//! fence per call.

use std::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use cfut_core::Error;

/// A call's outcome inside a group; the error boxed, so that slots stay small.
pub(crate) type Outcome<T> = Result<T, Box<Error>>;

/// The call's outcome is not stored yet, and the `map` does not wait for it.
const PENDING: u8 = 0;
/// As `PENDING`, and the `map` waits for it: the runner that stores the outcome wakes it.
const WAITED: u8 = 1;
/// The outcome is stored (or taken by the `map`).
const DONE: u8 = 2;

/// What a slot holds, when it holds something (see the module docs for when).
enum Content<A, T> {
    /// The call's argument, until a runner (or the end of the `map`) takes it.
    Arg(A),
    /// The call's outcome, until the `map` takes it.
    Done(Outcome<T>),
}

/// One call of a group.
pub(crate) struct Slot<A, T> {
    state: AtomicU8,
    content: UnsafeCell<MaybeUninit<Content<A, T>>>,
}

// SAFETY: a slot moves an `A` to the runner's thread and a `T` to the `map`'s (both `Send`),
// and only one party touches `content` at a time (module docs); `state` is atomic.
unsafe impl<A: Send, T: Send> Sync for Slot<A, T> {}

impl<A, T> Slot<A, T> {
    /// A slot holding `arg`.
    pub(crate) fn new(arg: A) -> Self {
        Slot {
            state: AtomicU8::new(PENDING),
            content: UnsafeCell::new(MaybeUninit::new(Content::Arg(arg))),
        }
    }

    /// Takes the argument out.
    ///
    /// # Safety
    ///
    /// The caller claimed this call (or took its range), so the slot holds the argument and
    /// no one else touches it until [`store`](Self::store) publishes the outcome; the
    /// argument is taken once.
    pub(crate) unsafe fn take_arg(&self) -> A {
        // SAFETY: the slot holds the argument, and this thread alone reads it, once (the
        // caller's contract).
        let content = self
            .content
            .with_mut(|content| unsafe { (*content).assume_init_read() });
        match content {
            Content::Arg(arg) => arg,
            Content::Done(_) => unreachable!("a claimed call's slot holds its argument"),
        }
    }

    /// Stores the call's outcome and publishes it; `true` if the `map` waits for it (then
    /// wake it).
    ///
    /// # Safety
    ///
    /// As [`take_arg`](Self::take_arg); the outcome is the `map`'s once this returns.
    pub(crate) unsafe fn store(&self, outcome: Outcome<T>) -> bool {
        // SAFETY: exclusive access until the swap below publishes it; the argument was taken,
        // so nothing is overwritten that needs a drop.
        self.content
            .with_mut(|content| unsafe { (*content).write(Content::Done(outcome)) });
        // ORDERING: Release publishes the content to the `map`'s Acquire in `take`; Acquire
        // pairs with the `map`'s Release in `wait_for` (the waiter it installed first).
        self.state.swap(DONE, Ordering::AcqRel) == WAITED
    }

    /// Is the outcome stored?
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        // ORDERING: pairs with `store`'s Release.
        self.state.load(Ordering::Acquire) == DONE
    }

    /// Takes the outcome if it is stored; `None` if it is not.
    ///
    /// # Safety
    ///
    /// Only the `map` calls it, and once it returned `Some`, never again for this slot.
    #[inline]
    pub(crate) unsafe fn take(&self) -> Option<Outcome<T>> {
        if !self.is_done() {
            return None;
        }
        // SAFETY: the state is `DONE`: the slot holds the outcome, the runner is done with
        // it (its store is visible after the Acquire above), and only the `map` reads it,
        // once (the caller's contract).
        let content = self
            .content
            .with_mut(|content| unsafe { (*content).assume_init_read() });
        match content {
            Content::Done(outcome) => Some(outcome),
            Content::Arg(_) => unreachable!("a done call's slot holds its outcome"),
        }
    }

    /// Drops the outcome if one is stored.
    ///
    /// # Safety
    ///
    /// The caller has the slot to itself for good (the group is being dropped), and the
    /// `map` did not take this slot's outcome.
    pub(crate) unsafe fn drop_outcome(&self) {
        if self.is_done() {
            // SAFETY: the slot holds the outcome, which nobody took (the caller's contract).
            self.content
                .with_mut(|content| unsafe { (*content).assume_init_drop() });
        }
    }

    /// Marks the call as waited for; `false` if its outcome is stored already (then take
    /// it). The `map` installs its waiter before.
    pub(crate) fn wait_for(&self) -> bool {
        // ORDERING: Release publishes the waiter to the runner's Acquire swap; Acquire on
        // failure pairs with `store`'s Release (the outcome is then visible).
        match self
            .state
            .compare_exchange(PENDING, WAITED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(state) => state == WAITED,
        }
    }
}
