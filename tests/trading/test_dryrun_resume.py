"""kill -9 a running dry run, resume it, and end exactly where an uninterrupted run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from letrade_cli.trading.ledger import Ledger
from letrade_cli.venues.binance.synthetic import write_recorded_book_tickers

ENV = {**os.environ, "NO_COLOR": "1"}


def _letrade(*args: str) -> list[str]:
    return [sys.executable, "-c", "from letrade_cli.cli.app import main; main()", *args]


def _outcome(db: Path, run_id: str) -> dict[str, Any]:
    ledger = Ledger(db)
    try:
        state = ledger.state(run_id)
        fills = [
            (
                f["symbol"],
                f["side"],
                f["price"],
                f["quantity"],
                f["fee"],
                f["ts_ms"],
                f["realized_pnl"],
            )
            for f in ledger.fills(run_id)
        ]
        return {
            "status": ledger.run(run_id)["status"],
            "cash": state["cash"],
            "positions": ledger.positions(run_id),
            "fills": fills,
            "open_orders": len(ledger.orders(run_id, open_only=True)),
            "equity": ledger.equity(run_id)[-1][1],
        }
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "book.txt"
    write_recorded_book_tickers(path, symbols=("BTCUSDT", "ETHUSDT"), seconds=2 * 3600)
    return path


def _run_args(recording: Path, db: Path, speed: str) -> list[str]:
    return _letrade(
        "dryrun",
        "--hours",
        "2",
        "--replay",
        str(recording),
        "--speed",
        speed,
        "--db",
        str(db),
        "--strategy",
        "sma-cross",
        "--json",
    )


def test_kill_9_then_resume_equals_an_uninterrupted_run(recording: Path, tmp_path: Path) -> None:
    reference_db = tmp_path / "reference.sqlite3"
    done = subprocess.run(
        _run_args(recording, reference_db, "max"), capture_output=True, env=ENV, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    (reference_id,) = [r["run_id"] for r in Ledger(reference_db).runs()]
    reference = _outcome(reference_db, reference_id)
    assert reference["status"] == "finished" and len(reference["fills"]) > 20

    db = tmp_path / "killed.sqlite3"
    # 7200 s of data at 1800x: at least 4 s of wall time; killed after the 5th fill.
    proc = subprocess.Popen(
        _run_args(recording, db, "1800"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    assert proc.stdout is not None
    fills = 0
    run_id = ""
    for line in proc.stdout:
        event = orjson.loads(line)
        if event["event"] == "start":
            run_id = event["run_id"]
        fills += event["event"] == "fill"
        if fills >= 5:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed = _outcome(db, run_id)
    assert killed["status"] == "running"  # it never got to finish
    assert 5 <= len(killed["fills"]) < len(reference["fills"])

    resumed = subprocess.run(
        _letrade("dryrun", "--resume", run_id, "--db", str(db), "--speed", "max"),
        capture_output=True,
        env=ENV,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert f"dry run {run_id} finished" in resumed.stderr.decode()
    final = _outcome(db, run_id)
    assert final == reference


def test_resume_of_an_unknown_run_is_a_usage_error(tmp_path: Path) -> None:
    Ledger(tmp_path / "l.sqlite3").close()
    out = subprocess.run(
        _letrade("dryrun", "--resume", "rnope", "--db", str(tmp_path / "l.sqlite3")),
        capture_output=True,
        env=ENV,
        timeout=60,
    )
    assert out.returncode == 2
    assert b"no dry run 'rnope'" in out.stderr and b"Traceback" not in out.stderr
