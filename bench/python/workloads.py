"""The Python side of `compare -- workloads` (standard library only).

System `python`: concurrent.futures, the same shapes and worker counts as the Rust side
(bench/src/bin/compare/workloads/), each the median of --runs runs, in seconds:
  io_fast_prefix            ThreadPoolExecutor(--fast-prefix-threads).map: 1 000 instant calls,
                            then 400 calls that sleep 5 ms
  io_heavy_tail             ThreadPoolExecutor(--fast-prefix-threads).map over the sleep
                            lengths given by --sleeps-us (the Rust side's, the same for every
                            system)
  cpu_hash_files            ThreadPoolExecutor(--hash-workers).map: SHA-256 (hashlib, which
                            releases the GIL) of every regular file under --hash-root, each
                            streamed through hashlib.file_digest (256 KiB reads), as the Rust
                            side streams it
  cpu_hash_files_processes  the same on ProcessPoolExecutor(--hash-workers), chunksize 1
Prints `check cpu_hash_files HEX`: the SHA-256 of every digest, in the sorted order of the
paths' bytes, which the Rust side compares with its own. recursive_fib has no Python row: a
call that waits on another call of the same bounded ThreadPoolExecutor deadlocks once every
worker waits.
"""

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from harness import Meter, Samples, arguments

FAST_CALLS = 1_000
SLOW_CALLS = 400
SLOW_SECONDS = 0.005


def fast_prefix_call(i):
    if i >= FAST_CALLS:
        time.sleep(SLOW_SECONDS)
    return i


def sleep_for(us):
    time.sleep(us / 1e6)
    return us


def hash_file(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").digest()


def files_under(root):
    paths = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                paths.append(path)
    paths.sort(key=os.fsencode)
    return paths


def seconds(calls, run, expected):
    time.sleep(0.05)  # let the previous run's threads go idle, as on the Rust side
    meter = Meter()
    out = run()
    wall, cpu = meter.stop(calls)
    assert out == expected, "results in input order"
    return wall, cpu


def main():
    args = arguments(
        fast_prefix_threads=dict(type=int, default=16),
        sleeps_us=dict(required=True),
        hash_root=dict(),
        hash_workers=dict(type=int, default=2),
    )
    sleeps = [int(us) for us in args.sleeps_us.split(",")]
    out = Samples()

    n = FAST_CALLS + SLOW_CALLS
    with ThreadPoolExecutor(max_workers=args.fast_prefix_threads) as pool:
        # Every thread started before the clock: one 10 ms sleep per thread.
        list(pool.map(sleep_for, [10_000] * args.fast_prefix_threads))
        for _ in range(args.runs):
            run = lambda: list(pool.map(fast_prefix_call, range(n)))
            out.add("io_fast_prefix", "python", seconds(n, run, list(range(n))))
            run = lambda: list(pool.map(sleep_for, sleeps))
            out.add("io_heavy_tail", "python", seconds(len(sleeps), run, sleeps))

    if args.hash_root:
        paths = files_under(args.hash_root)
        digests = [hash_file(p) for p in paths]  # also warms the page cache
        print("check cpu_hash_files", hashlib.sha256(b"".join(digests)).hexdigest())
        with ThreadPoolExecutor(max_workers=args.hash_workers) as threads, ProcessPoolExecutor(
            max_workers=args.hash_workers
        ) as processes:
            list(threads.map(hash_file, paths[:4]))
            list(processes.map(hash_file, paths[:4]))
            for _ in range(args.runs):
                run = lambda: list(threads.map(hash_file, paths))
                out.add("cpu_hash_files", "python", seconds(len(paths), run, digests))
                run = lambda: list(processes.map(hash_file, paths))
                out.add("cpu_hash_files_processes", "python", seconds(len(paths), run, digests))
    out.print()


if __name__ == "__main__":
    main()
