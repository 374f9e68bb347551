//! Done-callback registration racing completion: every callback runs exactly once, in
//! registration order, whichever thread ends up running it.

use loom::sync::{Arc, Mutex};
use loom::thread;

use crate::{Error, promise};

type Log = Arc<Mutex<Vec<(&'static str, Result<u32, Error>)>>>;

fn record(log: &Log, name: &'static str) -> impl FnOnce(Result<&u32, &Error>) + Send + 'static {
    let log = Arc::clone(log);
    move |outcome| {
        log.lock()
            .unwrap()
            .push((name, outcome.copied().map_err(Clone::clone)));
    }
}

/// Two callbacks registered while another thread completes the future.
#[test]
fn callbacks_vs_completion() {
    loom::model(|| {
        let log = Log::default();
        let (producer, future) = promise::<u32>();
        let completer = thread::spawn(move || producer.set_result(7));
        future.add_done_callback(record(&log, "first"));
        future.add_done_callback(record(&log, "second"));
        assert!(completer.join().unwrap());
        assert_eq!(
            *log.lock().unwrap(),
            [("first", Ok(7)), ("second", Ok(7))],
            "each callback exactly once, in registration order"
        );
    });
}

/// A callback registered while another thread cancels: it sees the cancellation, once.
#[test]
fn callback_vs_cancel() {
    loom::model(|| {
        let log = Log::default();
        let (_producer, future) = promise::<u32>();
        let future = Arc::new(future);
        let canceller = {
            let future = Arc::clone(&future);
            thread::spawn(move || future.cancel())
        };
        future.add_done_callback(record(&log, "only"));
        assert!(canceller.join().unwrap());
        assert_eq!(*log.lock().unwrap(), [("only", Err(Error::Cancelled))]);
    });
}

/// A callback registered while another thread completes, and the value taken with
/// `result()`: the callback has run (and let go of its `&T`) before the owner gets the `T`.
/// loom's cell tracking also catches an overlap of the callback's read and the take.
#[test]
fn callback_runs_before_result_takes_the_value() {
    loom::model(|| {
        let log = Log::default();
        let (producer, future) = promise::<u32>();
        future.add_done_callback(record(&log, "before"));
        let completer = thread::spawn(move || producer.set_result(3));
        assert_eq!(future.result(), Ok(3));
        assert_eq!(*log.lock().unwrap(), [("before", Ok(3))]);
        completer.join().unwrap();
    });
}
