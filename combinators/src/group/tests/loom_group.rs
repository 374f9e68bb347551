//! A group's runners race each other, the `map` waiting for a call, and the `map` ending
//! (issue 11): a runner that runs takes every call nobody cancelled, and wakes the waiting
//! `map`; a runner that is never run settles the calls only when no runner will take them.

use cfut_core::Error;
use loom::sync::Arc;
use loom::thread;

use crate::group::{Group, Outcomes, runner};

fn ten_times(x: u32) -> u32 {
    x * 10
}

/// A group of two calls with two runners.
fn group_of_two() -> Arc<Group<u32, u32, fn(u32) -> u32>> {
    Arc::new(Group::new(
        Arc::new(ten_times as fn(u32) -> u32),
        vec![1, 2],
        2,
    ))
}

/// One runner runs while the other is rejected (a shutdown); the `map` waits for the first
/// call, takes it, and ends (cancelling what did not start). The wait always ends with the
/// first call's value (a runner ran, so the rejection never touches the calls), and the
/// second call ran or was cancelled — never failed with the rejection, never lost.
#[test]
fn a_run_runner_races_a_rejected_one_and_the_map() {
    loom::model(|| {
        let group = group_of_two();
        let ran = runner(&group);
        let rejected = runner(&group);
        let running = thread::spawn(move || ran.run());
        let rejecting = thread::spawn(move || rejected.reject(Error::Shutdown));
        group.wait(0);
        assert_eq!(group.take(0), Ok(10));
        group.cancel();
        running.join().unwrap();
        rejecting.join().unwrap();

        let second = group.take(1);
        assert!(
            second == Ok(20) || second == Err(Error::Cancelled),
            "the second call ran or was cancelled: {second:?}"
        );
    });
}

/// Neither runner runs (one cancelled by a cancelling shutdown, one rejected) while the `map`
/// waits for the first call: whichever runner is settled last settles every call with its
/// own fate and wakes the `map`; no call is left pending.
#[test]
fn runners_never_run_settle_every_call() {
    loom::model(|| {
        let group = group_of_two();
        let cancelled = runner(&group);
        let rejected = runner(&group);
        let cancelling = thread::spawn(move || cancelled.cancel());
        let rejecting = thread::spawn(move || rejected.reject(Error::Shutdown));
        group.wait(0);
        cancelling.join().unwrap();
        rejecting.join().unwrap();

        assert!(group.is_done(1));
        let fates = [group.take(0), group.take(1)];
        assert!(
            fates == [Err(Error::Cancelled), Err(Error::Cancelled)]
                || fates == [Err(Error::Shutdown), Err(Error::Shutdown)],
            "every call gets the last runner's fate: {fates:?}"
        );
    });
}
