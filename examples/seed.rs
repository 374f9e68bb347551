//! The notebook this project grew from, in Rust, through the `cfut` facade: `map`,
//! `submit` + `as_completed`, the same on worker processes, and the motivating case — hiding
//! the latency of network I/O behind a thread pool.
//!
//! ```text
//! cargo run --release --example seed
//! ```
//!
//! The Python notebook (12 lines) and its port (`main`'s first 12 statements, line for line):
//!
//! ```text
//! def foo(n):                                       fn foo(n: u64) -> u64 {
//!     print(f"starting {n}")                            println!("starting {n}");
//!     time.sleep(n / 10)                                sleep(Duration::from_millis(100 * n));
//!     print(f"end {n}")                                 println!("end {n}");
//!     return n * 10                                     n * 10 }
//! with ThreadPoolExecutor(2) as pool:               let pool = ThreadPoolExecutor::new(2)?;
//!     print(list(pool.map(foo, [5, 4, 3, 2, 1])))   println!("{:?}", pool.map(foo, [5, 4, 3, 2, 1]).collect::<Result<Vec<_>, _>>()?);
//! with ThreadPoolExecutor(2) as pool:               let pool = ThreadPoolExecutor::new(2)?;
//!     fs = [pool.submit(foo, n) for n in [5, 4, 3, 2, 1]]
//!                                                   let fs: Vec<_> = [5, 4, 3, 2, 1].map(|n| pool.submit(foo, n)).into();
//!     for f in as_completed(fs):                    for f in as_completed(fs) {
//!         print(f.result())                             println!("{}", f.result()?); }
//! ```
//!
//! Then the same on a `ProcessPoolExecutor` (the prints come from the worker processes),
//! futures of both pools in one `as_completed`, and 20 URLs fetched from a slow loopback
//! HTTP server one by one and on 8 threads, with the measured speed-up.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use cfut::prelude::*;

/// The seed's `foo`: announce, sleep `n` tenths of a second, announce, return `n × 10`.
fn foo(n: u64) -> u64 {
    println!("starting {n}");
    sleep(Duration::from_millis(100 * n));
    println!("end {n}");
    n * 10
}

/// How long the loopback server takes to answer each request.
const SERVER_DELAY: Duration = Duration::from_millis(100);
/// How many URLs part 4 fetches.
const URLS: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. map: results in input order; the run takes about the critical path (0.8 s).
    println!("== 1. map on a ThreadPoolExecutor with 2 workers");
    let start = Instant::now();
    let pool = ThreadPoolExecutor::new(2)?;
    let results = pool
        .map(foo, [5, 4, 3, 2, 1])
        .collect::<Result<Vec<_>, _>>()?;
    println!("{results:?}");
    println!(
        "took {:.2} s (the calls sum to 1.5 s; the critical path on 2 workers is 0.8 s)",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(results, [50, 40, 30, 20, 10]);

    // 2. submit + as_completed: results in completion order (calls start in submission
    //    order, as in Python).
    println!("\n== 2. submit and as_completed");
    let fs: Vec<_> = [5, 4, 3, 2, 1].map(|n| pool.submit(foo, n)).into();
    let mut in_completion_order = Vec::new();
    for f in as_completed(fs) {
        let value = f.result()?;
        println!("{value}");
        in_completion_order.push(value);
    }
    println!("in completion order: {in_completion_order:?}");

    // 3. The same on a process pool: the calls run in worker processes (re-executions of
    //    this binary), whose prints reach this terminal; then both pools in one as_completed.
    println!("\n== 3. map on a ProcessPoolExecutor with 2 workers");
    let processes = ProcessPoolExecutor::new(2)?;
    let start = Instant::now();
    let results = processes
        .map(foo, [5, 4, 3, 2, 1])
        .collect::<Result<Vec<_>, _>>()?;
    println!("{results:?}");
    println!(
        "took {:.2} s in worker processes {:?} (this process is {})",
        start.elapsed().as_secs_f64(),
        processes.worker_pids(),
        std::process::id()
    );
    assert_eq!(results, [50, 40, 30, 20, 10]);

    println!("\n== 3b. futures from both pools in one as_completed");
    let mixed = vec![
        pool.submit(foo, 3),
        pool.submit(foo, 1),
        processes.submit(foo, 4),
        processes.submit(foo, 2),
    ];
    let mut in_completion_order = Vec::new();
    for f in as_completed(mixed) {
        in_completion_order.push(f.result()?);
    }
    println!("threads and processes, in completion order: {in_completion_order:?}");
    let mut sorted = in_completion_order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [10, 20, 30, 40]);

    // 4. Latency hiding: fetch URLs from a slow loopback server, one by one and on 8 threads.
    println!("\n== 4. {URLS} HTTP requests, each answered after {SERVER_DELAY:?}");
    let address = start_server()?;
    let urls: Vec<String> = (0..URLS)
        .map(|i| format!("http://{address}/item/{i}"))
        .collect();

    let start = Instant::now();
    let sequential = urls
        .iter()
        .map(|url| fetch(url.clone()))
        .collect::<Vec<_>>();
    let sequential_time = start.elapsed();

    let fetchers = ThreadPoolExecutor::new(8)?;
    let start = Instant::now();
    let parallel = fetchers
        .map(fetch, urls.clone())
        .collect::<Result<Vec<_>, _>>()?;
    let parallel_time = start.elapsed();

    let sequential = sequential.into_iter().collect::<Result<Vec<_>, _>>()?;
    let parallel = parallel.into_iter().collect::<Result<Vec<_>, _>>()?;
    assert_eq!(sequential, parallel, "both runs fetched the same pages");
    println!("first page: {:?}", parallel[0]);
    println!(
        "one by one: {:.2} s; on 8 threads: {:.2} s; speed-up {:.1}×",
        sequential_time.as_secs_f64(),
        parallel_time.as_secs_f64(),
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
    Ok(())
}

/// Fetches `url` with a real HTTP client; the error as text, so it can cross threads.
fn fetch(url: String) -> Result<String, String> {
    ureq::get(&url)
        .call()
        .and_then(|mut response| response.body_mut().read_to_string())
        .map_err(|error| format!("{url}: {error}"))
}

/// Starts the loopback HTTP server on a free port; each connection gets its own thread, which
/// answers after `SERVER_DELAY`.
fn start_server() -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                if let Err(error) = answer(stream) {
                    eprintln!("server: {error}");
                }
            });
        }
    });
    Ok(address)
}

/// Reads one request (up to its blank line), waits, and answers with a small page naming the
/// path.
fn answer(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 0 && header != "\r\n" {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    std::thread::sleep(SERVER_DELAY);
    let body = format!("page {path}");
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
