"""The Python side of `compare -- combinators` (standard library only).

Prints one line per metric, `metric value`, each the median of --runs runs:
  as_completed_10k  ms to submit 10 000 no-op calls and drain them with as_completed
  map_100k          tasks/s of executor.map over 100 000 inputs with a no-op
The pool has --workers threads, built once and warmed up, outside the timed region, as the
Rust side does.
"""

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

AS_COMPLETED_CALLS = 10_000
MAP_INPUTS = 100_000


def noop(x):
    return x


def as_completed_10k(pool):
    start = time.perf_counter()
    futures = [pool.submit(noop, i) for i in range(AS_COMPLETED_CALLS)]
    drained = sum(1 for _ in as_completed(futures))
    elapsed = time.perf_counter() - start
    assert drained == AS_COMPLETED_CALLS
    return elapsed * 1e3


def map_100k(pool):
    start = time.perf_counter()
    n = 0
    for n, value in enumerate(pool.map(noop, range(MAP_INPUTS)), start=1):
        assert value == n - 1
    elapsed = time.perf_counter() - start
    assert n == MAP_INPUTS
    return MAP_INPUTS / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        # Warm up: start every worker thread.
        list(pool.map(noop, range(args.workers * 4)))
        samples = {"as_completed_10k": [], "map_100k": []}
        for _ in range(args.runs):
            samples["as_completed_10k"].append(as_completed_10k(pool))
            samples["map_100k"].append(map_100k(pool))
    for metric, values in samples.items():
        print(metric, statistics.median(values))


if __name__ == "__main__":
    main()
