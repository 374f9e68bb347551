#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"/..
# Each layer after the crates its docs link to: rustdoc makes a link to another crate's item
# relative only if that crate's pages are already written (else it points at docs.rs, see
# `html_root_url` in each lib.rs), and cargo does not order `--no-deps` doc runs by
# dependency. Built in layers, every link is local and `doclinks.py` can check it.
doc() { RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features "$@"; }
doc -p cfut-core
doc -p cfut-threads -p cfut-processes -p cfut-combinators
doc --workspace --exclude cfut-mpi
# Links rustdoc resolved to pages that were never written, or left as literal text.
python3 ci/doclinks.py target/doc
