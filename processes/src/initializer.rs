//! The worker initializer (Python's `initializer` and `initargs`): what the parent puts in
//! the `SETUP` frame and what the worker does with it.
//!
//! `SETUP` carries, after the build identity, a flag byte and the function's offset:
//! `0` none, `1` a `fn()`, `2` a `fn(A)` — then also the offset of the trampoline
//! [`run_with::<A>`] that decodes `A` and calls it, and the postcard-encoded argument up to
//! the end of the frame. Parent and worker are the same build (the identity is checked
//! first), so the flag values need no version of their own.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use cfut_core::Portable;

use crate::image;

/// No initializer.
const NONE: u8 = 0;
/// A `fn()`.
const PLAIN: u8 = 1;
/// A `fn(A)` with its trampoline and encoded argument.
const WITH_ARG: u8 = 2;

/// Where the flag byte sits in the `SETUP` body (after the identity and the frame limit).
const FLAG_AT: usize = 16;
/// Where the function's offset sits in the `SETUP` body.
const FUNC_AT: usize = 17;
/// Where the trampoline's offset sits in the `SETUP` body of a `fn(A)`.
const TRAMPOLINE_AT: usize = 25;
/// Where the encoded argument starts in the `SETUP` body of a `fn(A)`.
const ARG_AT: usize = 33;

/// The largest encoded argument that fits in a `SETUP` frame (whose length is a `u32`).
const MAX_ARG: usize = u32::MAX as usize - crate::wire::HEADER - ARG_AT;

/// Decodes the argument and runs `func` on it; `Err` says why the argument could not be
/// decoded.
///
/// # Safety
///
/// `func` must be the address of a `fn(A)` of this process.
type Trampoline = unsafe fn(func: usize, arg: &[u8]) -> Result<(), String>;

/// The initializer a pool was built with.
#[derive(Clone)]
pub(crate) struct Initializer {
    /// The address of the `fn()` or `fn(A)`.
    func: usize,
    /// For a `fn(A)`: its trampoline, and the argument encoded once at build time (or why
    /// it could not be).
    with_arg: Option<(Trampoline, Result<Vec<u8>, String>)>,
}

impl Initializer {
    pub(crate) fn plain(func: fn()) -> Self {
        Initializer {
            func: func as usize,
            with_arg: None,
        }
    }

    pub(crate) fn with_arg<A: Portable>(func: fn(A), arg: &A) -> Self {
        let encoded = postcard::to_allocvec(arg).map_err(|error| error.to_string());
        Initializer {
            func: func as usize,
            with_arg: Some((run_with::<A> as Trampoline, encoded)),
        }
    }

    /// Checks, at build time, that the worker will be able to run it: the code lies in the
    /// executable, the argument could be encoded.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !image::contains(self.func) {
            return Err("the initializer does not live in the executable itself".to_owned());
        }
        if let Some((trampoline, encoded)) = &self.with_arg {
            if !image::contains(*trampoline as usize) {
                return Err("the initializer does not live in the executable itself".to_owned());
            }
            match encoded {
                Err(error) => {
                    return Err(format!(
                        "the initializer's argument cannot be encoded: {error}"
                    ));
                }
                Ok(bytes) if bytes.len() > MAX_ARG => {
                    return Err(format!(
                        "the initializer's argument is too large: {} bytes encoded, at most \
                         {MAX_ARG} fit in the set-up frame",
                        bytes.len()
                    ));
                }
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// Appends this initializer's part of the `SETUP` body (from the flag byte on).
    pub(crate) fn write_setup(initializer: Option<&Self>, out: &mut Vec<u8>) {
        let Some(initializer) = initializer else {
            out.push(NONE);
            out.extend_from_slice(&0_u64.to_le_bytes());
            return;
        };
        match &initializer.with_arg {
            None => out.push(PLAIN),
            Some(_) => out.push(WITH_ARG),
        }
        out.extend_from_slice(&image::offset(initializer.func).to_le_bytes());
        if let Some((trampoline, encoded)) = &initializer.with_arg {
            out.extend_from_slice(&image::offset(*trampoline as usize).to_le_bytes());
            // `check` refused to build a pool whose argument could not be encoded.
            out.extend_from_slice(encoded.as_deref().unwrap_or_default());
        }
    }
}

impl fmt::Debug for Initializer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arg_bytes = self
            .with_arg
            .as_ref()
            .map(|(_, encoded)| encoded.as_ref().map(|bytes| bytes.len()));
        f.debug_struct("Initializer")
            .field("arg_bytes", &arg_bytes)
            .finish_non_exhaustive()
    }
}

/// The worker's side: runs the initializer described by a `SETUP` body (after the identity and the frame limit
/// was checked); `Err` is the reason to refuse to serve.
pub(crate) fn run_from_setup(body: &[u8]) -> Result<(), String> {
    let flag = body.get(FLAG_AT).copied().unwrap_or(NONE);
    if flag == NONE {
        return Ok(());
    }
    let func = image::address(crate::wire::u64_at(body, FUNC_AT).unwrap_or(0));
    if !image::contains(func) {
        return Err("the initializer does not live in the executable".to_owned());
    }
    let outcome = match flag {
        PLAIN => {
            // SAFETY: the parent sent the offset of a `fn()` of this same build (the identity
            // was checked first) and the address lies inside the executable image.
            let initializer = unsafe { std::mem::transmute::<usize, fn()>(func) };
            panic::catch_unwind(AssertUnwindSafe(initializer)).map(Ok)
        }
        WITH_ARG => {
            let trampoline = image::address(crate::wire::u64_at(body, TRAMPOLINE_AT).unwrap_or(0));
            let arg = body.get(ARG_AT..).unwrap_or_default();
            if !image::contains(trampoline) {
                return Err("the initializer does not live in the executable".to_owned());
            }
            // SAFETY: the parent sent the offset of `run_with::<A>` instantiated for the
            // `fn(A)` whose offset precedes it, in this same build; both lie inside the image.
            let trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(trampoline) };
            // SAFETY: `func` is a `fn(A)` for this trampoline's `A` (see above).
            panic::catch_unwind(AssertUnwindSafe(|| unsafe { trampoline(func, arg) }))
        }
        other => {
            return Err(format!(
                "unknown initializer kind {other} in the set-up frame"
            ));
        }
    };
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!(
            "the initializer's argument could not be decoded: {error}"
        )),
        Err(payload) => Err(format!(
            "the initializer panicked: {}",
            cfut_core::panic_message(&*payload)
        )),
    }
}

/// See [`Trampoline`]: `func` must be a `fn(A)` of this process.
unsafe fn run_with<A: Portable>(func: usize, arg: &[u8]) -> Result<(), String> {
    let arg = postcard::from_bytes::<A>(arg).map_err(|error| error.to_string())?;
    // SAFETY: by this function's contract, `func` is a `fn(A)`.
    let func = unsafe { std::mem::transmute::<usize, fn(A)>(func) };
    func(arg);
    Ok(())
}
