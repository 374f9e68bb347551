//! `compare`: cfut side by side with its peers, like for like, in one run, reported as a
//! table and JSON lines.
//!
//! ```text
//! cargo run --release -p cfut-bench --bin compare -- <threads|combinators|processes|workloads|all> [--json PATH] [--runs N]
//! ```
//!
//! Every metric is measured for every system in the same run, systems interleaved (round
//! robin, each round starting one system later), and the median of the runs is reported; the Python side (bench/python/, run with
//! the first `python3` on `PATH`; numpy for two rows of the processes suite) runs after the
//! Rust side of its suite. The machine may be shared and noisy: read the ratios between
//! systems of one run, not the absolute numbers. Each JSON line is
//! `{"metric": M, "system": S, "value": V, "unit": U, "cpu_us_per_call": C or null}`.

mod channel_pool;
mod combinators;
mod cpu;
mod echo;
mod mpi;
mod peers;
mod pipe_floor;
mod processes;
mod python;
mod rendezvous;
mod report;
mod threads;
mod timing;
mod workloads;

use report::Report;

const SUITES: [&str; 6] = [
    "threads",
    "combinators",
    "processes",
    "workloads",
    "mpi",
    "all",
];

fn main() {
    // Worker processes re-execute this binary: cfut's (optional on Linux, where a constructor
    // already ran it), the floors' echo children, procspawn's (required).
    cfut_processes::init();
    pipe_floor::init();
    procspawn::init();

    let mut suite = None;
    let mut json = None;
    let mut runs = 5_usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = Some(args.next().unwrap_or_else(|| usage("--json needs a path"))),
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n >= 1)
                    .unwrap_or_else(|| usage("--runs needs a positive number"))
            }
            name if SUITES.contains(&name) && suite.is_none() => suite = Some(arg),
            other => usage(&format!("unexpected argument {other:?}")),
        }
    }
    let suite = suite.unwrap_or_else(|| usage("name a suite"));
    let wanted = |name: &str| suite == name || suite == "all";
    let mut report = Report::new(runs);
    if wanted("threads") {
        threads::run(&mut report);
    }
    if wanted("combinators") {
        combinators::run(&mut report);
    }
    if wanted("processes") {
        processes::run(&mut report);
    }
    if wanted("workloads") {
        workloads::run(&mut report);
    }
    // Not part of `all`: it needs Open MPI and cfut-mpi's example built (see mpi.rs).
    if suite == "mpi" {
        mpi::run(&mut report);
    }
    report.print_table();
    if let Some(path) = json {
        if let Err(error) = report.write_json(&path) {
            eprintln!("compare: cannot write {path}: {error}");
            std::process::exit(1);
        }
    }
}

fn usage(problem: &str) -> ! {
    eprintln!("compare: {problem}");
    eprintln!(
        "usage: compare <threads|combinators|processes|workloads|mpi|all> [--json PATH] [--runs N (default 5)]"
    );
    std::process::exit(2);
}
