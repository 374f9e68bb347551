//! The conformance kit against deliberately broken executors: each bug must be caught, by the
//! check named for it. This is what shows that the kit's checks can fail.
//!
//! `Fifo` is a small, correct single-thread executor with a FIFO queue; each `Bug` breaks one
//! rule of the contract.

// Real threads and time: not for loom builds (the kit is compiled out there).
#![cfg(not(cfut_loom))]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use cfut_core::{Error, Executor, Job, JobExecutor, Shutdown};
use cfut_testing::conformance::{self, Options};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    None,
    /// `shutdown(cancel_pending(true))` leaves queued calls to run.
    IgnoresCancelPending,
    /// Accepts and runs calls after `shutdown`.
    RunsAfterShutdown,
    /// Dropping the executor does not wait for queued calls (it drops them).
    DropDoesNotWait,
    /// Claims two workers but has one thread.
    OverstatesWorkers,
    /// Drops every fifth job without running it.
    LosesJobs,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

struct Fifo {
    bug: Bug,
    shared: Arc<(Mutex<Queue>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
    submitted: AtomicUsize,
}

impl Fifo {
    fn new(bug: Bug) -> Self {
        let shared = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
        let worker = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            loop {
                let job = {
                    let mut queue = worker.0.lock().unwrap();
                    loop {
                        if let Some(job) = queue.jobs.pop_front() {
                            break job;
                        }
                        if queue.closed {
                            return;
                        }
                        queue = worker.1.wait(queue).unwrap();
                    }
                };
                job.run();
            }
        });
        Fifo {
            bug,
            shared,
            thread: Mutex::new(Some(thread)),
            submitted: AtomicUsize::new(0),
        }
    }
}

impl Executor for Fifo {
    fn max_workers(&self) -> usize {
        if self.bug == Bug::OverstatesWorkers {
            2
        } else {
            1
        }
    }

    fn shutdown(&self, how: Shutdown) {
        let cancelled: Vec<Job> = {
            let mut queue = self.shared.0.lock().unwrap();
            if self.bug != Bug::RunsAfterShutdown {
                queue.closed = true;
            }
            if how.cancels_pending() && self.bug != Bug::IgnoresCancelPending {
                queue.jobs.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        self.shared.1.notify_all();
        cancelled.into_iter().for_each(Job::cancel);
        if how.waits() && self.bug != Bug::RunsAfterShutdown {
            let thread = self.thread.lock().unwrap().take();
            if let Some(thread) = thread {
                thread.join().unwrap();
            }
        }
    }
}

impl JobExecutor for Fifo {
    fn execute(&self, job: Job) {
        if self.bug == Bug::LosesJobs && self.submitted.fetch_add(1, Ordering::SeqCst) % 5 == 4 {
            drop(job);
            return;
        }
        let mut queue = self.shared.0.lock().unwrap();
        if queue.closed {
            drop(queue);
            return job.reject(Error::Shutdown);
        }
        queue.jobs.push_back(job);
        drop(queue);
        self.shared.1.notify_one();
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        if self.bug == Bug::DropDoesNotWait {
            let dropped: Vec<Job> = self.shared.0.lock().unwrap().jobs.drain(..).collect();
            drop(dropped);
        }
        // Close for good (even the buggy ones), so the thread exits.
        self.shared.0.lock().unwrap().closed = true;
        self.shared.1.notify_all();
        let thread = self.thread.lock().unwrap().take();
        if let Some(thread) = thread {
            thread.join().unwrap();
        }
    }
}

/// Runs the in-process kit on `bug` and returns the failure message (empty if it passed).
fn failures(bug: Bug) -> String {
    // The kit's waits for a buggy executor run to their limit: keep it short there; the
    // correct executor gets the default limit, so load on the machine cannot fail it.
    let options = if bug == Bug::None {
        Options::new()
    } else {
        Options::new().timeout(Duration::from_millis(500))
    };
    match std::panic::catch_unwind(|| conformance::job_executor_with(&options, || Fifo::new(bug))) {
        Ok(_) => String::new(),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .expect("the kit panics with a String"),
    }
}

/// The names of the failed checks, from the runner's message ("  name: ...").
fn failed_checks(message: &str) -> Vec<String> {
    message
        .lines()
        .filter_map(|line| line.strip_prefix("  "))
        .filter_map(|line| line.split_once(':').map(|(name, _)| name.to_owned()))
        .collect()
}

#[test]
fn the_correct_executor_passes() {
    assert_eq!(failures(Bug::None), "");
}

#[test]
fn ignoring_cancel_pending_is_caught() {
    let failed = failed_checks(&failures(Bug::IgnoresCancelPending));
    assert!(
        failed.contains(&"shutdown_cancel_pending".to_owned()),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"shutdown_cancel_pending_and_wait".to_owned()),
        "{failed:?}"
    );
    assert!(!failed.contains(&"submit_result".to_owned()), "{failed:?}");
}

#[test]
fn running_after_shutdown_is_caught() {
    let failed = failed_checks(&failures(Bug::RunsAfterShutdown));
    assert!(
        failed.contains(&"submit_after_shutdown".to_owned()),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"shutdown_keeps_queued".to_owned()),
        "{failed:?}"
    );
}

#[test]
fn a_drop_that_does_not_wait_is_caught() {
    let failed = failed_checks(&failures(Bug::DropDoesNotWait));
    assert!(failed.contains(&"drop_waits".to_owned()), "{failed:?}");
    assert!(!failed.contains(&"shutdown_waits".to_owned()), "{failed:?}");
}

#[test]
fn overstated_workers_are_caught() {
    let message = failures(Bug::OverstatesWorkers);
    assert!(
        failed_checks(&message).contains(&"cancel_before_start".to_owned()),
        "{message}"
    );
    assert!(message.contains("overstate"), "{message}");
}

#[test]
fn lost_jobs_are_caught() {
    let failed = failed_checks(&failures(Bug::LosesJobs));
    assert!(failed.contains(&"submit_result".to_owned()), "{failed:?}");
}
