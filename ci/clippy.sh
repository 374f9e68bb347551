#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"/..
RUSTFLAGS="-D warnings" cargo clippy --workspace --all-targets --all-features -- -D warnings
