//! Collecting samples, medians, the table and the JSON lines.

use std::fmt::Write as _;
use std::io::Write as _;

/// One measured figure: the median of a system's runs of a metric.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    pub(crate) metric: String,
    pub(crate) system: String,
    pub(crate) value: f64,
    pub(crate) unit: String,
}

/// All figures of one `compare` run.
#[derive(Debug)]
pub(crate) struct Report {
    runs: usize,
    figures: Vec<Figure>,
}

/// A system under test for one metric: its name and a closure that performs one run and
/// returns the value of that run (already in the metric's unit).
pub(crate) type Contender<'a> = (&'a str, Box<dyn FnMut() -> f64 + 'a>);

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

    /// Runs every contender `runs` times, interleaved round robin (system A run 1, system B
    /// run 1, …, system A run 2, …), and records each one's median.
    pub(crate) fn measure(&mut self, metric: &str, unit: &str, mut contenders: Vec<Contender<'_>>) {
        let mut samples = vec![Vec::with_capacity(self.runs); contenders.len()];
        for _ in 0..self.runs {
            for (i, (_, run)) in contenders.iter_mut().enumerate() {
                samples[i].push(run());
            }
        }
        for ((system, _), values) in contenders.iter().zip(samples) {
            self.record(metric, system, median(values), unit);
        }
    }

    /// Records one figure measured elsewhere (e.g. by the Python script), already a median.
    pub(crate) fn record(&mut self, metric: &str, system: &str, value: f64, unit: &str) {
        eprintln!("  {metric:<24} {system:<18} {value:>14.3} {unit}");
        self.figures.push(Figure {
            metric: metric.to_owned(),
            system: system.to_owned(),
            value,
            unit: unit.to_owned(),
        });
    }

    pub(crate) fn print_table(&self) {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{:<24} {:<18} {:>14} {:<10} {:>10}",
            "metric", "system", "median", "unit", "÷ cfut"
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
            let _ = writeln!(
                out,
                "{:<24} {:<18} {:>14.3} {:<10} {:>10}",
                figure.metric, figure.system, figure.value, figure.unit, ratio
            );
        }
        print!("{out}");
    }

    pub(crate) fn write_json(&self, path: &str) -> std::io::Result<()> {
        let mut file = std::fs::File::create(path)?;
        for f in &self.figures {
            writeln!(
                file,
                "{{\"metric\": \"{}\", \"system\": \"{}\", \"value\": {}, \"unit\": \"{}\"}}",
                f.metric, f.system, f.value, f.unit
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
