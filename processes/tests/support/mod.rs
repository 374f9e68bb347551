//! Helpers shared by the process pool's tests: the tests that make the process run out of
//! file descriptors (each alone in its file, since the limit is process-wide and cargo runs
//! each test file as its own process), and the worker-side helper that writes raw bytes to
//! the worker's channel.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;

use std::time::Duration;

use cfut_core::{Error, Future};

/// How long a test waits for a result before calling it a hang.
pub(crate) const LONG: Duration = Duration::from_secs(60);

/// The future's result, waiting at most [`LONG`].
pub(crate) fn get<T>(mut future: Future<T>) -> Result<T, Error> {
    future.result_timeout(LONG)
}

/// A call that says which process ran it.
pub(crate) fn pid(_: ()) -> u32 {
    std::process::id()
}

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

/// Run inside a worker: writes `bytes` to every socket the process holds — its channel to
/// the parent — as if the worker had sent them.
pub(crate) fn write_to_own_sockets(bytes: &[u8]) {
    use std::io::Write as _;
    use std::os::fd::FromRawFd as _;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if target.to_string_lossy().starts_with("socket:") {
            let fd: i32 = entry.file_name().to_string_lossy().parse().unwrap();
            // SAFETY: the descriptor is open; `ManuallyDrop` keeps us from closing it.
            let mut socket = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
            let _ = socket.write_all(bytes);
        }
    }
}
