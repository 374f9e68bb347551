//! [`Ranges`]: which calls of a group each runner may start, claimed with one atomic add per
//! call, and split in half for an idle runner (rayon's adaptive splitting, without a range
//! ever being held by a runner that cannot start it).
//!
//! The calls `0..len` start split into one range per runner. A runner claims the front call
//! of its own range with one `fetch_add` on a word no other runner touches while it has work
//! (each range on its own cache lines). A runner whose range is empty *steals*: it takes the
//! back half of the largest range (one compare-and-swap on that range), claims the stolen
//! part's first call at once and publishes the rest as its own range, where others may
//! steal from it in turn. So a call is never held back by a runner that cannot start it: the
//! owner of a range starts its front call now, and every other call of the range stays
//! visible to every idle runner.
//!
//! Steals happen under one lock, and so does a runner's decision that nothing is left:
//! between a steal's compare-and-swap and the publication of its rest, the rest is in no
//! range, and a runner that scanned the ranges then would leave while calls it could start
//! are still to come (then they would run one after another on the thief). Under the lock,
//! no steal is half done while a runner scans; a runner that finds every range empty leaves,
//! and the ranges stay empty (only a steal of a non-empty range fills one). The lock costs
//! nothing per call: a runner takes it only when its own range ran out (a halving split
//! gives each runner about `log2(len)` steals per group).

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

/// The unstarted calls of a group, as one range per runner.
pub(crate) struct Ranges {
    ranges: Box<[Padded]>,
    /// Held while stealing, and while deciding that every range is empty (module docs).
    steal: Mutex<()>,
}

impl Ranges {
    /// The calls `0..len` split into `parts` ranges of nearly equal length (`parts` ≥ 1).
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
        let parts = u32::try_from(parts.max(1)).unwrap_or(u32::MAX);
        let bound = |part: u32| (u64::from(len) * u64::from(part) / u64::from(parts)) as u32;
        Ranges {
            ranges: (0..parts)
                .map(|part| Padded(AtomicU64::new(pack(bound(part), bound(part + 1)))))
                .collect(),
            steal: Mutex::new(()),
        }
    }

    /// How many ranges (runners) there are.
    pub(crate) fn parts(&self) -> usize {
        self.ranges.len()
    }

    /// The next call runner `me` may start: the front of its own range, or else the first
    /// call of a stolen half; `None` once every range is empty (then they stay empty).
    pub(crate) fn next(&self, me: usize) -> Option<usize> {
        self.claim(me).or_else(|| self.steal(me))
    }

    /// The front call of runner `me`'s own range, if any.
    fn claim(&self, me: usize) -> Option<usize> {
        // Only the owner adds to `lo`, so `lo` passes `hi` by one at most: once, when the
        // range ran out, after which the owner steals a new range or leaves.
        // ORDERING: only the uniqueness of each index matters (the add and every split are
        // read-modify-writes of one word); the calls' data was published before the runners
        // were submitted.
        let (lo, hi) = unpack(self.ranges[me].0.fetch_add(1, Ordering::Relaxed));
        (lo < hi).then_some(lo as usize)
    }

    /// Steals the back half of the largest range for runner `me` (whose range is empty):
    /// claims its first call and publishes the rest as `me`'s range.
    fn steal(&self, me: usize) -> Option<usize> {
        let _steal = self.steal.lock();
        loop {
            let (victim, word) = self.largest()?;
            let (lo, hi) = unpack(word);
            let half = (hi - lo).div_ceil(2);
            // ORDERING: as in `claim`. Fails if the owner claimed meanwhile: look again.
            if self.ranges[victim]
                .0
                .compare_exchange(
                    word,
                    pack(lo, hi - half),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                let first = hi - half;
                // Only `me` adds to its own word, and every other writer holds the lock.
                // ORDERING: as in `claim`; the lock orders this store before later steals.
                self.ranges[me]
                    .0
                    .store(pack(first + 1, hi), Ordering::Relaxed);
                return Some(first as usize);
            }
        }
    }

    /// The range with the most calls left, as its index and word; `None` if all are empty.
    fn largest(&self) -> Option<(usize, u64)> {
        let mut best = None;
        let mut most = 0;
        for (index, range) in self.ranges.iter().enumerate() {
            // ORDERING: as in `claim`; the compare-and-swap that follows checks the word.
            let word = range.0.load(Ordering::Relaxed);
            let (lo, hi) = unpack(word);
            if hi.saturating_sub(lo) > most {
                most = hi - lo;
                best = Some((index, word));
            }
        }
        best
    }

    /// Empties every range: the calls no runner claimed, given to `take` one by one; they
    /// will never be claimed.
    pub(crate) fn take_all(&self, mut take: impl FnMut(usize)) {
        let _steal = self.steal.lock();
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
