//! Start order: calls submitted from outside the pool start in submission order (Python's
//! FIFO queue; issue 11), whatever the stealing does inside; children submitted from inside a
//! task still run newest first on the submitting thread.
//!
//! No clock: every call blocks on its own gate, and the test opens the gates in the order
//! the calls' durations would end them, waiting after each for the next call to start. The
//! only thing asserted is the recorded start order.
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

pub mod common;

use std::sync::{Arc, Condvar, Mutex};

use cfut_core::Spawn;
use cfut_threads::ThreadPoolExecutor;
use common::{LONG, Latch, outcome};

/// The labels of the calls that started, in the order they started.
#[derive(Clone, Default)]
struct Starts(Arc<(Mutex<Vec<u32>>, Condvar)>);

impl Starts {
    fn record(&self, label: u32) {
        self.0.0.lock().unwrap().push(label);
        self.0.1.notify_all();
    }

    /// Waits until `count` calls started; fails the test with the order so far after
    /// [`LONG`] (the next call in order never started: a worker holds it back).
    fn wait_for(&self, count: usize) {
        let guard = self.0.0.lock().unwrap();
        let (guard, _) = self
            .0
            .1
            .wait_timeout_while(guard, LONG, |starts| starts.len() < count)
            .unwrap();
        assert!(
            guard.len() >= count,
            "only {:?} started: the next call in submission order is held back",
            *guard
        );
    }

    fn order(&self) -> Vec<u32> {
        self.0.0.lock().unwrap().clone()
    }
}

/// The seed's case: two workers, calls of 5, 4, 3, 2 and 1 tenths of a second submitted in
/// that order, replayed with gates. Both workers are busy while the five are queued (the
/// burst a batch-stealing worker would take in bulk), then freed one at a time; each gate
/// opens when its call's duration would have ended it (4 at 0.4 s, 5 at 0.5 s, 3 and 2 at
/// 0.7 s, 1 at 0.8 s). Batch stealing started them as 5, 2, 1, 4, 3.
#[test]
fn calls_from_outside_start_in_submission_order() {
    seed_case(Submission::OneByOne);
}

/// The seed's case with the five calls handed over in one batch (`Spawn::spawn_all`, what a
/// `map` without grouping does): they start in the batch's order.
#[test]
fn calls_of_one_batch_start_in_order() {
    seed_case(Submission::Batch);
}

/// How the seed's five calls reach the pool.
#[derive(Clone, Copy)]
enum Submission {
    OneByOne,
    Batch,
}

fn seed_case(submission: Submission) {
    for repetition in 0..50 {
        let pool = ThreadPoolExecutor::new(2).unwrap();
        let starts = Starts::default();
        let blockers: Vec<_> = (0..2).map(|_| Latch::default()).collect();
        let blocked: Vec<_> = blockers
            .iter()
            .map(|gate| {
                let (gate, starts) = (gate.clone(), starts.clone());
                pool.spawn(move || {
                    starts.record(0);
                    assert!(gate.wait(), "blocker never released");
                })
            })
            .collect();
        starts.wait_for(2);

        let tenths = [5_u32, 4, 3, 2, 1];
        let gates: Vec<_> = tenths.iter().map(|_| Latch::default()).collect();
        let bodies = tenths.iter().zip(&gates).map(|(&label, gate)| {
            let (gate, starts) = (gate.clone(), starts.clone());
            move || {
                starts.record(label);
                assert!(gate.wait(), "call {label} never released");
                label
            }
        });
        let mut calls = Vec::new();
        match submission {
            Submission::OneByOne => calls.extend(bodies.map(|body| pool.spawn(body))),
            Submission::Batch => pool.spawn_all(bodies, |future| calls.push(future)),
        }

        // One worker at a time is freed: each takes the oldest queued call.
        blockers[0].open();
        starts.wait_for(3);
        blockers[1].open();
        starts.wait_for(4);
        let gate = |label: u32| &gates[tenths.iter().position(|&t| t == label).unwrap()];
        gate(4).open(); // 0.4 s: the worker of 4 takes the next call
        starts.wait_for(5);
        gate(5).open(); // 0.5 s
        starts.wait_for(6);
        gate(3).open(); // 0.7 s
        gate(2).open();
        starts.wait_for(7);
        gate(1).open(); // 0.8 s

        for future in blocked {
            outcome(future).unwrap();
        }
        let done: Vec<u32> = calls.into_iter().map(|f| outcome(f).unwrap()).collect();
        assert_eq!(done, tenths, "each future has its own call's result");
        assert_eq!(
            starts.order()[2..],
            tenths,
            "repetition {repetition}: calls started out of submission order"
        );
    }
}

/// Children submitted from inside a task go to that worker's own deque and run newest first
/// on it while the task waits (depth first, as rayon's `spawn` from a task), not in
/// submission order: on one worker, children 1, 2, 3 submitted by a waiting parent run as
/// 3, 2, 1.
#[test]
fn children_of_a_task_run_newest_first_while_it_waits() {
    let pool = Arc::new(ThreadPoolExecutor::new(1).unwrap());
    let inner = Arc::clone(&pool);
    let starts = Starts::default();
    let recorder = starts.clone();
    let parent = pool.spawn(move || {
        let children: Vec<_> = (1..=3)
            .map(|label| {
                let recorder = recorder.clone();
                inner.spawn(move || recorder.record(label))
            })
            .collect();
        // Waiting on the newest child first runs the children from this worker's deque.
        for child in children.into_iter().rev() {
            child.result().unwrap();
        }
    });
    outcome(parent).unwrap();
    assert_eq!(starts.order(), [3, 2, 1]);
}
