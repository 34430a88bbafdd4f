"""``letrade bench replay`` in short: small inputs, every row replayed and the figures present."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_replay_mode_replays_every_row_and_reports_rate_memory_and_ledger(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "letrade_cli", "bench", "replay", "--quotes", "4000",
            "--bars", "3000", "--runs", "1", "--json", "--keep", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["mode"] == "replay"
    quotes, bars = doc["inputs"]["quotes"]["median"], doc["inputs"]["bars"]["median"]
    assert quotes["ticks"] == 4000 and bars["ticks"] == 3000  # every stored row, no more
    for run in (quotes, bars):
        assert run["fills"] > 0  # no risk throttle: the strategy's signals trade
        assert run["engine_per_s"] > 0 and run["peak_rss_mb"] > 0 and run["ledger_mb"] > 0
    names = {m["name"] for m in doc["metrics"]}
    assert {"replay.quotes.per_s", "replay.bars.peak_rss_mb"} <= names
    assert any(p["engine"].startswith("nautilus_trader") for p in doc["peers"])
    assert (tmp_path / "store").is_dir()  # --keep leaves the inputs to look at


def test_too_few_rows_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "letrade_cli", "bench", "replay", "--quotes", "10"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--quotes" in done.stderr and "Traceback" not in done.stderr
