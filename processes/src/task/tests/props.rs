//! Property tests of the parent's decoders and of the frame reader: whatever bytes a worker
//! (buggy, compromised, or a stray writer on its socket) sends, they never panic, abort, hang,
//! or allocate more than the input can back.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;
use std::os::fd::AsFd as _;
use std::os::unix::net::UnixStream;

use cfut_core::{Error, Portable};
use proptest::prelude::*;

use super::{ELEMENT_PANICKED, ELEMENT_VALUE, decode_batch, decode_one};
use crate::block::Block;
use crate::wire;

/// The system allocator, recording the largest allocation (or reallocation) each thread
/// asked for since it last reset its record.
struct Recording;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call is forwarded unchanged to `System`; the record is a thread-local `Cell`
// with a constant initialiser and no destructor, so recording neither allocates nor reenters.
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// Runs `f` and returns its result with the largest allocation it made on this thread.
fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|largest| largest.set(0));
    let result = f();
    (result, LARGEST.with(Cell::get))
}

/// The most a decoder may allocate at once for `input` bytes decoding into elements of
/// `element` bytes: what the input can fill, doubled for a growing vector, and at least the
/// 1 MiB that serde's own sequence decoding reserves ahead of a claimed length
/// (`serde::__private::size_hint::cautious`).
fn bound(input: usize, element: usize) -> usize {
    (1 << 20).max(2 * input.max(1) * element.max(1))
}

/// No error message may come from a panic of the crate's own decoding code (user types in
/// these tests never panic).
fn assert_no_panic<T>(outcome: &Result<T, Error>) {
    if let Err(Error::Serialization { message }) = outcome {
        assert!(!message.contains("panicked"), "{message}");
    }
}

fn check_one<T: Portable>(status: u8, bytes: &[u8]) {
    let (outcome, largest) = largest_allocation(|| decode_one::<T>(status, bytes, None));
    assert_no_panic(&outcome);
    let limit = bound(bytes.len(), size_of::<T>());
    assert!(
        largest <= limit,
        "{largest} bytes allocated for {} input bytes",
        bytes.len()
    );
}

fn check_batch<T: Portable>(status: u8, bytes: &[u8]) {
    let (outcome, largest) = largest_allocation(|| decode_batch::<T>(status, bytes));
    assert_no_panic(&outcome);
    let limit = bound(bytes.len(), size_of::<Result<T, Error>>());
    assert!(
        largest <= limit,
        "{largest} bytes allocated for {} input bytes",
        bytes.len()
    );
}

/// Every decoder this crate instantiates for the parent, on the same bytes.
fn check_all(status: u8, bytes: &[u8]) {
    check_one::<u32>(status, bytes);
    check_one::<()>(status, bytes);
    check_one::<String>(status, bytes);
    check_one::<Vec<u8>>(status, bytes);
    check_one::<Vec<f64>>(status, bytes);
    check_one::<Vec<Vec<u16>>>(status, bytes);
    check_one::<Box<[u8]>>(status, bytes);
    check_one::<Vec<(u8, String)>>(status, bytes);
    check_one::<Option<Vec<u64>>>(status, bytes);
    check_batch::<u32>(status, bytes);
    check_batch::<()>(status, bytes);
    check_batch::<Vec<u8>>(status, bytes);
    check_batch::<Vec<f32>>(status, bytes);
    check_batch::<(String, i64)>(status, bytes);
}

/// A well-formed batch payload of `u32` values and panics, to be mutated.
fn batch_payload(elements: &[Option<u32>]) -> Vec<u8> {
    let mut out = Vec::new();
    for element in elements {
        match element {
            Some(value) => {
                out.push(ELEMENT_VALUE);
                wire::encode_into(value, &mut out).unwrap();
            }
            None => {
                out.push(ELEMENT_PANICKED);
                wire::encode_into(&("boom".to_owned(), None::<String>), &mut out).unwrap();
            }
        }
    }
    out.extend_from_slice(&(elements.len() as u32).to_le_bytes());
    out
}

fn status() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(wire::OK),
        Just(wire::PANICKED),
        Just(wire::NOT_PORTABLE),
        any::<u8>()
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_survive_arbitrary_bytes(status in status(), bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_all(status, &bytes);
    }

    #[test]
    fn decoders_survive_corrupted_batches(
        elements in proptest::collection::vec(proptest::option::of(any::<u32>()), 0..32),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        count in proptest::option::of(any::<u32>()),
    ) {
        let mut bytes = batch_payload(&elements);
        for (at, byte) in flips {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
        if let Some(count) = count {
            let at = bytes.len() - 4;
            bytes[at..].copy_from_slice(&count.to_le_bytes());
        }
        check_all(wire::OK, &bytes);
    }

    #[test]
    fn huge_announced_lengths_allocate_nothing_for_them(
        length in any::<u32>(),
        tail in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        // A varint length prefix (postcard) claiming up to 4 GiB, then a few bytes.
        let mut bytes = Vec::new();
        wire::encode_into(&(length as usize), &mut bytes).unwrap();
        bytes.extend_from_slice(&tail);
        check_all(wire::OK, &bytes);
    }

    #[test]
    fn the_frame_reader_stays_within_its_limit(
        stream in proptest::collection::vec(any::<u8>(), 0..2048),
        announced in proptest::collection::vec(any::<u32>(), 0..3),
    ) {
        const LIMIT: usize = wire::MIN_MAX_FRAME;
        let (mut ours, theirs) = UnixStream::pair().unwrap();
        // Headers announcing arbitrary lengths, then arbitrary bytes: all fits the socket's
        // buffer, so it is written before reading starts.
        for length in announced {
            ours.write_all(&length.to_le_bytes()).unwrap();
            ours.write_all(&[wire::RESULT]).unwrap();
        }
        ours.write_all(&stream).unwrap();
        drop(ours);
        let mut inbox = wire::Inbox::with_limit(LIMIT);
        let (frames, largest) = largest_allocation(|| {
            let mut frames = 0_usize;
            loop {
                match inbox.next() {
                    Ok(Some((length, _))) if inbox.data().len() >= 4 + length => {
                        inbox.consume(4 + length);
                        frames += 1;
                        continue;
                    }
                    Ok(_) => {}
                    Err(message) => {
                        assert!(message.contains("exceeds the frame limit"), "{message}");
                        break;
                    }
                }
                match inbox.fill(theirs.as_fd(), true) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(error) => {
                        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData, "{error}");
                        break;
                    }
                }
            }
            frames
        });
        prop_assert!(frames <= 2048 / 4 + 3);
        prop_assert!(largest <= 4 + LIMIT, "{largest} bytes allocated, limit {LIMIT}");
    }
}

/// One frame of a stream: a small frame of `kind` with `body`, after a block (its
/// alignment's log2 and its bytes) if any.
type Sent = (Option<(u32, Vec<u8>)>, u8, Vec<u8>);

fn sent_frame() -> impl Strategy<Value = Sent> {
    let block = (0..=Block::MAX_ALIGN_LOG2, 0_usize..70_000).prop_map(|(log2, len)| {
        let len = len - len % (1 << log2);
        (
            log2,
            (0..len).map(|i| (i * 7 + len) as u8).collect::<Vec<u8>>(),
        )
    });
    (
        proptest::option::of(block),
        prop_oneof![Just(wire::RESULT), Just(wire::CALL), Just(wire::READY)],
        proptest::collection::vec(any::<u8>(), 0..40),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_frame_reader_hands_each_block_to_the_frame_after_it(
        frames in proptest::collection::vec(sent_frame(), 1..6),
        pieces in proptest::collection::vec(1_usize..100_000, 1..8),
    ) {
        let mut stream = Vec::new();
        for (block, kind, body) in &frames {
            if let Some((log2, bytes)) = block {
                let mut header = ((1 + bytes.len()) as u32).to_le_bytes().to_vec();
                header.push(wire::BLOCK + *log2 as u8);
                stream.extend_from_slice(&header);
                stream.extend_from_slice(bytes);
            }
            let start = wire::begin(&mut stream, *kind);
            stream.extend_from_slice(body);
            wire::end(&mut stream, start).unwrap();
        }
        let (mut ours, theirs) = UnixStream::pair().unwrap();
        // Written in pieces of arbitrary sizes, while the reader reads: headers, blocks and
        // frames split anywhere.
        let writer = std::thread::spawn(move || {
            let mut rest = &stream[..];
            for size in pieces.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, after) = rest.split_at((*size).min(rest.len()));
                ours.write_all(piece).unwrap();
                rest = after;
            }
        });
        let mut inbox = wire::Inbox::new();
        let mut got = Vec::new();
        loop {
            match inbox.next().unwrap() {
                Some((length, kind)) if inbox.data().len() >= 4 + length => {
                    let body = inbox.data()[wire::HEADER..4 + length].to_vec();
                    let block = inbox.take_block().map(|b| (b.align().trailing_zeros(), b.bytes().to_vec()));
                    got.push((block, kind, body));
                    inbox.consume(4 + length);
                    continue;
                }
                _ => {}
            }
            if inbox.fill(theirs.as_fd(), false).unwrap() == 0 {
                break;
            }
        }
        writer.join().unwrap();
        prop_assert_eq!(got, frames);
    }
}

#[test]
fn a_batch_of_zero_sized_results_cannot_claim_four_billion_elements() {
    // The old decoder skipped its guard for zero-sized types and reserved room for every
    // claimed element: tens of gigabytes, an abort.
    let mut bytes = batch_payload(&[]);
    bytes.copy_from_slice(&u32::MAX.to_le_bytes());
    let (outcome, largest) = largest_allocation(|| decode_batch::<()>(wire::OK, &bytes));
    assert!(
        matches!(outcome, Err(Error::Serialization { message }) if message.contains("4294967295"))
    );
    assert!(largest < 1024, "{largest}");

    // Real zero-sized results still decode: each takes its tag byte.
    let mut bytes = vec![ELEMENT_VALUE, ELEMENT_VALUE, ELEMENT_PANICKED];
    wire::encode_into(&("boom".to_owned(), None::<String>), &mut bytes).unwrap();
    bytes.extend_from_slice(&3_u32.to_le_bytes());
    let results = decode_batch::<()>(wire::OK, &bytes).unwrap();
    assert_eq!(results[..2], [Ok(()), Ok(())]);
    assert!(matches!(&results[2], Err(Error::Panicked { message, .. }) if message == "boom"));
}

#[test]
fn a_header_above_the_limit_is_refused_before_anything_is_allocated() {
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    ours.write_all(&u32::MAX.to_le_bytes()).unwrap();
    ours.write_all(&[wire::RESULT, 0, 0]).unwrap();
    let mut inbox = wire::Inbox::with_limit(wire::MIN_MAX_FRAME);
    let (outcome, largest) = largest_allocation(|| {
        inbox.fill(theirs.as_fd(), true).unwrap();
        inbox.fill(theirs.as_fd(), true)
    });
    let error = outcome.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert!(error.to_string().contains("4294967295"), "{error}");
    assert!(error.to_string().contains("4096"), "{error}");
    assert!(largest <= 4 + wire::MIN_MAX_FRAME, "{largest}");
}
