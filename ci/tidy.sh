#!/usr/bin/env bash
# Formatting, and the loom-facade rule: no std::sync / std::thread outside the facades.
set -euo pipefail
cd "$(dirname "$0")"/..

cargo fmt --all --check

# Library code synchronizes only through `crate::loom` (STYLE.md §6.6). Tests, examples,
# benchmarks and the facades themselves are exempt: files under a `tests` folder or named
# `tests.rs`, and a file's own test module (a `#[cfg(..test..)]` line followed by a `mod`
# line; by convention the last item of a file, so the rest of the file is exempt).
offenders=$(find core/src threads/src processes/src combinators/src mpi/src -name '*.rs' \
    | grep -vE '/loom(/|\.rs)|/tests?(/|\.rs)' | sort | while read -r file; do
        awk -v file="$file" '
            previous ~ /^#\[cfg.*[^A-Za-z_]test[^A-Za-z_]/ && /^(pub(\(crate\))? )?mod / { exempt = 1 }
            !exempt && /std::(sync|thread)([^A-Za-z0-9_]|$)/ && !/^[[:space:]]*\/\// {
                print file ":" FNR ": " $0
            }
            { previous = $0 }' "$file"
    done)
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
