//! Panic helpers in one place (rayon's `unwind` module).

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// The message of a caught panic: the `&str` or `String` given to `panic!`, or
/// `"<non-string panic payload>"`.
///
/// Backends use it wherever they catch a panic (a call, an initializer, a callback), so every
/// crate reports panics alike.
///
/// # Examples
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("at {}", 3)).unwrap_err();
/// assert_eq!(cfut_core::panic_message(&*payload), "at 3");
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
/// assert_eq!(cfut_core::panic_message(&*payload), "<non-string panic payload>");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Runs `f`, turning a panic into `Err(payload)`.
pub(crate) fn halt_unwinding<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    panic::catch_unwind(AssertUnwindSafe(f))
}

/// Runs a user callback; a panic in it is reported on stderr and swallowed, so that the
/// remaining callbacks still run (CPython logs "exception calling callback for ...").
pub(crate) fn run_reporting(what: &str, f: impl FnOnce()) {
    if let Err(payload) = halt_unwinding(f) {
        eprintln!(
            "cfut: a {what} panicked: {} (ignored; the remaining callbacks still run)",
            panic_message(&*payload)
        );
    }
}
