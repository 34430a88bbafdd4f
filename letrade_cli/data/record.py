"""Records a live stream's ticks into the store, losing at most the last second on a crash.

``letrade stream --record DIR`` writes ``quotes`` (bookTicker ticks), ``trades`` and
``candles_<interval>`` (closed kline ticks) per venue/symbol/day as rolling
``rec-<first ts ns>.parquet`` files.

* Hot path: ``on_tick`` appends the tick to a list, nothing else. Once a second the event loop
  hands that list to a writer thread, which converts it and appends one Arrow record batch per
  (kind, symbol) to a write-ahead Arrow IPC stream file in the store's hidden ``.staging/``
  directory, then flushes it: a killed process loses at most the last second.
* Every ``roll_s`` seconds, and at ``close``, each staging file becomes a Parquet file of the
  store (written atomically: a reader never sees half of one) and is then removed.
* ``recover`` turns the staging files a crashed recorder left into Parquet files first (every
  complete batch; a batch cut by the crash is the lost last second).
* A write that fails (disk full, permissions) stops the recording: ``error`` is set, the
  ``on_error`` callback stops the stream, and the staging files are kept for ``recover``.

Prices are exact: a tick's floats were decoded from the venue's decimal strings, and
``repr(float)`` is the shortest string that reads back as the same float, which is the venue's
decimal for up to 15 significant digits. A quote's ``bid_size`` is the tick's size (the venue's
best-bid size); ticks carry no ask size, so ``ask_size`` is null. A kline tick carries no
volume, so ``volume``/``quote_volume``/``trades`` are null; a candle is written when the next
candle's first tick shows it closed (the candle still open at exit is not written).
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from letrade_cli.core.errors import LetradeError
from letrade_cli.core.tick import Tick
from letrade_cli.data.schema import check_kind, table
from letrade_cli.data.store import Store

if TYPE_CHECKING:
    import pyarrow as pa

STAGING = ".staging"
STAGING_SUFFIX = ".arrows"
FLUSH_S = 1.0
ROLL_S = 300.0
_STOP = object()
_ROLL = object()


class RecordError(LetradeError):
    """The recording could not be written (disk full, no permission): the stream stops."""

    exit_code = 1


def is_store_path(text: str) -> bool:
    """Whether ``--record TEXT`` means a store rather than a frame file.

    A store: an existing directory, a trailing ``/``, or a name without a suffix. Anything else
    (``run.frames``, ``feed.txt``) is a frame file.
    """
    path = Path(text).expanduser()
    if path.is_dir() or text.endswith(("/", os.sep)):
        return True
    return not path.exists() and not path.suffix


def kind_of(channel: str) -> str | None:
    """The store kind a channel's ticks are recorded as (None: not recorded)."""
    if channel == "bookTicker":
        return "quotes"
    if channel == "trade":
        return "trades"
    if channel.startswith("kline_"):
        return "candles_" + channel[len("kline_") :]
    return None


def _dec(value: float | None) -> str | None:
    return None if value is None else repr(value)


def _ts(tick: Tick) -> int:
    return tick.event_time_ms * 1_000_000 if tick.event_time_ms else tick.recv_ns


def _candle_interval_ns(kind: str) -> int:
    from letrade_cli.data.schema import interval_ms

    return interval_ms(kind[len("candles_") :]) * 1_000_000


def rows(kind: str, ticks: list[Tick]) -> dict[str, list[Any]]:
    """The store columns of ``kind`` for ``ticks`` (all of that kind)."""
    if kind == "quotes":
        return {
            "ts": [_ts(t) for t in ticks],
            "recv_ts": [t.recv_ns for t in ticks],
            "bid": [_dec(t.bid) for t in ticks],
            "bid_size": [_dec(t.size) for t in ticks],
            "ask": [_dec(t.ask) for t in ticks],
            "update_id": [t.seq for t in ticks],
        }
    if kind == "trades":
        return {
            "ts": [_ts(t) for t in ticks],
            "trade_id": [t.seq for t in ticks],
            "price": [_dec(t.last) for t in ticks],
            "size": [_dec(t.size) for t in ticks],
        }
    step = _candle_interval_ns(kind)
    return {
        "ts": [t.seq * step for t in ticks],
        "open": [_dec(t.open) for t in ticks],
        "high": [_dec(t.high) for t in ticks],
        "low": [_dec(t.low) for t in ticks],
        "close": [_dec(t.last) for t in ticks],
    }


@dataclass
class _Staged:
    """One open write-ahead file of a (kind, symbol)."""

    path: Path
    handle: IO[bytes]
    writer: Any
    first_ns: int
    opened: float = field(default_factory=time.monotonic)
    rows: int = 0


class StoreRecorder:
    """Writes the ticks handed to ``on_tick`` into ``store`` (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        venue: str,
        *,
        roll_s: float = ROLL_S,
        on_error: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.venue = venue
        self.roll_s = roll_s
        self.on_error = on_error
        self.error: RecordError | None = None
        self.rows = 0  # rows written to staging so far
        self.files: list[Path] = []  # Parquet files written
        self._pending: list[Tick] = []
        self._queue: queue.Queue[Any] = queue.Queue()
        self._staged: dict[tuple[str, str], _Staged] = {}
        self._open_candles: dict[tuple[str, str], Tick] = {}
        self._thread: threading.Thread | None = None

    # -- the event loop's side ------------------------------------------------------------
    def on_tick(self, tick: Tick) -> None:
        """The bus subscriber: one list append."""
        self._pending.append(tick)

    def flush(self) -> None:
        """Hand the ticks since the last flush to the writer thread (call once a second)."""
        if self._pending:
            batch, self._pending = self._pending, []
            self._queue.put(batch)

    def start(self) -> None:
        """Recover a crashed recorder's staging files, then start the writer thread."""
        try:
            self.files.extend(recover(self.store))
        except OSError as exc:
            raise self._fail(exc) from None
        self._thread = threading.Thread(target=self._work, name="letrade-record", daemon=True)
        self._thread.start()

    def roll(self) -> None:
        """Ask the writer to turn every staging file into Parquet now."""
        self._queue.put(_ROLL)

    def close(self) -> None:
        """Flush, roll every staging file into Parquet, stop the thread; raise ``error``."""
        self.flush()
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None
        if self.error is not None:
            raise self.error

    # -- the writer thread ----------------------------------------------------------------
    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if self.error is not None:
                if item is _STOP:
                    return
                continue
            try:
                if item is _STOP:
                    self._roll_all()
                    return
                if item is _ROLL:
                    self._roll_all()
                    continue
                self._append(item)
                now = time.monotonic()
                for key in [k for k, s in self._staged.items() if now - s.opened >= self.roll_s]:
                    self._roll(key)
            except OSError as exc:
                self.error = self._fail(exc)
                self._abandon()
                if self.on_error is not None:
                    self.on_error()
                if item is _STOP:
                    return

    def _fail(self, exc: OSError) -> RecordError:
        where = f" writing {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return RecordError(
                f"--record {self.store.root}: the disk is full{where}; recording stopped",
                hint="free some space and record again: the ticks recorded so far are kept",
            )
        return RecordError(
            f"--record {self.store.root}: cannot write{where}: {exc.strerror or exc}",
            hint="give --record a directory you can write to",
        )

    def _append(self, ticks: list[Tick]) -> None:
        by_key: dict[tuple[str, str], list[Tick]] = {}
        for tick in ticks:
            kind = kind_of(tick.channel)
            if kind is None:
                continue
            key = (kind, tick.symbol)
            if kind.startswith("candles_"):
                if tick.seq < 0:
                    continue
                previous = self._open_candles.get(key)
                self._open_candles[key] = tick
                if previous is None or previous.seq == tick.seq:
                    continue
                tick = previous  # the previous candle closed: write its last state
            by_key.setdefault(key, []).append(tick)
        for (kind, symbol), group in by_key.items():
            data = table(kind, rows(kind, group))
            staged = self._staged.get((kind, symbol))
            if staged is None:
                staged = self._open(kind, symbol, data)
            staged.writer.write_table(data)
            staged.handle.flush()
            staged.rows += data.num_rows
            self.rows += data.num_rows

    def _open(self, kind: str, symbol: str, data: pa.Table) -> _Staged:
        import pyarrow as pa

        first = int(data["ts"][0].value)
        directory = staging_dir(self.store, self.venue, kind, symbol)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"rec-{first}{STAGING_SUFFIX}"
        handle = path.open("wb")
        try:
            writer = pa.ipc.new_stream(handle, data.schema)
        except BaseException:
            handle.close()
            raise
        staged = _Staged(path, handle, writer, first)
        self._staged[(kind, symbol)] = staged
        return staged

    def _roll(self, key: tuple[str, str]) -> None:
        staged = self._staged.pop(key)
        staged.writer.close()
        staged.handle.close()
        self.files.extend(roll_file(self.store, staged.path))

    def _roll_all(self) -> None:
        for key in list(self._staged):
            self._roll(key)

    def _abandon(self) -> None:
        """After a failure: close the staging files as they are (``recover`` reads them)."""
        for staged in self._staged.values():
            with contextlib.suppress(Exception):
                staged.handle.close()
        self._staged.clear()


def staging_dir(store: Store, venue: str, kind: str, symbol: str) -> Path:
    """Where a (venue, kind, symbol)'s write-ahead files live."""
    return store.root / STAGING / f"venue={venue}" / f"kind={check_kind(kind)}" / f"symbol={symbol}"


def read_staged(path: Path) -> pa.Table | None:
    """Every complete record batch of a staging file (None when it holds none)."""
    import pyarrow as pa

    try:
        reader = pa.ipc.open_stream(pa.OSFile(str(path)))
    except (pa.ArrowInvalid, OSError):
        return None
    batches = []
    with contextlib.suppress(pa.ArrowInvalid, OSError):
        for batch in reader:
            batches.append(batch)
    if not batches:
        return None
    return pa.Table.from_batches(batches, schema=reader.schema)


def roll_file(store: Store, path: Path) -> list[Path]:
    """Turn one staging file into the store's ``rec-<first ns>.parquet`` file(s); remove it."""
    parts = path.relative_to(store.root / STAGING).parts
    venue, kind, symbol = (p.split("=", 1)[1] for p in parts[:3])
    data = read_staged(path)
    written: list[Path] = []
    if data is not None and data.num_rows:
        written = store.write(venue, kind, symbol, data, name=path.name[: -len(STAGING_SUFFIX)])
    path.unlink()
    for parent in path.parents:  # drop the emptied staging directories
        if parent == store.root:
            break
        try:
            parent.rmdir()
        except OSError:
            break
    return written


def recover(store: Store) -> list[Path]:
    """Roll the staging files a crashed recorder left into Parquet; the files written."""
    root = store.root / STAGING
    if not root.is_dir():
        return []
    written: list[Path] = []
    for path in sorted(root.glob(f"venue=*/kind=*/symbol=*/*{STAGING_SUFFIX}")):
        written.extend(roll_file(store, path))
    return written
