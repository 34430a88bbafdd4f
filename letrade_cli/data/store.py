"""The Parquet store: one Hive-partitioned layout for downloads, recordings and imports.

::

    ROOT/venue=V/kind=K/symbol=S/date=YYYY-MM-DD/NAME.parquet

``kind`` is one of ``data.schema``'s kinds (``quotes``, ``trades``, ``aggtrades``, ``depth``,
``candles_1m`` ...); ``date`` is the UTC day of ``ts``. A partition may hold several files (a
download's ``data.parquet``, a recording's rolling ``rec-<first ns>.parquet``); readers take
them all, ordered by ``ts``. Files are written under a hidden temporary name and renamed
(``core.files``), so a reader never sees half a file; scanners skip hidden names.

The root is ``--store``, else ``LETRADE_DATA_DIR``, else ``$XDG_DATA_HOME/letrade/data``
(``~/.local/share/letrade/data``).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letrade_cli.core.errors import LetradeError, UsageError
from letrade_cli.core.files import atomic_path
from letrade_cli.data.schema import check_kind, schema

if TYPE_CHECKING:
    import pyarrow as pa

NS_PER_DAY = 86_400_000_000_000
ROW_GROUP_ROWS = 65_536  # readers decode a group at a time: a day of quotes never sits whole
META_FIRST, META_LAST = b"letrade.first_ts", b"letrade.last_ts"


class StoreError(LetradeError):
    """A store file cannot be read (corrupted, truncated, foreign schema): nothing is deleted."""

    exit_code = 1


def default_root() -> Path:
    """``LETRADE_DATA_DIR``, else the XDG data directory's ``letrade/data``."""
    explicit = os.environ.get("LETRADE_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "letrade" / "data"


def day_of(ts_ns: int) -> str:
    """The UTC date (``YYYY-MM-DD``) of a nanosecond timestamp."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts_ns // 1_000_000_000))


def day_start_ns(date: str) -> int:
    """Nanoseconds at 00:00 UTC of ``YYYY-MM-DD``."""
    import calendar

    try:
        parsed = time.strptime(date, "%Y-%m-%d")
    except ValueError:
        raise UsageError(f"not a date: {date!r}", hint="use YYYY-MM-DD") from None
    return calendar.timegm(parsed) * 1_000_000_000


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One Parquet file of the store and its partition values."""

    path: Path
    venue: str
    kind: str
    symbol: str
    date: str


@dataclass(slots=True)
class Holding:
    """What the store has for one (venue, kind, symbol): ``data ls``'s row."""

    venue: str
    kind: str
    symbol: str
    first_ns: int
    last_ns: int
    rows: int
    bytes: int
    files: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with ISO times."""
        return {
            "venue": self.venue,
            "kind": self.kind,
            "symbol": self.symbol,
            "first": iso(self.first_ns),
            "last": iso(self.last_ns),
            "rows": self.rows,
            "bytes": self.bytes,
            "files": self.files,
        }


def iso(ts_ns: int) -> str:
    """``2026-12-01T00:00:00.000Z`` (ms precision)."""
    ms = ts_ns // 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _value(part: str, key: str) -> str | None:
    prefix = key + "="
    return part[len(prefix) :] if part.startswith(prefix) else None


class Store:
    """A store root (created on first write)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(
                f"store {self.root} is a file, not a directory",
                hint="give --store a directory (it is created if missing)",
            )

    # -- layout ---------------------------------------------------------------------------
    def partition(self, venue: str, kind: str, symbol: str, date: str) -> Path:
        """The directory of one (venue, kind, symbol, date) partition."""
        return (
            self.root / f"venue={venue}" / f"kind={check_kind(kind)}" / f"symbol={symbol}"
        ) / f"date={date}"

    def files(
        self,
        venue: str | None = None,
        kind: str | None = None,
        symbols: Iterable[str] = (),
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> list[StoredFile]:
        """The store's complete files, filtered by partition values, in path order."""
        wanted = set(symbols)
        first_day = day_of(start_ns) if start_ns is not None else None
        last_day = day_of(end_ns) if end_ns is not None else None
        out: list[StoredFile] = []
        if not self.root.is_dir():
            return out
        for venue_dir in _dirs(self.root, "venue", venue):
            for kind_dir in _dirs(venue_dir, "kind", kind):
                for symbol_dir in _dirs(kind_dir, "symbol", None):
                    symbol = symbol_dir.name[len("symbol=") :]
                    if wanted and symbol not in wanted:
                        continue
                    for date_dir in _dirs(symbol_dir, "date", None):
                        date = date_dir.name[len("date=") :]
                        if (first_day and date < first_day) or (last_day and date > last_day):
                            continue
                        for path in sorted(date_dir.glob("*.parquet")):
                            if path.name.startswith((".", "_")):
                                continue
                            out.append(
                                StoredFile(
                                    path,
                                    venue_dir.name[6:],
                                    kind_dir.name[5:],
                                    symbol,
                                    date,
                                )
                            )
        return out

    # -- writing --------------------------------------------------------------------------
    def write(
        self, venue: str, kind: str, symbol: str, data: pa.Table, *, name: str = "data"
    ) -> list[Path]:
        """Write ``data`` (the kind's schema) split by UTC day, one ``NAME.parquet`` per day.

        Rows are sorted by ``ts``. Each file appears only complete; an existing file of the
        same name is replaced (the previous one survives a failed write).
        """
        import pyarrow.compute as pc

        data = data.cast(schema(kind)).sort_by("ts")
        if not data.num_rows:
            return []
        ts = pc.cast(data["ts"], "int64").to_numpy()
        days = ts // NS_PER_DAY
        bounds = [0, *(i for i in range(1, len(days)) if days[i] != days[i - 1]), len(days)]
        written = []
        for lo, hi in itertools.pairwise(bounds):
            part = data.slice(lo, hi - lo)
            path = self.partition(venue, kind, symbol, day_of(int(ts[lo]))) / f"{name}.parquet"
            write_file(path, part)
            written.append(path)
        return written

    # -- reading --------------------------------------------------------------------------
    def read(
        self,
        venue: str,
        kind: str,
        symbols: Iterable[str] = (),
        start_ns: int | None = None,
        end_ns: int | None = None,
        columns: list[str] | None = None,
        floats: bool = False,
    ) -> pa.Table:
        """Rows of ``kind`` for ``symbols`` (all when empty) with ``start <= ts < end``.

        The table gains a ``symbol`` column and is ordered by (ts, symbol). ``floats`` turns
        decimals into float64 and times into int64 ns file by file, before the files are joined:
        what a replay wants, in a third of the memory.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        files = self.files(venue, kind, symbols, start_ns, end_ns)
        target = schema(kind)
        wanted_cols = columns or target.names

        # One scan per symbol: Arrow reads the files and casts each batch on its own threads
        # (a cast per small file, or a Python call per file, costs more than the data).
        parts = []
        for symbol, group in itertools.groupby(files, key=lambda f: f.symbol):
            part = _scan([stored.path for stored in group], target, wanted_cols, floats)
            name = pa.array([symbol] * part.num_rows, pa.string())
            parts.append(part.append_column("symbol", name))
        if not parts:
            empty = pa.schema([target.field(c) for c in wanted_cols]).append(
                pa.field("symbol", pa.string())
            )
            return _as_floats(empty.empty_table()) if floats else empty.empty_table()
        data = pa.concat_tables(parts)
        if start_ns is not None or end_ns is not None:
            ts = pc.cast(data["ts"], "int64")
            mask = None
            if start_ns is not None:
                mask = pc.greater_equal(ts, start_ns)
            if end_ns is not None:
                upper = pc.less(ts, end_ns)
                mask = upper if mask is None else pc.and_(mask, upper)
            data = data.filter(mask)
        data = data.replace_schema_metadata(None)
        if len({stored.symbol for stored in files}) == 1 and _ascending(data["ts"]):
            return data  # one symbol's files in date order: already in time order
        return data.sort_by([("ts", "ascending"), ("symbol", "ascending")])

    def series(self) -> list[tuple[str, str, str]]:
        """Every (venue, kind, symbol) the store holds files of, from the paths alone."""
        return sorted({(f.venue, f.kind, f.symbol) for f in self.files()})

    def holdings(self) -> list[Holding]:
        """One row per (venue, kind, symbol): first/last time, rows, bytes, files."""
        rows: dict[tuple[str, str, str], Holding] = {}
        for stored in self.files():
            first, last, count = file_span(stored.path)
            key = (stored.venue, stored.kind, stored.symbol)
            size = stored.path.stat().st_size
            held = rows.get(key)
            if held is None:
                rows[key] = Holding(*key, first, last, count, size, 1)
                continue
            held.first_ns = min(held.first_ns, first)
            held.last_ns = max(held.last_ns, last)
            held.rows += count
            held.bytes += size
            held.files += 1
        return [rows[k] for k in sorted(rows)]


def _dirs(parent: Path, key: str, value: str | None) -> Iterator[Path]:
    if value is not None:
        path = parent / f"{key}={value}"
        if path.is_dir():
            yield path
        return
    for child in sorted(parent.iterdir()):
        if child.is_dir() and _value(child.name, key) is not None:
            yield child


def _scan(paths: list[Path], target: pa.Schema, columns: list[str], floats: bool) -> pa.Table:
    """``columns`` of these files, in file order (``floats``: see :meth:`Store.read`).

    StoreError naming the first damaged file when the scan fails.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    projection: dict[str, Any] = {}
    for name in columns:
        kind = target.field(name).type
        if floats and pa.types.is_decimal(kind):
            projection[name] = ds.field(name).cast(pa.float64())
        elif floats and pa.types.is_timestamp(kind):
            projection[name] = ds.field(name).cast(pa.int64())
        else:
            projection[name] = ds.field(name)
    try:
        dataset = ds.dataset([str(p) for p in paths], schema=target, format="parquet")
        return dataset.to_table(columns=projection).replace_schema_metadata(None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, KeyError) as exc:
        for path in paths:
            read_file(path, columns)  # names the damaged one
        raise StoreError(
            f"cannot read {paths[0].parent.parent}: {str(exc).splitlines()[0]}",
            hint="a file is damaged; move it away (nothing was deleted) and download again",
        ) from None


def _ascending(ts: Any) -> bool:
    """Whether a timestamp column never goes backwards."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pc.cast(ts, pa.int64()).combine_chunks() if len(ts) else None
    if values is None or len(values) < 2:
        return True
    steps = pc.subtract(values.slice(1), values.slice(0, len(values) - 1))
    return bool(pc.min(steps).as_py() >= 0)


def write_file(path: Path, data: pa.Table) -> None:
    """Write one Parquet file atomically, with its first/last ``ts`` in the key metadata."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    meta = dict(data.schema.metadata or {})
    if data.num_rows:
        ts = pc.cast(data["ts"], "int64")
        meta[META_FIRST] = str(pc.min(ts).as_py()).encode()
        meta[META_LAST] = str(pc.max(ts).as_py()).encode()
    data = data.replace_schema_metadata(meta)
    with atomic_path(path) as temp:
        pq.write_table(data, temp, compression="zstd", row_group_size=ROW_GROUP_ROWS)


def _as_floats(table: pa.Table) -> pa.Table:
    """Decimal columns as float64, timestamps as int64 ns; other columns as they are."""
    import pyarrow as pa

    fields = []
    for field in table.schema:
        if pa.types.is_decimal(field.type):
            fields.append(pa.field(field.name, pa.float64()))
        elif pa.types.is_timestamp(field.type):
            fields.append(pa.field(field.name, pa.int64()))
        else:
            fields.append(field)
    return table.cast(pa.schema(fields))


def read_file(path: Path, columns: list[str] | None = None, floats: bool = False) -> pa.Table:
    """One store file; StoreError naming it when it is not a readable Parquet file.

    ``floats``: decimals as float64 and times as int64 ns, converted a batch at a time so the
    decimal columns are never all in memory at once.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as handle:
            if not floats:
                return handle.read(columns=columns)
            batches = [
                _as_floats(pa.Table.from_batches([batch]))
                for batch in handle.iter_batches(batch_size=65_536, columns=columns)
            ]
            if not batches:
                return _as_floats(handle.schema_arrow.empty_table().select(columns or []))
            return pa.concat_tables(batches)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, KeyError) as exc:
        raise StoreError(
            f"cannot read {path}: {str(exc).splitlines()[0]}",
            hint="the file is damaged; move it away (nothing was deleted) and download again",
        ) from None


def file_span(path: Path) -> tuple[int, int, int]:
    """(first ts, last ts, rows) of a store file from its footer alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise StoreError(
            f"cannot read {path}: {str(exc).splitlines()[0]}",
            hint="the file is damaged; move it away (nothing was deleted) and download again",
        ) from None
    kv = meta.metadata or {}
    if META_FIRST in kv and META_LAST in kv:
        return int(kv[META_FIRST]), int(kv[META_LAST]), meta.num_rows
    first = last = None
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(0).statistics
        if stats is None or not stats.has_min_max:
            continue
        lo, hi = int(stats.min_raw), int(stats.max_raw)
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
    return first or 0, last or 0, meta.num_rows
