"""The SQLite ledger: WAL, schema version, migrations from an older schema, round trips."""

from __future__ import annotations

import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from letrade_cli.core.errors import ConfigError, UsageError
from letrade_cli.core.orders import Fill, OrderState, OrderStatus, OrderType, Side
from letrade_cli.trading.ledger import SCHEMA_VERSION, Ledger, migrate


def test_a_new_ledger_is_wal_at_the_current_version(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "d" / "l.sqlite3")
    assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (
        ledger.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        == SCHEMA_VERSION
    )
    ledger.close()


def test_migrates_a_version_1_ledger_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO runs VALUES ('r1', 1, 'sma-cross', 'binance', '[\"BTCUSDT\"]', 'USDT', "
        "'10000', '{}', 'finished', 2)"
    )
    conn.execute(
        "INSERT INTO orders VALUES ('r1', 'r1-1', 'BTCUSDT', 'BUY', 'MARKET', '1', NULL, 'GTC', "
        "'FILLED', '1', '100', '0.1', 5, 6)"
    )
    conn.execute("INSERT INTO equity VALUES ('r1', 5, '9999.9', '9899.9', '0')")
    conn.close()
    ledger = Ledger(path)
    assert (
        ledger.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        == SCHEMA_VERSION
    )
    assert ledger.run("r1")["strategy"] == "sma-cross"
    assert ledger.run("r1")["mode"] == "paper"  # runs from before live trading were paper
    assert ledger.reconciliations("r1") == []
    assert ledger.equity("r1") == [(5, Decimal("9999.9"), {})]
    assert ledger.orders("r1")[0].filled_qty == Decimal(1)
    assert ledger.latencies_ms("r1") == []
    ledger.close()


def test_reading_an_older_ledger_upgrades_it_where_it_can_be_written(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    conn.close()
    locked = tmp_path / "locked.sqlite3"
    locked.write_bytes(path.read_bytes())
    ledger = Ledger(path, read_only=True)
    assert ledger.runs() == []
    ledger.close()
    assert migrate(sqlite3.connect(path, isolation_level=None)) == SCHEMA_VERSION
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode:
        pytest.skip("chattr +i is refused here (needs root and a file system that has it)")
    try:
        with pytest.raises(ConfigError, match="from an older letrade and cannot be upgraded"):
            Ledger(locked, read_only=True)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)


def test_reading_a_file_that_is_not_a_ledger_is_refused_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are notes, not a database\n" * 10)
    with pytest.raises(ConfigError, match=r"cannot read the ledger .*: file is not a database"):
        Ledger(path, read_only=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite3"]
    assert path.read_text().startswith("these are notes")


def test_a_newer_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    Ledger(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO schema_version VALUES (99)")
    conn.close()
    with pytest.raises(ConfigError, match="newer than this letrade"):
        Ledger(path)


def test_a_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    with ledger.transaction():
        ledger.create_run(
            "r1",
            created_ms=1,
            strategy="s",
            venue="v",
            symbols=["A"],
            quote="USDT",
            initial_cash=Decimal(10),
            config={},
        )
    order = OrderState(
        "paper", "BTCUSDT", "r1-1", Side.BUY, OrderType.MARKET, Decimal(1), OrderStatus.FILLED
    )
    fill = Fill(
        "paper",
        "BTCUSDT",
        "r1-1",
        Side.BUY,
        Decimal(100),
        Decimal(1),
        Decimal("0.1"),
        "USDT",
        "T1",
        5,
    )
    with pytest.raises(RuntimeError), ledger.transaction():
        ledger.upsert_order("r1", order)
        ledger.add_fill("r1", fill, Decimal(0))
        raise RuntimeError("killed")
    assert ledger.fills("r1") == [] and ledger.orders("r1") == []
    with ledger.transaction():
        ledger.upsert_order("r1", order)
        ledger.add_fill("r1", fill, Decimal(0))
        ledger.add_fill("r1", fill, Decimal(0))  # the same trade twice counts once
    assert len(ledger.fills("r1")) == 1
    from dataclasses import replace

    with ledger.transaction():  # venues number trades per symbol: T1 on another market is new
        ledger.add_fill("r1", replace(fill, symbol="ETHUSDT", client_order_id="r1-2"), Decimal(0))
    assert sorted(f["symbol"] for f in ledger.fills("r1")) == ["BTCUSDT", "ETHUSDT"]
    with pytest.raises(UsageError, match="dryrun list"):
        ledger.run("nope")
    ledger.close()
