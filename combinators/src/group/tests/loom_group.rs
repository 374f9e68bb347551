//! A group's runners race each other, the `map` waiting for a call, and the `map` ending
//! (issue 11): a runner that runs takes every call nobody cancelled, and wakes the waiting
//! `map`; a runner that is never run settles the calls only when no runner will take them;
//! whatever the `map` did not take is dropped with the group, once.

use cfut_core::Error;
use loom::sync::Arc;
use loom::thread;

use crate::group::{Group, Head, runner};

fn ten_times(x: u32) -> u32 {
    x * 10
}

/// A group of two calls with two runners, and the `map`'s handle on it.
fn group_of_two() -> (Arc<Group<u32, u32>>, Head<u32, u32>) {
    let group = Arc::new(Group::new(vec![1, 2], 2));
    let head = Head {
        group: Arc::clone(&group),
        next: 0,
    };
    (group, head)
}

/// One runner runs while the other is rejected (a shutdown); the `map` waits for the first
/// call, takes it, and ends (cancelling what did not start). The wait always ends with the
/// first call's value (a runner ran, so the rejection never touches the calls), and the
/// second call ran or was cancelled — never failed with the rejection, never lost.
#[test]
fn a_run_runner_races_a_rejected_one_and_the_map() {
    loom::model(|| {
        let call = Arc::new(ten_times as fn(u32) -> u32);
        let (group, mut head) = group_of_two();
        let ran = runner(&group, &call);
        let rejected = runner(&group, &call);
        let running = thread::spawn(move || ran.run());
        let rejecting = thread::spawn(move || rejected.reject(Error::Shutdown));
        head.wait();
        assert_eq!(head.take_next(), Ok(10));
        head.cancel();
        running.join().unwrap();
        rejecting.join().unwrap();

        let second = head.take_next();
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
        let call = Arc::new(ten_times as fn(u32) -> u32);
        let (group, mut head) = group_of_two();
        let cancelled = runner(&group, &call);
        let rejected = runner(&group, &call);
        let cancelling = thread::spawn(move || cancelled.cancel());
        let rejecting = thread::spawn(move || rejected.reject(Error::Shutdown));
        head.wait();
        cancelling.join().unwrap();
        rejecting.join().unwrap();

        let first = head.take_next();
        assert!(head.is_done(), "the second call is settled too");
        let fates = [first, head.take_next()];
        assert!(
            fates == [Err(Error::Cancelled), Err(Error::Cancelled)]
                || fates == [Err(Error::Shutdown), Err(Error::Shutdown)],
            "every call gets the last runner's fate: {fates:?}"
        );
    });
}

/// Two runners race the `map`, which takes the first outcome and is dropped while the
/// second call may still run: every outcome and every argument is dropped exactly once,
/// whoever lets go of the group last (outcomes are loom `Arc`s, whose leaks loom reports).
#[test]
fn what_the_map_did_not_take_is_dropped_once() {
    loom::model(|| {
        let call = Arc::new(|x: u32| Arc::new(x));
        let group = Arc::new(Group::new(vec![Arc::new(1), Arc::new(2)], 2));
        let mut head = Head {
            group: Arc::clone(&group),
            next: 0,
        };
        let unwrap = |arg: Arc<u32>| *arg;
        let call = Arc::new(move |arg: Arc<u32>| call(unwrap(arg)));
        let first = runner(&group, &call);
        let second = runner(&group, &call);
        drop(group);
        let one = thread::spawn(move || first.run());
        let two = thread::spawn(move || second.run());
        head.wait();
        assert_eq!(*head.take_next().unwrap(), 1);
        drop(head);
        one.join().unwrap();
        two.join().unwrap();
    });
}
