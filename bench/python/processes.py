"""The Python side of `compare -- processes` (standard library; numpy for two rows).

Systems, --workers worker processes each, in this Python's default start method:
`python` (concurrent.futures.ProcessPoolExecutor) and `python-pool` (multiprocessing.Pool).
Metrics, each the median of --runs runs (see bench/python/harness.py for the output):
  proc_submit_result     us per call: 20 000 no-op calls submitted, then every result taken
                         (python-pool: apply_async + get)
  proc_round_trip_p50    us: one call, wait for it, repeat; the median
  proc_map_chunked       calls/s: map of a no-op over 200 000 inputs, chunksize 1 000
  proc_as_completed_10k  ms: 10 000 no-op calls drained in completion order, every value taken
                         (python: as_completed; python-pool: imap_unordered, chunksize 1)
  proc_startup_shutdown  ms: build a pool, run two calls that wait for each other through a
                         FIFO (so both workers exist), shut it down with its workers joined
  proc_idle_cpu_pct      % of a core: after a burst of 2 000 calls, the CPU the process and its
                         workers use in the next second
  proc_echo_1mib, proc_echo_16mib
                         ms per round trip of a buffer through ProcessPoolExecutor (submit,
                         then result; each result is the next argument): `bytes`
                         (python-bytes) and a numpy float64 array (python-numpy). Without numpy
                         the numpy rows are skipped, with a note on standard error.
Except for proc_startup_shutdown and proc_idle_cpu_pct, the pools are built once and warmed
up (every worker started) outside the timed region, as on the Rust side.
"""

import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from calls import burst, executor_submit, noop, pool_submit, round_trip_p50, submit_result
from harness import Meter, Samples, arguments, idle_after, note

SUBMIT_CALLS = 20_000
ROUND_TRIPS = 300
MAP_INPUTS = 200_000
MAP_CHUNK = 1_000
AS_COMPLETED_CALLS = 10_000
IDLE_BURST = 2_000
# (metric, payload bytes, round trips per run), as on the Rust side (echo.rs).
ECHO_SIZES = [("proc_echo_1mib", 1 << 20, 16), ("proc_echo_16mib", 16 << 20, 3)]


def meet(path, reader):
    """One side of two calls that wait for each other: opening a FIFO blocks until the other
    side opens it."""
    if reader:
        fd = os.open(path, os.O_RDONLY)
        data = os.read(fd, 1)
    else:
        fd = os.open(path, os.O_WRONLY)
        data = os.write(fd, b"\x01") and b"\x01"
    os.close(fd)
    return data == b"\x01"


def map_chunked(map_fn):
    meter = Meter()
    out = map_fn(noop, range(MAP_INPUTS), chunksize=MAP_CHUNK)
    n = 0
    for n, value in enumerate(out, start=1):
        assert value == n - 1
    wall, cpu = meter.stop(MAP_INPUTS)
    assert n == MAP_INPUTS
    return MAP_INPUTS / wall, cpu


def as_completed_executor(pool):
    meter = Meter()
    futures = [pool.submit(noop, i) for i in range(AS_COMPLETED_CALLS)]
    total = sum(f.result() for f in as_completed(futures))
    wall, cpu = meter.stop(AS_COMPLETED_CALLS)
    assert total == AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) // 2
    return wall * 1e3, cpu


def as_completed_pool(pool):
    meter = Meter()
    total = sum(pool.imap_unordered(noop, range(AS_COMPLETED_CALLS), chunksize=1))
    wall, cpu = meter.stop(AS_COMPLETED_CALLS)
    assert total == AS_COMPLETED_CALLS * (AS_COMPLETED_CALLS - 1) // 2
    return wall * 1e3, cpu


def startup_shutdown_executor(workers, fifo):
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(meet, fifo, reader) for reader in (True, False)]
        assert all(f.result() for f in futures)
    return (time.perf_counter() - start) * 1e3, None


def startup_shutdown_pool(workers, fifo):
    start = time.perf_counter()
    pool = multiprocessing.Pool(workers)
    results = [pool.apply_async(meet, (fifo, reader)) for reader in (True, False)]
    assert all(r.get() for r in results)
    pool.close()
    pool.join()
    return (time.perf_counter() - start) * 1e3, None


def echo_payloads(size, numpy):
    """(system, payload, equality check) for each payload type available."""
    payloads = [("python-bytes", bytes(i % 251 for i in range(size)), lambda a, b: a == b)]
    if numpy is not None:
        array = numpy.arange(size // 8, dtype=numpy.float64) * 0.5
        payloads.append(("python-numpy", array, lambda a, b: bool((a == b).all())))
    return payloads


def echo_trips(pool, payload, same, trips):
    value = payload
    meter = Meter()
    for _ in range(trips):
        value = pool.submit(noop, value).result()
    wall, cpu = meter.stop(trips)
    assert same(value, payload)
    return wall * 1e3 / trips, cpu


def main():
    args = arguments()
    out = Samples()
    with ProcessPoolExecutor(max_workers=args.workers) as executor, multiprocessing.Pool(
        args.workers
    ) as pool:
        # Warm up: start every worker process.
        list(executor.map(noop, range(args.workers * 4)))
        pool.map(noop, range(args.workers * 4))
        systems = [("python", executor_submit(executor)), ("python-pool", pool_submit(pool))]
        for _ in range(args.runs):
            for system, submit in systems:
                out.add("proc_submit_result", system, submit_result(submit, SUBMIT_CALLS))
            for system, submit in systems:
                out.add("proc_round_trip_p50", system, round_trip_p50(submit, ROUND_TRIPS))
            out.add("proc_map_chunked", "python", map_chunked(executor.map))
            out.add("proc_map_chunked", "python-pool", map_chunked(pool.map))
            out.add("proc_as_completed_10k", "python", as_completed_executor(executor))
            out.add("proc_as_completed_10k", "python-pool", as_completed_pool(pool))
    with tempfile.TemporaryDirectory() as directory:
        fifo = os.path.join(directory, "meet.fifo")
        os.mkfifo(fifo)
        for _ in range(args.runs):
            out.add("proc_startup_shutdown", "python", startup_shutdown_executor(args.workers, fifo))
            out.add("proc_startup_shutdown", "python-pool", startup_shutdown_pool(args.workers, fifo))
    for _ in range(args.runs):
        with ProcessPoolExecutor(max_workers=args.workers) as idle:
            out.add("proc_idle_cpu_pct", "python", idle_after(lambda: burst(executor_submit(idle), IDLE_BURST)))
        with multiprocessing.Pool(args.workers) as idle:
            out.add("proc_idle_cpu_pct", "python-pool", idle_after(lambda: burst(pool_submit(idle), IDLE_BURST)))
    # Last, so that the processes forked above are not bigger by numpy. Imported before its
    # pool starts, so that forked workers have it already; the untimed warm-up below covers
    # the other start methods.
    try:
        import numpy
    except ImportError:
        numpy = None
        note("numpy is not installed (python3 -m pip install numpy): no python-numpy rows")
    with ProcessPoolExecutor(max_workers=args.workers) as executor:
        for metric, size, trips in ECHO_SIZES:
            payloads = echo_payloads(size, numpy)
            for _, payload, _ in payloads:
                # Warm-up, untimed: every worker has seen this type (as on the Rust side).
                list(executor.map(noop, [payload] * args.workers * 2))
            for _ in range(args.runs):
                for system, payload, same in payloads:
                    out.add(metric, system, echo_trips(executor, payload, same, trips))
    out.print()


if __name__ == "__main__":
    main()
