"""README's worked strategy example, run as README runs it, on recorded Upbit trades."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT / "tests" / "data" / "upbit.ws.full.txt"
EXAMPLE = ROOT / "letrade_cli" / "trading" / "strategies" / "rsi_reversion.py"


def test_readme_shows_the_example_exactly_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert EXAMPLE.read_text(encoding="utf-8").rstrip("\n") in readme


def test_the_rsi_example_enters_with_a_limit_and_exits_on_its_trailing_stop(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ledger.sqlite3"
    done = subprocess.run(
        [
            sys.executable, "-m", "letrade_cli", "dryrun", "--hours", "1",
            "--replay", str(RECORDING), "-s", "KRW-LAMB", "--balance", "1000000KRW",
            "--strategy", "rsi-reversion", "--param", "timeframe=1s", "--param", "period=3",
            "--param", "quote=900", "--param", "trail_bps=20", "--param", "oversold=49",
            "--param", "entry_offset_bps=0", "--close-at-end",
            "--db", str(db), "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    fills = [e for e in events if e["event"] == "fill"]
    assert fills, done.stdout[-2000:]
    assert fills[0]["side"] == "BUY" and fills[0]["reason"].startswith("rsi ")
    assert fills[1]["side"] == "SELL" and fills[1]["reason"] == "trailing-stop"
    held = [e for e in events if e["event"] == "signal" and e["reason"] == "trailing-stop"]
    assert held and held[0]["note"].startswith("held ")  # the engine held it until it fired
