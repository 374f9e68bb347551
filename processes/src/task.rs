//! A call on its way: the typed trampolines that run it in the worker, the frame that carries
//! it, and the slot that completes its future in the parent.

use std::cell::RefCell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use cfut_core::{Error, Portable, Promise};

use crate::{image, wire};

/// What the worker calls for a `CALL` frame: decodes the argument, runs the user's function
/// at `func`, encodes the outcome at the end of `out`, and returns the `RESULT` status.
///
/// # Safety
///
/// `func` must be the address, in this process, of the function the trampoline was
/// instantiated for.
pub(crate) type Trampoline = unsafe fn(func: usize, payload: &[u8], out: &mut Vec<u8>) -> u8;

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

fn caught(payload: &(dyn std::any::Any + Send)) -> WirePanic {
    let message = cfut_core::panic_message(payload);
    let location = PANIC_LOCATION.with(|slot| slot.borrow_mut().take());
    (message, location)
}

fn not_portable(out: &mut Vec<u8>, message: String) -> u8 {
    out.extend_from_slice(message.as_bytes());
    wire::NOT_PORTABLE
}

/// The trampoline of `submit_call::<A, T>`.
///
/// # Safety
///
/// See [`Trampoline`]: `func` must be a `fn(A) -> T` of this process.
pub(crate) unsafe fn run_one<A: Portable, T: Portable>(
    func: usize,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> u8 {
    // SAFETY: the caller guarantees `func` is the address of a `fn(A) -> T` in this process
    // (the parent took it from such a pointer; the build identity proves the same image).
    let call = unsafe { std::mem::transmute::<usize, fn(A) -> T>(func) };
    let arg = match postcard::from_bytes::<A>(payload) {
        Ok(arg) => arg,
        Err(error) => {
            return not_portable(
                out,
                format!("the worker cannot decode the argument: {error}"),
            );
        }
    };
    let mark = out.len();
    match panic::catch_unwind(AssertUnwindSafe(|| call(arg))) {
        Ok(value) => match panic::catch_unwind(AssertUnwindSafe(|| wire::encode_into(&value, out)))
        {
            Ok(Ok(())) => wire::OK,
            Ok(Err(error)) => {
                not_portable(out, format!("the worker cannot encode the result: {error}"))
            }
            Err(payload) => {
                out.truncate(mark);
                let (message, _) = caught(&*payload);
                not_portable(out, format!("encoding the result panicked: {message}"))
            }
        },
        Err(payload) => {
            let panic = caught(&*payload);
            drop(payload);
            wire::encode_into(&panic, out).expect("strings always encode");
            wire::PANICKED
        }
    }
}

/// The trampoline of `submit_batch::<A, T>`: each element's panic is caught separately.
///
/// The results are encoded as they come, without collecting them first: the encoded values
/// of the elements that returned, back to back, then the list of the elements that panicked
/// `(index, message, location)`, then the number of elements and the length of the list's
/// encoding, each a `u32`.
///
/// # Safety
///
/// See [`Trampoline`]: `func` must be a `fn(A) -> T` of this process.
pub(crate) unsafe fn run_batch<A: Portable, T: Portable>(
    func: usize,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> u8 {
    // SAFETY: as in `run_one`.
    let call = unsafe { std::mem::transmute::<usize, fn(A) -> T>(func) };
    let args = match postcard::from_bytes::<Vec<A>>(payload) {
        Ok(args) => args,
        Err(error) => {
            return not_portable(
                out,
                format!("the worker cannot decode the arguments: {error}"),
            );
        }
    };
    let mark = out.len();
    let count = args.len();
    let mut panics: Vec<(u32, String, Option<String>)> = Vec::new();
    for (index, arg) in args.into_iter().enumerate() {
        match panic::catch_unwind(AssertUnwindSafe(|| call(arg))) {
            Ok(value) => {
                match panic::catch_unwind(AssertUnwindSafe(|| wire::encode_into(&value, out))) {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        out.truncate(mark);
                        return not_portable(
                            out,
                            format!(
                                "the worker cannot encode the result of element {index}: {error}"
                            ),
                        );
                    }
                    Err(payload) => {
                        out.truncate(mark);
                        let (message, _) = caught(&*payload);
                        return not_portable(
                            out,
                            format!("encoding the result of element {index} panicked: {message}"),
                        );
                    }
                }
            }
            Err(payload) => {
                let (message, location) = caught(&*payload);
                panics.push((index as u32, message, location));
            }
        }
    }
    let list = out.len();
    wire::encode_into(&panics, out).expect("strings always encode");
    let length = (out.len() - list) as u32;
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes());
    wire::OK
}

/// Builds the `CALL` frame for `func` through `trampoline` with `arg`. The id is left zero;
/// the manager writes it when it sends the frame.
pub(crate) fn call_frame<A: serde::Serialize + ?Sized>(
    trampoline: Trampoline,
    func: usize,
    arg: &A,
) -> Result<Vec<u8>, Error> {
    let trampoline = trampoline as usize;
    if !image::contains(func) || !image::contains(trampoline) {
        return Err(Error::Serialization {
            message: "the function does not live in the executable itself (a shared library?); \
                      only functions of the running binary can run in a worker process"
                .to_owned(),
        });
    }
    let mut frame = Vec::with_capacity(64);
    let start = wire::begin(&mut frame, wire::CALL);
    frame.extend_from_slice(&0_u64.to_le_bytes());
    frame.extend_from_slice(&image::offset(trampoline).to_le_bytes());
    frame.extend_from_slice(&image::offset(func).to_le_bytes());
    let serialization = |message| Error::Serialization { message };
    wire::encode_into(arg, &mut frame)
        .map_err(|error| serialization(format!("cannot encode the argument: {error}")))?;
    wire::end(&mut frame, start).map_err(serialization)?;
    Ok(frame)
}

/// Decodes the outcome of a `submit_call`.
pub(crate) fn decode_one<T: Portable>(status: u8, payload: &[u8]) -> Result<T, Error> {
    match status {
        wire::OK => postcard::from_bytes(payload).map_err(|error| Error::Serialization {
            message: format!("the parent cannot decode the result: {error}"),
        }),
        other => Err(decode_failure(other, payload)),
    }
}

/// Decodes the outcome of a `submit_batch` (see [`run_batch`] for the layout).
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
        .checked_sub(8)
        .ok_or_else(|| corrupt("too short".to_owned()))?;
    let count = wire::u32_at(payload, split).expect("4 bytes") as usize;
    let length = wire::u32_at(payload, split + 4).expect("4 bytes") as usize;
    let list = split
        .checked_sub(length)
        .ok_or_else(|| corrupt("bad panic list".to_owned()))?;
    let panics: Vec<(u32, String, Option<String>)> =
        postcard::from_bytes(&payload[list..split]).map_err(|e| corrupt(e.to_string()))?;
    // Every element that returned takes at least one byte, unless its type has no size.
    if panics.len() > count || (count > list + panics.len() && std::mem::size_of::<T>() != 0) {
        return Err(corrupt("an impossible element count".to_owned()));
    }
    let mut values = postcard::Deserializer::from_bytes(&payload[..list]);
    let mut results = Vec::with_capacity(count);
    let mut panics = panics.into_iter().peekable();
    for index in 0..count {
        match panics.next_if(|(at, _, _)| *at as usize == index) {
            Some((_, message, location)) => {
                results.push(Err(Error::Panicked { message, location }))
            }
            None => {
                let value = T::deserialize(&mut values).map_err(|e| corrupt(e.to_string()))?;
                results.push(Ok(value));
            }
        }
    }
    if panics.next().is_some() {
        return Err(corrupt("a panic report past the end".to_owned()));
    }
    Ok(results)
}

fn decode_failure(status: u8, payload: &[u8]) -> Error {
    match status {
        wire::PANICKED => match postcard::from_bytes::<WirePanic>(payload) {
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
    /// Completes the future from a `RESULT` frame.
    fn complete(self: Box<Self>, status: u8, payload: &[u8]);
    /// Fails the future.
    fn fail(self: Box<Self>, error: Error);
    /// Cancels the future (a call that will never be sent).
    fn cancel(self: Box<Self>);
}

/// A [`Slot`] for a future of `R`, with the decoder of its result.
pub(crate) struct Typed<R> {
    pub(crate) promise: Promise<R>,
    pub(crate) decode: fn(u8, &[u8]) -> Result<R, Error>,
}

impl<R: Send + 'static> Slot for Typed<R> {
    fn set_running(&self) -> bool {
        self.promise.set_running_or_notify_cancel()
    }

    fn complete(self: Box<Self>, status: u8, payload: &[u8]) {
        let outcome = (self.decode)(status, payload);
        self.promise.complete(outcome);
    }

    fn fail(self: Box<Self>, error: Error) {
        self.promise.set_error(error);
    }

    fn cancel(self: Box<Self>) {
        self.promise.cancel();
    }
}

/// A call waiting in the parent or running in a worker.
pub(crate) struct PendingCall {
    /// The whole `CALL` frame, id to be patched.
    pub(crate) frame: Vec<u8>,
    pub(crate) slot: Box<dyn Slot>,
}

impl fmt::Debug for PendingCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("PendingCall { .. }")
    }
}

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
        // SAFETY: each test passes the function the trampoline was instantiated for.
        let status = unsafe { trampoline(func, payload, &mut out) };
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
        assert_eq!(decode_one::<u32>(status, &out), Ok(42));
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
            matches!(decode_one::<u32>(status, &out), Err(Error::Panicked { message, .. }) if message == "kaboom")
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

    #[test]
    fn an_undecodable_argument_is_a_serialization_error() {
        let func = double as fn(u32) -> u32 as usize;
        let mut out = Vec::new();
        // SAFETY: `double` is a `fn(u32) -> u32`, matching the trampoline.
        let status = unsafe { run_one::<u32, u32>(func, &[], &mut out) };
        assert!(matches!(
            decode_one::<u32>(status, &out),
            Err(Error::Serialization { .. })
        ));
    }
}
