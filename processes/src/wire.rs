//! The wire format between the parent and a worker, and the socket calls that carry it.
//!
//! Each frame is `length: u32 LE` (of what follows), `kind: u8`, then a kind-specific body.
//! Integers are little-endian; values are [postcard]-encoded (a compact, maintained serde
//! format: varint integers, no field names, no self-description — the smallest frames and the
//! cheapest encoding of the maintained serde binary formats).
//!
//! Parent to worker:
//! - `SETUP`: `identity: u64`, `initializer: u8 (0 none, 1 fn(), 2 fn(A))`, `initializer
//!   offset: u64`, and for `fn(A)` the trampoline's offset `u64` and the encoded argument
//!   (see `initializer.rs`) — first.
//! - `CALL`: `id: u64`, `trampoline offset: u64`, `function offset: u64`, argument bytes.
//!
//! Worker to parent:
//! - `READY`: `pid: u32` — the worker checked the identity and ran the initializer.
//! - `REFUSED`: a UTF-8 reason (identity mismatch, initializer panic); the worker then exits.
//! - `RESULT`: `id: u64`, `status: u8`, `busy: u32` (µs the call took), payload — one per
//!   `CALL`, in the order received.
//!
//! Closing the parent's end of the socket tells the worker to exit once it is idle.
//!
//! [postcard]: https://docs.rs/postcard

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use serde::Serialize;

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

/// `RESULT` status: the payload is the encoded value.
pub(crate) const OK: u8 = 0;
/// `RESULT` status: the call panicked; payload `(message, location)`.
pub(crate) const PANICKED: u8 = 1;
/// `RESULT` status: a UTF-8 message saying why the value could not cross the boundary.
pub(crate) const NOT_PORTABLE: u8 = 2;

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

/// The length (of what follows the prefix) and kind of the frame at the start of `buf`, once
/// its header has arrived.
pub(crate) fn header(buf: &[u8]) -> Option<(usize, u8)> {
    let prefix: [u8; 4] = buf.get(..4)?.try_into().ok()?;
    let kind = *buf.get(4)?;
    Some((u32::from_le_bytes(prefix) as usize, kind))
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

/// Encodes `value` at the end of `out`; on failure `out` is left as it was.
pub(crate) fn encode_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mark = out.len();
    postcard::serialize_with_flavor(value, Tail(&mut *out)).map_err(|error| {
        out.truncate(mark);
        error.to_string()
    })
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
    let flags = if nonblocking { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes and `fd` is an open socket.
        let got = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
        if got >= 0 {
            return Ok(got as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A receive buffer: bytes `start..filled` are received and not yet consumed.
#[derive(Debug)]
pub(crate) struct Inbox {
    buf: Vec<u8>,
    start: usize,
    filled: usize,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        Inbox {
            buf: vec![0; 64 * 1024],
            start: 0,
            filled: 0,
        }
    }

    /// The received, unconsumed bytes.
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    /// Marks `n` bytes as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
        }
    }

    /// Receives once from `fd`; `Ok(0)` is end of stream. Makes room (compacting, or growing
    /// for a frame larger than the buffer) first.
    pub(crate) fn fill(&mut self, fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<usize> {
        if self.filled == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.filled, 0);
                self.filled -= self.start;
                self.start = 0;
            } else {
                let grown = self.buf.len() * 2;
                self.buf.resize(grown, 0);
            }
        }
        let got = recv(fd, &mut self.buf[self.filled..], nonblocking)?;
        self.filled += got;
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
