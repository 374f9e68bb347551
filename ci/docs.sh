#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"/..
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features
# Links rustdoc resolved to pages that were never written, or left as literal text.
python3 ci/doclinks.py target/doc
