//! Big arguments and results: plain buffers cross the process boundary as one block of bytes,
//! and a struct gets the same with one attribute per field. Then the echo figures: one call
//! at a time, a buffer sent to a worker and returned, against a floor of the same bytes
//! written to a child process over a socket pair and read back.
//!
//! ```text
//! cargo run --release -p cfut-processes --example big_payloads
//! ```
//!
//! No set-up line is needed: on Linux the worker check runs before `main`.

use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Instant;

use cfut_processes::ProcessPoolExecutor;
use serde::{Deserialize, Serialize};

/// A struct with buffers inside: the attribute gives each field the one-block path.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Tile {
    x: u32,
    y: u32,
    #[serde(with = "cfut_processes::raw")]
    pixels: Vec<u8>,
    #[serde(with = "cfut_processes::raw")]
    depth: Vec<f32>,
}

fn invert(mut tile: Tile) -> Tile {
    tile.pixels.iter_mut().for_each(|p| *p = 255 - *p);
    tile
}

/// Marks the floor's child: it echoes length-prefixed messages on its standard input.
const ECHO_CHILD: &str = "CFUT_BIG_PAYLOADS_ECHO";

fn main() {
    if std::env::var_os(ECHO_CHILD).is_some() {
        echo_child();
        return;
    }
    let pool = ProcessPoolExecutor::new(2).expect("a process pool");

    // Top-level buffers need nothing.
    let samples: Vec<f64> = (0..1000).map(f64::from).collect();
    let total = pool
        .submit(|v: Vec<f64>| v.iter().sum::<f64>(), samples)
        .result();
    assert_eq!(total, Ok(499_500.0));

    // Nested ones take one attribute per field.
    let tile = Tile {
        x: 1,
        y: 2,
        pixels: vec![10; 256 * 256],
        depth: vec![0.5; 256 * 256],
    };
    let inverted = pool
        .submit(invert, tile)
        .result()
        .expect("the tile comes back");
    assert_eq!((inverted.pixels[0], inverted.depth[0]), (245, 0.5));

    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let mut floor = EchoChild::start();
    println!(
        "echo of one buffer, one call at a time, 2 workers: median ms per round trip ({runs} runs)"
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>12}",
        "size", "Vec<u8>", "Vec<f64>", "String", "socket-floor"
    );
    // Around the size from which a buffer travels as a block of its own (64 KiB), and above.
    for kib in [16_usize, 64, 256, 1024, 16 * 1024] {
        let bytes = kib << 10;
        let data = vec![7_u8; bytes];
        let floats = vec![1.5_f64; bytes / 8];
        let text = "x".repeat(bytes);
        let u8s = median(runs, || {
            let back = pool.submit(|v: Vec<u8>| v, data.clone()).result().unwrap();
            assert_eq!(back.len(), bytes);
        });
        let f64s = median(runs, || {
            let back = pool
                .submit(|v: Vec<f64>| v, floats.clone())
                .result()
                .unwrap();
            assert_eq!(back.len(), bytes / 8);
        });
        let strings = median(runs, || {
            let back = pool.submit(|s: String| s, text.clone()).result().unwrap();
            assert_eq!(back.len(), bytes);
        });
        let socket = median(runs, || floor.echo(&data));
        println!(
            "{:<10} {u8s:>10.3} {f64s:>10.3} {strings:>10.3} {socket:>12.3}",
            if kib < 1024 {
                format!("{kib} KiB")
            } else {
                format!("{} MiB", kib >> 10)
            }
        );
    }
}

/// The median of `runs` timings of `f`, in milliseconds.
fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The floor: a child of this binary that reads a whole length-prefixed message from its
/// socket, then writes it back (store and forward, as a worker does with a call).
struct EchoChild {
    socket: UnixStream,
    child: std::process::Child,
    back: Vec<u8>,
}

impl EchoChild {
    fn start() -> Self {
        let (socket, theirs) = UnixStream::pair().expect("a socket pair");
        let child = Command::new("/proc/self/exe")
            .env(ECHO_CHILD, "1")
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .spawn()
            .expect("the echo child");
        EchoChild {
            socket,
            child,
            back: Vec::new(),
        }
    }

    /// Sends `data` (the copy a caller's buffer makes into a frame included) and reads it
    /// back into a fresh buffer.
    fn echo(&mut self, data: &[u8]) {
        let mut frame = Vec::with_capacity(4 + data.len());
        frame.extend_from_slice(&(data.len() as u32).to_le_bytes());
        frame.extend_from_slice(data);
        self.socket.write_all(&frame).unwrap();
        self.back = vec![0; data.len()];
        self.socket.read_exact(&mut self.back).unwrap();
    }
}

impl Drop for EchoChild {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
        let _ = self.child.wait();
    }
}

fn echo_child() {
    // SAFETY: fd 0 is the socket the parent gave us, used by nothing else in this process.
    let mut channel = unsafe { <UnixStream as std::os::fd::FromRawFd>::from_raw_fd(0) };
    let mut length = [0_u8; 4];
    while channel.read_exact(&mut length).is_ok() {
        let mut message = vec![0; u32::from_le_bytes(length) as usize];
        channel.read_exact(&mut message).unwrap();
        channel.write_all(&message).unwrap();
    }
}
