"""The Python side of `compare -- threads` (standard library only).

Systems: `python` (concurrent.futures.ThreadPoolExecutor) and `python-pool`
(multiprocessing.pool.ThreadPool, often the faster of the two), --workers threads each.
Metrics, each the median of --runs runs (see bench/python/cpu.py for the output):
  submit_result     us per call: submit --calls no-op calls, then take every result
  round_trip_p50    us: submit one no-op call, wait for its result, repeat; the median
  startup_shutdown  ms: build a pool, run two calls that wait for each other (so both threads
                    exist), shut it down with its threads joined
  idle_cpu_pct      % of a core: after a burst of 10 000 calls, the CPU of the next second
For the first two metrics the pool is built and warmed up once, outside the timed region, as
the Rust side does.
"""

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool

from cpu import Meter, Samples, idle_after

ROUND_TRIPS = 2_000
IDLE_BURST = 10_000


def noop(x):
    return x


def submit_result(submit, calls):
    meter = Meter()
    handles = [submit(i) for i in range(calls)]
    total = sum(h() for h in handles)
    wall, cpu = meter.stop(calls)
    assert total == calls * (calls - 1) // 2
    return wall / calls * 1e6, cpu


def round_trip_p50(submit):
    samples = []
    meter = Meter()
    for i in range(ROUND_TRIPS):
        start = time.perf_counter()
        assert submit(i)() == i
        samples.append(time.perf_counter() - start)
    _, cpu = meter.stop(ROUND_TRIPS)
    return statistics.median(samples) * 1e6, cpu


def executor_submit(pool):
    return lambda i: pool.submit(noop, i).result


def pool_submit(pool):
    return lambda i: pool.apply_async(noop, (i,)).get


def startup_shutdown_executor(workers):
    start = time.perf_counter()
    barrier = threading.Barrier(2)
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(barrier.wait) for _ in range(2)]
    for f in futures:
        f.result()
    pool.shutdown(wait=True)
    return (time.perf_counter() - start) * 1e3, None


def startup_shutdown_pool(workers):
    start = time.perf_counter()
    barrier = threading.Barrier(2)
    pool = ThreadPool(workers)
    results = [pool.apply_async(barrier.wait) for _ in range(2)]
    for r in results:
        r.get()
    pool.close()
    pool.join()
    return (time.perf_counter() - start) * 1e3, None


def burst(submit):
    handles = [submit(i) for i in range(IDLE_BURST)]
    assert sum(h() for h in handles) == IDLE_BURST * (IDLE_BURST - 1) // 2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    out = Samples()

    executor = ThreadPoolExecutor(max_workers=args.workers)
    pool = ThreadPool(args.workers)
    systems = [("python", executor_submit(executor)), ("python-pool", pool_submit(pool))]
    # Warm up: start the threads.
    for _, submit in systems:
        burst(submit)
    for _ in range(args.runs):
        for system, submit in systems:
            out.add("submit_result", system, submit_result(submit, args.calls))
    for _ in range(args.runs):
        for system, submit in systems:
            out.add("round_trip_p50", system, round_trip_p50(submit))
    executor.shutdown()
    pool.close()
    pool.join()
    for _ in range(args.runs):
        out.add("startup_shutdown", "python", startup_shutdown_executor(args.workers))
        out.add("startup_shutdown", "python-pool", startup_shutdown_pool(args.workers))
    for _ in range(args.runs):
        with ThreadPoolExecutor(max_workers=args.workers) as idle:
            out.add("idle_cpu_pct", "python", idle_after(lambda: burst(executor_submit(idle))))
        idle = ThreadPool(args.workers)
        out.add("idle_cpu_pct", "python-pool", idle_after(lambda: burst(pool_submit(idle))))
        idle.close()
        idle.join()
    out.print()


if __name__ == "__main__":
    main()
