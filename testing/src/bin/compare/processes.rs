//! The `processes` suite: cfut's `ProcessPoolExecutor` against Python's, procspawn's pool,
//! and the floor of a parent and child process ping-ponging bytes over pipes.
//!
//! Systems, 2 worker processes each: `cfut`; `python` (`ProcessPoolExecutor`, default start
//! method, from `testing/bench/python_processes.py`); `procspawn` (its `Pool`, at most 4 000
//! calls in flight because it opens descriptors per call); `pipe-floor` (children of this
//! binary that echo whatever arrives on a pipe).
//!
//! - `proc_submit_result` (µs/task): 20 000 no-op calls submitted, then every result taken.
//!   pipe-floor: 20 000 8-byte ping-pongs, half on each of two children, in parallel.
//! - `proc_round_trip_p50` (µs): one call, wait, repeat; the median. pipe-floor: one 8-byte
//!   ping-pong.
//! - `proc_map_chunked` (tasks/s): map a no-op over 200 000 inputs, chunksize 1 000.
//!   procspawn has no map: one call per chunk of 1 000. pipe-floor: one 8 000-byte
//!   ping-pong per chunk (8 bytes per input), chunks spread over the two children.
//! - `proc_startup_shutdown` (ms): build a pool, run one call, shut it down. pipe-floor: start
//!   two children, one ping-pong, close, wait for both.
//! - `proc_as_completed_10k` (ms): 10 000 calls drained in completion order (cfut through a
//!   `cfut_core::Waiter`). procspawn has no completion-order wait and is not measured;
//!   pipe-floor: 10 000 ping-pongs over two children.
//!
//! Pools are built once per system, warmed up (every worker started), outside the timed
//! region, except for `proc_startup_shutdown`.

use std::hint::black_box;
use std::io::{Read as _, Write as _};
use std::num::NonZeroUsize;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use cfut_combinators::MapExt;
use cfut_core::{Future, Waiter};
use cfut_processes::ProcessPoolExecutor;

use crate::python;
use crate::report::{Contender, Report, median};

const WORKERS: usize = 2;
const SUBMIT_CALLS: usize = 20_000;
const PROCSPAWN_IN_FLIGHT: usize = 4_000;
const ROUND_TRIPS: usize = 1_000;
const PROCSPAWN_ROUND_TRIPS: usize = 300;
const MAP_INPUTS: u64 = 200_000;
const MAP_CHUNK: usize = 1_000;
const AS_COMPLETED_CALLS: usize = 10_000;

/// Marks a child of this binary that echoes standard input to standard output.
const ECHO_ENV: &str = "CFUT_COMPARE_ECHO_CHILD";

/// Worker-process set-up, the first thing `main` does: cfut's (optional on Linux, where a
/// constructor already ran it), the pipe-floor echo child, and procspawn's (required).
pub(crate) fn init() {
    cfut_processes::init();
    if std::env::var_os(ECHO_ENV).is_some() {
        echo();
        std::process::exit(0);
    }
    procspawn::init();
}

fn noop(x: u64) -> u64 {
    x
}

fn noop_chunk(chunk: Vec<u64>) -> Vec<u64> {
    chunk.into_iter().map(noop).collect()
}

pub(crate) fn run(report: &mut Report) {
    eprintln!("compare: processes suite, {WORKERS} worker processes per system");
    let cfut = match ProcessPoolExecutor::new(WORKERS) {
        Ok(pool) => Some(pool),
        Err(error) => {
            eprintln!("compare: cannot build the cfut process pool ({error}); skipping cfut");
            None
        }
    };
    if let Some(pool) = &cfut {
        warm_up(pool);
    }
    let procspawn = match procspawn::Pool::new(WORKERS) {
        Ok(pool) => {
            let handles: Vec<_> = (0..4).map(|i| pool.spawn(i, noop)).collect();
            handles.into_iter().for_each(|h| {
                h.join().expect("procspawn warm-up");
            });
            Some(pool)
        }
        Err(error) => {
            eprintln!("compare: cannot build the procspawn pool ({error}); skipping procspawn");
            None
        }
    };
    let mut floor = EchoChildren::start(WORKERS);
    let mut floor_single = EchoChildren::start(1);

    let args = vec![
        "--runs".to_owned(),
        report.runs().to_string(),
        "--workers".to_owned(),
        WORKERS.to_string(),
    ];
    let python = python::run_script("python_processes.py", &args).unwrap_or_default();
    let python_figure = |metric: &str| python.iter().find(|(m, _)| m == metric).map(|(_, v)| *v);

    // proc_submit_result
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if let Some(pool) = &cfut {
        contenders.push(("cfut", Box::new(move || cfut_submit_result(pool))));
    }
    if let Some(pool) = &procspawn {
        contenders.push(("procspawn", Box::new(move || procspawn_submit_result(pool))));
    }
    contenders.push((
        "pipe-floor",
        Box::new(|| floor.ping_pong_parallel(SUBMIT_CALLS) / SUBMIT_CALLS as f64 * 1e6),
    ));
    report.measure("proc_submit_result", "µs/task", contenders);
    if let Some(value) = python_figure("proc_submit_result") {
        report.record("proc_submit_result", "python", value, "µs/task");
    }

    // proc_round_trip_p50
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if let Some(pool) = &cfut {
        contenders.push(("cfut", Box::new(move || cfut_round_trip(pool))));
    }
    if let Some(pool) = &procspawn {
        contenders.push(("procspawn", Box::new(move || procspawn_round_trip(pool))));
    }
    contenders.push((
        "pipe-floor",
        Box::new(|| floor_single.round_trip_p50(ROUND_TRIPS)),
    ));
    report.measure("proc_round_trip_p50", "µs", contenders);
    if let Some(value) = python_figure("proc_round_trip_p50") {
        report.record("proc_round_trip_p50", "python", value, "µs");
    }

    // proc_map_chunked
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if let Some(pool) = &cfut {
        contenders.push(("cfut", Box::new(move || cfut_map_chunked(pool))));
    }
    if let Some(pool) = &procspawn {
        contenders.push(("procspawn", Box::new(move || procspawn_map_chunked(pool))));
    }
    contenders.push(("pipe-floor", Box::new(|| floor.map_chunked())));
    report.measure("proc_map_chunked", "tasks/s", contenders);
    if let Some(value) = python_figure("proc_map_chunked") {
        report.record("proc_map_chunked", "python", value, "tasks/s");
    }

    // proc_startup_shutdown
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if cfut.is_some() {
        contenders.push(("cfut", Box::new(cfut_startup_shutdown)));
    }
    if procspawn.is_some() {
        contenders.push(("procspawn", Box::new(procspawn_startup_shutdown)));
    }
    contenders.push((
        "pipe-floor",
        Box::new(|| {
            timed_ms(|| {
                let mut children = EchoChildren::start(WORKERS);
                children.round_trip_p50(1);
                children.stop();
            })
        }),
    ));
    report.measure("proc_startup_shutdown", "ms", contenders);
    if let Some(value) = python_figure("proc_startup_shutdown") {
        report.record("proc_startup_shutdown", "python", value, "ms");
    }

    // proc_as_completed_10k
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    if let Some(pool) = &cfut {
        contenders.push(("cfut", Box::new(move || cfut_as_completed(pool))));
    }
    contenders.push((
        "pipe-floor",
        Box::new(|| floor.ping_pong_parallel(AS_COMPLETED_CALLS) * 1e3),
    ));
    report.measure("proc_as_completed_10k", "ms", contenders);
    if let Some(value) = python_figure("proc_as_completed_10k") {
        report.record("proc_as_completed_10k", "python", value, "ms");
    }

    if let Some(pool) = procspawn {
        pool.shutdown();
    }
}

fn timed_ms(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e3
}

fn warm_up(pool: &ProcessPoolExecutor) {
    let futures: Vec<_> = (0..WORKERS as u64 * 4)
        .map(|i| pool.submit(noop, i))
        .collect();
    for f in futures {
        f.result().expect("cfut warm-up");
    }
}

fn cfut_submit_result(pool: &ProcessPoolExecutor) -> f64 {
    let start = Instant::now();
    let futures: Vec<Future<u64>> = (0..SUBMIT_CALLS as u64)
        .map(|i| pool.submit(noop, i))
        .collect();
    let mut total = 0;
    for f in futures {
        total += f.result().expect("cfut call");
    }
    let elapsed = start.elapsed();
    assert_eq!(total, (SUBMIT_CALLS as u64 * (SUBMIT_CALLS as u64 - 1)) / 2);
    elapsed.as_secs_f64() * 1e6 / SUBMIT_CALLS as f64
}

fn procspawn_submit_result(pool: &procspawn::Pool) -> f64 {
    let start = Instant::now();
    let mut total = 0;
    let mut next = 0_u64;
    while (next as usize) < SUBMIT_CALLS {
        let batch = PROCSPAWN_IN_FLIGHT.min(SUBMIT_CALLS - next as usize) as u64;
        let handles: Vec<_> = (next..next + batch).map(|i| pool.spawn(i, noop)).collect();
        for handle in handles {
            total += handle.join().expect("procspawn call");
        }
        next += batch;
    }
    let elapsed = start.elapsed();
    assert_eq!(total, (SUBMIT_CALLS as u64 * (SUBMIT_CALLS as u64 - 1)) / 2);
    elapsed.as_secs_f64() * 1e6 / SUBMIT_CALLS as f64
}

fn cfut_round_trip(pool: &ProcessPoolExecutor) -> f64 {
    let samples = (0..ROUND_TRIPS as u64)
        .map(|i| {
            let start = Instant::now();
            assert_eq!(pool.submit(noop, i).result(), Ok(i));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median(samples)
}

fn procspawn_round_trip(pool: &procspawn::Pool) -> f64 {
    let samples = (0..PROCSPAWN_ROUND_TRIPS as u64)
        .map(|i| {
            let start = Instant::now();
            assert_eq!(pool.spawn(i, noop).join().expect("procspawn call"), i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median(samples)
}

fn cfut_map_chunked(pool: &ProcessPoolExecutor) -> f64 {
    let start = Instant::now();
    let chunk = NonZeroUsize::new(MAP_CHUNK).expect("non-zero");
    let mut n = 0_u64;
    for value in pool.map(noop, 0..MAP_INPUTS).chunksize(chunk).eager() {
        assert_eq!(value, Ok(n));
        n += 1;
    }
    let elapsed = start.elapsed();
    assert_eq!(n, MAP_INPUTS);
    MAP_INPUTS as f64 / elapsed.as_secs_f64()
}

fn procspawn_map_chunked(pool: &procspawn::Pool) -> f64 {
    let start = Instant::now();
    let inputs: Vec<u64> = (0..MAP_INPUTS).collect();
    let handles: Vec<_> = inputs
        .chunks(MAP_CHUNK)
        .map(|chunk| pool.spawn(chunk.to_vec(), noop_chunk))
        .collect();
    let mut n = 0_u64;
    for handle in handles {
        for value in handle.join().expect("procspawn call") {
            assert_eq!(value, n);
            n += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(n, MAP_INPUTS);
    MAP_INPUTS as f64 / elapsed.as_secs_f64()
}

fn cfut_startup_shutdown() -> f64 {
    timed_ms(|| {
        let pool = ProcessPoolExecutor::new(WORKERS).expect("cfut pool");
        assert_eq!(pool.submit(noop, 1).result(), Ok(1));
        drop(pool);
    })
}

fn procspawn_startup_shutdown() -> f64 {
    timed_ms(|| {
        let pool = procspawn::Pool::new(WORKERS).expect("procspawn pool");
        assert_eq!(pool.spawn(1, noop).join().expect("procspawn call"), 1);
        pool.shutdown();
    })
}

fn cfut_as_completed(pool: &ProcessPoolExecutor) -> f64 {
    timed_ms(|| {
        let mut futures: Vec<Future<u64>> = (0..AS_COMPLETED_CALLS as u64)
            .map(|i| pool.submit(noop, i))
            .collect();
        let waiter = Waiter::new();
        for (i, f) in futures.iter().enumerate() {
            f.watch(&waiter, i);
        }
        let mut ready = Vec::new();
        let mut drained = 0;
        while drained < AS_COMPLETED_CALLS {
            waiter.wait_into(&mut ready);
            for i in ready.drain(..) {
                let value = futures[i].try_result().expect("done").expect("cfut call");
                black_box(value);
                drained += 1;
            }
        }
    })
}

/// The pipe-floor child: echo standard input to standard output until end of file.
fn echo() {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        match input.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if output
                    .write_all(&buf[..n])
                    .and_then(|()| output.flush())
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Children of this binary echoing over pipes: the floor of any process pool.
struct EchoChildren {
    children: Vec<(Child, ChildStdin, ChildStdout)>,
}

impl EchoChildren {
    fn start(n: usize) -> Self {
        let children = (0..n)
            .map(|_| {
                let mut child = Command::new("/proc/self/exe")
                    .env(ECHO_ENV, "1")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("start an echo child");
                let stdin = child.stdin.take().expect("piped");
                let stdout = child.stdout.take().expect("piped");
                (child, stdin, stdout)
            })
            .collect();
        EchoChildren { children }
    }

    /// `calls` 8-byte ping-pongs, spread over the children in parallel; seconds.
    fn ping_pong_parallel(&mut self, calls: usize) -> f64 {
        let per_child = calls / self.children.len();
        let start = Instant::now();
        std::thread::scope(|scope| {
            for (_, stdin, stdout) in &mut self.children {
                scope.spawn(move || {
                    let mut reply = [0_u8; 8];
                    for i in 0..per_child as u64 {
                        stdin.write_all(&i.to_le_bytes()).expect("ping");
                        stdout.read_exact(&mut reply).expect("pong");
                        assert_eq!(u64::from_le_bytes(reply), i);
                    }
                });
            }
        });
        start.elapsed().as_secs_f64()
    }

    /// The median of `n` 8-byte ping-pongs with the first child, µs.
    fn round_trip_p50(&mut self, n: usize) -> f64 {
        let (_, stdin, stdout) = &mut self.children[0];
        let mut reply = [0_u8; 8];
        let samples = (0..n as u64)
            .map(|i| {
                let start = Instant::now();
                stdin.write_all(&i.to_le_bytes()).expect("ping");
                stdout.read_exact(&mut reply).expect("pong");
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        median(samples)
    }

    /// 200 chunks of 1 000 8-byte inputs ping-ponged, spread over the children; tasks/s.
    fn map_chunked(&mut self) -> f64 {
        let chunks = MAP_INPUTS as usize / MAP_CHUNK;
        let per_child = chunks / self.children.len();
        let start = Instant::now();
        std::thread::scope(|scope| {
            for (_, stdin, stdout) in &mut self.children {
                scope.spawn(move || {
                    let chunk = vec![7_u8; MAP_CHUNK * 8];
                    let mut reply = vec![0_u8; MAP_CHUNK * 8];
                    for _ in 0..per_child {
                        stdin.write_all(&chunk).expect("ping");
                        stdout.read_exact(&mut reply).expect("pong");
                    }
                });
            }
        });
        MAP_INPUTS as f64 / start.elapsed().as_secs_f64()
    }

    /// Closes the pipes and waits for the children.
    fn stop(&mut self) {
        for (mut child, stdin, stdout) in std::mem::take(&mut self.children) {
            drop(stdin);
            drop(stdout);
            child.wait().expect("echo child exits");
        }
    }
}

impl Drop for EchoChildren {
    fn drop(&mut self) {
        for (child, _, _) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
