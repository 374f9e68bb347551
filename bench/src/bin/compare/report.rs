//! Collecting samples, medians, the table, the ratios and the JSON lines.
//!
//! A system's name says what it is: names starting with `cfut` are cfut's rows; `ideal`,
//! `serial` and names ending in `floor` are references (no pool: the least the work can cost);
//! every other name is a peer, Rust or (`python…`) Python. The summary under the table gives,
//! for every cfut row, its value divided by the best Rust peer's, the best Python's, and each
//! reference's, in the same run.

use std::fmt::Write as _;
use std::io::Write as _;

/// One run of one system: the metric's value and, where it applies, the CPU (user + system)
/// the process and its worker processes used, in µs per call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) value: f64,
    pub(crate) cpu_us_per_call: Option<f64>,
}

impl Sample {
    /// A value without a CPU figure.
    pub(crate) fn bare(value: f64) -> Self {
        Sample {
            value,
            cpu_us_per_call: None,
        }
    }
}

/// One measured figure: the median of a system's runs of a metric.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    pub(crate) metric: String,
    pub(crate) system: String,
    pub(crate) value: f64,
    pub(crate) cpu_us_per_call: Option<f64>,
}

/// All figures of one `compare` run.
#[derive(Debug)]
pub(crate) struct Report {
    runs: usize,
    figures: Vec<Figure>,
}

/// A system under test for one metric: its name and a closure that performs one run.
pub(crate) type Contender<'a> = (&'a str, Box<dyn FnMut() -> Sample + 'a>);

/// The unit of every metric (one table, so the Python side and the Rust side agree).
pub(crate) fn unit(metric: &str) -> &'static str {
    match metric {
        "submit_result" | "proc_submit_result" => "µs/call",
        "round_trip_p50" | "proc_round_trip_p50" => "µs",
        "map_100k" | "map_100k_grouped" | "proc_map_chunked" => "calls/s",
        "idle_cpu_pct" | "proc_idle_cpu_pct" => "% of a core",
        "io_fast_prefix"
        | "io_heavy_tail"
        | "cpu_hash_files"
        | "cpu_hash_files_processes"
        | "recursive_fib" => "s",
        "mpi_round_trip_p50"
        | "mpi_round_trip_p50_tcp"
        | "mpi_round_trip_p50_polled"
        | "mpi_round_trip_p50_no_yield" => "µs",
        "mpi_idle_cpu_pct" | "mpi_idle_cpu_pct_5s" => "% of a core",
        "mpi_submit_result" | "mpi_round_trip_cpu" => "µs/call",
        "mpi_map_chunked" => "calls/s",
        _ => "ms",
    }
}

/// Whether a larger value is better (rates) or worse (times, CPU).
fn higher_is_better(metric: &str) -> bool {
    unit(metric).ends_with("/s")
}

/// What a system's name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Cfut,
    RustPeer,
    PythonPeer,
    Reference,
}

fn role(system: &str) -> Role {
    if system.starts_with("cfut") {
        Role::Cfut
    } else if system.starts_with("ideal") || system == "serial" || system.ends_with("floor") {
        Role::Reference
    } else if system.starts_with("python") || system == "mpi4py" {
        Role::PythonPeer
    } else {
        Role::RustPeer
    }
}

impl Report {
    pub(crate) fn new(runs: usize) -> Self {
        Report {
            runs,
            figures: Vec::new(),
        }
    }

    /// How many runs each system gets per metric.
    pub(crate) fn runs(&self) -> usize {
        self.runs
    }

    /// Runs every contender `runs` times, interleaved round robin, each round starting one
    /// system later (A B C, then B C A, then C A B, …), and records each one's median value and
    /// median CPU. The rotation keeps a system from always running right after the same one:
    /// a figure can depend on what ran before it (the caches it left, the threads of a pool
    /// still exiting). Each run's value goes to standard error as it comes (a median hides an
    /// intermittent slow run).
    pub(crate) fn measure(&mut self, metric: &str, mut contenders: Vec<Contender<'_>>) {
        let count = contenders.len();
        let mut samples: Vec<Vec<Sample>> = vec![Vec::with_capacity(self.runs); count];
        for round in 1..=self.runs {
            for i in (0..count).map(|k| (round - 1 + k) % count) {
                let (system, run) = &mut contenders[i];
                let sample = run();
                eprintln!(
                    "    {metric} {system} run {round}: {:.4} {}",
                    sample.value,
                    unit(metric)
                );
                samples[i].push(sample);
            }
        }
        for ((system, _), runs) in contenders.iter().zip(samples) {
            let value = median(runs.iter().map(|s| s.value).collect());
            let cpu: Option<Vec<f64>> = runs.iter().map(|s| s.cpu_us_per_call).collect();
            self.record(
                metric,
                system,
                Sample {
                    value,
                    cpu_us_per_call: cpu.map(median),
                },
            );
        }
    }

    /// Records one figure measured elsewhere (the Python scripts, a computed ideal), already
    /// a median.
    pub(crate) fn record(&mut self, metric: &str, system: &str, sample: Sample) {
        let cpu = sample
            .cpu_us_per_call
            .map_or_else(String::new, |c| format!("  cpu {c:.3} µs/call"));
        eprintln!(
            "  {metric:<26} {system:<20} {:>14.4} {}{cpu}",
            sample.value,
            unit(metric)
        );
        self.figures.push(Figure {
            metric: metric.to_owned(),
            system: system.to_owned(),
            value: sample.value,
            cpu_us_per_call: sample.cpu_us_per_call,
        });
    }

    pub(crate) fn print_table(&self) {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{:<26} {:<20} {:>14} {:<12} {:>12} {:>8}",
            "metric", "system", "median", "unit", "cpu µs/call", "÷ cfut"
        );
        for figure in &self.figures {
            let cfut = self
                .figures
                .iter()
                .find(|f| f.metric == figure.metric && f.system == "cfut")
                .map(|f| f.value);
            let ratio = match cfut {
                Some(base) if base != 0.0 => format!("{:.2}", figure.value / base),
                _ => "-".to_owned(),
            };
            let cpu = figure
                .cpu_us_per_call
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.3}"));
            let _ = writeln!(
                out,
                "{:<26} {:<20} {:>14.4} {:<12} {:>12} {:>8}",
                figure.metric,
                figure.system,
                figure.value,
                unit(&figure.metric),
                cpu,
                ratio
            );
        }
        let _ = writeln!(
            out,
            "\ncfut's rows against the best of each kind (value ÷ value; rates are higher-better, \
             everything else lower-better):"
        );
        for figure in self
            .figures
            .iter()
            .filter(|f| role(&f.system) == Role::Cfut)
        {
            let mut line = format!("{:<26} {:<20}", figure.metric, figure.system);
            for (label, kind) in [
                ("best Rust peer", Role::RustPeer),
                ("best Python", Role::PythonPeer),
            ] {
                if let Some(best) = self.best(&figure.metric, kind) {
                    let _ = write!(
                        line,
                        "  ÷ {label} ({}) {:.2}",
                        best.system,
                        figure.value / best.value
                    );
                }
            }
            for reference in self
                .figures
                .iter()
                .filter(|f| f.metric == figure.metric && role(&f.system) == Role::Reference)
            {
                let _ = write!(
                    line,
                    "  ÷ {} {:.2}",
                    reference.system,
                    figure.value / reference.value
                );
            }
            let _ = writeln!(out, "{line}");
        }
        print!("{out}");
    }

    /// The best figure of `metric` among the systems of `kind`.
    fn best(&self, metric: &str, kind: Role) -> Option<&Figure> {
        let better = |a: &Figure, b: &Figure| {
            if higher_is_better(metric) {
                a.value.total_cmp(&b.value)
            } else {
                b.value.total_cmp(&a.value)
            }
        };
        self.figures
            .iter()
            .filter(|f| f.metric == metric && role(&f.system) == kind && f.value.is_finite())
            .max_by(|a, b| better(a, b))
    }

    /// One JSON line per figure: `{"metric", "system", "value", "unit", "cpu_us_per_call"}`.
    pub(crate) fn write_json(&self, path: &str) -> std::io::Result<()> {
        let mut file = std::fs::File::create(path)?;
        for f in &self.figures {
            let cpu = f
                .cpu_us_per_call
                .map_or_else(|| "null".to_owned(), |c| c.to_string());
            writeln!(
                file,
                "{{\"metric\": \"{}\", \"system\": \"{}\", \"value\": {}, \"unit\": \"{}\", \"cpu_us_per_call\": {cpu}}}",
                f.metric,
                f.system,
                f.value,
                unit(&f.metric)
            )?;
        }
        Ok(())
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "median of no samples");
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn names_say_what_a_system_is() {
        assert_eq!(role("cfut"), Role::Cfut);
        assert_eq!(role("cfut-vec-u8"), Role::Cfut);
        assert_eq!(role("rayon"), Role::RustPeer);
        assert_eq!(role("channel-pool"), Role::RustPeer);
        assert_eq!(role("python-pool"), Role::PythonPeer);
        assert_eq!(role("pipe-pipelined-floor"), Role::Reference);
        assert_eq!(role("serial"), Role::Reference);
        assert_eq!(role("ideal"), Role::Reference);
        assert_eq!(role("ideal-in-order"), Role::Reference);
    }

    #[test]
    fn the_best_peer_depends_on_the_direction_of_the_metric() {
        let mut report = Report::new(1);
        for (metric, system, value) in [
            ("submit_result", "rayon", 2.0),
            ("submit_result", "threadpool", 1.0),
            ("submit_result", "channel-floor", 0.5),
            ("map_100k", "rayon", 2.0),
            ("map_100k", "threadpool", 1.0),
        ] {
            report.record(metric, system, Sample::bare(value));
        }
        let best = |metric| {
            report
                .best(metric, Role::RustPeer)
                .map(|f| f.system.clone())
        };
        assert_eq!(
            best("submit_result").as_deref(),
            Some("threadpool"),
            "lower is better"
        );
        assert_eq!(
            best("map_100k").as_deref(),
            Some("rayon"),
            "calls/s: higher is better"
        );
        assert!(report.best("map_100k", Role::PythonPeer).is_none());
    }
}
