//! Spawn mode: the root starts copies of its own executable with `MPI_Comm_spawn`; in each
//! copy a constructor sees the marker argument before `main`, serves over the
//! intercommunicator to the parent, and exits.

#[cfg(all(target_os = "linux", not(cfut_loom)))]
use std::ffi::{CStr, c_char};
use std::ffi::{c_int, c_void};
use std::process::Command;

use mpi::Threading;
use mpi::collective::Root;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, SimpleCommunicator};

use crate::StartError;
use crate::transport::Comm;

/// The argument that marks a spawned worker. Internal: never pass it by hand.
pub(crate) const MARKER: &str = "--cfut-mpi-spawned-worker";

/// Exit status of a marked process that has no parent to serve.
const EXIT_NO_PARENT: i32 = 97;

/// Spawns `max_workers` (or the default) workers; the intercommunicator and their ranks.
pub(crate) fn spawn(max_workers: Option<usize>) -> Result<(Comm, Vec<i32>), StartError> {
    if !mpi::environment::is_initialized() {
        let (universe, _) = mpi::initialize_with_threading(Threading::Multiple)
            .ok_or_else(|| StartError::new("MPI could not be initialized"))?;
        // MPI stays up for the rest of the process (a pool may be made again; MPI cannot be
        // initialized twice) and is finalized when the process exits.
        std::mem::forget(universe);
        // SAFETY: `finalize_at_exit` is an `extern "C" fn()` that stays valid for the
        // process's life.
        unsafe { libc::atexit(finalize_at_exit) };
    }
    if mpi::environment::threading_support() < Threading::Serialized {
        return Err(StartError::new(
            "MPI was initialized without MPI_THREAD_SERIALIZED; the pool's manager thread \
             needs it",
        ));
    }
    let count = match max_workers {
        Some(count) => count,
        None => default_workers(),
    };
    let count = i32::try_from(count)
        .map_err(|_| StartError::new(format!("{count} workers is more than MPI can spawn")))?;
    let executable = std::env::current_exe()
        .map_err(|error| StartError::new(format!("the executable cannot be found: {error}")))?;
    let mut command = Command::new(executable);
    command.arg(MARKER);
    let own = SimpleCommunicator::self_comm();
    let inter = own
        .process_at_rank(0)
        .spawn(&command, count)
        .map_err(|error| StartError::new(format!("MPI_Comm_spawn failed: {error:?}")))?;
    // SAFETY: `inter` is the live intercommunicator just spawned; `Comm` takes it over (and
    // disconnects it on drop), so rsmpi's handle must not free it too.
    let comm = unsafe { Comm::adopt_inter(inter.as_raw()) };
    std::mem::forget(inter);
    Ok((comm, (0..count).collect()))
}

/// mpi4py's default: the universe size minus the processes running, at least 1.
fn default_workers() -> usize {
    let mut value: *mut c_int = std::ptr::null_mut();
    let mut flag: c_int = 0;
    // SAFETY: `MPI_UNIVERSE_SIZE` is a predefined attribute of the world; MPI writes a
    // pointer to its `int` value into `value`, and `flag` says whether it is set.
    unsafe {
        mpi::ffi::MPI_Comm_get_attr(
            mpi::ffi::RSMPI_COMM_WORLD,
            mpi::ffi::MPI_UNIVERSE_SIZE as c_int,
            (&raw mut value).cast::<c_void>(),
            &mut flag,
        )
    };
    let universe = if flag != 0 && !value.is_null() {
        // SAFETY: MPI set the flag, so `value` points to the attribute's `int`.
        usize::try_from(unsafe { *value }).unwrap_or(0)
    } else {
        0
    };
    let running = usize::try_from(SimpleCommunicator::world().size()).unwrap_or(1);
    universe.saturating_sub(running).max(1)
}

extern "C" fn finalize_at_exit() {
    let mut finalized: c_int = 0;
    // SAFETY: querying and finalizing MPI at exit, on the thread running `exit`.
    unsafe {
        mpi::ffi::MPI_Finalized(&mut finalized);
        if finalized == 0 {
            mpi::ffi::MPI_Finalize();
        }
    }
}

/// The constructor that makes a spawned copy serve before `main`.
#[cfg(all(target_os = "linux", not(cfut_loom)))]
#[used]
#[unsafe(link_section = ".init_array")]
static CONSTRUCTOR: extern "C" fn(c_int, *const *const c_char, *const *const c_char) = constructor;

/// glibc passes `argc`, `argv` and `envp` to `.init_array` functions.
#[cfg(all(target_os = "linux", not(cfut_loom)))]
extern "C" fn constructor(argc: c_int, argv: *const *const c_char, _envp: *const *const c_char) {
    if argc < 2 || argv.is_null() {
        return;
    }
    // SAFETY: glibc's `argv` holds `argc` valid C strings.
    let last = unsafe { CStr::from_ptr(*argv.add(argc as usize - 1)) };
    if last.to_bytes() == MARKER.as_bytes() {
        std::process::exit(serve_parent());
    }
}

/// Keeps [`CONSTRUCTOR`] linked into the binary.
pub(crate) fn keep_constructor() {
    #[cfg(all(target_os = "linux", not(cfut_loom)))]
    std::hint::black_box(&CONSTRUCTOR);
}

/// A spawned worker's life: serve the parent, then finalize. Returns the exit status.
fn serve_parent() -> i32 {
    let Some((universe, _)) = mpi::initialize_with_threading(Threading::Multiple) else {
        eprintln!("cfut-mpi: a spawned worker could not initialize MPI");
        return EXIT_NO_PARENT;
    };
    let Some(parent) = universe.world().parent() else {
        eprintln!(
            "cfut-mpi: {MARKER} was given but this process was not spawned by an MPI pool; \
             it must only be passed by Builder::spawn"
        );
        return EXIT_NO_PARENT;
    };
    // SAFETY: `parent` is the live intercommunicator to the spawning process; `Comm` takes it
    // over and disconnects it, after which MPI reports no parent (so finalizing does not
    // touch it again).
    let comm = unsafe { Comm::adopt_inter(parent.as_raw()) };
    std::mem::forget(parent);
    crate::serve::serve(&comm, 0);
    drop(comm);
    drop(universe);
    0
}
