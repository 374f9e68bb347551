//! For backend authors: the process pool's call encoding and worker step, for executors that
//! carry calls over another transport (MPI ranks, say) between copies of the same binary.
//!
//! A call travels as the process pool's do: one `CALL` frame holding the offsets (inside the
//! executable) of the user's function and of a typed trampoline, then the postcard-encoded
//! argument; the worker answers each with one `RESULT` frame. Before any call, the parent
//! sends a `SETUP` frame carrying its build [`identity`] and initializer, and the worker
//! answers `READY` or `REFUSED`. The transport only moves whole frames, in order per worker:
//! every value is encoded inside its frame (the process pool's own sockets also carry big
//! plain buffers as separate blocks of their memory; these functions never do).
//!
//! * [`identity`], for the build identity both sides must share;
//! * [`install_panic_hook`], for the worker's panic locations;
//! * [`setup_frame`], [`start_worker`] and [`read_reply`], for the start-up handshake;
//! * [`encode_call`] and [`encode_batch`], for the parent's `CALL` frames, and
//!   [`set_call_id`] and [`frame_id`] to number them;
//! * [`run_call`], for the worker's step (the process pool's worker runs the same function);
//! * [`decode_result`] and [`decode_batch`], for the parent's end of a `RESULT` frame;
//! * [`Call`], a call waiting for its result: its frame and its future's completion, the
//!   process pool's own pending-call record;
//! * [`Call::with_blocks`], [`run_call_with_block`] and [`Call::complete_with_block`], for a
//!   transport that moves a big plain argument or result (a `Vec` of primitive numbers, a
//!   `String`, of 64 KiB or more) as a message of its own, a [`Block`] of its memory beside
//!   its frame, instead of encoding it into the frame and decoding it out again: the same
//!   blocks the process pool's sockets carry as `BLOCK` frames.
//!
//! # Examples
//!
//! A whole round trip, with both ends in this process:
//!
//! ```
//! use cfut_processes::backend;
//!
//! fn double(x: u32) -> u32 { x * 2 }
//!
//! // Parent: the handshake (no initializer, frames up to 1 MiB), then a call.
//! let setup = backend::setup_frame(None, 1 << 20)?;
//! // Worker: checks the build and answers; it learns the parent's frame limit.
//! let mut reply = Vec::new();
//! let limit = backend::start_worker(&setup, &mut reply)?;
//! assert_eq!(limit, 1 << 20);
//! // Parent: the worker is ready.
//! backend::read_reply(&reply)?;
//! let mut call = backend::encode_call(double, &21)?;
//! backend::set_call_id(&mut call, 7);
//! // Worker: runs it.
//! let mut result = Vec::new();
//! backend::run_call(&call, &mut result, limit)?;
//! // Parent: reads the outcome.
//! assert_eq!(backend::frame_id(&result), Some(7));
//! assert_eq!(backend::decode_result::<u32>(&result), Ok(42));
//! # Ok::<(), cfut_core::Error>(())
//! ```

use std::fmt;

use cfut_core::{ChunkResults, Error, Future, Portable, promise};

pub use crate::block::Block;
use crate::task::{self, PendingCall, Trampoline, Typed};
use crate::worker::{self, Start};
use crate::{image, wire};

/// This build's identity, as the `SETUP` frame carries it: equal on both sides when they run
/// the same build.
///
/// # Examples
///
/// ```
/// let identity = cfut_processes::backend::identity();
/// assert_eq!(identity, cfut_processes::backend::identity());
/// assert_ne!(identity, 0);
/// ```
pub fn identity() -> u64 {
    image::identity()
}

/// Installs the worker's panic hook (it chains the previous one): a panicking call then
/// reports where it panicked, not only its message. Call it once in a worker, before serving.
///
/// # Examples
///
/// ```
/// use cfut_core::Error;
/// use cfut_processes::backend;
///
/// backend::install_panic_hook();
/// let call = backend::encode_call(|_: ()| -> u8 { panic!("oops") }, &())?;
/// let mut result = Vec::new();
/// backend::run_call(&call, &mut result, usize::MAX)?;
/// match backend::decode_result::<u8>(&result) {
///     Err(Error::Panicked { message, location }) => {
///         assert_eq!(message, "oops");
///         assert!(location.is_some());
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Error>(())
/// ```
pub fn install_panic_hook() {
    task::install_panic_hook();
}

/// The `SETUP` frame a worker expects first: this build's [`identity`], the initializer the
/// worker runs before serving, and `max_frame`, the longest `RESULT` frame the parent takes
/// (a longer result fails its call with [`Error::Serialization`] instead of crossing).
///
/// # Errors
///
/// [`Error::Broken`] if the initializer does not live in the executable itself.
///
/// # Examples
///
/// ```
/// fn setup() {}
/// let frame = cfut_processes::backend::setup_frame(Some(setup), 1 << 30)?;
/// assert!(frame.len() > 8);
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn setup_frame(initializer: Option<fn()>, max_frame: usize) -> Result<Vec<u8>, Error> {
    if let Some(initializer) = initializer {
        if !image::contains(initializer as usize) {
            return Err(Error::Broken {
                reason: "the initializer does not live in the executable itself".to_owned(),
            });
        }
    }
    let initializer = initializer.map(crate::initializer::Initializer::plain);
    let mut out = Vec::with_capacity(40);
    worker::setup_frame(&mut out, image::identity(), initializer.as_ref(), max_frame)
        .map_err(|reason| Error::Broken { reason })?;
    Ok(out)
}

/// The worker's start-up step: checks the `SETUP` frame (the parent's build identity against
/// this process's), runs the initializer, and appends the reply to `out` — `READY`, or
/// `REFUSED` with the reason. Send the reply either way; serve calls only on `Ok`, which
/// carries the parent's frame limit for [`run_call`].
///
/// # Errors
///
/// - [`Error::Broken`] with the reason when the worker refuses (another build, or the
///   initializer panicked): `REFUSED` was appended.
/// - [`Error::Serialization`] when `setup` is not a `SETUP` frame: nothing was appended.
///
/// # Examples
///
/// ```
/// use cfut_core::Error;
/// use cfut_processes::backend;
///
/// fn failing() { panic!("no database") }
/// let mut reply = Vec::new();
/// let setup = backend::setup_frame(Some(failing), 1 << 30)?;
/// let refused = backend::start_worker(&setup, &mut reply).map(drop);
/// assert!(matches!(refused, Err(Error::Broken { ref reason }) if reason.contains("no database")));
/// assert_eq!(backend::read_reply(&reply), refused);
/// # Ok::<(), Error>(())
/// ```
pub fn start_worker(setup: &[u8], out: &mut Vec<u8>) -> Result<usize, Error> {
    let mark = out.len();
    match worker::start(setup, out) {
        Start::Ready { limit } => Ok(limit),
        Start::Refused => Err(read_reply(&out[mark..]).expect_err("a REFUSED frame")),
        Start::Malformed(message) => Err(Error::Serialization { message }),
    }
}

/// The parent's end of the handshake: `Ok` for `READY`; the refusal as [`Error::Broken`].
///
/// # Errors
///
/// [`Error::Broken`] carrying the worker's reason for `REFUSED`, or saying what was wrong
/// with a frame that is neither.
///
/// # Examples
///
/// ```
/// use cfut_processes::backend;
///
/// let mut reply = Vec::new();
/// backend::start_worker(&backend::setup_frame(None, 1 << 30)?, &mut reply)?;
/// assert_eq!(backend::read_reply(&reply), Ok(()));
/// assert!(backend::read_reply(&[1, 2]).is_err());
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn read_reply(reply: &[u8]) -> Result<(), Error> {
    let broken = |reason: String| Err(Error::Broken { reason });
    match wire::header(reply) {
        Some((length, kind)) if reply.len() >= 4 + length && length >= 1 => {
            let body = &reply[wire::HEADER..4 + length];
            match kind {
                wire::READY => Ok(()),
                wire::REFUSED => broken(String::from_utf8_lossy(body).into_owned()),
                other => broken(format!(
                    "a worker answered the set-up with frame kind {other}"
                )),
            }
        }
        _ => broken(format!(
            "a worker answered the set-up with {} bytes that are no frame",
            reply.len()
        )),
    }
}

/// The `CALL` frame of `call(arg)` (id zero; see [`set_call_id`]).
///
/// # Errors
///
/// [`Error::Serialization`] if the argument cannot be encoded, or `call` does not live in the
/// executable itself (a shared library's function sits at another place in another process).
///
/// # Examples
///
/// ```
/// let frame = cfut_processes::backend::encode_call(|x: u64| x + 1, &41)?;
/// assert!(frame.len() > 24);
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn encode_call<A: Portable, T: Portable>(call: fn(A) -> T, arg: &A) -> Result<Vec<u8>, Error> {
    task::call_frame(task::run_one::<A, T> as Trampoline, call as usize, arg)
}

/// The `CALL` frame of `call` over every element of `args`, run as one unit; its result
/// decodes with [`decode_batch`], one outcome per element. (A `Vec`, not a slice: a batch of
/// plain buffers takes the codec's fast path, which recognises the `Vec` type.)
///
/// # Errors
///
/// As [`encode_call`].
///
/// # Examples
///
/// ```
/// use cfut_processes::backend;
///
/// let call = backend::encode_batch(|x: i32| 10 / x, &vec![1, 0, 5])?;
/// let mut result = Vec::new();
/// backend::run_call(&call, &mut result, usize::MAX)?;
/// let results = backend::decode_batch::<i32>(&result)?;
/// assert_eq!(results[0], Ok(10));
/// assert!(results[1].is_err(), "only the division by zero failed");
/// assert_eq!(results[2], Ok(2));
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn encode_batch<A: Portable, T: Portable>(
    call: fn(A) -> T,
    args: &Vec<A>,
) -> Result<Vec<u8>, Error> {
    task::call_frame(task::run_batch::<A, T> as Trampoline, call as usize, args)
}

/// Numbers a `CALL` frame; the worker copies the number into its `RESULT` frame.
///
/// # Panics
///
/// If `call` is shorter than a frame header and an id.
///
/// # Examples
///
/// ```
/// use cfut_processes::backend;
///
/// let mut call = backend::encode_call(|x: u8| x, &1)?;
/// backend::set_call_id(&mut call, 99);
/// assert_eq!(backend::frame_id(&call), Some(99));
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn set_call_id(call: &mut [u8], id: u64) {
    call[wire::ID_AT..wire::ID_AT + 8].copy_from_slice(&id.to_le_bytes());
}

/// The id of a `CALL` or `RESULT` frame; `None` if the frame is too short to hold one.
///
/// # Examples
///
/// ```
/// assert_eq!(cfut_processes::backend::frame_id(&[0; 3]), None);
/// ```
pub fn frame_id(frame: &[u8]) -> Option<u64> {
    wire::u64_at(frame, wire::ID_AT)
}

/// The worker's step for one call, shared with the process pool's worker: runs the `CALL`
/// frame `call` (catching a panic into the result) and appends its `RESULT` frame to `out`.
/// A result frame longer than `limit` (the parent's, from [`start_worker`]) is replaced by a
/// [`Error::Serialization`] result saying so.
///
/// # Errors
///
/// [`Error::Serialization`] if `call` is not a whole `CALL` frame: nothing was run or
/// appended, and the worker should stop, since the stream of frames is no longer trusted.
///
/// # Examples
///
/// ```
/// use cfut_processes::backend;
///
/// let call = backend::encode_call(|s: String| s.len(), &"four".to_owned())?;
/// let mut out = Vec::new();
/// backend::run_call(&call, &mut out, usize::MAX)?;
/// assert_eq!(backend::decode_result::<usize>(&out), Ok(4));
/// assert!(backend::run_call(&call[..10], &mut out, usize::MAX).is_err());
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn run_call(call: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), Error> {
    let mut frames = wire::Outbox::frames_only(std::mem::take(out));
    let outcome = worker::run_call(call, None, &mut frames, limit);
    *out = frames.into_bytes();
    outcome.map_err(|message| Error::Serialization { message })
}

/// [`run_call`] for a frame of [`Call::with_blocks`], with the block that came with it
/// (`None` if none did): the argument is that block itself, not a copy. Returns the block to
/// send with the `RESULT` frame when the result is a plain buffer of 64 KiB or more;
/// [`Call::complete_with_block`] takes both. A result block longer than `limit` is not
/// returned: the call is answered with [`Error::Serialization`] saying so.
///
/// # Errors
///
/// As [`run_call`].
///
/// # Examples
///
/// ```
/// use cfut_processes::backend::{self, Call};
///
/// fn reverse(mut values: Vec<f64>) -> Vec<f64> { values.reverse(); values }
///
/// // Parent: a buffer of 64 KiB and more travels as a block, with its alignment.
/// let values: Vec<f64> = (0..10_000).map(f64::from).collect();
/// let (mut call, future) = Call::with_blocks(reverse, values.clone())?;
/// assert!(call.set_running());
/// call.set_id(1);
/// let (frame, block) = (call.take_frame(), call.take_block());
/// assert_eq!(block.as_ref().map(|b| (b.len(), b.align())), Some((80_000, 8)));
/// // Worker: the block is the argument; the result is a block again.
/// let mut result = Vec::new();
/// let back = backend::run_call_with_block(&frame, block, &mut result, usize::MAX)?;
/// assert_eq!(back.as_ref().map(|b| b.len()), Some(80_000));
/// // Parent: the result's block becomes the future's value.
/// call.complete_with_block(&result, back);
/// assert_eq!(future.result(), Ok(values.into_iter().rev().collect()));
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn run_call_with_block(
    call: &[u8],
    block: Option<Block>,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<Option<Block>, Error> {
    let mut frames = wire::Outbox::with_block_aside(std::mem::take(out));
    let outcome = worker::run_call(call, block, &mut frames, limit);
    let (bytes, block) = frames.into_parts();
    *out = bytes;
    outcome
        .map(|()| block)
        .map_err(|message| Error::Serialization { message })
}

/// The body of a `RESULT` frame: its status and payload.
pub(crate) fn result_body(result: &[u8]) -> Result<(u8, &[u8]), Error> {
    match wire::header(result) {
        Some((length, wire::RESULT)) if length > 13 && result.len() >= 4 + length => {
            let body = &result[wire::HEADER..4 + length];
            Ok((body[8], &body[13..]))
        }
        _ => Err(Error::Serialization {
            message: format!("{} bytes that are no result frame", result.len()),
        }),
    }
}

/// The outcome of a call from its `RESULT` frame.
///
/// # Errors
///
/// What the call gave: [`Error::Panicked`] (message and location), or
/// [`Error::Serialization`] when a value could not cross, or the frame is malformed.
///
/// # Examples
///
/// ```
/// use cfut_core::Error;
/// use cfut_processes::backend;
///
/// let call = backend::encode_call(|x: u32| -> u32 { assert!(x < 5, "too big"); x }, &9)?;
/// let mut out = Vec::new();
/// backend::run_call(&call, &mut out, usize::MAX)?;
/// assert!(matches!(backend::decode_result::<u32>(&out), Err(Error::Panicked { .. })));
/// assert!(matches!(backend::decode_result::<u32>(&[0; 4]), Err(Error::Serialization { .. })));
/// # Ok::<(), Error>(())
/// ```
pub fn decode_result<T: Portable>(result: &[u8]) -> Result<T, Error> {
    let (status, payload) = result_body(result)?;
    task::decode_one(status, payload, None)
}

/// The outcomes of a batch (see [`encode_batch`]) from its `RESULT` frame, one per element.
///
/// # Errors
///
/// An error for the whole batch when the frame is malformed or the batch could not cross;
/// a panicking element is only that element's `Err`.
///
/// # Examples
///
/// ```
/// use cfut_processes::backend;
///
/// let call = backend::encode_batch(|x: u8| x * 3, &vec![1, 2])?;
/// let mut out = Vec::new();
/// backend::run_call(&call, &mut out, usize::MAX)?;
/// assert_eq!(backend::decode_batch::<u8>(&out)?, [Ok(3), Ok(6)]);
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub fn decode_batch<T: Portable>(result: &[u8]) -> Result<Vec<Result<T, Error>>, Error> {
    let (status, payload) = result_body(result)?;
    task::decode_batch(status, payload)
}

/// The "decoder" of a batch's `RESULT` that leaves the decoding to whoever consumes the
/// results (the process pool's and [`Call::batch`]'s).
pub(crate) fn defer_batch<T: Portable>(
    status: u8,
    payload: &[u8],
    block: Option<Block>,
) -> Result<ChunkResults<T>, Error> {
    if block.is_some() {
        return Err(Error::Serialization {
            message: "the worker sent a block before a batch's results".to_owned(),
        });
    }
    let payload = payload.to_vec();
    Ok(ChunkResults::deferred(move || {
        task::decode_batch::<T>(status, &payload)
    }))
}

/// A call on its way, the process pool's own record of one: its `CALL` frame and the
/// completion of its future (the decoder of its result included).
///
/// # Examples
///
/// ```
/// use cfut_processes::backend::{self, Call};
///
/// let (mut call, future) = Call::new(|x: u32| x + 1, 41)?;
/// assert!(call.set_running(), "not cancelled");
/// call.set_id(3);
/// let frame = call.take_frame();
/// let mut result = Vec::new();
/// backend::run_call(&frame, &mut result, usize::MAX)?;
/// assert_eq!(backend::frame_id(&result), Some(call.id()));
/// call.complete(&result);
/// assert_eq!(future.result(), Ok(42));
/// # Ok::<(), cfut_core::Error>(())
/// ```
pub struct Call {
    pending: PendingCall,
    id: u64,
    /// The argument's block, sent with the frame ([`Call::with_blocks`]).
    block: Option<Block>,
}

impl Call {
    /// The call `call(arg)` and the future of its result.
    ///
    /// # Errors
    ///
    /// As [`encode_call`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (call, future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// assert!(!future.is_done());
    /// call.cancel();
    /// assert!(future.is_cancelled());
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn new<A: Portable, T: Portable>(
        call: fn(A) -> T,
        arg: A,
    ) -> Result<(Call, Future<T>), Error> {
        let frame = encode_call(call, &arg)?;
        drop(arg);
        Ok(Call::with(frame, task::decode_one::<T>))
    }

    /// The call of `call` over every element of `args`, run as one unit, and the future of
    /// its per-element results (what [`CallExecutor::submit_batch`] gives). The results stay
    /// encoded until the thread that consumes them calls [`ChunkResults::decode`], so the
    /// backend's own thread only moves bytes.
    ///
    /// [`CallExecutor::submit_batch`]: cfut_core::CallExecutor::submit_batch
    ///
    /// # Errors
    ///
    /// As [`encode_call`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    /// use cfut_processes::backend::Call;
    ///
    /// let (call, future) = Call::batch(|x: u8| x, vec![1, 2])?;
    /// call.fail(Error::Shutdown);
    /// assert_eq!(future.result().err(), Some(Error::Shutdown));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn batch<A: Portable, T: Portable>(
        call: fn(A) -> T,
        args: Vec<A>,
    ) -> Result<(Call, Future<ChunkResults<T>>), Error> {
        let frame = encode_batch(call, &args)?;
        drop(args);
        Ok(Call::with(frame, defer_batch::<T>))
    }

    /// The call `call(arg)` for a transport that moves big buffers as messages of their own:
    /// an argument that is a plain buffer (a `Vec` of primitive numbers, a `String`) of 64 KiB
    /// or more is not encoded into the frame but kept as the call's [`Block`]
    /// ([`take_block`](Self::take_block), to send with the frame); a plain result of 64 KiB
    /// or more comes back as a block too. The worker runs the frame with
    /// [`run_call_with_block`]; the result completes the future through
    /// [`complete_with_block`](Self::complete_with_block). Any other value travels in the
    /// frame as with [`Call::new`]. The process pool's sockets move the same blocks.
    ///
    /// # Errors
    ///
    /// As [`encode_call`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_processes::backend::Call;
    ///
    /// let (call, _future) = Call::with_blocks(|b: Vec<u8>| b.len(), vec![0; 1 << 20])?;
    /// assert_eq!(call.block_len(), 1 << 20);
    /// assert!(call.frame_len() < 100, "the megabyte is not in the frame");
    /// let (mut small, _future) = Call::with_blocks(|b: Vec<u8>| b.len(), vec![0; 10])?;
    /// assert!(small.take_block().is_none());
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn with_blocks<A: Portable, T: Portable>(
        call: fn(A) -> T,
        arg: A,
    ) -> Result<(Call, Future<T>), Error> {
        let (frame, block) =
            task::call_parts(task::run_one::<A, T> as Trampoline, call as usize, arg)?;
        let (mut call, future) = Call::with(frame, task::decode_one::<T>);
        call.block = block;
        Ok((call, future))
    }

    /// The length of the call's block (0 if it has none, or once taken).
    ///
    /// # Examples
    ///
    /// ```
    /// let (call, _future) = cfut_processes::backend::Call::new(|b: Vec<u8>| b, vec![1; 99])?;
    /// assert_eq!(call.block_len(), 0, "Call::new puts everything in the frame");
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn block_len(&self) -> usize {
        self.block.as_ref().map_or(0, Block::len)
    }

    /// Moves the block out (see [`with_blocks`](Self::with_blocks)): the bytes to send with
    /// the frame, as they are, and their alignment.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut call, _future) =
    ///     cfut_processes::backend::Call::with_blocks(|b: Vec<u16>| b, vec![7; 40_000])?;
    /// let block = call.take_block().unwrap();
    /// assert_eq!((block.len(), block.align()), (80_000, 2));
    /// assert!(call.take_block().is_none());
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn take_block(&mut self) -> Option<Block> {
        self.block.take()
    }

    /// Completes the future from the call's `RESULT` frame and the block that came with it
    /// (`None` if none did; see [`run_call_with_block`]). A result that announces a block
    /// when none came, or a block of another type's alignment, fails the future with
    /// [`Error::Serialization`].
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    /// use cfut_processes::backend::{self, Call};
    ///
    /// let (mut call, future) = Call::with_blocks(|b: Vec<u8>| b, vec![3; 1 << 16])?;
    /// let (frame, block) = (call.take_frame(), call.take_block());
    /// let mut result = Vec::new();
    /// let back = backend::run_call_with_block(&frame, block, &mut result, usize::MAX)?;
    /// assert!(back.is_some());
    /// call.complete_with_block(&result, None);
    /// assert!(matches!(future.result(), Err(Error::Serialization { .. })), "its block is missing");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn complete_with_block(self, result: &[u8], block: Option<Block>) {
        match result_body(result) {
            Ok((status, payload)) => self.pending.slot.complete(status, payload, block),
            Err(error) => self.pending.slot.fail(error),
        }
    }

    fn with<R: Send + 'static>(frame: Vec<u8>, decode: task::Decode<R>) -> (Call, Future<R>) {
        let (promise, future) = promise();
        let pending = PendingCall {
            frame,
            block: None,
            slot: Box::new(Typed { promise, decode }),
        };
        (
            Call {
                pending,
                id: 0,
                block: None,
            },
            future,
        )
    }

    /// The length of the call's frame (0 once taken).
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut call, _future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// assert!(call.frame_len() > 24);
    /// let _ = call.take_frame();
    /// assert_eq!(call.frame_len(), 0);
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn frame_len(&self) -> usize {
        self.pending.frame.len()
    }

    /// Numbers the call: writes `id` into its frame (see [`set_call_id`]) and remembers it.
    ///
    /// # Panics
    ///
    /// If the frame was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut call, _future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// call.set_id(5);
    /// assert_eq!(call.id(), 5);
    /// assert_eq!(cfut_processes::backend::frame_id(&call.take_frame()), Some(5));
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn set_id(&mut self, id: u64) {
        set_call_id(&mut self.pending.frame, id);
        self.id = id;
    }

    /// The id given by [`set_id`](Self::set_id); 0 before.
    ///
    /// # Examples
    ///
    /// ```
    /// let (call, _future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// assert_eq!(call.id(), 0);
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Moves the frame out, for a transport that must own the bytes while it sends them.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut call, _future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// let frame = call.take_frame();
    /// assert!(!frame.is_empty());
    /// assert!(call.take_frame().is_empty());
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn take_frame(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending.frame)
    }

    /// Marks the future running; `false` if it was cancelled, and the call must not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (call, future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// assert!(future.cancel());
    /// assert!(!call.set_running());
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn set_running(&self) -> bool {
        self.pending.slot.set_running()
    }

    /// Completes the future from the call's `RESULT` frame (a malformed frame fails it with
    /// [`Error::Serialization`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    ///
    /// let (call, future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// call.complete(&[1, 2, 3]);
    /// assert!(matches!(future.result(), Err(Error::Serialization { .. })));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn complete(self, result: &[u8]) {
        match result_body(result) {
            Ok((status, payload)) => self.pending.slot.complete(status, payload, None),
            Err(error) => self.pending.slot.fail(error),
        }
    }

    /// Fails the future with `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use cfut_core::Error;
    ///
    /// let (call, future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// call.fail(Error::Broken { reason: "gone".into() });
    /// assert_eq!(future.result(), Err(Error::Broken { reason: "gone".into() }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fail(self, error: Error) {
        self.pending.slot.fail(error);
    }

    /// Cancels the future: the call will never be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let (call, future) = cfut_processes::backend::Call::new(|x: u8| x, 1)?;
    /// call.cancel();
    /// assert_eq!(future.result(), Err(cfut_core::Error::Cancelled));
    /// # Ok::<(), cfut_core::Error>(())
    /// ```
    pub fn cancel(self) {
        self.pending.slot.cancel();
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("id", &self.id)
            .field("frame_len", &self.pending.frame.len())
            .field("block_len", &self.block_len())
            .finish_non_exhaustive()
    }
}
