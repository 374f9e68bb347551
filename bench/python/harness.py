"""Shared by the Python side of `compare`: CPU accounting, the command line and the output.

CPU is counted as on the Rust side (bench/src/bin/compare/cpu.rs): getrusage of this process
and of its reaped children, plus the on-CPU time of every live descendant (the threads of
/proc/PID/task/TID/schedstat), so worker processes are charged too.

Output lines, read by bench/src/bin/compare/python.rs:
  figure METRIC SYSTEM VALUE CPU   the median of the runs; CPU in µs per call, or "-"
  check NAME VALUE                 a value the Rust side compares with its own
"""

import argparse
import os
import resource
import statistics
import sys
import time


def _own_cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def descendants():
    """The pids of this process's live descendants, zombies included."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 1 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, frontier = [], [os.getpid()]
    while frontier:
        for child in children.get(frontier.pop(), []):
            found.append(child)
            frontier.append(child)
    return found


def _live_descendants_cpu():
    total_ns = 0
    for pid in descendants():
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total_ns += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total_ns / 1e9


class Meter:
    """A timed region: wall time and process-tree CPU (the /proc scans are not charged)."""

    def __init__(self):
        descendants_cpu = _live_descendants_cpu()
        self.cpu = _own_cpu() + descendants_cpu
        self.wall = time.perf_counter()

    def stop(self, calls):
        """Returns (wall seconds, CPU µs per call over `calls`)."""
        wall = time.perf_counter() - self.wall
        own = _own_cpu()
        cpu = own + _live_descendants_cpu() - self.cpu
        return wall, max(cpu, 0.0) * 1e6 / calls


def idle_after(burst):
    """idle_cpu_pct: after `burst()`, the CPU the process tree uses in the next second."""
    burst()
    meter = Meter()
    time.sleep(1.0)
    wall, cpu_us = meter.stop(1)
    return cpu_us / 1e6 / wall * 100.0, None


class Samples:
    """(value, cpu) samples per (metric, system), printed as medians."""

    def __init__(self):
        self.samples = {}

    def add(self, metric, system, sample):
        self.samples.setdefault((metric, system), []).append(sample)

    def print(self):
        for (metric, system), runs in self.samples.items():
            value = statistics.median(v for v, _ in runs)
            cpus = [c for _, c in runs]
            cpu = "-" if any(c is None for c in cpus) else repr(statistics.median(cpus))
            print("figure", metric, system, repr(value), cpu)
        sys.stdout.flush()


def note(text):
    """A note for whoever runs the benchmark (shown by `compare`)."""
    print(f"{os.path.basename(sys.argv[0])}: {text}", file=sys.stderr)


def arguments(**options):
    """The command line: --runs (default 5), --workers (default 2), and `options` (flag name
    without dashes, underscores for dashes -> argparse keyword arguments)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    for name, kwargs in options.items():
        parser.add_argument("--" + name.replace("_", "-"), **kwargs)
    return parser.parse_args()
