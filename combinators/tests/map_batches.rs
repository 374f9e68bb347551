//! `map` without grouping (`chunksize(1)`, eager) hands its calls to the executor in batches
//! (`JobExecutor::execute_all`): still one job per call, in input order, within the window.
//! Observed through what an executor is given, never through timing.
#![cfg(not(cfut_loom))]

use std::num::NonZeroUsize;
use std::sync::Mutex;

use cfut_combinators::MapExt;
use cfut_core::{Executor, InlineExecutor, Job, JobExecutor, Shutdown};

/// Runs jobs inline, recording the size of each batch (a single `execute` counts as 1).
#[derive(Debug, Default)]
struct Recording {
    inner: InlineExecutor,
    batches: Mutex<Vec<usize>>,
}

impl Executor for Recording {
    fn max_workers(&self) -> usize {
        2
    }
    fn shutdown(&self, how: Shutdown) {
        self.inner.shutdown(how);
    }
}

impl JobExecutor for Recording {
    fn execute(&self, job: Job) {
        self.batches.lock().unwrap().push(1);
        self.inner.execute(job);
    }

    fn execute_all(&self, jobs: &mut dyn Iterator<Item = Job>) {
        let jobs: Vec<Job> = jobs.collect();
        self.batches.lock().unwrap().push(jobs.len());
        self.inner.execute_all(&mut jobs.into_iter());
    }
}

#[test]
fn one_call_per_job_in_batches_within_the_window() {
    let executor = Recording::default();
    let window = 300;
    let out: Vec<u32> = executor
        .map(|x: u32| x + 1, 0..1_000)
        .chunksize(NonZeroUsize::MIN)
        .window(NonZeroUsize::new(window).unwrap())
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (1..=1_000).collect::<Vec<_>>());
    let batches = executor.batches.lock().unwrap().clone();
    assert_eq!(batches.iter().sum::<usize>(), 1_000, "one job per call");
    assert!(batches.iter().all(|&size| size <= window), "{batches:?}");
    assert!(
        batches.len() < 100,
        "calls handed over one by one: {batches:?}"
    );
}

#[test]
fn eager_hands_everything_over_in_batches() {
    let executor = Recording::default();
    let map = executor.map(|x: u32| x * 2, 0..1_000).eager();
    assert_eq!(
        executor.batches.lock().unwrap().iter().sum::<usize>(),
        1_000
    );
    let out: Vec<u32> = map.map(Result::unwrap).collect();
    assert_eq!(out, (0..1_000).map(|x| x * 2).collect::<Vec<_>>());
    assert!(executor.batches.lock().unwrap().len() < 100);
}
