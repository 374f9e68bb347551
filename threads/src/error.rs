//! The public error type of this crate: [`BuildError`].

use std::fmt;

/// Why a [`ThreadPoolBuilder`] could not build a pool: an invalid option.
///
/// Its `Display` text names the option and the rule (lowercase, as Rust errors are).
///
/// # Examples
///
/// ```
/// use cfut_threads::ThreadPoolExecutor;
///
/// let error = ThreadPoolExecutor::new(0).unwrap_err();
/// assert_eq!(error.to_string(), "max_workers must be greater than 0");
/// ```
///
/// [`ThreadPoolBuilder`]: crate::ThreadPoolBuilder
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    ZeroWorkers,
    NulInPrefix,
    ZeroStackSize,
}

impl BuildError {
    pub(crate) fn new(kind: Kind) -> Self {
        BuildError { kind }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            Kind::ZeroWorkers => "max_workers must be greater than 0",
            Kind::NulInPrefix => "thread_name_prefix must not contain a NUL byte",
            Kind::ZeroStackSize => "stack_size must be greater than 0",
        })
    }
}

impl std::error::Error for BuildError {}
