//! Spawn mode: a program started alone (`mpirun -n 1`) spawns two copies of itself with
//! `MPI_Comm_spawn`; they serve before `main` runs and exit when the pool is dropped.

mod support;

use support::{assert_ok, example, mpirun};

#[test]
fn a_program_started_alone_spawns_its_workers() {
    let program = example("mpi_scenarios");
    let run = mpirun(&["-n", "1", program.to_str().unwrap(), "spawn"]);
    assert_ok(&run, "spawn");
}
