//! [`Live`]: how many worker threads have not exited yet, and how a shutdown waits until they
//! all have.
//!
//! A shutdown joins the handles it finds, then waits on this count: another shutdown may have
//! taken some handles, and a worker that shuts its own pool down does not join itself. The
//! count and the number of waiting shutdowns share one lock, and a thread that exits notifies
//! the condition variable only while a shutdown waits: a notify is a system call even when
//! nobody waits (std's futex-based condition variable), and a shutdown that joined every
//! handle finds the count at zero and never waits. That saves one system call per thread in
//! `startup_shutdown` of `cargo run --release -p cfut-bench --bin compare -- threads`.

use crate::loom::sync::{Condvar, Mutex};

/// The live worker threads of one pool.
#[derive(Debug)]
pub(crate) struct Live {
    state: Mutex<State>,
    exited: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Threads started and not exited yet.
    threads: usize,
    /// Shutdowns waiting in [`Live::wait_until_at_most`].
    waiting: usize,
}

impl Live {
    pub(crate) fn new() -> Self {
        Live {
            state: Mutex::new(State::default()),
            exited: Condvar::new(),
        }
    }

    /// A thread is about to start.
    pub(crate) fn started(&self) {
        self.state.lock().threads += 1;
    }

    /// A thread exited (its very last action), or failed to start.
    pub(crate) fn exited(&self) {
        let mut state = self.state.lock();
        state.threads -= 1;
        let waited = state.waiting > 0;
        drop(state);
        if waited {
            self.exited.notify_all();
        }
    }

    /// Blocks until at most `threads` threads are live.
    pub(crate) fn wait_until_at_most(&self, threads: usize) {
        let mut state = self.state.lock();
        while state.threads > threads {
            state.waiting += 1;
            state = self.exited.wait(state);
            state.waiting -= 1;
        }
    }
}

#[cfg(all(test, cfut_loom))]
mod tests {
    //! ```text
    //! RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p cfut-threads --lib live
    //! ```
    //!
    //! A lost wake-up shows up as loom's deadlock report (the shutdown blocked forever). It
    //! does on the broken variant that counts the waiter only once it was woken (the
    //! `waiting += 1` moved after the `wait`): the exiting threads then see nobody waiting.

    use super::Live;
    use crate::loom::sync::Arc;
    use loom::thread::{self, JoinHandle};

    /// A pool's count with two threads started.
    fn two_started() -> Arc<Live> {
        let live = Arc::new(Live::new());
        live.started();
        live.started();
        live
    }

    /// Runs `f` on the count on a thread of its own.
    fn on_a_thread(live: &Arc<Live>, f: fn(&Live)) -> JoinHandle<()> {
        let live = Arc::clone(live);
        thread::spawn(move || f(&live))
    }

    /// Two threads exit while two shutdowns wait for them: every shutdown returns.
    #[test]
    fn no_shutdown_waits_for_threads_that_exited() {
        loom::model(|| {
            let live = two_started();
            let exits = [
                on_a_thread(&live, Live::exited),
                on_a_thread(&live, Live::exited),
            ];
            let other = on_a_thread(&live, |live| live.wait_until_at_most(0));
            live.wait_until_at_most(0);
            for exit in exits {
                exit.join().unwrap();
            }
            other.join().unwrap();
        });
    }

    /// A worker shutting its own pool down waits for every thread but itself.
    #[test]
    fn a_worker_waits_for_the_others_only() {
        loom::model(|| {
            let live = two_started();
            let exit = on_a_thread(&live, Live::exited);
            live.wait_until_at_most(1);
            exit.join().unwrap();
        });
    }
}
