//! [`Gate`]: a one-shot latch that blocking calls wait on, so the kit controls when workers
//! become free again; and its portable cousin, a gate made of a file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A one-shot latch: closed when made, opened once, waited on by any number of threads.
///
/// The kit fills every worker of the executor under test with calls that wait on a gate, so
/// that the next call submitted stays pending for as long as the kit wants. Clones share the
/// same latch.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_testing::conformance::Gate;
///
/// let gate = Gate::new();
/// let waiter = gate.clone();
/// let thread = std::thread::spawn(move || waiter.wait(Duration::from_secs(30)));
/// assert!(!gate.is_open());
/// gate.open();
/// assert!(thread.join().unwrap(), "the waiter saw the gate open");
/// ```
#[derive(Clone, Default)]
pub struct Gate {
    shared: Arc<(Mutex<bool>, Condvar)>,
}

impl Gate {
    /// A closed gate.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!cfut_testing::conformance::Gate::new().is_open());
    /// ```
    pub fn new() -> Self {
        Gate::default()
    }

    /// Opens the gate and wakes every waiter. Opening twice is harmless.
    ///
    /// # Examples
    ///
    /// ```
    /// let gate = cfut_testing::conformance::Gate::new();
    /// gate.open();
    /// gate.open();
    /// assert!(gate.is_open());
    /// ```
    pub fn open(&self) {
        let (open, changed) = &*self.shared;
        *open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        changed.notify_all();
    }

    /// Whether the gate was opened.
    ///
    /// # Examples
    ///
    /// ```
    /// let gate = cfut_testing::conformance::Gate::new();
    /// assert!(!gate.is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        *self.shared.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks until the gate is open or `limit` passes; `true` if it opened. The limit keeps a
    /// blocked worker from hanging a test run forever when the test itself failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let gate = cfut_testing::conformance::Gate::new();
    /// assert!(!gate.wait(Duration::from_millis(1)));
    /// gate.open();
    /// assert!(gate.wait(Duration::ZERO));
    /// ```
    pub fn wait(&self, limit: Duration) -> bool {
        let (open, changed) = &*self.shared;
        let guard = open.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = changed
            .wait_timeout_while(guard, limit, |open| !*open)
            .unwrap_or_else(PoisonError::into_inner);
        *guard
    }
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("open", &self.is_open())
            .finish()
    }
}

/// Opens a gate when dropped, so that a failing check (a panic) never leaves workers blocked.
pub(crate) struct OpenOnDrop<'a>(pub(crate) &'a Gate);

impl Drop for OpenOnDrop<'_> {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A gate made of a file, for calls that run in other processes: the gate is open once the
/// file exists. Dropping it opens it, so a failing check never leaves workers blocked (the
/// small directory is left behind then, since queued calls may still look for the file).
pub(crate) struct FileGate {
    dir: PathBuf,
    file: PathBuf,
    removed: bool,
}

impl FileGate {
    /// A closed gate in a new directory under the system's temporary directory.
    pub(crate) fn new() -> std::io::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "cfut-conformance-{}-{}-{nanos}",
            std::process::id(),
            // ORDERING: only uniqueness matters.
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("open");
        Ok(FileGate {
            dir,
            file,
            removed: false,
        })
    }

    /// The path the blocking calls wait for, as the string they take.
    pub(crate) fn path(&self) -> String {
        self.file.to_string_lossy().into_owned()
    }

    /// Opens the gate: creates the file.
    pub(crate) fn open(&self) {
        // A failure to create the file leaves the waiters to their own time limit; the check
        // that needed the gate fails on its own then.
        let _ = std::fs::write(&self.file, b"open");
    }

    /// Removes the gate's directory. Call it only once every call that waited on it is done.
    pub(crate) fn remove(mut self) {
        self.removed = true;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for FileGate {
    fn drop(&mut self) {
        if !self.removed {
            self.open();
        }
    }
}

/// Polls for `path` every millisecond until it exists or `limit` passes.
pub(crate) fn wait_for_path(path: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        if path.exists() {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
