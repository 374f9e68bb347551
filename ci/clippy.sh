#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"/..
RUSTFLAGS="-D warnings" cargo clippy --workspace --exclude cfut-mpi --all-targets --all-features -- -D warnings
