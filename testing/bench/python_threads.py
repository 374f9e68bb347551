"""The Python side of `compare -- threads` (standard library only).

Prints one line per metric, `metric value`, each the median of --runs runs:
  submit_result     us per call: submit --calls no-op calls, then take every result
  round_trip_p50    us: submit one no-op call, wait for its result, repeat; the median
  startup_shutdown  ms: build a pool, run one call, shut it down (threads joined)
Pools have --workers threads. For the first two metrics the pool is built and warmed up once,
outside the timed region, as the Rust side does.
"""

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

ROUND_TRIPS = 2_000


def noop(x):
    return x


def submit_result(pool, calls):
    start = time.perf_counter()
    futures = [pool.submit(noop, i) for i in range(calls)]
    total = sum(f.result() for f in futures)
    elapsed = time.perf_counter() - start
    assert total == calls * (calls - 1) // 2
    return elapsed / calls * 1e6


def round_trip_p50(pool):
    samples = []
    for i in range(ROUND_TRIPS):
        start = time.perf_counter()
        assert pool.submit(noop, i).result() == i
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def startup_shutdown(workers):
    start = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=workers)
    assert pool.submit(noop, 1).result() == 1
    pool.shutdown(wait=True)
    return (time.perf_counter() - start) * 1e3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        # Warm up: start the threads.
        list(pool.map(noop, range(1_000)))
        submit = [submit_result(pool, args.calls) for _ in range(args.runs)]
        trips = [round_trip_p50(pool) for _ in range(args.runs)]
    startups = [startup_shutdown(args.workers) for _ in range(args.runs)]

    print(f"submit_result {statistics.median(submit)}")
    print(f"round_trip_p50 {statistics.median(trips)}")
    print(f"startup_shutdown {statistics.median(startups)}")


if __name__ == "__main__":
    main()
