#!/usr/bin/env bash
# The README's test command, with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")"/..
export PROPTEST_CASES=${PROPTEST_CASES:-64}
# The README's command: the default members, every crate but cfut-mpi (ci/mpi.sh tests it).
RUSTFLAGS="-D warnings" cargo test --all-features
