#!/usr/bin/env bash
# The README's test command, with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")"/..
export PROPTEST_CASES=${PROPTEST_CASES:-64}
RUSTFLAGS="-D warnings" cargo test --workspace --exclude cfut-mpi --all-features
