//! What ends the job: a worker rank that dies, a panic on the root. Neither hangs, both end
//! with a non-zero status, and no process of the run is left.

mod support;

use support::{example, mpirun};

#[test]
fn a_worker_rank_that_dies_ends_the_job_with_its_status() {
    let program = example("mpi_scenarios");
    let run = mpirun(&["-n", "3", program.to_str().unwrap(), "worker_dies"]);
    assert!(run.ended(), "the run hung: {run:?}");
    assert_eq!(run.status, Some(3), "the dead rank's exit status: {run:?}");
    assert!(!run.stdout.contains("scenario worker_dies ok"), "{run:?}");
}

#[test]
fn a_panic_on_the_root_ends_the_job_through_mpi_abort() {
    let program = example("mpi_scenarios");
    let run = mpirun(&["-n", "3", program.to_str().unwrap(), "root_panics"]);
    assert!(run.ended(), "the run hung: {run:?}");
    assert_eq!(run.status, Some(101), "{run:?}");
    assert!(run.stderr.contains("the root gives up"), "{run:?}");
    // Our line before `MPI_Abort` (Open MPI's own banner about it is sometimes lost: its
    // help-message forwarding can fail with "Data unpack would read past end of buffer").
    // Without the abort the other ranks would wait forever and `timeout` would end the run.
    assert!(run.stderr.contains("ending the MPI job"), "{run:?}");
}
