//! The forms a newcomer from Python writes first, through the facade alone: each must compile
//! as written and give Python's answer.

#![cfg(target_os = "linux")]

use std::num::NonZeroUsize;
use std::time::Duration;

use cfut::prelude::*;

fn foo(n: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(n));
    n * 10
}

fn add((a, b): (i64, i64)) -> i64 {
    a + b
}

#[test]
fn submit_fn_arg_on_both_pools() -> Result<(), Box<dyn std::error::Error>> {
    let threads = ThreadPoolExecutor::new(2)?;
    let processes = ProcessPoolExecutor::new(2)?;
    assert_eq!(threads.submit(foo, 1).result(), Ok(10));
    assert_eq!(processes.submit(foo, 1).result(), Ok(10));
    assert_eq!(threads.submit(add, (40, 2)).result(), Ok(42));
    assert_eq!(processes.submit(add, (40, 2)).result(), Ok(42));
    // Threads take any closure, capturing or not; the closure form without an argument is spawn.
    let offset = 5;
    assert_eq!(threads.submit(move |x: u64| x + offset, 1).result(), Ok(6));
    assert_eq!(threads.spawn(move || offset * 2).result(), Ok(10));
    // A closure that captures nothing travels to a process too.
    assert_eq!(processes.submit(|x: u64| x + 1, 1).result(), Ok(2));
    Ok(())
}

#[test]
fn map_with_and_without_chunksize() -> Result<(), Box<dyn std::error::Error>> {
    let threads = ThreadPoolExecutor::new(2)?;
    let processes = ProcessPoolExecutor::new(2)?;
    let expected = vec![50, 40, 30, 20, 10];
    let got: Vec<u64> = threads
        .map(foo, [5, 4, 3, 2, 1])
        .collect::<Result<_, _>>()?;
    assert_eq!(got, expected);
    let got: Vec<u64> = processes
        .map(foo, [5, 4, 3, 2, 1])
        .collect::<Result<_, _>>()?;
    assert_eq!(got, expected);
    let two = NonZeroUsize::new(2).unwrap();
    let got: Vec<u64> = threads
        .map(foo, [5, 4, 3, 2, 1])
        .chunksize(two)
        .collect::<Result<_, _>>()?;
    assert_eq!(got, expected);
    let got: Vec<u64> = processes
        .map(foo, [5, 4, 3, 2, 1])
        .chunksize(two)
        .timeout(Duration::from_secs(60))
        .collect::<Result<_, _>>()?;
    assert_eq!(got, expected);
    Ok(())
}

#[test]
fn wait_destructures_as_in_python() -> Result<(), Box<dyn std::error::Error>> {
    let pool = ThreadPoolExecutor::new(2)?;
    let fs = vec![pool.submit(foo, 0), pool.spawn(|| 0)];
    let (done, not_done) = wait(fs, ReturnWhen::AllCompleted);
    assert_eq!((done.len(), not_done.len()), (2, 0));

    let (release, gate) = std::sync::mpsc::channel::<()>();
    let blocked = pool.spawn(move || gate.recv().is_ok());
    let finished = pool.spawn(|| true);
    finished.wait();
    let (done, not_done) = wait(vec![blocked, finished], ReturnWhen::FirstCompleted);
    assert_eq!((done.len(), not_done.len()), (1, 1));
    release.send(())?;
    not_done[0].wait();
    assert!(not_done[0].is_done());
    Ok(())
}

#[test]
fn as_completed_over_mixed_pools() -> Result<(), Box<dyn std::error::Error>> {
    let threads = ThreadPoolExecutor::new(2)?;
    let processes = ProcessPoolExecutor::new(2)?;
    let futures = vec![
        threads.submit(foo, 3),
        processes.submit(foo, 4),
        threads.submit(foo, 1),
        processes.submit(foo, 2),
    ];
    let mut results: Vec<u64> = Vec::new();
    for future in as_completed(futures) {
        results.push(future.result()?);
    }
    results.sort_unstable();
    assert_eq!(results, [10, 20, 30, 40]);
    Ok(())
}

#[test]
fn scoped_submit_borrows_a_local_vec() -> Result<(), Box<dyn std::error::Error>> {
    let pool = ThreadPoolExecutor::new(2)?;
    let mut words = vec![String::from("alpha"), String::from("beta")];
    let lengths = pool.scope(|s| {
        let first = s.spawn(|| words[0].len());
        let second = s.submit(|w: &String| w.len(), &words[1]);
        (first.result(), second.result())
    });
    assert_eq!(lengths, (Ok(5), Ok(4)));
    words.push(String::from("gamma"));
    assert_eq!(words.len(), 3, "still ours, mutably, after the scope");
    Ok(())
}
