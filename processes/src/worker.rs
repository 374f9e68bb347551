//! The worker side: how a re-executed binary becomes a worker and serves calls.
//!
//! The parent starts `/proc/self/exe` with [`WORKER_ENV`] set and one end of a socket pair as
//! the child's standard input. In the child, [`init`] — run automatically by a constructor
//! before `main`, or by an explicit call — sees the variable, moves the socket off
//! standard input (which becomes `/dev/null`), checks the build identity, runs the
//! initializer, then serves calls until the parent closes its end, and exits. `main` (or the
//! test harness, for a test binary) never runs in a worker.

use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use crate::block::Block;
use crate::board::{self, Board, QUEUED_ID};
use crate::initializer::{self, Initializer};
use crate::ring::Ring;
use crate::task::{self, Trampoline};
use crate::tuning::WORKER_SPIN;
use crate::{image, wire};

/// The environment variable that marks a worker process. Internal: never set it by hand.
pub(crate) const WORKER_ENV: &str = "CFUT_PROCESSES_WORKER";

/// Exit status of a worker whose standard input is not a worker channel.
const EXIT_NO_CHANNEL: i32 = 97;
/// Exit status of a worker that refused to serve (identity mismatch, initializer panic).
const EXIT_REFUSED: i32 = 98;
/// Exit status of a worker that received a frame it does not understand.
const EXIT_PROTOCOL: i32 = 99;

/// Runs the worker loop if this process is a worker of a [`ProcessPoolExecutor`], and never
/// returns then; otherwise returns at once.
///
/// On Linux this already runs automatically before `main` (from an `.init_array`
/// constructor), in every binary that links this crate: programs, examples, integration
/// tests and doctests need no set-up at all. Calling it first thing in `main` is harmless,
/// and is the one line of set-up to add where constructors do not run (for example if the
/// binary is built in a way that drops `.init_array` entries).
///
/// # Examples
///
/// ```
/// cfut_processes::init(); // optional on Linux; the first line of `main` if used
/// let pool = cfut_processes::ProcessPoolExecutor::new(1).unwrap();
/// assert_eq!(pool.submit(|x: u8| x + 1, 1).result(), Ok(2));
/// ```
///
/// [`ProcessPoolExecutor`]: crate::ProcessPoolExecutor
pub fn init() {
    if std::env::var_os(WORKER_ENV).is_none() {
        return;
    }
    // SAFETY: a worker runs this before `main` (from the constructor) or first thing in
    // `main`, while it is single-threaded: nothing reads the environment concurrently. The
    // variable is removed so that processes this worker starts are not workers themselves.
    unsafe { std::env::remove_var(WORKER_ENV) };
    std::process::exit(serve());
}

/// The constructor that makes [`init`] run before `main` in every binary linking the crate.
/// The pool builder references it, so the linker keeps it whenever a pool can exist.
#[cfg(all(target_os = "linux", not(cfut_loom)))]
#[used]
#[unsafe(link_section = ".init_array")]
pub(crate) static CONSTRUCTOR: extern "C" fn() = constructor;

#[cfg(all(target_os = "linux", not(cfut_loom)))]
extern "C" fn constructor() {
    // `init` does not unwind: a panic inside a call is caught, and the worker loop itself
    // only exits the process.
    init();
}

/// Keeps [`CONSTRUCTOR`] linked into the binary.
pub(crate) fn keep_constructor() {
    #[cfg(all(target_os = "linux", not(cfut_loom)))]
    std::hint::black_box(&CONSTRUCTOR);
}

/// Takes the socket from standard input and puts `/dev/null` there.
fn take_channel() -> std::io::Result<UnixStream> {
    // SAFETY: `fcntl(F_DUPFD_CLOEXEC)` on fd 0 has no memory effects; the result is checked.
    let fd = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created by `fcntl` and is owned by nobody else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: `fstat` writes into the zeroed `stat` we own.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `owned` is open; `stat` is valid for writes.
    if unsafe { libc::fstat(fd, &mut stat) } != 0 || stat.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return Err(std::io::Error::other("standard input is not a socket"));
    }
    let null = std::fs::File::open("/dev/null")?;
    // SAFETY: both descriptors are open; `dup2` replaces fd 0, which we no longer use.
    if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(UnixStream::from(owned))
}

/// The worker: returns its exit status.
fn serve() -> i32 {
    let channel = match take_channel() {
        Ok(channel) => channel,
        Err(error) => {
            eprintln!(
                "cfut-processes: {WORKER_ENV} is set but this process has no worker channel \
                 ({error}); it must only be set by ProcessPoolExecutor"
            );
            return EXIT_NO_CHANNEL;
        }
    };
    // A Rust `main` would have done this; a worker never reaches `main`. Writes use
    // `MSG_NOSIGNAL` anyway; this covers the user's own pipes.
    // SAFETY: setting a signal disposition to `SIG_IGN` has no memory effects.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    task::install_panic_hook();
    // The cancel board comes with the parent's first bytes; a parent that could not make one
    // sends no calls ahead.
    let board = match board::receive(channel.as_fd()) {
        Ok(Some(fd)) => Board::open(fd).ok(),
        Ok(None) | Err(_) => None,
    };
    let mut worker = Worker {
        channel,
        inbox: wire::Inbox::new(),
        out: wire::Outbox::with_capacity(crate::tuning::BUFFER),
        limit: wire::DEFAULT_MAX_FRAME,
        board,
        poll_first: false,
        socket_sent: 0,
    };
    worker.run()
}

struct Worker {
    channel: UnixStream,
    inbox: wire::Inbox,
    out: wire::Outbox,
    /// The pool's frame limit (from the set-up frame).
    limit: usize,
    /// Decides, with the parent, whether a call sent ahead starts (`board.rs`).
    board: Option<Board>,
    /// Whether to poll for the next call before sleeping ([`Worker::receive_next`]): the
    /// last call was not sent ahead, so it came to an idle worker, as calls made one at a
    /// time do. A worker fed calls ahead by a busy pool sleeps at once instead: its parent
    /// has results to read and calls to send, and needs the CPU more than this worker needs
    /// to wake fast.
    poll_first: bool,
    /// Bytes written to the socket since the start (see `ring.rs` for why they are counted).
    socket_sent: u64,
}

enum Next {
    Frame(usize),
    Closed,
}

impl Worker {
    fn run(&mut self) -> i32 {
        // Start-up: identity, initializer, READY.
        let length = match self.next_frame() {
            Next::Frame(length) => length,
            Next::Closed => return 0,
        };
        let started = start(&self.inbox.data()[..4 + length], self.out.bytes_mut());
        self.inbox.consume(4 + length);
        match started {
            Start::Ready { limit } => {
                self.limit = limit;
                self.inbox.set_limit(limit);
            }
            Start::Refused => {
                let _ = self.flush();
                return EXIT_REFUSED;
            }
            Start::Malformed(message) => {
                eprintln!("cfut-processes worker: {message}");
                return EXIT_PROTOCOL;
            }
        }
        if self.flush().is_err() {
            return 0;
        }

        // Serving.
        loop {
            let length = match self.next_frame() {
                Next::Frame(length) => length,
                Next::Closed => {
                    let _ = self.flush();
                    return 0;
                }
            };
            let frame = &self.inbox.data()[..4 + length];
            let ahead = sent_ahead(frame);
            self.poll_first = ahead.is_none();
            match may_start(self.board.as_ref(), ahead, self.out.bytes_mut()) {
                Ok(true) => {}
                Ok(false) => {
                    self.inbox.consume(4 + length);
                    continue;
                }
                Err(message) => {
                    eprintln!("cfut-processes worker: {message}");
                    return EXIT_PROTOCOL;
                }
            }
            // The results so far (and this call's `STARTED`) are handed over before the call
            // starts: once in the result ring or the socket, a result survives the worker, so
            // if this call kills it, the parent knows exactly which call died (the first
            // unanswered one) and that the ones queued behind it never started.
            if self.flush().is_err() {
                return 0;
            }
            let frame = &self.inbox.data()[..4 + length];
            let block = self.inbox.take_block();
            if let Err(message) = run_call(frame, block, &mut self.out, self.limit) {
                eprintln!("cfut-processes worker: {message}");
                return EXIT_PROTOCOL;
            }
            self.inbox.consume(4 + length);
        }
    }

    /// The next complete frame in the inbox, receiving (and first flushing results) as needed.
    fn next_frame(&mut self) -> Next {
        loop {
            match self.inbox.next() {
                Ok(Some((length, _))) if self.inbox.data().len() >= 4 + length && length >= 1 => {
                    return Next::Frame(length);
                }
                Ok(_) => {}
                Err(message) => {
                    eprintln!("cfut-processes worker: {message}");
                    return Next::Closed;
                }
            }
            // Nothing complete to run: send what is done before blocking.
            if self.flush().is_err() {
                return Next::Closed;
            }
            let received = if self.inbox.drained() {
                self.receive_next()
            } else {
                self.inbox.fill(self.channel.as_fd(), true)
            };
            match received {
                Ok(0) => return Next::Closed,
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    if wire::wait_readable(self.channel.as_fd()).is_err() {
                        return Next::Closed;
                    }
                }
                Err(_) => return Next::Closed,
            }
        }
    }

    /// Receives once the socket, drained by the last receive, has input. With `poll_first`,
    /// first yields the CPU and receives without blocking, again and again, until something
    /// arrives or [`WORKER_SPIN`] has passed: a call that follows soon after the last result
    /// finds this worker awake. Waking a sleeping worker is what a one-at-a-time call costs
    /// most (the kernel must wake an idle CPU for it). The yield comes before each attempt,
    /// the first one right after the result went out: the parent's manager, woken by that
    /// result and usually queued on this very CPU, reads it at once instead of after this
    /// worker's first receive (`WORKER_SPIN` gives the figures).
    fn receive_next(&mut self) -> std::io::Result<usize> {
        if self.poll_first {
            let start = Instant::now();
            loop {
                crate::loom::thread::yield_now();
                match self.inbox.fill(self.channel.as_fd(), true) {
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                    received => return received,
                }
                if start.elapsed() >= WORKER_SPIN {
                    break;
                }
            }
        }
        wire::wait_readable(self.channel.as_fd())?;
        self.inbox.fill(self.channel.as_fd(), true)
    }

    /// Hands the frames in `out` to the parent: through the result ring if they fit there
    /// and the parent read everything sent through the socket, else through the socket once
    /// the parent took everything from the ring (the order of the two, `ring.rs`).
    fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        if let Some(board) = &self.board {
            let ring = board.ring();
            // `Some(wake the parent)` if the frames went into the ring.
            let pushed = (ring.socket_caught_up(self.socket_sent)
                && self.out.frames().is_some_and(|frames| ring.push(frames)))
            .then(|| ring.wake_wanted());
            match pushed {
                Some(wake) => {
                    self.out.clear();
                    return if wake {
                        self.send(&wire::NUDGE_FRAME)
                    } else {
                        Ok(())
                    };
                }
                None => self.wait_taken(&ring)?,
            }
        }
        self.socket_sent += self.out.unsent_len() as u64;
        let result = self.out.flush(self.channel.as_fd(), false);
        self.out.clear();
        result
    }

    /// Writes `bytes` to the socket, counted.
    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.socket_sent += bytes.len() as u64;
        let mut sent = 0;
        while sent < bytes.len() {
            sent += wire::send(self.channel.as_fd(), &bytes[sent..], false)?;
        }
        Ok(())
    }

    /// Waits until the parent took every frame from the ring, before frames go through the
    /// socket. The parent was woken by the push that left them there if it slept (`ring.rs`),
    /// so this is a short wait; an error once the parent closed the socket.
    fn wait_taken(&self, ring: &Ring<'_>) -> std::io::Result<()> {
        let mut looks = 0_u32;
        while !ring.is_taken() {
            looks += 1;
            if looks < 64 {
                crate::loom::thread::yield_now();
                continue;
            }
            // Long enough that the parent may be gone: look at the socket, 1 ms at a time.
            let mut fd = libc::pollfd {
                fd: std::os::fd::AsRawFd::as_raw_fd(&self.channel),
                events: libc::POLLRDHUP,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut fd, 1, 1) };
            if fd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
        }
        Ok(())
    }
}

/// The id of `frame` if it is a call sent ahead to this worker while it was busy.
fn sent_ahead(frame: &[u8]) -> Option<u64> {
    match wire::header(frame) {
        Some((_, wire::CALL)) => wire::u64_at(frame, wire::ID_AT).filter(|id| id & QUEUED_ID != 0),
        _ => None,
    }
}

/// For a call sent ahead (`ahead`: its id, from [`sent_ahead`]), wins its cell of the cancel
/// board and appends `STARTED`, or finds it cancelled and appends its `RESULT` of status
/// `CANCELLED` (then `false`: skip it). Other frames may start.
fn may_start(board: Option<&Board>, ahead: Option<u64>, out: &mut Vec<u8>) -> Result<bool, String> {
    let Some(id) = ahead else {
        return Ok(true);
    };
    let Some(board) = board else {
        return Err("a call sent ahead, but no cancel board was handed over".to_owned());
    };
    if board.start(id) {
        let start = wire::begin(out, wire::STARTED);
        out.extend_from_slice(&id.to_le_bytes());
        wire::end(out, start).expect("a small frame");
        Ok(true)
    } else {
        let start = wire::begin(out, wire::RESULT);
        out.extend_from_slice(&id.to_le_bytes());
        out.push(wire::CANCELLED);
        out.extend_from_slice(&0_u32.to_le_bytes());
        wire::end(out, start).expect("a small frame");
        Ok(false)
    }
}

/// Appends the `SETUP` frame a worker expects first: the parent's build `identity`, the
/// initializer to run, if any, and the largest frame the parent accepts (`max_frame`).
pub(crate) fn setup_frame(
    out: &mut Vec<u8>,
    identity: u64,
    initializer: Option<&Initializer>,
    max_frame: usize,
) -> Result<(), String> {
    let start = wire::begin(out, wire::SETUP);
    out.extend_from_slice(&identity.to_le_bytes());
    out.extend_from_slice(&(max_frame as u64).to_le_bytes());
    Initializer::write_setup(initializer, out);
    wire::end(out, start)
}

/// How a worker's start-up ended (see [`start`]).
#[derive(Debug)]
pub(crate) enum Start {
    /// `READY` was appended: serve calls, with results of at most `limit` bytes (the
    /// parent's frame limit).
    Ready {
        /// The parent's frame limit.
        limit: usize,
    },
    /// `REFUSED` was appended (another build, or the initializer panicked): send it, stop.
    Refused,
    /// The frame was not a well-formed `SETUP`: nothing was appended.
    Malformed(String),
}

/// The worker's start-up step, shared by every transport: checks the whole `SETUP` `frame`
/// (the parent's build identity against this process's), runs the initializer, and appends
/// `READY` (with this process id) or `REFUSED` (with the reason) to `out`.
pub(crate) fn start(frame: &[u8], out: &mut Vec<u8>) -> Start {
    let Some((length, kind)) = wire::header(frame) else {
        return Start::Malformed(format!("a set-up frame of {} bytes", frame.len()));
    };
    let body = frame.get(wire::HEADER..4 + length).unwrap_or(&[]);
    if kind != wire::SETUP || body.len() < 25 {
        return Start::Malformed(format!("expected a set-up frame, got kind {kind}"));
    }
    let identity = wire::u64_at(body, 0).unwrap_or(0);
    let limit = wire::u64_at(body, 8).map_or(wire::DEFAULT_MAX_FRAME, |l| l as usize);
    let refuse = |out: &mut Vec<u8>, reason: &str| {
        let start = wire::begin(out, wire::REFUSED);
        out.extend_from_slice(reason.as_bytes());
        let _ = wire::end(out, start);
        Start::Refused
    };
    if identity != image::identity() {
        return refuse(
            out,
            &format!(
                "the worker process is not the same build as the parent (build identity {:#x} \
                 here, {identity:#x} in the parent; {}): a different binary was started as \
                 the worker",
                image::identity(),
                match image::build_id() {
                    Some(_) => "identities come from the linker's build id",
                    None => "identities hash the executable's code",
                }
            ),
        );
    }
    if let Err(reason) = initializer::run_from_setup(body) {
        return refuse(out, &reason);
    }
    let start = wire::begin(out, wire::READY);
    out.extend_from_slice(&std::process::id().to_le_bytes());
    wire::end(out, start).expect("a small frame");
    Start::Ready { limit }
}

/// The per-call step of every worker, whatever carries the frames: runs the whole `CALL`
/// `frame` (whose argument is `block` if it came as one) and appends its `RESULT` frame to
/// `out` (after the `BLOCK` frame of its value, if `out` takes blocks and the value is a big
/// plain buffer); a result frame over `limit` bytes is replaced by a `NOT_PORTABLE` one
/// saying so. `Err` if the frame is malformed (then nothing was appended and the worker
/// should stop).
pub(crate) fn run_call(
    frame: &[u8],
    block: Option<Block>,
    out: &mut wire::Outbox,
    limit: usize,
) -> Result<(), String> {
    let length = match wire::header(frame) {
        Some((length, wire::CALL)) if length > 24 && frame.len() >= 4 + length => length,
        Some((length, kind)) => {
            return Err(format!("unexpected frame kind {kind} ({length} bytes)"));
        }
        None => return Err(format!("a frame of {} bytes", frame.len())),
    };
    let frame = &frame[..4 + length];
    let id = wire::u64_at(frame, wire::ID_AT).unwrap_or(0);
    let trampoline = image::address(wire::u64_at(frame, wire::ID_AT + 8).unwrap_or(0));
    let func = image::address(wire::u64_at(frame, wire::ID_AT + 16).unwrap_or(0));
    let arg = task::Arg {
        payload: &frame[wire::HEADER + 24..],
        block,
    };
    let mut value_block = None;
    let takes_blocks = out.takes_blocks();
    let bytes = out.bytes_mut();
    let start = wire::begin(bytes, wire::RESULT);
    bytes.extend_from_slice(&id.to_le_bytes());
    let status_at = bytes.len();
    bytes.push(wire::OK);
    bytes.extend_from_slice(&0_u32.to_le_bytes());
    let started = Instant::now();
    let status = if image::contains(trampoline) && image::contains(func) {
        let mut result = task::Out {
            bytes: &mut *bytes,
            block: takes_blocks.then_some(&mut value_block),
        };
        // SAFETY: the parent built this frame from a trampoline instantiated for the function
        // whose offset follows, in the same build (identity checked at start-up); both
        // addresses lie inside the executable image.
        unsafe {
            let trampoline = std::mem::transmute::<usize, Trampoline>(trampoline);
            trampoline(func, arg, &mut result)
        }
    } else {
        bytes.extend_from_slice(b"the call's function lies outside the worker's executable");
        wire::NOT_PORTABLE
    };
    bytes[status_at] = status;
    let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    bytes[status_at + 1..status_at + 5].copy_from_slice(&micros.to_le_bytes());
    // A value's block frame is held to the limit like the result frame itself.
    let fits = value_block
        .as_ref()
        .map_or(Ok(()), |block| wire::check_limit(1 + block.len(), limit));
    if let Err(message) = fits.and_then(|()| wire::end_within(bytes, start, limit)) {
        bytes.truncate(start);
        value_block = None;
        let message = format!("the worker cannot send the result: {message}");
        let start = wire::begin(bytes, wire::RESULT);
        bytes.extend_from_slice(&id.to_le_bytes());
        bytes.push(wire::NOT_PORTABLE);
        bytes.extend_from_slice(&0_u32.to_le_bytes());
        bytes.extend_from_slice(message.as_bytes());
        wire::end(bytes, start).expect("a small frame");
    }
    if let Some(block) = value_block {
        out.insert_block(start, block);
    }
    Ok(())
}
