//! `Future<T>` as a `std::future::Future`: `.await` under real runtimes, and the waker
//! contract (woken exactly once on completion; only the last waker given is woken).

// The loom build (`--cfg cfut_loom`) swaps in model-only primitives and drops the timed
// APIs; these tests run against the real ones.
#![cfg(not(cfut_loom))]

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use cfut_core::{Error, Future, InlineExecutor, Spawn, promise};

/// Long enough never to fire on a correct implementation; short enough that a lost wake-up
/// fails the test instead of hanging it.
const GENEROUS: Duration = Duration::from_secs(30);
/// How long the producer waits, so that the consumer is (very likely) already parked.
const SHORT_DELAY: Duration = Duration::from_millis(20);

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    (counter, waker)
}

fn wakes(counter: &CountingWaker) -> usize {
    counter.wakes.load(Ordering::SeqCst)
}

fn poll_with(future: &mut Future<u32>, waker: &Waker) -> Poll<Result<u32, Error>> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

#[test]
fn await_under_futures_block_on() {
    let (producer, future) = promise::<u32>();
    let setter = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        producer.set_result(42)
    });
    // `.await` syntax inside an async block, with `?` on the outcome.
    let outcome = futures::executor::block_on(async {
        let value = future.await?;
        Ok::<_, Error>(value + 1)
    });
    assert_eq!(outcome, Ok(43));
    assert!(setter.join().unwrap());
}

#[test]
fn await_errors_under_futures_block_on() {
    let (producer, future) = promise::<u32>();
    let dropper = thread::spawn(move || {
        thread::sleep(SHORT_DELAY);
        drop(producer);
    });
    assert_eq!(futures::executor::block_on(future), Err(Error::Abandoned));
    dropper.join().unwrap();

    let (_producer, future) = promise::<u32>();
    assert!(future.cancel());
    assert_eq!(futures::executor::block_on(future), Err(Error::Cancelled));

    let executor = InlineExecutor::new();
    let failed = executor.spawn(|| -> u32 { panic!("async failure") });
    assert!(matches!(
        futures::executor::block_on(failed),
        Err(Error::Panicked { message, .. }) if message == "async failure"
    ));
}

#[test]
fn await_under_a_tokio_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let (producer, future) = promise::<String>();
        let setter = thread::spawn(move || {
            thread::sleep(SHORT_DELAY);
            producer.set_result("from a plain thread".to_owned())
        });
        // Awaited inside a spawned task, so the waker is tokio's task waker.
        let task = tokio::spawn(async move { future.await.map(|text| text.to_uppercase()) });
        let outcome = tokio::time::timeout(GENEROUS, task)
            .await
            .expect("the await was never woken")
            .expect("the task panicked");
        assert!(setter.join().unwrap());
        outcome
    });
    assert_eq!(outcome.as_deref(), Ok("FROM A PLAIN THREAD"));
}

#[test]
fn await_under_a_tokio_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let (producer, future) = promise::<u32>();
        let setter = thread::spawn(move || {
            thread::sleep(SHORT_DELAY);
            producer.set_result(7)
        });
        let outcome = tokio::time::timeout(GENEROUS, future)
            .await
            .expect("the await was never woken");
        assert!(setter.join().unwrap());
        outcome
    });
    assert_eq!(outcome, Ok(7));
}

#[test]
fn waker_is_woken_exactly_once_on_completion() {
    let (producer, mut future) = promise::<u32>();
    let (counter, waker) = counting_waker();
    assert!(poll_with(&mut future, &waker).is_pending());
    assert!(
        poll_with(&mut future, &waker).is_pending(),
        "re-poll, same waker"
    );
    assert_eq!(wakes(&counter), 0);

    let setter = thread::spawn(move || producer.set_result(5));
    assert!(setter.join().unwrap());
    assert_eq!(wakes(&counter), 1);

    assert_eq!(poll_with(&mut future, &waker), Poll::Ready(Ok(5)));
    assert_eq!(wakes(&counter), 1, "taking the value wakes nobody");
    // Polling after `Ready` is allowed and says the value is gone.
    assert_eq!(
        poll_with(&mut future, &waker),
        Poll::Ready(Err(Error::Consumed))
    );
    assert_eq!(wakes(&counter), 1);
}

#[test]
fn waker_is_woken_on_cancel_and_on_abandon() {
    let (_producer, mut cancelled) = promise::<u32>();
    let (counter, waker) = counting_waker();
    assert!(poll_with(&mut cancelled, &waker).is_pending());
    assert!(cancelled.cancel());
    assert_eq!(wakes(&counter), 1);
    assert_eq!(
        poll_with(&mut cancelled, &waker),
        Poll::Ready(Err(Error::Cancelled))
    );

    let (producer, mut abandoned) = promise::<u32>();
    let (counter, waker) = counting_waker();
    assert!(poll_with(&mut abandoned, &waker).is_pending());
    drop(producer);
    assert_eq!(wakes(&counter), 1);
    assert_eq!(
        poll_with(&mut abandoned, &waker),
        Poll::Ready(Err(Error::Abandoned))
    );
}

#[test]
fn repoll_with_a_new_waker_wakes_only_the_last() {
    let (producer, mut future) = promise::<u32>();
    let (first_counter, first) = counting_waker();
    let (second_counter, second) = counting_waker();
    let (third_counter, third) = counting_waker();
    assert!(poll_with(&mut future, &first).is_pending());
    assert!(poll_with(&mut future, &second).is_pending());
    assert!(poll_with(&mut future, &third).is_pending());
    assert!(producer.set_result(1));
    assert_eq!(wakes(&first_counter), 0);
    assert_eq!(wakes(&second_counter), 0);
    assert_eq!(wakes(&third_counter), 1);
    assert_eq!(poll_with(&mut future, &first), Poll::Ready(Ok(1)));
}

#[test]
fn already_done_future_is_ready_at_once_and_registers_nothing() {
    let mut future = Future::from_result(Ok(3));
    let (counter, waker) = counting_waker();
    assert_eq!(poll_with(&mut future, &waker), Poll::Ready(Ok(3)));
    assert_eq!(wakes(&counter), 0);
}

#[test]
fn waker_clones_are_released_after_completion() {
    // The future keeps the waker only until it wakes it: no reference cycle through a task.
    let (producer, mut future) = promise::<u32>();
    let (counter, waker) = counting_waker();
    assert!(poll_with(&mut future, &waker).is_pending());
    assert_eq!(
        Arc::strong_count(&counter),
        3,
        "counter, our waker, the stored clone"
    );
    producer.set_result(1);
    assert_eq!(Arc::strong_count(&counter), 2);
    drop(future);
}
