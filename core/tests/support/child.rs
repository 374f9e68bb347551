//! Runs a test's scenario in a child process, to read what it writes on stderr.
//!
//! Included by path (`#[path = ...] mod child;`) by the test files that need it, in this
//! crate and in `cfut-testing`, so that there is one copy.

/// Names, in a re-executed test binary, the test whose scenario it runs (see [`in_child`]).
const SCENARIO: &str = "CFUT_TEST_SCENARIO";

/// Runs `scenario` in a child process and returns what the child wrote on stderr; in that
/// child, runs `scenario` and returns `None`.
///
/// The child is this test binary re-executed with only `test` selected (`--exact`), output
/// capture off (`--nocapture`, so `eprintln!` reaches the real stderr) and [`SCENARIO`] set
/// to `test`. A child process rather than redirecting descriptor 2 around the call: the
/// harness captures `eprintln!` per test (the report would not reach descriptor 2 at all),
/// and the other tests of this binary, running in parallel, would write into a redirected
/// descriptor 2 too. The child's stderr is this scenario's alone.
pub(crate) fn in_child(test: &str, scenario: impl FnOnce()) -> Option<String> {
    if std::env::var(SCENARIO).as_deref() == Ok(test) {
        scenario();
        return None;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(SCENARIO, test)
        .output()
        .expect("the test binary re-executes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the scenario failed in the child ({}):\n{stdout}\n{stderr}",
        output.status
    );
    Some(stderr)
}
