//! Runners claim a group's calls from their own ranges while idle runners refill theirs from
//! the unassigned calls or by stealing halves of others' (issue 11, `ranges.rs`): every call
//! is claimed exactly once, and no runner leaves while a call it could start is on its way
//! into a range. Blocks of one call take the steal-first path of slow calls, blocks of two the
//! unassigned-first path of tiny calls; a runner with blocks of one beside one with blocks of
//! two steals from the other's block.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use crate::group::ranges::Ranges;

/// Runs runner `me`, refilling its range with blocks of `block` calls, until it finds nothing
/// left; the calls it claimed.
fn drain(ranges: &Ranges, me: usize, block: usize) -> Vec<usize> {
    std::iter::from_fn(|| ranges.next(me, || block)).collect()
}

/// Two runners over five calls, refilling their ranges with blocks of `blocks` calls (the
/// first runner's, the second's): the calls claimed are `0..5`, each once.
fn every_call_is_claimed_once(blocks: (usize, usize)) {
    loom::model(move || {
        let ranges = Arc::new(Ranges::new(5, 2));
        let other = Arc::clone(&ranges);
        let second = thread::spawn(move || drain(&other, 1, blocks.1));
        let mut claimed = drain(&ranges, 0, blocks.0);
        claimed.extend(second.join().unwrap());
        claimed.sort_unstable();
        assert_eq!(claimed, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn every_call_is_claimed_once_in_blocks_of_two() {
    every_call_is_claimed_once((2, 2));
}

#[test]
fn every_call_is_claimed_once_in_blocks_of_one_and_four() {
    every_call_is_claimed_once((1, 4));
}

/// Two runners over five calls, with blocks of `blocks` calls (the first runner's, the
/// second's). Once a runner found nothing
/// left, no claim that starts afterwards succeeds: the calls it left were all started (or
/// being started). A refill's calls are, for a moment, in no range (a block taken from the
/// unassigned calls, a stolen half); a runner that scanned the ranges then would leave while
/// those calls still wait for the runner that took them.
///
/// Three preemptions at least: the first runner's steal must be interrupted between its
/// compare-and-swap and its publication while the second claims, refills and scans (a steal
/// done outside the lock is caught at three, not at two).
fn no_runner_leaves_while_a_refill_is_on_its_way(blocks: (usize, usize)) {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(model.preemption_bound.map_or(3, |bound| bound.max(3)));
    model.check(move || {
        let ranges = Arc::new(Ranges::new(5, 2));
        let left = Arc::new(AtomicBool::new(false));
        let (other, gone) = (Arc::clone(&ranges), Arc::clone(&left));
        let second = thread::spawn(move || {
            let claimed = drain(&other, 1, blocks.1);
            gone.store(true, Ordering::SeqCst);
            claimed
        });
        let mut claimed = Vec::new();
        loop {
            let after_it_left = left.load(Ordering::SeqCst);
            let Some(index) = ranges.next(0, || blocks.0) else {
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
        assert_eq!(claimed, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn no_runner_leaves_while_a_block_or_a_stolen_half_is_on_its_way() {
    no_runner_leaves_while_a_refill_is_on_its_way((2, 2));
}

#[test]
fn no_runner_leaves_while_a_half_stolen_first_is_on_its_way() {
    no_runner_leaves_while_a_refill_is_on_its_way((1, 4));
}
