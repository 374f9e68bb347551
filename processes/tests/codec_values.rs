//! Values crossing the process boundary: plain buffers through the fast path, the frame
//! limit in both directions, errors that keep their words, and `Deserialize`/`Serialize`
//! implementations that panic — each fails only its own call.

mod support;

use cfut_core::{CallExecutor, Error};
use cfut_processes::ProcessPoolExecutor;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use support::{get, pid};

fn message<T: std::fmt::Debug>(outcome: Result<T, Error>) -> String {
    match outcome {
        Err(Error::Serialization { message }) => message,
        other => panic!("expected a serialization error, got {other:?}"),
    }
}

#[test]
fn smoke_plain_buffers_echo_intact() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let bytes: Vec<u8> = (0..16 << 20).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        get(pool.submit(|v: Vec<u8>| v, bytes.clone())).as_ref(),
        Ok(&bytes)
    );
    let floats: Vec<f64> = (0..1 << 20).map(|i| f64::from(i) * 0.5 - 7.0).collect();
    assert_eq!(
        get(pool.submit(|v: Vec<f64>| v, floats.clone())).as_ref(),
        Ok(&floats)
    );
    let ints: Vec<i32> = (-1000..1000).collect();
    assert_eq!(
        get(pool.submit(|v: Vec<i32>| v, ints.clone())).as_ref(),
        Ok(&ints)
    );
    let text = "ünïcode ".repeat(100_000);
    assert_eq!(
        get(pool.submit(|s: String| s, text.clone())).as_ref(),
        Ok(&text)
    );
    let boxed: Box<[u8]> = bytes[..1000].into();
    assert_eq!(
        get(pool.submit(|b: Box<[u8]>| b, boxed.clone())).as_ref(),
        Ok(&boxed)
    );
    let lists = vec![vec![1_u16, 2, 3], vec![], vec![u16::MAX]];
    assert_eq!(
        get(pool.submit(|v: Vec<Vec<u16>>| v, lists.clone())).as_ref(),
        Ok(&lists)
    );
    assert_eq!(get(pool.submit(|v: Vec<u8>| v.len(), Vec::new())), Ok(0));
}

#[test]
fn buffers_change_type_across_the_boundary() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let sum = get(pool.submit(|v: Vec<u64>| v.iter().sum::<u64>(), (1..=1000).collect()));
    assert_eq!(sum, Ok(500_500));
    let widened = get(pool.submit(
        |v: Vec<u8>| v.into_iter().map(f32::from).collect::<Vec<f32>>(),
        vec![1, 2, 255],
    ));
    assert_eq!(widened, Ok(vec![1.0, 2.0, 255.0]));
}

/// One chunk of `call` over `args`, as `map` with a `chunksize` sends it, decoded here.
fn batch<A: cfut_core::Portable, T: cfut_core::Portable>(
    pool: &ProcessPoolExecutor,
    call: fn(A) -> T,
    args: Vec<A>,
) -> Result<Vec<Result<T, Error>>, Error> {
    get(pool.submit_batch(call, args))?.decode()
}

#[test]
fn batches_of_buffers() {
    let pool = ProcessPoolExecutor::new(2).unwrap();
    let inputs: Vec<Vec<u8>> = (0..20).map(|i| vec![i as u8; 10_000 + i]).collect();
    let lengths = batch(&pool, |v: Vec<u8>| v.len(), inputs.clone()).unwrap();
    let expected: Vec<Result<usize, Error>> = (0..20).map(|i| Ok(10_000 + i)).collect();
    assert_eq!(lengths, expected);
    let echoed = batch(&pool, |v: Vec<u8>| v, inputs.clone()).unwrap();
    let echoed: Vec<Vec<u8>> = echoed.into_iter().map(Result::unwrap).collect();
    assert_eq!(echoed, inputs);
    // A batch whose elements are single bytes (the batch itself is a `Vec<u8>`).
    let doubled = batch(&pool, |x: u8| x.wrapping_mul(2), (0..=255).collect()).unwrap();
    assert_eq!(doubled[200], Ok(144));
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Image {
    width: u32,
    #[serde(with = "cfut_processes::raw")]
    pixels: Vec<u8>,
    #[serde(with = "cfut_processes::raw")]
    weights: Vec<f32>,
    #[serde(with = "cfut_processes::raw")]
    name: String,
}

#[test]
fn the_raw_attribute_carries_nested_buffers() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let image = Image {
        width: 640,
        pixels: vec![7; 640 * 480],
        weights: vec![0.25; 1000],
        name: "frame".to_owned(),
    };
    let expected = Image {
        width: 640,
        pixels: vec![8; 640 * 480],
        weights: vec![0.25; 1000],
        name: "frame".to_owned(),
    };
    let brighter = |mut image: Image| {
        image.pixels.iter_mut().for_each(|p| *p += 1);
        image
    };
    assert_eq!(get(pool.submit(brighter, image)), Ok(expected));
}

#[test]
fn a_frame_above_the_limit_fails_only_its_call_in_either_direction() {
    let limit = 64 * 1024;
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .max_frame_size(limit)
        .build()
        .unwrap();
    let worker = get(pool.submit(pid, ())).unwrap();
    // Argument: refused at submission, nothing sent.
    let refused = message(get(pool.submit(|v: Vec<u8>| v.len(), vec![0; 100_000])));
    assert!(
        refused.contains("cannot send the argument: a frame of 1000") && refused.contains("65536"),
        "{refused}"
    );
    // Result: refused by the worker, which lives on.
    let refused = message(get(pool.submit(|n: usize| vec![1_u8; n], 100_000)));
    assert!(
        refused.contains("result") && refused.contains("65536"),
        "{refused}"
    );
    assert_eq!(get(pool.submit(pid, ())), Ok(worker), "the same worker");
    // Just under the limit in both directions: fine.
    let fits = vec![3_u8; limit - 64];
    assert_eq!(get(pool.submit(|v: Vec<u8>| v, fits.clone())), Ok(fits));
}

#[test]
fn the_frame_limit_is_validated() {
    for bad in [0, 100, 4095, usize::MAX] {
        let error = ProcessPoolExecutor::builder()
            .max_frame_size(bad)
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("max_frame_size"), "{error}");
    }
    assert!(
        ProcessPoolExecutor::builder()
            .max_frame_size(4096)
            .build()
            .is_ok()
    );
}

/// Each value of this type carries a number; 666 is refused (or panics) on the way.
#[derive(Debug, PartialEq)]
struct Poisoned<const PANICS: bool>(u32);

impl<const PANICS: bool> Serialize for Poisoned<PANICS> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 == 777 {
            if PANICS {
                panic!("cannot bear to encode 777");
            }
            return Err(serde::ser::Error::custom("poisoned value 777 not encoded"));
        }
        serializer.serialize_u32(self.0)
    }
}

impl<'de, const PANICS: bool> Deserialize<'de> for Poisoned<PANICS> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u32::deserialize(deserializer)?;
        if value == 666 {
            if PANICS {
                panic!("cannot bear to decode 666");
            }
            return Err(serde::de::Error::custom("poisoned value 666 rejected"));
        }
        Ok(Poisoned(value))
    }
}

type Refusing = Poisoned<false>;
type Panicking = Poisoned<true>;

#[test]
fn errors_keep_their_words_and_say_where() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let worker = get(pool.submit(pid, ())).unwrap();
    let cases = [
        (
            message(get(pool.submit(|p: Refusing| p.0, Poisoned(777)))),
            "cannot encode the argument in the parent: poisoned value 777 not encoded",
        ),
        (
            message(get(pool.submit(|p: Refusing| p.0, Poisoned(666)))),
            "cannot decode the argument in the worker: poisoned value 666 rejected",
        ),
        (
            message(get(pool.submit(|n: u32| Refusing::from(n), 777))),
            "cannot encode the result in the worker: poisoned value 777 not encoded",
        ),
        (
            message(get(pool.submit(|n: u32| Refusing::from(n), 666))),
            "cannot decode the result in the parent: poisoned value 666 rejected",
        ),
    ];
    for (message, expected) in cases {
        assert!(
            message.contains(expected),
            "{message:?} should say {expected:?}"
        );
    }
    assert_eq!(get(pool.submit(pid, ())), Ok(worker), "the worker lived on");
}

impl<const PANICS: bool> From<u32> for Poisoned<PANICS> {
    fn from(value: u32) -> Self {
        Poisoned(value)
    }
}

#[test]
fn a_panicking_deserialize_fails_only_its_call_in_either_direction() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    let worker = get(pool.submit(pid, ())).unwrap();
    // In the parent, on the pool's manager thread: CPython's
    // test_exit_during_result_unpickle_in_result_handler, in its Rust form.
    let result = message(get(pool.submit(|n: u32| Panicking::from(n), 666)));
    assert!(
        result.contains("cannot decode the result in the parent")
            && result.contains("cannot bear to decode 666"),
        "{result}"
    );
    // In the worker.
    let argument = message(get(pool.submit(|p: Panicking| p.0, Poisoned(666))));
    assert!(
        argument.contains("cannot decode the argument in the worker")
            && argument.contains("cannot bear to decode 666"),
        "{argument}"
    );
    // Encoding panics too, both sides.
    let encoding = message(get(pool.submit(|p: Panicking| p.0, Poisoned(777))));
    assert!(encoding.contains("cannot bear to encode 777"), "{encoding}");
    let encoding = message(get(pool.submit(|n: u32| Panicking::from(n), 777)));
    assert!(encoding.contains("cannot bear to encode 777"), "{encoding}");
    // The pool and its worker are fine.
    assert_eq!(
        get(pool.submit(|n: u32| Panicking::from(n), 5)),
        Ok(Poisoned(5))
    );
    assert_eq!(get(pool.submit(pid, ())), Ok(worker));
    assert_eq!(pool.workers_started(), 1);
}

#[test]
fn a_panicking_deserialize_in_a_batch_fails_only_that_batch() {
    let pool = ProcessPoolExecutor::new(1).unwrap();
    // Decoded by the consuming thread (what `map` with a chunksize does).
    let failed = batch(&pool, |n: u32| Panicking::from(n), vec![1, 666, 3]);
    let failed = message(failed);
    assert!(
        failed.contains("cannot decode the result of element 1 in the parent")
            && failed.contains("cannot bear to decode 666"),
        "{failed}"
    );
    let fine = batch(&pool, |n: u32| Panicking::from(n), vec![4, 5]).unwrap();
    assert_eq!(fine, [Ok(Poisoned(4)), Ok(Poisoned(5))]);
    assert_eq!(get(pool.submit(|x: u8| x + 1, 1)), Ok(2));
}

/// Writes, on the worker's channel, the header of a result frame announcing 4 GiB.
fn announce_a_huge_frame(_: ()) -> u8 {
    support::write_to_own_sockets(&[0xff, 0xff, 0xff, 0xff, 13, 0, 0, 0]);
    1
}

#[test]
fn a_worker_announcing_a_frame_above_the_limit_is_replaced() {
    let pool = ProcessPoolExecutor::builder()
        .max_workers(1)
        .max_frame_size(64 * 1024)
        .build()
        .unwrap();
    let before = get(pool.submit(pid, ())).unwrap();
    let refused = message(get(pool.submit(announce_a_huge_frame, ())));
    assert!(
        refused.contains("malformed frame") && refused.contains("4294967295"),
        "{refused}"
    );
    let after = get(pool.submit(pid, ())).unwrap();
    assert_ne!(before, after, "the worker was replaced");
}
