"""``letrade bench all``: every mode in turn, one document holding each mode's under ``modes``."""

from __future__ import annotations

import time
from typing import Any

from letrade_cli.bench.claims import claims
from letrade_cli.bench.common import Progress, loadavg, machine_info
from letrade_cli.bench.modes import MODES


def run_suite(quick: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Run every mode in ``bench.modes.MODES``; return ``{"modes": {mode: doc}, ...}``."""
    say = progress or (lambda _msg: None)
    started = time.time()
    doc: dict[str, Any] = {
        "schema": "letrade.bench.all/1",
        "mode": "all",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "machine": machine_info(),
        "config": {"quick": quick, "modes": [mode.name for mode in MODES]},
        "modes": {},
    }
    for mode in MODES:
        say(f"== {mode.name} ==")
        doc["modes"][mode.name] = mode.run(quick, say)
    doc["machine"]["loadavg_end"] = loadavg()
    doc["elapsed_s"] = round(time.time() - started, 2)
    doc["metrics"] = [m for mode_doc in doc["modes"].values() for m in mode_doc["metrics"]]
    doc["claims"] = claims(doc["modes"])
    return doc
