//! A group's runners race each other and the map's cancellation (issue 11): a runner that
//! runs takes every call nobody cancelled; a runner that is never run settles the calls only
//! when no runner will take them.

use cfut_core::{Error, Future};
use loom::sync::Arc;
use loom::thread;

use crate::group::{Group, runner};

fn ten_times(x: u32) -> u32 {
    x * 10
}

/// A group of two calls with two runners.
fn group_of_two() -> (Arc<Group<u32, u32, fn(u32) -> u32>>, Vec<Future<u32>>) {
    let (group, futures) = Group::new(Arc::new(ten_times as fn(u32) -> u32), vec![1, 2], 2);
    (Arc::new(group), futures)
}

/// One runner runs while the other is rejected (a shutdown) and the map cancels the second
/// call: the first call always succeeds (a runner ran, so the rejection never touches the
/// calls), the second succeeds or is cancelled, and nothing is abandoned.
#[test]
fn a_run_runner_races_a_rejected_one_and_a_cancel() {
    loom::model(|| {
        let (group, futures) = group_of_two();
        let mut futures = futures.into_iter();
        let (first, second) = (futures.next().unwrap(), futures.next().unwrap());
        let ran = runner(&group);
        let rejected = runner(&group);
        drop(group);
        let running = thread::spawn(move || ran.run());
        let rejecting = thread::spawn(move || rejected.reject(Error::Shutdown));
        let cancelled = second.cancel();
        running.join().unwrap();
        rejecting.join().unwrap();

        assert_eq!(first.result(), Ok(10));
        if cancelled {
            assert_eq!(second.result(), Err(Error::Cancelled));
        } else {
            assert_eq!(second.result(), Ok(20));
        }
    });
}

/// Neither runner runs (one cancelled by a cancelling shutdown, one rejected): whichever is
/// settled last settles every call, with its own fate; no call is left pending or abandoned.
#[test]
fn runners_never_run_settle_every_call() {
    loom::model(|| {
        let (group, futures) = group_of_two();
        let cancelled = runner(&group);
        let rejected = runner(&group);
        drop(group);
        let cancelling = thread::spawn(move || cancelled.cancel());
        rejected.reject(Error::Shutdown);
        cancelling.join().unwrap();

        let fates: Vec<_> = futures.into_iter().map(Future::result).collect();
        assert!(
            fates == [Err(Error::Cancelled), Err(Error::Cancelled)]
                || fates == [Err(Error::Shutdown), Err(Error::Shutdown)],
            "every call gets the last runner's fate: {fates:?}"
        );
    });
}
