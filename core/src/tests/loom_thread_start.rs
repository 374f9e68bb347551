//! The thread-start hint (`Job::hint_thread_start`, the `THREAD_START` bit of the state
//! word) racing the claim, run, cancel and registration paths: the hint changes no outcome,
//! survives every other party's update of the word, and the fork-join inline path stays
//! open with the hint alone and closed once any party registered.
//!
//! Shown to fail on broken variants: with `THREAD_START` left out of `NOT_A_CLAIM`, the
//! hint reads as a claim, the job's `set_running` fails and its call is dropped unrun, so
//! `hint_and_run_vs_cancel_vs_wait` finds the future never completed (loom: deadlock); with
//! the inline check masking every non-claim bit (`state & !NOT_A_CLAIM == 0`) instead of the
//! hint alone, `hint_vs_callback_then_inline_result` finds the callback never run; with the
//! inline check not masking the hint (`state == 0`), `hint_alone_keeps_the_inline_path`
//! finds the call run the usual way (a lost fast path, not a wrong outcome).

use std::cell::RefCell;
use std::rc::Rc;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;

use super::{Counted, assert_cancelled_or_succeeded};
use crate::inner::{Inner, RUNNING};
use crate::task::spawn;
use crate::{Error, Job, WaitHelper, Waiter, install_wait_helper};

/// A worker's own queue holding one job: hands it back when its key is awaited.
struct HandsBack(RefCell<Option<Job>>);

impl WaitHelper for HandsBack {
    fn help_while(&self, _pending: &dyn Fn() -> bool) {}

    fn help_or_take(&self, awaited: usize, _pending: &dyn Fn() -> bool) -> Option<Job> {
        let mut queued = self.0.borrow_mut();
        if queued.as_ref().is_some_and(|job| job.key() == awaited) {
            queued.take()
        } else {
            None
        }
    }
}

/// The executor hints and runs the job while the user cancels and blocks in `wait()`: a
/// cancelled call never runs, a started one cannot be cancelled, the call is dropped once,
/// the waiter wakes, and the hint is still set at the end.
#[test]
fn hint_and_run_vs_cancel_vs_wait() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicBool::new(false));
        let captured = Counted::new(4, &drops);
        let flag = Arc::clone(&ran);
        let (job, future) = spawn(move || {
            let captured = captured;
            flag.store(true, Ordering::SeqCst);
            captured.value + 1
        });
        let future = Arc::new(future);
        let executor = thread::spawn(move || {
            job.hint_thread_start();
            assert!(job.thread_start_hinted());
            job.run();
        });
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.cancel())
        };
        future.wait();
        let cancelled = canceller.join().unwrap();
        executor.join().unwrap();

        assert_eq!(drops.load(Ordering::SeqCst), 1, "the call is dropped once");
        assert_eq!(ran.load(Ordering::SeqCst), !cancelled);
        assert!(future.inner().thread_start_hinted(), "the hint survives");
        assert_cancelled_or_succeeded(Arc::try_unwrap(future).unwrap(), cancelled, 5);
    });
}

/// The executor hints the job, then cancels it (a cancelling shutdown), while the user
/// registers an any-of-N waiter in the inline slot and another thread a done-callback: the
/// token and the callback each come exactly once, and the hint is kept by every exchange.
#[test]
fn hint_and_cancel_vs_watch_vs_callback() {
    loom::model(|| {
        let (job, future) = spawn(|| -> u32 { unreachable!("a cancelled call never runs") });
        let future = Arc::new(future);
        let calls = Arc::new(AtomicUsize::new(0));
        let executor = thread::spawn(move || {
            job.hint_thread_start();
            job.cancel();
        });
        let registrar = {
            let future = Arc::clone(&future);
            let calls = Arc::clone(&calls);
            thread::spawn(move || {
                future.add_done_callback(move |outcome| {
                    assert_eq!(outcome, Err(&Error::Cancelled));
                    calls.fetch_add(1, Ordering::SeqCst);
                });
            })
        };
        let waiter = Waiter::new();
        future.watch(&waiter, 3);
        let mut ready = Vec::new();
        waiter.wait_into(&mut ready);
        assert_eq!(ready, [3]);
        executor.join().unwrap();
        registrar.join().unwrap();
        assert!(
            !waiter.try_wait_into(&mut ready),
            "the token came exactly once"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the callback ran once");
        assert!(future.inner().thread_start_hinted(), "the hint survives");
        assert!(future.is_cancelled());
    });
}

/// The job's holder hints it while another thread registers a done-callback; then the
/// holder waits on the future with the job handed back by its wait helper (the fork-join
/// path). A registered party closes the inline path: the job runs the usual way and the
/// callback runs exactly once.
#[test]
fn hint_vs_callback_then_inline_result() {
    loom::model(|| {
        let (job, future) = spawn(|| 8_u32);
        let future = Arc::new(future);
        let calls = Arc::new(AtomicUsize::new(0));
        let registrar = {
            let future = Arc::clone(&future);
            let calls = Arc::clone(&calls);
            thread::spawn(move || {
                future.add_done_callback(move |outcome| {
                    assert_eq!(outcome, Ok(&8));
                    calls.fetch_add(1, Ordering::SeqCst);
                });
            })
        };
        job.hint_thread_start();
        registrar.join().unwrap();
        let future = Arc::try_unwrap(future).unwrap();
        let _guard = install_wait_helper(Rc::new(HandsBack(RefCell::new(Some(job)))));
        assert_eq!(future.result(), Ok(8));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the callback ran once");
    });
}

/// With the hint alone (set on the executor's thread, which then hands the job over), the
/// inline path stays open: the call runs on the waiting thread while the state word still
/// does not say running, and its value is taken without being published.
#[test]
fn hint_alone_keeps_the_inline_path() {
    loom::model(|| {
        // The address of the task's state machine, for the call to look at its own state
        // (std's atomic: only this thread touches it, after `spawn` returned).
        let address = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = std::sync::Arc::clone(&address);
        let (job, future) = spawn(move || {
            let inner = seen.load(std::sync::atomic::Ordering::SeqCst) as *const Inner<bool>;
            // SAFETY: the task is alive while its call runs: the waiting thread holds its
            // future, and the job side holds it too until the call returns.
            let state = unsafe { &*inner }.state();
            state & RUNNING == 0
        });
        address.store(
            std::ptr::from_ref(future.inner()) as usize,
            std::sync::atomic::Ordering::SeqCst,
        );
        let executor = thread::spawn(move || {
            job.hint_thread_start();
            job
        });
        let job = executor.join().unwrap();
        assert!(future.inner().thread_start_hinted());
        let _guard = install_wait_helper(Rc::new(HandsBack(RefCell::new(Some(job)))));
        assert_eq!(
            future.result(),
            Ok(true),
            "the call ran inline, unpublished"
        );
    });
}
