//! Buffers at memory speed: plain byte and number vectors cross as one copy of their bytes.
//!
//! Serde sees a `Vec<u8>` or a `Vec<f64>` as a sequence and walks it element by element, which
//! costs nanoseconds per byte over a round trip. The pool does not: when a call's argument or
//! result *is* one of the types below, its bytes travel as one block (one `memcpy` on each
//! side), found by `TypeId` at the call site, with nothing for the caller to do. From 64 KiB
//! on, not even that: the sender writes the value's own memory to the socket, and the
//! receiver reads into one allocation of the announced size that becomes its value, so the
//! only copies are the kernel's, as for bytes written to a socket and read back:
//!
//! - `Vec<u8>`, boxed byte slices (`Box` of a `u8` slice), and `Vec<T>` for `T` in `u8`, `u16`, `u32`, `u64`, `u128`,
//!   `i8`, `i16`, `i32`, `i64`, `i128`, `f32`, `f64`;
//! - a `Vec` of any of those (a list of buffers), and the batches of `map` over them.
//!
//! `String` needs nothing: serde already moves a string's bytes in one block (and from
//! 64 KiB on it travels as the others do; the receiver checks that it is UTF-8).
//!
//! Numbers travel little-endian, whatever the machine, so that the encoding is the same for
//! every backend (a no-op copy on x86 and little-endian ARM).
//!
//! # Inside your own types: one attribute
//!
//! A buffer nested in a struct or an enum is reached through serde's derive, which walks it
//! element by element again. One attribute on the field restores the fast path:
//! `#[serde(with = "cfut_processes::raw")]`. It works on every type listed above and leaves
//! any other type as serde encodes it. The field is then encoded as serde *bytes*, which
//! binary formats (postcard, bincode, MessagePack) store as one block; in JSON it becomes an
//! array of numbers.
//!
//! # Examples
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Image {
//!     width: u32,
//!     #[serde(with = "cfut_processes::raw")]
//!     pixels: Vec<u8>,
//!     #[serde(with = "cfut_processes::raw")]
//!     weights: Vec<f32>,
//! }
//!
//! fn brightest(image: Image) -> u8 {
//!     image.pixels.iter().copied().max().unwrap_or(0)
//! }
//!
//! let pool = cfut_processes::ProcessPoolExecutor::new(1)?;
//! let image = Image { width: 2, pixels: vec![3, 250, 7, 9], weights: vec![0.5; 4] };
//! assert_eq!(pool.submit(brightest, image).result(), Ok(250));
//!
//! // A top-level buffer needs nothing at all.
//! let echoed = pool.submit(|samples: Vec<f64>| samples, vec![1.5; 1 << 20]).result();
//! assert_eq!(echoed.map(|v| v.len()), Ok(1 << 20));
//! # Ok::<(), cfut_processes::BuildError>(())
//! ```

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::block::Block;

/// Serializes `value` for `#[serde(with = "cfut_processes::raw")]`: a plain buffer (see the
/// [module docs](self)) as one block of little-endian bytes, any other type as serde does.
///
/// # Examples
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Chunk {
///     #[serde(with = "cfut_processes::raw")]
///     data: Vec<u16>,
/// }
///
/// // postcard, as the pool uses it: a length, then the little-endian bytes.
/// let bytes = postcard::to_allocvec(&Chunk { data: vec![1, 0x0302] }).unwrap();
/// assert_eq!(bytes, [4, 1, 0, 2, 3]);
/// ```
///
/// # Errors
///
/// Whatever `serializer` reports.
pub fn serialize<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + 'static,
    S: Serializer,
{
    encode(value, serializer)
}

/// Deserializes what [`serialize`] wrote, for `#[serde(with = "cfut_processes::raw")]`.
///
/// # Examples
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Chunk {
///     #[serde(with = "cfut_processes::raw")]
///     data: Vec<u16>,
/// }
///
/// let chunk: Chunk = postcard::from_bytes(&[4, 1, 0, 2, 3]).unwrap();
/// assert_eq!(chunk, Chunk { data: vec![1, 0x0302] });
/// // A block whose length is not a whole number of elements is refused.
/// assert!(postcard::from_bytes::<Chunk>(&[3, 1, 0, 2]).is_err());
/// ```
///
/// # Errors
///
/// Whatever `deserializer` reports, and an invalid-length error for a block whose length is
/// not a multiple of the element size.
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: Deserialize<'de> + 'static,
    D: Deserializer<'de>,
{
    decode(deserializer)
}

/// Encodes `value` through the fast path when its type has one. What [`Raw`] serializes.
pub(crate) struct Raw<'a, T>(pub(crate) &'a T);

impl<T: Serialize + 'static> Serialize for Raw<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        encode(self.0, serializer)
    }
}

/// Decodes a `T` written by [`Raw`].
pub(crate) struct Owned<T>(pub(crate) T);

impl<'de, T: Deserialize<'de> + 'static> Deserialize<'de> for Owned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        decode(deserializer).map(Owned)
    }
}

/// How many bytes `value`'s block takes, for a type with a fast path (or a `String`): lets a
/// frame reserve its room once instead of growing while the bytes are copied in.
pub(crate) fn block_len<T: 'static>(value: &T) -> Option<usize> {
    if !maybe_fast::<T>() {
        return None;
    }
    let value: &dyn Any = value;
    macro_rules! plain {
        ($($t:ty),*) => {$(
            if let Some(v) = value.downcast_ref::<Vec<$t>>() {
                return Some(size_of_val(v.as_slice()));
            }
        )*};
    }
    plain!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    if let Some(text) = value.downcast_ref::<String>() {
        // Serde already copies a string's bytes in one block; only the room is reserved.
        return Some(text.len());
    }
    value.downcast_ref::<Box<[u8]>>().map(|v| v.len())
}

/// Moves `value` into a [`Block`] of its little-endian bytes, without a copy, when it is a
/// plain buffer (see the [module docs](self)) or a `String`; gives it back otherwise (and on
/// a big-endian machine, where the numbers' memory is not their little-endian bytes).
pub(crate) fn into_block<T: 'static>(value: T) -> Result<Block, T> {
    if !maybe_fast::<T>() || cfg!(target_endian = "big") {
        return Err(value);
    }
    let id = TypeId::of::<T>();
    macro_rules! plain {
        ($($t:ty),*) => {$(
            if id == TypeId::of::<Vec<$t>>() {
                // SAFETY: a primitive number.
                return Ok(unsafe { Block::from_vec(same::<T, Vec<$t>>(value)) });
            }
        )*};
    }
    plain!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    if id == TypeId::of::<String>() {
        // SAFETY: bytes.
        return Ok(unsafe { Block::from_vec(same::<T, String>(value).into_bytes()) });
    }
    if id == TypeId::of::<Box<[u8]>>() {
        // SAFETY: bytes.
        return Ok(unsafe { Block::from_vec(same::<T, Box<[u8]>>(value).into_vec()) });
    }
    Err(value)
}

/// The `T` whose little-endian bytes `block` holds (what [`into_block`] made of one), taking
/// the block's memory as it is; an error if `T` has no block form, or the block's length or
/// alignment does not fit `T` (a `String` must also be UTF-8).
pub(crate) fn from_block<T: 'static>(block: Block) -> Result<T, String> {
    let (length, align) = (block.len(), block.align());
    let id = TypeId::of::<T>();
    macro_rules! plain {
        ($($t:ty),*) => {$(
            if id == TypeId::of::<Vec<$t>>() {
                // SAFETY: a primitive number: every bit pattern is a value.
                return match unsafe { block.into_vec::<$t>() } {
                    Some(mut values) => {
                        if cfg!(target_endian = "big") {
                            for value in &mut values {
                                *value = value.le_to_native();
                            }
                        }
                        Ok(same(values))
                    }
                    None => Err(format!(
                        "a block of {length} bytes aligned to {align} is no {}",
                        std::any::type_name::<T>()
                    )),
                };
            }
        )*};
    }
    plain!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    if id == TypeId::of::<String>() || id == TypeId::of::<Box<[u8]>>() {
        // SAFETY: bytes.
        let Some(bytes) = (unsafe { block.into_vec::<u8>() }) else {
            return Err(format!("a block aligned to {align} is no string or bytes"));
        };
        if id == TypeId::of::<Box<[u8]>>() {
            return Ok(same(bytes.into_boxed_slice()));
        }
        return String::from_utf8(bytes)
            .map(same)
            .map_err(|error| format!("a block that is no string: {}", error.utf8_error()));
    }
    Err(format!(
        "a {} cannot arrive as a block of bytes",
        std::any::type_name::<T>()
    ))
}

/// `false` for every type that cannot have a fast path, decided at compile time from its
/// size and drop glue (every fast type is a `Vec` or a boxed byte slice), so that a call with
/// small plain values never pays for the `TypeId` comparisons below.
const fn maybe_fast<T>() -> bool {
    let size = size_of::<T>();
    (size == size_of::<Vec<u8>>() || size == size_of::<Box<[u8]>>()) && std::mem::needs_drop::<T>()
}

/// A number whose every bit pattern is valid and whose bytes travel little-endian.
trait Plain: Copy + Default + 'static {
    /// Converts a value read as little-endian to this machine's order (nothing to do on a
    /// little-endian machine).
    fn le_to_native(self) -> Self;
    /// Appends the little-endian bytes.
    fn put_le(self, out: &mut Vec<u8>);
}

macro_rules! plain_int {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            fn le_to_native(self) -> Self {
                <$t>::from_le(self)
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
plain_int!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

macro_rules! plain_float {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            fn le_to_native(self) -> Self {
                <$t>::from_bits(self.to_bits().to_le())
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
plain_float!(f32, f64);

/// The little-endian bytes of `values`: the memory itself on a little-endian machine.
fn le_bytes<T: Plain>(values: &[T]) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        // SAFETY: `T` is a primitive number (no padding, every byte initialised), so its
        // slice can be read as `size_of_val(values)` bytes for as long as `values` lives.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values))
        };
        std::borrow::Cow::Borrowed(bytes)
    } else {
        let mut out = Vec::with_capacity(size_of_val(values));
        for value in values {
            value.put_le(&mut out);
        }
        std::borrow::Cow::Owned(out)
    }
}

/// The values stored little-endian in `bytes`, or `None` if `bytes` is not a whole number
/// of them.
fn from_le_bytes<T: Plain>(bytes: &[u8]) -> Option<Vec<T>> {
    let size = size_of::<T>();
    if bytes.len() % size != 0 {
        return None;
    }
    let count = bytes.len() / size;
    let mut values: Vec<T> = Vec::with_capacity(count);
    // SAFETY: the vector has room for `count` values, that is `bytes.len()` bytes; `bytes`
    // cannot overlap a fresh allocation; every bit pattern is a valid `T` (a primitive
    // number), so after the copy the first `count` values are initialised.
    unsafe {
        std::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            values.as_mut_ptr().cast::<u8>(),
            bytes.len(),
        );
        values.set_len(count);
    }
    if cfg!(target_endian = "big") {
        for value in &mut values {
            *value = value.le_to_native();
        }
    }
    Some(values)
}

/// Reads a block of bytes as a `Vec<T>`; also accepts a sequence of bytes, which is what
/// self-describing formats without a bytes type send.
struct BlockVisitor<T>(PhantomData<T>);

impl<'de, T: Plain> Visitor<'de> for BlockVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a block of {}-byte little-endian numbers",
            size_of::<T>()
        )
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<T>, E> {
        from_le_bytes(bytes).ok_or_else(|| E::invalid_length(bytes.len(), &self))
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<T>, E> {
        if TypeId::of::<T>() == TypeId::of::<u8>() {
            // A `Vec<u8>` asked for a `Vec<u8>`: hand the buffer over without a copy.
            return Ok(same(bytes));
        }
        self.visit_bytes(&bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // Never trust a length hint for an allocation: grow as bytes actually arrive.
        let mut bytes = Vec::new();
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        self.visit_bytes(&bytes)
    }
}

/// Serializes a list of buffers as a sequence of blocks.
struct Blocks<'a, T>(&'a [T]);

impl<T: Serialize + 'static> Serialize for Blocks<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&Raw(item))?;
        }
        seq.end()
    }
}

/// Reads a sequence of blocks.
struct BlocksVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + 'static> Visitor<'de> for BlocksVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of blocks")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // Each element takes at least one byte of input, so this much room is never more
        // than the input can fill; past it the vector grows as elements arrive.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Owned(item)) = seq.next_element::<Owned<T>>()? {
            items.push(item);
        }
        Ok(items)
    }
}

/// Appends `value`'s fixed-width little-endian bytes if `T` is a plain number (`u8` ..
/// `u128`, `i8` .. `i128`, `f32`, `f64`); `false` for any other type. A batch's elements take
/// this path (see `task::run_batch`): postcard's variable-length integers cost more per
/// number to encode and decode than the bytes they save (`callgrind` of the MPI root
/// consuming a chunked `map` of `u64`s: 33 of its 90 instructions per element were the
/// varint decode).
pub(crate) fn put_number<T: 'static>(value: &T, out: &mut Vec<u8>) -> bool {
    let value: &dyn Any = value;
    macro_rules! number {
        ($($t:ty),*) => {$(
            if let Some(number) = value.downcast_ref::<$t>() {
                number.put_le(out);
                return true;
            }
        )*};
    }
    number!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    false
}

/// Reads a plain number written by [`put_number`] from the start of `bytes`: `None` if `T`
/// is no plain number, `Some(Err(..))` if `bytes` is too short.
pub(crate) fn take_number<T: 'static>(bytes: &[u8]) -> Option<Result<(T, &[u8]), String>> {
    let mut slot: Option<T> = None;
    let mut rest = bytes;
    macro_rules! number {
        ($($t:ty),*) => {$(
            if let Some(number) = (&mut slot as &mut dyn Any).downcast_mut::<Option<$t>>() {
                let Some((head, tail)) = bytes.split_first_chunk() else {
                    return Some(Err(format!(
                        "{} bytes left where a {} takes {}",
                        bytes.len(),
                        stringify!($t),
                        size_of::<$t>()
                    )));
                };
                *number = Some(<$t>::from_le_bytes(*head));
                rest = tail;
            }
        )*};
    }
    number!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    slot.map(|value| Ok((value, rest)))
}

/// Moves a value of type `U` into type `T`, which the caller checked is the same type.
fn same<U: 'static, T: 'static>(value: U) -> T {
    let mut value = Some(value);
    let any: &mut dyn Any = &mut value;
    any.downcast_mut::<Option<T>>()
        .and_then(Option::take)
        .expect("the caller checked the types are equal")
}

fn encode<T: Serialize + 'static, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if !maybe_fast::<T>() {
        return value.serialize(serializer);
    }
    let id = TypeId::of::<T>();
    let any: &dyn Any = value;
    macro_rules! plain {
        ($($t:ty),*) => {$(
            if id == TypeId::of::<Vec<$t>>() {
                let v = any.downcast_ref::<Vec<$t>>().expect("the same type");
                return serializer.serialize_bytes(&le_bytes(v));
            }
            if id == TypeId::of::<Vec<Vec<$t>>>() {
                return Blocks(any.downcast_ref::<Vec<Vec<$t>>>().expect("the same type"))
                    .serialize(serializer);
            }
        )*};
    }
    plain!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    if let Some(v) = any.downcast_ref::<Box<[u8]>>() {
        return serializer.serialize_bytes(v);
    }
    if let Some(v) = any.downcast_ref::<Vec<Box<[u8]>>>() {
        return Blocks(v).serialize(serializer);
    }
    value.serialize(serializer)
}

fn decode<'de, T: Deserialize<'de> + 'static, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    if !maybe_fast::<T>() {
        return T::deserialize(deserializer);
    }
    let id = TypeId::of::<T>();
    macro_rules! plain {
        ($($t:ty),*) => {$(
            if id == TypeId::of::<Vec<$t>>() {
                let v = deserializer.deserialize_bytes(BlockVisitor::<$t>(PhantomData))?;
                return Ok(same(v));
            }
            if id == TypeId::of::<Vec<Vec<$t>>>() {
                let v = deserializer.deserialize_seq(BlocksVisitor::<Vec<$t>>(PhantomData))?;
                return Ok(same(v));
            }
        )*};
    }
    plain!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);
    if id == TypeId::of::<Box<[u8]>>() {
        let v = deserializer.deserialize_bytes(BlockVisitor::<u8>(PhantomData))?;
        return Ok(same(v.into_boxed_slice()));
    }
    if id == TypeId::of::<Vec<Box<[u8]>>>() {
        let v = deserializer.deserialize_seq(BlocksVisitor::<Box<[u8]>>(PhantomData))?;
        return Ok(same(v));
    }
    T::deserialize(deserializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + 'static>(value: &T) -> (Vec<u8>, T) {
        let bytes = postcard::to_allocvec(&Raw(value)).unwrap();
        let back = postcard::from_bytes::<Owned<T>>(&bytes).unwrap().0;
        (bytes, back)
    }

    #[test]
    fn plain_buffers_travel_as_one_little_endian_block() {
        let (bytes, back) = round_trip(&vec![1.5_f64, -2.0]);
        assert_eq!(back, [1.5, -2.0]);
        assert_eq!(bytes[0], 16, "the block's length in bytes");
        assert_eq!(&bytes[1..9], 1.5_f64.to_le_bytes());

        let (bytes, back) = round_trip(&vec![0x0102_0304_u32]);
        assert_eq!(back, [0x0102_0304]);
        assert_eq!(bytes, [4, 4, 3, 2, 1]);

        let (bytes, back) = round_trip(&vec![-1_i8, 2]);
        assert_eq!(
            (bytes.as_slice(), back.as_slice()),
            (&[2, 0xff, 2][..], &[-1_i8, 2][..])
        );
    }

    #[test]
    fn numbers_travel_as_their_fixed_width_little_endian_bytes() {
        let mut out = vec![9];
        assert!(put_number(&0x0102_0304_u32, &mut out));
        assert!(put_number(&-1.5_f64, &mut out));
        assert!(put_number(&u128::MAX, &mut out));
        assert_eq!(out.len(), 1 + 4 + 8 + 16);
        assert_eq!(&out[1..5], [4, 3, 2, 1]);
        let (number, rest) = take_number::<u32>(&out[1..]).unwrap().unwrap();
        assert_eq!(number, 0x0102_0304);
        let (float, rest) = take_number::<f64>(rest).unwrap().unwrap();
        assert_eq!(float, -1.5);
        let (wide, rest) = take_number::<u128>(rest).unwrap().unwrap();
        assert_eq!((wide, rest), (u128::MAX, &[][..]));
        // Too few bytes is an error, not a panic.
        let short = take_number::<u64>(&[1, 2, 3]).unwrap();
        assert_eq!(short, Err("3 bytes left where a u64 takes 8".to_owned()));
        // Other types are left to serde.
        assert!(!put_number(&"text", &mut out));
        assert!(!put_number(&(1_u8, 2_u8), &mut out));
        assert!(take_number::<(u8, u8)>(&[1, 2]).is_none());
        assert!(take_number::<usize>(&[0; 8]).is_none());
    }

    #[test]
    fn a_vec_u8_keeps_postcards_own_encoding() {
        let data = vec![7_u8, 8, 9];
        let (bytes, back) = round_trip(&data);
        assert_eq!(bytes, postcard::to_allocvec(&data).unwrap());
        assert_eq!(back, data);
    }

    #[test]
    fn lists_of_buffers_and_boxes_take_the_fast_path() {
        let (bytes, back) = round_trip(&vec![vec![1_u16, 2], vec![], vec![3]]);
        assert_eq!(back, [vec![1, 2], vec![], vec![3]]);
        assert_eq!(bytes, [3, 4, 1, 0, 2, 0, 0, 2, 3, 0]);
        let boxed: Box<[u8]> = vec![5, 6].into_boxed_slice();
        assert_eq!(round_trip(&boxed).1, boxed);
        let boxes = vec![boxed.clone(), boxed];
        assert_eq!(round_trip(&boxes).1, boxes);
    }

    #[test]
    fn only_buffers_may_take_the_fast_path() {
        assert!(maybe_fast::<Vec<u8>>() && maybe_fast::<Box<[u8]>>() && maybe_fast::<String>());
        assert!(!maybe_fast::<u64>() && !maybe_fast::<(u64, u64, u64)>() && !maybe_fast::<()>());
    }

    #[test]
    fn other_types_are_left_to_serde() {
        let value = (3_u32, String::from("x"), vec![(1_u8, 2_u8)]);
        let (bytes, back) = round_trip(&value);
        assert_eq!(bytes, postcard::to_allocvec(&value).unwrap());
        assert_eq!(back, value);
    }

    fn block_round_trip<T: 'static + Clone + PartialEq + fmt::Debug>(value: T) {
        let address = block_len(&value).map(|_| ());
        assert!(address.is_some(), "{}", std::any::type_name::<T>());
        let block = into_block(value.clone()).expect("has a block form");
        assert_eq!(Some(block.len()), block_len(&value));
        assert_eq!(from_block::<T>(block), Ok(value));
    }

    #[test]
    fn buffers_move_into_blocks_and_back() {
        block_round_trip(vec![1_u8, 2, 3]);
        block_round_trip(vec![-1_i8]);
        block_round_trip(vec![1.5_f64, -0.0, f64::MAX]);
        block_round_trip(vec![7_u128 << 100]);
        block_round_trip(vec![3_i16; 5]);
        block_round_trip(String::from("grüß"));
        block_round_trip(vec![4_u8; 9].into_boxed_slice());
        // Lists of buffers and other types have no block form.
        assert!(into_block(vec![vec![1_u8]]).is_err());
        assert!(into_block(7_u64).is_err());
        assert!(into_block((1_u8, 2_u8)).is_err());
    }

    #[test]
    fn a_block_that_does_not_fit_the_type_is_refused() {
        let bytes = || into_block(vec![0xff_u8; 6]).unwrap();
        assert!(
            from_block::<Vec<u32>>(bytes()).is_err(),
            "alignment 1, not 4"
        );
        assert!(from_block::<String>(bytes()).is_err(), "not UTF-8");
        assert!(from_block::<u64>(bytes()).is_err(), "no block form");
        assert!(from_block::<Vec<Vec<u8>>>(bytes()).is_err());
        let words = into_block(vec![1_u32, 2]).unwrap();
        assert!(
            from_block::<Vec<u64>>(words).is_err(),
            "8 bytes at alignment 4"
        );
    }

    #[test]
    fn a_block_of_the_wrong_length_is_refused() {
        let error = postcard::from_bytes::<Owned<Vec<u32>>>(&[3, 1, 2, 3]).err();
        assert!(error.is_some());
    }

    #[test]
    fn the_attribute_works_in_a_self_describing_format_too() {
        // Formats without a bytes type send a sequence of bytes: still accepted.
        struct Seq(Vec<u8>);
        impl<'de> Deserialize<'de> for Seq {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_seq(BlockVisitor::<u8>(PhantomData)).map(Seq)
            }
        }
        // postcard's sequence of u8 is byte-for-byte its bytes, read here as a sequence.
        let seq: Seq = postcard::from_bytes(&[2, 9, 8]).unwrap();
        assert_eq!(seq.0, [9, 8]);
    }
}
