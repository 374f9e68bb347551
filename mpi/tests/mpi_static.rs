//! Static mode under `mpirun` (1 root + 2 workers): calls, panics, map, big payloads, mixing
//! with thread and process futures, the initializer, a rank of another build, shutdown and
//! the `with`-block drop. Each run is checked for leftover processes.

mod support;

use support::{assert_ok, example, mpirun};

fn scenario(name: &str) {
    let program = example("mpi_scenarios");
    let run = mpirun(&["-n", "3", program.to_str().unwrap(), name]);
    assert_ok(&run, name);
}

#[test]
fn calls_panics_maps_payloads_and_mixed_futures() {
    scenario("basic");
}

#[test]
fn an_initializer_failing_on_one_rank_breaks_the_pool() {
    scenario("initializer");
}

#[test]
fn shutdown_cancels_what_waits_and_waits_for_what_runs() {
    scenario("shutdown");
}

#[test]
fn calls_nobody_waits_for_are_answered_while_the_root_blocks_elsewhere() {
    scenario("unwatched");
}

#[test]
fn leaving_run_waits_for_the_calls_like_a_with_block() {
    scenario("drop_waits");
}

#[test]
fn a_pool_over_an_existing_communicator_with_another_root() {
    scenario("on");
}

#[test]
fn a_rank_of_another_build_is_refused_before_any_call() {
    // Rank 0 runs one program, ranks 1 and 2 another one that also serves a pool.
    let root = example("mpi_scenarios");
    let other = example("seed_mpi");
    let run = mpirun(&[
        "-n",
        "1",
        root.to_str().unwrap(),
        "refused",
        ":",
        "-n",
        "2",
        other.to_str().unwrap(),
    ]);
    assert_ok(&run, "refused");
}

#[test]
fn the_seed_notebook_prints_its_results_and_ranks() {
    let program = example("seed_mpi");
    let run = mpirun(&["-n", "4", program.to_str().unwrap()]);
    assert!(run.ended() && run.status == Some(0), "{run:?}");
    assert!(run.stdout.contains("[50, 40, 30, 20, 10]"), "{run:?}");
    for n in 1..=5 {
        assert!(
            run.stdout.contains(&format!("starting {n} (rank ")),
            "{run:?}"
        );
        assert!(run.stdout.contains(&format!("end {n} (rank ")), "{run:?}");
    }
    assert!(run.stdout.contains("ran on ranks ["), "{run:?}");
}
