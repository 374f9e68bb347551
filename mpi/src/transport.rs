//! The MPI calls this crate makes, over one duplicated communicator: byte messages sent,
//! probed and received, each with a tag saying what it carries.
//!
//! Only raw handles cross threads here: during a pool's life one thread at a time calls MPI
//! on a [`Comm`] (on the root, whoever holds the driver's seat, `driver.rs`; on a worker
//! rank, its main thread), which `MPI_THREAD_SERIALIZED` allows. MPI's default error handler
//! ends the whole job on any failure, so return codes are not checked: a failing call never
//! returns.

use std::os::raw::{c_int, c_void};

use cfut_processes::backend::Block;
use mpi::ffi;

/// Root to worker: the `SETUP` frame (build identity, initializer).
pub(crate) const TAG_SETUP: c_int = 0x0cf1;
/// Worker to root: `READY` or `REFUSED`.
pub(crate) const TAG_REPLY: c_int = 0x0cf2;
/// Root to worker: a `CALL` frame.
pub(crate) const TAG_CALL: c_int = 0x0cf3;
/// Worker to root: a `RESULT` frame.
pub(crate) const TAG_RESULT: c_int = 0x0cf4;
/// Root to worker: stop serving (empty).
pub(crate) const TAG_STOP: c_int = 0x0cf5;
/// Root to worker: a `CALL` frame whose argument is the block message after it.
pub(crate) const TAG_CALL_BLOCK: c_int = 0x0cf6;
/// Worker to root: a `RESULT` frame whose value is the block message after it.
pub(crate) const TAG_RESULT_BLOCK: c_int = 0x0cf7;
/// Either way, plus the log2 of the block's alignment (0 to [`Block::MAX_ALIGN_LOG2`]): a
/// big plain buffer's bytes as they are, right after the frame it belongs to (a message of
/// its own, received straight into a [`Block`] of that alignment, which becomes the `Vec`
/// the call or the caller gets).
const TAG_BLOCK: c_int = 0x0d00;

/// The tag of the message carrying `block` (see [`TAG_BLOCK`]).
fn block_tag(block: &Block) -> c_int {
    // At most `Block::MAX_ALIGN_LOG2`.
    TAG_BLOCK + block.align().trailing_zeros() as c_int
}

/// The alignment a block message of `tag` carries, if `tag` is a block's.
fn block_align(tag: c_int) -> Option<usize> {
    let log2 = u32::try_from(tag.checked_sub(TAG_BLOCK)?).ok()?;
    (log2 <= Block::MAX_ALIGN_LOG2).then(|| 1 << log2)
}

/// The largest message MPI can count in one `int` of bytes.
pub(crate) const MAX_MESSAGE: usize = c_int::MAX as usize;

/// A communicator this crate owns (a duplicate of the user's, so its messages never match
/// the user's own receives), freed on drop.
#[derive(Debug)]
pub(crate) struct Comm {
    raw: ffi::MPI_Comm,
    /// `true` for an intercommunicator (spawn mode): ranks name the remote group.
    inter: bool,
}

// SAFETY: an `MPI_Comm` is a handle that any thread may use once MPI runs at
// `MPI_THREAD_SERIALIZED` or above (checked before any `Comm` is made); this crate lets one
// thread at a time use it (see the module docs): the seat's lock orders their calls.
unsafe impl Send for Comm {}

impl Comm {
    /// Duplicates `raw` (collective over its processes).
    ///
    /// # Safety
    ///
    /// `raw` must be a valid communicator and MPI initialized.
    pub(crate) unsafe fn duplicate(raw: ffi::MPI_Comm) -> Comm {
        // SAFETY: `RSMPI_COMM_NULL` is a constant handle.
        let mut dup = unsafe { ffi::RSMPI_COMM_NULL };
        // SAFETY: `raw` is valid (caller), `dup` is writable.
        unsafe { ffi::MPI_Comm_dup(raw, &mut dup) };
        let mut flag: c_int = 0;
        // SAFETY: `dup` was just created.
        unsafe { ffi::MPI_Comm_test_inter(dup, &mut flag) };
        Comm {
            raw: dup,
            inter: flag != 0,
        }
    }

    /// Takes over the intercommunicator `raw` (spawn mode), disconnecting it on drop.
    ///
    /// # Safety
    ///
    /// `raw` must be a live intercommunicator that nothing else frees.
    pub(crate) unsafe fn adopt_inter(raw: ffi::MPI_Comm) -> Comm {
        Comm { raw, inter: true }
    }

    /// This process's rank (in the local group).
    pub(crate) fn rank(&self) -> i32 {
        let mut rank = 0;
        // SAFETY: `self.raw` is a valid communicator we own.
        unsafe { ffi::MPI_Comm_rank(self.raw, &mut rank) };
        rank
    }

    /// A message from `source` with `tag` (any if `None`) that has arrived, if one has:
    /// `(source, tag, length in bytes)`. Never blocks.
    pub(crate) fn probe(
        &self,
        source: Option<i32>,
        tag: Option<c_int>,
    ) -> Option<(i32, c_int, usize)> {
        // SAFETY: `RSMPI_ANY_SOURCE` and `RSMPI_ANY_TAG` are constants.
        let (any_source, any_tag) = unsafe { (ffi::RSMPI_ANY_SOURCE, ffi::RSMPI_ANY_TAG) };
        let source = source.unwrap_or(any_source);
        let tag = tag.unwrap_or(any_tag);
        let mut flag: c_int = 0;
        // SAFETY: a zeroed status is a valid out-parameter.
        let mut status: ffi::MPI_Status = unsafe { std::mem::zeroed() };
        // SAFETY: `self.raw` is ours; `flag` and `status` are writable.
        unsafe { ffi::MPI_Iprobe(source, tag, self.raw, &mut flag, &mut status) };
        if flag == 0 {
            return None;
        }
        let mut count: c_int = 0;
        // SAFETY: `status` was filled by the probe; the datatype is a constant.
        unsafe { ffi::MPI_Get_count(&status, ffi::RSMPI_UINT8_T, &mut count) };
        Some((
            status.MPI_SOURCE,
            status.MPI_TAG,
            usize::try_from(count).unwrap_or(0),
        ))
    }

    /// Receives the message of `length` bytes from `source` with `tag` that a probe saw,
    /// into `buf` (replacing its contents, reusing its capacity: a fresh buffer for every
    /// 1 MiB message costs its page faults again each time).
    pub(crate) fn receive_into(&self, source: i32, tag: c_int, length: usize, buf: &mut Vec<u8>) {
        buf.clear();
        buf.reserve(length);
        // SAFETY: `buf` has room for `length` bytes (at most `c_int::MAX`, as probed); the
        // status is ignored.
        unsafe {
            ffi::MPI_Recv(
                buf.as_mut_ptr().cast::<c_void>(),
                length as c_int,
                ffi::RSMPI_UINT8_T,
                source,
                tag,
                self.raw,
                ffi::RSMPI_STATUS_IGNORE,
            )
        };
        // SAFETY: the probed message of exactly `length` bytes was received into `buf` (MPI's
        // default error handler ends the job rather than return with fewer). Not zeroed
        // first: MPI writes every byte.
        unsafe { buf.set_len(length) };
    }

    /// Receives the next message from `source`, waiting for it if it has not arrived: the
    /// block message right after its frame, into a [`Block`] of its length and of the
    /// alignment its tag carries. `Err` (with what came instead) if that message is no block.
    pub(crate) fn receive_block(&self, source: i32) -> Result<Block, String> {
        // SAFETY: a zeroed status is a valid out-parameter; `RSMPI_ANY_TAG` is a constant.
        let (mut status, any_tag): (ffi::MPI_Status, c_int) =
            unsafe { (std::mem::zeroed(), ffi::RSMPI_ANY_TAG) };
        // SAFETY: `self.raw` is ours; `status` is writable.
        unsafe { ffi::MPI_Probe(source, any_tag, self.raw, &mut status) };
        let tag = status.MPI_TAG;
        let Some(align) = block_align(tag) else {
            return Err(format!("a message with tag {tag:#x} where a block was due"));
        };
        let mut count: c_int = 0;
        // SAFETY: `status` was filled by the probe; the datatype is a constant.
        unsafe { ffi::MPI_Get_count(&status, ffi::RSMPI_UINT8_T, &mut count) };
        let length = usize::try_from(count).unwrap_or(0);
        let mut block = Block::with_capacity(length, align)
            .ok_or_else(|| format!("no block of {length} bytes aligned to {align}"))?;
        // SAFETY: the block has room for `length` bytes (at most `c_int::MAX`, as probed); the
        // status is ignored.
        unsafe {
            ffi::MPI_Recv(
                block.spare_capacity_mut().as_mut_ptr().cast::<c_void>(),
                count,
                ffi::RSMPI_UINT8_T,
                source,
                tag,
                self.raw,
                ffi::RSMPI_STATUS_IGNORE,
            )
        };
        // SAFETY: the probed message of exactly `length` bytes was received into the spare
        // room (MPI's default error handler ends the job rather than return with fewer).
        unsafe { block.grow_len(length) };
        Ok(block)
    }

    /// Starts sending `buf` to `dest` with `tag`; the returned [`Sending`] owns the bytes
    /// until MPI is done with them.
    ///
    /// # Panics
    ///
    /// If `buf` is longer than [`MAX_MESSAGE`] (callers check first).
    pub(crate) fn start_send(&self, dest: i32, tag: c_int, buf: Vec<u8>) -> Sending {
        self.start(dest, tag, Payload::Bytes(buf))
    }

    /// Starts sending `block` to `dest`, tagged with its alignment; as
    /// [`start_send`](Self::start_send).
    pub(crate) fn start_send_block(&self, dest: i32, block: Block) -> Sending {
        self.start(dest, block_tag(&block), Payload::Block(block))
    }

    fn start(&self, dest: i32, tag: c_int, buf: Payload) -> Sending {
        let bytes = buf.bytes();
        let count = c_int::try_from(bytes.len()).expect("a message within MAX_MESSAGE");
        // SAFETY: `RSMPI_REQUEST_NULL` is a constant handle.
        let mut request = unsafe { ffi::RSMPI_REQUEST_NULL };
        // SAFETY: the heap buffer of `buf` does not move when `buf` moves into the returned
        // `Sending`, which keeps it alive until the request completes (or leaks it).
        unsafe {
            ffi::MPI_Isend(
                bytes.as_ptr().cast::<c_void>(),
                count,
                ffi::RSMPI_UINT8_T,
                dest,
                tag,
                self.raw,
                &mut request,
            )
        };
        Sending {
            request,
            buf: Some(buf),
        }
    }
}

impl Drop for Comm {
    fn drop(&mut self) {
        if self.inter {
            // SAFETY: `self.raw` is ours and no request on it is pending (every `Sending`
            // was waited for); disconnecting lets the spawned side finish on its own.
            unsafe { ffi::MPI_Comm_disconnect(&mut self.raw) };
        } else {
            // SAFETY: as above; freeing our duplicate.
            unsafe { ffi::MPI_Comm_free(&mut self.raw) };
        }
    }
}

/// What a send owns while MPI reads it.
#[derive(Debug)]
enum Payload {
    Bytes(Vec<u8>),
    Block(Block),
}

impl Payload {
    fn bytes(&self) -> &[u8] {
        match self {
            Payload::Bytes(bytes) => bytes,
            Payload::Block(block) => block.as_bytes(),
        }
    }
}

/// A send in progress: owns its bytes until MPI completes it.
#[derive(Debug)]
pub(crate) struct Sending {
    request: ffi::MPI_Request,
    buf: Option<Payload>,
}

// SAFETY: as for `Comm`: a request handle used by one thread at a time.
unsafe impl Send for Sending {}

impl Sending {
    /// `true` once MPI is done with the bytes (the bytes are freed then). Never blocks.
    pub(crate) fn test(&mut self) -> bool {
        if self.buf.is_none() {
            return true;
        }
        let mut flag: c_int = 0;
        // SAFETY: `self.request` is the live request of this send.
        unsafe { ffi::MPI_Test(&mut self.request, &mut flag, ffi::RSMPI_STATUS_IGNORE) };
        if flag != 0 {
            self.buf = None;
        }
        flag != 0
    }

    /// The bytes of a [`start_send`](Comm::start_send) back once MPI is done with them
    /// (`None` while it is not), for reuse. (A block's send is [`test`](Self::test)ed: its
    /// block is freed.)
    pub(crate) fn reclaim(&mut self) -> Option<Vec<u8>> {
        self.buf.as_ref()?;
        let mut flag: c_int = 0;
        // SAFETY: `self.request` is the live request of this send.
        unsafe { ffi::MPI_Test(&mut self.request, &mut flag, ffi::RSMPI_STATUS_IGNORE) };
        match self.buf.take_if(|_| flag != 0) {
            Some(Payload::Bytes(bytes)) => Some(bytes),
            Some(Payload::Block(_)) | None => None,
        }
    }

    /// Blocks until MPI is done with the bytes.
    pub(crate) fn wait(mut self) {
        if self.buf.is_some() {
            // SAFETY: `self.request` is the live request of this send.
            unsafe { ffi::MPI_Wait(&mut self.request, ffi::RSMPI_STATUS_IGNORE) };
            self.buf = None;
        }
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            // MPI may still read the bytes: leak them rather than free memory in use.
            std::mem::forget(buf);
        }
    }
}

/// Ends the whole MPI job with `code` (`MPI_Abort` on the world): what a rank does when it
/// cannot go on, so that no rank is left waiting.
pub(crate) fn abort(code: c_int) -> ! {
    // SAFETY: `RSMPI_COMM_WORLD` is valid while MPI runs; `MPI_Abort` does not return.
    unsafe { ffi::MPI_Abort(ffi::RSMPI_COMM_WORLD, code) };
    std::process::abort()
}
