//! The one error type of every future: [`Error`] and the worker [`Exit`] it may carry.

use std::fmt;

/// Why a future did not produce its call's value.
///
/// Every backend reports through this one type, so code that handles errors is the same on
/// threads, processes and later on a cluster. A call that itself returns `Result<U, E>` gives
/// `Result<Result<U, E>, Error>`: the executor's failures are never confused with the call's
/// own errors (the bug behind CPython's gh-155852).
///
/// The enum is `#[non_exhaustive]`: backends may add conditions in minor releases.
///
/// # Examples
///
/// ```
/// use cfut_core::{Error, InlineExecutor, Spawn};
///
/// let executor = InlineExecutor::new();
/// let future = executor.spawn(|| -> u32 { panic!("no luck") });
/// match future.result() {
///     Err(Error::Panicked { message, .. }) => assert_eq!(message, "no luck"),
///     other => panic!("unexpected {other:?}"),
/// }
/// assert_eq!(Error::Cancelled.to_string(), "the future was cancelled");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The call panicked. `message` is the panic payload when it was a string.
    Panicked {
        /// The panic message (`"<non-string panic payload>"` when it was not a string).
        message: String,
        /// Where the panic happened (`file:line:column`), when the backend could see it.
        location: Option<String>,
    },
    /// The future was cancelled before its call started.
    Cancelled,
    /// A timed wait ended before the future finished. The future itself is unchanged.
    TimedOut,
    /// The executor was shut down before the call could run.
    Shutdown,
    /// The executor cannot run calls any more (for example its initializer failed).
    Broken {
        /// What broke it.
        reason: String,
    },
    /// The worker process running the call died.
    WorkerDied(Exit),
    /// A value could not cross a process boundary.
    Serialization {
        /// What the encoder or decoder reported.
        message: String,
    },
    /// The producer of the future went away without completing it (a [`Promise`] was dropped).
    ///
    /// [`Promise`]: crate::Promise
    Abandoned,
    /// The value was already taken out of this future by an earlier call.
    Consumed,
}

/// How a worker process ended, as carried by [`Error::WorkerDied`].
///
/// # Examples
///
/// ```
/// use cfut_core::Exit;
///
/// assert_eq!(Exit::Code(3).to_string(), "exit status 3");
/// assert_eq!(Exit::Signal(9).to_string(), "signal 9 (SIGKILL)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exit {
    /// The process exited with this status code.
    Code(i32),
    /// The process was killed by this signal number.
    Signal(i32),
    /// The process disappeared and its status could not be read.
    Unknown,
}

impl Error {
    /// Builds [`Error::Panicked`] from a caught panic payload.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    ///
    /// let payload = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
    /// assert_eq!(
    ///     Error::from_panic(payload),
    ///     Error::Panicked { message: "boom 7".into(), location: None }
    /// );
    /// ```
    pub fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        Error::Panicked {
            message: crate::unwind::panic_message(&*payload),
            location: None,
        }
    }

    /// `true` for [`Error::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_core::Error::Cancelled.is_cancelled());
    /// assert!(!cfut_core::Error::TimedOut.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }

    /// `true` for [`Error::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_core::Error::TimedOut.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::TimedOut)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Panicked {
                message,
                location: Some(at),
            } => write!(f, "the call panicked at {at}: {message}"),
            Error::Panicked { message, .. } => write!(f, "the call panicked: {message}"),
            Error::Cancelled => f.write_str("the future was cancelled"),
            Error::TimedOut => f.write_str("timed out waiting for the future"),
            Error::Shutdown => f.write_str("the executor was shut down before the call ran"),
            Error::Broken { reason } => write!(f, "the executor is broken: {reason}"),
            Error::WorkerDied(exit) => write!(f, "the worker running the call died ({exit})"),
            Error::Serialization { message } => {
                write!(f, "a value could not cross the process boundary: {message}")
            }
            Error::Abandoned => f.write_str("the executor dropped the call without completing it"),
            Error::Consumed => f.write_str("the result was already taken from this future"),
        }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Exit::Code(code) => write!(f, "exit status {code}"),
            Exit::Signal(signal) => match signal_name(signal) {
                Some(name) => write!(f, "signal {signal} ({name})"),
                None => write!(f, "signal {signal}"),
            },
            Exit::Unknown => f.write_str("unknown exit status"),
        }
    }
}

/// The conventional names of the signals a dying worker most often reports (POSIX numbering,
/// which Linux and the BSDs share for these).
fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return None,
    })
}
