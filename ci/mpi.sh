#!/usr/bin/env bash
# cfut-mpi: installs Open MPI and libclang (a fresh machine has neither), then builds the
# crate, runs its tests on the shared-memory transport and again with TCP forced (the
# closest stand-in for calls between nodes on one machine), and runs clippy and the docs
# for it. cfut-mpi is outside `default-members`, so the other stages never need MPI.
set -euo pipefail
cd "$(dirname "$0")"/..

packages=(libopenmpi-dev openmpi-bin libclang-dev clang pkg-config)
# Fast and idempotent: apt-get runs only when a package is missing.
missing=$(dpkg-query -W -f='${Status} ${Package}\n' "${packages[@]}" 2>&1 \
    | grep -v '^install ok installed ' || true)
if [[ -n $missing ]]; then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        "${packages[@]}"
fi

# Open MPI refuses to run as root without these; 3 ranks on 2 cores need oversubscription.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

RUSTFLAGS="-D warnings" cargo build -p cfut-mpi --all-targets
# The tests launch `mpirun` on the examples, which `cargo test` builds.
RUSTFLAGS="-D warnings" cargo test -p cfut-mpi
CFUT_MPI_TEST_BTL=self,tcp RUSTFLAGS="-D warnings" cargo test -p cfut-mpi --tests
RUSTFLAGS="-D warnings" cargo clippy -p cfut-mpi --all-targets --all-features -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc -p cfut-mpi --no-deps
# Packaging (ci/package.sh leaves cfut-mpi to this script): the crate builds from its
# packaged sources, with the workspace crates it depends on packaged beside it.
# Stale unpacked sources of an earlier run in the same folder: see ci/package.sh.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/cfut-*
cargo package -p cfut-core -p cfut-threads -p cfut-combinators -p cfut-processes -p cfut-mpi \
    --allow-dirty
# The loom model of the inbox's sleep protocol (loom.sh covers the crates without MPI).
RUSTFLAGS="--cfg cfut_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p cfut-mpi --lib inbox
