//! The calls the portable checks submit: ordinary `pub fn`s, so that any portable executor —
//! including a process pool whose workers are re-executions of the test binary — can run them.
//!
//! * [`square`], the plain call;
//! * [`shout`], owned `String` in and out;
//! * [`parse_number`], a call with its own `Result`, which the executor must not confuse with
//!   its own errors;
//! * [`panic_with`], a call that panics with the given message;
//! * [`tenfold_or_panic`], a call that panics for one input only, for per-element batch errors;
//! * [`byte_sum`], a call with a large argument;
//! * [`pause_then_square`], a call that takes a moment, for the shutdown checks;
//! * [`wait_for_file`], a call that blocks until a file exists: the portable gate.

use std::path::Path;
use std::time::Duration;

/// The panic message of [`tenfold_or_panic`] for a zero.
pub const ZERO_MESSAGE: &str = "conformance: zero is not allowed";

/// `x * x`.
///
/// # Examples
///
/// ```
/// use cfut_core::{CallExecutor, InlineExecutor};
/// use cfut_testing::conformance::calls::square;
///
/// assert_eq!(square(7), 49);
/// assert_eq!(InlineExecutor::new().submit_call(square, 9).result(), Ok(81));
/// ```
pub fn square(x: u64) -> u64 {
    x * x
}

/// The text in capitals, followed by `!`.
///
/// # Examples
///
/// ```
/// assert_eq!(cfut_testing::conformance::calls::shout("hi".to_owned()), "HI!");
/// ```
pub fn shout(text: String) -> String {
    let mut loud = text.to_uppercase();
    loud.push('!');
    loud
}

/// Parses a decimal number; the call's own error is a `String`.
///
/// # Examples
///
/// ```
/// use cfut_testing::conformance::calls::parse_number;
/// assert_eq!(parse_number("12".to_owned()), Ok(12));
/// assert!(parse_number("twelve".to_owned()).is_err());
/// ```
pub fn parse_number(text: String) -> Result<u64, String> {
    text.parse().map_err(|error| format!("{text:?}: {error}"))
}

/// Panics with `message`.
///
/// # Examples
///
/// ```
/// use cfut_core::{CallExecutor, Error, InlineExecutor};
/// use cfut_testing::conformance::calls::panic_with;
///
/// let future = InlineExecutor::new().submit_call(panic_with, "oops".to_owned());
/// assert!(matches!(future.result(), Err(Error::Panicked { message, .. }) if message == "oops"));
/// ```
pub fn panic_with(message: String) -> u64 {
    std::panic::panic_any(message)
}

/// `x * 10`, or a panic with [`ZERO_MESSAGE`] when `x` is zero.
///
/// # Examples
///
/// ```
/// use cfut_core::{CallExecutor, InlineExecutor};
/// use cfut_testing::conformance::calls::tenfold_or_panic;
///
/// let chunk = InlineExecutor::new().submit_batch(tenfold_or_panic, vec![1, 0]).result().unwrap();
/// let results = chunk.decode().unwrap();
/// assert_eq!(results[0], Ok(10));
/// assert!(results[1].is_err());
/// ```
pub fn tenfold_or_panic(x: u64) -> u64 {
    assert!(x != 0, "{ZERO_MESSAGE}");
    x * 10
}

/// The sum of the bytes.
///
/// # Examples
///
/// ```
/// assert_eq!(cfut_testing::conformance::calls::byte_sum(vec![1, 2, 255]), 258);
/// ```
pub fn byte_sum(bytes: Vec<u8>) -> u64 {
    bytes.iter().map(|&byte| u64::from(byte)).sum()
}

/// Sleeps for a millisecond, then returns `x * x`: a call that is still queued or running
/// when a shutdown starts.
///
/// # Examples
///
/// ```
/// assert_eq!(cfut_testing::conformance::calls::pause_then_square(3), 9);
/// ```
pub fn pause_then_square(x: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(1));
    x * x
}

/// Blocks until the file `path` exists, polling every millisecond, for at most `limit_ms`
/// milliseconds; `true` if the file appeared.
///
/// This is the portable gate: the kit fills every worker with these calls to keep the next
/// call pending, then creates the file. The limit bounds a worker's wait if the check failed.
///
/// # Examples
///
/// ```
/// use cfut_testing::conformance::calls::wait_for_file;
///
/// let missing = std::env::temp_dir().join("cfut-no-such-file-for-this-doctest");
/// assert!(!wait_for_file((missing.to_string_lossy().into_owned(), 2)));
/// let present = std::env::temp_dir();
/// assert!(wait_for_file((present.to_string_lossy().into_owned(), 0)));
/// ```
pub fn wait_for_file((path, limit_ms): (String, u64)) -> bool {
    super::gate::wait_for_path(Path::new(&path), Duration::from_millis(limit_ms))
}
