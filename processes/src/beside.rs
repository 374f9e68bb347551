//! Calls whose big byte buffers travel beside their frame, for transports that can move a
//! buffer as a message of its own (MPI, through [`crate::backend`]): a `Vec<u8>` argument or result of at least a
//! threshold's length is neither copied into its frame nor out of it. The transport sends
//! the frame and then the buffer, the *block*, as it is; the other side receives the block
//! straight into the `Vec` the call (or the caller) gets. What pickle protocol 5's
//! out-of-band buffers do for mpi4py.
//!
//! The frames are the process pool's `CALL` and `RESULT` frames, run by the same worker step;
//! only the trampoline is this module's, and each payload ends in one marker byte saying
//! whether its value is in the frame ([`INLINE`]) or in the block ([`BLOCK`]). A `CALL`
//! payload then carries the threshold (`u64`, little-endian) for the result, so the worker
//! detaches a result exactly when the parent asked for it.
//!
//! The block crosses between the transport and the trampoline (or the decoder) through a
//! slot of the thread that runs them, set just before and emptied just after.
//!
//! The socket pool moves big buffers out of band too, differently: `BLOCK` frames in the
//! same byte stream, of any plain buffer type with its alignment, handed to the trampoline in
//! its `Arg` and `Out` (`block.rs`, `wire.rs`). This module predates that path's arrival in
//! the backend; carrying a `BLOCK`'s alignment in an MPI message would let the backend use it
//! and retire this module (and widen MPI's blocks beyond `Vec<u8>`).

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

use cfut_core::{Error, Portable};

use crate::block::Block;
use crate::task::{self, Arg, Out, Trampoline};
use crate::wire;

/// Marker: the value is encoded in the frame, before the marker.
const INLINE: u8 = 0;
/// Marker: the value is the block that travels beside the frame.
const BLOCK: u8 = 1;

thread_local! {
    /// The block handed to the trampoline or decoder about to run on this thread.
    static INCOMING: Cell<Option<Vec<u8>>> = const { Cell::new(None) };
    /// The block of the result the trampoline just produced on this thread.
    static OUTGOING: Cell<Option<Vec<u8>>> = const { Cell::new(None) };
}

/// `value` as a block, if it is a `Vec<u8>` of at least `min` bytes; else `value` back.
fn into_block<T: 'static>(mut value: T, min: usize) -> Result<Vec<u8>, T> {
    match (&mut value as &mut dyn Any).downcast_mut::<Vec<u8>>() {
        Some(bytes) if bytes.len() >= min => Ok(std::mem::take(bytes)),
        _ => Err(value),
    }
}

/// The block as a `T`, if `T` is `Vec<u8>`.
fn from_block<T: 'static>(block: Vec<u8>) -> Option<T> {
    let mut slot = Some(block);
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<T>>()?
        .take()
}

/// The `CALL` frame of `call(arg)` (id zero) and, when `arg` is a `Vec<u8>` of at least
/// `min_block` bytes, the block to send after it; a `Vec<u8>` result of at least `min_block`
/// bytes comes back as a block too.
pub(crate) fn call_frame<A: Portable, T: Portable>(
    call: fn(A) -> T,
    arg: A,
    min_block: usize,
) -> Result<(Vec<u8>, Option<Vec<u8>>), Error> {
    let trampoline = run::<A, T> as Trampoline;
    let (mut frame, block, marker) = match into_block(arg, min_block) {
        Ok(block) => (
            task::call_frame(trampoline, call as usize, &())?,
            Some(block),
            BLOCK,
        ),
        Err(arg) => (
            task::call_frame(trampoline, call as usize, &arg)?,
            None,
            INLINE,
        ),
    };
    frame.push(marker);
    frame.extend_from_slice(&(min_block as u64).to_le_bytes());
    wire::end(&mut frame, 0).map_err(|message| Error::Serialization { message })?;
    Ok((frame, block))
}

/// The worker's step for a frame of [`call_frame`] with the block that came with it:
/// [`crate::worker::run_call`], with `block` handed to the trampoline; returns the result's
/// block, if the result is one. A result block longer than `limit` is dropped and the call
/// answered with [`Error::Serialization`] saying so, as for a frame.
pub(crate) fn run_call(
    call: &[u8],
    block: Option<Vec<u8>>,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<Option<Vec<u8>>, String> {
    INCOMING.set(block);
    let mark = out.len();
    let mut frames = wire::Outbox::frames_only(std::mem::take(out));
    let ran = crate::worker::run_call(call, None, &mut frames, limit);
    *out = frames.into_bytes();
    // A block no trampoline took (the frame was not a block call) is dropped here.
    drop(INCOMING.take());
    ran?;
    let result = OUTGOING.take();
    if let Some(result) = &result {
        if let Err(message) = wire::check_limit(result.len(), limit) {
            let id = wire::u64_at(out, mark + wire::ID_AT).unwrap_or(0);
            out.truncate(mark);
            let start = wire::begin(out, wire::RESULT);
            out.extend_from_slice(&id.to_le_bytes());
            out.push(wire::NOT_PORTABLE);
            out.extend_from_slice(&0_u32.to_le_bytes());
            out.extend_from_slice(
                format!("the worker cannot send the result: {message}").as_bytes(),
            );
            wire::end(out, start).expect("a small frame");
            return Ok(None);
        }
    }
    Ok(result)
}

/// Runs `decode` (a decoder of this module, through the call's slot) with `block` handed to
/// it.
pub(crate) fn with_block<R>(block: Option<Vec<u8>>, decode: impl FnOnce() -> R) -> R {
    INCOMING.set(block);
    let outcome = decode();
    drop(INCOMING.take());
    outcome
}

/// The trampoline of a block call: as [`task::run_one`], with the argument and the result
/// possibly in blocks (see the module docs for the payloads).
///
/// # Safety
///
/// See [`Trampoline`]: `func` must be a `fn(A) -> T` of this process.
pub(crate) unsafe fn run<A: Portable, T: Portable>(
    func: usize,
    arg: Arg<'_>,
    out: &mut Out<'_>,
) -> u8 {
    let (payload, out) = (arg.payload, &mut *out.bytes);
    // SAFETY: as in `task::run_one`.
    let call = unsafe { std::mem::transmute::<usize, fn(A) -> T>(func) };
    let incoming = INCOMING.take();
    let Some((encoded, [marker, min_block @ ..])) = payload
        .len()
        .checked_sub(9)
        .map(|split| payload.split_at(split))
    else {
        return task::not_portable(out, "a block call without its trailer".to_owned());
    };
    let min_block = usize::try_from(u64::from_le_bytes(min_block.try_into().expect("8 bytes")))
        .unwrap_or(usize::MAX);
    let arg = match (*marker, incoming) {
        (INLINE, _) => match task::guarded(
            || "decode the argument in the worker",
            || wire::decode::<A>(encoded),
        ) {
            Ok(arg) => arg,
            Err(message) => return task::not_portable(out, message),
        },
        (BLOCK, Some(block)) if encoded.is_empty() => match from_block::<A>(block) {
            Some(arg) => arg,
            None => {
                return task::not_portable(out, "a block for an argument of another type".into());
            }
        },
        (marker, block) => {
            return task::not_portable(
                out,
                format!(
                    "a block call with marker {marker}, {} bytes encoded and {} block",
                    encoded.len(),
                    if block.is_some() { "a" } else { "no" }
                ),
            );
        }
    };
    match panic::catch_unwind(AssertUnwindSafe(|| call(arg))) {
        Ok(value) => match into_block(value, min_block) {
            Ok(block) => {
                OUTGOING.set(Some(block));
                out.push(BLOCK);
                wire::OK
            }
            Err(value) => {
                match task::guarded(
                    || "encode the result in the worker",
                    || wire::encode_into(&value, out),
                ) {
                    Ok(()) => {
                        out.push(INLINE);
                        wire::OK
                    }
                    Err(message) => task::not_portable(out, message),
                }
            }
        },
        Err(payload) => {
            let panic = task::caught(&*payload);
            drop(payload);
            wire::encode_into(&panic, out).expect("strings always encode");
            wire::PANICKED
        }
    }
}

/// The decoder of a block call's outcome, the block (if any) handed to it by [`with_block`].
pub(crate) fn decode<T: Portable>(
    status: u8,
    payload: &[u8],
    _frames_only: Option<Block>,
) -> Result<T, Error> {
    let block = INCOMING.take();
    if status != wire::OK {
        return task::decode_one(status, payload, None);
    }
    let corrupt = |what: &str| Error::Serialization {
        message: format!("the parent cannot decode the result: {what}"),
    };
    match (payload.split_last(), block) {
        (Some((&INLINE, encoded)), _) => task::decode_one(status, encoded, None),
        (Some((&BLOCK, [])), Some(block)) => {
            from_block(block).ok_or_else(|| corrupt("a block for a result of another type"))
        }
        (Some((&BLOCK, _)), None) => Err(corrupt("its block did not come")),
        _ => Err(corrupt("no marker")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }

    fn head(bytes: Vec<u8>) -> u8 {
        bytes[0]
    }

    /// Runs a block call through the worker step and decodes it as the parent does.
    fn round_trip<A: Portable, T: Portable>(
        call: fn(A) -> T,
        arg: A,
        min_block: usize,
    ) -> (bool, bool, Result<T, Error>) {
        let (mut frame, block) = call_frame(call, arg, min_block).unwrap();
        let sent_block = block.is_some();
        crate::backend::set_call_id(&mut frame, 4);
        let mut out = Vec::new();
        let back = run_call(&frame, block, &mut out, usize::MAX).unwrap();
        let got_block = back.is_some();
        let (status, payload) = crate::backend::result_body(&out).unwrap();
        (
            sent_block,
            got_block,
            with_block(back, || decode::<T>(status, payload, None)),
        )
    }

    #[test]
    fn big_buffers_travel_as_blocks_both_ways() {
        let (sent, got, result) = round_trip(echo, vec![5; 100], 64);
        assert!(sent && got);
        assert_eq!(result, Ok(vec![5; 100]));
    }

    #[test]
    fn small_buffers_and_other_types_stay_inline() {
        let (sent, got, result) = round_trip(echo, vec![5; 10], 64);
        assert!(!sent && !got);
        assert_eq!(result, Ok(vec![5; 10]));
        let (sent, got, result) = round_trip(head, vec![9; 100], 64);
        assert!(sent && !got, "a block argument, an inline result");
        assert_eq!(result, Ok(9));
        let (sent, got, result) = round_trip(|n: usize| vec![1_u8; n], 100, 64);
        assert!(!sent && got, "an inline argument, a block result");
        assert_eq!(result.map(|v| v.len()), Ok(100));
    }

    #[test]
    fn a_missing_block_fails_the_call_not_the_worker() {
        let (frame, _lost) = call_frame(echo, vec![1; 100], 64).unwrap();
        let mut out = Vec::new();
        assert_eq!(run_call(&frame, None, &mut out, usize::MAX), Ok(None));
        let (status, payload) = crate::backend::result_body(&out).unwrap();
        assert!(matches!(
            with_block(None, || decode::<Vec<u8>>(status, payload, None)),
            Err(Error::Serialization { message }) if message.contains("no block")
        ));
    }

    #[test]
    fn a_result_block_over_the_limit_fails_its_call() {
        let (frame, block) = call_frame(echo, vec![1; 5000], 64).unwrap();
        let mut out = Vec::new();
        assert_eq!(run_call(&frame, block, &mut out, 4096), Ok(None));
        let (status, payload) = crate::backend::result_body(&out).unwrap();
        assert!(matches!(
            with_block(None, || decode::<Vec<u8>>(status, payload, None)),
            Err(Error::Serialization { message }) if message.contains("frame limit")
        ));
    }

    #[test]
    fn a_result_without_its_block_is_an_error() {
        let (frame, block) = call_frame(echo, vec![1; 100], 64).unwrap();
        let mut out = Vec::new();
        assert!(
            run_call(&frame, block, &mut out, usize::MAX)
                .unwrap()
                .is_some()
        );
        let (status, payload) = crate::backend::result_body(&out).unwrap();
        assert!(matches!(
            with_block(None, || decode::<Vec<u8>>(status, payload, None)),
            Err(Error::Serialization { message }) if message.contains("did not come")
        ));
    }

    #[test]
    fn a_panic_still_reports_its_message() {
        fn boom(_: Vec<u8>) -> Vec<u8> {
            panic!("boom")
        }
        let (_, got, result) = round_trip(boom, vec![0; 100], 64);
        assert!(!got);
        assert!(matches!(result, Err(Error::Panicked { message, .. }) if message == "boom"));
    }
}
