//! [`Ranges`]: which calls of a group each runner may start, claimed with one atomic add per
//! call, handed out from the front in blocks, and split in half for an idle runner (rayon's
//! adaptive splitting, without a range ever being held by a runner that cannot start it).
//!
//! The calls `0..len` start *unassigned*. A runner claims the front call of its own range
//! with one `fetch_add` on a word no other runner touches while it has work (each range on
//! its own cache lines). A runner whose range is empty refills it with the oldest calls
//! left while its calls are slow: if some range is not empty, it *steals* the front half of
//! the one whose front call is the oldest (one compare-and-swap on that range; its owner goes
//! on after the stolen half); otherwise it takes the next unassigned call. While calls are
//! tiny, it takes the next block of unassigned calls — as many as its calls so far say fit
//! in a few microseconds (`group.rs`) — and steals only once none is left (a steal contends
//! with the victim's claims on its word). Either way it claims the first call of what it
//! took at once and publishes the rest as its own range, where others may steal from it in
//! turn. So a call is never held back by a runner that
//! cannot start it: the owner of a range starts its front call now, and every other call of
//! the range stays visible to every idle runner.
//!
//! Oldest first keeps the calls starting in input order as long as they are slow (blocks of
//! one call): a group formed before the `map` knew how long its calls take starts them as
//! one job per call would. Ranges split evenly up front, with thieves taking the back half of
//! the largest, started two streams, one at the front of each half, and left a range's front
//! to its owner: `cpu_hash_files` (`compare -- workloads`, 2 threads), whose two largest files
//! are its second and third, had them hashed one after the other on one worker. With its
//! files' lengths as sleeps (600 MB/s, 2 workers, five maps each) that took 0.574-0.580 s
//! against 0.455-0.459 s for `chunksize(1)`; taken from the front, 0.457-0.474 s. Tiny calls
//! pay one lock per block, a block holding a few microseconds of calls.
//!
//! Refills happen under one lock, and so does a runner's decision that nothing is left:
//! between a steal's compare-and-swap (or a block's removal from the unassigned calls) and
//! the publication of its rest, the rest is in no range, and a runner that scanned the ranges
//! then would leave while calls it could start are still to come (then they would run one
//! after another on the thief). Under the lock, no refill is half done while a runner scans;
//! a runner that finds every range empty and no call unassigned leaves, and nothing is left
//! for good (only a refill from a non-empty range or from the unassigned calls fills one).
//! The lock costs nothing per call: a runner takes it only when its own range ran out.

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicU64, Ordering};

/// A range `lo..hi` as one word: `lo` in the low half, `hi` in the high half, so that the
/// owner's claim is one add on the word, and a thief's split one compare-and-swap.
fn pack(lo: u32, hi: u32) -> u64 {
    u64::from(hi) << 32 | u64::from(lo)
}

/// The two halves of a packed range.
fn unpack(word: u64) -> (u32, u32) {
    // Truncations on purpose: the halves of the word.
    (word as u32, (word >> 32) as u32)
}

/// A range on its own cache lines (two: adjacent-line prefetching pairs them on x86), so a
/// runner's claims do not slow down its neighbours'.
#[repr(align(128))]
struct Padded(AtomicU64);

/// The unstarted calls of a group: those not yet handed to a runner, and one range per
/// runner.
pub(crate) struct Ranges {
    ranges: Box<[Padded]>,
    /// The first call not yet handed to a runner (the calls from it to `len` are
    /// unassigned). The lock is held while taking a block or stealing, and while deciding
    /// that nothing is left (module docs).
    steal: Mutex<u32>,
    /// How many calls there are.
    len: u32,
}

impl Ranges {
    /// The calls `0..len`, all unassigned, for `parts` runners (`parts` ≥ 1).
    ///
    /// # Panics
    ///
    /// If `len` is `u32::MAX` or more (groups are far smaller, `tuning.rs`): a claim past
    /// the end adds one to `lo`, which must not carry into `hi`.
    pub(crate) fn new(len: usize, parts: usize) -> Self {
        let len = u32::try_from(len)
            .ok()
            .filter(|&len| len < u32::MAX)
            .expect("a group holds fewer than 2^32 - 1 calls");
        Ranges {
            ranges: (0..parts.max(1))
                .map(|_| Padded(AtomicU64::new(pack(0, 0))))
                .collect(),
            steal: Mutex::new(0),
            len,
        }
    }

    /// How many ranges (runners) there are.
    pub(crate) fn parts(&self) -> usize {
        self.ranges.len()
    }

    /// The next call runner `me` may start: the front of its own range, or else the first
    /// call of a block of `block()` unassigned calls (at least one), or else the first call
    /// of a stolen half; `None` once nothing is left (then nothing will be).
    pub(crate) fn next(&self, me: usize, block: impl FnOnce() -> usize) -> Option<usize> {
        self.claim(me).or_else(|| self.refill(me, block))
    }

    /// The front call of runner `me`'s own range, if any.
    fn claim(&self, me: usize) -> Option<usize> {
        // Only the owner adds to `lo` (a thief moves it to at most `hi`), so `lo` passes
        // `hi` by one at most: once, when the range ran out, after which the owner refills
        // its range or leaves.
        // ORDERING: only the uniqueness of each index matters (the add and every split are
        // read-modify-writes of one word); the calls' data was published before the runners
        // were submitted.
        let (lo, hi) = unpack(self.ranges[me].0.fetch_add(1, Ordering::Relaxed));
        (lo < hi).then_some(lo as usize)
    }

    /// Refills runner `me`'s range (empty), claims the first call it took and publishes the
    /// rest as `me`'s range. With a block of one call (slow calls), the oldest calls left:
    /// the front half of the range whose front call is the oldest, or if every range is empty
    /// the next unassigned call. With larger blocks (tiny calls, whose order matters less than
    /// a steal's contention with the victim's claims), the next block of unassigned calls
    /// first, and a steal only once none is left.
    fn refill(&self, me: usize, block: impl FnOnce() -> usize) -> Option<usize> {
        let mut unassigned = self.steal.lock();
        let size = u32::try_from(block()).unwrap_or(u32::MAX).max(1);
        if size == 1
            && let Some(first) = self.steal_oldest(me)
        {
            return Some(first);
        }
        let first = *unassigned;
        if first >= self.len {
            return self.steal_oldest(me);
        }
        let end = first + size.min(self.len - first);
        *unassigned = end;
        // Only `me` adds to its own word, and every other writer holds the lock.
        // ORDERING: as in `claim`; the lock orders this store before later steals.
        self.ranges[me]
            .0
            .store(pack(first + 1, end), Ordering::Relaxed);
        Some(first as usize)
    }

    /// Steals the front half of the range whose front call is the oldest for runner `me`
    /// (whose range is empty); `None` if every range is empty. The caller holds the lock.
    fn steal_oldest(&self, me: usize) -> Option<usize> {
        loop {
            let (victim, word) = self.oldest()?;
            let (lo, hi) = unpack(word);
            let half = (hi - lo).div_ceil(2);
            // ORDERING: as in `claim`. Fails if the owner claimed meanwhile: look again.
            if self.ranges[victim]
                .0
                .compare_exchange(
                    word,
                    pack(lo + half, hi),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                // ORDERING: as in `refill`.
                self.ranges[me]
                    .0
                    .store(pack(lo + 1, lo + half), Ordering::Relaxed);
                return Some(lo as usize);
            }
        }
    }

    /// The non-empty range whose front call is the oldest, as its index and word; `None` if
    /// all are empty.
    fn oldest(&self) -> Option<(usize, u64)> {
        let mut best: Option<(usize, u64)> = None;
        for (index, range) in self.ranges.iter().enumerate() {
            // ORDERING: as in `claim`; the compare-and-swap that follows checks the word.
            let word = range.0.load(Ordering::Relaxed);
            let (lo, hi) = unpack(word);
            if lo < hi && best.is_none_or(|(_, oldest)| lo < unpack(oldest).0) {
                best = Some((index, word));
            }
        }
        best
    }

    /// Empties every range: the calls no runner claimed, given to `take` one by one; they
    /// will never be claimed.
    pub(crate) fn take_all(&self, mut take: impl FnMut(usize)) {
        let mut unassigned = self.steal.lock();
        (*unassigned..self.len).for_each(|index| take(index as usize));
        *unassigned = self.len;
        for range in self.ranges.iter() {
            // ORDERING: as in `claim`.
            let mut word = range.0.load(Ordering::Relaxed);
            loop {
                let (lo, hi) = unpack(word);
                if lo >= hi {
                    break;
                }
                // ORDERING: as in `claim`; fails if the owner claimed meanwhile.
                match range.0.compare_exchange_weak(
                    word,
                    pack(lo, lo),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        (lo..hi).for_each(|index| take(index as usize));
                        break;
                    }
                    Err(now) => word = now,
                }
            }
        }
    }
}
