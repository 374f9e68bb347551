//! The `mpi` suite: cfut-mpi against mpi4py and a raw rsmpi floor, 1 root + 2 workers.
//!
//! MPI is not a dependency of this package (cfut-mpi is outside the default members, so that
//! the workspace builds without MPI): the measuring runs in cfut-mpi's own `mpi_bench`
//! example, whose driver launches every system under `mpirun`, interleaved, and prints one
//! `metric system median` line per figure. This suite runs that driver and records its lines
//! here, so the figures land in the same table and JSON as every other suite. Not part of
//! `all`: it needs Open MPI (`bash ci/mpi.sh` installs it) and the example built first:
//!
//! ```text
//! cargo build --release -p cfut-mpi --examples
//! cargo run --release -p cfut-bench --bin compare -- mpi
//! ```

use std::path::PathBuf;
use std::process::Command;

use crate::report::{Report, Sample};

/// Runs the driver with `runs` interleaved rounds and records its medians.
pub(crate) fn run(report: &mut Report) {
    let driver = driver_path();
    if !driver.exists() {
        eprintln!(
            "compare mpi: {} is missing; build it first with \
             `cargo build --release -p cfut-mpi --examples` (Open MPI installed: bash ci/mpi.sh)",
            driver.display()
        );
        std::process::exit(2);
    }
    let output = Command::new(&driver)
        .args(["--runs", &report.runs().to_string()])
        // Open MPI refuses root without these; 3 ranks on 2 cores need oversubscription.
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", driver.display()));
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        panic!("{} failed: {}", driver.display(), output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    for (metric, system, value) in parse(&stdout) {
        report.record(&metric, &system, Sample::bare(value));
    }
}

/// `target/<profile>/examples/mpi_bench`, beside this binary's own directory.
fn driver_path() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of this binary");
    exe.parent()
        .expect("a directory")
        .join("examples")
        .join("mpi_bench")
}

/// The driver's `metric system value` lines (its markdown table after them is skipped).
fn parse(stdout: &str) -> Vec<(String, String, f64)> {
    stdout
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let metric = parts.next()?.to_owned();
            let system = parts.next()?.to_owned();
            let value = parts.next()?.parse().ok()?;
            parts.next().is_none().then_some((metric, system, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_the_driver_lines_and_stops_at_the_table() {
        let out = "mpi_round_trip_p50 cfut-mpi 27.400000\nmpi_round_trip_p50 mpi4py 257.0\n\n| metric | cfut-mpi |\n";
        assert_eq!(
            parse(out),
            [
                ("mpi_round_trip_p50".into(), "cfut-mpi".into(), 27.4),
                ("mpi_round_trip_p50".into(), "mpi4py".into(), 257.0)
            ]
        );
    }
}
