//! The errors of this crate: [`BuildError`].

use std::fmt;

/// Why a [`ProcessPoolExecutor`] could not be built.
///
/// # Examples
///
/// ```
/// use cfut_processes::ProcessPoolExecutor;
///
/// let error = ProcessPoolExecutor::new(0).unwrap_err();
/// assert_eq!(error.to_string(), "max_workers must be greater than 0");
/// ```
///
/// [`ProcessPoolExecutor`]: crate::ProcessPoolExecutor
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    ZeroWorkers,
    ZeroTasksPerChild,
    ZeroTimeout,
    FrameSize(usize),
    Unsupported(String),
    Initializer(String),
}

impl BuildError {
    pub(crate) fn zero_workers() -> Self {
        BuildError {
            kind: Kind::ZeroWorkers,
        }
    }

    pub(crate) fn zero_tasks_per_child() -> Self {
        BuildError {
            kind: Kind::ZeroTasksPerChild,
        }
    }

    pub(crate) fn zero_timeout() -> Self {
        BuildError {
            kind: Kind::ZeroTimeout,
        }
    }

    pub(crate) fn frame_size(bytes: usize) -> Self {
        BuildError {
            kind: Kind::FrameSize(bytes),
        }
    }

    pub(crate) fn initializer(why: String) -> Self {
        BuildError {
            kind: Kind::Initializer(why),
        }
    }

    pub(crate) fn unsupported(why: impl Into<String>) -> Self {
        BuildError {
            kind: Kind::Unsupported(why.into()),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::ZeroWorkers => f.write_str("max_workers must be greater than 0"),
            Kind::ZeroTasksPerChild => f.write_str("max_tasks_per_child must be >= 1"),
            Kind::ZeroTimeout => f.write_str("the call timeout must be longer than zero"),
            Kind::FrameSize(bytes) => write!(
                f,
                "max_frame_size must be between {} and {} bytes, not {bytes}",
                crate::wire::MIN_MAX_FRAME,
                crate::wire::MAX_MAX_FRAME
            ),
            Kind::Unsupported(why) => write!(f, "process pools are not supported here: {why}"),
            Kind::Initializer(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for BuildError {}
