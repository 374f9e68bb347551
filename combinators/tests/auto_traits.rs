//! Send/Sync of the public types (C-SEND-SYNC): what users can move to and share between
//! threads. A regression is a compile error here.
//!
//! `Map` is deliberately absent: it holds the caller's input iterator, which may be anything
//! (an `Rc`-based one included), so it stays on the thread that made it.

#![cfg(not(cfut_loom))]

use cfut_combinators::{
    AsCompleted, AsCompletedTimeout, DoneAndNotDone, MapError, ReturnWhen, UnfinishedError,
};
use cfut_core::{AnyFuture, Future};

fn send_sync<T: Send + Sync>() {}

fn send<T: Send>() {}

#[test]
fn value_types_are_send_and_sync() {
    send_sync::<ReturnWhen>();
    send_sync::<MapError>();
    send_sync::<UnfinishedError>();
    send_sync::<DoneAndNotDone<Future<u8>>>();
}

#[test]
fn iterators_over_sendable_futures_are_send() {
    send_sync::<AsCompleted<Future<u8>>>();
    send_sync::<AsCompletedTimeout<Future<String>>>();
    send::<AsCompleted<Box<dyn AnyFuture + Send>>>();
    send::<DoneAndNotDone<Box<dyn AnyFuture + Send>>>();
}

/// `tokio::spawn` and multi-threaded executors need `Send` futures and streams.
#[cfg(feature = "async")]
#[test]
fn async_types_over_sendable_futures_are_send() {
    use cfut_combinators::{AsCompletedStream, WaitAsync};
    send_sync::<AsCompletedStream<Future<u8>>>();
    send_sync::<WaitAsync<Future<String>>>();
    send::<AsCompletedStream<Box<dyn AnyFuture + Send>>>();
    send::<WaitAsync<Box<dyn AnyFuture + Send>>>();
}
