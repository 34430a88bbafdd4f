"""How long a process waited for a CPU while it was ready to run (Linux ``/proc/PID/schedstat``).

``/proc/PID/task/TID/schedstat`` holds three numbers per thread: ns on a CPU, ns runnable but
waiting for one (``run_delay``), and how many times it was put on a CPU. A latency benchmark on a
shared or virtual machine reports the wait beside its figures: time no code of ours can shorten
(another process on the CPU, or a virtual CPU the host has not woken yet).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SchedSample:
    """Totals over a process's threads at one moment."""

    run_ns: int = 0
    wait_ns: int = 0
    runs: int = 0


def sample(pid: int | str = "self") -> SchedSample | None:
    """The process's totals now; None where the OS does not expose them (not Linux, gone)."""
    run = wait = runs = 0
    paths = glob.glob(f"/proc/{pid}/task/*/schedstat")
    if not paths:
        return None
    for path in paths:
        try:
            with open(path, encoding="ascii") as f:
                a, b, c = f.read().split()[:3]
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
        run, wait, runs = run + int(a), wait + int(b), runs + int(c)
    return SchedSample(run, wait, runs)


def machine_busy_ns() -> int | None:
    """CPU time the whole machine has spent busy since boot, all CPUs (``/proc/stat``), in ns.

    Busy is user + nice + system + irq + softirq + steal (steal: the host ran something else
    while this machine's virtual CPU wanted to run). None where ``/proc/stat`` does not exist.
    """
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    ticks = user + nice + system + irq + softirq + steal
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def others_cpu_pct(
    busy_before: int | None,
    busy_after: int | None,
    ours: list[tuple[SchedSample | None, SchedSample | None]],
    seconds: float,
) -> float | None:
    """Percent of one CPU that everything but ``ours`` (before/after pairs) used meanwhile."""
    if busy_before is None or busy_after is None or seconds <= 0:
        return None
    used = sum(a.run_ns - b.run_ns for b, a in ours if a is not None and b is not None)
    return round(max(0.0, 100 * (busy_after - busy_before - used) / 1e9 / seconds), 1)


def summary(
    before: SchedSample | None, after: SchedSample | None, seconds: float
) -> dict[str, float] | None:
    """CPU use (%), wait for a CPU (ms per second) and mean wait per run (µs) between samples."""
    if before is None or after is None or seconds <= 0:
        return None
    runs = max(1, after.runs - before.runs)
    wait = after.wait_ns - before.wait_ns
    return {
        "cpu_pct": round(100 * (after.run_ns - before.run_ns) / 1e9 / seconds, 1),
        "wait_ms_per_s": round(wait / 1e6 / seconds, 2),
        "wait_us_per_run": round(wait / 1e3 / runs, 1),
    }
