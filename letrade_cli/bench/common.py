"""What every benchmark mode shares: the machine record, CPU pinning, the worker runner, medians.

A mode's result is one JSON document::

    {"schema": "letrade.bench.<mode>/1", "mode": ..., "started_at": ..., "machine": {...},
     "config": {...}, ...mode data..., "metrics": [Metric, ...], "elapsed_s": ...}

``metrics`` are the headline figures, flat and named (``cache.PriceCache.get_ns``), each with its
unit and whether higher or lower is better: ``--compare`` diffs two documents on them alone.
Only the standard library is imported here.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    import asyncio

    from letrade_cli.core.histogram import LatencyHistogram

RESULT_PREFIX = "RESULT "
LIBRARIES = (
    "letrade-cli",
    "aiohttp",
    "websockets",
    "picows",
    "orjson",
    "msgspec",
    "uvloop",
    "cachetools",
    "typer",
    "rich",
    "plotly",
)

Progress = Callable[[str], None]


class Metric(TypedDict):
    """One headline figure: ``better`` says which way is an improvement."""

    name: str
    value: float
    unit: str
    better: Literal["higher", "lower"]


def metric(name: str, value: float, unit: str, better: Literal["higher", "lower"]) -> Metric:
    """A ``Metric`` with ``value`` rounded to 4 significant decimals."""
    return {"name": name, "value": round(float(value), 4), "unit": unit, "better": better}


def loadavg() -> list[float] | None:
    """The 1/5/15-minute load averages, or None where the OS has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_model() -> str | None:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def default_event_loop() -> str:
    """The loop a Letrade command runs on here: ``uvloop`` when installed, else ``asyncio``."""
    try:
        return f"uvloop {metadata.version('uvloop')}"
    except metadata.PackageNotFoundError:
        return "asyncio"


def library_versions(names: Sequence[str] = LIBRARIES) -> dict[str, str | None]:
    """Installed version of each distribution (None when absent), without importing it."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine_info() -> dict[str, Any]:
    """Where the numbers come from: CPUs, Python, event loop, library versions, load at start."""
    return {
        "nproc": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "event_loop": default_event_loop(),
        "libraries": library_versions(),
        "loadavg_start": loadavg(),
    }


def new_document(mode: str, config: dict[str, Any]) -> dict[str, Any]:
    """The common head of a mode's result document (call ``finish_document`` at the end)."""
    now = time.time()
    return {
        "schema": f"letrade.bench.{mode}/1",
        "mode": mode,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
        "_t0": now,
        "machine": machine_info(),
        "config": config,
    }


def finish_document(doc: dict[str, Any], metrics: list[Metric]) -> dict[str, Any]:
    """Stamp the end load and elapsed time, attach the headline metrics; returns ``doc``."""
    doc["machine"]["loadavg_end"] = loadavg()
    doc["elapsed_s"] = round(time.time() - doc.pop("_t0", time.time()), 2)
    doc["metrics"] = metrics
    return doc


def loop_factory(loop: str) -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    """(name, factory) of the event loop to run on: uvloop for ``auto`` when installed."""
    if loop in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if loop == "uvloop":
                raise ValueError("--loop uvloop: uvloop is not installed") from None
        else:
            return "uvloop", uvloop.new_event_loop
    return "asyncio", None


def pick_cpus(pin: bool) -> tuple[int | None, int | None]:
    """(client CPU, server CPU): two distinct CPUs when pinning and at least two are ours."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return cpus[0], cpus[1]


def pin_to(cpu: int | None) -> None:
    """Pin this process to one CPU (no-op for None or where the OS cannot)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def child_env() -> dict[str, str]:
    """Our environment, with this checkout's package importable by ``python -m`` children."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def run_worker(argv: Sequence[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m ...`` style ``argv`` in a fresh interpreter; return its ``RESULT`` dict.

    Returns ``{"error": "..."}`` when the child times out or prints no result line.
    """
    try:
        proc = subprocess.run(
            [sys.executable, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=child_env(),
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g}s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}


def emit_result(result: dict[str, Any]) -> None:
    """A worker's last word: ``RESULT {json}`` on stdout (read by ``run_worker``)."""
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def median_run(runs: Sequence[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The complete run with the median ``key`` (the lower middle one for an even count)."""
    ok = [r for r in runs if r.get("complete", True) and r.get(key) is not None]
    ok.sort(key=_by(key))
    return ok[(len(ok) - 1) // 2] if ok else None


def _by(key: str) -> Callable[[dict[str, Any]], float]:
    return lambda run: float(run[key])


def median(values: Sequence[float]) -> float:
    """The median (mean of the middle two for an even count); 0.0 for no values."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return 0.0
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def latency_summary(hist: LatencyHistogram) -> dict[str, Any]:
    """``p50``..``max`` and ``count`` (ns) plus the non-empty buckets for the HTML histograms."""
    out: dict[str, Any] = dict(hist.summary())
    out["buckets"] = histogram_buckets(hist)
    return out


def histogram_buckets(hist: LatencyHistogram) -> list[list[int]]:
    """``[[low_ns, count], ...]`` for every non-empty bucket, in ascending order."""
    from letrade_cli.core.histogram import bucket_bounds

    counts: list[int] = hist._counts  # the histogram's own buckets, read-only here
    return [[bucket_bounds(i)[0], n] for i, n in enumerate(counts) if n]
