//! [`StartError`], why a pool could not start.

use std::fmt;

/// Why an MPI pool could not start: MPI already initialized (for [`run`](crate::run)), MPI
/// without the thread support the manager thread needs, no worker rank, a bad option.
///
/// The same checks run on every rank and fail on every rank alike, before any message
/// crosses, so a start-up error never leaves a rank waiting.
///
/// # Examples
///
/// ```
/// let error = cfut_mpi::Builder::new().window(0).check().unwrap_err();
/// assert!(error.to_string().contains("window"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartError {
    reason: String,
}

impl StartError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        StartError {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the MPI pool cannot start: {}", self.reason)
    }
}

impl std::error::Error for StartError {}
