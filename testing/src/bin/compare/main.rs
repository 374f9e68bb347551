//! `compare`: cfut side by side with its peers, in one run, reported as a table and JSON lines.
//!
//! ```text
//! cargo run --release -p cfut-testing --bin compare -- <threads|combinators|processes|all> [--json PATH] [--runs N]
//! ```
//!
//! Every metric is measured for every system in the same run, systems interleaved (round
//! robin), and the median of the runs is reported. The machine is shared and noisy: read the
//! ratios between systems, not the absolute numbers. Each JSON line is
//! `{"metric": M, "system": S, "value": V, "unit": U}`.

mod combinators;
mod processes;
mod python;
mod report;
mod threads;

use report::Report;

fn main() {
    // Worker processes of cfut-processes re-execute this binary; the processes suite adds
    // its one line of set-up here.
    processes::init();

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
            "threads" | "combinators" | "processes" | "all" if suite.is_none() => suite = Some(arg),
            other => usage(&format!("unexpected argument {other:?}")),
        }
    }
    let suite = suite.unwrap_or_else(|| usage("name a suite"));
    let mut report = Report::new(runs);
    if suite == "threads" || suite == "all" {
        threads::run(&mut report);
    }
    if suite == "combinators" || suite == "all" {
        combinators::run(&mut report);
    }
    if suite == "processes" || suite == "all" {
        processes::run(&mut report);
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
        "usage: compare <threads|combinators|processes|all> [--json PATH] [--runs N (default 5)]"
    );
    std::process::exit(2);
}
