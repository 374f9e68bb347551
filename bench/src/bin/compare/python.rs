//! Running the Python side (the scripts in `bench/python/`, standard library only, numpy
//! optional) and reading its figures back.

use std::path::PathBuf;
use std::process::Command;

use crate::report::{Report, Sample};

/// Runs `bench/python/<script>` with the first `python3` on `PATH`, with `--runs` (the
/// report's) and `args`, and records its figures. The script prints one line per figure,
/// `figure METRIC SYSTEM VALUE CPU` (the median of its own runs, in the metric's unit; CPU in
/// µs per call, or `-`), and may print `check NAME VALUE` lines, which are returned for the
/// caller to compare with its own. Its standard error (notes such as a missing numpy) is
/// passed through. If Python is missing or the script fails, says so and returns nothing: the
/// Rust figures are still reported.
pub(crate) fn record_script(
    report: &mut Report,
    script: &str,
    args: &[(&str, String)],
) -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    let mut command = Command::new("python3");
    command
        .arg(&path)
        .arg("--runs")
        .arg(report.runs().to_string());
    for (flag, value) in args {
        command.arg(flag).arg(value);
    }
    eprintln!("compare: running {}", path.display());
    let output = match command.output() {
        Ok(output) => output,
        Err(error) => {
            eprintln!("compare: python3 not runnable ({error}); no Python figures");
            return Vec::new();
        }
    };
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        eprintln!(
            "compare: {} failed ({}); no Python figures from it",
            path.display(),
            output.status
        );
        return Vec::new();
    }
    let mut checks = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["figure", metric, system, value, cpu] => {
                let Ok(value) = value.parse::<f64>() else {
                    eprintln!("compare: unreadable line from {script}: {line}");
                    continue;
                };
                let cpu_us_per_call = cpu.parse::<f64>().ok();
                report.record(
                    metric,
                    system,
                    Sample {
                        value,
                        cpu_us_per_call,
                    },
                );
            }
            ["check", name, value] => checks.push(((*name).to_owned(), (*value).to_owned())),
            _ => eprintln!("compare: unreadable line from {script}: {line}"),
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    /// Every script compiles with the first `python3` on `PATH` (CI has one), without writing
    /// bytecode into the source tree.
    #[test]
    fn the_python_scripts_compile() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python");
        let scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("bench/python")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .collect();
        assert!(scripts.len() >= 6, "{scripts:?}");
        let status = Command::new("python3")
            .arg("-c")
            .arg("import sys\nfor f in sys.argv[1:]: compile(open(f).read(), f, 'exec')")
            .args(&scripts)
            .status()
            .expect("python3 runs");
        assert!(status.success(), "a script does not compile: {scripts:?}");
    }
}
