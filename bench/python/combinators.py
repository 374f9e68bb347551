"""The Python side of `compare -- combinators` (standard library only).

Systems: `python` (concurrent.futures.ThreadPoolExecutor) and `python-pool`
(multiprocessing.pool.ThreadPool), --workers threads each, built once and warmed up outside
the timed region, as on the Rust side. Metrics, each the median of --runs runs:
  as_completed_10k  ms: submit 10 000 no-op calls, drain them in completion order taking every
                    value (python: as_completed; python-pool: imap_unordered, chunksize 1)
  map_100k          calls/s: map a no-op over 100 000 inputs, one call per element
                    (python: executor.map; python-pool: ThreadPool.map, chunksize 1)
  map_100k_grouped  calls/s: the same with the library's default grouping
                    (python-pool: ThreadPool.map with its default chunksize; ThreadPoolExecutor
                    does not group, so `python` has no row)
"""

from concurrent.futures import ThreadPoolExecutor, as_completed
from multiprocessing.pool import ThreadPool

from calls import noop
from harness import Meter, Samples, arguments

AS_COMPLETED_CALLS = 10_000
MAP_INPUTS = 100_000
EXPECTED_SUM = AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) // 2


def as_completed_executor(pool):
    meter = Meter()
    futures = [pool.submit(noop, i) for i in range(AS_COMPLETED_CALLS)]
    total = sum(f.result() for f in as_completed(futures))
    wall, cpu = meter.stop(AS_COMPLETED_CALLS)
    assert total == EXPECTED_SUM
    return wall * 1e3, cpu


def as_completed_pool(pool):
    meter = Meter()
    total = sum(pool.imap_unordered(noop, range(AS_COMPLETED_CALLS), chunksize=1))
    wall, cpu = meter.stop(AS_COMPLETED_CALLS)
    assert total == EXPECTED_SUM
    return wall * 1e3, cpu


def map_rate(run):
    meter = Meter()
    out = run()
    wall, cpu = meter.stop(MAP_INPUTS)
    n = 0
    for n, value in enumerate(out, start=1):
        assert value == n - 1
    assert n == MAP_INPUTS
    return MAP_INPUTS / wall, cpu


def main():
    args = arguments()
    out = Samples()
    with ThreadPoolExecutor(max_workers=args.workers) as executor, ThreadPool(args.workers) as pool:
        # Warm up: start every worker thread.
        list(executor.map(noop, range(args.workers * 4)))
        pool.map(noop, range(args.workers * 4))
        for _ in range(args.runs):
            out.add("as_completed_10k", "python", as_completed_executor(executor))
            out.add("as_completed_10k", "python-pool", as_completed_pool(pool))
            inputs = range(MAP_INPUTS)
            out.add("map_100k", "python", map_rate(lambda: list(executor.map(noop, inputs))))
            out.add("map_100k", "python-pool", map_rate(lambda: pool.map(noop, inputs, chunksize=1)))
            out.add("map_100k_grouped", "python-pool", map_rate(lambda: pool.map(noop, inputs)))
    out.print()


if __name__ == "__main__":
    main()
