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

use crate::task::{self, Trampoline};
use crate::{image, initializer, wire};

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
    let mut worker = Worker {
        channel,
        inbox: wire::Inbox::new(),
        out: Vec::with_capacity(64 * 1024),
        limit: wire::DEFAULT_MAX_FRAME,
    };
    worker.run()
}

struct Worker {
    channel: UnixStream,
    inbox: wire::Inbox,
    out: Vec<u8>,
    /// The pool's frame limit (from the set-up frame).
    limit: usize,
}

enum Next {
    Frame(usize, u8),
    Closed,
}

impl Worker {
    fn run(&mut self) -> i32 {
        // Start-up: identity, initializer, READY.
        let (length, kind) = match self.next_frame() {
            Next::Frame(length, kind) => (length, kind),
            Next::Closed => return 0,
        };
        let body = &self.inbox.data()[wire::HEADER..4 + length];
        if kind != wire::SETUP || body.len() < 25 {
            eprintln!("cfut-processes worker: expected a set-up frame, got kind {kind}");
            return EXIT_PROTOCOL;
        }
        let identity = wire::u64_at(body, 0).unwrap_or(0);
        let limit = wire::u64_at(body, 8).map_or(wire::DEFAULT_MAX_FRAME, |l| l as usize);
        if identity != image::identity() {
            self.inbox.consume(4 + length);
            return self.refuse(&format!(
                "the worker process is not the same build as the parent (build identity {:#x} \
                 here, {identity:#x} in the parent; {}): a different binary was started as \
                 the worker",
                image::identity(),
                match image::build_id() {
                    Some(_) => "identities come from the linker's build id",
                    None => "identities hash the executable's code",
                }
            ));
        }
        let initialized = initializer::run_from_setup(body);
        self.inbox.consume(4 + length);
        self.limit = limit;
        self.inbox.set_limit(limit);
        if let Err(reason) = initialized {
            return self.refuse(&reason);
        }
        let start = wire::begin(&mut self.out, wire::READY);
        self.out
            .extend_from_slice(&std::process::id().to_le_bytes());
        wire::end(&mut self.out, start).expect("a small frame");
        if self.flush().is_err() {
            return 0;
        }

        // Serving.
        loop {
            let (length, kind) = match self.next_frame() {
                Next::Frame(length, kind) => (length, kind),
                Next::Closed => {
                    let _ = self.flush();
                    return 0;
                }
            };
            if kind != wire::CALL || length < 1 + 24 {
                eprintln!("cfut-processes worker: unexpected frame kind {kind} ({length} bytes)");
                return EXIT_PROTOCOL;
            }
            let frame = &self.inbox.data()[..4 + length];
            let id = wire::u64_at(frame, wire::ID_AT).unwrap_or(0);
            let trampoline = image::address(wire::u64_at(frame, wire::ID_AT + 8).unwrap_or(0));
            let func = image::address(wire::u64_at(frame, wire::ID_AT + 16).unwrap_or(0));
            let payload = &frame[wire::HEADER + 24..];
            let start = wire::begin(&mut self.out, wire::RESULT);
            self.out.extend_from_slice(&id.to_le_bytes());
            let status_at = self.out.len();
            self.out.push(wire::OK);
            self.out.extend_from_slice(&0_u32.to_le_bytes());
            let started = Instant::now();
            let status = if image::contains(trampoline) && image::contains(func) {
                // SAFETY: the parent built this frame from a trampoline instantiated for the
                // function whose offset follows, in the same build (identity checked at
                // start-up); both addresses lie inside the executable image.
                unsafe {
                    let trampoline = std::mem::transmute::<usize, Trampoline>(trampoline);
                    trampoline(func, payload, &mut self.out)
                }
            } else {
                self.out
                    .extend_from_slice(b"the call's function lies outside the worker's executable");
                wire::NOT_PORTABLE
            };
            self.out[status_at] = status;
            let took = started.elapsed();
            let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
            self.out[status_at + 1..status_at + 5].copy_from_slice(&micros.to_le_bytes());
            if let Err(message) = wire::end_within(&mut self.out, start, self.limit) {
                let message = format!("the worker cannot send the result: {message}");
                let start = wire::begin(&mut self.out, wire::RESULT);
                self.out.extend_from_slice(&id.to_le_bytes());
                self.out.push(wire::NOT_PORTABLE);
                self.out.extend_from_slice(&0_u32.to_le_bytes());
                self.out.extend_from_slice(message.as_bytes());
                wire::end(&mut self.out, start).expect("a small frame");
            }
            self.inbox.consume(4 + length);
            // Sent before the next call starts: once in the socket, a result survives the
            // worker, so if a later call kills it, the parent knows exactly which call died
            // (the first unanswered one) and that the ones queued behind it never started.
            if self.flush().is_err() {
                return 0;
            }
        }
    }

    /// The next complete frame in the inbox, receiving (and first flushing results) as needed.
    fn next_frame(&mut self) -> Next {
        loop {
            match self.inbox.next() {
                Ok(Some((length, kind)))
                    if self.inbox.data().len() >= 4 + length && length >= 1 =>
                {
                    return Next::Frame(length, kind);
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
            match self.inbox.fill(self.channel.as_fd(), false) {
                Ok(0) | Err(_) => return Next::Closed,
                Ok(_) => {}
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let result = wire::send_all(self.channel.as_fd(), &self.out);
        self.out.clear();
        result
    }

    fn refuse(&mut self, reason: &str) -> i32 {
        let start = wire::begin(&mut self.out, wire::REFUSED);
        self.out.extend_from_slice(reason.as_bytes());
        let _ = wire::end(&mut self.out, start);
        let _ = self.flush();
        EXIT_REFUSED
    }
}
