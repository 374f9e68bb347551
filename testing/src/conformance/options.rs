//! [`Options`]: what the kit needs to know about the executor under test.

use std::time::Duration;

/// What the conformance kit needs to know about the executor under test, and its limits.
///
/// The defaults suit a pool that runs calls on its own workers (threads or processes) with a
/// few dozen workers at most.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use cfut_testing::conformance::Options;
///
/// let options = Options::new().runs_inline(true).timeout(Duration::from_secs(5));
/// assert!(options.is_inline());
/// assert_eq!(options.limit(), Duration::from_secs(5));
/// assert_eq!(Options::default(), Options::new());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    inline: bool,
    timeout: Duration,
    max_blockers: usize,
    shared_filesystem: bool,
    deviations: Vec<(&'static str, &'static str)>,
}

impl Options {
    /// The defaults: calls run on workers, 60 s per wait, at most 256 workers blocked, and a
    /// file system shared with the workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = cfut_testing::conformance::Options::new();
    /// assert!(!options.is_inline());
    /// assert_eq!(options.blocker_limit(), 256);
    /// assert!(options.has_shared_filesystem());
    /// ```
    pub fn new() -> Self {
        Options {
            inline: false,
            timeout: Duration::from_secs(60),
            max_blockers: 256,
            shared_filesystem: true,
            deviations: Vec::new(),
        }
    }

    /// Declares that `submit` runs the call on the caller's thread before returning (as
    /// `cfut_core::InlineExecutor` does). Such an executor never has a pending call, so the
    /// checks that need one — cancelling before start, shutdown cancelling queued calls,
    /// callbacks registered before completion — are skipped (and reported as skipped).
    /// Default `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_testing::conformance::Options::new().runs_inline(true).is_inline());
    /// ```
    pub fn runs_inline(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }

    /// How long the kit waits for any one thing (a result, a worker to start a call) before it
    /// declares the executor hung and fails the check. Default 60 s: generous on purpose, the
    /// kit never measures speed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = cfut_testing::conformance::Options::new().timeout(Duration::from_secs(9));
    /// assert_eq!(options.limit(), Duration::from_secs(9));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest `max_workers()` for which the kit blocks every worker to keep a call
    /// pending; executors with more workers skip those checks. Default 256.
    ///
    /// # Examples
    ///
    /// ```
    /// let options = cfut_testing::conformance::Options::new().max_blockers(8);
    /// assert_eq!(options.blocker_limit(), 8);
    /// ```
    pub fn max_blockers(mut self, limit: usize) -> Self {
        self.max_blockers = limit;
        self
    }

    /// Whether the workers of a portable executor see the caller's temporary directory. The
    /// portable checks that keep a call pending block the workers with
    /// [`calls::wait_for_file`](super::calls::wait_for_file), which needs it; without it they
    /// are skipped. Default `true` (threads and local processes share it; a cluster may not).
    ///
    /// # Examples
    ///
    /// ```
    /// let options = cfut_testing::conformance::Options::new().shared_filesystem(false);
    /// assert!(!options.has_shared_filesystem());
    /// ```
    pub fn shared_filesystem(mut self, shared: bool) -> Self {
        self.shared_filesystem = shared;
        self
    }

    /// Declares a known deviation: the runners report the check `check` as skipped with
    /// `reason` instead of running it. For a backend that knowingly departs from one rule of
    /// the contract — say so in its docs, and run the check alone in an ignored test so the
    /// deviation stays visible. Default: none.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_testing::conformance::{self, Options};
    ///
    /// let options = Options::new()
    ///     .runs_inline(true)
    ///     .known_deviation("call_batch", "an example reason");
    /// let report = conformance::call_executor_with(&options, InlineExecutor::new);
    /// assert!(report.skipped().any(|(name, why)| name == "call_batch" && why == "an example reason"));
    /// ```
    pub fn known_deviation(mut self, check: &'static str, reason: &'static str) -> Self {
        self.deviations.push((check, reason));
        self
    }

    /// The reason given with [`known_deviation`](Self::known_deviation) for `check`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_testing::conformance::Options;
    /// let options = Options::new().known_deviation("drop_waits", "why");
    /// assert_eq!(options.deviation("drop_waits"), Some("why"));
    /// assert_eq!(options.deviation("submit_result"), None);
    /// ```
    pub fn deviation(&self, check: &str) -> Option<&'static str> {
        self.deviations
            .iter()
            .find(|(name, _)| *name == check)
            .map(|(_, reason)| *reason)
    }

    /// See [`runs_inline`](Self::runs_inline).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!cfut_testing::conformance::Options::new().is_inline());
    /// ```
    pub fn is_inline(&self) -> bool {
        self.inline
    }

    /// See [`timeout`](Self::timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(cfut_testing::conformance::Options::new().limit(), Duration::from_secs(60));
    /// ```
    pub fn limit(&self) -> Duration {
        self.timeout
    }

    /// See [`max_blockers`](Self::max_blockers).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cfut_testing::conformance::Options::new().blocker_limit(), 256);
    /// ```
    pub fn blocker_limit(&self) -> usize {
        self.max_blockers
    }

    /// See [`shared_filesystem`](Self::shared_filesystem).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cfut_testing::conformance::Options::new().has_shared_filesystem());
    /// ```
    pub fn has_shared_filesystem(&self) -> bool {
        self.shared_filesystem
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}
