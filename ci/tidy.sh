#!/usr/bin/env bash
# Formatting, and the loom-facade rule: no std::sync / std::thread outside the facades.
set -euo pipefail
cd "$(dirname "$0")"/..

cargo fmt --all --check

# Library code synchronizes only through `crate::loom` (STYLE.md §6.6). Tests, examples,
# benchmarks and the facades themselves are exempt.
offenders=$(grep -rnE 'std::(sync|thread)\b' --include='*.rs' \
    core/src threads/src processes/src combinators/src \
    | grep -vE '/loom(/|\.rs)|/tests?(/|\.rs)|^[^:]+:[0-9]+:\s*//' || true)
if [[ -n $offenders ]]; then
    echo "std::sync or std::thread used outside a loom facade:"
    echo "$offenders"
    exit 1
fi

# No declared dependency goes unused (cargo-machete reads manifests and sources; it runs on
# stable and builds nothing of ours). Installed once per machine, pinned.
if ! command -v cargo-machete >/dev/null 2>&1; then
    cargo install cargo-machete --locked --version 0.9.2
fi
cargo machete
