"""Shared by the Python side of `compare`: the no-op call and the ways of timing it, over any
pool given as `submit(i) -> handle`, where `handle()` waits for and returns the result."""

import statistics
import time

from harness import Meter


def noop(x):
    return x


def executor_submit(pool):
    """concurrent.futures: submit, then result()."""
    return lambda i: pool.submit(noop, i).result


def pool_submit(pool):
    """multiprocessing pools: apply_async, then get()."""
    return lambda i: pool.apply_async(noop, (i,)).get


def burst(submit, calls):
    """`calls` no-op calls submitted, then every result taken; checks their sum."""
    handles = [submit(i) for i in range(calls)]
    assert sum(h() for h in handles) == calls * (calls - 1) // 2


def submit_result(submit, calls):
    """(µs per call, CPU µs per call) of one burst."""
    meter = Meter()
    burst(submit, calls)
    wall, cpu = meter.stop(calls)
    return wall * 1e6 / calls, cpu


def round_trip_p50(submit, trips):
    """(median µs, CPU µs per call) of `trips` calls made one at a time."""
    samples = []
    meter = Meter()
    for i in range(trips):
        start = time.perf_counter()
        assert submit(i)() == i
        samples.append((time.perf_counter() - start) * 1e6)
    _, cpu = meter.stop(trips)
    return statistics.median(samples), cpu
