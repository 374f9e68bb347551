//! `map`'s automatic grouping of tiny calls: observed through the number of jobs an executor
//! is given, never through timing assertions.
#![cfg(not(cfut_loom))]

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cfut_combinators::{CallMapExt, MapExt};
use cfut_core::{Executor, InlineExecutor, Job, JobExecutor, Shutdown};

/// Runs jobs inline, counting them.
#[derive(Debug, Default)]
struct Counting {
    inner: InlineExecutor,
    jobs: AtomicUsize,
}

impl Executor for Counting {
    fn max_workers(&self) -> usize {
        2
    }
    fn shutdown(&self, how: Shutdown) {
        self.inner.shutdown(how);
    }
}

impl JobExecutor for Counting {
    fn execute(&self, job: Job) {
        self.jobs.fetch_add(1, Ordering::SeqCst);
        self.inner.execute(job);
    }
}

#[test]
fn tiny_calls_are_grouped() {
    let executor = Counting::default();
    let out: Vec<u32> = executor
        .map(|x: u32| x.wrapping_mul(3), 0..10_000)
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (0..10_000).map(|x: u32| x * 3).collect::<Vec<_>>());
    let jobs = executor.jobs.load(Ordering::SeqCst);
    assert!(jobs < 5_000, "10 000 no-op calls took {jobs} jobs");
}

#[test]
fn a_panic_in_a_group_fails_only_its_element() {
    let executor = Counting::default();
    let out: Vec<_> = executor
        .map(
            |x: u32| if x == 7_777 { panic!("seven") } else { x },
            0..10_000,
        )
        .collect();
    assert_eq!(out.len(), 10_000);
    assert!(out[7_777].is_err());
    assert!(
        out.iter()
            .enumerate()
            .all(|(i, r)| i == 7_777 || r == &Ok(i as u32))
    );
    assert!(executor.jobs.load(Ordering::SeqCst) < 5_000);
}

#[test]
fn long_calls_go_one_per_job() {
    let executor = Counting::default();
    let out: Vec<u32> = executor
        .map(
            |x: u32| {
                std::thread::sleep(Duration::from_micros(200));
                x
            },
            0..40,
        )
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (0..40).collect::<Vec<_>>());
    assert_eq!(executor.jobs.load(Ordering::SeqCst), 40);
}

#[test]
fn an_explicit_chunksize_or_eager_mode_turns_grouping_off() {
    let executor = Counting::default();
    let ones = executor
        .map(|x: u32| x, 0..1_000)
        .chunksize(NonZeroUsize::MIN)
        .count();
    assert_eq!(ones, 1_000);
    assert_eq!(executor.jobs.load(Ordering::SeqCst), 1_000);

    let executor = Counting::default();
    assert_eq!(executor.map(|x: u32| x, 0..1_000).eager().count(), 1_000);
    assert_eq!(executor.jobs.load(Ordering::SeqCst), 1_000);
}

#[test]
fn a_small_window_keeps_one_call_per_job() {
    // Groups are at most a quarter of the window per worker: a window of 4 on 2 workers
    // never groups.
    let executor = Counting::default();
    let n = executor
        .map(|x: u32| x, 0..1_000)
        .window(NonZeroUsize::new(4).unwrap())
        .count();
    assert_eq!(n, 1_000);
    assert_eq!(executor.jobs.load(Ordering::SeqCst), 1_000);
}

#[test]
fn the_portable_level_goes_one_call_per_job() {
    fn double(x: u32) -> u32 {
        x * 2
    }
    let executor = Counting::default();
    let out: Vec<u32> = executor
        .map_calls(double, 0..1_000)
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (0..1_000).map(double).collect::<Vec<_>>());
    assert_eq!(executor.jobs.load(Ordering::SeqCst), 1_000);
}
