//! The floors of the processes suite: children of this binary that echo whatever arrives on
//! their standard input to their standard output — the least any process pool can cost.
//!
//! [`EchoChildren`] talk to their children over pipes, 8 bytes per call: one at a time
//! (ping-pong: write, wait for the reply, repeat) or pipelined (a writer streams every request
//! while a reader takes the replies as they come). [`SocketEcho`] talks to one child over a
//! socket pair, for big payloads.

use std::io::{BufReader, Read as _, Write as _};
use std::os::fd::{AsRawFd as _, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use crate::report::median;

/// Marks a child of this binary that echoes standard input to standard output.
const ECHO_ENV: &str = "CFUT_COMPARE_ECHO_CHILD";

/// The first thing `main` does: if this process is an echo child, echo until end of file and
/// exit.
pub(crate) fn init() {
    if std::env::var_os(ECHO_ENV).is_some() {
        echo();
        std::process::exit(0);
    }
}

/// The echo child: standard input to standard output until end of file.
fn echo() {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let mut buf = vec![0_u8; 1 << 20];
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

fn echo_child(stdin: Stdio, stdout: Stdio) -> Child {
    Command::new("/proc/self/exe")
        .env(ECHO_ENV, "1")
        .stdin(stdin)
        .stdout(stdout)
        .spawn()
        .expect("start an echo child")
}

/// Echo children over pipes.
#[derive(Debug)]
pub(crate) struct EchoChildren {
    children: Vec<(Child, ChildStdin, ChildStdout)>,
}

impl EchoChildren {
    pub(crate) fn start(n: usize) -> Self {
        let children = (0..n)
            .map(|_| {
                let mut child = echo_child(Stdio::piped(), Stdio::piped());
                let stdin = child.stdin.take().expect("piped");
                let stdout = child.stdout.take().expect("piped");
                (child, stdin, stdout)
            })
            .collect();
        EchoChildren { children }
    }

    /// `calls` 8-byte ping-pongs, spread over the children in parallel.
    pub(crate) fn ping_pong_parallel(&mut self, calls: usize) {
        let per_child = calls / self.children.len();
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
    }

    /// `calls` 8-byte requests, spread over the children, pipelined: for each child one
    /// thread writes its requests (one `write` each, as a pool sends one message per call)
    /// while another reads the replies as they come.
    pub(crate) fn pipelined(&mut self, calls: usize) {
        let per_child = calls / self.children.len();
        std::thread::scope(|scope| {
            for (_, stdin, stdout) in &mut self.children {
                scope.spawn(move || {
                    for i in 0..per_child as u64 {
                        stdin.write_all(&i.to_le_bytes()).expect("request");
                    }
                });
                scope.spawn(move || {
                    let mut replies = BufReader::with_capacity(64 * 1024, stdout);
                    let mut reply = [0_u8; 8];
                    for i in 0..per_child as u64 {
                        replies.read_exact(&mut reply).expect("reply");
                        assert_eq!(u64::from_le_bytes(reply), i);
                    }
                });
            }
        });
    }

    /// The median of `n` 8-byte ping-pongs with the first child, µs.
    pub(crate) fn round_trip_p50(&mut self, n: usize) -> f64 {
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

    /// `chunks` ping-pongs of `chunk_bytes` bytes, spread over the children.
    pub(crate) fn chunks(&mut self, chunks: usize, chunk_bytes: usize) {
        let per_child = chunks / self.children.len();
        std::thread::scope(|scope| {
            for (_, stdin, stdout) in &mut self.children {
                scope.spawn(move || {
                    let chunk = vec![7_u8; chunk_bytes];
                    let mut reply = vec![0_u8; chunk_bytes];
                    for _ in 0..per_child {
                        stdin.write_all(&chunk).expect("ping");
                        stdout.read_exact(&mut reply).expect("pong");
                    }
                });
            }
        });
    }

    /// One ping-pong with every child at once (each child exists and answers).
    pub(crate) fn ping_each(&mut self) {
        self.ping_pong_parallel(self.children.len());
    }

    /// Closes the pipes and waits for (reaps) the children.
    pub(crate) fn stop(&mut self) {
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

/// One echo child over a socket pair (its standard input and output are the same socket).
#[derive(Debug)]
pub(crate) struct SocketEcho {
    child: Child,
    socket: UnixStream,
}

impl SocketEcho {
    pub(crate) fn start() -> Self {
        let (socket, theirs) = UnixStream::pair().expect("socket pair");
        let input: OwnedFd = theirs.try_clone().expect("dup the socket").into();
        let output: OwnedFd = theirs.into();
        let child = echo_child(Stdio::from(input), Stdio::from(output));
        socket.set_nonblocking(true).expect("non-blocking socket");
        SocketEcho { child, socket }
    }

    /// Writes `payload` to the child and reads it back into `back` (same length), writing and
    /// reading as the socket allows, in one thread.
    pub(crate) fn round_trip(&mut self, payload: &[u8], back: &mut [u8]) {
        assert_eq!(payload.len(), back.len());
        let (mut sent, mut got) = (0, 0);
        while got < back.len() {
            let mut progressed = false;
            if sent < payload.len() {
                match (&self.socket).write(&payload[sent..]) {
                    Ok(n) => {
                        sent += n;
                        progressed = true;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("socket floor write: {e}"),
                }
            }
            match (&self.socket).read(&mut back[got..]) {
                Ok(0) => panic!("the echo child closed its socket"),
                Ok(n) => {
                    got += n;
                    progressed = true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("socket floor read: {e}"),
            }
            if !progressed {
                let events = if sent < payload.len() {
                    libc::POLLIN | libc::POLLOUT
                } else {
                    libc::POLLIN
                };
                let mut fd = libc::pollfd {
                    fd: self.socket.as_raw_fd(),
                    events,
                    revents: 0,
                };
                // SAFETY: one valid pollfd, for the duration of the call.
                unsafe { libc::poll(&mut fd, 1, -1) };
            }
        }
    }
}

impl Drop for SocketEcho {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
        let _ = self.child.wait();
    }
}
