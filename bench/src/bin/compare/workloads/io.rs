//! I/O shapes: calls that sleep, standing for network or disk calls, on 16 threads.
//!
//! - `io_fast_prefix` (s): 1 000 calls that return at once (cache hits), then 400 calls that
//!   sleep 5 ms. Ideal: 400 × 5 ms ÷ 16 threads = 0.125 s.
//! - `io_heavy_tail` (s): 3 000 calls sleeping a fixed pseudo-random heavy-tailed length
//!   ([`heavy_tail_sleeps`]: median about 0.2 ms, longest 50 ms; the same lengths for every
//!   system, Python's included). Ideal: the larger of (sum of the lengths ÷ 16) and the
//!   longest; `ideal-in-order`: the wall time when calls start in submission order, each on
//!   the first thread free ([`ideal_in_order`]), which Python's executor, threadpool and cfut
//!   keep (issue 11 asks cfut to) and rayon's splitting does not.
//!
//! Systems: cfut's default `map`; rayon's `par_iter().map().collect()`; threadpool, one call
//! per element, results in order ([`crate::peers::map_in_order`]). The ideal counts the
//! nominal lengths; every sleep also overshoots by the kernel's timer slack (50 µs by default).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use cfut_combinators::MapExt;
use cfut_threads::ThreadPoolExecutor;
use rayon::prelude::*;

use super::seconds;
use crate::peers::{map_in_order, rayon_pool};
use crate::report::{Contender, Report, Sample};

pub(super) const THREADS: usize = 16;
const FAST_CALLS: usize = 1_000;
const SLOW_CALLS: usize = 400;
const SLOW: Duration = Duration::from_millis(5);

const TAIL_CALLS: usize = 3_000;
const TAIL_SEED: u64 = 0x5EED_CF07;
/// Pareto's shape: the smaller, the heavier the tail.
const TAIL_SHAPE: f64 = 1.1;
/// The median length, µs (Pareto's median is `scale × 2^(1/shape)`).
const TAIL_MEDIAN_US: f64 = 200.0;
const TAIL_LONGEST: Duration = Duration::from_millis(50);

/// One call of `io_fast_prefix`: instant below `FAST_CALLS`, 5 ms after.
fn fast_prefix_call(i: usize) -> usize {
    if i >= FAST_CALLS {
        std::thread::sleep(SLOW);
    }
    i
}

/// One call of `io_heavy_tail`.
fn sleep_for(length: Duration) -> Duration {
    std::thread::sleep(length);
    length
}

/// splitmix64: a fixed, portable sequence from a seed (the Python side gets the lengths
/// themselves, not the generator).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The `io_heavy_tail` lengths: Pareto(shape 1.1, median 0.2 ms) from a fixed seed, whole
/// microseconds, capped at 50 ms.
pub(super) fn heavy_tail_sleeps() -> Vec<Duration> {
    let scale_us = TAIL_MEDIAN_US / 2_f64.powf(1.0 / TAIL_SHAPE);
    let mut state = TAIL_SEED;
    let sleeps: Vec<Duration> = (0..TAIL_CALLS)
        .map(|_| {
            // Uniform in (0, 1]: never 0, so the power is finite.
            let u = ((splitmix64(&mut state) >> 11) + 1) as f64 / (1_u64 << 53) as f64;
            let us = (scale_us * u.powf(-1.0 / TAIL_SHAPE)).round() as u64;
            Duration::from_micros(us).min(TAIL_LONGEST)
        })
        .collect();
    assert_eq!(
        sleeps.iter().max(),
        Some(&TAIL_LONGEST),
        "the seed gives at least one call at the cap"
    );
    sleeps
}

/// The wall time of `lengths` on `workers` when each call starts, in order, on the first
/// worker free (list scheduling in submission order): the best an executor that starts calls
/// in submission order, as Python's does, can reach with exact sleeps.
fn ideal_in_order(lengths: &[Duration], workers: usize) -> f64 {
    let mut free: BinaryHeap<Reverse<Duration>> =
        std::iter::repeat_n(Reverse(Duration::ZERO), workers.max(1)).collect();
    for &length in lengths {
        let Reverse(start) = free.pop().expect("one entry per worker");
        free.push(Reverse(start + length));
    }
    free.into_iter()
        .map(|Reverse(end)| end)
        .max()
        .unwrap_or_default()
        .as_secs_f64()
}

/// The ideal wall time of `lengths` on `workers`: the larger of the even share and the
/// longest call.
fn ideal(lengths: &[Duration], workers: usize) -> f64 {
    let total: Duration = lengths.iter().sum();
    let longest = lengths.iter().max().copied().unwrap_or_default();
    (total.as_secs_f64() / workers as f64).max(longest.as_secs_f64())
}

pub(super) fn run(report: &mut Report, sleeps: &[Duration]) {
    let cfut = ThreadPoolExecutor::new(THREADS).expect("cfut pool");
    let rayon = rayon_pool(THREADS);
    let threadpool = threadpool::ThreadPool::new(THREADS);
    // Every thread of every pool started before the clock: one 10 ms sleep per thread.
    let warm = vec![Duration::from_millis(10); THREADS];
    let slept: Vec<Duration> = cfut
        .map(sleep_for, warm.iter().copied())
        .map(|r| r.expect("warm-up"))
        .collect();
    assert_eq!(slept, warm);
    let slept: Vec<Duration> = rayon.install(|| warm.par_iter().copied().map(sleep_for).collect());
    assert_eq!(slept, warm);
    assert_eq!(
        map_in_order(&threadpool, sleep_for, warm.iter().copied()),
        warm
    );

    let n = FAST_CALLS + SLOW_CALLS;
    let expected: Vec<usize> = (0..n).collect();
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                seconds(n, &expected, || {
                    cfut.map(fast_prefix_call, 0..n)
                        .map(|r| r.expect("call"))
                        .collect()
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                seconds(n, &expected, || {
                    rayon.install(|| (0..n).into_par_iter().map(fast_prefix_call).collect())
                })
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                seconds(n, &expected, || {
                    map_in_order(&threadpool, fast_prefix_call, 0..n)
                })
            }),
        ),
    ];
    report.measure("io_fast_prefix", contenders);
    let slow = vec![SLOW; SLOW_CALLS];
    report.record(
        "io_fast_prefix",
        "ideal",
        Sample::bare(ideal(&slow, THREADS)),
    );

    let expected = sleeps.to_vec();
    let calls = sleeps.len();
    let contenders: Vec<Contender<'_>> = vec![
        (
            "cfut",
            Box::new(|| {
                seconds(calls, &expected, || {
                    cfut.map(sleep_for, sleeps.iter().copied())
                        .map(|r| r.expect("call"))
                        .collect()
                })
            }),
        ),
        (
            "rayon",
            Box::new(|| {
                seconds(calls, &expected, || {
                    rayon.install(|| sleeps.par_iter().copied().map(sleep_for).collect())
                })
            }),
        ),
        (
            "threadpool",
            Box::new(|| {
                seconds(calls, &expected, || {
                    map_in_order(&threadpool, sleep_for, sleeps.iter().copied())
                })
            }),
        ),
    ];
    report.measure("io_heavy_tail", contenders);
    report.record(
        "io_heavy_tail",
        "ideal",
        Sample::bare(ideal(sleeps, THREADS)),
    );
    report.record(
        "io_heavy_tail",
        "ideal-in-order",
        Sample::bare(ideal_in_order(sleeps, THREADS)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heavy_tail_is_fixed_and_shaped_as_documented() {
        let sleeps = heavy_tail_sleeps();
        assert_eq!(sleeps, heavy_tail_sleeps(), "the same lengths every time");
        assert_eq!(sleeps.len(), TAIL_CALLS);
        let mut sorted = sleeps.clone();
        sorted.sort();
        let median = sorted[TAIL_CALLS / 2];
        assert!(
            (Duration::from_micros(170)..=Duration::from_micros(230)).contains(&median),
            "median {median:?}"
        );
        assert_eq!(sorted.last(), Some(&TAIL_LONGEST));
    }

    #[test]
    fn the_ideal_is_the_even_share_or_the_longest_call() {
        let ms = Duration::from_millis;
        assert_eq!(ideal(&[ms(5); 400], 16), 0.125);
        assert_eq!(ideal(&[ms(50), ms(1), ms(1)], 16), 0.05);
    }

    #[test]
    fn in_order_a_late_long_call_ends_late() {
        let ms = Duration::from_millis;
        assert_eq!(ideal_in_order(&[ms(50), ms(1), ms(1)], 2), 0.05);
        // The long call waits for a worker: it starts after 1 ms, where any order could
        // start it at once.
        assert_eq!(ideal_in_order(&[ms(1), ms(1), ms(50)], 2), 0.051);
        assert_eq!(ideal(&[ms(1), ms(1), ms(50)], 2), 0.05);
        assert_eq!(ideal_in_order(&[ms(5); 400], 16), 0.125);
    }

    #[test]
    fn only_calls_past_the_prefix_sleep() {
        assert_eq!(fast_prefix_call(3), 3);
        assert_eq!(fast_prefix_call(FAST_CALLS), FAST_CALLS);
    }
}
