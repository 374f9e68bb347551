//! Recognizing a known race of Open MPI 4's launcher, for programs that launch `mpirun`
//! themselves (this crate's tests and benchmark).

/// `true` if `stderr`, the standard error of an `mpirun` that failed, is Open MPI's report of
/// a rank "exiting improperly" with PID 0: the launcher's race between a rank's output closing
/// and its exit being reaped (open-mpi/ompi#7833, #9389, #12607). It hits any program, a
/// "hello world" too, about once in a few hundred to a few thousand launches (once in about
/// 20 launches of `mpi_bench cfut` on 2 loaded cores here); the rank did call
/// `MPI_Finalize`, so the only sound reaction is to launch again. A rank that really exits
/// without finalizing is reported with its real PID.
///
/// # Examples
///
/// ```
/// let race = "mpirun has exited due to process rank 0 with PID 0 on\n\
///             node vm exiting improperly. There are three reasons this could occur:";
/// assert!(cfut_mpi::is_open_mpi_exit_race(race));
/// let real = "mpirun has exited due to process rank 1 with PID 4242 on\n\
///             node vm exiting improperly.";
/// assert!(!cfut_mpi::is_open_mpi_exit_race(real));
/// ```
#[doc(hidden)]
pub fn is_open_mpi_exit_race(stderr: &str) -> bool {
    stderr.contains(" with PID 0 on") && stderr.contains("exiting improperly")
}
