//! Runners claim a group's calls from their own ranges while idle runners steal halves of
//! them (issue 11, `ranges.rs`): every call is claimed exactly once, and no runner leaves
//! while a call it could start is on its way between two ranges.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use crate::group::ranges::Ranges;

/// Runs runner `me` until it finds nothing left; the calls it claimed.
fn drain(ranges: &Ranges, me: usize) -> Vec<usize> {
    std::iter::from_fn(|| ranges.next(me)).collect()
}

/// Two runners over five calls (ranges `0..2` and `2..5`), each claiming its own and then
/// stealing from the other: the calls claimed are `0..5`, each once.
#[test]
fn every_call_is_claimed_once() {
    loom::model(|| {
        let ranges = Arc::new(Ranges::new(5, 2));
        let other = Arc::clone(&ranges);
        let second = thread::spawn(move || drain(&other, 1));
        let mut claimed = drain(&ranges, 0);
        claimed.extend(second.join().unwrap());
        claimed.sort_unstable();
        assert_eq!(claimed, [0, 1, 2, 3, 4]);
    });
}

/// Two runners over six calls (`0..3` and `3..6`). Once a runner found nothing left, no
/// claim that starts afterwards succeeds: the calls it left were all started (or being
/// started). A thief's stolen half is, for a moment, in no range; a runner that scanned the
/// ranges then would leave while that half's calls still wait for the thief.
#[test]
fn no_runner_leaves_while_a_stolen_half_is_on_its_way() {
    loom::model(|| {
        let ranges = Arc::new(Ranges::new(6, 2));
        let left = Arc::new(AtomicBool::new(false));
        let (other, gone) = (Arc::clone(&ranges), Arc::clone(&left));
        let second = thread::spawn(move || {
            let claimed = drain(&other, 1);
            gone.store(true, Ordering::SeqCst);
            claimed
        });
        let mut claimed = Vec::new();
        loop {
            let after_it_left = left.load(Ordering::SeqCst);
            let Some(index) = ranges.next(0) else {
                break;
            };
            assert!(
                !after_it_left,
                "call {index} was still to be claimed when the other runner left"
            );
            claimed.push(index);
        }
        claimed.extend(second.join().unwrap());
        claimed.sort_unstable();
        assert_eq!(claimed, [0, 1, 2, 3, 4, 5]);
    });
}
