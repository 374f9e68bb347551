//! Running the stdlib-only Python benchmark scripts in `testing/bench/` and reading their
//! figures back.

use std::path::PathBuf;
use std::process::Command;

/// Runs `testing/bench/<script>` with `python3`, passing `args`; the script prints one line
/// per figure: `metric value` (the median of its own runs, in the metric's unit). Returns
/// the pairs, or `None` (with a note on stderr) if Python is not available or the script
/// failed — the Rust figures are still reported then.
pub(crate) fn run_script(script: &str, args: &[String]) -> Option<Vec<(String, f64)>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("bench")
        .join(script);
    let output = match Command::new("python3").arg(&path).args(args).output() {
        Ok(output) => output,
        Err(error) => {
            eprintln!("compare: python3 not runnable ({error}); skipping the python figures");
            return None;
        }
    };
    if !output.status.success() {
        eprintln!(
            "compare: {} failed ({}): {}",
            path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Some(
        text.lines()
            .filter_map(|line| {
                let mut parts = line.split_whitespace();
                let metric = parts.next()?.to_owned();
                let value = parts.next()?.parse().ok()?;
                Some((metric, value))
            })
            .collect(),
    )
}
