#!/usr/bin/env bash
# The loom models: every protocol with a race, model-checked (STYLE.md §6.6).
# A separate target directory keeps the --cfg cfut_loom build from invalidating the normal one.
set -euo pipefail
cd "$(dirname "$0")"/..
# Debug assertions on: the models run in release for speed, and every `debug_assert!` inside
# them (the direct lane's, the task's) must still be checked.
export RUSTFLAGS="--cfg cfut_loom -D warnings -C debug-assertions=on"
export LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-2}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}/loom
# Models of each crate's internals (unit tests under cfg(all(test, cfut_loom))), then the
# cross-crate models in cfut-testing (tests/loom_*.rs).
cargo test --release -p cfut-core -p cfut-threads -p cfut-processes -p cfut-combinators --lib
shopt -s nullglob
loom_tests=()
for file in testing/tests/loom_*.rs; do
    loom_tests+=(--test "$(basename "$file" .rs)")
done
if ((${#loom_tests[@]})); then
    cargo test --release -p cfut-testing "${loom_tests[@]}"
fi
