"""Data-collector output into the store: ``letrade data import``.

The collector Lambda writes, under a directory or ``s3://bucket/prefix``::

    PREFIX/venue=V/market=M/date=D/candles-1m-YYYYMMDDT0000.jsonl

one ``{"t", "o", "h", "l", "c", "v", "qv"}`` JSON line per candle (``t`` its open time in ms,
prices and volumes as decimal strings; ``n`` the trade count when present). Each candle lands in
the store's ``candles_<interval>`` (``candles-60m`` -> ``candles_1h``, ``candles-1d`` ->
``candles_1d``) for symbol M, with ``quote_volume`` from ``qv`` and ``trades`` null when absent.

Import is idempotent: each day's rows are merged into the partition's ``data.parquet`` (the
file downloads write), deduplicated by ``ts``, the newest value kept (this import over the
store, a later line over an earlier one); a partition whose rows do not change is not
rewritten. Lines that are not candles are counted and reported, never fatal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from letrade_cli.core.errors import UsageError
from letrade_cli.data.location import open_location
from letrade_cli.data.schema import table
from letrade_cli.data.store import Store, StoreError, day_of, read_file, write_file

KEY_RE = re.compile(
    r"(?:^|/)venue=(?P<venue>[^/]+)/market=(?P<market>[^/]+)/date=[^/]+/"
    r"candles-(?P<unit>\d+m|1d)-[^/]*\.jsonl$"
)
LAYOUT = "PREFIX/venue=V/market=M/date=YYYY-MM-DD/candles-1m-YYYYMMDDT0000.jsonl"
MS_PER_DAY = 86_400_000
FIELDS = (("o", "open"), ("h", "high"), ("l", "low"), ("c", "close"), ("v", "volume"))


class NothingToImportError(UsageError):
    """SOURCE holds no data-collector candle file."""


@dataclass(frozen=True, slots=True)
class PartitionWrite:
    """One partition the import touched."""

    venue: str
    kind: str
    symbol: str
    date: str
    imported: int  # candles from the source for this day
    added: int  # of them, new to the store
    total: int  # rows in data.parquet after the merge
    written: bool  # False: nothing changed, the file was left as it was

    def line(self) -> str:
        """``venue=V kind=K symbol=S date=D: 1440 candles (1440 new), 1440 rows``."""
        state = "" if self.written else ", unchanged"
        return (
            f"venue={self.venue} kind={self.kind} symbol={self.symbol} date={self.date}: "
            f"{self.imported} candles ({self.added} new), {self.total} rows{state}"
        )


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    source: str
    store: str
    files: int = 0
    candles: int = 0
    bad_lines: int = 0
    first_bad: str | None = None
    partitions: list[PartitionWrite] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the end of the command."""
        written = sum(1 for p in self.partitions if p.written)
        text = (
            f"imported {self.candles} candles from {self.files} files into "
            f"{len(self.partitions)} partitions ({written} written) of {self.store}"
        )
        if self.bad_lines:
            text += f"; {self.bad_lines} bad lines skipped (first: {self.first_bad})"
        return text


def kind_of(unit: str) -> str:
    """The store kind of a collector unit: ``1m`` -> ``candles_1m``, ``240m`` -> ``candles_4h``."""
    if unit == "1d":
        return "candles_1d"
    minutes = int(unit[:-1])
    if minutes % 60 == 0:
        return f"candles_{minutes // 60}h"
    return f"candles_{minutes}m"


def parse_line(raw: bytes) -> dict[str, Any]:
    """One collector line -> store columns; ValueError saying what is wrong."""
    try:
        row = json.loads(raw, parse_float=str, parse_int=str)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc.msg if hasattr(exc, 'msg') else exc})") from None
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    try:
        t = int(row["t"])
    except KeyError:
        raise ValueError("no 't'") from None
    except (TypeError, ValueError):
        raise ValueError(f"'t' is not an integer: {row['t']!r}") from None
    out: dict[str, Any] = {"ts": t * 1_000_000}
    for key, column in (*FIELDS, ("qv", "quote_volume")):
        value = row.get(key)
        if value is None:
            if key in ("qv",):
                out[column] = None
                continue
            raise ValueError(f"no {key!r}")
        out[column] = _decimal(key, value)
    trades = row.get("n", row.get("trades"))
    try:
        out["trades"] = None if trades is None else int(trades)
    except (TypeError, ValueError):
        raise ValueError(f"'n' is not an integer: {trades!r}") from None
    return out


def _decimal(key: str, value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{key!r} is not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{key!r} is not a finite number: {value!r}")
    return format(number, "f")


def import_collector(
    source: str,
    store: str | Path | None = None,
    endpoint_url: str | None = None,
    on_partition: Callable[[PartitionWrite], None] | None = None,
) -> ImportReport:
    """Import every collector candle file under ``source`` into the store (module docstring)."""
    target = Store(store)
    location = open_location(source, endpoint_url)
    groups: dict[tuple[str, str, str], list[str]] = {}
    for path in location.files(".jsonl"):
        match = KEY_RE.search(location.relative(path))
        if match:
            key = (match["venue"], kind_of(match["unit"]), match["market"])
            groups.setdefault(key, []).append(path)
    if not groups:
        raise NothingToImportError(
            f"no data-collector candle files under {location.display}",
            hint=f"expected {LAYOUT}",
        )
    report = ImportReport(location.display, str(target.root))
    for (venue, kind, symbol), paths in sorted(groups.items()):
        candles: dict[int, dict[str, Any]] = {}
        for path in paths:
            report.files += 1
            data = location.read_bytes(path)
            for number, raw in enumerate(data.splitlines(), 1):
                if not raw.strip():
                    continue
                try:
                    row = parse_line(raw)
                except ValueError as exc:
                    report.bad_lines += 1
                    if report.first_bad is None:
                        report.first_bad = f"{location.show(path)} line {number}: {exc}"
                    continue
                candles[row["ts"]] = row  # a later line wins
        report.candles += len(candles)
        by_day: dict[str, list[dict[str, Any]]] = {}
        for ts in sorted(candles):
            by_day.setdefault(day_of(ts), []).append(candles[ts])
        for date, rows in by_day.items():
            written = _merge(target, venue, kind, symbol, date, rows)
            report.partitions.append(written)
            if on_partition is not None:
                on_partition(written)
    return report


def _merge(
    store: Store, venue: str, kind: str, symbol: str, date: str, rows: list[dict[str, Any]]
) -> PartitionWrite:
    """Merge one day's candles into its partition's ``data.parquet`` (new values win)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = {name: [r[name] for r in rows] for name in rows[0]}
    new = table(kind, columns)
    path = store.partition(venue, kind, symbol, date) / "data.parquet"
    added = len(rows)
    merged = new
    old = None
    if path.exists():
        try:
            old = read_file(path).cast(new.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
            raise StoreError(
                f"cannot merge into {path}: {str(exc).splitlines()[0]}",
                hint=f"the file is not a {kind} file; move it away (nothing was changed)",
            ) from None
        keep = pc.invert(pc.is_in(old["ts"], value_set=new["ts"]))
        added = len(rows) - (old.num_rows - pc.sum(pc.cast(keep, pa.int64())).as_py())
        merged = pa.concat_tables([old.filter(keep), new])
    merged = merged.sort_by("ts")
    changed = old is None or not merged.equals(old.sort_by("ts"))
    if changed:
        write_file(path, merged)
    return PartitionWrite(venue, kind, symbol, date, len(rows), added, merged.num_rows, changed)
