//! [`Outcome`] of one check and the [`Report`] of a whole run.

use std::fmt;

/// What one check concluded. A failing check does not return: it panics with a message that
/// names the check and what went wrong.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{in_process, Options, Outcome};
///
/// let inline = Options::new().runs_inline(true);
/// assert_eq!(in_process::submit_result(&InlineExecutor::new(), &inline), Outcome::Passed);
/// assert!(matches!(
///     in_process::cancel_before_start(&InlineExecutor::new(), &inline),
///     Outcome::Skipped(_)
/// ));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every assertion of the check held.
    Passed,
    /// The check does not apply to this executor; the reason says why.
    Skipped(&'static str),
}

/// One line of a [`Report`]: a check's name and its outcome.
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{self, Options, Outcome};
///
/// let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
/// let first = &report.entries()[0];
/// assert_eq!(first.name, "max_workers");
/// assert_eq!(first.outcome, Outcome::Passed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The check's name, which is also the name of its function.
    pub name: &'static str,
    /// What it concluded.
    pub outcome: Outcome,
}

/// The result of a conformance run in which every check passed or was skipped.
///
/// (A run with a failing check panics instead of returning, listing every failed check.)
///
/// # Examples
///
/// ```
/// use cfut_core::InlineExecutor;
/// use cfut_testing::conformance::{self, Options};
///
/// let report = conformance::call_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
/// assert_eq!(report.level(), "portable");
/// assert_eq!(report.passed() + report.skipped().count(), report.entries().len());
/// assert!(report.to_string().contains("call_submit_result: passed"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    level: &'static str,
    entries: Vec<Entry>,
}

impl Report {
    pub(crate) fn new(level: &'static str, entries: Vec<Entry>) -> Self {
        Report { level, entries }
    }

    /// Which executor level was checked: `"in-process"` or `"portable"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_testing::conformance::{self, Options};
    ///
    /// let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
    /// assert_eq!(report.level(), "in-process");
    /// ```
    pub fn level(&self) -> &'static str {
        self.level
    }

    /// Every check, in the order it ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_testing::conformance::{self, Options};
    ///
    /// let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
    /// assert!(report.entries().iter().any(|entry| entry.name == "panic_fails_only_its_future"));
    /// ```
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many checks passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_testing::conformance::{self, Options};
    ///
    /// let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
    /// assert!(report.passed() > 0);
    /// ```
    pub fn passed(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| entry.outcome == Outcome::Passed)
            .count()
    }

    /// The skipped checks, with the reason of each.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::InlineExecutor;
    /// use cfut_testing::conformance::{self, Options};
    ///
    /// let report = conformance::job_executor_with(&Options::new().runs_inline(true), InlineExecutor::new);
    /// let (name, why) = report.skipped().next().expect("an inline executor skips some checks");
    /// assert!(why.contains("inline"), "{name}: {why}");
    /// ```
    pub fn skipped(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.entries.iter().filter_map(|entry| match entry.outcome {
            Outcome::Skipped(why) => Some((entry.name, why)),
            Outcome::Passed => None,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "conformance ({}): {} passed, {} skipped",
            self.level,
            self.passed(),
            self.entries.len() - self.passed()
        )?;
        for entry in &self.entries {
            match entry.outcome {
                Outcome::Passed => writeln!(f, "  {}: passed", entry.name)?,
                Outcome::Skipped(why) => writeln!(f, "  {}: skipped ({why})", entry.name)?,
            }
        }
        Ok(())
    }
}
