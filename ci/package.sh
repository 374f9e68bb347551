#!/usr/bin/env bash
# Every publishable crate packages and builds from its packaged sources alone (what
# crates.io would receive): no path-only dependency, no file missing from an `include`.
set -euo pipefail
cd "$(dirname "$0")"/..
# Unpublished: the test kit and the benchmark. cfut-mpi is packaged by ci/mpi.sh, where
# MPI and libclang are installed.
excluded=()
for package in cfut-testing cfut-bench cfut-mpi; do
    if cargo metadata --no-deps --format-version 1 | grep -q "\"name\":\"${package}\""; then
        excluded+=(--exclude "$package")
    fi
done
# `cargo package` unpacks our crates from its temporary registry into the cargo home and
# reuses what it finds there for the same path: a second run in the same folder would verify
# against the first run's sources. Our crates never come from anywhere else, so drop those.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/cfut-*
cargo package --workspace "${excluded[@]}" --allow-dirty
