//! The cancel board: memory shared by the parent and one worker, in which a call sent ahead
//! to a busy worker is either started by the worker or cancelled by the parent — exactly one
//! of the two, decided by one atomic cell. The same mapping carries the worker's result ring
//! (`ring.rs`).
//!
//! # Why
//!
//! At saturation with short calls the manager sends calls ahead to busy workers, so that they
//! travel in batches (`manager.rs`). DESIGN.md §4 keeps a call cancellable until a worker
//! starts it, but a call in a worker's socket is out of the parent's reach, and asking the
//! worker would cost a round trip per call — the very cost the batching saves. So the two
//! sides share the decision instead: each call sent ahead has a cell here, set to
//! [`QUEUED`] before the frame leaves; the worker moves it to [`STARTED`] before it runs the
//! call, the future's cancel arbiter (`Promise::set_cancel_arbiter`, model-checked in
//! `cfut-core`'s `loom_arbiter`) moves it to [`CANCELLED`], and a compare-and-swap lets only
//! one of them win. A worker that finds its cell cancelled answers with a `RESULT` of status
//! `CANCELLED` instead of running the call; one that starts it says so (`STARTED`) in the
//! same write that carries the previous result, so the future shows it running.
//!
//! # Layout and lifetime
//!
//! [`CELLS`] one-byte cells, the cell of call `id` at `id % CELLS`; after them, the worker's
//! result ring (`ring.rs`): its header, then its [`RING`] bytes. A worker has at most
//! `MAX_DEPTH` calls unanswered and the manager sets a cell when it sends the call, so a cell
//! is reused only after the call that had it was answered. The page is a `memfd`, mapped by
//! the parent, handed to the worker with its first frame (`SCM_RIGHTS`), and mapped there;
//! neither side keeps the descriptor. The parent's mapping lives as long as a future's
//! arbiter holds it (an `Arc`), past the worker's death.
//!
//! # What is trusted
//!
//! The worker can write any cell: at worst it makes the parent believe a call of its own
//! started (or did not), which it could do anyway by lying in its frames.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

use crate::loom::sync::shared::{AtomicU8, Ordering};
use crate::ring::{Header, Ring};
use crate::tuning::RING;

/// Cells in a board: one page of one-byte cells.
pub(crate) const CELLS: usize = 4096;

/// The call was sent ahead and has not started.
pub(crate) const QUEUED: u8 = 1;
/// The worker started the call.
pub(crate) const STARTED: u8 = 2;
/// The parent cancelled the call; the worker will skip it.
pub(crate) const CANCELLED: u8 = 3;

/// The bit of a `CALL` frame's id that says the call was sent ahead: the worker must win its
/// cell before it runs it. (Ids count calls per worker and never reach it.)
pub(crate) const QUEUED_ID: u64 = 1 << 63;

const _: () = assert!(
    crate::tuning::MAX_DEPTH <= CELLS,
    "a cell per unanswered call"
);

/// Where the ring's header starts: after the cells, aligned for it.
const HEADER_AT: usize = CELLS.next_multiple_of(std::mem::align_of::<Header>());
/// Where the ring's bytes start.
const RING_AT: usize = HEADER_AT + std::mem::size_of::<Header>();
/// The size of the mapping.
const SIZE: usize = RING_AT + RING;

/// One side's mapping of a board.
#[derive(Debug)]
pub(crate) struct Board {
    cells: NonNull<AtomicU8>,
}

// SAFETY: the mapping is only accessed through atomics, from any thread; it is unmapped once,
// on drop, by the last owner.
unsafe impl Send for Board {}
// SAFETY: as above: every access is an atomic operation on the shared page.
unsafe impl Sync for Board {}

impl Board {
    /// The parent's side: a new board and the descriptor to hand to the worker.
    pub(crate) fn create() -> io::Result<(Board, OwnedFd)> {
        // SAFETY: the name is a valid C string; the flags are valid; the result is checked.
        let fd = unsafe { libc::memfd_create(c"cfut-cancel-board".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: `ftruncate` on our open memfd has no memory effects; the result is checked.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), SIZE as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let board = Board::map(fd.as_raw_fd())?;
        Ok((board, fd))
    }

    /// The worker's side: maps the board the parent handed over.
    pub(crate) fn open(fd: OwnedFd) -> io::Result<Board> {
        // The mapping outlives the descriptor, which is closed on return.
        Board::map(fd.as_raw_fd())
    }

    fn map(fd: libc::c_int) -> io::Result<Board> {
        // SAFETY: a fresh shared mapping of `SIZE` bytes of an open file; the result is
        // checked. (A file the worker was handed that is smaller than `SIZE` would fault on
        // access: the parent made it, with `ftruncate` to `SIZE`.)
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let cells = NonNull::new(address.cast::<AtomicU8>())
            .ok_or_else(|| io::Error::other("mmap returned a null mapping"))?;
        Ok(Board { cells })
    }

    fn cell(&self, id: u64) -> &AtomicU8 {
        let index = (id % CELLS as u64) as usize;
        // SAFETY: `index < CELLS`, the mapping holds `CELLS` bytes and lives as long as
        // `self`; `AtomicU8` has the size and alignment of `u8`.
        unsafe { &*self.cells.as_ptr().add(index) }
    }

    /// The worker's result ring.
    pub(crate) fn ring(&self) -> Ring<'_> {
        // SAFETY: the mapping holds `SIZE` bytes and lives as long as `self`; the header lies
        // at `HEADER_AT`, aligned for it, and was zero-filled by `ftruncate` (a valid header);
        // the ring's bytes follow it. The parent's and the worker's rings are the one taking
        // and the one pushing side.
        unsafe {
            let base = self.cells.as_ptr().cast::<u8>();
            let header = &*base.add(HEADER_AT).cast::<Header>();
            Ring::new(header, base.add(RING_AT), RING)
        }
    }

    /// Parent, before sending call `id` ahead: the call is queued.
    pub(crate) fn queue(&self, id: u64) {
        // ORDERING: published to the worker by the `send` that carries the frame after it.
        self.cell(id).store(QUEUED, Ordering::Release);
    }

    /// Parent (the future's cancel arbiter): `true` if call `id` will never start.
    pub(crate) fn cancel(&self, id: u64) -> bool {
        // ORDERING: the one exchange that decides against `start`.
        match self
            .cell(id)
            .compare_exchange(QUEUED, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(current) => current == CANCELLED,
        }
    }

    /// Worker, before running call `id`: `true` if it may run (it was not cancelled).
    pub(crate) fn start(&self, id: u64) -> bool {
        // ORDERING: the one exchange that decides against `cancel`.
        self.cell(id)
            .compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Parent (a cancelling shutdown, under the pool's lock): cancels every call sent ahead
    /// that the worker has not started; how many. A cell holds [`QUEUED`] only between the
    /// manager's [`queue`](Self::queue) and the one exchange that decides the call, so the
    /// sweep takes exactly the calls that are still undecided.
    pub(crate) fn cancel_queued(&self) -> usize {
        (0..CELLS as u64)
            .filter(|&index| {
                let cell = self.cell(index);
                // ORDERING: the same exchange as `cancel`'s; the load only skips the cells
                // that cannot be won.
                cell.load(Ordering::Relaxed) == QUEUED
                    && cell
                        .compare_exchange(QUEUED, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
            })
            .count()
    }

    /// Parent, after the worker died: `true` if call `id` never started there.
    pub(crate) fn never_started(&self, id: u64) -> bool {
        self.cell(id).load(Ordering::Acquire) != STARTED
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `map` with this size and is unmapped only here.
        unsafe { libc::munmap(self.cells.as_ptr().cast(), SIZE) };
    }
}

/// Room for the control part of a message carrying one descriptor.
fn control_space() -> usize {
    // SAFETY: `CMSG_SPACE` is a pure computation.
    unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as usize }
}

/// A message of the one buffer `iov` with `control` (of [`control_space`] bytes) for its
/// control part. Both must outlive the `sendmsg`/`recvmsg` that uses it.
fn message(iov: &mut libc::iovec, control: &mut [u8]) -> libc::msghdr {
    // SAFETY: a zeroed `msghdr` is a valid empty message; the fields are set below.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = control.len() as _;
    message
}

/// Parent: sends the start of `bytes` (the worker's first frame) with `fd` attached, without
/// blocking. Returns how many bytes went.
pub(crate) fn send_with(
    socket: BorrowedFd<'_>,
    bytes: &[u8],
    fd: BorrowedFd<'_>,
) -> io::Result<usize> {
    let raw = fd.as_raw_fd();
    let mut control = vec![0_u8; control_space()];
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    let message = message(&mut iov, &mut control);
    // SAFETY: `message` points at `control`, which has room for one header and one
    // descriptor (`CMSG_SPACE`), so `CMSG_FIRSTHDR` is non-null and `CMSG_DATA` in bounds.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
        libc::CMSG_DATA(header)
            .cast::<libc::c_int>()
            .write_unaligned(raw);
    }
    loop {
        // SAFETY: `message` and everything it points at are valid for the call; the socket
        // is open. The worker's end never raises `SIGPIPE` here (`MSG_NOSIGNAL`).
        let sent = unsafe {
            libc::sendmsg(
                socket.as_raw_fd(),
                &message,
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if sent >= 0 {
            return Ok(sent as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Worker: waits for the parent's first bytes and takes the descriptor attached to them, if
/// any, leaving the bytes in the socket (`MSG_PEEK`) for the usual receive path.
pub(crate) fn receive(socket: BorrowedFd<'_>) -> io::Result<Option<OwnedFd>> {
    let mut control = vec![0_u8; control_space()];
    let mut byte = 0_u8;
    let mut iov = libc::iovec {
        iov_base: (&raw mut byte).cast(),
        iov_len: 1,
    };
    let mut message = message(&mut iov, &mut control);
    loop {
        // SAFETY: `message` and everything it points at are valid for the call.
        let got = unsafe {
            libc::recvmsg(
                socket.as_raw_fd(),
                &mut message,
                libc::MSG_PEEK | libc::MSG_CMSG_CLOEXEC,
            )
        };
        if got > 0 {
            break;
        }
        if got == 0 {
            return Ok(None);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    // SAFETY: the kernel filled `message`'s control part; `CMSG_FIRSTHDR`/`CMSG_NXTHDR`
    // walk it within `msg_controllen`.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_RIGHTS {
                let fd = libc::CMSG_DATA(header)
                    .cast::<libc::c_int>()
                    .read_unaligned();
                return Ok(Some(OwnedFd::from_raw_fd(fd)));
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
    }
    Ok(None)
}

#[cfg(all(test, not(cfut_loom)))]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn the_start_and_the_cancel_of_a_call_exclude_each_other() {
        let (parent, fd) = Board::create().unwrap();
        let worker = Board::open(fd).unwrap();
        parent.queue(7);
        assert!(worker.start(7));
        assert!(!parent.cancel(7), "started: too late");
        assert!(!parent.never_started(7));

        parent.queue(8);
        assert!(parent.cancel(8));
        assert!(parent.cancel(8), "cancelling twice still reports cancelled");
        assert!(!worker.start(8), "the worker skips it");
        assert!(parent.never_started(8));

        // The cell is reused `CELLS` calls later.
        parent.queue(7 + CELLS as u64);
        assert!(parent.cancel(7 + CELLS as u64));
    }

    #[test]
    fn a_sweep_cancels_exactly_the_calls_not_started() {
        let (parent, fd) = Board::create().unwrap();
        let worker = Board::open(fd).unwrap();
        for id in 0..6 {
            parent.queue(id);
        }
        assert!(worker.start(0));
        assert!(parent.cancel(1));
        assert_eq!(parent.cancel_queued(), 4, "calls 2 to 5");
        for id in 2..6 {
            assert!(!worker.start(id), "call {id} was swept");
            assert!(parent.cancel(id), "its future's own cancel agrees");
        }
        assert!(!parent.cancel(0), "the started call stays started");
        assert_eq!(parent.cancel_queued(), 0, "nothing is left to sweep");
    }

    #[test]
    fn the_board_travels_with_the_first_bytes() {
        let (parent, fd) = Board::create().unwrap();
        let (ours, theirs) = UnixStream::pair().unwrap();
        assert_eq!(send_with(ours.as_fd(), b"setup", fd.as_fd()).unwrap(), 5);
        drop(fd);
        let worker = Board::open(receive(theirs.as_fd()).unwrap().expect("a descriptor")).unwrap();
        parent.queue(3);
        assert!(worker.start(3));
        assert!(!parent.cancel(3));
        // The bytes are still there for the usual receive.
        let mut bytes = [0_u8; 5];
        std::io::Read::read_exact(&mut &theirs, &mut bytes).unwrap();
        assert_eq!(&bytes, b"setup");
        // Bytes sent without a descriptor carry none.
        std::io::Write::write_all(&mut &ours, b"x").unwrap();
        assert!(receive(theirs.as_fd()).unwrap().is_none());
    }
}
