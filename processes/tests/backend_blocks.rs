//! The backend's blocks (`Call::with_blocks`, `run_call_with_block`,
//! `Call::complete_with_block`): big plain buffers beside their frames, for transports that
//! move them as messages of their own (cfut-mpi). Both ends run here, in this process.

use cfut_core::{Error, Future, Portable};
use cfut_processes::backend::{self, Block, Call};

/// 64 KiB: the smallest buffer that travels as a block.
const BIG: usize = 1 << 16;

fn echo<T>(value: T) -> T {
    value
}

/// `call`'s frame run through the worker step with `block` (not necessarily the call's own)
/// and frames up to `limit`: the `RESULT` frame and the result's block.
fn worker_step(call: &mut Call, block: Option<Block>, limit: usize) -> (Vec<u8>, Option<Block>) {
    let frame = call.take_frame();
    let mut result = Vec::new();
    let back = backend::run_call_with_block(&frame, block, &mut result, limit).unwrap();
    (result, back)
}

/// One call through the worker step and back: whether the argument and the result went as
/// blocks, and the future's outcome.
fn round_trip<A: Portable, T: Portable>(
    call: fn(A) -> T,
    arg: A,
) -> (bool, bool, Result<T, Error>) {
    let (mut call, future) = Call::with_blocks(call, arg).unwrap();
    assert!(call.set_running());
    call.set_id(9);
    let block = call.take_block();
    let sent = block.is_some();
    let (result, back) = worker_step(&mut call, block, usize::MAX);
    assert_eq!(backend::frame_id(&result), Some(9));
    let got = back.is_some();
    call.complete_with_block(&result, back);
    (sent, got, future.result())
}

#[test]
fn big_plain_buffers_travel_as_blocks_both_ways() {
    assert_eq!(
        round_trip(echo, vec![5_u8; BIG]),
        (true, true, Ok(vec![5; BIG]))
    );
    let floats: Vec<f64> = (0..BIG / 8).map(|i| i as f64 / 3.0).collect();
    assert_eq!(round_trip(echo, floats.clone()), (true, true, Ok(floats)));
    let words = vec![u128::MAX; BIG / 16];
    assert_eq!(round_trip(echo, words.clone()), (true, true, Ok(words)));
    let text = "é".repeat(BIG);
    assert_eq!(round_trip(echo, text.clone()), (true, true, Ok(text)));
}

#[test]
fn small_buffers_and_other_types_stay_in_the_frame() {
    assert_eq!(
        round_trip(echo, vec![5_u8; 10]),
        (false, false, Ok(vec![5; 10]))
    );
    assert_eq!(
        round_trip(|bytes: Vec<u8>| bytes[0], vec![9; BIG]),
        (true, false, Ok(9)),
        "a block argument, a result in the frame"
    );
    let (sent, got, made) = round_trip(|n: usize| vec![1_u8; n], BIG);
    assert!(!sent && got, "an argument in the frame, a block result");
    assert_eq!(made.map(|v| v.len()), Ok(BIG));
    let (sent, got, strings) = round_trip(echo, vec!["x".repeat(BIG)]);
    assert!(!sent && !got, "a Vec of Strings is no plain buffer");
    assert_eq!(strings, Ok(vec!["x".repeat(BIG)]));
}

#[test]
fn a_block_the_argument_needed_but_did_not_get_fails_the_call_not_the_worker() {
    let (mut call, future): (Call, Future<Vec<u8>>) =
        Call::with_blocks(echo, vec![1; BIG]).unwrap();
    let _lost = call.take_block();
    let (result, back) = worker_step(&mut call, None, usize::MAX);
    assert!(back.is_none());
    call.complete_with_block(&result, back);
    assert!(matches!(future.result(), Err(Error::Serialization { .. })));
}

#[test]
fn a_result_block_over_the_limit_fails_its_call() {
    let (mut call, future): (Call, Future<Vec<u8>>) =
        Call::with_blocks(echo, vec![1; 4 * BIG]).unwrap();
    let block = call.take_block();
    let (result, back) = worker_step(&mut call, block, 2 * BIG);
    assert!(
        back.is_none(),
        "the block over the limit stays in the worker"
    );
    call.complete_with_block(&result, back);
    assert!(matches!(
        future.result(),
        Err(Error::Serialization { message }) if message.contains("limit")
    ));
}

#[test]
fn a_result_without_its_block_or_with_another_alignment_is_an_error() {
    let (mut call, future): (Call, Future<Vec<u8>>) =
        Call::with_blocks(echo, vec![1; BIG]).unwrap();
    let block = call.take_block();
    let (result, back) = worker_step(&mut call, block, usize::MAX);
    assert!(back.is_some());
    call.complete_with_block(&result, None);
    assert!(matches!(future.result(), Err(Error::Serialization { .. })));

    let (mut call, future): (Call, Future<Vec<u64>>) =
        Call::with_blocks(echo, vec![1; BIG / 8]).unwrap();
    let block = call.take_block();
    let (result, back) = worker_step(&mut call, block, usize::MAX);
    let back = back.unwrap();
    assert_eq!(back.align(), 8);
    // The same bytes, received with the alignment of bytes: not a `Vec<u64>`'s memory.
    let mut bytes = Block::with_capacity(back.len(), 1).unwrap();
    for (to, &from) in bytes.spare_capacity_mut().iter_mut().zip(back.as_bytes()) {
        to.write(from);
    }
    // SAFETY: every spare byte was just written.
    unsafe { bytes.grow_len(back.len()) };
    call.complete_with_block(&result, Some(bytes));
    assert!(matches!(future.result(), Err(Error::Serialization { .. })));
}

#[test]
fn a_panic_still_reports_its_message() {
    fn boom(_: Vec<u8>) -> Vec<u8> {
        panic!("boom")
    }
    let (sent, got, outcome) = round_trip(boom, vec![0; BIG]);
    assert!(sent && !got);
    assert!(matches!(outcome, Err(Error::Panicked { message, .. }) if message == "boom"));
}

#[test]
fn a_block_crosses_threads() {
    fn send_and_sync<T: Send + Sync>(_: &T) {}
    let block = Block::with_capacity(8, 8).unwrap();
    send_and_sync(&block);
    let moved = std::thread::spawn(move || block.align()).join().unwrap();
    assert_eq!(moved, 8);
}
