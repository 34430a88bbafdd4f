"""Parity: a live run on a seeded sim, recorded, replayed on paper, gives the same signals.

`trade run --record F` writes the frames the run acted on; `dryrun --replay F --speed max` with
the same strategy and parameters must see the same ticks in the same order, so the ledgers'
signal sequences (symbol, side, reason) are equal; `dryrun compare` then sets the fills beside
each other.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from letrade_cli.trading.ledger import Ledger
from tests.cli.test_trade_cli import SimThread, letrade
from tests.cli.test_trade_cli import sim as sim
from tests.cli.test_trade_run import env_for, events

STRATEGY = "tests.cli.strategies:EveryTick"


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sim's keys, short order timeouts, no cooldown (every tick's signal is acted on)."""
    path = tmp_path_factory.mktemp("profiles") / "parity.yaml"
    path.write_text(
        "venue: sim\n"
        "trading:\n"
        "  keys: {api_key_env: LETRADE_SIM_API_KEY, secret_env: LETRADE_SIM_API_SECRET}\n"
        "  orders: {timeout_s: 2.0, lookup_attempts: 3}\n"
        "  risk: {cooldown_s: 0, order_notional: 50}\n"
    )
    return str(path)


def signals(db: Path, run_id: str) -> list[tuple[str, str, str]]:
    ledger = Ledger(db)
    try:
        rows = ledger.conn.execute(
            "SELECT symbol, side, reason FROM signals WHERE run_id = ? ORDER BY id", (run_id,)
        ).fetchall()
    finally:
        ledger.close()
    return [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def runs(sim: SimThread, profile: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("parity")
    db, frames = root / "ledger.sqlite3", root / "frames.txt"
    live = letrade(
        "trade", "run", "--venue", "sim", "--minutes", "0.05", "-s", "BTCUSDT", "--strategy",
        STRATEGY, "--record", str(frames), "--db", str(db), "--json", "--profile", profile,
        env=env_for(sim),
    )  # fmt: skip
    assert live.returncode == 0, live.stderr
    paper = letrade(
        "dryrun", "--replay", str(frames), "--speed", "max", "--minutes", "0.05", "-s",
        "BTCUSDT", "--strategy", STRATEGY, "--db", str(db), "--json", "--profile", profile,
    )  # fmt: skip
    assert paper.returncode == 0, paper.stderr
    return {
        "db": db,
        "frames": frames,
        "live": next(e["run_id"] for e in events(live.stdout) if e["event"] == "start"),
        "paper": next(e["run_id"] for e in events(paper.stdout) if e["event"] == "start"),
        "live_summary": events(live.stdout)[-1],
    }


def test_the_recording_is_in_the_recorded_frame_format(runs: dict[str, Any]) -> None:
    lines = runs["frames"].read_text().splitlines()
    assert " <-> " in lines[0] and lines[0].split(" <-> ")[0].endswith("#venue=sim")
    head, _, payload = lines[1].partition(": ")
    seconds, _, ns = head.partition(".")
    assert seconds.isdigit() and len(ns) == 9  # exact to the nanosecond
    assert json.loads(payload)
    assert len(lines) > 20
    recorded = runs["live_summary"]["source"]["record"]
    assert recorded["frames"] == len(lines) - 1 and recorded["path"] == str(runs["frames"])


def test_a_replay_of_the_recording_gives_the_live_runs_signals(runs: dict[str, Any]) -> None:
    live, paper = signals(runs["db"], runs["live"]), signals(runs["db"], runs["paper"])
    assert len(live) >= 5
    assert paper == live


def test_compare_sets_paper_fills_beside_live_fills(runs: dict[str, Any]) -> None:
    done = letrade(
        "dryrun", "report", runs["live"], "--vs", runs["paper"], "--json", "--db", str(runs["db"])
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["run"]["mode"] == "live" and data["other"]["mode"] == "paper"
    assert data["matched"] >= 2
    diffs = []
    for pair in data["orders"]:
        if not pair["matched"]:
            continue
        a, b = pair["run"], pair["other"]
        assert a["symbol"] == b["symbol"] and a["side"] == b["side"]
        raw = (Decimal(a["price"]) - Decimal(b["price"])) / Decimal(b["price"]) * 10_000
        expected = raw if a["side"] == "BUY" else -raw  # worse for us is positive
        assert pair["diff_bps"] == pytest.approx(float(expected), abs=1e-3)
        assert a["fees"] and b["fees"]
        diffs.append(pair["diff_bps"])
    assert data["diff_bps"]["total"] == pytest.approx(sum(diffs), abs=1e-2)
    assert data["diff_bps"]["mean"] == pytest.approx(sum(diffs) / len(diffs), abs=1e-3)
    assert data["fees_quote"]["run"] is not None and data["fees_quote"]["other"] is not None

    table = letrade("dryrun", "compare", runs["live"], runs["paper"], "--db", str(runs["db"]))
    assert table.returncode == 0, table.stderr
    assert "matched" in table.stdout and "median" in table.stdout


def test_record_is_refused_for_a_replay(runs: dict[str, Any], tmp_path: Path) -> None:
    done = letrade(
        "dryrun", "--replay", str(runs["frames"]), "--minutes", "1", "--record",
        str(tmp_path / "again.txt"), "--db", str(tmp_path / "l.sqlite3"),
    )  # fmt: skip
    assert done.returncode == 2 and "--record is for a live feed" in done.stderr
