//! A call on its way: the typed trampolines that run it in the worker, the frame that carries
//! it, and the slot that completes its future in the parent.

use std::cell::RefCell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::loom::sync::BlockArc as Arc;
use std::io;
use std::os::fd::BorrowedFd;

use cfut_core::{Error, Portable, Promise};

use crate::block::Block;
use crate::board::Board;
use crate::loom::sync::Arc as BoardArc;
use crate::tuning::BLOCK_FROM;
use crate::{image, raw, wire};

/// What the worker calls for a `CALL` frame: decodes the argument, runs the user's function
/// at `func`, puts the outcome in `out`, and returns the `RESULT` status.
///
/// # Safety
///
/// `func` must be the address, in this process, of the function the trampoline was
/// instantiated for.
pub(crate) type Trampoline = unsafe fn(func: usize, arg: Arg<'_>, out: &mut Out<'_>) -> u8;

/// A call's argument as it arrived.
#[derive(Debug)]
pub(crate) struct Arg<'a> {
    /// The encoded argument (empty when it came as a block).
    pub(crate) payload: &'a [u8],
    /// The argument's bytes, when it came as a `BLOCK` frame.
    pub(crate) block: Option<Block>,
}

/// Where a call's outcome goes.
#[derive(Debug)]
pub(crate) struct Out<'a> {
    /// The encoded outcome is appended here.
    pub(crate) bytes: &'a mut Vec<u8>,
    /// `Some` when a big plain value may leave as a block: it is moved here (status `OK`,
    /// nothing appended) instead of encoded.
    pub(crate) block: Option<&'a mut Option<Block>>,
}

/// Decodes a call's argument: from its block when it came as one (then nothing else may
/// follow), else from its encoding.
fn decode_arg<A: Portable>(arg: Arg<'_>) -> Result<A, String> {
    match arg.block {
        Some(_) if !arg.payload.is_empty() => Err(format!(
            "{} bytes after an argument that came as a block",
            arg.payload.len()
        )),
        Some(block) => crate::raw::from_block(block),
        None => wire::decode::<A>(arg.payload),
    }
}

/// Puts `value` in `out`: moved as a block when `out` takes one and the value is a plain
/// buffer of at least [`BLOCK_FROM`] bytes, else encoded.
fn put_result<T: Portable>(value: T, out: &mut Out<'_>) -> Result<(), String> {
    if let Some(slot) = &mut out.block {
        if crate::raw::block_len(&value).is_some_and(|len| len >= BLOCK_FROM) {
            match crate::raw::into_block(value) {
                Ok(block) => {
                    **slot = Some(block);
                    return Ok(());
                }
                Err(value) => return wire::encode_into(&value, out.bytes),
            }
        }
    }
    wire::encode_into(&value, out.bytes)
}

thread_local! {
    /// Where the last panic on this thread happened, recorded by the worker's panic hook.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the worker's panic hook: remember the location, then report as usual.
pub(crate) fn install_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let location = info.location().map(ToString::to_string);
        PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
        previous(info);
    }));
}

/// The panic as it travels: message and location.
type WirePanic = (String, Option<String>);

pub(crate) fn caught(payload: &(dyn std::any::Any + Send)) -> WirePanic {
    let message = cfut_core::panic_message(payload);
    let location = PANIC_LOCATION.with(|slot| slot.borrow_mut().take());
    (message, location)
}

pub(crate) fn not_portable(out: &mut Vec<u8>, message: String) -> u8 {
    out.extend_from_slice(message.as_bytes());
    wire::NOT_PORTABLE
}

/// Runs `step`, a user type's `Serialize` or `Deserialize`, turning its error or its panic
/// into an [`Error::Serialization`] message that says what failed (`what`: "decode the
/// result in the parent", ...) and keeps the value's own words. `what` is only formatted on
/// failure: batches call this once per element.
pub(crate) fn guarded<R, W: fmt::Display>(
    what: impl FnOnce() -> W,
    step: impl FnOnce() -> Result<R, String>,
) -> Result<R, String> {
    match panic::catch_unwind(AssertUnwindSafe(step)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(format!("cannot {}: {message}", what())),
        Err(payload) => {
            let (message, location) = caught(&*payload);
            Err(match location {
                Some(at) => format!("cannot {}: it panicked at {at}: {message}", what()),
                None => format!("cannot {}: it panicked: {message}", what()),
            })
        }
    }
}

/// The trampoline of `submit_call::<A, T>`.
///
/// # Safety
///
/// See [`Trampoline`]: `func` must be a `fn(A) -> T` of this process.
pub(crate) unsafe fn run_one<A: Portable, T: Portable>(
    func: usize,
    arg: Arg<'_>,
    out: &mut Out<'_>,
) -> u8 {
    // SAFETY: the caller guarantees `func` is the address of a `fn(A) -> T` in this process
    // (the parent took it from such a pointer; the build identity proves the same image).
    let call = unsafe { std::mem::transmute::<usize, fn(A) -> T>(func) };
    let arg = match guarded(
        || "decode the argument in the worker",
        || decode_arg::<A>(arg),
    ) {
        Ok(arg) => arg,
        Err(message) => return not_portable(out.bytes, message),
    };
    match panic::catch_unwind(AssertUnwindSafe(|| call(arg))) {
        Ok(value) => {
            match guarded(
                || "encode the result in the worker",
                || put_result(value, out),
            ) {
                Ok(()) => wire::OK,
                Err(message) => not_portable(out.bytes, message),
            }
        }
        Err(payload) => {
            let panic = caught(&*payload);
            drop(payload);
            wire::encode_into(&panic, out.bytes).expect("strings always encode");
            wire::PANICKED
        }
    }
}

/// Element tag in a batch's results: a value follows.
const ELEMENT_VALUE: u8 = 0;
/// Element tag in a batch's results: a panic report `(message, location)` follows.
const ELEMENT_PANICKED: u8 = 1;

/// The trampoline of `submit_batch::<A, T>`: each element's panic is caught separately.
///
/// The results are encoded as they come, without collecting them first: for each element a
/// tag byte ([`ELEMENT_VALUE`] or [`ELEMENT_PANICKED`]) and the encoded value (a plain number
/// as its fixed-width little-endian bytes, [`raw::put_number`]) or panic report, then the
/// number of elements as a `u32`. Every element takes at least its tag
/// byte, so a decoder never believes a count the payload cannot hold.
///
/// # Safety
///
/// See [`Trampoline`]: `func` must be a `fn(A) -> T` of this process.
pub(crate) unsafe fn run_batch<A: Portable, T: Portable>(
    func: usize,
    arg: Arg<'_>,
    out: &mut Out<'_>,
) -> u8 {
    // SAFETY: as in `run_one`.
    let call = unsafe { std::mem::transmute::<usize, fn(A) -> T>(func) };
    // A batch's results are always encoded.
    let out = &mut *out.bytes;
    let args = match guarded(
        || "decode the arguments in the worker",
        || decode_arg::<Vec<A>>(arg),
    ) {
        Ok(args) => args,
        Err(message) => return not_portable(out, message),
    };
    let mark = out.len();
    let count = args.len();
    for (index, arg) in args.into_iter().enumerate() {
        match panic::catch_unwind(AssertUnwindSafe(|| call(arg))) {
            Ok(value) => {
                out.push(ELEMENT_VALUE);
                if raw::put_number(&value, out) {
                    continue;
                }
                let what = || format!("encode the result of element {index} in the worker");
                if let Err(message) = guarded(what, || wire::encode_into(&value, out)) {
                    out.truncate(mark);
                    return not_portable(out, message);
                }
            }
            Err(payload) => {
                let panic = caught(&*payload);
                drop(payload);
                out.push(ELEMENT_PANICKED);
                wire::encode_into(&panic, out).expect("strings always encode");
            }
        }
    }
    out.extend_from_slice(&(count as u32).to_le_bytes());
    wire::OK
}

/// Builds the `CALL` frame for `func` through `trampoline` with `arg`. The id is left zero;
/// the manager writes it when it sends the frame.
///
/// A batch (for [`run_batch`]) passes its `Vec` of arguments as `arg`: a batch of plain
/// buffers takes [`crate::raw`]'s fast path too.
pub(crate) fn call_frame<A: serde::Serialize + 'static>(
    trampoline: Trampoline,
    func: usize,
    arg: &A,
) -> Result<Vec<u8>, Error> {
    let trampoline = trampoline as usize;
    if !image::contains(func) || !image::contains(trampoline) {
        return Err(Error::Serialization {
            message: "the function does not live in the executable's code (a shared library?); \
                      only functions of the running binary can run in a worker process"
                .to_owned(),
        });
    }
    let room = 64 + crate::raw::block_len(arg).unwrap_or(0);
    let mut frame = Vec::with_capacity(room);
    let start = wire::begin(&mut frame, wire::CALL);
    frame.extend_from_slice(&0_u64.to_le_bytes());
    frame.extend_from_slice(&image::offset(trampoline).to_le_bytes());
    frame.extend_from_slice(&image::offset(func).to_le_bytes());
    let serialization = |message| Error::Serialization { message };
    guarded(
        || "encode the argument in the parent",
        || wire::encode_into(arg, &mut frame),
    )
    .map_err(serialization)?;
    wire::end(&mut frame, start).map_err(serialization)?;
    Ok(frame)
}

/// The `CALL` frame of `func` through `trampoline` with `arg`, as [`call_frame`] builds it,
/// except that an argument that is a plain buffer of at least [`BLOCK_FROM`] bytes is not
/// encoded: its memory is returned as the block to send before the frame, whose payload is
/// then empty.
pub(crate) fn call_parts<A: Portable>(
    trampoline: Trampoline,
    func: usize,
    arg: A,
) -> Result<(Vec<u8>, Option<Block>), Error> {
    let arg = if crate::raw::block_len(&arg).is_some_and(|len| len >= BLOCK_FROM) {
        match crate::raw::into_block(arg) {
            Ok(block) => return Ok((call_frame(trampoline, func, &())?, Some(block))),
            Err(arg) => arg,
        }
    } else {
        arg
    };
    Ok((call_frame(trampoline, func, &arg)?, None))
}

/// Decodes the outcome of a `submit_call`, from the block that came before its frame if it
/// came as one. A result whose `Deserialize` fails or panics fails with
/// [`Error::Serialization`] carrying its words; nothing unwinds out of here.
pub(crate) fn decode_one<T: Portable>(
    status: u8,
    payload: &[u8],
    block: Option<Block>,
) -> Result<T, Error> {
    match (status, block) {
        (wire::OK, block) => guarded(
            || "decode the result in the parent",
            || decode_arg::<T>(Arg { payload, block }),
        )
        .map_err(|message| Error::Serialization { message }),
        (other, None) => Err(decode_failure(other, payload)),
        (other, Some(_)) => Err(Error::Serialization {
            message: format!("the worker sent a block before a result of status {other}"),
        }),
    }
}

/// Decodes the outcome of a `submit_batch` (see [`run_batch`] for the layout). A corrupt
/// payload, or an element whose `Deserialize` fails or panics, fails the whole batch with
/// [`Error::Serialization`]; nothing unwinds out of here, and no allocation is sized by a
/// count the payload cannot hold.
pub(crate) fn decode_batch<T: Portable>(
    status: u8,
    payload: &[u8],
) -> Result<Vec<Result<T, Error>>, Error> {
    if status != wire::OK {
        return Err(decode_failure(status, payload));
    }
    let corrupt = |what: String| Error::Serialization {
        message: format!("the parent cannot decode the results: {what}"),
    };
    let split = payload
        .len()
        .checked_sub(4)
        .ok_or_else(|| corrupt("too short".to_owned()))?;
    let count = wire::u32_at(payload, split).expect("4 bytes") as usize;
    if count > split {
        return Err(corrupt(format!(
            "{count} elements announced in {split} bytes"
        )));
    }
    let mut results = Vec::with_capacity(count);
    let mut rest = &payload[..split];
    // One guard for the whole loop, not one per element: a failing or panicking
    // `Deserialize` fails the whole batch either way, and `index` (read after the guard)
    // still names the element.
    let at = std::cell::Cell::new(0);
    let decoded = guarded(
        || format!("decode the result of element {} in the parent", at.get()),
        || {
            while at.get() < count {
                let index = at.get();
                let Some((&tag, after)) = rest.split_first() else {
                    return Ok(Err(corrupt(format!("element {index} is missing"))));
                };
                rest = match tag {
                    ELEMENT_VALUE => {
                        let (value, after) = match raw::take_number::<T>(after) {
                            Some(number) => number?,
                            None => wire::take::<T>(after)?,
                        };
                        results.push(Ok(value));
                        after
                    }
                    ELEMENT_PANICKED => match wire::take::<WirePanic>(after) {
                        Ok(((message, location), after)) => {
                            results.push(Err(Error::Panicked { message, location }));
                            after
                        }
                        Err(e) => {
                            return Ok(Err(corrupt(format!(
                                "element {index}'s panic report: {e}"
                            ))));
                        }
                    },
                    other => return Ok(Err(corrupt(format!("element {index} has tag {other}")))),
                };
                at.set(index + 1);
            }
            Ok(Ok(()))
        },
    );
    match decoded {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error),
        Err(message) => return Err(Error::Serialization { message }),
    }
    if !rest.is_empty() {
        return Err(corrupt(format!(
            "{} bytes after the last element",
            rest.len()
        )));
    }
    Ok(results)
}

fn decode_failure(status: u8, payload: &[u8]) -> Error {
    match status {
        wire::PANICKED => match wire::decode::<WirePanic>(payload) {
            Ok((message, location)) => Error::Panicked { message, location },
            Err(error) => Error::Serialization {
                message: format!("the parent cannot decode a panic report: {error}"),
            },
        },
        wire::NOT_PORTABLE => Error::Serialization {
            message: String::from_utf8_lossy(payload).into_owned(),
        },
        other => Error::Serialization {
            message: format!("the worker sent an unknown result status {other}"),
        },
    }
}

/// The parent's end of a call: completes its future.
pub(crate) trait Slot: Send {
    /// Marks the future running; `false` if it was cancelled (then the call must not be sent).
    fn set_running(&self) -> bool;
    /// Leaves the future pending while the call waits in a worker's queue as call `id`,
    /// cancellable through the worker's `board` (see `board.rs`); `false` if it was cancelled
    /// (do not send it).
    fn hand_over(&self, board: &BoardArc<Board>, id: u64) -> bool;
    /// Completes the future from a `RESULT` frame (and the block that came right before it).
    fn complete(self: Box<Self>, status: u8, payload: &[u8], block: Option<Block>);
    /// Fails the future.
    fn fail(self: Box<Self>, error: Error);
    /// Cancels the future (a call that will never be sent).
    fn cancel(self: Box<Self>);
    /// The call waits in the parent's queue: a wait on its future sleeps at once
    /// (`Promise::hint_queued`).
    fn hint_queued(&self);
}

/// Decodes a `RESULT` frame's status and payload, and the block that came right before it,
/// into a future's outcome.
pub(crate) type Decode<R> = fn(u8, &[u8], Option<Block>) -> Result<R, Error>;

/// The [`Slot`] left in a call whose future was already settled (a call sent ahead and
/// cancelled by a shutdown, whose `CANCELLED` answer is still to come): does nothing.
pub(crate) struct Settled;

impl Slot for Settled {
    fn set_running(&self) -> bool {
        false
    }

    fn hand_over(&self, _: &BoardArc<Board>, _: u64) -> bool {
        false
    }

    fn complete(self: Box<Self>, _: u8, _: &[u8], _: Option<Block>) {}

    fn fail(self: Box<Self>, _: Error) {}

    fn cancel(self: Box<Self>) {}

    fn hint_queued(&self) {}
}

/// A [`Slot`] for a future of `R`, with the decoder of its result.
pub(crate) struct Typed<R> {
    pub(crate) promise: Promise<R>,
    pub(crate) decode: Decode<R>,
}

impl<R: Send + 'static> Slot for Typed<R> {
    fn set_running(&self) -> bool {
        self.promise.set_running_or_notify_cancel()
    }

    fn hand_over(&self, board: &BoardArc<Board>, id: u64) -> bool {
        let board = BoardArc::clone(board);
        self.promise.set_cancel_arbiter(move || board.cancel(id))
    }

    fn complete(self: Box<Self>, status: u8, payload: &[u8], block: Option<Block>) {
        let outcome = (self.decode)(status, payload, block);
        self.promise.complete(outcome);
    }

    fn fail(self: Box<Self>, error: Error) {
        self.promise.set_error(error);
    }

    fn cancel(self: Box<Self>) {
        self.promise.cancel();
    }

    fn hint_queued(&self) {
        self.promise.hint_queued();
    }
}

/// A call waiting in the parent or running in a worker.
pub(crate) struct PendingCall {
    /// The whole `CALL` frame, id to be patched.
    pub(crate) frame: Vec<u8>,
    /// The argument's bytes, sent as a `BLOCK` frame before `frame`. Kept until the call
    /// completes, like the frame: a call queued behind one that killed its worker goes to
    /// another worker.
    pub(crate) block: Option<Arc<Block>>,
    pub(crate) slot: Box<dyn Slot>,
}

impl PendingCall {
    /// The bytes the call sends: its block's frame (if any), then its `CALL` frame.
    pub(crate) fn len(&self) -> usize {
        self.block.as_ref().map_or(0, |b| wire::HEADER + b.len()) + self.frame.len()
    }

    /// Sends the call's bytes after the first `sent`, once, without blocking: how many more
    /// went out.
    pub(crate) fn send(&self, fd: BorrowedFd<'_>, sent: usize) -> io::Result<usize> {
        match &self.block {
            None => wire::send(fd, &self.frame[sent..], true),
            Some(block) => {
                let header = wire::block_header(block);
                wire::send_pieces(fd, &[&header, block.bytes(), &self.frame], sent, true)
            }
        }
    }

    /// Queues the call's bytes after the first `sent` in `out`: its block is shared with
    /// `out` (not copied), its frame is copied (the call keeps both).
    pub(crate) fn queue(&self, sent: usize, out: &mut wire::Outbox) {
        let mut sent = sent;
        if let Some(block) = &self.block {
            let header = wire::block_header(block);
            out.extend_from_slice(&header[sent.min(wire::HEADER)..]);
            let offset = sent.saturating_sub(wire::HEADER);
            sent = offset.saturating_sub(block.len());
            out.splice(Arc::clone(block), offset);
        }
        out.extend_from_slice(&self.frame[sent.min(self.frame.len())..]);
    }
}

impl fmt::Debug for PendingCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("PendingCall { .. }")
    }
}

#[cfg(test)]
#[path = "task/tests/props.rs"]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn double(x: u32) -> u32 {
        x * 2
    }

    fn explode(_: u32) -> u32 {
        panic!("kaboom")
    }

    fn run(trampoline: Trampoline, func: usize, frame: &[u8]) -> (u8, Vec<u8>) {
        let payload = &frame[wire::HEADER + 24..];
        let mut out = Vec::new();
        let mut output = Out {
            bytes: &mut out,
            block: None,
        };
        // SAFETY: each test passes the function the trampoline was instantiated for.
        let status = unsafe {
            trampoline(
                func,
                Arg {
                    payload,
                    block: None,
                },
                &mut output,
            )
        };
        (status, out)
    }

    #[test]
    fn a_call_round_trips_in_process() {
        let frame = call_frame(
            run_one::<u32, u32> as Trampoline,
            double as fn(u32) -> u32 as usize,
            &21_u32,
        )
        .unwrap();
        let (status, out) = run(
            run_one::<u32, u32>,
            double as fn(u32) -> u32 as usize,
            &frame,
        );
        assert_eq!(decode_one::<u32>(status, &out, None), Ok(42));
    }

    #[test]
    fn a_panic_becomes_panicked() {
        let (status, out) = run(
            run_one::<u32, u32>,
            explode as fn(u32) -> u32 as usize,
            &call_frame(
                run_one::<u32, u32> as Trampoline,
                explode as fn(u32) -> u32 as usize,
                &1_u32,
            )
            .unwrap(),
        );
        assert!(
            matches!(decode_one::<u32>(status, &out, None), Err(Error::Panicked { message, .. }) if message == "kaboom")
        );
    }

    #[test]
    fn a_batch_keeps_each_elements_outcome() {
        fn invert(x: i32) -> i32 {
            100 / x
        }
        let func = invert as fn(i32) -> i32 as usize;
        let frame = call_frame(run_batch::<i32, i32> as Trampoline, func, &vec![1, 0, 4]).unwrap();
        let (status, out) = run(run_batch::<i32, i32>, func, &frame);
        let results = decode_batch::<i32>(status, &out).unwrap();
        assert_eq!(results[0], Ok(100));
        assert!(matches!(results[1], Err(Error::Panicked { .. })));
        assert_eq!(results[2], Ok(25));
    }

    /// A slot that keeps the outcome of a `Vec<u8>` call (no future: these tests also run
    /// in the loom build, where a future needs a model).
    struct Kept(Outcome);

    impl Slot for Kept {
        fn set_running(&self) -> bool {
            true
        }
        fn hand_over(&self, _: &BoardArc<Board>, _: u64) -> bool {
            true
        }
        fn complete(self: Box<Self>, status: u8, payload: &[u8], block: Option<Block>) {
            *self.0.lock().unwrap() = Some(decode_one(status, payload, block));
        }
        fn fail(self: Box<Self>, error: Error) {
            *self.0.lock().unwrap() = Some(Err(error));
        }
        fn cancel(self: Box<Self>) {}
        fn hint_queued(&self) {}
    }

    type Outcome = Arc<std::sync::Mutex<Option<Result<Vec<u8>, Error>>>>;

    /// A call whose argument travels as a block, and the whole stream it sends.
    fn call_with_block(len: usize) -> (PendingCall, Vec<u8>, Outcome) {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let func = (|v: Vec<u8>| v) as fn(Vec<u8>) -> Vec<u8> as usize;
        let (frame, block) = call_parts(
            run_one::<Vec<u8>, Vec<u8>> as Trampoline,
            func,
            data.clone(),
        )
        .unwrap();
        let block = block.expect("big enough to travel as a block");
        let mut stream = wire::block_header(&block).to_vec();
        stream.extend_from_slice(&data);
        stream.extend_from_slice(&frame);
        let outcome = Outcome::default();
        let call = PendingCall {
            frame,
            block: Some(Arc::new(block)),
            slot: Box::new(Kept(Arc::clone(&outcome))),
        };
        (call, stream, outcome)
    }

    #[test]
    fn a_call_queues_and_sends_exactly_its_unsent_bytes() {
        use std::io::Read as _;
        use std::os::fd::AsFd as _;

        let (call, stream, _outcome) = call_with_block(BLOCK_FROM);
        assert_eq!(call.len(), stream.len());
        let step = 997; // through the header, the block and the frame
        for sent in (0..=stream.len())
            .step_by(step)
            .chain([1, 4, 5, 6, stream.len() - 1])
        {
            let mut out = wire::Outbox::with_capacity(0);
            call.queue(sent, &mut out);
            assert_eq!(out.unsent(), stream[sent..], "queued after {sent}");
        }
        assert!(call.block.is_some(), "the call keeps its block");
        for sent in [0, 3, 5, 700, wire::HEADER + BLOCK_FROM, stream.len() - 2] {
            let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
            let reader = std::thread::spawn(move || {
                let mut got = Vec::new();
                theirs.read_to_end(&mut got).unwrap();
                got
            });
            let mut at = sent;
            while at < call.len() {
                match call.send(ours.as_fd(), at) {
                    Ok(n) => at += n,
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::yield_now()
                    }
                    Err(error) => panic!("{error}"),
                }
            }
            drop(ours);
            assert_eq!(reader.join().unwrap(), stream[sent..], "sent after {sent}");
        }
    }

    #[test]
    fn a_big_buffer_crosses_as_a_block_both_ways() {
        let (mut call, _stream, outcome) = call_with_block(BLOCK_FROM + 1);
        let block = call.block.take().map(|b| Arc::into_inner(b).unwrap());
        let payload = &call.frame[wire::HEADER + 24..];
        assert!(payload.is_empty(), "nothing encoded");
        let mut out = Vec::new();
        let mut result_block = None;
        let mut output = Out {
            bytes: &mut out,
            block: Some(&mut result_block),
        };
        let func = (|v: Vec<u8>| v) as fn(Vec<u8>) -> Vec<u8> as usize;
        // SAFETY: the trampoline is instantiated for `func`'s type.
        let status =
            unsafe { run_one::<Vec<u8>, Vec<u8>>(func, Arg { payload, block }, &mut output) };
        assert_eq!(status, wire::OK);
        assert!(out.is_empty(), "the result was not encoded");
        call.slot.complete(status, &out, result_block);
        let echoed = outcome.lock().unwrap().take().unwrap().unwrap();
        assert_eq!(echoed.len(), BLOCK_FROM + 1);
        assert!(echoed.iter().enumerate().all(|(i, &b)| b == i as u8));
    }

    #[test]
    fn small_buffers_and_batches_stay_encoded() {
        let func = (|v: Vec<u8>| v) as fn(Vec<u8>) -> Vec<u8> as usize;
        let (_, block) = call_parts(
            run_one::<Vec<u8>, Vec<u8>> as Trampoline,
            func,
            vec![1_u8; BLOCK_FROM - 1],
        )
        .unwrap();
        assert!(block.is_none());
        // A result while the output takes no blocks (the backend's), big or not: encoded.
        let mut out = Vec::new();
        let mut output = Out {
            bytes: &mut out,
            block: None,
        };
        let frame = call_frame(
            run_one::<Vec<u8>, Vec<u8>> as Trampoline,
            func,
            &vec![2_u8; BLOCK_FROM],
        )
        .unwrap();
        let payload = &frame[wire::HEADER + 24..];
        // SAFETY: as above.
        let status = unsafe {
            run_one::<Vec<u8>, Vec<u8>>(
                func,
                Arg {
                    payload,
                    block: None,
                },
                &mut output,
            )
        };
        assert_eq!(
            decode_one::<Vec<u8>>(status, &out, None),
            Ok(vec![2; BLOCK_FROM])
        );
    }

    #[test]
    fn a_block_for_the_wrong_type_or_with_a_failure_is_a_serialization_error() {
        // SAFETY: bytes.
        let odd = || Some(unsafe { Block::from_vec(vec![1_u8; 7]) });
        assert!(matches!(
            decode_one::<Vec<u32>>(wire::OK, &[], odd()),
            Err(Error::Serialization { .. })
        ));
        assert!(matches!(
            decode_one::<u32>(wire::OK, &[], odd()),
            Err(Error::Serialization { .. })
        ));
        assert!(matches!(
            decode_one::<Vec<u8>>(wire::OK, &[0], odd()),
            Err(Error::Serialization { .. })
        ));
        assert!(matches!(
            decode_one::<Vec<u8>>(wire::PANICKED, &[], odd()),
            Err(Error::Serialization { .. })
        ));
        assert_eq!(decode_one::<Vec<u8>>(wire::OK, &[], odd()), Ok(vec![1; 7]));
    }

    #[test]
    fn an_undecodable_argument_is_a_serialization_error() {
        let func = double as fn(u32) -> u32 as usize;
        let mut out = Vec::new();
        let mut output = Out {
            bytes: &mut out,
            block: None,
        };
        // SAFETY: `double` is a `fn(u32) -> u32`, matching the trampoline.
        let status = unsafe {
            run_one::<u32, u32>(
                func,
                Arg {
                    payload: &[],
                    block: None,
                },
                &mut output,
            )
        };
        assert!(matches!(
            decode_one::<u32>(status, &out, None),
            Err(Error::Serialization { .. })
        ));
    }
}
