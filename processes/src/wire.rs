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

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use serde::Serialize;
use serde::de::DeserializeOwned;

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
pub(crate) fn take<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<(T, &[u8]), String> {
    match postcard::take_from_bytes::<Owned<T>>(bytes) {
        Ok((Owned(value), rest)) => Ok((value, rest)),
        Err(postcard::Error::SerdeDeCustom) => {
            // As in `encode_into`: decode again through a deserializer that keeps the words.
            let mut deserializer = postcard::Deserializer::from_bytes(bytes);
            let erased = &mut <dyn erased_serde::Deserializer<'_>>::erase(&mut deserializer);
            Err(match erased_serde::deserialize::<Owned<T>>(erased) {
                Err(error) => error.to_string(),
                Ok(_) => postcard::Error::SerdeDeCustom.to_string(),
            })
        }
        Err(error) => Err(error.to_string()),
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

/// Sends all of `buf`, blocking.
pub(crate) fn send_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let sent = send(fd, buf, false)?;
        buf = &buf[sent..];
    }
    Ok(())
}

/// `recv(2)` into `buf`; `Ok(0)` is end of stream.
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
#[derive(Debug)]
pub(crate) struct Inbox {
    buf: Vec<u8>,
    start: usize,
    limit: usize,
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
    /// announces more than the limit.
    pub(crate) fn next(&self) -> Result<Option<(usize, u8)>, String> {
        match header(self.data()) {
            Some((length, kind)) => check_limit(length, self.limit).map(|()| Some((length, kind))),
            None => Ok(None),
        }
    }

    /// Marks `n` bytes as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.start = 0;
            self.buf.clear();
        }
    }

    /// Receives once from `fd`; `Ok(0)` is end of stream. Call it only once every complete
    /// frame was consumed. Makes room first: compacting, or growing to exactly the size of a
    /// frame whose header announced more than the buffer holds. A header announcing more than
    /// the limit is an `InvalidData` error, before any room is made for it.
    pub(crate) fn fill(&mut self, fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<usize> {
        let needed = match self.next() {
            Ok(Some((length, _))) => 4 + length,
            Ok(None) => HEADER,
            Err(message) => return Err(io::Error::new(io::ErrorKind::InvalidData, message)),
        };
        if self.start > 0 && self.start + needed > self.buf.capacity() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.start + needed > self.buf.capacity() {
            self.buf.reserve_exact(needed - self.buf.len());
        }
        // The callers consume every complete frame before receiving more, so the frame at
        // the front is incomplete and, after the compaction or growth above, has room.
        let room = self.buf.spare_capacity_mut();
        debug_assert!(!room.is_empty(), "fill with a complete frame unconsumed");
        let got = recv_uninit(fd, room, nonblocking)?;
        // SAFETY: `recv` initialised the first `got` bytes of the spare capacity.
        unsafe { self.buf.set_len(self.buf.len() + got) };
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
