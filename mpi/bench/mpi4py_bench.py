"""The mpi4py side of `compare -- mpi`: mpi4py.futures in static mode.

Run (Debian's python3-mpi4py is seen by /usr/bin/python3 only):

    mpirun -n 3 /usr/bin/python3 -m mpi4py.futures mpi/bench/mpi4py_bench.py [--runs N]

Rank 0 runs this script with an MPIPoolExecutor over the 2 other ranks (1 root + 2
workers). Prints one line per metric, `metric value`, each the median of --runs runs:
  mpi_round_trip_p50  us: one no-op call, wait for it, repeat (median over the calls)
  mpi_submit_result   us per call: 20 000 no-op calls submitted, then every result taken
  mpi_map_chunked     calls/s: executor.map of a no-op over 200 000 inputs, chunksize 1 000
  mpi_bytes_1mib      ms: 1 MiB (bytes) sent to a worker and echoed back (median)
With --startup, runs one call and exits (the caller times launch to exit:
mpi_startup_shutdown).
"""

import argparse
import statistics
import time

from mpi4py.futures import MPIPoolExecutor

SUBMIT_CALLS = 20_000
ROUND_TRIPS = 2_000
MAP_INPUTS = 200_000
MAP_CHUNK = 1_000
ECHOES = 50


def noop(x):
    return x


def round_trip_p50(pool):
    samples = []
    for i in range(ROUND_TRIPS):
        start = time.perf_counter()
        assert pool.submit(noop, i).result() == i
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def submit_result(pool):
    start = time.perf_counter()
    futures = [pool.submit(noop, i) for i in range(SUBMIT_CALLS)]
    total = sum(f.result() for f in futures)
    elapsed = time.perf_counter() - start
    assert total == SUBMIT_CALLS * (SUBMIT_CALLS - 1) // 2
    return elapsed * 1e6 / SUBMIT_CALLS


def map_chunked(pool):
    start = time.perf_counter()
    n = sum(1 for _ in pool.map(noop, range(MAP_INPUTS), chunksize=MAP_CHUNK))
    elapsed = time.perf_counter() - start
    assert n == MAP_INPUTS
    return MAP_INPUTS / elapsed


def bytes_1mib(pool):
    payload = bytes(1 << 20)
    samples = []
    for _ in range(ECHOES):
        start = time.perf_counter()
        assert len(pool.submit(noop, payload).result()) == len(payload)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--startup", action="store_true")
    args = parser.parse_args()
    with MPIPoolExecutor() as pool:
        if args.startup:
            assert pool.submit(noop, 1).result() == 1
            return
        # Warm up, as the Rust side does: every worker has answered, then round trips.
        assert list(pool.map(noop, range(100))) == list(range(100))
        for i in range(ROUND_TRIPS):
            assert pool.submit(noop, i).result() == i
        metrics = {
            "mpi_round_trip_p50": round_trip_p50,
            "mpi_submit_result": submit_result,
            "mpi_map_chunked": map_chunked,
            "mpi_bytes_1mib": bytes_1mib,
        }
        for name, measure in metrics.items():
            values = [measure(pool) for _ in range(args.runs)]
            print(f"{name} {statistics.median(values):.6g}", flush=True)


if __name__ == "__main__":
    main()
