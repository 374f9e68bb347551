//! The `async` feature under real runtimes: `AsCompletedStream` and `wait_async` under tokio
//! (current-thread and multi-thread) and `futures::executor::block_on`, on thread-pool
//! futures that complete while the stream or the wait is pending, with cancellations and
//! with drops midway.

#![cfg(all(feature = "async", not(cfut_loom)))]

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use cfut_combinators::{ReturnWhen, as_completed, wait_async};
use cfut_core::{Error, Future, promise};
use cfut_threads::ThreadPoolExecutor;
use futures::{FutureExt, StreamExt};
use futures_core::Stream;

/// How long a test waits for a wake-up that must come before it calls it a hang.
const PATIENCE: Duration = Duration::from_secs(20);

/// Calls wait at the gate until it is opened.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, condvar) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = condvar.wait(open).unwrap();
        }
    }

    fn open(&self) {
        let (open, condvar) = &*self.0;
        *open.lock().unwrap() = true;
        condvar.notify_all();
    }
}

/// A waker that sends one message per wake-up.
struct Reporter(Mutex<mpsc::Sender<()>>);

impl Wake for Reporter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let _ = self.0.lock().unwrap().send(());
    }
}

/// A reporting waker, its `Arc` (to count the clones held elsewhere) and its wake-ups.
fn reporter() -> (Arc<Reporter>, Waker, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let reporter = Arc::new(Reporter(Mutex::new(tx)));
    (
        Arc::clone(&reporter),
        Waker::from(Arc::clone(&reporter)),
        rx,
    )
}

/// `n` calls on `pool` that return their index once `gate` opens.
fn gated(pool: &ThreadPoolExecutor, gate: &Gate, n: u32) -> Vec<Future<u32>> {
    (0..n)
        .map(|i| {
            let gate = gate.clone();
            pool.spawn(move || {
                gate.wait();
                i
            })
        })
        .collect()
}

fn poll_once<S: Stream + Unpin>(stream: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(waker))
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

#[test]
fn smoke() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let futures: Vec<_> = (0..100_u64).map(|i| pool.spawn(move || i * i)).collect();
    let mut squares: Vec<u64> = futures::executor::block_on(
        as_completed(futures)
            .into_stream()
            .map(|f| f.result().unwrap())
            .collect(),
    );
    squares.sort_unstable();
    assert_eq!(squares, (0..100).map(|i| i * i).collect::<Vec<_>>());
}

/// The stream is pending (polled once with the task's waker) when the pool's calls are let
/// go; the completions wake the task. Under a current-thread runtime nothing else could poll.
fn stream_wakes_on_pool_completions(runtime: &tokio::runtime::Runtime) {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = Gate::default();
    let futures = gated(&pool, &gate, 8);
    let results = runtime.block_on(async move {
        let mut stream = as_completed(futures).into_stream();
        let first = poll_fn(|cx| Poll::Ready(Pin::new(&mut stream).poll_next(cx))).await;
        assert!(first.is_pending(), "nothing is done before the gate opens");
        gate.open();
        let mut results = Vec::new();
        while let Some(future) = stream.next().await {
            assert!(future.is_done());
            results.push(future.result().unwrap());
        }
        results
    });
    let mut sorted = results;
    sorted.sort_unstable();
    assert_eq!(sorted, (0..8).collect::<Vec<_>>());
}

#[test]
fn stream_under_tokio_current_thread() {
    stream_wakes_on_pool_completions(&current_thread());
}

#[test]
fn stream_under_tokio_multi_thread() {
    stream_wakes_on_pool_completions(&multi_thread());
}

#[test]
fn stream_in_a_spawned_tokio_task() {
    // `tokio::spawn` needs the stream to be `Send`.
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = Gate::default();
    let futures = gated(&pool, &gate, 4);
    let runtime = multi_thread();
    let task = runtime.spawn(async move {
        as_completed(futures)
            .into_stream()
            .map(|f| f.result().unwrap())
            .collect::<Vec<u32>>()
            .await
    });
    gate.open();
    let mut results = runtime.block_on(task).unwrap();
    results.sort_unstable();
    assert_eq!(results, [0, 1, 2, 3]);
}

/// Driven by hand: `Pending` registers the waker, the completion wakes it (no polling loop
/// could pass this: the test polls again only after the wake-up came).
#[test]
fn stream_is_woken_by_the_completion() {
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let gate = Gate::default();
    let mut stream = as_completed(gated(&pool, &gate, 1)).into_stream();
    let (_reporter, waker, wakes) = reporter();
    assert!(poll_once(&mut stream, &waker).is_pending());
    gate.open();
    wakes
        .recv_timeout(PATIENCE)
        .expect("the completion wakes the task");
    match poll_once(&mut stream, &waker) {
        Poll::Ready(Some(future)) => assert_eq!(future.result(), Ok(0)),
        other => panic!("expected the future, got {other:?}"),
    }
    assert!(matches!(poll_once(&mut stream, &waker), Poll::Ready(None)));
    assert!(futures::stream::FusedStream::is_terminated(&stream));
}

#[test]
fn stream_yields_cancelled_futures() {
    let (_kept, cancelled) = promise::<u32>();
    let (producer, completed) = promise::<u32>();
    let cancelled = Arc::new(cancelled);
    let shared = Arc::clone(&cancelled);
    let mut stream = as_completed(vec![shared, Arc::new(completed)]).into_stream();
    let (_reporter, waker, wakes) = reporter();
    assert!(poll_once(&mut stream, &waker).is_pending());
    assert!(cancelled.cancel());
    wakes.recv_timeout(PATIENCE).expect("a cancellation wakes");
    let Poll::Ready(Some(first)) = poll_once(&mut stream, &waker) else {
        panic!("the cancelled future comes first");
    };
    assert!(first.is_cancelled());
    producer.set_result(5);
    let rest = futures::executor::block_on(stream.collect::<Vec<_>>());
    assert_eq!(rest.len(), 1);
    assert!(rest[0].is_done() && !rest[0].is_cancelled());
    drop((first, rest));
    let mut cancelled = Arc::try_unwrap(cancelled).unwrap();
    assert_eq!(cancelled.try_result(), Some(Err(Error::Cancelled)));
}

/// Dropping the stream midway: its waker clone is released at once (no leak), the futures
/// not yielded complete later without waking anyone or panicking, and keep their results.
#[test]
fn stream_dropped_midway() {
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let gate = Gate::default();
    let futures = gated(&pool, &gate, 3);
    let done = Future::from_result(Ok(99_u32));
    let mut stream = as_completed(futures.iter().chain([&done])).into_stream();
    let (reporter, waker, wakes) = reporter();
    let Poll::Ready(Some(first)) = poll_once(&mut stream, &waker) else {
        panic!("the done future comes first");
    };
    assert!(std::ptr::eq(first, &done));
    assert!(poll_once(&mut stream, &waker).is_pending());
    assert!(Arc::strong_count(&reporter) > 2, "the stream holds a clone");
    drop(stream);
    assert_eq!(
        Arc::strong_count(&reporter),
        2,
        "the stream let go of its waker"
    );
    gate.open();
    let results: Vec<u32> = futures.into_iter().map(|f| f.result().unwrap()).collect();
    assert_eq!(results, [0, 1, 2]);
    drop(waker);
    assert!(wakes.try_recv().is_err(), "nobody was woken after the drop");
}

#[test]
fn stream_into_remaining() {
    let (_producer, pending) = promise::<u8>();
    let mut stream = as_completed(vec![Future::from_result(Ok(1)), pending]).into_stream();
    assert_eq!(stream.size_hint(), (2, Some(2)));
    assert!(futures::executor::block_on(stream.next()).is_some());
    let remaining = stream.into_remaining();
    assert_eq!(remaining.len(), 1);
    assert!(!remaining[0].is_done());
}

/// `wait_async` under a runtime, pending when the gate opens.
fn wait_wakes_on_pool_completions(runtime: &tokio::runtime::Runtime, return_when: ReturnWhen) {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let gate = Gate::default();
    let futures = gated(&pool, &gate, 4);
    let (done, not_done) = runtime.block_on(async move {
        let mut wait = wait_async(futures, return_when);
        assert!(
            poll_fn(|cx| Poll::Ready(wait.poll_unpin(cx)))
                .await
                .is_pending()
        );
        gate.open();
        wait.await
    });
    assert_eq!(done.len() + not_done.len(), 4);
    assert!(done.iter().all(Future::is_done));
    match return_when {
        ReturnWhen::FirstCompleted => assert!(!done.is_empty()),
        _ => assert!(not_done.is_empty()),
    }
}

#[test]
fn wait_under_tokio_current_thread() {
    let runtime = current_thread();
    wait_wakes_on_pool_completions(&runtime, ReturnWhen::FirstCompleted);
    wait_wakes_on_pool_completions(&runtime, ReturnWhen::AllCompleted);
}

#[test]
fn wait_under_tokio_multi_thread() {
    let runtime = multi_thread();
    wait_wakes_on_pool_completions(&runtime, ReturnWhen::FirstCompleted);
    wait_wakes_on_pool_completions(&runtime, ReturnWhen::FirstException);
    wait_wakes_on_pool_completions(&runtime, ReturnWhen::AllCompleted);
}

#[test]
fn wait_first_exception_stops_at_the_failure() {
    // A worker for each call: the failing one must not queue behind the gated ones.
    let pool = ThreadPoolExecutor::new(3).unwrap();
    let gate = Gate::default();
    let mut futures = gated(&pool, &gate, 2);
    futures.push(pool.spawn(|| -> u32 { panic!("boom") }));
    let (done, not_done) =
        futures::executor::block_on(wait_async(futures, ReturnWhen::FirstException));
    assert_eq!(done.len(), 1);
    assert_eq!(not_done.len(), 2);
    assert!(matches!(
        done.into_iter().next().unwrap().result(),
        Err(Error::Panicked { .. })
    ));
    gate.open();
}

#[test]
fn wait_counts_a_cancellation_as_done() {
    let (_a, first) = promise::<u32>();
    let (_b, second) = promise::<u32>();
    let futures = [Arc::new(first), Arc::new(second)];
    let mut wait = wait_async(futures.iter().map(Arc::clone), ReturnWhen::FirstCompleted);
    let (_reporter, waker, wakes) = reporter();
    assert!(
        wait.poll_unpin(&mut Context::from_waker(&waker))
            .is_pending()
    );
    assert!(futures[1].cancel());
    wakes.recv_timeout(PATIENCE).expect("a cancellation wakes");
    let Poll::Ready((done, not_done)) = wait.poll_unpin(&mut Context::from_waker(&waker)) else {
        panic!("the cancellation completes a FirstCompleted wait");
    };
    assert!(Arc::ptr_eq(&done[0], &futures[1]) && done.len() == 1);
    assert!(Arc::ptr_eq(&not_done[0], &futures[0]) && not_done.len() == 1);
}

#[test]
fn wait_already_satisfied_is_ready_at_once() {
    let futures = vec![Future::from_result(Ok(1)), Future::from_result(Ok(2))];
    let mut wait = wait_async(futures, ReturnWhen::AllCompleted);
    let Poll::Ready((done, not_done)) = wait.poll_unpin(&mut Context::from_waker(Waker::noop()))
    else {
        panic!("every future is done");
    };
    assert_eq!((done.len(), not_done.len()), (2, 0));
}

#[test]
fn wait_dropped_midway() {
    let (producer, pending) = promise::<u32>();
    let mut wait = wait_async([&pending], ReturnWhen::AllCompleted);
    let (reporter, waker, wakes) = reporter();
    assert!(
        wait.poll_unpin(&mut Context::from_waker(&waker))
            .is_pending()
    );
    assert!(Arc::strong_count(&reporter) > 2, "the wait holds a clone");
    drop(wait);
    assert_eq!(
        Arc::strong_count(&reporter),
        2,
        "the wait let go of its waker"
    );
    producer.set_result(3);
    assert!(wakes.try_recv().is_err(), "nobody was woken after the drop");
    assert_eq!(pending.result(), Ok(3));
}
