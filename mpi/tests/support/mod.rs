//! Launching the crate's examples under `mpirun`, as the tests do: under `timeout -k`, in
//! a process group of their own, then checking that no process of the run is left.
//!
//! The examples must be built first: `cargo test -p cfut-mpi` builds them;
//! `cargo build -p cfut-mpi --examples` does when running one test file alone. The
//! transport can be forced through `CFUT_MPI_TEST_BTL` (e.g. `self,tcp`).

#![allow(dead_code, reason = "each test file uses a part of the support module")]

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Seconds after which a run counts as hung (`timeout` then kills it, and `-k` its group).
const HANG: &str = "120";

/// A finished `mpirun`.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// `true` if the run ended by itself (not killed by `timeout`).
    pub(crate) fn ended(&self) -> bool {
        !matches!(self.status, Some(124 | 137) | None)
    }
}

/// The path of example `name` in the target directory these tests were built into.
pub(crate) fn example(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = profile.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p cfut-mpi --examples` first (cargo test -p cfut-mpi \
         builds it)",
        path.display()
    );
    path
}

/// Runs `mpirun` with `args` (the `-n` counts and programs), and checks for leftovers. A
/// launch that failed only through Open MPI's exit race
/// ([`cfut_mpi::is_open_mpi_exit_race`]) is launched once more.
pub(crate) fn mpirun(args: &[&str]) -> Run {
    let run = mpirun_once(args);
    if run.status != Some(0) && cfut_mpi::is_open_mpi_exit_race(&run.stderr) {
        eprintln!("Open MPI's exit race (open-mpi/ompi#7833) ended {args:?}; launching again");
        return mpirun_once(args);
    }
    run
}

fn mpirun_once(args: &[&str]) -> Run {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let marker = format!(
        "{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    );
    // Each launch gets its own temporary directory, where Open MPI puts its session
    // directory: launches share `/tmp/ompi.<host>.<uid>` otherwise, and one that creates it
    // while another removes it fails in `orte_init` ("A call to mkdir was unable to create
    // the desired directory … File exists"; seen once in `.ci/run`, in `mpi_static`).
    let tmpdir = std::env::temp_dir().join(format!("cfut-mpi-test-{marker}"));
    std::fs::create_dir_all(&tmpdir).expect("a temporary directory for the launch");
    let mut command = Command::new("timeout");
    command.args(["-k", "5", HANG, "mpirun", "-x", "CFUT_MPI_TEST_RUN"]);
    if let Ok(btl) = std::env::var("CFUT_MPI_TEST_BTL") {
        command.args(["--mca", "btl", &btl]);
    }
    command
        .args(args)
        .env("CFUT_MPI_TEST_RUN", &marker)
        .env("TMPDIR", &tmpdir)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .env("RUST_BACKTRACE", "0")
        .process_group(0);
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("timeout and mpirun are installed");
    let run = Run {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    // Best effort: a rank killed by `timeout` may leave files behind in it.
    let _ = std::fs::remove_dir_all(&tmpdir);
    let left = leftovers(&marker);
    assert!(
        left.is_empty(),
        "processes left after the run: {left:?}\n{run:?}"
    );
    run
}

/// The processes whose environment carries this run's marker.
fn leftovers(marker: &str) -> Vec<u32> {
    let needle = format!("CFUT_MPI_TEST_RUN={marker}\0");
    let mut left = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
        {
            // A zombie has an empty environment, so whatever is found here still runs.
            left.push(pid);
        }
    }
    left
}

/// Asserts that the run ended by itself with status 0 and printed `scenario <name> ok`.
pub(crate) fn assert_ok(run: &Run, name: &str) {
    assert!(run.ended(), "the run hung: {run:?}");
    assert_eq!(run.status, Some(0), "{run:?}");
    assert!(
        run.stdout.contains(&format!("scenario {name} ok")),
        "{run:?}"
    );
}
