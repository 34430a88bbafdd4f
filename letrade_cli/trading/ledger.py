"""The dry-run ledger: one SQLite file (WAL) for runs, orders, fills and their state.

It holds runs, signals, orders, fills, positions, equity snapshots and each run's state (cash,
replay cursor, risk state).

The engine writes everything one tick caused in one transaction together with the cursor, so a
``kill -9`` loses at most the tick being processed, and ``--resume`` processes it again: nothing
lost, nothing counted twice. WAL with ``synchronous=NORMAL`` survives a killed process (not a
power cut, which may lose the last transactions but never corrupts the file).

Schema changes go in ``MIGRATIONS`` (append only); ``schema_version`` says which ones ran.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from letrade_cli.core.errors import ConfigError, LetradeError, UsageError
from letrade_cli.core.orders import (
    Fill,
    OrderState,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

MIGRATIONS: list[str] = [
    # 1: the first schema.
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, strategy TEXT NOT NULL,
        venue TEXT NOT NULL, symbols TEXT NOT NULL, quote TEXT NOT NULL,
        initial_cash TEXT NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL,
        ended_ms INTEGER
    );
    CREATE TABLE state (
        run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE signals (
        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        symbol TEXT NOT NULL, side TEXT NOT NULL, reason TEXT NOT NULL,
        accepted INTEGER NOT NULL, note TEXT NOT NULL
    );
    CREATE INDEX signals_run ON signals (run_id, id);
    CREATE TABLE orders (
        run_id TEXT NOT NULL, client_order_id TEXT NOT NULL, symbol TEXT NOT NULL,
        side TEXT NOT NULL, type TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT,
        tif TEXT NOT NULL, status TEXT NOT NULL, filled_qty TEXT NOT NULL,
        quote_qty TEXT NOT NULL, fee TEXT NOT NULL, created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        PRIMARY KEY (run_id, client_order_id)
    );
    CREATE TABLE fills (
        run_id TEXT NOT NULL, trade_id TEXT NOT NULL, client_order_id TEXT NOT NULL,
        symbol TEXT NOT NULL, side TEXT NOT NULL, price TEXT NOT NULL, quantity TEXT NOT NULL,
        fee TEXT NOT NULL, fee_asset TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        is_maker INTEGER NOT NULL, realized_pnl TEXT NOT NULL,
        PRIMARY KEY (run_id, trade_id)
    );
    CREATE TABLE positions (
        run_id TEXT NOT NULL, symbol TEXT NOT NULL, quantity TEXT NOT NULL,
        cost TEXT NOT NULL, realized TEXT NOT NULL,
        PRIMARY KEY (run_id, symbol)
    );
    CREATE TABLE equity (
        run_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, equity TEXT NOT NULL,
        cash TEXT NOT NULL, unrealized TEXT NOT NULL,
        PRIMARY KEY (run_id, ts_ms)
    );
    """,
    # 2: latency per order (signal -> ack, ms) and the marks behind each equity snapshot.
    """
    ALTER TABLE orders ADD COLUMN signal_to_ack_ms REAL;
    ALTER TABLE equity ADD COLUMN marks TEXT NOT NULL DEFAULT '{}';
    """,
    # 3: paper or live runs; what reconciliation found and did.
    """
    ALTER TABLE runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'paper';
    CREATE TABLE reconciliations (
        id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        kind TEXT NOT NULL, client_order_id TEXT NOT NULL, symbol TEXT NOT NULL,
        detail TEXT NOT NULL, action TEXT NOT NULL
    );
    CREATE INDEX reconciliations_run ON reconciliations (run_id, id);
    """,
    # 4: a venue's trade ids are unique per symbol (some number them per market), not per run.
    """
    CREATE TABLE fills_by_symbol (
        run_id TEXT NOT NULL, trade_id TEXT NOT NULL, client_order_id TEXT NOT NULL,
        symbol TEXT NOT NULL, side TEXT NOT NULL, price TEXT NOT NULL, quantity TEXT NOT NULL,
        fee TEXT NOT NULL, fee_asset TEXT NOT NULL, ts_ms INTEGER NOT NULL,
        is_maker INTEGER NOT NULL, realized_pnl TEXT NOT NULL,
        PRIMARY KEY (run_id, symbol, trade_id)
    );
    INSERT INTO fills_by_symbol SELECT * FROM fills;
    DROP TABLE fills;
    ALTER TABLE fills_by_symbol RENAME TO fills;
    """,
    # 5: conditional orders (stop, trailing delta, OCO list), why each order was placed, and
    # whether the engine still holds it untriggered (not on the venue).
    """
    ALTER TABLE orders ADD COLUMN stop_price TEXT;
    ALTER TABLE orders ADD COLUMN trailing_delta INTEGER;
    ALTER TABLE orders ADD COLUMN list_id TEXT;
    ALTER TABLE orders ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE orders ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    """``$LETRADE_DATA_DIR/dryrun.sqlite3``, else ``~/.local/share/letrade/dryrun.sqlite3``."""
    base = os.environ.get("LETRADE_DATA_DIR")
    root = Path(base) if base else Path.home() / ".local" / "share" / "letrade"
    return root / "dryrun.sqlite3"


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Run the migrations after the database's version up to ``target``; returns the version."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    version = _schema_version(conn)
    for number in range(version + 1, target + 1):
        with _transaction(conn):
            for statement in MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        version = number
    return version


class LedgerWriteError(LetradeError):
    """The ledger file could not be written (full disk, I/O error, read-only).

    What was committed before is kept, and a run stays resumable.
    """


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # a failed write may have ended it
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise LedgerWriteError(
            f"cannot write the ledger {_file_of(conn)}: {exc} (every earlier commit is kept)",
            hint="free space or fix the file's permissions, then `letrade dryrun --resume RUN`"
            " (`letrade dryrun list` shows it)",
        ) from None


def _file_of(conn: sqlite3.Connection) -> str:
    try:
        return str(conn.execute("PRAGMA database_list").fetchone()[2])
    except sqlite3.Error:
        return "file"


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open (creating) the ledger file in WAL mode, migrated to the current schema.

    ``read_only`` opens an existing ledger for reading (reports, listings), which works on a
    file or folder this user cannot write; nothing is created or migrated then.
    """
    if read_only:
        return _connect_read_only(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"cannot open the ledger {path}: {exc}", hint="pass a writable --db PATH"
        ) from None
    try:
        migrate(conn)
    except sqlite3.DatabaseError as exc:  # not a database, or corrupt
        conn.close()
        raise ConfigError(
            f"cannot open the ledger {path}: {exc}", hint="pass a writable --db PATH"
        ) from None
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # A WAL database is read through its -shm file, which SQLite creates beside the ledger
    # when missing; where the folder is read-only too, ``immutable`` reads the file as it is
    # (no -shm, no locks), which is right for a ledger no process here can be writing.
    error: sqlite3.Error | None = None
    for flags in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?{flags}", uri=True, isolation_level=None, timeout=10.0
            )
        except sqlite3.Error as exc:
            error = exc
            continue
        try:
            version = _schema_version(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            error = exc
            if not isinstance(exc, sqlite3.OperationalError):
                break  # not a database, or corrupt: the other way cannot read it either
            continue
        if version < SCHEMA_VERSION:
            conn.close()
            return _upgraded(path)
        return conn
    raise ConfigError(
        f"cannot read the ledger {path}: {error}", hint="check the file, or pass another --db"
    )


def _upgraded(path: Path) -> sqlite3.Connection:
    """A ledger from an older letrade, migrated (which needs writing, even to read it)."""
    try:
        return connect(path)
    except ConfigError:
        raise ConfigError(
            f"the ledger {path} is from an older letrade and cannot be upgraded: it is read-only",
            hint="make it writable once (any letrade command upgrades it), or copy it",
        ) from None


def _schema_version(conn: sqlite3.Connection) -> int:
    """The ledger's schema version, refusing one newer than this letrade knows."""
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    version = int(row[0] or 0)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"the ledger's schema version {version} is newer than this letrade ({SCHEMA_VERSION})",
            hint="upgrade letrade, or use another --db",
        )
    return version


UPSERT_ORDER = (
    "INSERT INTO orders (run_id, client_order_id, symbol, side, type, quantity, price, "
    "tif, status, filled_qty, quote_qty, fee, created_ms, updated_ms, signal_to_ack_ms, "
    "stop_price, trailing_delta, list_id, reason, held) "
    f"VALUES ({','.join('?' * 20)}) ON CONFLICT (run_id, client_order_id) DO UPDATE"
    "  SET status = excluded.status, filled_qty = excluded.filled_qty, "
    "quote_qty = excluded.quote_qty, fee = excluded.fee, updated_ms = excluded.updated_ms, "
    "signal_to_ack_ms = COALESCE(excluded.signal_to_ack_ms, orders.signal_to_ack_ms), "
    "stop_price = COALESCE(excluded.stop_price, orders.stop_price), "
    "trailing_delta = COALESCE(excluded.trailing_delta, orders.trailing_delta), "
    "list_id = COALESCE(excluded.list_id, orders.list_id), "
    "reason = CASE WHEN excluded.reason != '' THEN excluded.reason ELSE orders.reason END, "
    "held = excluded.held "
    # Never backwards: an update that arrives late (a pushed event, a look-up answered
    # after a newer one) must not undo fills or reopen a final order.
    "WHERE CAST(excluded.filled_qty AS REAL) >= CAST(orders.filled_qty AS REAL) "
    "AND NOT (orders.status IN ('FILLED', 'CANCELED', 'REJECTED', 'EXPIRED') "
    "AND excluded.status IN ('PENDING', 'NEW', 'PARTIALLY_FILLED'))"
)
# The statuses of UPSERT_ORDER's rule, from the enum (rows hold their text).
_OPEN = frozenset(s.value for s in OrderStatus if s.is_unresolved)
_FINAL = frozenset(s.value for s in OrderStatus if not s.is_unresolved)


def _merge_order_rows(old: list[Any], new: list[Any]) -> list[Any]:
    """Two rows of one order as UPSERT_ORDER would leave them, applied in turn."""
    if float(new[9]) < float(old[9]) or (old[8] in _FINAL and new[8] in _OPEN):
        return old
    out = list(old)
    for k in (8, 9, 10, 11, 13, 19):  # status, filled, quote, fee, updated, held
        out[k] = new[k]
    for k in (14, 15, 16, 17):  # latency, stop price, trailing delta, list id: COALESCE
        if new[k] is not None:
            out[k] = new[k]
    if new[18]:
        out[18] = new[18]
    return out


def _order_row(run_id: str, o: OrderState) -> tuple[Any, ...]:
    latency = o.latency.signal_to_ack_ms()
    return (
        run_id,
        o.client_order_id,
        o.symbol,
        o.side.value,
        o.type.value,
        str(o.quantity),
        None if o.price is None else str(o.price),
        o.time_in_force.value,
        o.status.value,
        str(o.filled_qty),
        str(o.quote_qty),
        str(o.fee),
        o.created_ms,
        o.updated_ms,
        latency,
        None if o.stop_price is None else str(o.stop_price),
        o.trailing_delta,
        o.order_list_id,
    )


class Ledger:
    """Reads and writes one ledger file. Writes happen inside :meth:`transaction`."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.conn = connect(path, read_only=read_only)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        with _transaction(self.conn):
            yield

    # -- writes (call inside a transaction) ------------------------------------------------
    def create_run(
        self,
        run_id: str,
        *,
        created_ms: int,
        strategy: str,
        venue: str,
        symbols: Sequence[str],
        quote: str,
        initial_cash: Decimal,
        config: dict[str, Any],
        mode: str = "paper",
    ) -> None:
        """Record a new run (``mode``: paper, or live for orders on a venue)."""
        self.conn.execute(
            "INSERT INTO runs (run_id, created_ms, strategy, venue, symbols, quote, initial_cash, "
            "config, status, ended_ms, mode) VALUES (?,?,?,?,?,?,?,?,?,NULL,?)",
            (
                run_id,
                created_ms,
                strategy,
                venue,
                json.dumps(list(symbols)),
                quote,
                str(initial_cash),
                json.dumps(config, sort_keys=True),
                "running",
                mode,
            ),
        )

    def set_status(self, run_id: str, status: str, ended_ms: int | None = None) -> None:
        """Mark a run running / finished / interrupted."""
        self.conn.execute(
            "UPDATE runs SET status = ?, ended_ms = ? WHERE run_id = ?", (status, ended_ms, run_id)
        )

    def put_state(self, run_id: str, values: dict[str, str]) -> None:
        """Upsert the run's state values (cash, cursor, counters, risk state)."""
        self.conn.executemany(
            "INSERT INTO state VALUES (?,?,?) ON CONFLICT (run_id, key) DO UPDATE SET "
            "value = excluded.value",
            [(run_id, k, v) for k, v in values.items()],
        )

    def add_signals(
        self, run_id: str, signals: Iterable[tuple[int, str, str, str, bool, str]]
    ) -> None:
        """Record signals ``(ts_ms, symbol, side, reason, accepted, note)`` and their fate."""
        self.conn.executemany(
            "INSERT INTO signals (run_id, ts_ms, symbol, side, reason, accepted, note) "
            "VALUES (?,?,?,?,?,?,?)",
            [
                (run_id, ts, sym, side, why, int(ok), note)
                for ts, sym, side, why, ok, note in signals
            ],
        )

    def upsert_order(
        self, run_id: str, order: OrderState, *, reason: str = "", held: bool = False
    ) -> None:
        """Insert or update an order by its client id.

        ``reason`` says why it was placed (kept when a later update has none); ``held``: the
        engine holds it untriggered (a conditional order not on the venue).
        """
        self.conn.execute(UPSERT_ORDER, (*_order_row(run_id, order), reason, int(held)))

    def upsert_orders(self, run_id: str, orders: Iterable[tuple[OrderState, str, bool]]) -> None:
        """:meth:`upsert_order` for many ``(order, reason, held)``, in order, in one statement.

        The updates of one client id are merged first by the statement's own rule (never
        backwards; a missing stop, list or latency keeps the earlier one), so a batch writes
        one row per order instead of one per report of it.
        """
        merged: dict[str, list[Any]] = {}
        for order, reason, held in orders:
            row = [*_order_row(run_id, order), reason, int(held)]
            old = merged.get(order.client_order_id)
            merged[order.client_order_id] = row if old is None else _merge_order_rows(old, row)
        self.conn.executemany(UPSERT_ORDER, merged.values())

    def order_reasons(self, run_id: str) -> dict[str, str]:
        """Why each of the run's orders was placed, by client id (orders with a reason)."""
        rows = self.conn.execute(
            "SELECT client_order_id, reason FROM orders WHERE run_id = ? AND reason != ''",
            (run_id,),
        ).fetchall()
        return {cid: reason for cid, reason in rows}

    def add_fill(self, run_id: str, fill: Fill, realized_pnl: Decimal) -> None:
        """Record one execution (a trade id repeated on its symbol is ignored)."""
        self.add_fills(run_id, [(fill, realized_pnl)])

    def add_fills(self, run_id: str, fills: Iterable[tuple[Fill, Decimal]]) -> None:
        """Record executions with the PnL each realised (repeated trade ids are ignored)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    run_id, f.trade_id, f.client_order_id, f.symbol, f.side.value, str(f.price),
                    str(f.quantity), str(f.fee), f.fee_asset, f.ts_ms, int(f.is_maker), str(pnl),
                )
                for f, pnl in fills
            ],
        )  # fmt: skip

    def put_position(
        self, run_id: str, symbol: str, quantity: Decimal, cost: Decimal, realized: Decimal
    ) -> None:
        """Upsert one position."""
        self.conn.execute(
            "INSERT INTO positions VALUES (?,?,?,?,?) ON CONFLICT (run_id, symbol) DO UPDATE SET "
            "quantity = excluded.quantity, cost = excluded.cost, realized = excluded.realized",
            (run_id, symbol, str(quantity), str(cost), str(realized)),
        )

    def add_equity(
        self, run_id: str, rows: Iterable[tuple[int, Decimal, Decimal, Decimal, str]]
    ) -> None:
        """Record equity rows ``(ts_ms, equity, cash, unrealized, marks JSON)`` (one per ms)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO equity VALUES (?,?,?,?,?,?)",
            [
                (run_id, ts, str(eq), str(cash), str(unr), marks)
                for ts, eq, cash, unr, marks in rows
            ],
        )

    # -- reads -------------------------------------------------------------------------------
    def run(self, run_id: str) -> dict[str, Any]:
        """The run's row (``UsageError`` naming ``letrade dryrun list`` when unknown)."""
        cur = self.conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        row = cur.fetchone()
        if row is None:
            raise UsageError(
                f"no dry run '{run_id}' in {self.path}",
                hint="`letrade dryrun list` shows the runs (pass the same --db)",
            )
        out = dict(zip([d[0] for d in cur.description], row, strict=True))
        out["symbols"] = json.loads(out["symbols"])
        out["config"] = json.loads(out["config"])
        return out

    def runs(self) -> list[dict[str, Any]]:
        """Every run, newest first, with its fill count and last equity."""
        cur = self.conn.execute(
            "SELECT r.run_id, r.created_ms, r.strategy, r.venue, r.mode, r.symbols, r.status, "
            "r.initial_cash, r.quote, (SELECT COUNT(*) FROM fills f WHERE f.run_id = r.run_id), "
            "(SELECT equity FROM equity e WHERE e.run_id = r.run_id ORDER BY ts_ms DESC LIMIT 1) "
            "FROM runs r ORDER BY r.created_ms DESC, r.run_id"
        )
        keys = ["run_id", "created_ms", "strategy", "venue", "mode", "symbols", "status",
                "initial_cash", "quote", "fills", "equity"]  # fmt: skip
        out = [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
        for item in out:
            item["symbols"] = json.loads(item["symbols"])
        return out

    def state(self, run_id: str) -> dict[str, str]:
        """The run's state values."""
        rows = self.conn.execute("SELECT key, value FROM state WHERE run_id = ?", (run_id,))
        return dict(rows.fetchall())

    def positions(self, run_id: str) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        """Symbol -> (quantity, cost, realized)."""
        rows = self.conn.execute(
            "SELECT symbol, quantity, cost, realized FROM positions WHERE run_id = ? "
            "ORDER BY symbol",
            (run_id,),
        )
        return {s: (Decimal(q), Decimal(c), Decimal(r)) for s, q, c, r in rows.fetchall()}

    def add_reconciliation(
        self, run_id: str, ts_ms: int, kind: str, client_order_id: str, symbol: str,
        detail: str, action: str,
    ) -> None:  # fmt: skip
        """Record one difference reconciliation found, and what was done about it."""
        self.conn.execute(
            "INSERT INTO reconciliations (run_id, ts_ms, kind, client_order_id, symbol, detail, "
            "action) VALUES (?,?,?,?,?,?,?)",
            (run_id, ts_ms, kind, client_order_id, symbol, detail, action),
        )

    def reconciliations(self, run_id: str) -> list[dict[str, Any]]:
        """What reconciliation found in this run, oldest first."""
        cur = self.conn.execute(
            "SELECT ts_ms, kind, client_order_id, symbol, detail, action FROM reconciliations "
            "WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]

    def orders(
        self,
        run_id: str,
        *,
        open_only: bool = False,
        unresolved: bool = False,
        held: bool | None = None,
    ) -> list[OrderState]:
        """The run's orders, oldest first: all, the open ones, or the ones the venue may hold.

        ``unresolved`` adds the ``PENDING`` ones (committed before sending, no answer seen) and
        leaves out the conditional orders the engine holds (the venue never had them);
        ``held=True`` gives only those.
        """
        sql = (
            "SELECT client_order_id, symbol, side, type, quantity, price, tif, status, "
            "filled_qty, quote_qty, fee, created_ms, updated_ms, stop_price, trailing_delta, "
            "list_id FROM orders WHERE run_id = ?"
        )
        if unresolved:
            sql += " AND status IN ('PENDING', 'NEW', 'PARTIALLY_FILLED') AND held = 0"
        elif open_only:
            sql += " AND status IN ('NEW', 'PARTIALLY_FILLED')"
        if held is not None:
            sql += " AND held = 1" if held else " AND held = 0"
        out = []
        for row in self.conn.execute(sql + " ORDER BY created_ms, rowid", (run_id,)).fetchall():
            cid, sym, side, typ, qty, price, tif, status, filled, quote, fee, cms, ums = row[:13]
            stop, trailing, list_id = row[13:]
            out.append(
                OrderState(
                    venue="paper",
                    symbol=sym,
                    client_order_id=cid,
                    side=Side(side),
                    type=OrderType(typ),
                    quantity=Decimal(qty),
                    status=OrderStatus(status),
                    price=None if price is None else Decimal(price),
                    time_in_force=TimeInForce(tif),
                    venue_order_id=cid,
                    filled_qty=Decimal(filled),
                    quote_qty=Decimal(quote),
                    fee=Decimal(fee),
                    created_ms=cms,
                    updated_ms=ums,
                    stop_price=None if stop is None else Decimal(stop),
                    trailing_delta=trailing,
                    order_list_id=list_id,
                )
            )
        return out

    def fills(self, run_id: str) -> list[dict[str, Any]]:
        """The run's fills, oldest first, as dicts (Decimal fields)."""
        cur = self.conn.execute(
            "SELECT trade_id, client_order_id, symbol, side, price, quantity, fee, fee_asset, "
            "ts_ms, is_maker, realized_pnl FROM fills WHERE run_id = ? ORDER BY ts_ms, rowid",
            (run_id,),
        )
        keys = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            item = dict(zip(keys, row, strict=True))
            for k in ("price", "quantity", "fee", "realized_pnl"):
                item[k] = Decimal(item[k])
            item["is_maker"] = bool(item["is_maker"])
            out.append(item)
        return out

    def equity(self, run_id: str) -> list[tuple[int, Decimal, dict[str, str]]]:
        """(ts_ms, equity, marks) snapshots, oldest first."""
        rows = self.conn.execute(
            "SELECT ts_ms, equity, marks FROM equity WHERE run_id = ? ORDER BY ts_ms", (run_id,)
        )
        return [(t, Decimal(e), json.loads(m)) for t, e, m in rows.fetchall()]

    def signals(self, run_id: str) -> list[dict[str, Any]]:
        """The run's signals in the order they were handled (ts_ms, symbol, side, reason, note)."""
        cur = self.conn.execute(
            "SELECT ts_ms, symbol, side, reason, accepted, note FROM signals WHERE run_id = ? "
            "ORDER BY id",
            (run_id,),
        )
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]

    def signal_counts(self, run_id: str) -> tuple[int, int]:
        """(signals, accepted signals)."""
        row = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(accepted), 0) FROM signals WHERE run_id = ?", (run_id,)
        ).fetchone()
        return int(row[0]), int(row[1])

    def latencies_ms(self, run_id: str) -> list[float]:
        """Signal -> ack latency of every order that has one."""
        rows = self.conn.execute(
            "SELECT signal_to_ack_ms FROM orders WHERE run_id = ? AND signal_to_ack_ms IS NOT NULL",
            (run_id,),
        )
        return [float(r[0]) for r in rows.fetchall()]

    def last_signal_ms(self, run_id: str) -> dict[str, int]:
        """Symbol -> time of its last accepted signal (the risk layer's cooldowns)."""
        rows = self.conn.execute(
            "SELECT symbol, MAX(ts_ms) FROM signals WHERE run_id = ? AND accepted = 1 "
            "GROUP BY symbol",
            (run_id,),
        )
        return {s: int(t) for s, t in rows.fetchall()}
