//! The seed notebook on MPI: `foo(n)` prints "starting n", sleeps n tenths of a second,
//! prints "end n" and returns `n * 10`, mapped over 5, 4, 3, 2, 1 on the worker ranks.
//!
//! ```text
//! cargo build --release -p cfut-mpi --examples
//! mpirun -n 4 target/release/examples/seed_mpi
//! ```
//!
//! (As root, with `OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1` in the
//! environment; with more ranks than cores, add `--oversubscribe`.)

use std::time::Duration;

use cfut_combinators::MapExt;

/// Runs on a worker rank: the seed's `foo`, plus the rank that ran it.
fn foo(n: u64) -> (u64, i32) {
    let rank = cfut_mpi::worker_rank().expect("runs on a worker rank");
    println!("starting {n} (rank {rank})");
    std::thread::sleep(Duration::from_millis(100 * n));
    println!("end {n} (rank {rank})");
    (n * 10, rank)
}

fn main() -> Result<(), cfut_mpi::StartError> {
    let (values, ranks): (Vec<u64>, Vec<i32>) = cfut_mpi::run(|pool| {
        pool.map(foo, [5, 4, 3, 2, 1])
            .map(|result| result.expect("foo does not fail"))
            .unzip()
    })?;
    println!("{values:?}");
    println!("ran on ranks {ranks:?}");
    assert_eq!(values, [50, 40, 30, 20, 10]);
    Ok(())
}
