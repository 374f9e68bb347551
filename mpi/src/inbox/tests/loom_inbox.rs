//! loom models of the inbox's sleep protocol: a submission (loud, or quiet to a dormant
//! manager), a shutdown, or a driver leaving calls in flight, racing the manager going to
//! sleep, is never lost.

use loom::thread;

use super::super::*;
use crate::loom::sync::Arc;

/// The manager's loop: sleep until a call or the stop, take what comes.
fn manager(inbox: &Inbox<u32>, mut wants: usize) {
    while wants > 0 {
        match inbox.wait(None, Waiting::Idle) {
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

/// `true` once a call is in flight and no thread drives it: the manager must poll for it.
fn unattended(inbox: &Inbox<u32>) -> bool {
    let state = inbox.state.lock();
    state.in_flight > 0 && state.drivers == 0
}

/// A caller drives (moves a queued call into flight), then leaves before its result came,
/// while the manager sleeps, stands aside, or is about to: the manager always wakes to poll.
/// A lost wake-up is a deadlock here, which loom reports.
#[test]
fn a_driver_leaving_a_call_in_flight_wakes_the_manager() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        inbox.push_quiet(7).unwrap();
        let caller = {
            let inbox = inbox.clone();
            thread::spawn(move || {
                inbox.enter_drive();
                assert_eq!(inbox.take(), Some(7));
                inbox.leave_drive(true);
            })
        };
        while !unattended(&inbox) {
            inbox.wait(None, Waiting::Idle);
            thread::yield_now();
        }
        caller.join().unwrap();
    });
}

/// The deliberately broken variant: the leaving driver reads the sleep mark, then stops
/// counting itself, in two critical sections. The model finds the manager that looks in
/// between: it sees the driver still there, marks itself asleep to stand aside, and the
/// driver, having seen no mark, wakes nobody (asserted rather than slept, as above).
#[test]
#[should_panic(expected = "nobody wakes the manager")]
fn a_driver_reading_the_mark_before_leaving_loses_the_wake_up() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        inbox.push_quiet(7).unwrap();
        inbox.enter_drive();
        assert_eq!(inbox.take(), Some(7));
        let caller = {
            let inbox = inbox.clone();
            thread::spawn(move || {
                let saw_sleeper = inbox.state.lock().asleep;
                inbox.state.lock().drivers -= 1;
                saw_sleeper
            })
        };
        // The manager's check-and-mark, as `wait` does it under one lock.
        let stood_aside = {
            let mut state = inbox.state.lock();
            if state.drivers > 0 {
                state.asleep = true;
            }
            state.asleep
        };
        let woken = caller.join().unwrap();
        assert!(
            !stood_aside || woken,
            "a call is in flight, the manager sleeps, and nobody wakes the manager"
        );
    });
}

/// A quiet submission (the root's thread, which sends its calls itself) racing a manager that
/// goes dormant (sleeps without a time limit): the manager always wakes to see the call.
/// A lost wake-up is a deadlock here, which loom reports (it does, with `queue` ignoring the
/// `dormant` mark as a quiet push did before dormancy existed).
#[test]
fn a_quiet_submission_wakes_a_dormant_manager() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        let submitter = {
            let inbox = inbox.clone();
            thread::spawn(move || inbox.push_quiet(7).unwrap())
        };
        while inbox.take().is_none() {
            assert_eq!(inbox.wait(None, Waiting::Dormant), Wake::Look);
        }
        submitter.join().unwrap();
    });
}

/// The deliberately broken variant: a quiet push that queues without reading the marks (what
/// it did for a manager on a bounded nap). The model finds the manager that marked itself
/// dormant first: the call waits and nobody wakes it (asserted rather than slept, as above).
#[test]
#[should_panic(expected = "nobody wakes the dormant manager")]
fn a_quiet_push_blind_to_the_dormant_mark_loses_the_wake_up() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::<u32>::new());
        let submitter = {
            let inbox = inbox.clone();
            thread::spawn(move || inbox.state.lock().queue.push_back(7))
        };
        // The manager's check-and-mark, as `wait` does it under one lock.
        {
            let mut state = inbox.state.lock();
            if state.queue.is_empty() {
                state.asleep = true;
                state.dormant = true;
            }
        }
        submitter.join().unwrap();
        let state = inbox.state.lock();
        assert!(
            !(state.asleep && !state.queue.is_empty()),
            "a call is queued and nobody wakes the dormant manager"
        );
    });
}
