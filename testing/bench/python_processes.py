"""The Python side of `compare -- processes` (standard library only).

Prints one line per metric, `metric value`, each the median of --runs runs, with a
ProcessPoolExecutor of --workers processes in the default start method of this Python:
  proc_submit_result     us per task: 20 000 no-op calls submitted, then every result taken
  proc_round_trip_p50    us: one call, wait for it, repeat (median over the calls)
  proc_map_chunked       tasks/s: executor.map of a no-op over 200 000 inputs, chunksize 1 000
  proc_startup_shutdown  ms: build a pool, run one call, shut it down
  proc_as_completed_10k  ms: 10 000 no-op calls submitted and drained with as_completed
Except for proc_startup_shutdown, the pool is built once and warmed up (every worker started)
outside the timed region, as on the Rust side.
"""

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

SUBMIT_CALLS = 20_000
ROUND_TRIPS = 300
MAP_INPUTS = 200_000
MAP_CHUNK = 1_000
AS_COMPLETED_CALLS = 10_000


def noop(x):
    return x


def submit_result(pool):
    start = time.perf_counter()
    futures = [pool.submit(noop, i) for i in range(SUBMIT_CALLS)]
    total = sum(f.result() for f in futures)
    elapsed = time.perf_counter() - start
    assert total == SUBMIT_CALLS * (SUBMIT_CALLS - 1) // 2
    return elapsed * 1e6 / SUBMIT_CALLS


def round_trip_p50(pool):
    samples = []
    for i in range(ROUND_TRIPS):
        start = time.perf_counter()
        assert pool.submit(noop, i).result() == i
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def map_chunked(pool):
    start = time.perf_counter()
    n = 0
    for n, value in enumerate(pool.map(noop, range(MAP_INPUTS), chunksize=MAP_CHUNK), start=1):
        assert value == n - 1
    elapsed = time.perf_counter() - start
    assert n == MAP_INPUTS
    return MAP_INPUTS / elapsed


def startup_shutdown(workers):
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        assert pool.submit(noop, 1).result() == 1
    return (time.perf_counter() - start) * 1e3


def as_completed_10k(pool):
    start = time.perf_counter()
    futures = [pool.submit(noop, i) for i in range(AS_COMPLETED_CALLS)]
    drained = sum(1 for f in as_completed(futures) if f.result() is not None)
    elapsed = time.perf_counter() - start
    assert drained == AS_COMPLETED_CALLS
    return elapsed * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    samples = {
        "proc_submit_result": [],
        "proc_round_trip_p50": [],
        "proc_map_chunked": [],
        "proc_startup_shutdown": [],
        "proc_as_completed_10k": [],
    }
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        # Warm up: start every worker process.
        list(pool.map(noop, range(args.workers * 4)))
        for _ in range(args.runs):
            samples["proc_submit_result"].append(submit_result(pool))
            samples["proc_round_trip_p50"].append(round_trip_p50(pool))
            samples["proc_map_chunked"].append(map_chunked(pool))
            samples["proc_as_completed_10k"].append(as_completed_10k(pool))
    for _ in range(args.runs):
        samples["proc_startup_shutdown"].append(startup_shutdown(args.workers))
    for metric, values in samples.items():
        print(metric, statistics.median(values))


if __name__ == "__main__":
    main()
