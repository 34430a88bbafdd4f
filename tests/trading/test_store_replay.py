"""dryrun --data: the store replayed as ticks, merged in event time, resumable after kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from letrade_cli.core.tick import Tick
from letrade_cli.data.store import Store
from letrade_cli.data.synthetic import write_candles, write_quotes
from letrade_cli.trading.ledger import Ledger
from letrade_cli.trading.store_source import StoreSource

ENV = {**os.environ, "NO_COLOR": "1"}
START_NS = 1_764_547_200_000_000_000  # 2025-12-01T00:00Z


def _letrade(*args: str) -> list[str]:
    return [sys.executable, "-c", "from letrade_cli.cli.app import main; main()", *args]


async def _collect(source: StoreSource) -> list[Tick]:
    ticks: list[Tick] = []

    async def step() -> None:
        ticks.append(latest[-1])

    latest: list[Tick] = []
    source.bus.subscribe(latest.append)
    await source.start()
    await source.run(asyncio.Event(), step)
    return ticks


async def test_quotes_of_two_symbols_arrive_merged_in_event_time(tmp_path: Path) -> None:
    write_quotes(tmp_path, ["BTCUSDT", "ETHUSDT"], 300, start_ns=START_NS)
    ticks = await _collect(StoreSource(str(tmp_path), symbols=["btcusdt", "ETHUSDT"]))
    assert len(ticks) == 600
    times = [t.recv_ns for t in ticks]
    assert times == sorted(times)
    assert {t.symbol for t in ticks[:2]} == {"BTCUSDT", "ETHUSDT"}  # interleaved, not one by one
    stored = Store(tmp_path).read("sim", "quotes", ["BTCUSDT"])
    btc = [t for t in ticks if t.symbol == "BTCUSDT"]
    assert [t.bid for t in btc] == [float(v) for v in stored["bid"].to_pylist()]
    assert [t.ask for t in btc] == [float(v) for v in stored["ask"].to_pylist()]
    assert all(t.channel == "bookTicker" for t in ticks)


async def test_candles_carry_open_high_low_close_volume_at_their_close(tmp_path: Path) -> None:
    write_candles(tmp_path, ["BTCUSDT"], 120, start_ns=START_NS)
    window = (START_NS + 30 * 60_000_000_000, START_NS + 90 * 60_000_000_000)
    ticks = await _collect(StoreSource(str(tmp_path), start_ns=window[0], end_ns=window[1]))
    stored = Store(tmp_path).read("sim", "candles_1m", ["BTCUSDT"], *window)
    assert len(ticks) == stored.num_rows == 60
    for tick, row in zip(ticks, stored.to_pylist(), strict=True):
        assert tick.channel == "kline_1m"
        assert (tick.open, tick.high, tick.low, tick.price, tick.size) == tuple(
            float(row[k]) for k in ("open", "high", "low", "close", "volume")
        )
        open_ns = int(row["ts"].timestamp()) * 1_000_000_000
        assert tick.recv_ns == open_ns + 60_000_000_000  # delivered when the candle closed


def _dryrun(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _letrade("dryrun", "--data", str(store), "--db", str(store.parent / "l.sqlite3"), *args),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--symbols", "BTCUSDT", "--from", "2025-12-02", "--to", "2025-12-01"], "--from"),
        (["--symbols", "BTCUSDT", "--from", "2024-01-01", "--to", "2024-01-02"], "no quotes rows"),
        (["--symbols", "DOGEUSDT"], "no data for DOGEUSDT"),
        (["--symbols", "BTCUSDT", "--kind", "candles_7m"], "7m"),
        (["--symbols", "BTCUSDT", "--from", "yesterday"], "--from"),
    ],
)
def test_bad_store_replays_are_one_line_usage_errors(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    store = tmp_path / "store"
    write_quotes(store, ["BTCUSDT"], 10, start_ns=START_NS)
    before = sorted(p.relative_to(store) for p in store.rglob("*"))
    done = _dryrun(store, *args)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before  # nothing deleted


def test_a_store_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "store"
    file.write_text("not a store")
    done = _dryrun(file, "--symbols", "BTCUSDT")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "not a directory" in done.stderr
    assert file.read_text() == "not a store"


def _outcome(db: Path, run_id: str) -> dict[str, Any]:
    ledger = Ledger(db)
    try:
        fills = [
            (f["symbol"], f["side"], f["price"], f["quantity"], f["fee"], f["ts_ms"])
            for f in ledger.fills(run_id)
        ]
        return {
            "status": ledger.run(run_id)["status"],
            "cash": ledger.state(run_id)["cash"],
            "positions": ledger.positions(run_id),
            "fills": fills,
            "equity": ledger.equity(run_id)[-1][1],
        }
    finally:
        ledger.close()


def _replay(store: Path, db: Path) -> list[str]:
    return _letrade(
        "dryrun", "--data", str(store), "--symbols", "BTCUSDT,ETHUSDT", "--speed", "max",
        "--strategy", "sma-cross", "--db", str(db), "--json",
    )  # fmt: skip


def test_a_store_replay_killed_mid_batch_resumes_to_the_uninterrupted_result(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    write_quotes(store, ["BTCUSDT", "ETHUSDT"], 60_000, start_ns=START_NS)
    reference_db = tmp_path / "reference.sqlite3"
    done = subprocess.run(_replay(store, reference_db), capture_output=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    (reference_id,) = [r["run_id"] for r in Ledger(reference_db).runs()]
    reference = _outcome(reference_db, reference_id)
    assert reference["status"] == "finished" and len(reference["fills"]) > 20

    db = tmp_path / "killed.sqlite3"
    proc = subprocess.Popen(
        _replay(store, db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    assert proc.stdout is not None
    run_id = ""
    for line in proc.stdout:  # events are printed once committed: the kill lands mid-batch
        event = orjson.loads(line)
        run_id = event.get("run_id", run_id)
        if event["event"] == "fill":
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed = _outcome(db, run_id)
    assert killed["status"] == "running"
    assert 1 <= len(killed["fills"]) < len(reference["fills"])

    resumed = subprocess.run(
        _letrade("dryrun", "--resume", run_id, "--db", str(db), "--speed", "max"),
        capture_output=True,
        env=ENV,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert _outcome(db, run_id) == reference


def _equity_rows(db: Path) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT ts_ms, equity, cash, unrealized FROM equity ORDER BY ts_ms")
        return [(ts, Decimal(e), Decimal(c), Decimal(u)) for ts, e, c, u in rows]


def test_equity_rows_hold_the_account_as_it_was_at_their_own_time(tmp_path: Path) -> None:
    # A full-speed replay commits a batch of 20,000 ticks at once: each equity row must still
    # carry the cash and marks of its own moment, not those of the commit.
    store = tmp_path / "store"
    write_quotes(store, ["BTCUSDT", "ETHUSDT"], 30_000, start_ns=START_NS)
    db = tmp_path / "l.sqlite3"
    done = subprocess.run(
        [*_replay(store, db), "--equity-every", "60"], capture_output=True, env=ENV, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()
    (run_id,) = [r["run_id"] for r in Ledger(db).runs()]
    ledger = Ledger(db)
    fills = ledger.fills(run_id)
    ledger.close()
    rows = _equity_rows(db)
    assert len(rows) > 40 and len(fills) > 20
    flat_cash = set()
    for ts, equity, cash, unrealized in rows:
        if any(f["ts_ms"] == ts for f in fills):
            continue  # the row may come before or after a fill of the same ms
        held: dict[str, Decimal] = {}
        for f in fills:
            if f["ts_ms"] < ts:
                sign = 1 if f["side"] == "BUY" else -1
                held[f["symbol"]] = held.get(f["symbol"], Decimal(0)) + sign * f["quantity"]
        if not any(held.values()):
            assert (equity, unrealized) == (cash, 0), ts
            flat_cash.add(cash)
    assert len(flat_cash) > 2  # flat between trades, at different cash each time


def test_a_full_speed_replay_samples_equity_every_quarter_hour(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_candles(store, ["BTCUSDT"], 600, start_ns=START_NS)  # 10 hours of 1m candles
    done = _dryrun(store, "--symbols", "BTCUSDT", "--speed", "max", "--strategy", "sma-cross")
    assert done.returncode == 0, done.stderr
    rows = _equity_rows(store.parent / "l.sqlite3")[:-1]  # the last one is the run's end
    steps = {b[0] - a[0] for a, b in itertools.pairwise(rows)}
    assert steps == {900_000}  # a row every 15 minutes of candles, not one per candle
    run_id = Ledger(store.parent / "l.sqlite3").runs()[0]["run_id"]
    again = _dryrun(store, "--resume", run_id, "--equity-every", "60")
    assert again.returncode == 2 and "--equity-every is for a new run" in again.stderr
