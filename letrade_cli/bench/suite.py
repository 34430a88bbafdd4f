"""``letrade bench all``: every mode in turn, one document holding each mode's under ``modes``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from letrade_cli.bench.claims import claims
from letrade_cli.bench.common import Progress, loadavg, machine_info

ModeRun = Callable[[bool, Progress], dict[str, Any]]


def _ingest(quick: bool, say: Progress) -> dict[str, Any]:
    from letrade_cli.bench.ingest.run import IngestBenchConfig, run_ingest_benchmark

    config = IngestBenchConfig(messages=50_000, symbols=50, repeat=1) if quick else None
    return run_ingest_benchmark(config or IngestBenchConfig(), progress=say)


def _cache(quick: bool, say: Progress) -> dict[str, Any]:
    from letrade_cli.bench.cache import CacheBenchConfig, run_cache_benchmark

    config = CacheBenchConfig(ops=20_000, repeat=1) if quick else CacheBenchConfig()
    return run_cache_benchmark(config, progress=say)


def _startup(quick: bool, say: Progress) -> dict[str, Any]:
    from letrade_cli.bench.startup import StartupBenchConfig, run_startup_benchmark

    config = StartupBenchConfig(runs=2) if quick else StartupBenchConfig()
    return run_startup_benchmark(config, progress=say)


def _order(quick: bool, say: Progress) -> dict[str, Any]:
    from letrade_cli.bench.order import OrderBenchConfig, run_order_benchmark

    config = OrderBenchConfig(requests=100, warmup=10) if quick else OrderBenchConfig()
    return run_order_benchmark(config, progress=say)


def _e2e(quick: bool, say: Progress) -> dict[str, Any]:
    from letrade_cli.bench.e2e import E2EBenchConfig, run_e2e_benchmark

    config = E2EBenchConfig(rates=(0, 1_000), duration=1.5, warmup=2) if quick else None
    return run_e2e_benchmark(config or E2EBenchConfig(), progress=say)


# The order of a full run: cheap and CPU-only first, the network modes last.
MODES: dict[str, ModeRun] = {
    "startup": _startup,
    "cache": _cache,
    "ingest": _ingest,
    "order": _order,
    "e2e": _e2e,
}


def run_suite(quick: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Run every mode in ``MODES``; return ``{"modes": {mode: doc}, "metrics": [...], ...}``."""
    say = progress or (lambda _msg: None)
    started = time.time()
    doc: dict[str, Any] = {
        "schema": "letrade.bench.all/1",
        "mode": "all",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": machine_info(),
        "config": {"quick": quick, "modes": list(MODES)},
        "modes": {},
    }
    for name, run in MODES.items():
        say(f"== {name} ==")
        doc["modes"][name] = run(quick, say)
    doc["machine"]["loadavg_end"] = loadavg()
    doc["elapsed_s"] = round(time.time() - started, 2)
    doc["metrics"] = [m for mode_doc in doc["modes"].values() for m in mode_doc["metrics"]]
    doc["claims"] = claims(doc["modes"])
    return doc
