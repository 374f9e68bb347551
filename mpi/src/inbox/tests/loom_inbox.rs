//! loom models of the inbox's sleep protocol: a submission or a shutdown racing the manager
//! going to sleep is never lost.

use loom::thread;

use super::super::*;
use crate::loom::sync::Arc;

/// The manager's loop: sleep until a call or the stop, take what comes.
fn manager(inbox: &Inbox<u32>, mut wants: usize) {
    while wants > 0 {
        match inbox.wait(None) {
            Wake::Look => {
                while inbox.take().is_some() {
                    wants -= 1;
                }
            }
            Wake::Stop => return,
        }
    }
}

#[test]
fn a_submission_racing_the_sleep_wakes_the_manager() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        let submitter = {
            let inbox = inbox.clone();
            thread::spawn(move || inbox.push(7).unwrap())
        };
        manager(&inbox, 1);
        submitter.join().unwrap();
    });
}

#[test]
fn a_shutdown_racing_the_sleep_stops_the_manager() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::<u32>::new());
        let closer = {
            let inbox = inbox.clone();
            thread::spawn(move || inbox.close(Error::Shutdown, true))
        };
        manager(&inbox, usize::MAX);
        closer.join().unwrap();
    });
}

/// The deliberately broken variant: the manager checks for work under one lock and marks
/// itself asleep under another. The model finds the submission that lands in between, whose
/// push saw no sleeper to wake: sleeping then would hang (asserted here rather than slept,
/// since loom reports a deadlock by aborting the process).
#[test]
#[should_panic(expected = "sleeping now would hang")]
fn a_check_and_sleep_under_two_locks_loses_the_wake_up() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        let submitter = {
            let inbox = inbox.clone();
            thread::spawn(move || inbox.push(7).unwrap())
        };
        let empty = inbox.state.lock().queue.is_empty();
        if empty {
            let mut state = inbox.state.lock();
            assert!(
                state.queue.is_empty(),
                "a submission was missed: sleeping now would hang"
            );
            state.asleep = true;
        }
        submitter.join().unwrap();
    });
}
