//! The wire format between the parent and a worker, and the socket calls that carry it.
//!
//! Each frame is `length: u32 LE` (of what follows), `kind: u8`, then a kind-specific body.
//! Integers are little-endian; values are [postcard]-encoded (a compact, maintained serde
//! format: varint integers, no field names, no self-description — the smallest frames and the
//! cheapest encoding of the maintained serde binary formats).
//!
//! Parent to worker:
//! - `SETUP`: `identity: u64`, `frame limit: u64`, `initializer: u8 (0 none, 1 fn(), 2
//!   fn(A))`, `initializer offset: u64`, and for `fn(A)` the trampoline's offset `u64` and
//!   the encoded argument (see `initializer.rs`) — first.
//! - `CALL`: `id: u64`, `trampoline offset: u64`, `function offset: u64`, argument bytes.
//!   An id with [`QUEUED_ID`](crate::board::QUEUED_ID) set is a call sent ahead to a busy
//!   worker: the worker runs it only if it wins its cell of the cancel board (`board.rs`).
//!
//! Worker to parent:
//! - `READY`: `pid: u32` — the worker checked the identity and ran the initializer.
//! - `REFUSED`: a UTF-8 reason (identity mismatch, initializer panic); the worker then exits.
//! - `RESULT`: `id: u64`, `status: u8`, `busy: u32` (µs the call took), payload — one per
//!   `CALL`, in the order received (status `CANCELLED`, no payload: a call sent ahead that
//!   the parent cancelled before the worker reached it).
//! - `STARTED`: `id: u64` — the worker won the cell of a call sent ahead and runs it.
//!
//! Either way:
//! - `BLOCK` (kind `BLOCK + log2(alignment)`, alignment 1 to 16): the little-endian bytes of
//!   a big plain buffer (see [`crate::raw`]), lent to the frame right after it, which is the
//!   `CALL` whose argument they are (its payload is then empty) or the `RESULT` (status `OK`,
//!   empty payload) whose value they are. The sender writes them from the value's own memory;
//!   the receiver reads them into one allocation of that size and alignment, which becomes
//!   the received value as it is: no encoding, no copy in user space. A block the next frame
//!   does not take is dropped with that frame.
//!
//! Closing the parent's end of the socket tells the worker to exit once it is idle.
//!
//! Values go through [`crate::raw`]'s fast path: plain buffers travel as one block of
//! little-endian bytes instead of serde's element-by-element walk.
//!
//! # Bounds
//!
//! No frame is longer than the pool's frame limit ([`DEFAULT_MAX_FRAME`] unless the builder
//! says otherwise; at most [`MAX_MAX_FRAME`]): the sender refuses to build a longer one
//! (the call fails with `Error::Serialization`, naming the size and the limit), and the
//! receiver refuses a header that announces one before it allocates anything for it. A
//! receive buffer therefore never grows past the limit plus the length prefix.
//!
//! [postcard]: https://docs.rs/postcard

use crate::loom::sync::BlockArc as Arc;
use std::cell::Cell;
use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::block::Block;
use crate::raw::{self, Owned, Raw};

/// Parent to worker: the build identity and initializer (first frame).
pub(crate) const SETUP: u8 = 1;
/// Parent to worker: run a call.
pub(crate) const CALL: u8 = 2;
/// Worker to parent: ready to take calls.
pub(crate) const READY: u8 = 11;
/// Worker to parent: refuses to serve (identity mismatch or initializer failure).
pub(crate) const REFUSED: u8 = 12;
/// Worker to parent: the outcome of one call.
pub(crate) const RESULT: u8 = 13;
/// Worker to parent: a call sent ahead started.
pub(crate) const STARTED: u8 = 14;
/// Worker to parent: a result ring holds frames for a parent that sleeps (`ring.rs`). No
/// body; it may come between any two frames, and says nothing else.
pub(crate) const NUDGE: u8 = 15;

/// A whole `NUDGE` frame.
pub(crate) const NUDGE_FRAME: [u8; HEADER] = [1, 0, 0, 0, NUDGE];

/// Either way: a block of bytes for the next frame; the kind is this plus the log2 of the
/// alignment its numbers need (see [`block_kind`]).
pub(crate) const BLOCK: u8 = 32;

/// `RESULT` status: the payload is the encoded value.
pub(crate) const OK: u8 = 0;
/// `RESULT` status: the call panicked; payload `(message, location)`.
pub(crate) const PANICKED: u8 = 1;
/// `RESULT` status: a UTF-8 message saying why the value could not cross the boundary.
pub(crate) const NOT_PORTABLE: u8 = 2;
/// `RESULT` status: a call sent ahead was cancelled in the parent and did not run.
pub(crate) const CANCELLED: u8 = 3;

/// The default longest frame (length prefix excluded): 1 GiB. Large enough for any buffer a
/// process pool is sensibly used for (Python's pickle frames have no limit at all); small
/// enough that a corrupt or hostile length prefix cannot make a process reserve more than
/// that. Configurable with `Builder::max_frame_size`.
pub(crate) const DEFAULT_MAX_FRAME: usize = 1 << 30;
/// The smallest frame limit a pool accepts: room for set-up frames and panic reports.
pub(crate) const MIN_MAX_FRAME: usize = 4096;
/// The largest frame limit a pool accepts: what the `u32` length prefix can announce, less a
/// margin so that `4 + length` cannot overflow a 32-bit `usize` (see [`header`]).
pub(crate) const MAX_MAX_FRAME: usize = u32::MAX as usize - 64;

/// Bytes of the length prefix plus the kind byte.
pub(crate) const HEADER: usize = 5;
/// Where the call id sits inside a `CALL` or `RESULT` frame.
pub(crate) const ID_AT: usize = HEADER;

/// Starts a frame of `kind` at the end of `buf`; returns where it starts, for [`end`].
pub(crate) fn begin(buf: &mut Vec<u8>, kind: u8) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    buf.push(kind);
    start
}

/// Writes the length of the frame begun at `start`. A frame longer than `u32::MAX` is
/// removed again and reported.
pub(crate) fn end(buf: &mut Vec<u8>, start: usize) -> Result<(), String> {
    let length = buf.len() - start - 4;
    match u32::try_from(length) {
        Ok(length) => {
            buf[start..start + 4].copy_from_slice(&length.to_le_bytes());
            Ok(())
        }
        Err(_) => {
            buf.truncate(start);
            Err(format!(
                "a frame of {length} bytes exceeds the 4 GiB frame limit"
            ))
        }
    }
}

/// Checks that a frame of `length` bytes (prefix excluded) fits within `limit`.
pub(crate) fn check_limit(length: usize, limit: usize) -> Result<(), String> {
    if length > limit {
        Err(format!(
            "a frame of {length} bytes exceeds the frame limit of {limit} bytes \
             (Builder::max_frame_size)"
        ))
    } else {
        Ok(())
    }
}

/// As [`end`], also refusing (and removing again) a frame longer than `limit`.
pub(crate) fn end_within(buf: &mut Vec<u8>, start: usize, limit: usize) -> Result<(), String> {
    let length = buf.len() - start - 4;
    if let Err(message) = check_limit(length, limit) {
        buf.truncate(start);
        return Err(message);
    }
    end(buf, start)
}

/// The length (of what follows the prefix) and kind of the frame at the start of `buf`, once
/// its header has arrived. The length is at most `usize::MAX - 4`, so `4 + length` never
/// overflows: on a 32-bit target a larger prefix reads as `usize::MAX - 4`, which every
/// frame limit refuses.
pub(crate) fn header(buf: &[u8]) -> Option<(usize, u8)> {
    let prefix: [u8; 4] = buf.get(..4)?.try_into().ok()?;
    let kind = *buf.get(4)?;
    let length = usize::try_from(u32::from_le_bytes(prefix)).unwrap_or(usize::MAX);
    Some((length.min(usize::MAX - 4), kind))
}

/// The kind of a `BLOCK` frame carrying `block`.
pub(crate) fn block_kind(block: &Block) -> u8 {
    // At most `Block::MAX_ALIGN_LOG2`: fits the kind byte.
    BLOCK + block.align().trailing_zeros() as u8
}

/// The alignment a frame of `kind` asks for its block, if it is a `BLOCK` frame.
pub(crate) fn block_align(kind: u8) -> Option<usize> {
    let log2 = u32::from(kind.checked_sub(BLOCK)?);
    (log2 <= Block::MAX_ALIGN_LOG2).then(|| 1 << log2)
}

/// The header of the `BLOCK` frame carrying `block` (its bytes follow). A block's length is
/// checked against the frame limit before it is sent, and the limit is below `u32::MAX`.
pub(crate) fn block_header(block: &Block) -> [u8; HEADER] {
    let length = u32::try_from(block.len() + 1).unwrap_or(u32::MAX);
    let mut header = [0; HEADER];
    header[..4].copy_from_slice(&length.to_le_bytes());
    header[4] = block_kind(block);
    header
}

/// Reads a little-endian `u64` at `at`.
pub(crate) fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(buf.get(at..at + 8)?.try_into().ok()?))
}

/// Reads a little-endian `u32` at `at`.
pub(crate) fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

/// A postcard output that appends to a borrowed `Vec`, so that a value is encoded straight
/// into its frame.
struct Tail<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Tail<'_> {
    type Output = ();

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Encodes `value` at the end of `out` (through [`crate::raw`]'s fast path); on failure `out`
/// is left as it was and the error says what the value's own `Serialize` said.
pub(crate) fn encode_into<T: Serialize + 'static>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mark = out.len();
    if let Some(block) = raw::block_len(value) {
        out.reserve(block + 10);
    }
    postcard::serialize_with_flavor(&Raw(value), Tail(&mut *out)).map_err(|error| {
        out.truncate(mark);
        if error == postcard::Error::SerdeSerCustom {
            // postcard keeps no words of a custom error: encode again through a serializer
            // that does, to report them (the value's `Serialize` runs a second time).
            let mut sink = Vec::new();
            let mut serializer = postcard::Serializer {
                output: Tail(&mut sink),
            };
            let erased = &mut <dyn erased_serde::Serializer>::erase(&mut serializer);
            match erased_serde::Serialize::erased_serialize(&Raw(value), erased) {
                Err(error) => error.to_string(),
                Ok(()) => error.to_string(),
            }
        } else {
            error.to_string()
        }
    })
}

/// Decodes one `T` from the start of `bytes` (through [`crate::raw`]'s fast path); returns it
/// and the bytes after it. The error says what the value's own `Deserialize` said.
#[inline]
pub(crate) fn take<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<(T, &[u8]), String> {
    match postcard::take_from_bytes::<Owned<T>>(bytes) {
        Ok((Owned(value), rest)) => Ok((value, rest)),
        Err(error) => Err(take_failure::<T>(bytes, error)),
    }
}

/// What [`take`] reports when `T` could not be decoded from `bytes`: kept out of line, so the
/// per-element loop of a batch's results inlines only the success path.
#[cold]
#[inline(never)]
fn take_failure<T: DeserializeOwned + 'static>(bytes: &[u8], error: postcard::Error) -> String {
    if error != postcard::Error::SerdeDeCustom {
        return error.to_string();
    }
    // As in `encode_into`: decode again through a deserializer that keeps the words.
    let mut deserializer = postcard::Deserializer::from_bytes(bytes);
    let erased = &mut <dyn erased_serde::Deserializer<'_>>::erase(&mut deserializer);
    match erased_serde::deserialize::<Owned<T>>(erased) {
        Err(error) => error.to_string(),
        Ok(_) => postcard::Error::SerdeDeCustom.to_string(),
    }
}

/// Decodes a `T` that fills `bytes` (trailing bytes are an error: they mean a corrupt frame).
pub(crate) fn decode<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<T, String> {
    let (value, rest) = take(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(format!("{} bytes left over after the value", rest.len()))
    }
}

/// `send(2)` that never raises `SIGPIPE` (a dead peer gives `EPIPE` instead).
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], nonblocking: bool) -> io::Result<usize> {
    let flags = libc::MSG_NOSIGNAL | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes and `fd` is an open socket.
        let sent = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags) };
        if sent >= 0 {
            return Ok(sent as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// `sendmsg(2)` of `pieces` (one stream, in order; empty pieces are skipped) after skipping
/// their first `skip` bytes; returns how many bytes went out. Never raises `SIGPIPE`. At
/// most [`MAX_PIECES`] pieces go out per call.
pub(crate) fn send_pieces(
    fd: BorrowedFd<'_>,
    pieces: &[&[u8]],
    mut skip: usize,
    nonblocking: bool,
) -> io::Result<usize> {
    let empty = libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    };
    let mut iov = [empty; MAX_PIECES];
    let mut count = 0;
    for piece in pieces {
        if skip >= piece.len() {
            skip -= piece.len();
            continue;
        }
        let rest = &piece[skip..];
        skip = 0;
        if count == MAX_PIECES {
            break;
        }
        iov[count] = libc::iovec {
            iov_base: rest.as_ptr().cast_mut().cast(),
            iov_len: rest.len(),
        };
        count += 1;
    }
    if count == 0 {
        return Ok(0);
    }
    // SAFETY: an all-zero `msghdr` is valid (no name, no control data).
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = iov.as_mut_ptr();
    message.msg_iovlen = count as _;
    let flags = libc::MSG_NOSIGNAL | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: the first `count` iovecs point into `pieces`, valid for their lengths for
        // the duration of the call; sendmsg only reads them.
        let sent = unsafe { libc::sendmsg(fd.as_raw_fd(), &message, flags) };
        if sent >= 0 {
            return Ok(sent as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// At most this many pieces go out in one `sendmsg` (a frame's bytes and a block, and their
/// neighbours).
pub(crate) const MAX_PIECES: usize = 8;

/// `recv(2)` into `buf`; `Ok(0)` is end of stream.
/// Blocks until `fd` has bytes to read (or is closed). Waiting in `poll` instead of a
/// blocking `recv` lets the peer's reads go unnoticed: a blocking `recv` on a Unix stream
/// socket wakes up every time the peer reads the bytes this side wrote (the wake-up that
/// frees write space), finds nothing and sleeps again, two needless switches of the CPU per
/// call; `poll` for input is woken only by input. A worker waiting here: 4.0 → 2.1 context
/// switches and 78 → 69 µs of CPU per one-at-a-time call (`perf stat -e context-switches,
/// task-clock` over 22 000 `submit(noop, i).result()` on a 2-process pool).
pub(crate) fn wait_readable(fd: BorrowedFd<'_>) -> io::Result<()> {
    let mut pollfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd; the result is checked.
        let ready = unsafe { libc::poll(&mut pollfd, 1, -1) };
        if ready >= 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], nonblocking: bool) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    unsafe { recv_raw(fd, buf.as_mut_ptr(), buf.len(), nonblocking) }
}

/// `recv(2)` into uninitialised room; `Ok(0)` is end of stream.
fn recv_uninit(
    fd: BorrowedFd<'_>,
    room: &mut [std::mem::MaybeUninit<u8>],
    nonblocking: bool,
) -> io::Result<usize> {
    // SAFETY: `room` is valid for writes of `room.len()` bytes; recv only writes bytes.
    unsafe { recv_raw(fd, room.as_mut_ptr().cast(), room.len(), nonblocking) }
}

/// `recv(2)`, retried on `EINTR`.
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes.
unsafe fn recv_raw(
    fd: BorrowedFd<'_>,
    buf: *mut u8,
    len: usize,
    nonblocking: bool,
) -> io::Result<usize> {
    let flags = if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: the caller guarantees `buf` is valid for writes of `len` bytes; `fd` is an
        // open socket.
        let got = unsafe { libc::recv(fd.as_raw_fd(), buf.cast(), len, flags) };
        if got >= 0 {
            return Ok(got as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A receive buffer: bytes `start..` of `buf` are received and not yet consumed. Its room
/// (the vector's capacity) never grows past the frame limit plus the length prefix, and is
/// never zero-filled: `recv` writes straight into it.
///
/// `BLOCK` frames never show in it: [`next`](Self::next) takes each off the front as its
/// header arrives, into a [`Block`] of the announced size and alignment that `fill` then
/// receives into directly; once complete, the block waits for the frame after it to
/// [`take_block`](Self::take_block) it, and is dropped when that frame is consumed otherwise.
pub(crate) struct Inbox {
    buf: Vec<u8>,
    start: usize,
    limit: usize,
    /// A block being received.
    incoming: Option<Block>,
    /// The complete block lent to the next frame. A `Cell`, so that the frame's handler can
    /// take it while it reads the frame's bytes.
    block: Cell<Option<Block>>,
    /// The last [`fill`](Self::fill) received less than it had room for.
    drained: bool,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("received", &self.data().len())
            .field("limit", &self.limit)
            .field("incoming", &self.incoming)
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// An inbox for frames of at most [`DEFAULT_MAX_FRAME`] bytes.
    pub(crate) fn new() -> Self {
        Inbox::with_limit(DEFAULT_MAX_FRAME)
    }

    /// An inbox for frames of at most `limit` bytes (length prefix excluded).
    pub(crate) fn with_limit(limit: usize) -> Self {
        Inbox {
            buf: Vec::with_capacity(crate::tuning::BUFFER.min(4 + limit)),
            start: 0,
            limit,
            incoming: None,
            block: Cell::new(None),
            drained: false,
        }
    }

    /// Changes the longest frame accepted from now on.
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// The received, unconsumed bytes.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The length and kind of the next frame once its header arrived; an error if it
    /// announces more than the limit. A `BLOCK` frame is taken off the front first (see the
    /// type's docs): while one is still arriving, there is no next frame.
    pub(crate) fn next(&mut self) -> Result<Option<(usize, u8)>, String> {
        loop {
            if self.incoming.is_some() {
                return Ok(None);
            }
            let Some((length, kind)) = header(self.data()) else {
                return Ok(None);
            };
            check_limit(length, self.limit)?;
            match block_align(kind) {
                Some(align) => self.detach(length, align)?,
                None => return Ok(Some((length, kind))),
            }
        }
    }

    /// Takes the `BLOCK` frame of `length` bytes (kind byte included) at the front off the
    /// buffer, into a block of its own; the block replaces any block not taken.
    fn detach(&mut self, length: usize, align: usize) -> Result<(), String> {
        if length == 0 {
            return Err("a block frame of 0 bytes".to_owned());
        }
        let size = length - 1;
        let mut block = Block::with_capacity(size, align)
            .ok_or_else(|| format!("a block of {size} bytes aligned to {align}"))?;
        self.advance(HEADER.min(4 + length));
        let n = block.extend_from_slice(self.data());
        self.advance(n);
        self.block.set(None);
        if block.is_full() {
            self.block.set(Some(block));
        } else {
            self.incoming = Some(block);
        }
        Ok(())
    }

    /// The block lent to the frame at the front, if one arrived right before it.
    pub(crate) fn take_block(&self) -> Option<Block> {
        self.block.take()
    }

    /// Marks `n` bytes as consumed.
    fn advance(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.start = 0;
            self.buf.clear();
        }
    }

    /// Marks `n` bytes, a whole frame, as consumed; a block lent to it and not taken is
    /// dropped.
    pub(crate) fn consume(&mut self, n: usize) {
        self.block.set(None);
        self.advance(n);
    }

    /// Receives once from `fd`; `Ok(0)` is end of stream. Call it only once every complete
    /// frame was consumed. Makes room first: compacting, or growing to exactly the size of a
    /// frame whose header announced more than the buffer holds. A header announcing more than
    /// the limit is an `InvalidData` error, before any room is made for it. A block being
    /// received gets the bytes instead, up to its end.
    pub(crate) fn fill(&mut self, fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<usize> {
        let needed = match self.next() {
            Ok(Some((length, _))) => 4 + length,
            Ok(None) => HEADER,
            Err(message) => return Err(io::Error::new(io::ErrorKind::InvalidData, message)),
        };
        if let Some(block) = &mut self.incoming {
            let room = block.spare_mut().len();
            let got = recv_uninit(fd, block.spare_mut(), nonblocking)?;
            self.drained = got < room;
            // SAFETY: `recv` initialised the first `got` bytes of the spare room.
            unsafe { block.grow_len(got) };
            if block.is_full() {
                self.block.set(self.incoming.take());
            }
            return Ok(got);
        }
        if self.start > 0 && self.start + needed > self.buf.capacity() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.start + needed > self.buf.capacity() {
            self.buf.reserve_exact(needed - self.buf.len());
        }
        // The callers consume every complete frame before receiving more, so the frame at
        // the front is incomplete and, after the compaction or growth above, has room. Past
        // that frame at most `BUFFER` bytes are read: the bytes of a block that follows go
        // to the block's own allocation.
        let wanted = (self.start + needed)
            .saturating_sub(self.buf.len())
            .max(crate::tuning::BUFFER);
        let room = self.buf.spare_capacity_mut();
        let room_len = room.len().min(wanted);
        debug_assert!(room_len > 0, "fill with a complete frame unconsumed");
        let got = recv_uninit(fd, &mut room[..room_len], nonblocking)?;
        self.drained = got < room_len;
        // SAFETY: `recv` initialised the first `got` bytes of the spare capacity.
        unsafe { self.buf.set_len(self.buf.len() + got) };
        Ok(got)
    }

    /// Nothing is half received: no bytes unconsumed, no block arriving or waiting for its
    /// frame.
    pub(crate) fn is_idle(&self) -> bool {
        let block = self.block.take();
        let idle = self.data().is_empty() && self.incoming.is_none() && block.is_none();
        self.block.set(block);
        idle
    }

    /// The unconsumed bytes are the start of `frame` and nothing else (no block arriving).
    pub(crate) fn holds_part_of(&self, frame: &[u8]) -> bool {
        let data = self.data();
        !data.is_empty()
            && data.len() < frame.len()
            && frame.starts_with(data)
            && self.incoming.is_none()
    }

    /// Drops the unconsumed bytes (a dead peer's incomplete frame).
    pub(crate) fn discard(&mut self) {
        self.start = 0;
        self.buf.clear();
    }

    /// Puts the bytes `receive` appends to the (empty) buffer in, as if they had come from
    /// the socket: whole frames from another source (the result ring, `ring.rs`). Call it
    /// only while the inbox [`is_idle`](Self::is_idle).
    pub(crate) fn receive_with<E>(
        &mut self,
        receive: impl FnOnce(&mut Vec<u8>) -> Result<usize, E>,
    ) -> Result<usize, E> {
        debug_assert!(self.is_idle(), "bytes from elsewhere after a partial frame");
        self.discard();
        receive(&mut self.buf)
    }

    /// Whether the last [`fill`](Self::fill) received less than it had room for: the socket
    /// held no more bytes then (a stream socket hands over all it holds, up to the room), so
    /// another receive right away would most likely find nothing. A reader that wants to
    /// block waits for input instead, and one that does not can go back to its `poll`,
    /// which sees any bytes that came since: either saves the one receive per frame that
    /// would fail with `EWOULDBLOCK` (4 → 2 `recvfrom` per one-at-a-time call, `strace -f -c`;
    /// `proc_round_trip_p50` 26.5/27.3 against 28.9/35.3 µs and `proc_submit_result`
    /// 3.38/3.19 against 4.03/3.83 µs/call in two alternating pairs of
    /// `cargo run --release -p cfut-bench --bin compare -- processes --runs 3`).
    pub(crate) fn drained(&self) -> bool {
        self.drained
    }
}

/// Bytes waiting to be sent, with blocks spliced in: the stream is `bytes[..at₀]`, block 0
/// (from its offset), `bytes[at₀..at₁]`, block 1, ..., then the rest of `bytes`. A block goes
/// out from its own memory and is released once sent.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    bytes: Vec<u8>,
    /// `(at, block, offset)`: the block's bytes from `offset` go before `bytes[at..]`. Shared:
    /// a queued call keeps its argument's block until its result arrives (it may have to go
    /// to another worker).
    blocks: VecDeque<(usize, Arc<Block>, usize)>,
    /// How many of `bytes` went out.
    sent: usize,
    /// Whether values may leave as blocks (see [`takes_blocks`](Self::takes_blocks)).
    takes_blocks: bool,
    /// `Some` for a transport that sends a block as a message of its own
    /// ([`with_block_aside`](Self::with_block_aside)): the block goes here instead of into
    /// the stream.
    aside: Option<Option<Block>>,
}

impl Outbox {
    /// An empty outbox whose byte buffer starts with room for `capacity` bytes, which sends
    /// big plain values as blocks.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Outbox {
            bytes: Vec::with_capacity(capacity),
            takes_blocks: true,
            ..Outbox::default()
        }
    }

    /// An outbox of `bytes` that takes no blocks, for transports that move whole frames only
    /// (the backend's): every value is encoded in its frame.
    pub(crate) fn frames_only(bytes: Vec<u8>) -> Self {
        Outbox {
            bytes,
            ..Outbox::default()
        }
    }

    /// An outbox of `bytes` for a transport that moves whole frames and big plain values as
    /// messages of their own (the backend's blocks): a value's block is kept aside, for
    /// [`into_parts`](Self::into_parts), instead of going into the stream.
    pub(crate) fn with_block_aside(bytes: Vec<u8>) -> Self {
        Outbox {
            bytes,
            takes_blocks: true,
            aside: Some(None),
            ..Outbox::default()
        }
    }

    /// The byte buffer (blocks aside), for a transport that moves whole frames.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.into_parts().0
    }

    /// The byte buffer and the block kept aside, if any
    /// ([`with_block_aside`](Self::with_block_aside)).
    pub(crate) fn into_parts(self) -> (Vec<u8>, Option<Block>) {
        debug_assert!(self.blocks.is_empty() && self.sent == 0);
        (self.bytes, self.aside.flatten())
    }

    /// Whether a big plain value may leave as a `BLOCK` frame.
    pub(crate) fn takes_blocks(&self) -> bool {
        self.takes_blocks
    }

    /// The byte buffer, to append frames to (or to truncate one's own frame again).
    pub(crate) fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Appends `bytes` to the stream.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Appends `block`'s bytes from `offset` to the stream, without copying them.
    pub(crate) fn splice(&mut self, block: Arc<Block>, offset: usize) {
        if offset < block.len() {
            self.blocks.push_back((self.bytes.len(), block, offset));
        }
    }

    /// Puts a `BLOCK` frame carrying `block` in front of the frame that starts at `at` of the
    /// byte buffer (the last frame appended); keeps it aside instead in an outbox
    /// [`with_block_aside`](Self::with_block_aside).
    pub(crate) fn insert_block(&mut self, at: usize, block: Block) {
        if let Some(aside) = &mut self.aside {
            debug_assert!(aside.is_none(), "one block per frame");
            *aside = Some(block);
            return;
        }
        let frame = self.bytes.split_off(at);
        self.bytes.extend_from_slice(&block_header(&block));
        self.splice(Arc::new(block), 0);
        self.bytes.extend_from_slice(&frame);
    }

    /// The bytes to send as one slice, if no block is spliced in and nothing was sent yet.
    pub(crate) fn frames(&self) -> Option<&[u8]> {
        (self.blocks.is_empty() && self.sent == 0).then_some(&self.bytes[..])
    }

    /// How many bytes are left to send, blocks included.
    pub(crate) fn unsent_len(&self) -> usize {
        let mut len = self.bytes.len() - self.sent;
        for (_, block, offset) in &self.blocks {
            len += block.len() - offset;
        }
        len
    }

    /// Nothing left to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.sent == self.bytes.len()
    }

    /// Drops everything not sent.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.blocks.clear();
        self.sent = 0;
    }

    /// Sends until everything went out, or (`nonblocking`) the socket is full. On an error
    /// other than a full socket the rest stays queued.
    pub(crate) fn flush(&mut self, fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
        while !self.is_empty() {
            let sent = if self.blocks.is_empty() {
                send(fd, &self.bytes[self.sent..], nonblocking)
            } else {
                let mut pieces: [&[u8]; MAX_PIECES] = [&[]; MAX_PIECES];
                let mut count = 0;
                let mut at = self.sent;
                for (before, block, offset) in self.blocks.iter().take(MAX_PIECES / 2) {
                    pieces[count] = &self.bytes[at..*before];
                    pieces[count + 1] = &block.bytes()[*offset..];
                    count += 2;
                    at = *before;
                }
                if count < MAX_PIECES {
                    pieces[count] = &self.bytes[at..];
                    count += 1;
                }
                send_pieces(fd, &pieces[..count], 0, nonblocking)
            };
            match sent {
                Ok(n) => self.advance(n),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
        self.clear();
        Ok(())
    }

    /// The bytes not sent yet, blocks included, as one stream.
    #[cfg(test)]
    pub(crate) fn unsent(&self) -> Vec<u8> {
        let mut stream = Vec::new();
        let mut at = self.sent;
        for (before, block, offset) in &self.blocks {
            stream.extend_from_slice(&self.bytes[at..*before]);
            stream.extend_from_slice(&block.bytes()[*offset..]);
            at = *before;
        }
        stream.extend_from_slice(&self.bytes[at..]);
        stream
    }

    /// Marks the next `n` bytes of the stream sent, by a send that did not go through
    /// [`flush`](Self::flush).
    pub(crate) fn sent_elsewhere(&mut self, n: usize) {
        self.advance(n);
    }

    /// Marks `n` bytes of the stream sent; drops the blocks sent whole.
    fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let next = self.blocks.front().map_or(self.bytes.len(), |b| b.0);
            if self.sent < next {
                let k = n.min(next - self.sent);
                self.sent += k;
                n -= k;
                continue;
            }
            let Some((_, block, offset)) = self.blocks.front_mut() else {
                debug_assert!(false, "more bytes sent than queued");
                return;
            };
            let k = n.min(block.len() - *offset);
            *offset += k;
            n -= k;
            if *offset == block.len() {
                self.blocks.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::os::fd::AsFd as _;
    use std::os::unix::net::UnixStream;

    use super::*;

    /// A block of `len` bytes counting up from `seed`, aligned to `align`.
    fn block(len: usize, align: usize, seed: u8) -> Block {
        let mut block = Block::with_capacity(len, align).unwrap();
        let bytes: Vec<u8> = (0..len).map(|i| seed.wrapping_add(i as u8)).collect();
        block.extend_from_slice(&bytes);
        block
    }

    /// A small frame of `kind` carrying `body`.
    fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let start = begin(&mut out, kind);
        out.extend_from_slice(body);
        end(&mut out, start).unwrap();
        out
    }

    /// Reads frames from `socket` until it closes: each frame's kind, body, and the block it
    /// took (it takes one only if `take(kind)`).
    fn read_all(
        socket: &UnixStream,
        limit: usize,
        take: impl Fn(u8) -> bool,
    ) -> Vec<(u8, Vec<u8>, Option<Block>)> {
        let mut inbox = Inbox::with_limit(limit);
        let mut frames = Vec::new();
        loop {
            match inbox.next().unwrap() {
                Some((length, kind)) if inbox.data().len() >= 4 + length => {
                    let body = inbox.data()[HEADER..4 + length].to_vec();
                    let block = if take(kind) { inbox.take_block() } else { None };
                    frames.push((kind, body, block));
                    inbox.consume(4 + length);
                    continue;
                }
                _ => {}
            }
            if inbox.fill(socket.as_fd(), false).unwrap() == 0 {
                return frames;
            }
        }
    }

    #[test]
    fn a_block_arrives_in_its_own_allocation_for_the_frame_after_it() {
        let (mut ours, theirs) = UnixStream::pair().unwrap();
        // Bigger than a socket's buffer and than the inbox's `BUFFER`: most of it is
        // received straight into the block, in many pieces.
        let big = block(1 << 20, 8, 7);
        let small = block(100, 1, 1);
        let writer = std::thread::spawn(move || {
            for (block, body) in [(big, &b"first"[..]), (small, &b"second"[..])] {
                ours.write_all(&block_header(&block)).unwrap();
                ours.write_all(block.bytes()).unwrap();
                ours.write_all(&frame(RESULT, body)).unwrap();
            }
            ours.write_all(&frame(RESULT, b"third")).unwrap();
        });
        let frames = read_all(&theirs, DEFAULT_MAX_FRAME, |_| true);
        writer.join().unwrap();
        assert_eq!(frames.len(), 3, "no BLOCK frame shows as a frame");
        let expected = [
            (&b"first"[..], Some(block(1 << 20, 8, 7))),
            (b"second", Some(block(100, 1, 1))),
            (b"third", None),
        ];
        for ((kind, body, got), (want_body, want)) in frames.iter().zip(&expected) {
            assert_eq!((*kind, body.as_slice()), (RESULT, *want_body));
            match (got, want) {
                (Some(got), Some(want)) => {
                    assert_eq!(got.bytes(), want.bytes());
                    assert_eq!(got.align(), want.align());
                    assert!(got.is_full());
                }
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_block_not_taken_is_dropped_with_the_frame_after_it() {
        let (mut ours, theirs) = UnixStream::pair().unwrap();
        let lent = block(3000, 4, 0);
        ours.write_all(&block_header(&lent)).unwrap();
        ours.write_all(lent.bytes()).unwrap();
        ours.write_all(&frame(READY, b"x")).unwrap();
        ours.write_all(&frame(RESULT, b"y")).unwrap();
        // A block lent to a block: replaced by it.
        ours.write_all(&block_header(&block(10, 1, 0))).unwrap();
        ours.write_all(block(10, 1, 0).bytes()).unwrap();
        ours.write_all(&block_header(&block(6, 2, 9))).unwrap();
        ours.write_all(block(6, 2, 9).bytes()).unwrap();
        ours.write_all(&frame(RESULT, b"z")).unwrap();
        drop(ours);
        let frames = read_all(&theirs, DEFAULT_MAX_FRAME, |kind| kind == RESULT);
        let got: Vec<_> = frames
            .iter()
            .map(|(kind, body, block)| {
                (
                    *kind,
                    body.clone(),
                    block.as_ref().map(|b| b.bytes().to_vec()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (READY, b"x".to_vec(), None),
                (RESULT, b"y".to_vec(), None),
                (RESULT, b"z".to_vec(), Some(block(6, 2, 9).bytes().to_vec())),
            ]
        );
    }

    #[test]
    fn a_block_above_the_limit_or_of_no_length_is_refused() {
        let (mut ours, theirs) = UnixStream::pair().unwrap();
        ours.write_all(&block_header(&block(5000, 1, 0))).unwrap();
        let mut inbox = Inbox::with_limit(MIN_MAX_FRAME);
        inbox.fill(theirs.as_fd(), true).unwrap();
        let error = inbox.fill(theirs.as_fd(), true).unwrap_err();
        assert!(
            error.to_string().contains("exceeds the frame limit"),
            "{error}"
        );

        ours.write_all(&[0, 0, 0, 0, BLOCK]).unwrap();
        let mut inbox = Inbox::new();
        let _ = inbox.fill(theirs.as_fd(), true);
        assert!(inbox.next().is_err());
        assert_eq!(
            block_align(BLOCK + 5),
            None,
            "alignment 32 is no block kind"
        );
        assert_eq!(block_align(BLOCK + 4), Some(16));
    }

    #[test]
    fn an_outbox_sends_its_blocks_from_their_own_memory_in_order() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let mut out = Outbox::with_capacity(16);
        out.extend_from_slice(b"head");
        out.splice(Arc::new(block(300_000, 8, 3)), 1000);
        let start = out.bytes_mut().len();
        out.extend_from_slice(&frame(RESULT, b"result"));
        out.insert_block(start, block(200_000, 1, 5));
        out.extend_from_slice(b"tail");
        let mut expected = b"head".to_vec();
        expected.extend_from_slice(&block(300_000, 8, 3).bytes()[1000..]);
        expected.extend_from_slice(&block_header(&block(200_000, 1, 5)));
        expected.extend_from_slice(block(200_000, 1, 5).bytes());
        expected.extend_from_slice(&frame(RESULT, b"result"));
        expected.extend_from_slice(b"tail");
        assert_eq!(out.unsent(), expected);
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut theirs, &mut got).unwrap();
            got
        });
        // Non-blocking, as the manager sends: the socket fills up again and again.
        while !out.is_empty() {
            out.flush(ours.as_fd(), true).unwrap();
            assert!(
                out.is_empty() || out.unsent() == expected[expected.len() - out.unsent().len()..]
            );
            std::thread::yield_now();
        }
        drop(ours);
        assert_eq!(reader.join().unwrap(), expected);
    }

    #[test]
    fn frames_carry_their_length_and_kind() {
        let mut buf = vec![9];
        let start = begin(&mut buf, CALL);
        buf.extend_from_slice(&42_u64.to_le_bytes());
        end(&mut buf, start).unwrap();
        assert_eq!(header(&buf[1..]), Some((9, CALL)));
        assert_eq!(u64_at(&buf[1..], ID_AT), Some(42));
        assert_eq!(header(&buf[1..4]), None);
    }

    #[test]
    fn encoding_failure_leaves_the_buffer_alone() {
        struct Refuses;
        impl Serialize for Refuses {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("not today"))
            }
        }
        let mut buf = vec![1, 2, 3];
        let error = encode_into(&(5_u32, Refuses), &mut buf).unwrap_err();
        assert!(!error.is_empty());
        assert_eq!(buf, [1, 2, 3]);
        encode_into(&300_u32, &mut buf).unwrap();
        assert_eq!(postcard::from_bytes::<u32>(&buf[3..]).unwrap(), 300);
    }
}
