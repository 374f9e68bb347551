//! Timed regions: a run's wall time and CPU per call, turned into the metric's value.

use std::time::{Duration, Instant};

use crate::cpu::Meter;
use crate::report::{Sample, median};

/// How a timed region's wall time becomes the metric's value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Per {
    /// µs per call.
    CallMicros,
    /// ms per call.
    CallMillis,
    /// ms for the whole region.
    Millis,
    /// Seconds for the whole region.
    Seconds,
    /// Calls per second.
    Rate,
}

/// Lets the previous system's threads finish spinning and fall asleep before the next
/// measurement, so that they do not compete with it for the cores.
pub(crate) fn settle() {
    std::thread::sleep(Duration::from_millis(50));
}

/// Runs `run` (which makes `calls` calls) after [`settle`], as one timed region; returns its
/// sample, with the CPU per call, and what `run` returned (checked by the caller, outside the
/// clock).
pub(crate) fn timed<R>(calls: usize, per: Per, run: impl FnOnce() -> R) -> (Sample, R) {
    settle();
    let meter = Meter::start();
    let out = run();
    let (wall, cpu_us_per_call) = meter.stop(calls);
    let seconds = wall.as_secs_f64();
    let value = match per {
        Per::CallMicros => seconds * 1e6 / calls as f64,
        Per::CallMillis => seconds * 1e3 / calls as f64,
        Per::Millis => seconds * 1e3,
        Per::Seconds => seconds,
        Per::Rate => calls as f64 / seconds,
    };
    let sample = Sample {
        value,
        cpu_us_per_call: Some(cpu_us_per_call),
    };
    (sample, out)
}

/// The median, in µs, of `n` round trips made one at a time by `one` (which must return its
/// argument), after [`settle`]; the CPU per call over all of them.
pub(crate) fn round_trips(n: usize, mut one: impl FnMut(usize) -> usize) -> Sample {
    let (mut sample, samples) = timed(n, Per::CallMicros, || {
        (0..n)
            .map(|i| {
                let start = Instant::now();
                assert_eq!(one(i), i);
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect::<Vec<f64>>()
    });
    sample.value = median(samples);
    sample
}
