"""The CPU-wait figures the e2e bench prints beside its latencies (Linux /proc schedstat)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from letrade_cli.bench.schedstat import (
    SchedSample,
    machine_busy_ns,
    others_cpu_pct,
    sample,
    summary,
)

linux_only = pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="Linux only")


@linux_only
def test_a_busy_child_shows_its_cpu_time_and_its_wait() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read(); sum(range(3_000_000))"],
        stdin=subprocess.PIPE,
    )
    try:
        before = sample(child.pid)
        assert before is not None
        assert child.stdin is not None
        child.stdin.close()  # the child now computes, then exits
        after = before
        while child.poll() is None:  # read the last totals while the process is still there
            after = sample(child.pid) or after
    finally:
        child.wait()
    assert after.run_ns > before.run_ns and after.runs >= before.runs
    assert sample(child.pid) is None  # gone: no figures, no error


def test_summary_is_cpu_share_wait_per_second_and_per_run() -> None:
    before = SchedSample(run_ns=1_000_000_000, wait_ns=10_000_000, runs=100)
    after = SchedSample(run_ns=1_500_000_000, wait_ns=30_000_000, runs=300)
    assert summary(before, after, 2.0) == {
        "cpu_pct": 25.0,  # 0.5 s on a CPU in 2 s
        "wait_ms_per_s": 10.0,  # 20 ms waited for a CPU in 2 s
        "wait_us_per_run": 100.0,  # over 200 runs
    }
    assert summary(None, after, 2.0) is None  # not Linux: the level shows no wait figures


def test_others_cpu_is_the_machines_busy_time_less_ours() -> None:
    ours = [
        (SchedSample(run_ns=0), SchedSample(run_ns=300_000_000)),
        (SchedSample(run_ns=0), SchedSample(run_ns=200_000_000)),
        (None, SchedSample(run_ns=10**12)),  # a process whose figures were not readable
    ]
    # 1.5 CPU-seconds busy in 1 s, 0.5 of them ours: others used one whole CPU.
    assert others_cpu_pct(0, 1_500_000_000, ours, 1.0) == 100.0
    assert others_cpu_pct(0, 100_000_000, ours, 1.0) == 0.0  # never negative
    assert others_cpu_pct(None, 1, ours, 1.0) is None


@linux_only
def test_the_machine_busy_counter_only_grows() -> None:
    first = machine_busy_ns()
    sum(range(1_000_000))
    second = machine_busy_ns()
    assert first is not None and second is not None and second >= first > 0
