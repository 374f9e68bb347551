//! The Rust side of `compare -- mpi`: cfut-mpi, and a raw rsmpi floor, with 1 root + 2
//! workers (the floor: 2 ranks ping-ponging).
//!
//! ```text
//! cargo build --release -p cfut-mpi --examples
//! target/release/examples/mpi_bench [--runs N]      # the driver: every figure, in one run
//! ```
//!
//! The driver (started without `mpirun`) launches, interleaved `--runs` times (default 5):
//! `mpirun -n 3 mpi_bench cfut`, `mpirun -n 2 mpi_bench floor`, `mpirun -n 3 mpi_bench floor`
//! (the `mpi-3rank-floor`: the same ping-pong with a third rank polling beside it, the
//! oversubscription of 3 ranks on 2 cores), the first two with `--mca btl self,tcp`, all
//! three with `--mca mpi_yield_when_idle 0` (`mpi_round_trip_p50_no_yield`: Open MPI yields
//! the CPU at every empty poll when ranks outnumber cores), the mpi4py script (`mpirun -n 3 /usr/bin/python3 -m
//! mpi4py.futures mpi/bench/mpi4py_bench.py`), and the launch-to-exit runs; then prints the
//! medians as `metric system value` lines and a table. Each measuring mode prints
//! `metric value` lines (medians over its own repetitions), as the Python side does:
//! - `mpi_round_trip_p50` (µs): one no-op call, wait for it, repeat; the median call.
//! - `mpi_round_trip_cpu` (µs/call): the CPU those round trips took, all 3 ranks together
//!   (every thread's on-CPU time), per call: what waiting by spinning and yielding costs.
//! - `mpi_round_trip_p50_polled` (µs): the same, the caller polling `is_done` instead of
//!   blocking in `result()` (so without the caller's sleep and wake-up).
//! - `mpi_submit_result` (µs/call): 20 000 no-op calls submitted, then every result taken.
//! - `mpi_map_chunked` (calls/s): a map of a no-op over 200 000 inputs, chunksize 1 000,
//!   every chunk submitted at once (`eager`, as Python's `map` does).
//! - `mpi_bytes_1mib` (ms): 1 MiB sent to a worker and echoed back; the median echo.
//! - `mpi_idle_cpu_pct` (% of a core, all 3 ranks together): on-CPU time of every thread of
//!   the 3 ranks over the first second with the pool up and nothing pending (after the runs);
//!   `mpi_idle_cpu_pct_5s`: the same over two seconds once the pool has been idle for 5 s.
//! - `mpi_startup_shutdown` (ms): launch to exit of `mpirun -n 3` running one call (the
//!   floor: MPI up, one 8-byte message there and back, MPI down).

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::process::Command;
use std::time::{Duration, Instant};

use cfut_combinators::MapExt;
use mpi::traits::*;

const ROUND_TRIPS: usize = 2_000;
const SUBMIT_CALLS: u64 = 20_000;
const MAP_INPUTS: u64 = 200_000;
const MAP_CHUNK: usize = 1_000;
const ECHOES: usize = 50;
const MIB: usize = 1 << 20;

fn noop(x: u64) -> u64 {
    x
}

fn echo(bytes: Vec<u8>) -> Vec<u8> {
    bytes
}

fn pid(_: ()) -> u32 {
    std::thread::sleep(Duration::from_millis(50));
    std::process::id()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn runs_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5)
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "cfut" => cfut(runs_arg()),
        "floor" => floor(runs_arg()),
        "startup" => {
            cfut_mpi::run(|pool| assert_eq!(pool.submit(noop, 1).result(), Ok(1))).unwrap();
        }
        "floor_startup" => floor_startup(),
        _ => driver(runs_arg()),
    }
}

/// The `--window N` argument (calls in flight per worker), if given.
fn window_arg() -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--window")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
}

/// cfut-mpi, under `mpirun -n 3`.
fn cfut(runs: usize) {
    let mut builder = cfut_mpi::Builder::new();
    if let Some(window) = window_arg() {
        builder = builder.window(window);
    }
    builder
        .run(|pool| {
            // Warm up, as the Python side does: both workers answered, then round trips.
            let warm: Vec<u64> = pool.map(noop, 0..100).map(Result::unwrap).collect();
            assert_eq!(warm.len(), 100);
            for i in 0..ROUND_TRIPS as u64 {
                assert_eq!(pool.submit(noop, i).result(), Ok(i));
            }
            // The processes of the three ranks (one call on each worker: each call sleeps).
            let pids: Vec<u32> = [pool.submit(pid, ()), pool.submit(pid, ())]
                .into_iter()
                .map(|f| f.result().unwrap())
                .chain([std::process::id()])
                .collect();
            let mut figures: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            for _ in 0..runs {
                let mut samples = Vec::with_capacity(ROUND_TRIPS);
                let cpu_before: u64 = pids.iter().map(|&p| cpu_nanos(p)).sum();
                for i in 0..ROUND_TRIPS as u64 {
                    let start = Instant::now();
                    assert_eq!(pool.submit(noop, i).result(), Ok(i));
                    samples.push(start.elapsed().as_secs_f64() * 1e6);
                }
                let cpu_after: u64 = pids.iter().map(|&p| cpu_nanos(p)).sum();
                figures
                    .entry("mpi_round_trip_p50")
                    .or_default()
                    .push(median(samples));
                figures
                    .entry("mpi_round_trip_cpu")
                    .or_default()
                    .push(cpu_after.saturating_sub(cpu_before) as f64 / 1e3 / ROUND_TRIPS as f64);

                // The same with the caller polling `is_done` instead of `result()`'s bounded spin
                // and sleep: what the pipeline itself takes, without the caller's wake-up.
                let mut samples = Vec::with_capacity(ROUND_TRIPS);
                for i in 0..ROUND_TRIPS as u64 {
                    let start = Instant::now();
                    let future = pool.submit(noop, i);
                    while !future.is_done() {
                        std::hint::spin_loop();
                    }
                    assert_eq!(future.result(), Ok(i));
                    samples.push(start.elapsed().as_secs_f64() * 1e6);
                }
                figures
                    .entry("mpi_round_trip_p50_polled")
                    .or_default()
                    .push(median(samples));

                let start = Instant::now();
                let futures: Vec<_> = (0..SUBMIT_CALLS).map(|i| pool.submit(noop, i)).collect();
                let total: u64 = futures.into_iter().map(|f| f.result().unwrap()).sum();
                let elapsed = start.elapsed().as_secs_f64();
                assert_eq!(total, SUBMIT_CALLS * (SUBMIT_CALLS - 1) / 2);
                figures
                    .entry("mpi_submit_result")
                    .or_default()
                    .push(elapsed * 1e6 / SUBMIT_CALLS as f64);

                let start = Instant::now();
                let n = pool
                    .map(noop, 0..MAP_INPUTS)
                    .chunksize(NonZeroUsize::new(MAP_CHUNK).unwrap())
                    // Every chunk submitted at once, as Python's `map` does.
                    .eager()
                    .map(Result::unwrap)
                    .count();
                let elapsed = start.elapsed().as_secs_f64();
                assert_eq!(n as u64, MAP_INPUTS);
                figures
                    .entry("mpi_map_chunked")
                    .or_default()
                    .push(MAP_INPUTS as f64 / elapsed);

                // The echoed buffer is the next one sent, as the floor sends the same buffer
                // each time: no copy of the payload inside the timed region (a fresh 1 MiB
                // copy costs about as much as the echo itself here).
                let mut payload = vec![7_u8; MIB];
                let mut samples = Vec::with_capacity(ECHOES);
                for _ in 0..ECHOES {
                    let start = Instant::now();
                    payload = pool.submit(echo, payload).result().unwrap();
                    samples.push(start.elapsed().as_secs_f64() * 1e3);
                    assert_eq!(payload, [7_u8; MIB]);
                }
                figures
                    .entry("mpi_bytes_1mib")
                    .or_default()
                    .push(median(samples));
            }
            // Idle CPU: every rank's CPU time over one second with nothing pending.
            // Idle CPU: every rank's CPU time over the first idle second, then over two
            // seconds after 5 s idle (the back-off's deepest sleeps).
            let idle_pct = |seconds: u64| {
                let before: u64 = pids.iter().map(|&p| cpu_nanos(p)).sum();
                let start = Instant::now();
                std::thread::sleep(Duration::from_secs(seconds));
                let after: u64 = pids.iter().map(|&p| cpu_nanos(p)).sum();
                after.saturating_sub(before) as f64 / 1e9 / start.elapsed().as_secs_f64() * 100.0
            };
            let first = idle_pct(1);
            figures.entry("mpi_idle_cpu_pct").or_default().push(first);
            std::thread::sleep(Duration::from_secs(4));
            let steady = idle_pct(2);
            figures
                .entry("mpi_idle_cpu_pct_5s")
                .or_default()
                .push(steady);
            for (name, values) in figures {
                println!("{name} {:.6}", median(values));
            }
        })
        .unwrap();
}

/// On-CPU nanoseconds of every thread of process `pid`, from `/proc/<pid>/task/*/schedstat`
/// (clock ticks are too coarse for 2 000 round trips and for an idle second).
fn cpu_nanos(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| {
            let path = task.ok()?.path().join("schedstat");
            let stat = std::fs::read_to_string(path).ok()?;
            stat.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum()
}

/// The raw rsmpi floor, under `mpirun -n 2`: 8-byte ping-pong and a 1 MiB echo between ranks
/// 0 and 1. Under `mpirun -n 3` (the `mpi-3rank-floor`), rank 2 polls for a message
/// meanwhile, as busy as the third thread of cfut-mpi's round trip (caller, manager thread,
/// worker rank) on a machine with 2 cores: Open MPI then runs oversubscribed, and its polls
/// yield the CPU when they find nothing.
fn floor(runs: usize) {
    let universe = mpi::initialize().unwrap();
    let world = universe.world();
    if world.rank() == 2 {
        while world.any_process().immediate_probe().is_none() {}
        let (_, _) = world.any_process().receive::<u64>();
        return;
    }
    let other = world.process_at_rank(1 - world.rank());
    let mut figures: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let big = vec![7_u8; MIB];
    let mut big_back = vec![0_u8; MIB];
    for _ in 0..runs {
        let mut samples = Vec::with_capacity(ROUND_TRIPS);
        for i in 0..ROUND_TRIPS as u64 {
            if world.rank() == 0 {
                let start = Instant::now();
                other.send(&i);
                let (back, _) = other.receive::<u64>();
                samples.push(start.elapsed().as_secs_f64() * 1e6);
                assert_eq!(back, i);
            } else {
                let (value, _) = other.receive::<u64>();
                other.send(&value);
            }
        }
        let mut echoes = Vec::with_capacity(ECHOES);
        for _ in 0..ECHOES {
            if world.rank() == 0 {
                let start = Instant::now();
                other.send(&big[..]);
                other.receive_into(&mut big_back[..]);
                echoes.push(start.elapsed().as_secs_f64() * 1e3);
            } else {
                other.receive_into(&mut big_back[..]);
                other.send(&big_back[..]);
            }
        }
        if world.rank() == 0 {
            figures
                .entry("mpi_round_trip_p50")
                .or_default()
                .push(median(samples));
            figures
                .entry("mpi_bytes_1mib")
                .or_default()
                .push(median(echoes));
        }
    }
    if world.rank() == 0 && world.size() == 3 {
        world.process_at_rank(2).send(&0_u64);
    }
    for (name, values) in figures {
        println!("{name} {:.6}", median(values));
    }
}

/// The floor's launch to exit: MPI up, 8 bytes to rank 1 and back, MPI down.
fn floor_startup() {
    let universe = mpi::initialize().unwrap();
    let world = universe.world();
    if world.rank() == 0 {
        world.process_at_rank(1).send(&1_u64);
        let (_, _) = world.process_at_rank(1).receive::<u64>();
    } else if world.rank() == 1 {
        let (value, _) = world.process_at_rank(0).receive::<u64>();
        world.process_at_rank(0).send(&value);
    }
}

/// Runs `mpirun` with `args`; the `metric value` lines it printed.
fn launch(args: &[&str]) -> Vec<(String, f64)> {
    launch_timed(args).0
}

/// Runs `mpirun` with `args`, once more if the launch failed only through Open MPI's exit
/// race ([`cfut_mpi::is_open_mpi_exit_race`]); the `metric value` lines it printed and the
/// milliseconds from launch to exit of the launch that counted.
fn launch_timed(args: &[&str]) -> (Vec<(String, f64)>, f64) {
    let launch_once = || {
        let start = Instant::now();
        let output = Command::new("timeout")
            .args(["-k", "5", "300", "mpirun"])
            .args(args)
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
            .output()
            .expect("mpirun runs");
        (output, start.elapsed().as_secs_f64() * 1e3)
    };
    let (mut output, mut ms) = launch_once();
    if !output.status.success()
        && cfut_mpi::is_open_mpi_exit_race(&String::from_utf8_lossy(&output.stderr))
    {
        eprintln!("Open MPI's exit race (open-mpi/ompi#7833) ended {args:?}; launching again");
        (output, ms) = launch_once();
    }
    assert!(
        output.status.success(),
        "mpirun {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let figures = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let metric = parts.next()?.to_owned();
            let value = parts.next()?.parse().ok()?;
            Some((metric, value))
        })
        .collect();
    (figures, ms)
}

/// Milliseconds from launch to exit of `mpirun` with `args`.
fn launch_ms(args: &[&str]) -> f64 {
    launch_timed(args).1
}

/// Every figure, interleaved `runs` times, medians printed.
fn driver(runs: usize) {
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/mpi4py_bench.py");
    let tcp = ["--mca", "btl", "self,tcp"];
    let no_yield = ["--mca", "mpi_yield_when_idle", "0"];
    let mut figures: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut record = |system: &str, lines: Vec<(String, f64)>| {
        for (metric, value) in lines {
            figures
                .entry((metric, system.to_owned()))
                .or_default()
                .push(value);
        }
    };
    for _ in 0..runs {
        record("cfut-mpi", launch(&["-n", "3", exe, "cfut", "--runs", "1"]));
        record(
            "mpi-floor",
            launch(&["-n", "2", exe, "floor", "--runs", "1"]),
        );
        record(
            "mpi-3rank-floor",
            launch(&["-n", "3", exe, "floor", "--runs", "1"]),
        );
        let python = [
            "-n",
            "3",
            "/usr/bin/python3",
            "-m",
            "mpi4py.futures",
            script,
        ];
        record("mpi4py", launch(&[&python[..], &["--runs", "1"]].concat()));
        // The round trip again under other MCA settings, renamed `metric`.
        let round_trip_with = |mca: &[&str], metric: &str, mode: &str, n: &str| {
            launch(&[mca, &["-n", n, exe, mode, "--runs", "1"]].concat())
                .into_iter()
                .filter(|(name, _)| name == "mpi_round_trip_p50")
                .map(|(_, value)| (metric.to_owned(), value))
                .collect::<Vec<_>>()
        };
        let tcp_metric = "mpi_round_trip_p50_tcp";
        record("cfut-mpi", round_trip_with(&tcp, tcp_metric, "cfut", "3"));
        record("mpi-floor", round_trip_with(&tcp, tcp_metric, "floor", "2"));
        // Open MPI yields the CPU at every empty poll when ranks outnumber cores (3 on 2
        // here): the same round trips with that turned off, for every system alike.
        let no_yield_metric = "mpi_round_trip_p50_no_yield";
        record(
            "cfut-mpi",
            round_trip_with(&no_yield, no_yield_metric, "cfut", "3"),
        );
        record(
            "mpi-floor",
            round_trip_with(&no_yield, no_yield_metric, "floor", "2"),
        );
        record(
            "mpi-3rank-floor",
            round_trip_with(&no_yield, no_yield_metric, "floor", "3"),
        );
        let startup = |args: &[&str]| vec![("mpi_startup_shutdown".to_owned(), launch_ms(args))];
        record("cfut-mpi", startup(&["-n", "3", exe, "startup"]));
        record("mpi-floor", startup(&["-n", "3", exe, "floor_startup"]));
        record("mpi4py", startup(&[&python[..], &["--startup"]].concat()));
    }
    let mut table: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for ((metric, system), values) in figures {
        let value = median(values);
        println!("{metric} {system} {value:.6}");
        table.entry(metric).or_default().insert(system, value);
    }
    println!();
    println!("| metric | cfut-mpi | mpi4py | mpi-floor | mpi-3rank-floor |");
    println!("|---|---|---|---|---|");
    for (metric, row) in &table {
        let cell = |system: &str| {
            row.get(system)
                .map_or("—".to_owned(), |v| format!("{v:.3}"))
        };
        println!(
            "| `{metric}` | {} | {} | {} | {} |",
            cell("cfut-mpi"),
            cell("mpi4py"),
            cell("mpi-floor"),
            cell("mpi-3rank-floor")
        );
    }
}
