//! Helpers shared by the tests that make the process run out of file descriptors. Each such
//! test sits alone in its file, since the limit is process-wide (cargo runs each test file as
//! its own process).

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;

use cfut_core::Error;

/// The descriptor numbers open in this process.
pub(crate) fn open_descriptors() -> BTreeSet<libc::rlim_t> {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd lists this process's descriptors")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The lowest descriptor number not in use: a new descriptor would get it.
pub(crate) fn first_free_descriptor() -> libc::rlim_t {
    let open = open_descriptors();
    (0..).find(|fd| !open.contains(fd)).expect("a free number")
}

/// This process's soft limit on open files lowered to `soft` until the guard drops (also
/// when an assertion fails first). Below it, no new descriptor can be made; every
/// descriptor already open keeps working.
pub(crate) struct OpenFilesLimit {
    previous: libc::rlimit,
}

impl OpenFilesLimit {
    pub(crate) fn lower_to(soft: libc::rlim_t) -> Self {
        let mut previous = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit`/`setrlimit` only read and write the `rlimit` passed in.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut previous), 0);
            let lowered = libc::rlimit {
                rlim_cur: soft,
                rlim_max: previous.rlim_max,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lowered), 0);
        }
        OpenFilesLimit { previous }
    }
}

impl Drop for OpenFilesLimit {
    fn drop(&mut self) {
        // SAFETY: restores the limits read in `lower_to`.
        let restored = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.previous) };
        assert_eq!(restored, 0, "the open-file limit is restored");
    }
}

/// Asserts that `outcome` is the broken-pool error and that its reason contains `needle`.
pub(crate) fn assert_broken<T: std::fmt::Debug>(
    outcome: Result<T, Error>,
    needle: &str,
    what: &str,
) {
    match outcome {
        Err(Error::Broken { reason }) => assert!(
            reason.contains(needle),
            "{what}: the reason should contain {needle:?}: {reason:?}"
        ),
        other => panic!("{what}: expected the broken-pool error, got {other:?}"),
    }
}
