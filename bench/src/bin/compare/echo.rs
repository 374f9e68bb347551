//! `proc_echo_1mib` and `proc_echo_16mib` (ms per round trip): a buffer sent to a worker
//! process and back (submit, then result, repeated; each result is the next call's argument),
//! 2 workers.
//!
//! Systems: cfut with `Vec<u8>` (`cfut-vec-u8`), `Vec<f64>` (`cfut-vec-f64`) and `String`
//! (`cfut-string`); Python's `ProcessPoolExecutor` with `bytes` (`python-bytes`) and a numpy
//! `float64` array (`python-numpy`, from bench/python/processes.py; skipped, with a note, when
//! numpy is missing); and `socket-floor`: the same bytes written to a child process over a
//! socket pair and read back.

use cfut_core::Portable;
use cfut_processes::ProcessPoolExecutor;

use crate::pipe_floor::SocketEcho;
use crate::report::{Contender, Report, Sample};
use crate::timing::{Per, timed};

/// (metric, payload bytes, round trips per run).
const SIZES: [(&str, usize, usize); 2] = [
    ("proc_echo_1mib", 1 << 20, 16),
    ("proc_echo_16mib", 16 << 20, 3),
];

/// What the worker runs: its argument back.
fn echo<T>(value: T) -> T {
    value
}

pub(crate) fn run(report: &mut Report, pool: &ProcessPoolExecutor) {
    for (metric, bytes, trips) in SIZES {
        let vec_u8: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
        let vec_f64: Vec<f64> = (0..bytes / 8).map(|i| i as f64 * 0.5).collect();
        let string: String = (0..bytes)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let mut floor = SocketEcho::start();
        // Warm-up, untimed: every worker has seen each type (as on the Python side).
        warm_up(pool, &vec_u8);
        warm_up(pool, &vec_f64);
        warm_up(pool, &string);
        let contenders: Vec<Contender<'_>> = vec![
            ("cfut-vec-u8", Box::new(|| cfut_echo(pool, &vec_u8, trips))),
            (
                "cfut-vec-f64",
                Box::new(|| cfut_echo(pool, &vec_f64, trips)),
            ),
            ("cfut-string", Box::new(|| cfut_echo(pool, &string, trips))),
            (
                "socket-floor",
                Box::new(|| {
                    let mut back = vec![0_u8; bytes];
                    let (sample, ()) = timed(trips, Per::CallMillis, || {
                        for _ in 0..trips {
                            floor.round_trip(&vec_u8, &mut back);
                        }
                    });
                    assert!(back == vec_u8, "the socket floor echoed other bytes");
                    sample
                }),
            ),
        ];
        report.measure(metric, contenders);
    }
}

/// Two echoes of `payload` per worker, at once.
fn warm_up<T: Portable + Clone>(pool: &ProcessPoolExecutor, payload: &T) {
    let futures: Vec<_> = (0..2 * pool.max_workers())
        .map(|_| pool.submit(echo::<T>, payload.clone()))
        .collect();
    for future in futures {
        future.result().expect("warm-up echo");
    }
}

/// `trips` round trips of `payload` (cloned once, outside the clock; each result is the next
/// argument); ms per round trip.
fn cfut_echo<T>(pool: &ProcessPoolExecutor, payload: &T, trips: usize) -> Sample
where
    T: Portable + Clone + PartialEq,
{
    let mut value = payload.clone();
    let (sample, echoed) = timed(trips, Per::CallMillis, || {
        for _ in 0..trips {
            value = pool.submit(echo::<T>, value).result().expect("echo call");
        }
        value
    });
    assert!(echoed == *payload, "the echo changed the payload");
    sample
}
