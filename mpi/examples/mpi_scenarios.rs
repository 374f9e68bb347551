//! The scenarios `mpi/tests` launch under `mpirun`, one per run, named by the first
//! argument. Each prints `scenario <name> ok` on the root when its checks passed (or, for the
//! ones that end the job, is checked from outside by its exit status).
//!
//! ```text
//! cargo build -p cfut-mpi --examples
//! mpirun -n 3 target/debug/examples/mpi_scenarios basic
//! ```

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use cfut_combinators::{MapExt, ReturnWhen, as_completed, wait};
use cfut_core::{CallExecutor, Error, Shutdown};
use cfut_mpi::{Builder, MpiPoolExecutor};

fn square(x: u64) -> u64 {
    x * x
}

fn rank_of(_: ()) -> i32 {
    cfut_mpi::worker_rank().expect("runs on a worker rank")
}

fn echo(bytes: Vec<u8>) -> Vec<u8> {
    bytes
}

fn explode(x: u32) -> u32 {
    panic!("call {x} exploded")
}

fn die(code: i32) -> u32 {
    std::process::exit(code)
}

/// Waits until `path` exists (a gate the root opens), then gives this rank.
fn gated(path: String) -> i32 {
    while !std::path::Path::new(&path).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    rank_of(())
}

/// Panics on rank 2 only.
fn picky_initializer() {
    if cfut_mpi::worker_rank() == Some(2) {
        panic!("rank 2 has no database");
    }
}

fn main() {
    let scenario = std::env::args().nth(1).unwrap_or_default();
    let outcome = match scenario.as_str() {
        "basic" => cfut_mpi::run(basic),
        "initializer" => Builder::new()
            .initializer(picky_initializer)
            .run(initializer),
        "refused" => cfut_mpi::run(refused),
        "worker_dies" => cfut_mpi::run(|pool| {
            assert_eq!(pool.submit(square, 3).result(), Ok(9));
            let _ = pool.submit(die, 3).result();
            unreachable!("the job ends when a worker rank dies");
        }),
        "root_panics" => cfut_mpi::run(|pool| {
            assert_eq!(pool.submit(square, 3).result(), Ok(9));
            let _queued = pool.submit(square, 4);
            panic!("the root gives up");
        }),
        "shutdown" => Builder::new().window(1).run(shutdown),
        "unwatched" => cfut_mpi::run(unwatched),
        "drop_waits" => drop_waits(),
        "spawn" => spawn(),
        "on" => on(),
        other => {
            eprintln!("unknown scenario {other:?}");
            std::process::exit(2);
        }
    };
    if let Err(error) = outcome {
        eprintln!("{error}");
        std::process::exit(3);
    }
    println!("scenario {scenario} ok");
}

fn basic(pool: &MpiPoolExecutor) {
    assert_eq!(pool.max_workers(), 2);
    assert_eq!(pool.worker_ranks(), [1, 2]);
    assert_eq!(pool.submit(square, 12).result(), Ok(144));

    // A panic fails only its future, with message and location; the rank serves on.
    match pool.submit(explode, 7).result() {
        Err(Error::Panicked { message, location }) => {
            assert_eq!(message, "call 7 exploded");
            assert!(location.unwrap().contains("mpi_scenarios.rs"));
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(pool.submit(square, 5).result(), Ok(25));

    // Both ranks take calls.
    let ranks: Vec<i32> = (0..8)
        .map(|_| pool.submit(rank_of, ()))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|f| f.result().unwrap())
        .collect();
    assert!(ranks.iter().all(|rank| [1, 2].contains(rank)), "{ranks:?}");

    // The portable level: map with chunks, in order; a panicking element fails alone.
    let squares: Vec<u64> = pool
        .map(square, 0..1000)
        .chunksize(NonZeroUsize::new(64).unwrap())
        .map(Result::unwrap)
        .collect();
    assert_eq!(squares, (0..1000).map(|x| x * x).collect::<Vec<_>>());
    let batch = pool
        .submit_batch(|x: i32| 10 / x, vec![5, 0, 2])
        .result()
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(batch[0], Ok(2));
    assert!(matches!(batch[1], Err(Error::Panicked { .. })));
    assert_eq!(batch[2], Ok(5));

    // Big payloads in both directions, several in flight per rank at once.
    let payloads: Vec<Vec<u8>> = (0..6_u8).map(|i| vec![i; 1 << 20]).collect();
    let echoes: Vec<_> = payloads
        .iter()
        .map(|p| pool.submit(echo, p.clone()))
        .collect();
    for (sent, echoed) in payloads.iter().zip(echoes) {
        assert_eq!(&echoed.result().unwrap(), sent);
    }
    // A big argument with a small result, a small argument with a big result, and small
    // buffers (inside the frame) in flight between them, on both ranks.
    let futures: Vec<_> = (0..4_u8)
        .map(|i| {
            (
                pool.submit(
                    |b: Vec<u8>| b.iter().map(|&x| u64::from(x)).sum::<u64>(),
                    vec![i; 1 << 20],
                ),
                pool.submit(|(n, x): (usize, u8)| vec![x; n], (1 << 20, i)),
                pool.submit(echo, vec![i; 100]),
            )
        })
        .collect();
    for (i, (sum, made, small)) in futures.into_iter().enumerate() {
        assert_eq!(sum.result(), Ok(i as u64 * (1 << 20)));
        assert_eq!(made.result(), Ok(vec![i as u8; 1 << 20]));
        assert_eq!(small.result(), Ok(vec![i as u8; 100]));
    }

    // Any plain buffer travels beside its frame with its alignment: numbers, text.
    let floats: Vec<f64> = (0..(1 << 17)).map(f64::from).collect();
    let reversed = pool.submit(
        |mut values: Vec<f64>| {
            values.reverse();
            values
        },
        floats.clone(),
    );
    assert_eq!(
        reversed.result(),
        Ok(floats.iter().rev().copied().collect::<Vec<_>>())
    );
    let text = "cfut ".repeat(1 << 16);
    assert_eq!(
        pool.submit(|s: String| s.to_uppercase(), text.clone())
            .result(),
        Ok(text.to_uppercase())
    );

    // Futures mix with thread-pool and process-pool futures in as_completed and wait.
    let threads = cfut_threads::ThreadPoolExecutor::new(1).unwrap();
    let processes = cfut_processes::ProcessPoolExecutor::new(1).unwrap();
    let futures = vec![
        pool.submit(square, 2),
        threads.spawn(|| 9),
        processes.submit(square, 4),
    ];
    assert_eq!(as_completed(futures.iter()).count(), 3);
    let done = wait(futures.iter(), ReturnWhen::AllCompleted);
    assert_eq!(done.0.len(), 3);
    let mut all: Vec<u64> = futures.into_iter().map(|f| f.result().unwrap()).collect();
    all.sort_unstable();
    assert_eq!(all, [4, 9, 16]);
}

fn initializer(pool: &MpiPoolExecutor) {
    for future in (0..4).map(|x| pool.submit(square, x)).collect::<Vec<_>>() {
        match future.result() {
            Err(Error::Broken { reason }) => {
                assert!(reason.contains("rank 2"), "{reason}");
                assert!(reason.contains("rank 2 has no database"), "{reason}");
                assert!(!reason.contains("rank 1 "), "rank 1 served: {reason}");
            }
            other => panic!("expected a broken pool, got {other:?}"),
        }
    }
    assert!(matches!(
        pool.submit(square, 1).result(),
        Err(Error::Broken { .. })
    ));
}

fn refused(pool: &MpiPoolExecutor) {
    match pool.submit(square, 2).result() {
        Err(Error::Broken { reason }) => {
            assert!(reason.contains("not the same build"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn shutdown(pool: &MpiPoolExecutor) {
    let gate: PathBuf = std::env::temp_dir().join(format!("cfut-mpi-gate-{}", std::process::id()));
    let _ = std::fs::remove_file(&gate);
    let path = gate.to_string_lossy().into_owned();
    let futures: Vec<_> = (0..6).map(|_| pool.submit(gated, path.clone())).collect();
    // A window of 1 and 2 workers: the first two run, the other four wait in the root.
    while !(futures[0].is_running() && futures[1].is_running()) {
        std::thread::sleep(Duration::from_millis(1));
    }
    pool.shutdown(Shutdown::new().cancel_pending(true).wait(false));
    assert_eq!(pool.submit(square, 1).result(), Err(Error::Shutdown));
    std::fs::write(&gate, b"open").unwrap();
    let mut futures = futures.into_iter();
    let mut ranks: Vec<i32> = futures
        .by_ref()
        .take(2)
        .map(|f| f.result().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, [1, 2]);
    for future in futures {
        assert_eq!(future.result(), Err(Error::Cancelled));
    }
    pool.shutdown(Shutdown::new());
    std::fs::remove_file(&gate).unwrap();
}

/// Inside `run` the root's thread drives the calls it waits for and queues its calls without
/// waking the manager: calls it never waits for through cfut are still answered and their
/// callbacks run, by the manager, while the thread blocks elsewhere (a channel here).
fn unwatched(pool: &MpiPoolExecutor) {
    let (sender, receiver) = std::sync::mpsc::channel();
    let futures: Vec<_> = (0..20_u64)
        .map(|i| {
            let future = pool.submit(square, i);
            let sender = sender.clone();
            future.add_done_callback(move |result| {
                sender.send(result.copied().map_err(Clone::clone)).unwrap();
            });
            future
        })
        .collect();
    let mut values: Vec<u64> = (0..20)
        .map(|_| {
            receiver
                .recv_timeout(Duration::from_secs(60))
                .expect("a call nobody waits for is answered")
                .unwrap()
        })
        .collect();
    values.sort_unstable();
    assert_eq!(values, (0..20).map(|i| i * i).collect::<Vec<_>>());
    assert!(futures.iter().all(|f| f.is_done()));
    // Then a round trip again, driven by this thread, and one while a call nobody waits for
    // is in flight beside it.
    assert_eq!(pool.submit(square, 6).result(), Ok(36));
    let unwatched = pool.submit(
        |x: u64| {
            std::thread::sleep(Duration::from_millis(20));
            x
        },
        1,
    );
    assert_eq!(pool.submit(square, 7).result(), Ok(49));
    while !unwatched.is_done() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(unwatched.result(), Ok(1));
    // After a pause long enough for the manager to go dormant, a call this thread sends
    // itself and nobody waits for still wakes it.
    std::thread::sleep(Duration::from_millis(300));
    let after_pause = pool.submit(square, 8);
    while !after_pause.is_done() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(after_pause.result(), Ok(64));
}

/// Leaving the closure drops the pool, which waits for the calls: Python's `with` block.
fn drop_waits() -> Result<(), cfut_mpi::StartError> {
    let futures = cfut_mpi::run(|pool| {
        (0..4)
            .map(|x| {
                pool.submit(
                    |x: u64| {
                        std::thread::sleep(Duration::from_millis(50));
                        x + 1
                    },
                    x,
                )
            })
            .collect::<Vec<_>>()
    })?;
    assert!(
        futures.iter().all(|f| f.is_done()),
        "run returned before the calls finished"
    );
    let values: Vec<u64> = futures.into_iter().map(|f| f.result().unwrap()).collect();
    assert_eq!(values, [1, 2, 3, 4]);
    Ok(())
}

/// Spawn mode: started alone (`mpirun -n 1`), the program spawns two copies of itself.
fn spawn() -> Result<(), cfut_mpi::StartError> {
    let pool = Builder::new().max_workers(2).spawn()?;
    assert_eq!(pool.max_workers(), 2);
    assert_eq!(pool.submit(square, 9).result(), Ok(81));
    let ranks: Vec<i32> = (0..6)
        .map(|_| pool.submit(rank_of, ()))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|f| f.result().unwrap())
        .collect();
    assert!(ranks.iter().all(|rank| [0, 1].contains(rank)), "{ranks:?}");
    assert!(matches!(
        pool.submit(explode, 1).result(),
        Err(Error::Panicked { .. })
    ));
    {
        // This thread drives, as the root's thread does inside `run`.
        let _driving = pool.drive_here();
        for i in 0..200 {
            assert_eq!(pool.submit(square, i).result(), Ok(i * i));
        }
        unwatched(&pool);
    }
    // The guard is gone: the manager drives every call again.
    assert_eq!(pool.submit(square, 12).result(), Ok(144));
    drop(pool);
    Ok(())
}

/// Over a communicator the program already has, with rank 1 as the root (mpi4py's
/// `MPICommExecutor(comm, root=1)`); every rank goes on after the pool, and MPI stays the
/// program's.
fn on() -> Result<(), cfut_mpi::StartError> {
    use mpi::traits::*;

    let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Multiple).unwrap();
    let world = universe.world();
    let served = match Builder::new().on(&world, 1)? {
        Some(pool) => {
            assert_eq!(pool.worker_ranks(), [0, 2]);
            let ranks: Vec<i32> = (0..6)
                .map(|_| pool.submit(rank_of, ()))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|f| f.result().unwrap())
                .collect();
            assert!(ranks.iter().all(|rank| [0, 2].contains(rank)), "{ranks:?}");
            false
        }
        None => true,
    };
    // The program's own communication still works once the pool is gone.
    let mut count = 0_i32;
    world.all_reduce_into(
        &i32::from(served),
        &mut count,
        mpi::collective::SystemOperation::sum(),
    );
    assert_eq!(count, 2, "two ranks served");
    if world.rank() != 1 {
        // Only the root prints the line the test looks for.
        drop(universe);
        std::process::exit(0);
    }
    Ok(())
}
