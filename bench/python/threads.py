"""The Python side of `compare -- threads` (standard library only).

Systems: `python` (concurrent.futures.ThreadPoolExecutor) and `python-pool`
(multiprocessing.pool.ThreadPool, often the faster of the two), --workers threads each.
Metrics, each the median of --runs runs (see bench/python/harness.py for the output):
  submit_result     us per call: submit --calls no-op calls, then take every result
  round_trip_p50    us: submit one no-op call, wait for its result, repeat; the median
  startup_shutdown  ms: build a pool, run two calls that wait for each other (so both threads
                    exist), shut it down with its threads joined; each run the median of
                    CYCLES such cycles, as on the Rust side
  idle_cpu_pct      % of a core: after a burst of 10 000 calls, the CPU of the next second
For the first two metrics the pool is built and warmed up once, outside the timed region, as
the Rust side does.
"""

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.pool import ThreadPool

from calls import burst, executor_submit, pool_submit, round_trip_p50, submit_result
from harness import Samples, arguments, idle_after

ROUND_TRIPS = 2_000
IDLE_BURST = 10_000
CYCLES = 25  # startup_shutdown cycles per run; keep equal to CYCLES in compare/threads.rs


def median_of_cycles(cycle, workers):
    return statistics.median(cycle(workers) for _ in range(CYCLES)), None


def executor_cycle(workers):
    start = time.perf_counter()
    barrier = threading.Barrier(2)
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(barrier.wait) for _ in range(2)]
    for f in futures:
        f.result()
    pool.shutdown(wait=True)
    return (time.perf_counter() - start) * 1e3


def pool_cycle(workers):
    start = time.perf_counter()
    barrier = threading.Barrier(2)
    pool = ThreadPool(workers)
    results = [pool.apply_async(barrier.wait) for _ in range(2)]
    for r in results:
        r.get()
    pool.close()
    pool.join()
    return (time.perf_counter() - start) * 1e3


def main():
    args = arguments(calls=dict(type=int, default=100_000))
    out = Samples()

    executor = ThreadPoolExecutor(max_workers=args.workers)
    pool = ThreadPool(args.workers)
    systems = [("python", executor_submit(executor)), ("python-pool", pool_submit(pool))]
    # Warm up: start the threads.
    for _, submit in systems:
        burst(submit, IDLE_BURST)
    for _ in range(args.runs):
        for system, submit in systems:
            out.add("submit_result", system, submit_result(submit, args.calls))
    for _ in range(args.runs):
        for system, submit in systems:
            out.add("round_trip_p50", system, round_trip_p50(submit, ROUND_TRIPS))
    executor.shutdown()
    pool.close()
    pool.join()
    for _ in range(args.runs):
        out.add("startup_shutdown", "python", median_of_cycles(executor_cycle, args.workers))
        out.add("startup_shutdown", "python-pool", median_of_cycles(pool_cycle, args.workers))
    for _ in range(args.runs):
        with ThreadPoolExecutor(max_workers=args.workers) as idle:
            out.add("idle_cpu_pct", "python", idle_after(lambda: burst(executor_submit(idle), IDLE_BURST)))
        idle = ThreadPool(args.workers)
        out.add("idle_cpu_pct", "python-pool", idle_after(lambda: burst(pool_submit(idle), IDLE_BURST)))
        idle.close()
        idle.join()
    out.print()


if __name__ == "__main__":
    main()
