//! The completion state machine shared by a [`Future`] and its [`Promise`].
//!
//! # Implementation description
//!
//! One allocation per future holds an atomic state word, a mutex-protected list of the
//! parties to tell on completion (done-callbacks, any-of-N waiters, an async waker, and the
//! count of threads blocked on the condition variable), a lock-free slot for the first
//! any-of-N waiter, and a write-once outcome cell.
//!
//! The allocation is kept small, because a program submitting many short calls makes one per
//! call: the common case — one waiter (`wait`, `as_completed`), no callback — needs no further
//! allocation, callbacks and further waiters go to a side list allocated on first use, and an
//! error outcome is boxed (errors are the rare path; `Error` is 48 bytes). For a `usize` result
//! the `Arc` allocation is 96 bytes instead of 152, which keeps it among glibc's fast bins.
//!
//! The state word moves one way: `0` (pending) → `RUNNING` → `RESOLVED` → `READY` → `DONE`,
//! or `0` → `RESOLVED | CANCELLED` → `READY` → `DONE`. The `RESOLVED` bit is claimed with a
//! compare-and-swap, so exactly one party (completer or canceller) wins and becomes the
//! *resolver*; it alone writes the outcome cell, then publishes `READY` — from then on the
//! future *is done* for every observer (`is_done`, `state`, `wait`, a waiter registered from
//! now on), including code running inside its own callbacks. It then runs the callbacks
//! (outside the lock, with a shared reference to the outcome) and finally sets `DONE` under
//! the lock, wakes sleepers, waiters and the async waker, and never touches the cell again.
//! Only after `DONE` may the outcome be read through `&Future` (an immediate callback) or
//! taken through the unique `&mut Future`, so the callbacks' `&T` and the owner's never
//! overlap (which would need `T: Sync`). Callbacks registered before `DONE` are appended to
//! the list and run by the resolver, so each runs exactly once and in registration order.
//!
//! A running future has one possible resolver, the party that set it running (the unique
//! promise or job: `cancel` only succeeds on a pending future), so it skips the claim: it
//! writes the outcome and publishes `RESOLVED` with the rest.
//!
//! The first waiter (`watch`; usually the only one: `wait`, `as_completed`) does not take the
//! lock: it registers in an inline slot owned through two bits of the state word. A party
//! claims the slot with a compare-and-swap that sets `SLOT_BUSY` (only while neither slot bit
//! nor `READY` is set), writes or inspects it, and releases it by replacing `SLOT_BUSY` with
//! `SLOT_FULL` if the slot holds a registration — unless `DONE` was published meanwhile, in
//! which case it delivers the token itself. The resolver's publication of `DONE` (the same
//! compare-and-swap or `fetch_or`) returns the word it replaced: if that had `SLOT_FULL`, the
//! resolver owns the slot, delivers the token and then clears the bit; a busy slot it leaves
//! to its holder. `unwatch` claims a full slot the same way (taking out its own registration,
//! putting back another's), and waits while the slot is busy or being served after `DONE`, so
//! that once it returns no token of its waiter can still come from the slot.
//!
//! Every other party registers under the lock — the waiters after the first, a callback, the
//! async waker, a thread about to block — and first sets the `PARTIES` bit with `fetch_or` and checks the value
//! it replaced: if that already says done (`READY` for a waiter, `DONE` for the others) it
//! does not register and acts on the outcome at once. A resolver that finds `PARTIES` unset
//! publishes `READY | DONE` with one compare-and-swap and never takes the lock; the exchange
//! fails if a party set `PARTIES` meanwhile, and the resolver then takes the lock, after that
//! party's registration. Both are read-modify-writes of the one word, so exactly one of the
//! two sees the other: no party is missed, and a future nobody waits for completes with two
//! atomic operations (`RUNNING`, then the publication).
//!
//! Blocked threads wait on the condition variable only after announcing themselves that way
//! and re-checking under the lock, and the resolver sets `DONE` under that same lock, so no
//! wake-up is lost; it notifies only when the sleeper count is non-zero, so completing a
//! future nobody sleeps on costs no system call. With `PARTIES` set and no callback,
//! `READY` and `DONE` are still set by one atomic operation.
//!
//! [`Future`]: crate::Future
//! [`Promise`]: crate::Promise

use std::task::Waker;

use crate::Error;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU16, Ordering};
use crate::loom::sync::{Arc, Condvar, Mutex, MutexGuard};
use crate::loom::thread;
use crate::spin;
use crate::unwind;
use crate::waiter::WaiterShared;

/// `set_running_or_notify_cancel` succeeded.
pub(crate) const RUNNING: u16 = 1;
/// The outcome is fixed and written; callbacks may still be running.
pub(crate) const RESOLVED: u16 = 2;
/// Callbacks ran and waiters were told: the outcome may be read by the future's holder.
pub(crate) const DONE: u16 = 4;
/// The outcome is a cancellation.
pub(crate) const CANCELLED: u16 = 8;
/// The outcome is an error (a cancellation is one too).
pub(crate) const FAILED: u16 = 16;
/// The outcome is written: the future is done for every observer; callbacks may still run.
pub(crate) const READY: u16 = 32;
/// Some party registered under the lock (a waiter, a callback, the async waker, a blocked
/// thread): the resolver must take the lock to tell them. Set under the lock, never cleared.
const PARTIES: u16 = 64;
/// A party (a registering waiter, an `unwatch`) holds the inline waiter slot exclusively.
const SLOT_BUSY: u16 = 128;
/// The inline waiter slot holds a registration; the resolver that publishes `DONE` with this
/// bit set serves it, then clears the bit.
const SLOT_FULL: u16 = 256;
/// Every bit that records a registration rather than where the future is in its life.
const REGISTRATION: u16 = PARTIES | SLOT_BUSY | SLOT_FULL;
/// A cancel arbiter is installed (`set_arbiter`): `cancel` asks it, under the lock, before it
/// claims the pending future. Set only while pending; not a claim, like the registrations.
const ARBITRATED: u16 = 512;
/// The executor queued the call while a worker thread was starting for it and no worker was
/// idle (`Job::hint_thread_start`), or behind other calls that need the CPUs
/// (`Promise::hint_queued`): a blocking wait sleeps at once instead of spinning, since a
/// spinning caller may hold the very CPU on which the new thread is queued to start, or that
/// the calls ahead need. Set with `fetch_or` at any time, never cleared; a hint, not a claim:
/// it changes no outcome.
pub(crate) const THREAD_START: u16 = 1024;
/// The bits a pending future may carry: set by parties that do not decide its fate.
const NOT_A_CLAIM: u16 = REGISTRATION | ARBITRATED | THREAD_START;

/// Wakes the async poller of a waiter that a future told (see `WaiterShared::notify`).
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A done-callback: sees the outcome by reference.
pub(crate) type Callback<T> = Box<dyn FnOnce(Result<&T, &Error>) + Send + 'static>;

/// A cancel arbiter (`Promise::set_cancel_arbiter`): `true` if the call will never start.
pub(crate) type Arbiter = Box<dyn FnMut() -> bool + Send + 'static>;

/// The cancellation error handed to callbacks of a cancelled future.
static CANCELLED_ERROR: Error = Error::Cancelled;

pub(crate) struct Inner<T> {
    state: AtomicU16,
    parties: Mutex<Parties<T>>,
    condvar: Condvar,
    outcome: UnsafeCell<Option<Result<T, Box<Error>>>>,
    /// The first waiter registered (usually the only one), handed over without the lock; see
    /// `SLOT_BUSY` and `SLOT_FULL`.
    slot: UnsafeCell<Option<Watcher>>,
}

/// A waiter to tell, with the token to hand it.
type Watcher = (Arc<WaiterShared>, usize);

/// Who to tell when the future completes. Guarded by `Inner::parties`.
struct Parties<T> {
    /// Callbacks and the waiters after the first, allocated on first use.
    more: Option<Box<MoreParties<T>>>,
    waker: Option<Waker>,
    sleepers: usize,
}

/// The rarer parties of [`Parties`].
struct MoreParties<T> {
    callbacks: Vec<Callback<T>>,
    watchers: Vec<Watcher>,
    /// Asked by `cancel` while the future is pending and `ARBITRATED` is set.
    arbiter: Option<Arbiter>,
}

impl<T> Parties<T> {
    /// Nobody to tell yet.
    fn new() -> Self {
        Parties {
            more: None,
            waker: None,
            sleepers: 0,
        }
    }

    fn has_callbacks(&self) -> bool {
        self.more
            .as_ref()
            .is_some_and(|more| !more.callbacks.is_empty())
    }

    fn more(&mut self) -> &mut MoreParties<T> {
        self.more.get_or_insert_with(|| {
            Box::new(MoreParties {
                callbacks: Vec::new(),
                watchers: Vec::new(),
                arbiter: None,
            })
        })
    }

    fn add_watcher(&mut self, watcher: Watcher) {
        self.more().watchers.push(watcher);
    }

    /// Every waiter registered under the lock, the list emptied.
    fn take_watchers(&mut self) -> Vec<Watcher> {
        self.more
            .as_mut()
            .map(|more| std::mem::take(&mut more.watchers))
            .unwrap_or_default()
    }
}

// SAFETY: the outcome cell is written once by the resolver (the unique winner of the
// `RESOLVED` compare-and-swap) and read by it before it publishes `DONE`; afterwards it is only
// read through `&Future` (whose `Sync` impl requires `T: Sync`) or taken through the unique
// `&mut Future`. Every other field is a synchronization primitive. So sharing an `Inner<T>`
// between threads only ever moves a `T` from one thread to another: `T: Send` suffices.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: see the `Send` impl above.
unsafe impl<T: Send> Sync for Inner<T> {}

impl<T> Inner<T> {
    pub(crate) fn new() -> Self {
        Self::with_state(0, None)
    }

    /// Writes a pending `Inner` at `place`, field by field (see `task.rs` for why).
    ///
    /// # Safety
    ///
    /// `place` must be valid for writes and suitably aligned; whatever it held is
    /// overwritten without being dropped.
    pub(crate) unsafe fn init(place: *mut Self) {
        // SAFETY: by this function's contract, each field's place is valid for a write.
        unsafe {
            (&raw mut (*place).state).write(AtomicU16::new(0));
            (&raw mut (*place).parties).write(Mutex::new(Parties::new()));
            (&raw mut (*place).condvar).write(Condvar::new());
            (&raw mut (*place).outcome).write(UnsafeCell::new(None));
            (&raw mut (*place).slot).write(UnsafeCell::new(None));
        }
    }

    /// A future that is already done with `outcome`.
    pub(crate) fn resolved(outcome: Result<T, Error>) -> Self {
        let mut state = RESOLVED | READY | DONE;
        match &outcome {
            Err(Error::Cancelled) => state |= CANCELLED | FAILED,
            Err(_) => state |= FAILED,
            Ok(_) => {}
        }
        Self::with_state(state, Some(outcome))
    }

    fn with_state(state: u16, outcome: Option<Result<T, Error>>) -> Self {
        Inner {
            state: AtomicU16::new(state),
            parties: Mutex::new(Parties::new()),
            condvar: Condvar::new(),
            outcome: UnsafeCell::new(outcome.map(|outcome| outcome.map_err(Box::new))),
            slot: UnsafeCell::new(None),
        }
    }

    /// The state word. `Acquire`: a reader that sees `DONE` may read the outcome cell.
    pub(crate) fn state(&self) -> u16 {
        // ORDERING: pairs with the `Release` in `finish`, which publishes the outcome.
        self.state.load(Ordering::Acquire)
    }

    /// Done for observers: the outcome is fixed (callbacks may still be running).
    pub(crate) fn is_done(&self) -> bool {
        self.state() & READY != 0
    }

    /// Callbacks ran: the holder of the future may read or take the outcome.
    fn is_settled(&self) -> bool {
        self.state() & DONE != 0
    }

    /// Nothing but the thread-start hint in the state word: no party registered, no arbiter,
    /// not claimed. With both halves of a task in hand, nobody else can reach it then, so
    /// the call may run inline (`Future::run_inline`); the hint concerns only how a wait
    /// waits, and the inline path does not wait.
    pub(crate) fn is_untouched(&self) -> bool {
        self.state() & !THREAD_START == 0
    }

    /// Marks the future as waiting for a worker thread to start (see `THREAD_START`).
    pub(crate) fn hint_thread_start(&self) {
        // ORDERING: a hint that publishes no data; a read-modify-write, so it keeps every
        // other party's bits and continues the release sequences of the word.
        self.state.fetch_or(THREAD_START, Ordering::Relaxed);
    }

    /// `true` once [`hint_thread_start`](Self::hint_thread_start) was called.
    pub(crate) fn thread_start_hinted(&self) -> bool {
        self.state() & THREAD_START != 0
    }

    /// Pending → running. `false` if the future was cancelled (or resolved) first.
    pub(crate) fn set_running(&self) -> bool {
        match self.claim_pending(RUNNING) {
            Ok(()) => true,
            Err(current) => current & !NOT_A_CLAIM == RUNNING,
        }
    }

    /// Sets `bits` if the future is still pending (nothing but registrations in the state);
    /// otherwise returns the state that stopped it. The claim of `set_running` and `cancel`.
    fn claim_pending(&self, bits: u16) -> Result<(), u16> {
        self.claim_pending_unless(bits, 0)
    }

    /// [`claim_pending`](Self::claim_pending) that also fails if any of `stop` is set.
    fn claim_pending_unless(&self, bits: u16, stop: u16) -> Result<(), u16> {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            if current & (!NOT_A_CLAIM | stop) != 0 {
                return Err(current);
            }
            // ORDERING: the claim only needs to be atomic against the other claim; no data is
            // published by it (a cancellation's outcome is published later by `finish`).
            match self.state.compare_exchange_weak(
                current,
                current | bits,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// The user's `cancel()`: succeeds only while pending; `true` also if already cancelled.
    ///
    /// With an arbiter installed, it decides first, under the lock that its installation
    /// takes: `false` means the call started where the executor handed it, so the future is
    /// marked running and the cancel fails; `true` means the call will never start there, and
    /// the claim, still under the lock (so that no new arbiter is installed in between),
    /// decides as for any pending future.
    pub(crate) fn cancel(&self) -> bool {
        const BITS: u16 = RESOLVED | CANCELLED | FAILED;
        match self.claim_pending_unless(BITS, ARBITRATED) {
            Ok(()) => {
                // A cancellation is the `CANCELLED` flag alone: nothing to write in the cell.
                self.finish(0);
                return true;
            }
            Err(current) if current & !NOT_A_CLAIM != 0 => return current & CANCELLED != 0,
            // Pending with an arbiter.
            Err(_) => {}
        }
        let mut parties = self.parties.lock();
        let pending = self.state() & !NOT_A_CLAIM == 0;
        let arbiter = parties.more.as_mut().and_then(|more| more.arbiter.as_mut());
        let started = pending && arbiter.is_some_and(|arbiter| !arbiter());
        let claimed = if started {
            self.set_running();
            Err(self.state())
        } else {
            self.claim_pending(BITS)
        };
        drop(parties);
        match claimed {
            Ok(()) => {
                self.finish(0);
                true
            }
            Err(current) => current & CANCELLED != 0,
        }
    }

    /// Completes the future unless it is already resolved. With `cancel`, the outcome is a
    /// cancellation even if the call was running (an executor cancelling what it will not run).
    pub(crate) fn resolve(&self, outcome: Result<T, Error>, cancel: bool) -> bool {
        // A cancellation error is a cancellation, however it arrives (as `from_result` does).
        let cancel = cancel || matches!(outcome, Err(Error::Cancelled));
        let mut flags = RESOLVED;
        if cancel {
            flags |= CANCELLED | FAILED;
        } else if outcome.is_err() {
            flags |= FAILED;
        }
        let outcome = if cancel {
            Err(Error::Cancelled)
        } else {
            outcome
        };
        let mut current = self.state.load(Ordering::Acquire);
        if current & (RUNNING | RESOLVED) == RUNNING {
            // Running: only the party that set it running — the unique promise or job, our
            // caller — can resolve it now (`cancel` fails once it runs), so there is nothing
            // to claim: write the outcome, then publish the flags with it.
            self.write_outcome(outcome);
            self.finish(flags);
            return true;
        }
        loop {
            if current & RESOLVED != 0 {
                return false;
            }
            // ORDERING: the winner of this exchange owns the outcome cell until `finish`
            // publishes it with `Release`.
            match self.state.compare_exchange_weak(
                current,
                current | flags,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.write_outcome(outcome);
        self.finish(0);
        true
    }

    fn write_outcome(&self, outcome: Result<T, Error>) {
        // A cancellation is the `CANCELLED` flag alone (readers check it first): no box.
        if !matches!(outcome, Err(Error::Cancelled)) {
            let outcome = outcome.map_err(Box::new);
            // SAFETY: only the resolver calls this, once, after winning the `RESOLVED` exchange
            // (or as the runner, see `resolve`); no reader touches the cell before `DONE` is
            // published.
            self.outcome
                .with_mut(|cell| unsafe { *cell = Some(outcome) });
        }
    }

    /// Publishes `flags` (the resolution flags not set yet) and `READY`, runs the callbacks,
    /// then publishes `DONE` and tells every waiter. Resolver only, after writing the outcome.
    fn finish(&self, flags: u16) {
        let mut current = self.state.load(Ordering::Relaxed);
        if current & ARBITRATED != 0 {
            self.drop_arbiter();
        }
        // Nobody registered: publish everything with one exchange, without the lock. A party
        // registering sets `PARTIES` under the lock with `fetch_or`, so either it sees `DONE`
        // in the value it replaced (and does not register), or this exchange fails and we take
        // the lock below, after its registration. (`current` may be stale by then: the
        // exchange then fails and reloads it.)
        while current & PARTIES == 0 {
            // ORDERING: `Release` publishes the outcome and the flags to every `Acquire`
            // reader of the state word; `Acquire` makes a registration in the slot visible.
            match self.state.compare_exchange_weak(
                current,
                current | flags | READY | DONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(previous) => {
                    wake(self.serve_slot_if_full(previous));
                    return;
                }
                Err(actual) => current = actual,
            }
        }
        let mut ready = false;
        loop {
            let mut parties = self.parties.lock();
            if !parties.has_callbacks() {
                // ORDERING: `Release` publishes the outcome to every `Acquire` reader of the
                // state word. The store happens under the lock so that a waiter that re-checks
                // `DONE` under the lock and then sleeps is counted in `sleepers` before we
                // look at it. Without callbacks, `READY` and `DONE` are set together.
                let previous = self.state.fetch_or(flags | READY | DONE, Ordering::AcqRel);
                // Waiters are told under our lock, so that `unwatch` (which takes it) is final:
                // once it returns, no token of this future can still arrive. The lock order is
                // future → waiter; a waiter never takes a future's lock. The wakers of async
                // pollers of those waiters are woken after the lock is released: waking may
                // drop a task whose stream then unwatches this very future.
                let mut wakers = Vec::new();
                wakers.extend(self.serve_slot_if_full(previous));
                for (waiter, token) in parties.take_watchers() {
                    wakers.extend(waiter.notify(token));
                }
                let waker = parties.waker.take();
                let sleepers = parties.sleepers;
                drop(parties);
                if sleepers > 0 {
                    self.condvar.notify_all();
                }
                if let Some(waker) = waker {
                    waker.wake();
                }
                for waker in wakers {
                    waker.wake();
                }
                return;
            }
            if !ready {
                // ORDERING: `Release` so that an observer that sees `READY` also sees the flags
                // set with `RESOLVED`; the cell itself is published by `DONE`. Set before the
                // callbacks run, so that they see their future done.
                self.state.fetch_or(flags | READY, Ordering::Release);
                ready = true;
            }
            let callbacks = std::mem::take(&mut parties.more().callbacks);
            drop(parties);
            for callback in callbacks {
                self.call(callback);
            }
        }
    }

    /// Runs one callback on the outcome. Caller: the resolver before `DONE`, or a holder of
    /// `&Future` after it.
    fn call(&self, callback: Callback<T>) {
        let cancelled = self.state() & CANCELLED != 0;
        self.outcome.with(|cell| {
            // SAFETY: the cell is only written before this point (by the resolver, which is
            // either this thread or published it through `DONE`), and only taken through
            // `&mut Future`, which cannot coexist with the `&Future` or resolver role of the
            // caller.
            let outcome = unsafe { &*cell };
            let view = match outcome {
                _ if cancelled => Err(&CANCELLED_ERROR),
                Some(Ok(value)) => Ok(value),
                Some(Err(error)) => Err(&**error),
                None => Err(&Error::Consumed),
            };
            unwind::run_reporting("done-callback", || callback(view));
        });
    }

    /// Drops the cancel arbiter of a resolved future (with the rarer parties, if it was the
    /// only one), here on the resolving thread: an executor's arbiter usually holds what its
    /// own thread allocated and counts (a process pool's manager: the closure, a handle on
    /// the worker's cancel board), which would otherwise be freed and released by whichever
    /// thread drops the future last. Under the lock, so that a `cancel` still asking it has
    /// finished; `cancel` asks it only while the future is pending, which it no longer is.
    fn drop_arbiter(&self) {
        let mut parties = self.parties.lock();
        let more = parties
            .more
            .take_if(|more| more.callbacks.is_empty() && more.watchers.is_empty());
        let arbiter = parties.more.as_mut().and_then(|more| more.arbiter.take());
        drop(parties);
        drop((more, arbiter));
    }

    /// Installs (or replaces) the cancel arbiter while the future is pending; `false` if it
    /// is not pending any more (then nothing is installed).
    pub(crate) fn set_arbiter(&self, arbiter: Arbiter) -> bool {
        let mut parties = self.parties.lock();
        // Under the lock, so that a `cancel` asking the previous arbiter has finished.
        if self.claim_pending(ARBITRATED).is_err() {
            return false;
        }
        parties.more().arbiter = Some(arbiter);
        true
    }

    pub(crate) fn add_callback(&self, callback: Callback<T>) {
        if !self.is_settled() {
            let mut parties = self.parties.lock();
            if self.announce() & DONE == 0 {
                parties.more().callbacks.push(callback);
                return;
            }
        }
        self.call(callback);
    }

    /// Takes the outcome. The caller holds the unique handle mutably; waits out the callbacks
    /// if they are still running.
    pub(crate) fn take(&self) -> Result<T, Error> {
        self.block_settled();
        let state = self.state();
        if state & CANCELLED != 0 {
            return Err(Error::Cancelled);
        }
        // SAFETY: `DONE` was observed with `Acquire`, so the resolver is finished with the
        // cell; the caller holds the only `Future` handle mutably, so no reader is active.
        self.outcome
            .with_mut(|cell| unsafe { (*cell).take() })
            .map_or(Err(Error::Consumed), |outcome| {
                outcome.map_err(|error| *error)
            })
    }

    /// Blocks until done: a bounded spin (`spin.rs`), then sleeps on the condition variable.
    /// A future whose call waits for a thread start (`THREAD_START`) is not spun on: the
    /// caller sleeps at once and leaves its CPU to the starting thread.
    ///
    /// Returns at once if the future is `READY` (so a callback may wait on its own future);
    /// a thread that had to sleep is woken at `DONE`.
    pub(crate) fn block(&self) {
        if !self.thread_start_hinted() && spin::spin_until(|| self.is_done()) {
            return;
        }
        let mut parties = self.parties.lock();
        while !self.is_done() {
            parties = self.sleep(parties, None);
        }
    }

    /// Blocks until the callbacks ran, so the outcome may be taken. Only the holder of the
    /// future calls it, never from inside the future's own callbacks (it cannot: taking needs
    /// the unique handle by value or `&mut`).
    pub(crate) fn block_settled(&self) {
        if spin::spin_until(|| self.is_settled()) {
            return;
        }
        let mut parties = self.parties.lock();
        while !self.is_settled() {
            parties = self.sleep(parties, None);
        }
    }

    /// Blocks until done or until `timeout` has passed; `true` if done.
    #[cfg(not(cfut_loom))]
    pub(crate) fn block_timeout(&self, timeout: std::time::Duration) -> bool {
        use std::time::Instant;
        if self.is_done() {
            return true;
        }
        let deadline = Instant::now().checked_add(timeout);
        let mut parties = self.parties.lock();
        while !self.is_done() {
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
                // A timeout too large to represent is a wait without a deadline.
                None => {
                    parties = self.sleep(parties, None);
                    continue;
                }
            };
            parties = self.sleep(parties, Some(left));
        }
        true
    }

    fn sleep<'a>(
        &'a self,
        mut parties: MutexGuard<'a, Parties<T>>,
        timeout: Option<std::time::Duration>,
    ) -> MutexGuard<'a, Parties<T>> {
        if self.announce() & DONE != 0 {
            return parties; // published since the caller looked: it looks again
        }
        parties.sleepers += 1;
        let mut parties = match timeout {
            None => self.condvar.wait(parties),
            Some(timeout) => self.condvar.wait_timeout(parties, timeout).0,
        };
        parties.sleepers -= 1;
        parties
    }

    /// Registers `waker` unless the callbacks ran; `true` if they did (the caller should take
    /// the outcome).
    pub(crate) fn register_waker(&self, waker: &Waker) -> bool {
        if self.is_settled() {
            return true;
        }
        let mut parties = self.parties.lock();
        if self.announce() & DONE != 0 {
            return true;
        }
        match &parties.waker {
            Some(old) if old.will_wake(waker) => {}
            _ => parties.waker = Some(waker.clone()),
        }
        false
    }

    /// Tells `waiter` (with `token`) when this future is done — at once if it already is.
    pub(crate) fn watch(&self, waiter: &Arc<WaiterShared>, token: usize) {
        // The inline slot, without the lock, if it is free.
        let mut current = self.state.load(Ordering::Acquire);
        while current & (READY | SLOT_BUSY | SLOT_FULL) == 0 {
            // ORDERING: `Acquire` pairs with the release of the party that held the slot.
            match self.state.compare_exchange_weak(
                current,
                current | SLOT_BUSY,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: `SLOT_BUSY` gives this thread the slot alone (see `release_slot`).
                    self.slot
                        .with_mut(|slot| unsafe { *slot = Some((Arc::clone(waiter), token)) });
                    wake(self.release_slot());
                    return;
                }
                Err(actual) => current = actual,
            }
        }
        if !self.is_done() {
            let mut parties = self.parties.lock();
            if self.announce() & READY == 0 {
                parties.add_watcher((Arc::clone(waiter), token));
                return;
            }
        }
        wake(waiter.notify(token));
    }

    /// Releases the inline slot held with `SLOT_BUSY`: publishes the registration it holds
    /// (`SLOT_FULL`), or, if the future was published `DONE` meanwhile (a resolver leaves a
    /// busy slot alone), serves it here and returns the waker to wake (see `notify`).
    #[must_use = "the returned waker must be woken"]
    fn release_slot(&self) -> Option<Waker> {
        // SAFETY: the caller holds `SLOT_BUSY`.
        let full = self.slot.with(|slot| unsafe { (*slot).is_some() });
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            if current & DONE != 0 {
                // SAFETY: as above; the resolver never touches a busy slot.
                let waker = unsafe { self.deliver_slot() };
                // ORDERING: `Release` hands the (empty) slot to the next party.
                self.state.fetch_and(!SLOT_BUSY, Ordering::Release);
                return waker;
            }
            let released = (current & !SLOT_BUSY) | if full { SLOT_FULL } else { 0 };
            // ORDERING: `Release` publishes the slot's contents to the resolver or the next
            // party, `Acquire` (on failure) lets us see a `DONE` and its outcome.
            match self.state.compare_exchange_weak(
                current,
                released,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return None,
                Err(actual) => current = actual,
            }
        }
    }

    /// Serves the inline slot if `previous`, the state word before this resolver published
    /// `DONE`, says it was full: the resolver owns it from then on. A busy slot is left to
    /// its holder, which sees `DONE` when it releases it. Returns the waker to wake (see
    /// `notify`), once the slot is let go.
    #[must_use = "the returned waker must be woken"]
    fn serve_slot_if_full(&self, previous: u16) -> Option<Waker> {
        if previous & SLOT_FULL == 0 {
            return None;
        }
        // SAFETY: `SLOT_FULL` without `SLOT_BUSY` was in the state this resolver replaced
        // with `DONE`, so no party can claim the slot any more (claims need neither bit and
        // no `READY`): it is the resolver's until it clears `SLOT_FULL`.
        let waker = unsafe { self.deliver_slot() };
        // ORDERING: `Release`: an `unwatch` waiting for this bit to clear then knows the
        // token was delivered.
        self.state.fetch_and(!SLOT_FULL, Ordering::Release);
        waker
    }

    /// Empties the inline slot and hands its token, if any, to its waiter; returns the
    /// waker to wake once the slot is let go (see `notify`).
    ///
    /// # Safety
    ///
    /// The caller owns the slot: it holds `SLOT_BUSY`, or it is the resolver that published
    /// `DONE` over `SLOT_FULL`.
    #[must_use = "the returned waker must be woken"]
    unsafe fn deliver_slot(&self) -> Option<Waker> {
        // SAFETY: by this method's contract no other thread touches the slot.
        let watcher = self.slot.with_mut(|slot| unsafe { (*slot).take() });
        watcher.and_then(|(waiter, token)| waiter.notify(token))
    }

    /// Removes `waiter`'s registration from the inline slot, if it is there; once this
    /// returns, no token for it can come from the slot.
    fn unwatch_slot(&self, waiter: &Arc<WaiterShared>) {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            if current & (SLOT_BUSY | SLOT_FULL) == 0 {
                return;
            }
            if current & SLOT_BUSY != 0 || current & DONE != 0 {
                // Another party holds the slot, or the resolver is delivering its token:
                // both are a few instructions away from letting go.
                thread::yield_now();
                current = self.state.load(Ordering::Acquire);
                continue;
            }
            // ORDERING: `Acquire` pairs with the release that filled the slot.
            match self.state.compare_exchange_weak(
                current,
                (current & !SLOT_FULL) | SLOT_BUSY,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        // SAFETY: this thread holds `SLOT_BUSY`.
        let ours = self.slot.with(|slot| unsafe {
            matches!(&*slot, Some((registered, _)) if Arc::ptr_eq(registered, waiter))
        });
        let removed = if ours {
            // SAFETY: as above.
            self.slot.with_mut(|slot| unsafe { (*slot).take() })
        } else {
            None
        };
        let waker = self.release_slot();
        drop(removed);
        wake(waker);
    }

    /// Tells the resolver to take the lock (sets `PARTIES`) and returns the state word as it
    /// was. Called under the lock by every party about to register; a registration is only
    /// valid if the bits it waits for are not in the returned value.
    fn announce(&self) -> u16 {
        // ORDERING: `Acquire` so that a caller that sees `DONE` may read the outcome; the
        // registration itself is published by the lock.
        self.state.fetch_or(PARTIES, Ordering::AcqRel)
    }

    /// Forgets every registration of `waiter` on this future.
    pub(crate) fn unwatch(&self, waiter: &Arc<WaiterShared>) {
        self.unwatch_slot(waiter);
        // No unlocked fast path for the others: `finish` hands out their tokens under the
        // lock, after setting `DONE`, so only taking the lock proves none is on its way.
        let mut parties = self.parties.lock();
        if let Some(more) = &mut parties.more {
            more.watchers
                .retain(|(registered, _)| !Arc::ptr_eq(registered, waiter));
        }
    }
}
