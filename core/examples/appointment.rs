//! The core's vocabulary in one minute: a future is an appointment slip for a result.
//!
//! Run with `cargo run -p cfut-core --example appointment`.

use std::time::Duration;

use cfut_core::{Error, InlineExecutor, Spawn, Waiter, promise};

fn main() {
    // An executor takes a call and hands back a future. The inline executor runs it at once.
    let executor = InlineExecutor::new();
    let future = executor.spawn(|| 2_u64.pow(10));
    println!("inline submit: {:?}", future.result());

    // Any thread can complete a future through its promise; callbacks run exactly once.
    let (producer, future) = promise::<String>();
    future.add_done_callback(|outcome| println!("callback saw: {outcome:?}"));
    let worker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        producer.run(|| "computed on another thread".to_owned());
    });
    println!("result: {:?}", future.result());
    worker.join().expect("the worker thread does not panic");

    // Waiting for whichever of several futures finishes first, without spinning.
    let (slow, slow_future) = promise::<u32>();
    let (fast, fast_future) = promise::<u32>();
    let waiter = Waiter::new();
    slow_future.watch(&waiter, 0);
    fast_future.watch(&waiter, 1);
    let worker = std::thread::spawn(move || {
        fast.set_result(1);
        std::thread::sleep(Duration::from_millis(20));
        slow.set_result(2);
    });
    let mut ready = Vec::new();
    waiter.wait_into(&mut ready);
    println!("first finished: future #{}", ready[0]);
    worker.join().expect("the worker thread does not panic");

    // A cancelled future is done, and says so; a dropped promise never leaves a future hanging.
    let (_producer, cancelled) = promise::<()>();
    cancelled.cancel();
    assert_eq!(cancelled.result(), Err(Error::Cancelled));
    let (producer, orphan) = promise::<()>();
    drop(producer);
    println!("orphaned future: {}", orphan.result().unwrap_err());
}
